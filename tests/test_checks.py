"""Inputs that used to give a silently wrong answer (or a raw library error) now raise an error that names
the argument. One test per case, so that each one states what it guards."""

from __future__ import annotations

import numpy as np
import pytest

from helpers._checks import as_rng, check_int, check_number, drop_channel
from helpers.artifacts import atomic_path, save_figure, save_json
from helpers.data import preprocess, split_validation
from helpers.evaluation import hardest_mistakes, pair_accuracy
from helpers.losses import accuracy, contrastive_loss, pairwise_distances
from helpers.pairs import generate_pair_indices, pair_dataset
from helpers.plots import display_mistakes, display_pairs

D = np.array([[0.2], [0.9]], np.float32)


@pytest.mark.parametrize("labels, message", [
    (np.array([2.0, 0.0]), "y_true: expected pair labels 1 .similar. or 0 .different., got 2.0"),
    (np.array([np.nan, 0.0]), "y_true: expected pair labels 1 .similar. or 0 .different., got nan"),
    (np.array([1.0, 0.0, 1.0, 0.0]).reshape(2, 2), r"y_true: expected shape \(B,\) or \(B, 1\)"),
])
def test_contrastive_loss_refuses_labels_that_are_not_pair_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        contrastive_loss(labels, D)


def test_contrastive_loss_refuses_distances_that_are_not_one_per_pair():
    with pytest.raises(ValueError, match=r"y_pred: expected shape \(B,\) or \(B, 1\), one value per pair, got \(2, 2"):
        contrastive_loss(np.array([1.0, 0.0, 1.0, 0.0]), np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="one label per distance, got 3 and 2"):
        contrastive_loss(np.array([1.0, 0.0, 1.0]), D)


@pytest.mark.parametrize("margin", [float("nan"), 0.0, -1.0, float("inf"), True])
def test_contrastive_loss_refuses_a_margin_that_is_not_positive_and_finite(margin):
    with pytest.raises(ValueError, match="margin: expected a finite number > 0"):
        contrastive_loss(np.array([1.0, 0.0]), D, margin=margin)


@pytest.mark.parametrize("threshold", [float("nan"), -0.1])
def test_every_threshold_must_be_a_finite_non_negative_number(threshold):
    for call in (lambda: accuracy(np.array([1.0, 0.0]), D, threshold=threshold),
                 lambda: pair_accuracy([0.2, 0.9], [1, 0], threshold=threshold),
                 lambda: hardest_mistakes([0.2, 0.9], [1, 0], threshold=threshold)):
        with pytest.raises(ValueError, match="threshold: expected a finite number >= 0.0"):
            call()


@pytest.mark.parametrize("pair_labels, message", [
    (np.array([5.0, 0.0]), "pair_labels: expected pair labels 1 .similar. or 0 .different., got 5.0"),
    (np.array([np.nan, 0.0]), "pair_labels: expected pair labels 1 .similar. or 0 .different., got nan"),
])
def test_pair_dataset_refuses_labels_that_are_not_pair_labels(pair_labels, message):
    with pytest.raises(ValueError, match=message):
        pair_dataset(np.zeros((2, 28, 28, 1), np.float32), np.array([[0, 1], [1, 0]]), pair_labels)


@pytest.mark.parametrize("seed", [True, -1, 2**32, 1.5])
def test_pair_dataset_refuses_a_seed_that_is_not_a_seed(seed):
    with pytest.raises(ValueError, match="seed: expected a whole number"):
        pair_dataset(np.zeros((2, 28, 28, 1), np.float32), np.array([[0, 1], [1, 0]]), [1.0, 0.0], seed=seed)


def test_pair_dataset_on_no_pairs_is_a_clear_error_not_a_tensorflow_one():
    with pytest.raises(ValueError, match="indices: expected at least one sample"):
        pair_dataset(np.zeros((2, 28, 28, 1), np.float32), np.zeros((0, 2), np.int64), np.zeros(0), seed=1)


def test_preprocess_refuses_to_run_twice_even_on_black_and_white_images():
    once = preprocess(np.array([[[0, 255], [255, 0]]], np.uint8))  # 0.0 and 1.0: whole numbers
    with pytest.raises(ValueError, match="look already scaled"):
        preprocess(once)


def test_split_validation_accepts_a_numpy_fraction():
    (x_train, _), (x_val, _) = split_validation(np.zeros((10, 2)), np.arange(10), fraction=np.float32(0.2))
    assert (len(x_train), len(x_val)) == (8, 2)


