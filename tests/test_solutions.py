"""Every exercise solution does what the notebooks' exercises ask — on real MNIST where that is cheap.

Each check compares a solution with something computed another way (a helper, brute force, Keras itself,
a Monte Carlo draw) or with a value worked out by hand, so that a wrong answer fails.
"""

import json
import math

import numpy as np
import pytest

from helpers.data import class_counts, preprocess, split_validation
from helpers.models import siamese_network, siamese_twin
from helpers.pairs import generate_pair_indices
from solutions import (
    nb01,
    nb02,
    nb03,
    nb04,
    nb05,
    nb06,
    nb07,
    nb08,
    nb09,
    nb10,
    nb11,
    nb12,
    nb13,
    nb14,
    nb15,
    nb16,
    nb17,
)


def test_nb01_one_seed_starts_one_sequence_and_hidden_generators_escape_it():
    import keras

    draws = nb01.draws_after_one_seed(3)
    assert not np.array_equal(draws["numpy_first"], draws["numpy_second"])
    assert not np.allclose(draws["keras_first"], draws["keras_second"])
    continued = np.random.default_rng(3).integers(0, 10, 16)  # one sequence: the second draw continues it
    np.testing.assert_array_equal(np.concatenate([draws["numpy_first"], draws["numpy_second"]]), continued)
    again = nb01.draws_after_one_seed(3)
    for key, values in draws.items():
        np.testing.assert_array_equal(values, again[key])  # seeding again restarts the whole sequence

    article = "import torch\nimport numpy as np\nfrom tensorflow import keras\nmodel = keras.Model()\nx = np.ones(2)"
    assert nb01.unused_imports(article) == ["torch"]

    assert nb01.repeats_under_seed(lambda rng: rng.integers(0, 10**9, 5))
    assert nb01.repeats_under_seed(lambda rng: np.random.randint(0, 10**9, 5))  # NumPy's global state is seeded
    assert nb01.repeats_under_seed(lambda rng: keras.random.normal((3,)))
    assert not nb01.repeats_under_seed(lambda rng: np.random.default_rng().integers(0, 10**9, 5))


def accepted_by_preprocess(images) -> bool:
    try:
        preprocess(images)
    except (ValueError, TypeError):
        return False
    return True


def test_nb02_the_preprocess_rule_agrees_with_preprocess(mnist):
    x = mnist[0][0][:2]
    exercise = {"uint8 digits": x, "float64 copy": x.astype(np.float64), "preprocess's output": preprocess(x),
                "0/1 float32": (x > 127).astype(np.float32), "0/1 uint8": (x > 127).astype(np.uint8)}
    assert [nb02.looks_raw(images) for images in exercise.values()] == [True, True, False, False, True]
    more = {"halves": x / 2.0, "256": x.astype(np.int32) + 1, "negative": -x.astype(np.int32),
            "all-zero float": np.zeros((2, 28, 28)), "NaN": np.full((2, 28, 28), np.nan)}
    for name, images in {**exercise, **more}.items():
        assert nb02.looks_raw(images) == accepted_by_preprocess(images), name


def test_nb02_the_half_fix_trains_silently_on_labels_that_no_longer_match(mnist):
    from helpers.pairs import generate_pairs_loop

    x, y = mnist[0][0][:2000], mnist[0][1][:2000]
    pairs, pair_labels = generate_pairs_loop(x, y, np.random.default_rng(0))
    assert nb02.label_agreement(pairs, pair_labels, x, y) == 1.0
    pairs, pair_labels = nb02.half_fixed_pairs(x, y, np.random.default_rng(0))
    assert pair_labels.shape == (4000,) and pair_labels.mean() == 0.5  # right length, right balance
    assert 0.45 < nb02.label_agreement(pairs, pair_labels, x, y) < 0.55  # ... and a coin toss
    small = preprocess(x[:12])
    assert nb02.fit_error(np.stack([small, small], axis=1), pair_labels[:12]) is None  # fit says nothing
    assert "'y' sizes: 0" in nb02.fit_error(np.stack([small, small], axis=1), np.array([], np.float32))


