import json

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers.plots import (
    display_mistakes,
    display_pairs,
    plot_comparison,
    plot_digits,
    plot_history,
    plot_loss_vs_distance,
)


def test_display_pairs_titles_and_colours():
    pairs = np.random.default_rng(0).random((5, 2, 28, 28, 1))
    fig = display_pairs(pairs, [1, 0, 1, 0, 1], correct=[True, True, False, True, False], columns=3)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in shown] == ["similar ✓", "different ✓", "similar ✗", "different ✓", "similar ✗"]
    colours = [ax.title.get_color() for ax in shown]
    assert colours[0] == colours[1] == "#1a7f37" and colours[2] == "#cf222e"
    assert len(fig.axes) == 6  # 2 rows × 3 columns, the last one blank


def test_display_pairs_without_correct_has_plain_titles_and_limits_count():
    pairs = np.zeros((20, 2, 28, 28))
    fig = display_pairs(pairs, np.ones(20), max_pairs=4)
    assert [ax.get_title() for ax in fig.axes] == ["similar"] * 4


def test_display_pairs_refuses_bad_input():
    with pytest.raises(ValueError, match=r"\(N, 2, H, W"):
        display_pairs(np.zeros((3, 28, 28)), [1, 1, 1])
    with pytest.raises(ValueError, match="same length"):
        display_pairs(np.zeros((3, 2, 28, 28)), [1, 1])


def test_display_pairs_refuses_one_string_as_captions():
    with pytest.raises(TypeError, match="captions: expected one string per pair"):
        display_pairs(np.zeros((3, 2, 28, 28)), [1, 0, 1], captions="abc")


def test_plot_history_axes_and_legend():
    fig = plot_history({"loss": [0.3, 0.2, 0.1], "val_loss": [0.25, 0.15, 0.12]})
    (ax,) = fig.axes
    assert ax.get_title() == "Training vs validation loss"
    assert ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Contrastive loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training loss", "validation loss"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.25, 0.15, 0.12])
    with pytest.raises(ValueError, match="history"):
        plot_history({"accuracy": [1]})


def test_loss_vs_distance_curves():
    fig = plot_loss_vs_distance(margin=1.0)
    similar, different = fig.axes[0].lines[:2]
    d = similar.get_xdata()
    np.testing.assert_allclose(similar.get_ydata(), d**2 / 2, rtol=1e-5)
    np.testing.assert_allclose(different.get_ydata(), np.maximum(0, 1 - d) ** 2 / 2, rtol=1e-5, atol=1e-7)


def test_plot_digits():
    fig = plot_digits(np.zeros((12, 28, 28), np.uint8), np.arange(12), max_images=5)
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "2", "3", "4"]


def test_plot_roc_labels_each_curve_with_its_auc():
    from helpers.plots import plot_roc

    fig = plot_roc({"article": ([0, 0.1, 1], [0, 0.8, 1], 0.9), "ours": ([0, 0, 1], [0, 1, 1], 1.0)})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["article (AUC 0.9000)", "ours (AUC 1.0000)", "chance"]
    with pytest.raises(ValueError, match="at least one"):
        plot_roc({})


def test_plot_distance_histograms_splits_similar_and_different_and_marks_thresholds():
    from helpers.plots import plot_distance_histograms

    d = np.array([0.1, 0.2, 0.3, 0.9, 1.1])
    fig = plot_distance_histograms(d, [1, 1, 1, 0, 0], {"0.5 (article)": 0.5, "validation": 0.6})
    ax = fig.axes[0]
    heights = [sum(p.get_height() for p in container) for container in ax.containers]
    assert heights == [3, 2]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [0.5, 0.6]
    with pytest.raises(ValueError, match="same length"):
        plot_distance_histograms(d, [1, 0])


def test_plot_embedding_2d_names_every_class_once():
    from helpers.plots import plot_embedding_2d

    xy = np.random.default_rng(0).normal(size=(30, 2))
    fig = plot_embedding_2d(xy, np.repeat([3, 5, 7], 10), title="PCA")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["3", "5", "7"]
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_embedding_2d(np.zeros((3, 3)), [0, 1, 2], title="x")


