import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.pairs import gather_pairs, generate_pair_indices, generate_pairs, pair_dataset


def labels_with_pairs():
    """Integer label arrays with ≥ 2 classes and ≥ 2 samples per class, in random order."""
    return (
        st.lists(st.integers(2, 6), min_size=2, max_size=6)
        .flatmap(lambda sizes: st.tuples(
            st.just(sizes), st.lists(st.integers(-50, 50), min_size=len(sizes), max_size=len(sizes), unique=True)
        ))
        .flatmap(lambda s: st.permutations(np.repeat(s[1], s[0]).tolist()))
        .map(lambda values: np.array(values, dtype=np.int64))
    )


@settings(max_examples=200, deadline=None)
@given(labels=labels_with_pairs(), seed=st.integers(0, 2**32 - 1))
def test_pair_invariants(labels, seed):
    idx, y = generate_pair_indices(labels, np.random.default_rng(seed))
    n = len(labels)
    assert idx.shape == (2 * n, 2) and y.shape == (2 * n,)
    assert idx.dtype == np.int64 and y.dtype == np.float32
    same = labels[idx[:, 0]] == labels[idx[:, 1]]
    assert np.array_equal(same, y == 1.0)            # label 1 ⇔ same class
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    assert (y == 1).sum() == n                         # exactly 50/50
    assert not np.any(idx[:, 0] == idx[:, 1])          # never an image with itself
    # every image is the anchor of exactly one positive and one negative pair
    assert np.array_equal(np.sort(idx[y == 1, 0]), np.arange(n))
    assert np.array_equal(np.sort(idx[y == 0, 0]), np.arange(n))


