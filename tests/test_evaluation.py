import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.evaluation import best_threshold, few_shot_accuracy, knn_accuracy, pair_accuracy, roc


def brute_auc(d, y):
    """P(a random similar pair is closer than a random different pair), ties counting one half."""
    pos, neg = d[y == 1][:, None], d[y == 0][None, :]
    return float(np.mean((pos < neg) + 0.5 * (pos == neg)))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(2, 40))
def test_best_threshold_reaches_the_best_possible_accuracy(data, n):
    d = data.draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.3])))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    candidates = np.concatenate([[d.min() - 1, d.max() + 1], d, (d[:, None] + d[None, :]).ravel() / 2])
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
