"""One twin, one budget, one evaluation (helpers/compare.py): the recipes of notebook 14 and of the ablation
(scripts/ablation.py and its committed JSON)."""

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers.compare import LOSSES, Recipe, evaluate_twin, measure, raw_pixel_baseline, training_setup

ROOT = Path(__file__).resolve().parent.parent
ABLATION_JSON = ROOT / "notebooks" / "trained" / "ablation_mnist.json"
MEASURES = {"test_accuracy_at_0.5", "threshold", "validation_accuracy", "test_accuracy", "test_auc", "knn1_accuracy",
            "1-shot", "linear_probe"}


def small_split(mnist, n=512):
    from helpers.data import preprocess

    (x, y), (xt, yt) = mnist
    return preprocess(x[:n]), y[:n], preprocess(x[n:2 * n]), y[n:2 * n], preprocess(xt[:n]), yt[:n]


def test_a_recipe_names_a_known_loss_and_changes_one_thing_at_a_time():
    assert Recipe().without(batch_norm=False) == Recipe(batch_norm=False)
    assert Recipe().without(batch_norm=False).loss == "batch_contrastive"
    with pytest.raises(ValueError, match="loss: expected one of"):
        Recipe(loss="hinge")


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_sees_the_same_images_in_the_same_steps(mnist, loss):
    """Single images: batches of 256; pairs: batches of 128 pairs (256 images), and len(images) // 2 new pairs
    per epoch: the same number of images per step and per epoch, and the same steps."""
    x, y, *_ = small_split(mnist)
    model, twin, data, steps = training_setup(Recipe(loss=loss), x, y, batch_size=128, epochs=2, seed=0)
    assert steps == 2 * 4 and int(data.cardinality()) == steps // 2  # one epoch per pass, as fit reads it
    images_seen, pairs_seen = 0, []
    for inputs, labels in [*data, *data]:  # two epochs
        if LOSSES[loss][2] == "pairs":
            first, second = inputs
            assert first.shape[0] == second.shape[0] == labels.shape[0] <= 64
            images_seen += 2 * labels.shape[0]
            pairs_seen.append(labels.numpy())
        else:
            assert inputs.shape[0] == labels.shape[0] <= 128
            images_seen += labels.shape[0]
    assert images_seen == 2 * len(x)
    if pairs_seen:
        assert 0.4 < np.concatenate(pairs_seen).mean() < 0.6  # balanced similar / different
    assert model.loss is LOSSES[loss][1] and twin.name == "improved_twin"


def test_the_pair_recipe_draws_new_pairs_every_epoch(mnist):
    x, y, *_ = small_split(mnist)
    _, _, data, steps = training_setup(Recipe(loss="pairs"), x, y, batch_size=128, epochs=2, seed=0)
    first, second = (np.concatenate([inputs[0].numpy() for inputs, _ in data]) for _ in range(2))
    assert not np.array_equal(first, second)


def test_recipe_settings_reach_the_model_and_the_optimizer(mnist):
    x, y, *_ = small_split(mnist)
    _, twin, _, _ = training_setup(Recipe(batch_norm=False, kernel_size=2), x, y, batch_size=128, epochs=1, seed=0)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in twin.layers)
    assert twin.get_layer("conv1").kernel_size == (2, 2) and twin.get_layer("conv1").use_bias
    model, _, _, _ = training_setup(Recipe(schedule=False), x, y, batch_size=128, epochs=1, seed=0)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(3e-3)
    scheduled, _, _, _ = training_setup(Recipe(peak_learning_rate=1e-3), x, y, batch_size=128, epochs=1, seed=0)
    schedule = scheduled.optimizer.get_config()["learning_rate"]
    assert schedule["config"]["warmup_target"] == pytest.approx(1e-3)


def test_measure_is_the_evaluation_of_notebooks_10_to_13(mnist):
    from helpers.evaluation import evaluate_embeddings, few_shot_accuracy, linear_probe_accuracy

    x, y, xv, yv, xt, yt = small_split(mnist, 300)
    flat = {"train": x.reshape(len(x), -1), "validation": xv.reshape(len(xv), -1), "test": xt.reshape(len(xt), -1)}
    report = measure(flat, flat, {"train": y, "validation": yv, "test": yt}, seed=1)
    assert set(report) == MEASURES
    expected = evaluate_embeddings((flat["train"], y), (flat["validation"], yv), (flat["test"], yt), seed=1)
    assert {k: report[k] for k in expected} == expected
    assert report["1-shot"] == few_shot_accuracy(flat["train"], y, flat["test"], yt, shots=1, rng=1, draws=10).mean
    assert report["linear_probe"] == linear_probe_accuracy(flat["train"], y, flat["test"], yt)
    assert raw_pixel_baseline((x, y), (xt, yt), validation=(xv, yv), seed=1) == report


