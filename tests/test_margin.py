"""What the contrastive loss's margin does: the analytic figure, the margin in compile_siamese, and the measured
sweep (scripts/margin_sweep.py and its committed JSON)."""

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.losses import ContrastiveLoss, contrastive_loss, contrastive_loss_gradient
from helpers.models import compile_siamese
from helpers.plots import plot_margin_effect, plot_margin_sweep

ROOT = Path(__file__).resolve().parent.parent
SWEEP_JSON = ROOT / "notebooks" / "trained" / "margin_sweep_mnist.json"
METRICS = ("median_distance_similar", "median_distance_different", "share_different_beyond_margin",
           "test_accuracy_at_0.5", "threshold", "test_accuracy", "test_auc", "final_training_loss", "training_seconds")


def curves(ax) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The labelled lines of ``ax`` (the curves; axvline/axhline carry no legend label)."""
    return {line.get_label(): (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
            for line in ax.lines if not line.get_label().startswith("_")}


def autodiff_gradient(d: np.ndarray, y: float, margin: float) -> np.ndarray:
    """dL_i/dd_i by TensorFlow's autodiff of helpers.losses.contrastive_loss (one pair per distance)."""
    distances = tf.Variable(d.astype(np.float32))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(contrastive_loss(tf.fill(distances.shape, y), distances, margin=margin))
    return tape.gradient(total, distances).numpy()


def test_margin_effect_curves_are_the_formula_and_autodiff_agrees_with_the_gradient_panel():
    margins = (0.5, 1.0, 2.0)
    fig = plot_margin_effect(margins, max_distance=2.5)
    ax_loss, ax_grad = fig.axes
    loss, grad = curves(ax_loss), curves(ax_grad)
    expected = ["similar (y = 1), any margin"] + [f"different (y = 0), m = {m:g}" for m in margins]
    assert list(loss) == expected and list(grad) == expected  # one similar curve, one different curve per margin
    d, similar = loss[expected[0]]
    assert d[0] == 0.0 and d[-1] == pytest.approx(2.5)
    np.testing.assert_allclose(similar, d**2 / 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad[expected[0]][1], d, rtol=1e-12)
    sample = d[3::40]  # points between grid ends, none exactly on a margin (the kink)
    assert not np.isin(sample, margins).any()
    np.testing.assert_allclose(autodiff_gradient(sample, 1.0, 1.0), sample, rtol=1e-5, atol=1e-6)
    for m, label in zip(margins, expected[1:]):
        x, y = loss[label]
        np.testing.assert_allclose(y, np.maximum(m - x, 0) ** 2 / 2, rtol=1e-6, atol=1e-7)
        x, g = grad[label]
        np.testing.assert_allclose(g, np.where(x < m, -(m - x), 0.0), rtol=1e-12, atol=1e-12)
        assert (g[x >= m] == 0).all() and (g[x < m] < 0).all()  # pushed apart only inside the margin
        np.testing.assert_allclose(g[3::40], autodiff_gradient(sample, 0.0, m), rtol=1e-5, atol=1e-6)
    # a dotted line at each margin in both panels
    for ax in fig.axes:
        verticals = sorted({line.get_xdata()[0] for line in ax.lines if line.get_label().startswith("_")
                            and line.get_xdata()[0] == line.get_xdata()[1] and line.get_linestyle() == ":"})
        assert verticals == list(margins)


def test_contrastive_loss_gradient_matches_autodiff_at_random_distances():
    d = np.random.default_rng(0).uniform(0.01, 3.0, 50)
    for y in (0.0, 1.0):
        for m in (0.3, 1.0, 2.5):
            np.testing.assert_allclose(contrastive_loss_gradient(d, int(y), m), autodiff_gradient(d, y, m),
                                       rtol=1e-5, atol=1e-6)


def test_margin_helpers_refuse_bad_input():
    with pytest.raises(ValueError, match="y: expected 1"):
        contrastive_loss_gradient([0.5], y=2)
    with pytest.raises(ValueError, match="margin: expected a finite number > 0"):
        contrastive_loss_gradient([0.5], y=0, margin=0.0)
    with pytest.raises(ValueError, match="margins: expected one or more distinct"):
        plot_margin_effect(())
    with pytest.raises(ValueError, match="margins: expected one or more distinct"):
        plot_margin_effect((1.0, 1.0))
    with pytest.raises(ValueError, match="margins: expected a finite number > 0"):
        plot_margin_effect((1.0, -2.0))
    with pytest.raises(TypeError, match="margins: expected a sequence"):
        plot_margin_effect(1.0)
    with pytest.raises(ValueError, match="max_distance"):
        plot_margin_effect(max_distance=0)


def tiny_model() -> keras.Model:
    inputs = keras.Input((1,))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))


def test_compile_siamese_keeps_the_article_loss_by_default_and_takes_a_margin():
    assert compile_siamese(tiny_model()).loss is contrastive_loss  # unchanged default: the function itself
    model = compile_siamese(tiny_model(), margin=2.0)
    assert isinstance(model.loss, ContrastiveLoss) and model.loss.margin == 2.0
    y = np.array([0.0, 0.0, 1.0, 0.0], np.float32)
    d = np.array([[0.5], [1.5], [0.3], [2.5]], np.float32)
    # ½·1.5², ½·0.5², ½·0.3², 0 (beyond the margin 2) → mean; with margin 1 it would be ½·0.5² / 4 + …
    expected = np.mean([1.5**2 / 2, 0.5**2 / 2, 0.3**2 / 2, 0.0])
    assert float(model.loss(y, d)) == pytest.approx(expected, rel=1e-6)
    assert float(model.compute_loss(y=y, y_pred=d)) == pytest.approx(expected, rel=1e-6)
    restored = keras.losses.deserialize(keras.losses.serialize(model.loss))  # as a saved model's compile config
    assert isinstance(restored, ContrastiveLoss) and restored.margin == 2.0
    with pytest.raises(ValueError, match="margin: expected a finite number > 0"):
        compile_siamese(tiny_model(), margin=0)


