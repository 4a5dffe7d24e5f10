import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from helpers.losses import accuracy, contrastive_loss, euclidean_distance, pairwise_distances


def loss(y, d, **kw):
    return np.asarray(contrastive_loss(np.asarray(y, np.float32), np.asarray(d, np.float32), **kw))


def test_hand_computed_values_for_both_labels():
    # similar (y=1): d²/2 ; different (y=0): max(0, 1-d)²/2
    np.testing.assert_allclose(loss([1, 1, 1], [0.0, 0.5, 2.0]), [0.0, 0.125, 2.0], rtol=1e-6)
    np.testing.assert_allclose(loss([0, 0, 0], [0.0, 0.5, 0.8]), [0.5, 0.125, 0.02], rtol=1e-6)


def test_margin():
    np.testing.assert_allclose(loss([0, 0], [1.0, 2.5]), [0.0, 0.0])  # beyond the margin: free
    np.testing.assert_allclose(loss([0, 0], [1.0, 2.5], margin=3.0), [2.0, 0.125], rtol=1e-6)
    with pytest.raises(ValueError, match="margin"):
        loss([0], [1.0], margin=0.0)


def test_zero_loss_cases():
    np.testing.assert_allclose(loss([1, 0, 0], [0.0, 1.0, 7.0]), [0.0, 0.0, 0.0])


def test_label_column_vs_distance_column_does_not_broadcast():
    y = np.array([1.0, 0.0, 1.0], np.float32)            # (B,)
    d = np.array([[0.1], [0.2], [0.3]], np.float32)      # (B, 1), as the network outputs
    out = loss(y, d)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, [0.005, 0.32, 0.045], rtol=1e-5)


def test_euclidean_distance_values_and_shape():
    a = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    b = np.array([[3.0, 4.0], [1.0, 2.0]], np.float32)
    d = np.asarray(euclidean_distance((a, b)))
    assert d.shape == (2, 1)
    np.testing.assert_allclose(d[:, 0], [5.0, 1.0], rtol=1e-6)


def test_gradient_is_finite_at_zero_distance():
    x = tf.Variable(np.ones((4, 8), np.float32))
    with tf.GradientTape() as tape:
        d = euclidean_distance((x, tf.identity(x)))
        total = ops.sum(contrastive_loss(tf.constant([1.0, 0.0, 1.0, 0.0]), d))
    grad = tape.gradient(total, x)
    assert np.isfinite(grad.numpy()).all()
    np.testing.assert_allclose(np.asarray(d), np.sqrt(1e-7), rtol=1e-3)


def test_naive_sqrt_would_give_nan_which_is_why_epsilon_is_there():
    x = tf.Variable(np.ones((1, 3), np.float32))
    with tf.GradientTape() as tape:
        naive = tf.sqrt(tf.reduce_sum(tf.square(x - tf.identity(x))))
    assert not np.isfinite(tape.gradient(naive, x).numpy()).all()


def test_accuracy_is_the_articles_binary_accuracy_on_one_minus_d():
    import keras

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500).astype(np.float32)
    d = rng.uniform(0, 1.5, (500, 1)).astype(np.float32)
    ours = np.asarray(accuracy(y, d)).mean()
    article = float(keras.metrics.binary_accuracy(y[:, None], 1.0 - d).numpy().mean())
    assert ours == pytest.approx(article)
    np.testing.assert_array_equal(np.asarray(accuracy([1.0, 0.0], [[0.4], [0.4]], threshold=0.3)), [0.0, 1.0])


def brute_batch_loss(labels, emb, margin=1.0, negatives="inside_margin"):
    """Every unordered pair of the batch through the article's per-pair loss, similar and different pairs
    averaged separately; different pairs over those with d < margin (``negatives="all"``: over all)."""
    similar, different = [], []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            d = np.linalg.norm(emb[i] - emb[j])
            if labels[i] == labels[j]:
                similar.append(loss([1.0], [d], margin=margin)[0])
            elif d < margin or negatives == "all":
                different.append(loss([0.0], [d], margin=margin)[0])
    return (np.mean(similar) if similar else 0.0) + (np.mean(different) if different else 0.0)


