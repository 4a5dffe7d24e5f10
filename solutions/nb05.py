"""Notebook 05 · Distance, contrastive loss and accuracy."""

from __future__ import annotations

import numpy as np


def keras_binary_accuracy(pair_labels: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Exercise 1 (recall). The article's score, computed by Keras: ``binary_accuracy(y, 1 − d)`` per pair.

    ``binary_accuracy`` predicts 1 where its input exceeds 0.5: ``1 − d > 0.5``, i.e. ``d < 0.5``. That
    ``1 − d`` is negative for ``d > 1`` does not matter — only the comparison with 0.5 is used, so it is not
    a probability, just a distance turned around. Returns float32 (B,), 1.0 where the pair is judged right.
    """
    import keras

    y = np.asarray(pair_labels, np.float32)
    d = np.asarray(distances, np.float32)
    return np.asarray(keras.metrics.binary_accuracy(y, 1.0 - d))


def embedding_gradients(y: float, a, b, margin: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2 (apply). dL/da and dL/db for one pair of embeddings ``a``, ``b`` (D,) with label ``y``, by
    automatic differentiation through ``euclidean_distance`` and ``contrastive_loss``: what reaches the twin.

    By the chain rule dL/da = dL/dd · (a − b) / d: each gradient lies on the line through the two points and
    is as long as |dL/dd|, the slope in the figure. The loss depends on a − b only (moving both points by
    the same vector changes nothing), so dL/db = −dL/da: the two always add up to zero. With a = (0, 0) and
    b = (0.3, 0.4) (d = 0.5): a similar pair gives dL/da = (−0.3, −0.4), so descent moves a towards b and b
    towards a; a different pair gives (0.3, 0.4) with margin 1 and (0.9, 1.2) with margin 2 (|dL/dd| = 0.5
    and 1.5), so descent moves the points apart, three times as hard with margin 2. Returns float64 (D,) each.
    """
    import tensorflow as tf

    from helpers.losses import contrastive_loss, euclidean_distance

    left = tf.Variable(np.asarray(a, np.float32)[None, :])
    right = tf.Variable(np.asarray(b, np.float32)[None, :])
    with tf.GradientTape() as tape:
        loss = contrastive_loss(tf.constant([y], tf.float32), euclidean_distance((left, right)), margin=margin)
    grad_a, grad_b = tape.gradient(loss, [left, right])
    return grad_a.numpy()[0].astype(np.float64), grad_b.numpy()[0].astype(np.float64)


def hadsell_loss(y: np.ndarray, d: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Exercise 3 (apply). The contrastive loss as Hadsell, Chopra & LeCun (2006) write it, **0 = similar**:
    ``(1 − y)/2 · d² + y/2 · max(0, m − d)²``, per pair."""
    y, d = np.asarray(y, np.float64), np.asarray(d, np.float64)
    return (1 - y) / 2 * d**2 + y / 2 * np.maximum(0.0, margin - d) ** 2


def swapped_convention_losses() -> dict[str, float]:
    """Exercise 3, the experiment. Two similar and two different pairs, labelled the article's way
    (1 = similar), in a *good* embedding (similar pairs at 0.1, different at 1.5) and a *bad* one (the
    distances exchanged). Mean loss of each under the article's formula and under Hadsell et al.'s formula
    fed the same labels.

    With matching conventions the good embedding costs 0.0025 and the bad one 0.765. Fed the other
    convention's labels, the formula charges 0.765 for the good embedding and 0.0025 for the bad one: it
    rewards exactly the embedding we do not want, and gradient descent would build it.
    """
    from helpers.losses import contrastive_loss

    y = np.array([1, 1, 0, 0], np.float32)
    embeddings = {"good": np.array([0.1, 0.1, 1.5, 1.5], np.float32), "bad": np.array([1.5, 1.5, 0.1, 0.1], np.float32)}
    result = {}
    for name, d in embeddings.items():
        result[f"{name}, article's formula"] = float(np.mean(np.asarray(contrastive_loss(y, d))))
        result[f"{name}, Hadsell's formula with 1 = similar"] = float(np.mean(hadsell_loss(y, d)))
    return result


def double_margin_loss(y_true, y_pred, margin: float = 1.0, positive_margin: float = 0.2):
    """Exercise 4 (design). The contrastive loss with a second margin ``m_p`` for similar pairs, per pair
    (label 1 = similar, as ``contrastive_loss``):

    ``y/2 · max(0, d − m_p)² + (1 − y)/2 · max(0, m − d)²``

    A similar pair closer than ``m_p`` costs nothing and is no longer pulled, so the network stops spending
    effort on pairs the accuracy already counts as right; with ``m_p = 0`` it is the article's loss
    (distances are never negative). The accuracy threshold goes midway between the two targets,
    ``(m_p + m) / 2``, by the article's own logic (0.5 is midway between 0 and m = 1) — a rule of scale
    only: a threshold chosen on validation pairs does better.
    """
    from keras import ops

    if not 0 <= positive_margin < margin:
        raise ValueError(f"positive_margin: expected 0 <= positive_margin < margin = {margin}, got {positive_margin}")
    y = ops.reshape(ops.cast(y_true, "float32"), (-1,))  # (B,) each: (B,) against (B, 1) would broadcast
    d = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
    similar = y * ops.square(ops.maximum(d - positive_margin, 0.0)) / 2.0
    different = (1.0 - y) * ops.square(ops.maximum(margin - d, 0.0)) / 2.0
    return similar + different


def double_margin_gradient(y: float, d: float, margin: float = 1.0, positive_margin: float = 0.2) -> float:
    """Exercise 4, the check. dL/dd of :func:`double_margin_loss` by ``tf.GradientTape``: ``d − m_p`` for a
    similar pair beyond ``m_p`` and 0 inside it, ``−(m − d)`` for a different pair inside ``m`` and 0 beyond."""
    import tensorflow as tf

    distance = tf.Variable([d], dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = double_margin_loss(tf.constant([y], tf.float32), distance, margin, positive_margin)
    return float(tape.gradient(loss, distance).numpy()[0])