def test_without_validation_images_only_the_threshold_free_measures_are_taken(mnist):
    x, y, xv, yv, xt, yt = small_split(mnist, 300)
    with_validation = raw_pixel_baseline((x, y), (xt, yt), validation=(xv, yv), seed=1)
    threshold_free = raw_pixel_baseline((x, y), (xt, yt), seed=1)
    assert set(threshold_free) == {"test_auc", "knn1_accuracy", "1-shot", "linear_probe"}
    assert threshold_free == {key: with_validation[key] for key in threshold_free}


def test_evaluate_twin_measures_cosine_geometry_on_normalised_embeddings(mnist):
    from helpers.models import improved_twin

    x, y, xv, yv, xt, yt = small_split(mnist, 200)
    keras.utils.set_random_seed(0)
    twin = improved_twin(width=4)
    euclidean = evaluate_twin(twin, (x, y), (xt, yt), validation=(xv, yv), seed=0)
    cosine = evaluate_twin(twin, (x, y), (xt, yt), validation=(xv, yv), geometry="cosine", seed=0)
    assert set(euclidean) == set(cosine) == MEASURES
    assert euclidean["linear_probe"] == cosine["linear_probe"]  # the probe reads the pooled features either way
    assert euclidean["threshold"] != cosine["threshold"]
    assert cosine["threshold"] <= 2.0  # unit vectors are at most 2 apart
    with pytest.raises(ValueError, match="geometry"):
        evaluate_twin(twin, (x, y), (xt, yt), geometry="manhattan", seed=0)


def test_committed_ablation_json_is_complete():
    import ablation  # scripts/ is on pytest's pythonpath

    record = json.loads(ABLATION_JSON.read_text())
    assert record["command"] == "python scripts/ablation.py"
    assert record["versions"]["keras"] == keras.__version__
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", json.dumps(record))  # date-free
    rows = record["results"]
    expected = [(v, 42) for v in ablation.VARIANTS] + [(ablation.REFERENCE, 43)]
    assert [(r["variant"], r["seed"]) for r in rows] == expected
    for row in rows:
        assert row["recipe"] == ablation.VARIANTS[row["variant"]]
        assert MEASURES <= set(row) and all(0 <= row[k] <= 1 for k in MEASURES - {"threshold"})
        assert all(row[k] == round(row[k], 4) for k in MEASURES)
        assert row["training_seconds"] > 0


def test_committed_full_budget_ablation_json_is_complete():
    import ablation

    record = json.loads((ROOT / "notebooks" / "trained" / "ablation_7_epochs_mnist.json").read_text())
    assert record["command"].startswith("python scripts/ablation.py --only ") and "--epochs 7" in record["command"]
    assert record["budget"] == {"batch_size": 256, "epochs": 7, "note": ablation.budget_note(7),
                                "training_images": 48_000}
    rows = record["results"]
    assert [(r["variant"], r["seed"]) for r in rows] == [(ablation.REFERENCE, 42), ("no batch normalisation", 42)]
    assert all(MEASURES <= set(row) and row["recipe"] == ablation.VARIANTS[row["variant"]] for row in rows)


def test_committed_loss_seeds_json_is_complete():
    import loss_seeds

    record = json.loads((ROOT / "notebooks" / "trained" / "loss_seeds_mnist.json").read_text())
    assert record["command"] == "python scripts/loss_seeds.py"
    assert record["versions"]["keras"] == keras.__version__
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", json.dumps(record))  # date-free
    expected = [(loss, seed) for seed in (42, 43, 44) for loss in ["untrained", *loss_seeds.COMPARED]]
    assert [(r["loss"], r["seed"]) for r in record["results"]] == expected
    threshold_free = {"test_auc", "knn1_accuracy", "1-shot", "linear_probe"}
    for row in record["results"]:
        assert threshold_free <= set(row)
        assert all(0 <= row[k] <= 1 and row[k] == round(row[k], 4) for k in threshold_free)
        assert row["loss"] == "untrained" or row["training_seconds"] > 0


