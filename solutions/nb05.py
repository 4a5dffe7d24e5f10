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


def loss_gradient(y: float, d: float, margin: float = 1.0) -> float:
    """Exercise 2 (apply). dL/dd, by automatic differentiation: ``d`` for a similar pair (pulled in ever
    more gently as it closes), ``-(m - d)`` for a different pair inside the margin, and exactly 0 beyond it —
    a different pair far enough apart teaches nothing. The margin changes only the different pairs: with
    m = 2 the pair at d = 0.4 is pushed with -1.6 instead of -0.6, and the one at d = 1.3, beyond margin 1
    (gradient 0), is pushed again (-0.7); the similar pair's gradient (0.4) does not depend on the margin."""
    import tensorflow as tf

    from helpers.losses import contrastive_loss

    distance = tf.Variable([d], dtype=tf.float32)
    with tf.GradientTape() as tape:
        value = contrastive_loss(tf.constant([y], tf.float32), distance, margin=margin)
    return float(tape.gradient(value, distance).numpy()[0])


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


def scaled_loss_ratio(y: np.ndarray, d: np.ndarray, margin: float) -> float:
    """Exercise 4 (design), the scale argument: loss with margin ``m`` of the distances ``m · d``, divided by
    the loss with margin 1 of ``d``. It is always ``m²``: the margin only sets the scale of the distances.
    Scaling the twin's last Dense layer (weights and bias) by ``m`` scales every distance by ``m``, so a
    network trained with margin ``m`` can reach what one trained with margin 1 reaches, with every distance
    ``m`` times larger."""
    from helpers.losses import contrastive_loss

    y, d = np.asarray(y, np.float32), np.asarray(d, np.float32)
    scaled = np.sum(np.asarray(contrastive_loss(y, margin * d, margin=margin)))
    return float(scaled / np.sum(np.asarray(contrastive_loss(y, d, margin=1.0))))


def accuracy_by_margin(distances: np.ndarray, pair_labels: np.ndarray, margins=(0.25, 0.5, 1.0, 2.0, 4.0)
                       ) -> dict[float, tuple[float, float]]:
    """Exercise 4 (design). ``distances`` as a margin-1 model gives them; for each margin ``m``, the same
    model's distances on margin ``m``'s scale (``m · d``), scored at the article's fixed ``d < 0.5`` and at
    ``d < m / 2``. Returns ``{m: (accuracy at 0.5, accuracy at m / 2)}``.

    The rule scaled with the margin gives the same accuracy for every ``m``; the fixed 0.5 is that rule only
    for ``m = 1``. The smaller the margin, the more different pairs sit below 0.5 and are called similar;
    the larger, the more similar pairs sit above it (with balanced pairs, both ends tend to 0.5). Better
    still: choose the threshold on validation pairs (notebook 10), whatever the margin.
    """
    from helpers.evaluation import pair_accuracy

    d = np.asarray(distances, np.float64)
    return {m: (pair_accuracy(m * d, pair_labels, 0.5), pair_accuracy(m * d, pair_labels, m / 2)) for m in margins}
