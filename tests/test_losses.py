import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from helpers.losses import accuracy, contrastive_loss, euclidean_distance


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


def brute_batch_loss(labels, emb, margin=1.0):
    """Every unordered pair of the batch through the article's per-pair loss, similar and different pairs
    averaged separately; different pairs over those with d < margin."""
    similar, different = [], []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            d = np.linalg.norm(emb[i] - emb[j])
            if labels[i] == labels[j]:
                similar.append(loss([1.0], [d], margin=margin)[0])
            elif d < margin:
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