@pytest.mark.integration
def test_ablation_script_on_a_tiny_budget(tmp_path, capsys, monkeypatch, small_splits):
    import ablation

    monkeypatch.setattr(ablation, "mnist_splits", small_splits)
    out = tmp_path / "ablation.json"
    argv = ["--train-images", "512", "--epochs", "1", "--only", "2×2 kernels (the article's)", "--out", str(out)]
    report = ablation.main(argv)
    assert json.loads(out.read_text()) == report
    assert [(r["variant"], r["seed"]) for r in report["results"]] == [("2×2 kernels (the article's)", 42)]
    assert report["budget"]["training_images"] == 512 and report["budget"]["epochs"] == 1
    printed = capsys.readouterr().out
    assert "2×2 kernels (the article's) (seed 42): test pair accuracy" in printed and f"saved {out}" in printed


@pytest.mark.integration
def test_loss_seeds_script_trains_each_seed_from_its_own_start_and_measures_with_one_labelled_set(
        tmp_path, capsys, monkeypatch, small_splits):
    import loss_seeds

    monkeypatch.setattr(loss_seeds, "mnist_splits", small_splits)
    monkeypatch.setattr(loss_seeds, "PER_DIGIT", 20)
    out = tmp_path / "seeds.json"
    argv = ["--only", "pairs", "--seeds", "1", "2", "--train-images", "512", "--out", str(out)]
    report = loss_seeds.main(argv)
    assert json.loads(out.read_text()) == report
    assert [(r["loss"], r["seed"]) for r in report["results"]] == [("untrained", 1), ("pairs", 1), ("untrained", 2),
                                                                   ("pairs", 2)]
    threshold_free = {"test_auc", "knn1_accuracy", "1-shot", "linear_probe"}
    assert all(threshold_free <= set(r) for r in report["results"])
    untrained = [r for r in report["results"] if r["loss"] == "untrained"]
    assert untrained[0]["test_auc"] != untrained[1]["test_auc"]  # each seed its own initial weights
    assert report["budget"]["training_images"] == 512
    printed = capsys.readouterr().out
    assert "pairs (seed 2): AUC" in printed and f"saved {out}" in printed


def test_loss_seeds_refuses_a_bad_budget_before_loading_anything(capsys):
    import loss_seeds

    for argv in (["--epochs", "0"], ["--batch-size", "255"], ["--seeds", "1", "1"], ["--train-images", "10"],
                 ["--only", "hinge"]):
        with pytest.raises(SystemExit):
            loss_seeds.parse_args(argv)
    assert "--seeds: expected different seeds" in capsys.readouterr().err


def test_the_ablation_records_its_budget_as_shorter_only_when_it_is():
    import ablation

    assert "shorter than notebook 12's 7 epochs" in ablation.budget_note(2)
    assert ablation.budget_note(7) == "notebook 12's own budget of 7 epochs"
    assert "longer than notebook 12's 7 epochs" in ablation.budget_note(9)


def test_ablation_refuses_a_bad_budget_before_loading_anything(capsys):
    import ablation

    for argv in (["--epochs", "0"], ["--batch-size", "255"], ["--seeds", "42"], ["--train-images", "10"],
                 ["--only", "no dropout"]):
        with pytest.raises(SystemExit):
            ablation.parse_args(argv)
    assert "--batch-size: expected an even number" in capsys.readouterr().err


def test_record_results_keeps_the_numbers_as_printed_and_names_a_missing_notebook(tmp_path):
    import record_results  # scripts/ is on pytest's pythonpath

    build = tmp_path / "build"
    build.mkdir()
    for stem, _ in record_results.SOURCES.values():
        (build / f"{stem}_fashion_mnist.json").write_text(json.dumps(
            {"test_accuracy": 0.912345, "results": {"x": {"linear_probe": 0.87654, "knn1": 0.812349}}, "epochs": 5}))
    out = record_results.main(["--build", str(build), "--out", str(tmp_path / "r.json")])
    record = json.loads(out.read_text())
    assert record["command"] == "make run DATASET=fashion_mnist" and record["dataset"] == "fashion_mnist"
    assert record["simclr"]["results"]["x"] == {"linear_probe": 0.877, "knn1": 0.8123}
    assert record["losses"]["test_accuracy"] == 0.9123 and record["losses"]["epochs"] == 5
    (build / "metrics_losses_fashion_mnist.json").unlink()
    with pytest.raises(SystemExit, match="run notebook 14_which_loss.ipynb with DATASET='fashion_mnist'"):
        record_results.main(["--build", str(build), "--out", str(tmp_path / "r.json")])
