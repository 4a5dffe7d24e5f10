import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.evaluation import (
    best_threshold,
    few_shot_accuracy,
    hardest_mistakes,
    knn_accuracies,
    knn_accuracy,
    pair_accuracy,
    roc,
)


def brute_auc(d, y):
    """P(a random similar pair is closer than a random different pair), ties counting one half."""
    pos, neg = d[y == 1][:, None], d[y == 0][None, :]
    return float(np.mean((pos < neg) + 0.5 * (pos == neg)))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(2, 40))
def test_best_threshold_reaches_the_best_possible_accuracy(data, n):
    d = data.draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.3])))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    candidates = np.concatenate([[0.0, d.max() + 1], d, (d[:, None] + d[None, :]).ravel() / 2])  # 0: below all
    best_possible = max(pair_accuracy(d, y, t) for t in candidates)
    assert pair_accuracy(d, y, best_threshold(d, y)) == pytest.approx(best_possible)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n=st.integers(2, 30))
def test_auc_equals_the_pairwise_probability(data, n):
    d = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0, 2)))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda a: 0 < a.sum() < len(a)))
    fpr, tpr, auc = roc(d, y)
    assert auc == pytest.approx(brute_auc(d, y))
    assert fpr[0] == 0 and tpr[-1] == 1 and np.all(np.diff(fpr) >= 0)


def test_pair_accuracy_by_hand():
    assert pair_accuracy([0.1, 0.6, 0.4, 0.9], [1, 1, 0, 0]) == 0.5
    assert pair_accuracy([0.1, 0.6, 0.4, 0.9], [1, 1, 0, 0], threshold=0.7) == 0.75


@pytest.mark.parametrize("d, y, message", [
    ([0.1, np.nan], [1, 0], "NaN"),
    ([0.1, 0.2], [1, 2], "0 \\(different\\) or 1"),
    ([0.1], [1, 0], "same length"),
    ([], [], "at least one"),
])
def test_pair_metrics_refuse_bad_input(d, y, message):
    with pytest.raises(ValueError, match=message):
        pair_accuracy(d, y)


@pytest.mark.parametrize("threshold", [float("nan"), -0.1])
def test_pair_accuracy_and_hardest_mistakes_refuse_a_threshold_that_is_not_finite_and_non_negative(threshold):
    for call in (lambda: pair_accuracy([0.2, 0.9], [1, 0], threshold=threshold),
                 lambda: hardest_mistakes([0.2, 0.9], [1, 0], threshold=threshold)):
        with pytest.raises(ValueError, match="threshold: expected a finite number >= 0.0"):
            call()


def test_roc_needs_both_kinds_of_pairs():
    with pytest.raises(ValueError, match="both similar and different"):
        roc([0.1, 0.2], [1, 1])


def clusters(rng, n_per_class, classes=3, spread=0.1):
    centres = np.eye(classes) * 5
    labels = np.repeat(np.arange(classes), n_per_class)
    return centres[labels] + rng.normal(0, spread, (len(labels), classes)), labels


def test_knn_on_separated_clusters_is_perfect_and_on_shuffled_labels_is_chance():
    rng = np.random.default_rng(0)
    x, y = clusters(rng, 50)
    xt, yt = clusters(rng, 20)
    assert knn_accuracy(x, y, xt, yt, k=1) == 1.0
    assert knn_accuracy(x, rng.permutation(y), xt, yt, k=5) < 0.6
    with pytest.raises(ValueError, match="k:"):
        knn_accuracy(x, y, xt, yt, k=0)
    with pytest.raises(ValueError, match="one width"):
        knn_accuracy(x, y, xt[:, :2], yt)


def test_few_shot_is_reproducible_and_checks_shots():
    rng = np.random.default_rng(1)
    x, y = clusters(rng, 30, spread=2.0)
    xt, yt = clusters(rng, 30, spread=2.0)
    a = few_shot_accuracy(x, y, xt, yt, shots=1, rng=7, draws=5)
    b = few_shot_accuracy(x, y, xt, yt, shots=1, rng=7, draws=5)
    assert a == b and a.draws == 5 and 0.3 < a.mean <= 1.0
    more = few_shot_accuracy(x, y, xt, yt, shots=10, rng=7, draws=5)
    assert more.mean >= a.mean
    with pytest.raises(ValueError, match="shots"):
        few_shot_accuracy(x, y, xt, yt, shots=31, rng=0)