def test_nb02_a_single_image_of_a_digit_gets_its_shifted_copy_as_partner(mnist):
    x, y = mnist[0][0][:12], mnist[0][1][:12]
    singles = [int(c) for c, n in class_counts(y).items() if n == 1]
    assert singles == [0, 2, 9]  # notebook 02: generate_pairs refuses these first twelve digits
    with pytest.raises(ValueError, match="single sample"):
        generate_pair_indices(y, rng=0)
    pairs, pair_labels = nb02.pairs_keeping_singletons(x, y, np.random.default_rng(0))
    assert pairs.shape == (24, 2, 28, 28) and pair_labels.tolist() == [1.0] * 12 + [0.0] * 12
    for k, (anchor, partner) in enumerate(pairs):
        i = k % 12
        np.testing.assert_array_equal(anchor, x[i])
        matches = [j for j in range(12) if np.array_equal(partner, x[j])]
        if k >= 12:  # different pairs: another digit
            assert matches and all(y[j] != y[i] for j in matches)
        elif y[i] in singles:
            np.testing.assert_array_equal(partner, np.roll(x[i], 2, axis=1))
            assert not matches  # not an image of the data set, itself included
        else:
            assert matches and all(j != i and y[j] == y[i] for j in matches)


def test_nb03_a_sorted_file_the_share_gap_and_the_stratified_split(mnist):
    (x, y), _ = mnist
    starts = np.concatenate([[0], np.cumsum(np.bincount(y))[:-1]])  # where each digit would begin if sorted
    assert nb03.validation_digits_if_sorted(y) == [d for d in range(10) if starts[d] < 12_000] == [0, 1]

    assert nb03.share_gap(np.array([0, 0, 0, 1, 1, 1, 1, 1]), np.array([0, 3])) == pytest.approx(1 / 6)  # ½−⅓
    (_, y_train), (_, y_val) = split_validation(x, y)
    first = nb03.share_gap(y, np.arange(len(y_val)))
    train_counts, val_counts = class_counts(y_train), class_counts(y_val)
    by_counts = max(abs(val_counts[d] / len(y_val) - train_counts[d] / len(y_train)) for d in range(10))
    assert first == pytest.approx(by_counts)
    gaps = nb03.random_split_gaps(y, 0.2, np.random.default_rng(0), draws=50)
    assert gaps.shape == (50,) and gaps.min() <= first <= gaps.max()  # an ordinary random split

    train, val = nb03.stratified_split(y, 0.2, np.random.default_rng(0))
    assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(y)
    for c in range(10):
        assert abs(np.sum(y[val] == c) - 0.2 * np.sum(y == c)) <= 0.5
    assert nb03.share_gap(y, val) < 1e-3 < first
    with pytest.raises(ValueError, match="validation_fraction"):
        nb03.stratified_split(y, 1.5, np.random.default_rng(0))


def test_nb04_random_pairs_partners_and_confusable_negatives(mnist):
    (_, y), _ = split_validation(*mnist[0])
    assert nb04.random_pair_similar_share(np.array([0, 0, 1])) == pytest.approx(1 / 3)  # (0,1) of three pairs
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(y), 200_000), rng.integers(0, len(y), 200_000)
    monte_carlo = np.mean(y[a[a != b]] == y[b[a != b]])
    assert nb04.random_pair_similar_share(y) == pytest.approx(monte_carlo, abs=0.003)

    assert nb04.never_a_partner(np.array([[0, 1], [1, 0], [2, 1], [3, 1]]), 5) == pytest.approx(3 / 5)
    indices, _ = generate_pair_indices(y, rng=0)
    assert nb04.never_a_partner(indices, len(y)) == pytest.approx(math.exp(-2), abs=0.01)

    y = y[:3000]
    pairs = nb04.confusable_negatives(y, {4: 9, 9: 4, 3: 5}, np.random.default_rng(0))
    for a, b in ((4, 9), (9, 4), (3, 5)):
        assert set(y[pairs[y[pairs[:, 0]] == a, 1]]) == {b}
    assert np.all(y[pairs[:, 0]] != y[pairs[:, 1]])