def test_plot_few_shot_draws_one_line_per_model_with_its_error_bars():
    from helpers.evaluation import FewShotResult
    from helpers.plots import plot_few_shot

    results = {"a": [FewShotResult(1, 0.5, 0.1, 10), FewShotResult(5, 0.8, 0.05, 10)],
               "b": [FewShotResult(1, 0.6, 0.0, 10), FewShotResult(5, 0.9, 0.0, 10)]}
    fig = plot_few_shot(results)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert [list(line.get_ydata()) for line in ax.get_lines()[::3]][:1] == [[0.5, 0.8]]
    assert ax.get_xlabel() == "labelled examples per class"
    with pytest.raises(ValueError, match="results: expected at least one"):
        plot_few_shot({})


def test_plot_comparison_draws_each_value_its_seed_range_and_every_baseline():
    rows = {"a": {"x": 0.9, "y": 0.5}, "b": {"x": 0.95, "y": 0.6}}
    baselines = {"pixels": {"x": 0.8, "y": 0.2}, "untrained": {"x": 0.7}}
    spreads = {"a": {"x": (0.88, 0.93)}}  # model a's lowest and highest over seeds, for x only
    fig = plot_comparison(rows, {"x": "measure x", "y": "measure y"}, baselines=baselines, spreads=spreads,
                          decimals={"y": 2}, title="t")
    x_panel, y_panel = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["measure x", "measure y"]
    dots = x_panel.collections[0].get_offsets()
    assert dots[:, 0].tolist() == [0.9, 0.95]  # a dot per model at its value (a on top)
    assert dots[0, 1] > dots[1, 1]
    verticals = sorted(line.get_xdata()[0] for line in x_panel.lines if line.get_xdata()[0] == line.get_xdata()[1])
    assert verticals == [0.7, 0.8]  # both baselines in x; only the pixels in y
    assert [line.get_xdata()[0] for line in y_panel.lines if line.get_xdata()[0] == line.get_xdata()[1]] == [0.2]
    ranges = [tuple(line.get_xdata()) for line in x_panel.lines if line.get_xdata()[0] != line.get_xdata()[1]]
    assert ranges == [(0.88, 0.93)]
    low, high = x_panel.get_xlim()
    assert low < 0.7 and high > 0.95  # every dot, range and baseline inside the axis
    assert [t.get_text().strip() for t in y_panel.texts] == ["0.50", "0.60"]  # the panel's own precision
    assert [t.get_text().strip() for t in x_panel.texts] == ["0.9000", "0.9500"]
    with pytest.raises(ValueError, match=r"rows\['b'\]: missing the measures \['z'\]"):
        plot_comparison({"b": {"x": 1.0}}, {"x": "x", "z": "z"})


def test_plot_views_grid_and_shape_check():
    from helpers.plots import plot_views

    images = np.zeros((3, 28, 28, 1))
    fig = plot_views(images, [images, images])
    assert len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "view 1", "view 2"]
    with pytest.raises(ValueError, match=r"views\[0\]"):
        plot_views(images, [np.zeros((2, 28, 28, 1))])


def test_display_mistakes_captions_classes_and_distances():
    from helpers.plots import display_mistakes

    images = np.zeros((4, 28, 28, 1))
    idx = np.array([[0, 1], [2, 3], [0, 2]])
    fig = display_mistakes(images, idx, [0.1, 0.2, 0.95], np.array([7, 1, 7, 7]), [2, 0], title="t")
    captions = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert captions == ["7 vs 7, d = 0.95", "7 vs 1, d = 0.10"]
    assert [ax.get_title() for ax in fig.axes] == ["similar ✗", "different ✗"]
    with pytest.raises(ValueError, match="no pairs"):
        display_mistakes(images, idx, [0.1, 0.2, 0.95], np.array([7, 1, 7, 7]), [], title="t")


