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