def test_nb05_binary_accuracy_gradients_conventions_and_margins():
    from helpers.losses import contrastive_loss, contrastive_loss_gradient

    rng = np.random.default_rng(0)
    d = rng.uniform(0, 2, 1000).astype(np.float32)
    y = rng.integers(0, 2, 1000).astype(np.float32)
    np.testing.assert_array_equal(nb05.keras_binary_accuracy(y, d), ((d < 0.5) == (y == 1)).astype(np.float32))

    a, b = np.array([0.0, 0.0]), np.array([0.3, 0.4])  # the exercise's pair, d = 0.5: descent moves against these
    np.testing.assert_allclose(nb05.embedding_gradients(1.0, a, b)[0], [-0.3, -0.4], atol=1e-6)  # pulled together
    np.testing.assert_allclose(nb05.embedding_gradients(0.0, a, b)[0], [0.3, 0.4], atol=1e-6)  # pushed apart
    np.testing.assert_allclose(nb05.embedding_gradients(0.0, a, b, margin=2.0)[0], [0.9, 1.2], atol=1e-6)
    for label, margin in [(1, 1.0), (0, 1.0), (0, 2.0), (0, 0.3)]:  # the chain rule: dL/dd along the unit a − b
        a, b = rng.normal(0, 0.5, 4), rng.normal(0, 0.5, 4)
        distance = np.linalg.norm(a - b)
        expected = contrastive_loss_gradient([distance], label, margin)[0] * (a - b) / distance
        grad_a, grad_b = nb05.embedding_gradients(float(label), a, b, margin)
        np.testing.assert_allclose(grad_a, expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(grad_b, -expected, rtol=1e-4, atol=1e-6)

    np.testing.assert_allclose(nb05.hadsell_loss(1 - y, d), np.asarray(contrastive_loss(y, d)), rtol=1e-5, atol=1e-7)
    # by hand: 0.0025 = mean(½·0.1², ½·0.1², 0, 0) and 0.765 = mean(½·1.5², ½·1.5², ½·(1 − 0.1)², ½·(1 − 0.1)²)
    losses = nb05.swapped_convention_losses()
    assert losses["good, article's formula"] == pytest.approx(0.0025)
    assert losses["bad, article's formula"] == pytest.approx(0.765)
    assert losses["good, Hadsell's formula with 1 = similar"] == pytest.approx(0.765)
    assert losses["bad, Hadsell's formula with 1 = similar"] == pytest.approx(0.0025)

    by_formula = y / 2 * np.maximum(d - 0.2, 0) ** 2 + (1 - y) / 2 * np.maximum(1.5 - d, 0) ** 2
    ours = np.asarray(nb05.double_margin_loss(y, d[:, None], margin=1.5, positive_margin=0.2))
    assert ours.shape == (1000,)
    np.testing.assert_allclose(ours, by_formula, rtol=1e-5, atol=1e-7)
    no_second_margin = np.asarray(nb05.double_margin_loss(y, d, positive_margin=0.0))
    np.testing.assert_allclose(no_second_margin, np.asarray(contrastive_loss(y, d)), rtol=1e-6)  # the article's
    assert nb05.double_margin_gradient(1.0, 0.1) == 0.0  # similar, inside m_p = 0.2: no pull
    assert nb05.double_margin_gradient(0.0, 1.3) == 0.0  # different, beyond m = 1: no push
    assert nb05.double_margin_gradient(1.0, 0.5) == pytest.approx(0.3)  # d − m_p
    assert nb05.double_margin_gradient(0.0, 0.4) == pytest.approx(-0.6)  # −(m − d), as contrastive_loss
    with pytest.raises(ValueError, match="positive_margin"):
        nb05.double_margin_loss(y, d, margin=1.0, positive_margin=1.0)


def test_nb06_shared_weights_dropout_and_unit_length_embeddings(mnist):
    x = preprocess(mnist[0][0][:8])
    a, b = x[:4], x[4:]
    two = nb06.separate_twins_network()
    assert two.count_params() == 2 * siamese_twin().count_params() == 214_912
    shared, separate = nb06.symmetry_report(siamese_network(), a, b), nb06.symmetry_report(two, a, b)
    assert shared["self_distance"] == pytest.approx(np.sqrt(1e-7), rel=1e-2) and shared["asymmetry"] < 1e-6
    assert separate["self_distance"] > 0.01 and separate["asymmetry"] > 1e-4

    gaps = nb06.dropout_self_distances(siamese_twin(), a)
    assert np.all(gaps["training"] > 0.01) and np.all(gaps["inference"] == 0)

    twin = nb06.unit_norm_twin()
    assert twin.count_params() == siamese_twin().count_params()
    np.testing.assert_allclose(np.linalg.norm(np.asarray(twin(x)), axis=1), 1.0, rtol=1e-5)


def flatten_twin(size: int):
    """The article's twin with Flatten in place of global average pooling, built independently of the solution."""
    import keras
    from keras import layers

    inputs = keras.Input((size, size, 1))
    z = inputs
    for filters in (128, 128, 64):
        z = layers.Dropout(0.4)(layers.MaxPooling2D((2, 2))(layers.Conv2D(filters, (2, 2), activation="relu")(z)))
    return keras.Model(inputs, layers.Dense(128)(layers.Flatten()(z)))


def test_nb07_parameters_by_hand_flops_and_image_size():
    from bench_training import model_flops

    for dim in (2, 32, 128, 300):
        assert nb07.parameters_with_embedding(dim) == siamese_twin(embedding_dim=dim).count_params()
    twin = siamese_twin()
    assert nb07.forward_flops_by_hand() == model_flops(twin)
    assert 21e6 < nb07.forward_flops_by_hand() < 21.5e6
    for size in (28, 56, 100):
        assert nb07.parameters_for_image_size(size) == siamese_twin(input_shape=(size, size, 1)).count_params()
        assert nb07.parameters_for_image_size(size, "flatten") == flatten_twin(size).count_params()
    siamese_twin(input_shape=(56, 56, 1)).set_weights(twin.get_weights())  # one set of weights fits both sizes
    with pytest.raises(ValueError):
        flatten_twin(56).set_weights(flatten_twin(28).get_weights())


def test_nb08_validation_metrics_by_hand_are_what_evaluate_reports(mnist):
    from helpers.losses import accuracy, contrastive_loss
    from helpers.pairs import pair_dataset
    from helpers.repro import set_seed

    rng = set_seed(0)
    (_, _), (x_val, y_val) = split_validation(*mnist[0])
    images = preprocess(x_val[:100])
    indices, labels = generate_pair_indices(y_val[:100], rng)
    twin = siamese_twin()
    model = siamese_network(twin)
    d = np.asarray(model.predict([images[indices[:, 0]], images[indices[:, 1]]], verbose=0)).ravel()
    embedding = twin.get_layer("embedding")  # distances scale with its kernel: put half of them beyond 0.5
    embedding.kernel.assign(embedding.kernel * (0.5 / np.median(d)))
    model.compile(optimizer="adam", loss=contrastive_loss, metrics=[accuracy])
    by_keras = model.evaluate(pair_dataset(images, indices, labels, batch_size=64), return_dict=True, verbose=0)
    ours = nb08.validation_metrics_by_hand(model, images, indices, labels)
    assert ours["val_loss"] == pytest.approx(by_keras["loss"], rel=1e-5)
    assert ours["val_accuracy"] == pytest.approx(by_keras["accuracy"], abs=1e-6)


def test_nb08_expected_initial_loss_and_early_stopping():
    import keras

    assert nb08.expected_initial_loss(0.0) == 0.25 and nb08.expected_initial_loss(1.0) == 0.25
    assert nb08.expected_initial_loss(0.5) == pytest.approx(0.125)
    assert nb08.expected_initial_loss(0.1) == pytest.approx(0.25 * 0.01 + 0.25 * 0.81)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback = nb08.early_stopping(patience=2)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, val_loss in enumerate([0.5, 0.4, 0.45, 0.46, 0.3]):
        model.layers[0].kernel.assign([[float(epoch)]])  # the weights remember their epoch
        callback.on_epoch_end(epoch, {"val_loss": val_loss})
        if model.stop_training:
            break
    callback.on_train_end()
    assert epoch == 3  # two epochs without improving on epoch 1
    assert float(model.layers[0].kernel[0, 0]) == 1.0  # epoch 1's weights are back


def test_nb08_the_untrained_loss_is_what_the_formula_expects(mnist):
    from helpers.repro import set_seed

    rng = set_seed(0)
    (_, _), (x_val, y_val) = split_validation(*mnist[0])
    indices, labels = generate_pair_indices(y_val[:100], rng)
    check = nb08.initial_loss_check(siamese_network(), preprocess(x_val[:100]), indices, labels)
    assert 0.15 < check["measured"] < 0.25
    assert check["expected"] == pytest.approx(check["measured"], abs=0.02)


def test_nb09_error_rates_and_standard_errors():
    d = [0.1, 0.3, 0.45, 0.6, 0.35, 0.55, 0.9, 1.2]
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    assert nb09.error_rates(d, y, 0.5) == {"false_positive_rate": 0.25, "false_negative_rate": 0.25}
    assert nb09.error_rates(d, y, 0.4) == {"false_positive_rate": 0.25, "false_negative_rate": 0.5}
    assert nb09.error_rates(d, y, 0.3) == {"false_positive_rate": 0.0, "false_negative_rate": 0.75}

    rng = np.random.default_rng(0)
    correct = rng.random(20_000) < 0.91
    simulated = rng.binomial(20_000, 0.91, 5000) / 20_000  # the accuracies of 5,000 test sets of independent pairs
    assert nb09.accuracy_standard_error(correct) == pytest.approx(np.std(simulated), rel=0.1)

    anchors = np.repeat(np.arange(5000), 2)  # two pairs per anchor image
    shared = np.repeat(rng.random(5000) < 0.9, 2)  # both pairs of an anchor right or both wrong
    independent = rng.random(10_000) < 0.9
    se = nb09.anchor_bootstrap_standard_error
    assert se(shared, anchors, rng) == pytest.approx(math.sqrt(2) * nb09.accuracy_standard_error(shared), rel=0.15)
    assert se(independent, anchors, rng) == pytest.approx(nb09.accuracy_standard_error(independent), rel=0.15)


def test_nb10_auc_of_constant_and_reversed_models_optimism_and_fpr_threshold():
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 500)
    d = np.abs(np.where(y == 1, rng.normal(0.4, 0.2, 1000), rng.normal(0.9, 0.2, 1000)))
    similar, different = d[y == 1], d[y == 0]
    brute = np.mean(similar[:, None] < different[None, :]) + 0.5 * np.mean(similar[:, None] == different[None, :])
    aucs = nb10.auc_of_constant_and_reversed(d, y)
    assert aucs["original"] == pytest.approx(brute)
    assert aucs["constant"] == 0.5 and aucs["reversed"] == pytest.approx(1 - brute)

    # validation picks 0.5; on the test pairs 0.55 < 0.575 < 0.6 would be perfect: 3/4 honest, 4/4 chosen on test
    d_val, d_test, labels = [0.2, 0.3, 0.7, 0.8], [0.1, 0.55, 0.6, 0.9], [1, 1, 0, 0]
    assert nb10.optimism_of_choosing_on_test(d_val, labels, d_test, labels) == pytest.approx(0.25)

    threshold, tpr = nb10.threshold_for_false_positive_rate(d, y, max_fpr=0.01)
    assert np.mean(d[y == 0] < threshold) <= 0.01
    assert np.mean(d[y == 0] <= threshold) > 0.01  # no larger threshold would do
    assert tpr == np.mean(d[y == 1] < threshold) and 0 < tpr < 1
    with pytest.raises(ValueError, match="max_fpr"):
        nb10.threshold_for_false_positive_rate(d, y, max_fpr=1.0)