def hand_made_results() -> dict:
    rows = [  # out of order on purpose: the figure sorts by margin
        {"margin": 2.0, "median_distance_similar": 0.9, "median_distance_different": 1.9, "threshold": 1.3,
         "test_accuracy_at_0.5": 0.62, "test_accuracy": 0.91},
        {"margin": 0.5, "median_distance_similar": 0.2, "median_distance_different": 0.45, "threshold": 0.33,
         "test_accuracy_at_0.5": 0.55, "test_accuracy": 0.88},
        {"margin": 1.0, "median_distance_similar": 0.4, "median_distance_different": 0.95, "threshold": 0.6,
         "test_accuracy_at_0.5": 0.85, "test_accuracy": 0.9},
    ]
    return {"results": rows}


def test_plot_margin_sweep_draws_the_hand_made_numbers():
    fig = plot_margin_sweep(hand_made_results(), title="hand-made")
    ax_d, ax_acc = fig.axes
    lines = curves(ax_d)
    np.testing.assert_allclose(lines["similar pairs: median d"][0], [0.5, 1.0, 2.0])
    np.testing.assert_allclose(lines["similar pairs: median d"][1], [0.2, 0.4, 0.9])
    np.testing.assert_allclose(lines["different pairs: median d"][1], [0.45, 0.95, 1.9])
    np.testing.assert_allclose(lines["threshold chosen on validation"][1], [0.33, 0.6, 1.3])
    x, y = lines["d = m (the margin)"]
    np.testing.assert_allclose(x, y)  # the diagonal
    np.testing.assert_allclose(lines["d = 0.5 (the article's threshold)"][1], [0.5, 0.5])
    heights = [bar.get_height() for bar in ax_acc.patches]
    assert heights == pytest.approx([0.55, 0.85, 0.62, 0.88, 0.9, 0.91])  # d < 0.5 per margin, then chosen
    assert [t.get_text() for t in ax_acc.get_xticklabels()] == ["0.5", "1", "2"]
    assert fig._suptitle.get_text() == "hand-made"


def test_plot_margin_sweep_refuses_incomplete_results():
    with pytest.raises(ValueError, match="non-empty 'results' list"):
        plot_margin_sweep({"results": []})
    rows = hand_made_results()
    del rows["results"][1]["threshold"]
    with pytest.raises(ValueError, match=r"results\['results'\]\[1\].*missing \['threshold'\]"):
        plot_margin_sweep(rows)


def test_committed_margin_sweep_json_is_complete_and_plots():
    record = json.loads(SWEEP_JSON.read_text())
    assert record["command"].startswith("python scripts/margin_sweep.py")
    assert record["dataset"] == "mnist" and isinstance(record["seed"], int)
    assert set(record["versions"]) >= {"tensorflow", "keras"}
    assert record["versions"]["keras"] == keras.__version__ and record["versions"]["tensorflow"] == tf.__version__
    budget = record["budget"]
    assert budget["epochs"] >= 1 and 0 < budget["training_pairs"] <= 96_000 and budget["batch_size"] >= 1
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", json.dumps(record))  # date-free metadata
    rows = record["results"]
    assert [row["margin"] for row in rows] == record["margins"]
    assert len(set(record["margins"])) == len(rows) and {0.5, 1.0, 2.0} <= set(record["margins"])
    for row in rows:
        assert set(row) == {"margin", *METRICS}, row["margin"]
        for key in ("share_different_beyond_margin", "test_accuracy_at_0.5", "test_accuracy", "test_auc"):
            assert 0.0 <= row[key] <= 1.0, (row["margin"], key)
        for key in ("median_distance_similar", "median_distance_different", "threshold", "final_training_loss"):
            assert row[key] >= 0.0, (row["margin"], key)
        for key in METRICS:
            assert row[key] == round(row[key], 4), (row["margin"], key)  # stored rounded
        assert row["training_seconds"] > 0
    assert record["wall_seconds"] >= sum(row["training_seconds"] for row in rows)
    fig = plot_margin_sweep(record)
    bars = sorted(rows, key=lambda row: row["margin"])
    heights = [bar.get_height() for bar in fig.axes[1].patches]
    assert heights == [row["test_accuracy_at_0.5"] for row in bars] + [row["test_accuracy"] for row in bars]


@pytest.mark.integration
def test_margin_sweep_script_on_a_tiny_budget(tmp_path, capsys, monkeypatch, small_splits):
    import margin_sweep  # scripts/ is on pytest's pythonpath

    monkeypatch.setattr(margin_sweep, "mnist_splits", small_splits)
    out = tmp_path / "sweep.json"
    report = margin_sweep.main(["--margins", "2", "--pairs", "256", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    assert report["command"] == f"python scripts/margin_sweep.py --margins 2 --pairs 256 --out {out}"
    assert [row["margin"] for row in report["results"]] == [2.0]
    assert report["budget"]["training_pairs"] == 256
    printed = capsys.readouterr().out
    assert re.search(r"^m=2: median d similar", printed, re.M)
    assert f"saved {out}" in printed


def test_margin_sweep_refuses_a_bad_budget_before_loading_anything(capsys):
    import margin_sweep

    for argv in (["--margins", "0"], ["--margins", "1", "1"], ["--epochs", "0"], ["--pairs", "10"]):
        with pytest.raises(SystemExit):
            margin_sweep.parse_args(argv)
    assert "--margins: expected positive finite numbers" in capsys.readouterr().err