@pytest.mark.parametrize("seed", range(5))
def test_batch_contrastive_loss_matches_every_pair_through_the_pair_loss(seed):
    from helpers.losses import batch_contrastive_loss

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, 12)
    emb = rng.normal(0, 0.4, (12, 5)).astype(np.float32)
    got = float(batch_contrastive_loss(labels, emb))
    np.testing.assert_allclose(got, brute_batch_loss(labels, emb), rtol=1e-4)
    np.testing.assert_allclose(float(batch_contrastive_loss(labels, emb, margin=2.0)),
                               brute_batch_loss(labels, emb, margin=2.0), rtol=1e-4)
    everything = float(batch_contrastive_loss(labels, emb, negatives="all"))
    np.testing.assert_allclose(everything, brute_batch_loss(labels, emb, negatives="all"), rtol=1e-4)
    assert everything < got  # the same different-pair costs, spread over more pairs (some beyond the margin)


def test_batch_contrastive_loss_gradients_are_finite_for_identical_embeddings():
    from helpers.losses import batch_contrastive_loss

    emb = tf.Variable(np.zeros((4, 3), np.float32))  # every distance 0: sqrt'(0) would be infinite
    with tf.GradientTape() as tape:
        value = batch_contrastive_loss(np.array([0, 0, 1, 1]), emb)
    grad = tape.gradient(value, emb).numpy()
    assert np.isfinite(grad).all()
    assert float(value) == pytest.approx(0.5, rel=1e-3)  # different pairs at d≈0 cost ½·1²
    with pytest.raises(ValueError, match="margin"):
        batch_contrastive_loss(np.array([0, 1]), emb[:2], margin=-1.0)


# -- notebook 14's losses against brute-force NumPy, written from the papers' definitions ------------------------
def brute_distances(emb):
    emb = np.asarray(emb, np.float64)
    return np.array([[np.linalg.norm(a - b) for b in emb] for a in emb])


def brute_triplet_semihard(labels, emb, margin=1.0):
    """Every (anchor, positive) pair; its negative: the closest one farther than the positive, else the
    farthest one (TensorFlow Addons' rule)."""
    d, losses = brute_distances(emb), []
    for a in range(len(labels)):
        negatives = [n for n in range(len(labels)) if labels[n] != labels[a]]
        if not negatives:
            continue
        for p in range(len(labels)):
            if p == a or labels[p] != labels[a]:
                continue
            farther = [d[a, n] for n in negatives if d[a, n] > d[a, p]]
            d_an = min(farther) if farther else max(d[a, n] for n in negatives)
            losses.append(max(d[a, p] - d_an + margin, 0.0))
    return np.mean(losses) if losses else 0.0


def brute_triplet_batch_hard(labels, emb, margin=1.0):
    d, losses = brute_distances(emb), []
    for a in range(len(labels)):
        positives = [d[a, p] for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        negatives = [d[a, n] for n in range(len(labels)) if labels[n] != labels[a]]
        if positives and negatives:
            losses.append(max(max(positives) - min(negatives) + margin, 0.0))
    return np.mean(losses) if losses else 0.0


def brute_supcon(labels, emb, temperature=0.1):
    z = np.asarray(emb, np.float64)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    losses = []
    for i in range(len(labels)):
        others = [a for a in range(len(labels)) if a != i]
        positives = [p for p in others if labels[p] == labels[i]]
        if not positives:
            continue
        denominator = sum(np.exp(z[i] @ z[a] / temperature) for a in others)
        losses.append(-np.mean([np.log(np.exp(z[i] @ z[p] / temperature) / denominator) for p in positives]))
    return np.mean(losses) if losses else 0.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", ["triplet_semihard_loss", "triplet_batch_hard_loss", "supcon_loss"])
def test_batch_losses_match_their_brute_force_definition_on_random_batches(name, seed):
    import helpers.losses

    brute = {"triplet_semihard_loss": brute_triplet_semihard, "triplet_batch_hard_loss": brute_triplet_batch_hard,
             "supcon_loss": brute_supcon}[name]
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 16)
    emb = rng.normal(0, 0.5, (16, 6)).astype(np.float32)
    got = float(getattr(helpers.losses, name)(labels, emb))
    np.testing.assert_allclose(got, brute(labels, emb), rtol=1e-4, atol=1e-6)
    assert got > 0  # random embeddings leave every loss something to do