def clusters(rng, n, spread):
    labels = np.repeat(np.arange(3), n)
    return np.eye(3)[labels] * 4 + rng.normal(0, spread, (len(labels), 3)), labels


def test_nb11_pca_never_stretches_prototypes_and_unknown_classes():
    from sklearn.decomposition import PCA

    from helpers.evaluation import knn_accuracy

    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 20)) * np.linspace(3, 0.1, 20)
    assert nb11.largest_stretch(points, PCA(2).fit(points[:150]).transform(points)) <= 1 + 1e-9
    flat = np.zeros((60, 20))
    flat[:, :2] = rng.normal(size=(60, 2))  # points on a plane: PCA keeps every distance
    assert nb11.largest_stretch(flat, PCA(2).fit_transform(flat)) == pytest.approx(1.0)
    squeezed = flat[:, :2] * [2.0, 1.0]  # a map that stretches one direction only
    diff_x, diff_y = flat[:, None, 0] - flat[None, :, 0], flat[:, None, 1] - flat[None, :, 1]
    off_diagonal = ~np.eye(60, dtype=bool)
    brute = np.max(np.sqrt(4 * diff_x**2 + diff_y**2)[off_diagonal] / np.hypot(diff_x, diff_y)[off_diagonal])
    assert nb11.largest_stretch(flat, squeezed) == pytest.approx(brute)

    # class 0's examples at 0 and 10 (mean 5), class 1's at 6.5 and 7.5 (mean 7): a query at 9.5 is nearest
    # to the single example 10 (class 0) but to the prototype 7 (class 1)
    e_train, y_train, e_query, y_query = np.array([[0.0], [10.0], [6.5], [7.5]]), np.array([0, 0, 1, 1]), [[9.5]], [1]
    assert nb11.prototype_accuracy(e_train, y_train, np.array(e_query), np.array(y_query), 2, rng) == 1.0
    assert knn_accuracy(e_train, y_train, e_query, y_query, k=1) == 0.0
    x, y = clusters(rng, 100, 1.0)
    xt, yt = clusters(rng, 100, 1.0)
    assert nb11.prototype_accuracy(x, y, xt, yt, shots=10, rng=rng) > 0.95

    unknown = rng.normal(0, 0.3, (50, 3)) + np.array([-6.0, -6.0, -6.0])
    assert nb11.looks_unknown(x, unknown).all()
    assert nb11.looks_unknown(x, xt).mean() < 0.05