def test_display_mistakes_refuses_an_index_that_would_count_from_the_end():
    images, idx = np.zeros((4, 28, 28)), np.array([[0, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"chosen: expected indices into pair_indices, from 0 to 1, got \[-1\]"):
        display_mistakes(images, idx, [0.1, 0.2], [0, 1, 2, 3], chosen=[-1], title="t")


def _drawn_texts(fig: Figure) -> list:
    """Every text ``fig`` draws, each with its extent on the canvas in pixels, after a real draw: the figure's
    own texts (the suptitle), and each axes' title, texts and annotations (and axis labels where the axes are
    shown). Tick labels are left out: only the figures with hidden axes are checked for collisions."""
    canvas = FigureCanvasAgg(fig)  # the figure was closed in pyplot; draw it on a canvas of its own
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, *ax.texts]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label]
    return [(t, t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text().strip()]


def _collisions(fig: Figure) -> list[tuple[str, str]]:
    """The pairs of drawn texts whose boxes overlap (an empty list when every text can be read)."""
    drawn = _drawn_texts(fig)
    return [(a.get_text(), b.get_text()) for k, (a, box_a) in enumerate(drawn) for b, box_b in drawn[k + 1:]
            if box_a.overlaps(box_b)]


def _outside_their_box(fig: Figure) -> list[str]:
    """The texts of ``fig``'s axes that are drawn over a box (a FancyBboxPatch) but do not fit inside it, clear
    of its outline (2 pixels)."""
    from matplotlib.patches import FancyBboxPatch

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for ax in fig.axes for p in ax.patches if isinstance(p, FancyBboxPatch)]
    outside = []
    for t in (t for ax in fig.axes for t in ax.texts):
        e = t.get_window_extent(renderer)
        over = [b for b in boxes if b.overlaps(e)]
        if over and not any(b.x0 + 2 <= e.x0 and e.x1 <= b.x1 - 2 and b.y0 + 2 <= e.y0 and e.y1 <= b.y1 - 2
                            for b in over):
            outside.append(t.get_text())
    return outside


def test_captions_of_a_two_row_gallery_stay_clear_of_the_titles_below_them():
    # notebook 10's galleries of mistakes: 2 rows of 4 captioned pairs; the captions of the first row used to
    # cover the titles ("different ✗") of the second
    from helpers.plots import display_mistakes

    images = np.random.default_rng(0).random((16, 28, 28, 1))
    classes = np.array([7, 1, 3, 3, 4, 9, 2, 2, 5, 6, 8, 8, 0, 6, 1, 1])
    fig = display_mistakes(images, np.arange(16).reshape(8, 2), np.linspace(0.1, 0.9, 8), classes, np.arange(8),
                           title="Different digits, called similar")
    drawn = _drawn_texts(fig)
    captions = [box for t, box in drawn if " vs " in t.get_text()]
    titles = [box for t, box in drawn if " vs " not in t.get_text()]
    assert len(captions) == 8 and len(titles) == 9  # 8 pair titles and the figure's title
    assert not [(c, t) for c in captions for t in titles if c.overlaps(t)]


def test_plot_history_draws_the_chosen_metric_and_names_the_keys_it_lacks():
    logs = {"loss": [0.09, 0.07], "val_loss": [0.07, 0.05], "accuracy": [0.71, 0.81], "val_accuracy": [0.80, 0.89]}
    (ax,) = plot_history(logs, metric="accuracy").axes
    assert ax.get_title() == "Training vs validation accuracy" and ax.get_ylabel() == "Pair accuracy (d < 0.5)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training accuracy", "validation accuracy"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.71, 0.81])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.80, 0.89])
    (ax,) = plot_history(logs).axes  # the default is unchanged: the loss
    assert ax.get_ylabel() == "Contrastive loss" and ax.get_title() == "Training vs validation loss"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.09, 0.07])
    with pytest.raises(ValueError, match=r"history: no 'accuracy' values; available keys: loss, val_loss"):
        plot_history({"loss": [0.1], "val_loss": [0.2]}, metric="accuracy")