def test_few_shot_keeps_each_draws_score_and_two_models_see_the_same_draws():
    """Per-draw scores let two models be compared draw by draw (a paired comparison): with the same seed the same
    references are drawn for each, so a model compared with itself ties in every draw."""
    rng = np.random.default_rng(2)
    x, y = clusters(rng, 30, spread=3.0)
    xt, yt = clusters(rng, 30, spread=3.0)
    result = few_shot_accuracy(x, y, xt, yt, shots=2, rng=5, draws=6)
    assert len(result.scores) == 6 and len(set(result.scores)) > 1
    assert result.mean == pytest.approx(np.mean(result.scores)) and result.std == pytest.approx(np.std(result.scores))
    for i, score in enumerate(result.scores):  # each score is 1-NN accuracy on one draw of references
        assert 0.0 <= score <= 1.0, (i, score)
    shifted = few_shot_accuracy(x + 100.0, y, xt + 100.0, yt, shots=2, rng=5, draws=6)  # same geometry
    assert shifted.scores == result.scores


def test_evaluation_pairs_are_fixed_by_the_seed_not_by_global_state():
    from helpers.evaluation import evaluation_pairs

    labels = np.repeat(np.arange(4), 25)
    np.random.seed(0)
    a = evaluation_pairs(labels, seed=3)
    np.random.seed(99)
    np.random.random(10)
    b = evaluation_pairs(labels, seed=3)
    c = evaluation_pairs(labels, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    idx, y = a
    assert (labels[idx[:, 0]] == labels[idx[:, 1]]).tolist() == (y == 1).tolist()
    with pytest.raises(ValueError, match="seed"):
        evaluation_pairs(labels, seed=-1)


def test_pair_distances_equal_the_siamese_network_output():
    from helpers.evaluation import embed, evaluation_pairs, pair_distances
    from helpers.models import siamese_network, siamese_twin

    rng = np.random.default_rng(0)
    images = rng.random((30, 28, 28, 1)).astype(np.float32)
    idx, _ = evaluation_pairs(np.repeat(np.arange(3), 10), seed=0)
    twin = siamese_twin()
    expected = siamese_network(twin).predict([images[idx[:, 0]], images[idx[:, 1]]], verbose=0).ravel()
    np.testing.assert_allclose(pair_distances(embed(twin, images), idx), expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="indices"):
        pair_distances(np.zeros((3, 2)), np.array([[0, 3]]))


def test_hardest_mistakes_are_the_errors_ordered_by_how_wrong_they_are():
    from helpers.evaluation import hardest_mistakes

    d = np.array([0.30, 0.05, 0.90, 0.45, 0.70, 0.20, 1.20])
    y = np.array([0, 0, 1, 0, 1, 1, 1])
    m = hardest_mistakes(d, y, threshold=0.5, n=2)
    assert m["false_positives"].tolist() == [1, 0]          # different pairs, closest first (3 is cut by n)
    assert m["false_negatives"].tolist() == [6, 2]          # similar pairs, farthest first
    assert hardest_mistakes(d, y, threshold=0.0)["false_positives"].size == 0


def test_evaluate_embeddings_on_separated_clusters_is_perfect_and_picks_a_separating_threshold():
    from helpers.evaluation import evaluate_embeddings

    rng = np.random.default_rng(0)
    split = [clusters(rng, 40) for _ in range(3)]
    report = evaluate_embeddings(*split, seed=0)
    assert report["test_accuracy"] == report["validation_accuracy"] == report["knn1_accuracy"] == 1.0
    assert report["test_auc"] == 1.0
    assert 0.5 < report["threshold"] < 6.5  # between within-class (~0.2) and between-class (~7) distances
    assert report["test_accuracy_at_0.5"] == 1.0


def test_linear_probe_separates_linearly_separable_classes_and_not_shuffled_labels():
    from helpers.evaluation import linear_probe_accuracy

    rng = np.random.default_rng(0)
    x, y = clusters(rng, 60, spread=0.5)
    xt, yt = clusters(rng, 30, spread=0.5)
    assert linear_probe_accuracy(x, y, xt, yt) == 1.0
    assert linear_probe_accuracy(x, rng.permutation(y), xt, yt) < 0.6
    # XOR-like classes: no linear boundary exists, nearest neighbours still work
    corners = np.array([[0, 0], [5, 5], [0, 5], [5, 0]], float)
    labels = np.array([0, 0, 1, 1])
    xs = np.repeat(corners, 50, axis=0) + rng.normal(0, 0.3, (200, 2))
    ys = np.repeat(labels, 50)
    assert linear_probe_accuracy(xs, ys, xs, ys) < 0.8 < knn_accuracy(xs, ys, xs, ys, k=1)
    with pytest.raises(ValueError, match="NaN"):
        linear_probe_accuracy(np.full((4, 2), np.nan), [0, 1, 0, 1], x[:2, :2], y[:2])


def test_confused_classes_counts_unordered_class_pairs_like_a_counter():
    from collections import Counter

    from helpers.evaluation import confused_classes

    rng = np.random.default_rng(0)
    classes = rng.integers(0, 10, 300)
    pairs = rng.integers(0, 300, (500, 2))
    chosen = rng.choice(500, 120, replace=False)
    counter = Counter(tuple(sorted((int(classes[i]), int(classes[j])))) for i, j in pairs[chosen])
    top = confused_classes(classes, pairs, chosen, top=5)
    assert [count for _, count in top] == sorted(counter.values(), reverse=True)[:5]
    assert all(counter[pair] == count for pair, count in top)
    with pytest.raises(ValueError, match="chosen"):
        confused_classes(classes, pairs, [500])


def test_closest_classes_and_leave_one_out_knn1_match_brute_force():
    from sklearn.neighbors import KNeighborsClassifier

    from helpers.evaluation import closest_classes, leave_one_out_knn1

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 400)
    emb = rng.normal(size=(400, 8)) + labels[:, None] * 0.7
    centroids = {c: emb[labels == c].mean(axis=0) for c in range(4)}
    brute = sorted((float(np.linalg.norm(centroids[a] - centroids[b])), (a, b))
                   for a in range(4) for b in range(a + 1, 4))
    got = closest_classes(emb, labels, top=3)
    assert [pair for pair, _ in got] == [pair for _, pair in brute[:3]]
    assert [d for _, d in got] == pytest.approx([d for d, _ in brute[:3]])
    # leave-one-out 1-NN: the nearest *other* point, as a 2-NN query whose first hit is the point itself
    _, neighbours = KNeighborsClassifier(n_neighbors=2).fit(emb, labels).kneighbors(emb)
    expected = np.mean(labels[neighbours[:, 1]] == labels)
    assert leave_one_out_knn1(emb, labels, chunk=37) == pytest.approx(expected)