def test_nb12_active_negative_term_gain_and_batch_hard_loss_against_brute_force():
    from helpers.losses import batch_contrastive_loss

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 12)
    emb = rng.normal(0, 0.4, (12, 4)).astype(np.float32)
    d = np.linalg.norm(emb[:, None].astype(np.float64) - emb[None], axis=2)
    similar = (labels[:, None] == labels[None, :]) & ~np.eye(12, dtype=bool)
    similar_term = np.mean(d[similar] ** 2 / 2)
    helper = float(batch_contrastive_loss(labels, emb))
    assert similar_term + nb12.active_negative_term(labels, emb) == pytest.approx(helper, rel=1e-4)
    far = (np.eye(3)[labels] * 5).astype(np.float32)  # one point per class, 5·√2 apart: no negative inside the margin
    assert nb12.active_negative_term(labels, far) == 0.0
    assert float(batch_contrastive_loss(labels, far)) == pytest.approx(0.0, abs=1e-5)  # finite, not 0/0

    article, short, full = {"test_accuracy": 0.92}, {"test_accuracy": 0.99}, {"test_accuracy": 0.9946}
    assert nb12.gain_kept(article, short, full) == pytest.approx(0.07 / 0.0746)
    assert nb12.gain_kept(article, article, full) == 0.0 and nb12.gain_kept(article, full, full) == 1.0
    with pytest.raises(ValueError, match="test_accuracy"):
        nb12.gain_kept(article, short, article)

    labels = rng.integers(0, 3, 10)
    emb = rng.normal(0, 0.3, (10, 4)).astype(np.float32)
    d = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    expected = []
    for i in range(10):
        same = (labels == labels[i]) & (np.arange(10) != i)
        farthest = d[i, same].max() if same.any() else 0.0
        nearest = d[i, labels != labels[i]].min()
        expected.append(farthest**2 / 2 + max(0.0, 1 - nearest) ** 2 / 2)
    assert float(nb12.batch_hard_contrastive_loss(labels, emb)) == pytest.approx(np.mean(expected), rel=1e-3)