def test_siamese_diagram_shows_one_shared_twin_and_the_loss_inputs_without_overlapping_texts():
    from helpers.plots import plot_siamese_diagram

    digits = np.random.default_rng(0).random((2, 28, 28, 1))
    for fig in (plot_siamese_diagram(), plot_siamese_diagram(images=digits)):
        assert isinstance(fig, Figure)
        words = " ".join(t.get_text() for t, _ in _drawn_texts(fig)).replace("\n", " ")
        assert words.count("shared twin CNN") == 1  # one network, drawn once, that both images enter
        for label in ("image A", "image B", "128-d", "Euclidean distance d", "contrastive loss L(y, d)",
                      "pair label y", "1 = similar", "0 = different"):
            assert label in words
        assert _collisions(fig) == []
        assert _outside_their_box(fig) == []
    (ax,) = fig.axes
    assert [image.get_array().shape for image in ax.images] == [(28, 28), (28, 28)]
    with pytest.raises(ValueError, match="images: expected two images"):
        plot_siamese_diagram(images=digits[:1])


def test_plot_class_balance_bars_are_the_share_of_each_class_in_each_split():
    from helpers.plots import plot_class_balance

    rng = np.random.default_rng(0)
    splits = {"train": rng.integers(0, 10, 500), "validation": rng.integers(0, 10, 120), "test": np.arange(10)}
    fig = plot_class_balance(splits)
    ax = fig.axes[0]
    assert len(ax.containers) == 3
    for container, labels in zip(ax.containers, splits.values()):
        expected = 100 * np.bincount(labels, minlength=10) / len(labels)
        np.testing.assert_allclose([bar.get_height() for bar in container], expected)
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [10.0, 10.0]  # balanced: 1 / 10 classes
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["train (500)", "validation (120)", "test (10)", "balanced: 10 %"]


@pytest.mark.parametrize(("bad", "error", "message"), [
    ({}, ValueError, "labels_by_split: expected at least one split"),
    ({"train": np.zeros((3, 2), int)}, ValueError, r"labels_by_split\['train'\]: expected a 1-D array"),
    ({"test": np.array([], int)}, ValueError, r"labels_by_split\['test'\]: expected at least one sample"),
    ({"train": [0.5, 1.5]}, TypeError, r"labels_by_split\['train'\]: expected integer class ids"),
    ([np.arange(3)], TypeError, "labels_by_split: expected a dict"),
])
def test_plot_class_balance_refuses_bad_labels_naming_the_argument(bad, error, message):
    from helpers.plots import plot_class_balance

    with pytest.raises(error, match=message):
        plot_class_balance(bad)


def test_plot_parameters_per_layer_on_the_article_twin():
    from helpers.models import siamese_twin
    from helpers.plots import plot_parameters_per_layer

    twin = siamese_twin()
    fig = plot_parameters_per_layer(twin)
    ax = fig.axes[0]
    with_weights = [layer for layer in twin.layers if layer.count_params() > 0]
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == ["conv1 (Conv2D)", "conv2 (Conv2D)", "conv3 (Conv2D)", "embedding (Dense)"]
    assert [bar.get_width() for bar in ax.containers[0]] == [layer.count_params() for layer in with_weights]
    labels = [t.get_text() for t in ax.texts]
    assert labels[1] == "65,664 (61.1%)"  # conv2: 2·2·128·128 + 128 of 107,456
    assert ax.get_title() == "siamese_twin: 107,456 parameters"
    assert not any(name.startswith(("image", "pool", "dropout", "global")) for name in shown)
    with pytest.raises(TypeError, match="model: expected a Keras model"):
        plot_parameters_per_layer([1, 2])


def test_course_outline_reads_the_seventeen_notebooks_in_order():
    from helpers.notebook import NOTEBOOKS, course_outline

    outline = course_outline(NOTEBOOKS)
    assert [number for number, _, _ in outline] == [f"{k:02d}" for k in range(1, 18)]
    assert [step for _, _, step in outline] == [str(k) for k in range(1, 10)] + [None] * 8
    assert outline[0][1] == "Imports and a reproducible environment"
    assert all(title and "·" not in title for _, title, _ in outline)


