import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.plots import display_pairs, plot_digits, plot_history, plot_loss_vs_distance


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