def test_nb13_collapse_scores_chance_and_temperature_focuses_on_hard_negatives():
    for batch_size in (2, 8, 64):
        for temperature in (0.1, 1.0):
            assert nb13.collapsed_loss(batch_size, temperature) == pytest.approx(math.log(2 * batch_size - 1), rel=1e-5)
    similarities = [0.8, 0.3, 0.1]
    shares = {}
    for temperature in (0.2, 1.0):
        weights = [math.exp(s / temperature) for s in similarities]
        shares[temperature] = nb13.hardest_negative_share(similarities, temperature)
        assert shares[temperature] == pytest.approx(weights[0] / sum(weights))
    assert shares[0.2] > shares[1.0] > 1 / 3


def test_nb13_rotate_turns_counter_clockwise(mnist):
    dot = np.zeros((1, 28, 28, 1), np.float32)
    dot[0, 2, 13:15] = 1.0
    np.testing.assert_allclose(nb13.rotate(dot, 90)[0, ..., 0], np.rot90(dot[0, ..., 0]), atol=1e-4)
    x_small = preprocess(mnist[1][0][:4])
    np.testing.assert_allclose(nb13.rotate(x_small, 0), x_small, atol=1e-6)


def test_nb13_raw_pixels_do_not_survive_rotation(mnist):
    from helpers.evaluation import knn_accuracy

    (x_train, y_train), (x_test, y_test) = mnist

    def pixels(images):
        return images.reshape(len(images), -1)

    xs, ys, xt, yt = preprocess(x_train[:2000]), y_train[:2000], preprocess(x_test[:300]), y_test[:300]
    upright = nb13.rotated_knn_accuracy(pixels, xs, ys, xt, yt, 0)
    assert upright == pytest.approx(knn_accuracy(pixels(xs), ys, pixels(xt), yt, k=1))
    assert nb13.rotated_knn_accuracy(pixels, xs, ys, xt, yt, 30) < upright - 0.1  # pixels are not rotation-proof


def test_every_notebook_has_exercises_and_a_solutions_module():
    import importlib
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert "**Exercises**" in text, f"{path.name} has no exercises"
        kinds = {kind: text.count(f"*({kind})*") for kind in ("recall", "apply", "design")}
        if "optional appendix" in "".join(json.loads(path.read_text())["cells"][0]["source"]):
            assert sum(kinds.values()) >= 2, f"{path.name}: an appendix asks at least two questions"
        else:
            assert all(kinds.values()), f"{path.name}: every notebook asks a recall, an apply and a design question"
        assert sum(kinds.values()) <= 4, f"{path.name}: {sum(kinds.values())} exercises, at most 4"
        assert f"solutions/nb{path.name[:2]}.py" in text, f"{path.name} does not say where its solutions are"
        module = importlib.import_module(f"solutions.nb{path.name[:2]}")
        assert module.__doc__


