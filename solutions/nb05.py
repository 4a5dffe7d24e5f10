"""Notebook 05 · Distance, contrastive loss and accuracy."""

from __future__ import annotations

import math


def loss_by_hand(y: float, d: float, margin: float = 1.0) -> float:
    """Exercise 1 (recall). The contrastive loss of one pair in plain Python, label 1 = similar."""
    return y / 2 * d**2 + (1 - y) / 2 * max(0.0, margin - d) ** 2


def loss_gradient(y: float, d: float, margin: float = 1.0) -> float:
    """Exercise 2 (apply). dL/dd, by automatic differentiation: ``d`` for a similar pair (pulled in ever
    more gently as it closes), ``-(m - d)`` for a different pair inside the margin, and exactly 0 beyond it —
    a different pair far enough apart teaches nothing."""
    import tensorflow as tf

    from helpers.losses import contrastive_loss

    distance = tf.Variable([d], dtype=tf.float32)
    with tf.GradientTape() as tape:
        value = contrastive_loss(tf.constant([y], tf.float32), distance, margin=margin)
    return float(tape.gradient(value, distance).numpy()[0])


def accuracy_threshold_equivalence(d: float) -> bool:
    """Exercise 3 (recall). The article's ``binary_accuracy(y, 1 − d)`` predicts "similar" when
    ``1 − d > 0.5``, i.e. ``d < 0.5`` — checked for one distance."""
    return (1 - d > 0.5) == (d < 0.5) or math.isclose(d, 0.5)