def test_course_outline_refuses_a_notebook_without_its_marker(tmp_path):
    from helpers.notebook import course_outline

    cell = {"cell_type": "markdown", "metadata": {}, "source": ["# 01 · Start\n", "\n", "No marker here."]}
    (tmp_path / "01_start.ipynb").write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    with pytest.raises(ValueError, match="01_start.ipynb: expected a first markdown cell"):
        course_outline(tmp_path)
    cell["source"][2] = "*Beyond the article.* More."
    (tmp_path / "01_start.ipynb").write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    assert course_outline(tmp_path) == [("01", "Start", None)]


def test_course_map_labels_every_notebook_and_stays_readable_with_two_more():
    from helpers.notebook import course_outline
    from helpers.plots import plot_course_map

    outline = course_outline()
    more = outline + [("18", "Hard negatives: mining the pairs a model gets wrong", None),
                      ("19", "Triplet loss with anchors, positives and negatives, and a very long title to cut", None)]
    for notebooks in (outline, more):
        fig = plot_course_map(notebooks)
        texts = [t.get_text() for t, _ in _drawn_texts(fig)]
        for number, _, _ in notebooks:
            assert sum(t.startswith(f"{number} · ") for t in texts) == 1
        assert texts.count("beyond the article") == sum(step is None for _, _, step in notebooks)
        assert [t for t in texts if t.startswith("article step")] == [f"article step {k}" for k in range(1, 10)]
        assert _collisions(fig) == []
        assert _outside_their_box(fig) == []
        width, height = fig.get_size_inches()
        assert width == 9 and height < 6
    assert "10 · Evaluation" in texts and any(t.endswith("…") for t in texts)  # short titles, cut when too long


def test_plot_replica_losses_draws_each_run_and_its_gap_to_the_reference():
    from helpers.plots import plot_replica_losses

    runs = {"one": {"losses": [1.0, 0.5, 0.25]}, "two": {"losses": [1.0, 0.5001, 0.2502]},
            "naive": {"losses": [0.9, 0.6, 0.3]}}
    fig = plot_replica_losses(runs, reference="one", tolerance=1e-3)
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()] == ["one", "two", "naive"]
    gaps = {line.get_label(): line.get_ydata() for line in right.get_lines() if line.get_label() in runs}
    np.testing.assert_allclose(gaps["two"], [1e-9, 1e-4, 2e-4], rtol=1e-3)  # an exact 0 sits at the floor
    np.testing.assert_allclose(gaps["naive"], [0.1, 0.1, 0.05])
    assert "one" not in gaps and right.get_yscale() == "log"
    assert "tolerance 0.001" in [line.get_label() for line in right.get_lines()]
    with pytest.raises(ValueError, match="reference: expected one of one, two, naive"):
        plot_replica_losses(runs, reference="single", tolerance=1e-3)
    with pytest.raises(ValueError, match="'short' has 2 steps"):
        plot_replica_losses({**runs, "short": {"losses": [1.0, 0.5]}}, reference="one", tolerance=1e-3)


def test_plot_label_efficiency_draws_one_line_per_model_with_all_labels_last():
    from helpers.plots import plot_label_efficiency

    fig = plot_label_efficiency({"a": [0.3, 0.6, 0.9], "b": [0.5, 0.7, 0.8]}, [1, 10], all_label="all 4,800")
    ax = fig.axes[0]
    assert [list(line.get_ydata()) for line in ax.lines] == [[0.3, 0.6, 0.9], [0.5, 0.7, 0.8]]
    assert list(ax.lines[0].get_xdata()) == [1, 10, 50]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "10", "all 4,800"]
    with pytest.raises(ValueError, match="expected 3 values"):
        plot_label_efficiency({"a": [0.3, 0.6]}, [1, 10])