def test_nb14_semihard_triplets_by_hand_agree_with_the_helpers():
    from helpers.losses import pairwise_distances, semihard_negatives, triplet_semihard_loss

    points, classes = [[0.0], [0.6], [0.4], [2.8], [1.5]], [0, 0, 1, 1, 2]  # the exercise's batch
    triplets, mean = nb14.semihard_triplets(points, classes)
    assert [(a, p) for a, p, *_ in triplets] == [(0, 1), (1, 0), (2, 3), (3, 2)]  # both directions; class 2 has none
    np.testing.assert_allclose([d_an for *_, d_an, _ in triplets], [1.5, 0.9, 1.1, 2.8], atol=1e-9)  # 1.1: fallback
    np.testing.assert_allclose([loss for *_, loss in triplets], [0.1, 0.7, 2.3, 0.6], atol=1e-9)
    assert mean == pytest.approx(0.925)

    rng = np.random.default_rng(0)
    for margin in (0.5, 1.0):
        emb, labels = rng.normal(0, 0.6, (12, 3)).astype(np.float32), rng.integers(0, 3, 12)
        triplets, mean = nb14.semihard_triplets(emb, labels, margin)
        assert mean == pytest.approx(float(triplet_semihard_loss(labels, emb, margin=margin)), rel=1e-4)
        chosen = np.asarray(semihard_negatives(labels, pairwise_distances(emb)))
        for a, p, d_an, _ in triplets:
            assert d_an == pytest.approx(chosen[a, p], rel=1e-4)


def test_nb14_supcon_with_one_positive_per_image_is_nt_xent():
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(8, 5)), rng.normal(size=(8, 5))
    for temperature in (0.1, 0.5):
        supcon, nt_xent = nb14.supcon_as_nt_xent(z1, z2, temperature)
        assert supcon == pytest.approx(nt_xent, rel=1e-5)


def test_nb14_the_paired_standard_error_is_smaller_when_two_models_share_their_mistakes():
    rng = np.random.default_rng(0)
    n = 10_000
    a = rng.random(n) < 0.95
    b = a.copy()
    flips = rng.choice(n, 200, replace=False)
    b[flips] = ~b[flips]  # b differs from a on 200 images only: shared mistakes
    independent, paired = nb14.paired_standard_errors(a, b)
    pa, pb = a.mean(), b.mean()
    assert independent == pytest.approx(np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n))
    d = a.astype(float) - b.astype(float)
    assert paired == pytest.approx(np.sqrt(np.mean((d - d.mean()) ** 2) / n))  # by hand
    assert paired < independent / 2
    unrelated = rng.random(n) < 0.95  # mistakes unrelated to a's: the two errors agree
    independent, paired = nb14.paired_standard_errors(a, unrelated)
    assert paired == pytest.approx(independent, rel=0.05)
    with pytest.raises(ValueError, match="one length"):
        nb14.paired_standard_errors(a, b[:10])


