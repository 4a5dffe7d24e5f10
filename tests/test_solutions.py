"""Every exercise solution does what the notebooks' exercises ask — on real MNIST where that is cheap."""

import numpy as np
import pytest

from helpers.data import preprocess, split_validation
from helpers.models import siamese_twin
from helpers.pairs import generate_pair_indices
from solutions import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb11, nb12, nb13


def test_nb01_seeds_repeat_and_unused_imports_are_found():
    a, b, c = nb01.same_seed_same_draws(3), nb01.same_seed_same_draws(3), nb01.same_seed_same_draws(4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
    article = "import torch\nimport numpy as np\nfrom tensorflow import keras\nmodel = keras.Model()\nx = np.ones(2)"
    assert nb01.unused_imports(article) == ["torch"]


def test_nb02_preprocess_facts_and_mnist_background(mnist):
    assert nb02.preprocess_facts() == {"shape": (2, 28, 28, 1), "dtype": "float32", "min": 0.0, "max": 1.0}
    assert 0.78 < nb02.background_fraction(mnist[0][0]) < 0.84
    with pytest.raises(ValueError):
        nb02.background_fraction(np.array([]))


def test_nb03_classes_stay_balanced_and_stratified_split_is_exact(mnist):
    (x, y), _ = mnist
    (_, y_train), (_, y_val) = split_validation(x, y)
    for part in (y_train, y_val):
        assert all(0.08 < share < 0.12 for share in nb03.class_fractions(part).values())
    train, val = nb03.stratified_split(y, 0.2, np.random.default_rng(0))
    assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(y)
    for c in range(10):
        assert abs(np.sum(y[val] == c) - 0.2 * np.sum(y == c)) <= 0.5
    with pytest.raises(ValueError, match="validation_fraction"):
        nb03.stratified_split(y, 1.5, np.random.default_rng(0))


def test_nb04_pair_facts_and_confusable_negatives(mnist):
    y = mnist[0][1][:3000]
    indices, labels = generate_pair_indices(y, rng=0)
    facts = nb04.pair_facts(indices, labels, y)
    assert facts == {"self_pairs": 0, "uses_per_anchor": [2], "labels_match_digits": True, "similar_fraction": 0.5}
    pairs = nb04.confusable_negatives(y, {4: 9, 9: 4, 3: 5}, np.random.default_rng(0))
    for a, b in ((4, 9), (9, 4), (3, 5)):
        assert set(y[pairs[y[pairs[:, 0]] == a, 1]]) == {b}
    assert np.all(y[pairs[:, 0]] != y[pairs[:, 1]])


def test_nb05_loss_by_hand_equals_the_helper_and_gradients_match_the_formula():
    from helpers.losses import contrastive_loss

    for y in (0.0, 1.0):
        for d in (0.0, 0.3, 0.99, 1.5):
            helper = float(np.asarray(contrastive_loss(np.array([y], np.float32), np.array([d], np.float32)))[0])
            assert nb05.loss_by_hand(y, d) == pytest.approx(helper, abs=1e-6)
    assert nb05.loss_gradient(1.0, 0.4) == pytest.approx(0.4)
    assert nb05.loss_gradient(0.0, 0.4) == pytest.approx(-0.6)
    assert nb05.loss_gradient(0.0, 1.3) == 0.0
    assert all(nb05.accuracy_threshold_equivalence(d) for d in np.linspace(0, 2, 41))


def test_nb06_parameter_count_and_map_sizes_match_the_model():
    twin = siamese_twin()
    assert nb06.twin_parameter_count() == twin.count_params() == 107_456
    convs = [layer for layer in twin.layers if layer.__class__.__name__ == "Conv2D"]
    pools = [layer for layer in twin.layers if layer.__class__.__name__ == "MaxPooling2D"]
    expected = [(c.output.shape[1], p.output.shape[1]) for c, p in zip(convs, pools)]
    assert nb06.feature_map_sizes() == expected == [(27, 13), (12, 6), (5, 2)]


def test_nb07_largest_layer_and_flops():

    from bench_training import model_flops

    twin = siamese_twin()
    assert nb07.largest_layer(twin) == ("conv2", 65_664)
    assert nb07.forward_flops_by_hand() == model_flops(twin)
    assert 21e6 < nb07.forward_flops_by_hand() < 21.5e6


def test_nb08_steps_and_early_stopping():
    assert nb08.steps_per_epoch() == 1500 and nb08.steps_per_epoch(100, 64) == 2
    callback = nb08.early_stopping(3)
    assert (callback.monitor, callback.patience, callback.restore_best_weights) == ("val_loss", 3, True)


def test_nb09_accuracy_by_digit_and_confusions():
    correct = np.array([1, 0, 1, 1, 0, 1], bool)
    digits = np.array([4, 4, 9, 9, 9, 1])
    assert nb09.accuracy_by_digit(correct, digits) == {1: 1.0, 4: 0.5, 9: pytest.approx(2 / 3)}
    fp = np.array([[4, 9], [9, 4], [3, 5], [4, 9], [7, 1]])
    assert nb09.most_confused(fp, k=2) == [((4, 9), 3), ((3, 5), 1)]


def test_nb10_constant_model_optimism_and_fpr_threshold():
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 500)
    assert nb10.auc_of_a_constant_model(y) == 0.5
    d_val = np.abs(np.where(y == 1, rng.normal(0.4, 0.2, 1000), rng.normal(0.9, 0.2, 1000)))  # distances: >= 0
    d_test = np.abs(np.where(y == 1, rng.normal(0.4, 0.2, 1000), rng.normal(0.9, 0.2, 1000)))
    assert nb10.optimism_of_choosing_on_test(d_val, y, d_test, y) >= 0
    threshold, tpr = nb10.threshold_for_false_positive_rate(d_test, y, max_fpr=0.01)
    assert np.mean(d_test[y == 0] < threshold) <= 0.01
    assert np.mean(d_test[y == 0] <= threshold) > 0.01  # no larger threshold would do
    assert tpr == np.mean(d_test[y == 1] < threshold) and 0 < tpr < 1