def test_display_mistakes_refuses_an_index_that_would_count_from_the_end():
    images, idx = np.zeros((4, 28, 28)), np.array([[0, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"chosen: expected indices into pair_indices, from 0 to 1, got \[-1\]"):
        display_mistakes(images, idx, [0.1, 0.2], [0, 1, 2, 3], chosen=[-1], title="t")


def test_display_pairs_refuses_one_string_as_captions():
    with pytest.raises(TypeError, match="captions: expected one string per pair"):
        display_pairs(np.zeros((3, 2, 28, 28)), [1, 0, 1], captions="abc")


@pytest.mark.parametrize("rng", [-1, True, 2**32])
def test_a_seed_that_numpy_tensorflow_or_keras_would_refuse_is_refused_here(rng):
    with pytest.raises((ValueError, TypeError), match="rng"):
        generate_pair_indices(np.array([0, 0, 1, 1]), rng=rng)


def test_save_figure_needs_a_figure_suffix(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(ValueError, match=r"path: 'x' needs a figure suffix \(.*\.png"):
        save_figure(fig, tmp_path / "x")
    assert save_figure(fig, tmp_path / "x.png").stat().st_size > 0
    plt.close(fig)


def test_saving_a_json_keeps_an_unfinished_save_of_another_file(tmp_path):
    """Saving a.json used to delete the temporary file of a save of a.b.json still in progress."""
    with atomic_path(tmp_path / "a.b.json") as unfinished:
        unfinished.write_text('{"partial": ')
        save_json({"x": 1}, tmp_path / "a.json")
        assert unfinished.exists()
    assert not unfinished.exists() and (tmp_path / "a.b.json").exists()


def test_a_new_artifact_gets_the_usual_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = save_json({"x": 1}, tmp_path / "m.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_the_shared_checks():
    assert check_int(np.int64(3), "n", 1) == 3 and isinstance(check_int(np.int64(3), "n", 1), int)
    for bad in (True, 2.0, "3", None, 0):
        with pytest.raises(ValueError, match="n: expected a whole number >= 1"):
            check_int(bad, "n", 1)
    assert check_number(np.float32(0.5), "x", minimum=0.0) == 0.5
    assert as_rng(7).integers(100) == np.random.default_rng(7).integers(100)
    generator = np.random.default_rng(1)
    assert as_rng(generator) is generator
    assert drop_channel(np.zeros((2, 28, 28, 1))).shape == (2, 28, 28)
    assert drop_channel(np.zeros((2, 2, 28, 28, 1))).shape == (2, 2, 28, 28)
    assert drop_channel(np.zeros((2, 28, 28))).shape == (2, 28, 28)


def test_pairwise_distances_match_the_distance_of_each_pair():
    from helpers.losses import euclidean_distance

    emb = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    matrix = np.asarray(pairwise_distances(emb))
    i, j = np.triu_indices(5, k=1)
    pairwise = np.asarray(euclidean_distance((emb[i], emb[j])))[:, 0]
    np.testing.assert_allclose(matrix[i, j], pairwise, rtol=1e-4)
    np.testing.assert_allclose(np.diag(matrix), np.sqrt(1e-7), rtol=1e-3)  # the ε floor, never 0 or NaN


def test_save_model_refuses_a_path_keras_3_cannot_save_to(tmp_path):
    from helpers.artifacts import save_model
    from helpers.models import siamese_twin

    with pytest.raises(ValueError, match=r"path: Keras 3 saves whole models as '.keras' files, got 'm.h5'"):
        save_model(siamese_twin(), tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_class_counts_counts_each_class_in_order():
    from helpers.data import class_counts

    assert class_counts(np.array([3, 1, 3, 3, 0])) == {0: 1, 1: 1, 3: 3}
    assert list(class_counts(np.array([9, 2, 2]))) == [2, 9]
    with pytest.raises(TypeError, match="labels: expected integer class ids"):
        class_counts(np.array([0.5, 1.0]))


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


def test_a_system_copy_is_used_when_no_folder_or_variable_names_one(tmp_path, monkeypatch):
    from helpers import data

    system = tmp_path / "usr-share-datasets"
    system.mkdir()
    spec = data.DatasetSpec("fashion_mnist", "Fashion-MNIST", "FASHION_MNIST_DIR", data.FASHION_MNIST_SHA256,
                            system_dirs=(str(tmp_path / "missing"), str(system)))
    monkeypatch.setitem(data.DATASETS, "fashion_mnist", spec)
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    source = data.resolve_source(None, "fashion_mnist")
    assert (source.kind, source.directory) == ("idx", system)  # the first system folder that exists
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert data.resolve_source(None, "fashion_mnist").directory == tmp_path  # the variable wins
    system.rmdir()
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert data.resolve_source(None, "fashion_mnist").kind == "keras"  # nothing local: the real download