def test_pair_loss_equals_evaluate_with_dropout_off_and_differs_with_it_on():
    import keras

    from helpers.evaluation import pair_loss
    from helpers.models import compile_siamese, siamese_network
    from helpers.repro import set_seed

    set_seed(0)
    model = compile_siamese(siamese_network())
    rng = np.random.default_rng(0)
    images = rng.random((40, 28, 28, 1)).astype("float32")
    idx = rng.integers(0, 40, (64, 2))
    y = rng.integers(0, 2, 64).astype("float32")
    expected = model.evaluate([images[idx[:, 0]], images[idx[:, 1]]], y, verbose=0, batch_size=64)[0]
    assert pair_loss(model, images, idx, y, training=False, batch_size=10) == pytest.approx(expected, rel=1e-4)
    keras.utils.set_random_seed(1)
    assert pair_loss(model, images, idx, y, training=True) != pytest.approx(expected, rel=1e-4)


def test_knn_accuracies_from_one_search_equal_one_knn_accuracy_per_k(rng):
    x, y = rng.normal(size=(300, 5)), rng.integers(0, 4, 300)
    xt, yt = rng.normal(size=(100, 5)), rng.integers(0, 4, 100)
    assert knn_accuracies(x, y, xt, yt, ks=(1, 2, 4, 5)) == {k: knn_accuracy(x, y, xt, yt, k=k) for k in (1, 2, 4, 5)}
    # two neighbours, one vote each: the tie goes to the smaller label, as scikit-learn breaks it
    assert knn_accuracies([[0.0], [1.0]], [3, 1], [[0.4]], [1], ks=(2,)) == {2: 1.0}
    with pytest.raises(ValueError, match="k"):
        knn_accuracies(x, y, xt, yt, ks=(0,))