def clusters(rng, n, spread):
    labels = np.repeat(np.arange(3), n)
    return np.eye(3)[labels] * 4 + rng.normal(0, spread, (len(labels), 3)), labels


def test_nb11_class_distances_prototypes_and_unknown_classes():
    rng = np.random.default_rng(0)
    x, y = clusters(rng, 100, 1.0)
    xt, yt = clusters(rng, 100, 1.0)
    dist = nb11.class_mean_distances(x, y)
    assert dist.shape == (3, 3) and np.allclose(np.diag(dist), 0) and np.allclose(dist, dist.T)
    assert dist[0, 1] == pytest.approx(4 * np.sqrt(2), rel=0.1)
    assert nb11.prototype_accuracy(x, y, xt, yt, shots=10, rng=rng) > 0.95
    unknown = rng.normal(0, 0.3, (50, 3)) + np.array([-6.0, -6.0, -6.0])
    assert nb11.looks_unknown(x, unknown).all()
    assert nb11.looks_unknown(x, xt).mean() < 0.05


def test_nb12_similar_share_and_batch_hard_loss_against_brute_force():
    assert nb12.similar_share_in_batch(np.repeat(np.arange(10), 10)) == pytest.approx(9 / 99)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 10)
    emb = rng.normal(0, 0.3, (10, 4)).astype(np.float32)
    d = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    expected = []
    for i in range(10):
        same = (labels == labels[i]) & (np.arange(10) != i)
        far = d[i, same].max() if same.any() else 0.0
        near = d[i, labels != labels[i]].min()
        expected.append(far**2 / 2 + max(0.0, 1 - near) ** 2 / 2)
    assert float(nb12.batch_hard_contrastive_loss(labels, emb)) == pytest.approx(np.mean(expected), rel=1e-3)


def test_nb13_view_matching_accuracy():
    z = np.eye(4)
    assert nb13.view_matching_accuracy(z, z) == 1.0
    assert nb13.view_matching_accuracy(z, np.roll(z, 1, axis=0)) == 0.0


def test_every_notebook_has_exercises_and_a_solutions_module():
    import importlib
    import json
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert "**Exercises**" in text, f"{path.name} has no exercises"
        assert text.count("*(recall)*") + text.count("*(apply)*") + text.count("*(design)*") >= 2, path.name
        assert f"solutions/nb{path.name[:2]}.py" in text, f"{path.name} does not say where its solutions are"
        module = importlib.import_module(f"solutions.nb{path.name[:2]}")
        assert module.__doc__