def test_same_seed_same_pairs_different_seed_different_pairs():
    labels = np.repeat(np.arange(10), 50)
    a = generate_pair_indices(labels, np.random.default_rng(7))
    b = generate_pair_indices(labels, np.random.default_rng(7))
    c = generate_pair_indices(labels, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert generate_pair_indices(labels, 7)[0].tolist() == a[0].tolist()  # int seed ≡ Generator(seed)


def test_pairs_are_shuffled():
    labels = np.repeat(np.arange(10), 100)
    idx, y = generate_pair_indices(labels, 0)
    # unshuffled output would be all positives first (or strictly alternating, as in the article)
    assert 0.3 < y[: len(y) // 2].mean() < 0.7
    assert not np.all(y[::2] == 1) and not np.all(y[::2] == 0)
    assert not np.array_equal(idx[:, 0], np.sort(idx[:, 0]))
    # runs of equal labels look like a fair coin: about len/2 runs, not 1 or len
    runs = 1 + np.count_nonzero(np.diff(y))
    assert 0.4 * len(y) < runs < 0.6 * len(y)


def test_partners_are_spread_over_the_class():
    labels = np.repeat(np.arange(2), 1000)
    idx, y = generate_pair_indices(labels, 3)
    positives = idx[y == 1, 1]
    negatives = idx[y == 0, 1]
    assert len(np.unique(positives)) > 500  # uniform draws cover most of each class (~63 %)
    assert len(np.unique(negatives)) > 500


def test_index_form_equals_materialised_form(rng):
    images = rng.random((40, 28, 28, 1), dtype=np.float32)
    labels = np.repeat(np.arange(4), 10)
    pairs, y = generate_pairs(images, labels, np.random.default_rng(5))
    idx, y2 = generate_pair_indices(labels, np.random.default_rng(5))
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(pairs, gather_pairs(images, idx))
    assert pairs.shape == (80, 2, 28, 28, 1) and pairs.dtype == np.float32


def test_lazy_dataset_yields_the_same_batches_as_the_arrays(rng):
    images = rng.random((30, 28, 28, 1), dtype=np.float32)
    labels = np.repeat(np.arange(3), 10)
    idx, y = generate_pair_indices(labels, 11)
    pairs = gather_pairs(images, idx)
    batches = list(pair_dataset(images, idx, y, batch_size=16).as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [16, 16, 16, 12]
    left = np.concatenate([b[0][0] for b in batches])
    right = np.concatenate([b[0][1] for b in batches])
    np.testing.assert_array_equal(left, pairs[:, 0])
    np.testing.assert_array_equal(right, pairs[:, 1])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)


def test_full_training_set_gives_96000_balanced_pairs(mnist):
    (x, y), _ = mnist
    idx, pair_y = generate_pair_indices(y[12000:], 42)
    assert idx.shape == (96000, 2) and pair_y.mean() == 0.5


@pytest.mark.parametrize(
    "labels, error, message",
    [
        (np.array([], dtype=np.int64), ValueError, "at least one sample"),
        (np.array([3, 3, 3]), ValueError, "at least two classes"),
        (np.array([0, 0, 1, 1, 2]), ValueError, r"class\(es\) \[2\] have a single sample"),
        (np.array([0.0, 0.0, 1.0, 1.0]), TypeError, "integer class ids"),
        (np.array([True, True, False, False]), TypeError, "integer class ids"),
        (np.array([[0, 1], [0, 1]]), ValueError, "1-D"),
        (np.array(["a", "a", "b", "b"]), TypeError, "numeric"),
    ],
)
def test_bad_labels_are_refused(labels, error, message):
    with pytest.raises(error, match=message):
        generate_pair_indices(labels, 0)


def test_mismatched_lengths_and_bad_rng_are_refused():
    with pytest.raises(ValueError, match="same length"):
        generate_pairs(np.zeros((5, 2, 2)), np.array([0, 0, 1, 1]), 0)
    with pytest.raises(TypeError, match="rng"):
        generate_pair_indices(np.array([0, 0, 1, 1]), rng="42")


@pytest.mark.parametrize("rng", [-1, True, 2**32])
def test_a_seed_that_numpy_tensorflow_or_keras_would_refuse_is_refused_here(rng):
    with pytest.raises((ValueError, TypeError), match="rng"):
        generate_pair_indices(np.array([0, 0, 1, 1]), rng=rng)


def test_gather_and_dataset_refuse_bad_indices():
    images = np.zeros((4, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"values must lie in \[0, 4\)"):
        gather_pairs(images, np.array([[0, 4]]))
    with pytest.raises(ValueError, match=r"shape \(M, 2\)"):
        gather_pairs(images, np.array([0, 1]))
    with pytest.raises(ValueError, match="batch_size"):
        pair_dataset(images, np.array([[0, 1]]), np.array([1.0]), batch_size=0)
    with pytest.raises(ValueError, match="same length"):
        pair_dataset(images, np.array([[0, 1]]), np.array([1.0, 0.0]))


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


@given(hnp.arrays(np.int32, st.integers(0, 40), elements=st.integers(-3, 3)))
@settings(max_examples=100, deadline=None)
def test_any_integer_labels_give_valid_pairs_or_a_clear_error(labels):
    try:
        idx, y = generate_pair_indices(labels, 0)
    except ValueError as exc:
        assert str(exc).startswith("labels:")
        counts = np.unique(labels, return_counts=True)[1]
        assert len(labels) == 0 or len(counts) < 2 or counts.min() < 2
    else:
        assert np.array_equal(labels[idx[:, 0]] == labels[idx[:, 1]], y == 1)


def test_the_minimal_fix_of_the_article_loop_and_the_vectorised_pairs_have_the_same_properties(mnist):
    """Notebook 02 shows both: the article's loop with its missing lines added, and generate_pairs."""
    from helpers.pairs import generate_pairs_loop

    (x, y), _ = mnist
    images, labels = x[:2000], y[:2000]
    for make in (generate_pairs_loop, generate_pairs):
        pairs, pair_labels = make(images, labels, np.random.default_rng(0))
        assert pairs.shape == (4000, 2, 28, 28) and pair_labels.dtype == np.float32
        assert pair_labels.mean() == 0.5  # one positive and one negative per anchor
        # each pair's label says whether its two images show the same digit (images identify their index)
        flat = images.reshape(len(images), -1)
        index_of = {flat[i].tobytes(): i for i in range(len(flat))}
        anchor = np.array([index_of[p.reshape(-1).tobytes()] for p in pairs[:, 0]])
        partner = np.array([index_of[p.reshape(-1).tobytes()] for p in pairs[:, 1]])
        np.testing.assert_array_equal(labels[anchor] == labels[partner], pair_labels == 1)
        assert np.array_equal(np.bincount(anchor, minlength=len(images)), np.full(len(images), 2))
        # shuffled: the labels do not alternate (the unshuffled loop gives 1, 0, 1, 0, ...)
        assert not np.array_equal(pair_labels[:20], np.tile([1.0, 0.0], 10))
        again, again_labels = make(images, labels, np.random.default_rng(0))
        np.testing.assert_array_equal(again, pairs)
    # the one difference: the loop, like the article's, may pair an image with itself
    pairs, pair_labels = generate_pairs_loop(images, labels, np.random.default_rng(0))
    assert any(np.array_equal(a, b) for a, b in pairs[pair_labels == 1])
    with pytest.raises(ValueError, match="two classes"):
        generate_pairs_loop(images[:5], np.zeros(5, int), 0)