@pytest.mark.parametrize("setting", [{"margin": 0.3}, {"margin": 2.0}])
def test_triplet_losses_use_their_margin(setting):
    from helpers.losses import triplet_batch_hard_loss, triplet_semihard_loss

    rng = np.random.default_rng(7)
    labels, emb = rng.integers(0, 3, 12), rng.normal(0, 0.5, (12, 4)).astype(np.float32)
    np.testing.assert_allclose(float(triplet_semihard_loss(labels, emb, **setting)),
                               brute_triplet_semihard(labels, emb, **setting), rtol=1e-4)
    np.testing.assert_allclose(float(triplet_batch_hard_loss(labels, emb, **setting)),
                               brute_triplet_batch_hard(labels, emb, **setting), rtol=1e-4)


def test_supcon_uses_its_temperature():
    from helpers.losses import supcon_loss

    rng = np.random.default_rng(8)
    labels, emb = rng.integers(0, 3, 12), rng.normal(0, 0.5, (12, 4)).astype(np.float32)
    for t in (0.05, 0.5, 2.0):
        np.testing.assert_allclose(float(supcon_loss(labels, emb, temperature=t)), brute_supcon(labels, emb, t),
                                   rtol=1e-4)


def test_the_semihard_miner_picks_the_known_semihard_negative():
    """On a line: anchor 0.0 and its positive 0.5; negatives at 0.3 (harder than the positive: closer),
    0.8 (semi-hard: farther than the positive, inside the margin) and 2.0 (easy). The miner must pick 0.8 for
    the anchor, and 2.0 (the only negative farther than 0.5 from 0.5) when the positive is the anchor."""
    from helpers.losses import pairwise_distances, semihard_negatives

    emb, labels = np.array([[0.0], [0.5], [0.3], [0.8], [2.0]], np.float32), np.array([0, 0, 1, 2, 3])
    chosen = np.asarray(semihard_negatives(labels, pairwise_distances(emb)))
    assert chosen[0, 1] == pytest.approx(0.8, abs=1e-5)
    assert chosen[1, 0] == pytest.approx(1.5, abs=1e-5)


def test_the_semihard_miner_falls_back_to_the_farthest_negative():
    """Every negative closer than the positive: the farthest negative (here 0.4, not the hardest 0.1)."""
    from helpers.losses import pairwise_distances, semihard_negatives

    emb, labels = np.array([[0.0], [1.0], [0.1], [0.4]], np.float32), np.array([0, 0, 1, 2])
    chosen = np.asarray(semihard_negatives(labels, pairwise_distances(emb)))
    assert chosen[0, 1] == pytest.approx(0.4, abs=1e-5)


@pytest.mark.parametrize("name", ["triplet_semihard_loss", "triplet_batch_hard_loss", "supcon_loss"])
def test_batch_losses_have_finite_gradients_for_identical_embeddings(name):
    import helpers.losses

    emb = tf.Variable(np.ones((6, 3), np.float32))  # every distance 0
    with tf.GradientTape() as tape:
        value = getattr(helpers.losses, name)(np.array([0, 0, 1, 1, 2, 2]), emb)
    assert np.isfinite(float(value)) and np.isfinite(tape.gradient(value, emb).numpy()).all()


@pytest.mark.parametrize("name", ["triplet_semihard_loss", "triplet_batch_hard_loss", "supcon_loss"])
def test_batch_losses_train_inside_a_compiled_keras_step(name):
    """Symbolic batch size (graph mode): the masks and the miner must not need a concrete batch."""
    import keras

    import helpers.losses

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 4, 64)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=getattr(helpers.losses, name))
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
    assert all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


D = np.array([[0.2], [0.9]], np.float32)  # two pairs' distances


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
def test_the_accuracy_metric_refuses_a_threshold_that_is_not_a_finite_non_negative_number(threshold):
    with pytest.raises(ValueError, match="threshold: expected a finite number >= 0.0"):
        accuracy(np.array([1.0, 0.0]), D, threshold=threshold)


def test_pairwise_distances_match_the_distance_of_each_pair():
    from helpers.losses import euclidean_distance

    emb = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    matrix = np.asarray(pairwise_distances(emb))
    i, j = np.triu_indices(5, k=1)
    pairwise = np.asarray(euclidean_distance((emb[i], emb[j])))[:, 0]
    np.testing.assert_allclose(matrix[i, j], pairwise, rtol=1e-4)
    np.testing.assert_allclose(np.diag(matrix), np.sqrt(1e-7), rtol=1e-3)  # the ε floor, never 0 or NaN