def test_nb15_global_moments_from_the_replicas_sums_are_the_whole_batchs():
    rng = np.random.default_rng(0)
    shares = [rng.normal(loc, 1.0, (16, 5)) for loc in (0.0, 2.0, -1.0, 0.5)]  # shares with different means
    mean, variance = nb15.global_moments(shares)
    whole = np.concatenate(shares)
    np.testing.assert_allclose(mean, whole.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(variance, whole.var(axis=0), rtol=1e-10)  # batch norm's biased variance
    own = np.mean([share.var(axis=0) for share in shares], axis=0)  # each replica on its own share
    assert np.all(own < variance)  # misses the spread between the shares' means
    mean, variance = nb15.global_moments([np.array([1.0, 2.0]), np.array([3.0, 6.0])])
    assert mean.tolist() == [3.0] and variance.tolist() == [3.5]  # (1 + 4 + 9 + 36) / 4 − 9, by hand


def test_nb15_gather_by_padding_stacks_the_shares_in_replica_order():
    rng = np.random.default_rng(0)
    shares = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    np.testing.assert_array_equal(nb15.gather_by_padding(shares), np.concatenate(shares))
    labels = [np.array([1, 2]), np.array([3, 4])]
    np.testing.assert_array_equal(nb15.gather_by_padding(labels), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="as many rows"):
        nb15.gather_by_padding([np.zeros((2, 3)), np.zeros((3, 3))])


def test_nb16_cluster_configs_are_what_tf_config_gives_each_worker():
    from helpers.distribute import tf_config

    addresses = ["10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2345"]
    configs = nb16.cluster_configs(addresses)
    assert configs == [tf_config(addresses, index) for index in range(3)]
    parsed = [json.loads(config) for config in configs]
    assert all(p["cluster"] == {"worker": addresses} for p in parsed)  # the same list on every machine
    assert [p["task"] for p in parsed] == [{"type": "worker", "index": i} for i in range(3)]  # its own place
    with pytest.raises(ValueError, match="addresses"):
        nb16.cluster_configs([])
    with pytest.raises(ValueError, match="distinct"):
        nb16.cluster_configs(["10.0.0.1:2222", "10.0.0.1:2222"])


def test_nb16_scaled_recipe_keeps_each_replica_batch_and_scales_adams_rate_with_the_square_root():
    from helpers.models import warmup_cosine

    one = nb16.scaled_recipe(48_000, 256, 1, 0.003, 7)
    assert one == {"global_batch": 256, "steps": 187 * 7, "warmup_steps": 130, "peak_learning_rate": 0.003}
    eight = nb16.scaled_recipe(48_000, 256, 8, 0.003, 7)
    assert eight["global_batch"] == 2048 and eight["steps"] == 23 * 7  # 48,000 // 2,048 = 23 whole batches
    assert warmup_cosine(eight["steps"], 0.024).warmup_steps == eight["warmup_steps"] == 16  # notebook 12's rule
    assert eight["peak_learning_rate"] == pytest.approx(0.003 * 8**0.5)
    with pytest.raises(ValueError, match="at least one whole global batch"):
        nb16.scaled_recipe(1_000, 256, 8, 0.003, 7)
    with pytest.raises(ValueError):
        nb16.scaled_recipe(48_000, 256, 0, 0.003, 7)



def test_nb15_trains_like_one_device_within_the_tolerance_on_steps_and_held_out_loss():
    one = {"losses": [0.7, 0.5, 0.4], "held_out_loss": 0.41}
    assert nb15.trains_like_one_device(one, {"losses": [0.7002, 0.4998, 0.4003], "held_out_loss": 0.4104})
    assert not nb15.trains_like_one_device(one, {"losses": [0.7, 0.5, 0.41], "held_out_loss": 0.41})  # a step drifts
    assert not nb15.trains_like_one_device(one, {"losses": [0.7, 0.5, 0.4], "held_out_loss": 0.42})  # weights differ
    with pytest.raises(ValueError, match="same number of steps"):
        nb15.trains_like_one_device(one, {"losses": [0.7], "held_out_loss": 0.41})


def test_nb17_per_class_scores_average_back_to_the_notebooks_number_on_the_same_draws():
    from helpers.evaluation import few_shot_accuracy

    rng = np.random.default_rng(4)
    x, y = clusters(rng, 40, 2.5)
    xt, yt = clusters(rng, 30, 2.5)  # every class equally large: the mean of the classes is the accuracy
    per_class = nb17.per_class_one_shot(x, y, xt, yt, shots=1, seed=9, draws=7)
    overall = few_shot_accuracy(x, y, xt, yt, shots=1, rng=9, draws=7).mean
    assert sorted(per_class) == sorted(set(y.tolist()))
    assert np.mean(list(per_class.values())) == pytest.approx(overall)
    far = xt.copy()
    far[yt == 0] += 1000.0  # class 0's test points far from every reference: nearest is still some reference
    assert nb17.per_class_one_shot(x, y, far, yt, shots=1, seed=9, draws=7)[1] == pytest.approx(per_class[1])


def test_nb17_nearest_seen_digits_are_shares_of_each_held_out_class():
    rng = np.random.default_rng(6)
    x, y = clusters(rng, 40, 0.3)  # three tight classes at the unit axes times 4
    held_out = np.array([[4.0, 0.5, 0.0], [4.2, 0.0, 0.3], [0.0, 0.2, 4.1], [0.3, 0.0, 3.9]])  # near 0, 0, 2, 2
    shares = nb17.nearest_seen_digits(x, y, held_out, np.array([7, 7, 8, 8]))
    assert shares == {7: {0: 1.0}, 8: {2: 1.0}}
    mixed = nb17.nearest_seen_digits(x, y, held_out, np.array([9, 9, 9, 9]))
    assert mixed == {9: {0: 0.5, 2: 0.5}} and sum(mixed[9].values()) == pytest.approx(1.0)


def test_nb17_rotating_splits_hold_every_class_out_equally_often():
    splits = nb17.rotating_splits(10, 3)
    assert len(splits) == 10 and all(len(set(s)) == 3 for s in splits)
    held = [c for s in splits for c in s]
    assert {c: held.count(c) for c in range(10)} == dict.fromkeys(range(10), 3)
    assert len(set(splits)) == 10
    with pytest.raises(ValueError, match="held_out"):
        nb17.rotating_splits(10, 10)
