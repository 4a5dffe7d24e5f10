"""Distance, contrastive loss and accuracy — step 5 of the article, in Keras 3 (``keras.ops``).

Convention used throughout the course (the article's): **label 1 = similar pair, label 0 = different**.

.. math::  L(y, d) = \\tfrac{y}{2} d^2 + \\tfrac{1 - y}{2} \\max(0, m - d)^2

Similar pairs are pulled together (loss grows with ``d²``); different pairs are pushed apart until they
are at least the margin ``m`` away, after which they cost nothing. Hadsell, Chopra & LeCun (2006), who
introduced the loss, use the opposite labels (0 = similar); the formula is the same with ``y`` and
``1 - y`` swapped. Mixing the two conventions silently trains the network to do the opposite.

The losses over all pairs in a batch (notebooks 12 and 14) see the batch they are given: on several devices,
each device's share of it. :func:`helpers.distribute.across_replicas` wraps them into the loss of the global
batch (notebook 15); this module does not depend on it.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import keras
import numpy as np
from keras import ops

from helpers._checks import check_number, check_pair_labels, checked_by


def _flat(values):
    """Labels or distances, (B,) or (B, 1), as a flat (B,) float32 tensor."""
    return ops.reshape(ops.cast(values, "float32"), (-1,))


def _per_pair(values, name: str):
    """:func:`_flat`, for shape (B,) or (B, 1) only, so that (4,) labels are never paired with a (2, 2) array
    by flattening it."""
    shape = tuple(values.shape) if hasattr(values, "shape") else np.shape(values)
    if len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None)):
        raise ValueError(f"{name}: expected shape (B,) or (B, 1), one value per pair, got {shape}")
    return _flat(values)


def _check_same_batch(y, d) -> None:
    if y.shape[0] is not None and d.shape[0] is not None and y.shape[0] != d.shape[0]:
        raise ValueError(f"y_true and y_pred: expected one label per distance, got {y.shape[0]} and {d.shape[0]}")


def _check_pair_labels(y) -> None:
    """Labels must be 1 or 0. Checked on concrete values (a direct call, as in the notebooks); inside a
    compiled training step the values are symbolic, and the data helpers have checked them already."""
    try:
        values = np.asarray(y)
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return
    check_pair_labels(values.reshape(-1), "y_true")


def _check_pair_loss(y_true, y_pred, margin: float) -> dict:
    """What :func:`contrastive_loss` accepts: one label 1 or 0 per distance, each (B,) or (B, 1), a margin > 0."""
    margin = check_number(margin, "margin", positive=True)
    d, y = _per_pair(y_pred, "y_pred"), _per_pair(y_true, "y_true")
    _check_same_batch(y, d)
    _check_pair_labels(y)
    return {"margin": margin}


@keras.saving.register_keras_serializable(package="helpers")
def euclidean_distance(vectors):
    """Euclidean distance between two batches of embeddings, shape (B, D) each → (B, 1).

    ``sqrt(max(sum((a - b)²), ε))`` with Keras' ε (1e-7): the plain ``sqrt`` has an infinite derivative at
    0, so a pair of identical embeddings would send NaN gradients through the whole network. Below ε the
    ``max`` is flat, so the gradient there is exactly 0, and the distance is never below ``sqrt(ε)``≈3e-4.

    >>> float(euclidean_distance((ops.zeros((1, 2)), ops.array([[3.0, 4.0]])))[0, 0])
    5.0
    """
    a, b = vectors
    sum_square = ops.sum(ops.square(a - b), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.config.epsilon()))


@keras.saving.register_keras_serializable(package="helpers")
@checked_by(_check_pair_loss)
def contrastive_loss(y_true, y_pred, margin: float = 1.0):
    """Per-pair contrastive loss; label 1 = similar (the article's convention, not Hadsell et al.'s).

    ``y_true``: labels, shape (B,) or (B, 1), 1 = same class, 0 = different.
    ``y_pred``: distances, shape (B,) or (B, 1) — what :func:`siamese_network` outputs.
    Returns float32 of shape (B,): ``y/2·d² + (1−y)/2·max(0, margin−d)²``. Keras averages it over the batch.

    Both inputs are flattened first: a (B,) label against a (B, 1) distance would otherwise broadcast to
    (B, B) and silently compare every label with every distance. Other shapes, labels other than 0 and 1,
    and a margin that is not a positive finite number are errors.

    >>> contrastive_loss(ops.array([1.0, 0.0]), ops.array([[0.5], [0.5]])).numpy().tolist()
    [0.125, 0.125]
    """
    y, d = _flat(y_true), _flat(y_pred)  # (B,) each: a (B,) against a (B, 1) would broadcast to (B, B)
    similar = y * ops.square(d) / 2.0
    different = (1.0 - y) * ops.square(ops.maximum(margin - d, 0.0)) / 2.0
    return similar + different


def contrastive_loss_gradient(d: object, y: float, margin: float = 1.0) -> np.ndarray:
    """dL/dd of :func:`contrastive_loss`, written out by hand: ``d`` for a similar pair (y = 1), ``−(m − d)``
    for a different pair (y = 0) closer than the margin, and 0 beyond it. ``d``: distances (N,) → float64 (N,).

    Gradient descent moves ``d`` against this sign: a similar pair is always pulled together, harder the
    farther apart it is; a different pair is pushed apart only while it is closer than ``margin``.

    >>> contrastive_loss_gradient([0.2, 1.5], y=1).tolist(), contrastive_loss_gradient([0.2, 1.5], y=0).tolist()
    ([0.2, 1.5], [-0.8, 0.0])
    """
    d = np.asarray(d, dtype=np.float64)
    margin = check_number(margin, "margin", positive=True)
    if y not in (0, 1):
        raise ValueError(f"y: expected 1 (similar) or 0 (different), got {y!r}")
    return d.copy() if y == 1 else np.minimum(d - margin, 0.0)  # = −max(0, m − d)


@keras.saving.register_keras_serializable(package="helpers")
class ContrastiveLoss(keras.losses.Loss):
    """:func:`contrastive_loss` with another ``margin``, as a Keras loss object (averaged over the batch).

    ``compile(loss=contrastive_loss)`` can only use the function's default margin 1; this object carries its
    margin, and ``get_config`` keeps it, so a saved model compiled with margin 2 loads with margin 2.

    >>> float(ContrastiveLoss(margin=2.0)(ops.array([0.0]), ops.array([[0.5]])))  # ½·(2 − 0.5)²
    1.125
    """

    def __init__(self, margin: float = 1.0, name: str = "contrastive_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin = check_number(margin, "margin", positive=True)

    def call(self, y_true, y_pred):
        return contrastive_loss(y_true, y_pred, margin=self.margin)

    def get_config(self) -> dict:
        return {**super().get_config(), "margin": self.margin}


def _check_accuracy(y_true, y_pred, threshold) -> dict:
    threshold = check_number(threshold, "threshold", minimum=0.0)
    d = _per_pair(y_pred, "y_pred")
    _check_same_batch(_per_pair(y_true, "y_true"), d)
    return {"threshold": threshold}


@keras.saving.register_keras_serializable(package="helpers")
@checked_by(_check_accuracy)
def accuracy(y_true, y_pred, threshold: float = 0.5):
    """Per-pair correctness at a distance threshold: predict "similar" when ``d < threshold``.

    The article's ``binary_accuracy(y, 1 − d)`` is this with threshold 0.5 (``1 − d > 0.5 ⇔ d < 0.5``).
    Returns float32 of shape (B,) with 1.0 where the prediction matches the label; Keras averages it.

    >>> accuracy(ops.array([1.0, 0.0, 0.0]), ops.array([[0.2], [0.9], [0.1]])).numpy().tolist()
    [1.0, 1.0, 0.0]
    """
    y, d = _flat(y_true), _flat(y_pred)  # (B,) each, as in contrastive_loss
    predicted_similar = ops.cast(d < threshold, "float32")
    return ops.cast(ops.equal(predicted_similar, ops.cast(y > 0.5, "float32")), "float32")


def pairwise_distances(embeddings, squared: bool = False):
    """(B, B) Euclidean distances between all rows of ``embeddings`` (B, D), via ``|a|² + |b|² − 2a·b`` (one
    matrix product). Floored at Keras' ε before the square root, as :func:`euclidean_distance`: no NaN
    gradient for identical rows (the diagonal). ``squared=True``: the floored squared distances.

    >>> pairwise_distances(ops.array([[0.0, 0.0], [3.0, 4.0]])).numpy().round(3).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    emb = ops.cast(embeddings, "float32")
    square_norms = ops.sum(ops.square(emb), axis=1)
    sum_square = square_norms[:, None] + square_norms[None, :] - 2.0 * ops.matmul(emb, ops.transpose(emb))
    sum_square = ops.maximum(sum_square, keras.config.epsilon())
    return sum_square if squared else ops.sqrt(sum_square)


def _check_batch_loss(y_true, y_pred, margin: float, negatives: str) -> dict:
    margin = check_number(margin, "margin", positive=True)
    if negatives not in ("inside_margin", "all"):
        raise ValueError(f"negatives: expected 'inside_margin' or 'all', got {negatives!r}")
    return {"margin": margin}


@keras.saving.register_keras_serializable(package="helpers")
@checked_by(_check_batch_loss)
def batch_contrastive_loss(y_true, y_pred, margin: float = 1.0, negatives: str = "inside_margin"):
    """The same contrastive loss over **every pair inside a batch** of single images (not of pairs).

    ``y_true``: class ids, shape (B,) or (B, 1); ``y_pred``: embeddings, shape (B, D) — the twin's output.
    A batch of B images holds B(B−1)/2 pairs for the price of B forward passes, where the article's pair
    batches pay two passes per pair. Similar pairs are ~10 % of them on MNIST, so the two kinds are averaged
    separately and added (balanced, like the article's 50/50 pairs); different pairs are averaged over those
    that still cost something (``d < margin``), so the negatives that still teach are not drowned by the many
    that no longer do (``negatives="all"``: averaged over every different pair, for the ablation of
    notebook 12).
    Returns a scalar float32.

    >>> emb = ops.array([[0.0, 0.0], [0.3, 0.4], [0.3, 0.0]])  # distances: 0.5 (similar), 0.3 and 0.4
    >>> round(float(batch_contrastive_loss(ops.array([0, 0, 1]), emb)), 4)  # ½·0.5² + mean(½·0.7², ½·0.6²)
    0.3375
    """
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    sum_square = pairwise_distances(y_pred, squared=True)  # floored at ε, as in notebook 05: no NaN gradient
    d = ops.sqrt(sum_square)
    same = ops.cast(ops.equal(labels[:, None], labels[None, :]), "float32")
    similar = same - ops.eye(ops.shape(labels)[0])  # every pair once each way; an image with itself is no pair
    different = 1.0 - same
    similar_loss = ops.sum(similar * sum_square / 2.0) / ops.maximum(ops.sum(similar), 1.0)
    different_terms = different * ops.square(ops.maximum(margin - d, 0.0)) / 2.0
    active = different * ops.cast(d < margin, "float32") if negatives == "inside_margin" else different
    different_loss = ops.sum(different_terms) / ops.maximum(ops.sum(active), 1.0)
    return similar_loss + different_loss


# -- Beyond the article: the losses notebook 14 compares on one protocol --------------------------------------
# Each takes what `batch_contrastive_loss` takes: class ids (B,) and the twin's embeddings (B, D) of a batch of
# single images, so that one twin, one data pipeline and one evaluation serve every loss.

_FAR = 1e9  # stands for "no such distance" in masked minima and maxima (finite: no inf or NaN in gradients)


def _label_masks(y_true):
    """(B, B) float masks of a batch's class ids: ``positive`` (same class, not the image itself) and
    ``negative`` (another class)."""
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    same = ops.cast(ops.equal(labels[:, None], labels[None, :]), "float32")
    return same - ops.eye(ops.shape(labels)[0]), 1.0 - same


def _triplet_inputs(y_true, y_pred, margin):
    """The masks of :func:`_label_masks` and the (B, B) embedding distances, after checking ``margin``."""
    check_number(margin, "margin", positive=True)
    return (*_label_masks(y_true), pairwise_distances(y_pred))


def semihard_negatives(y_true, distances):
    """The negative each (anchor, positive) pair is trained against, by batch semi-hard mining.

    ``distances``: (B, B) embedding distances. FaceNet calls a negative *semi-hard* when it is farther from
    the anchor *a* than the positive *p* but by less than the margin; the rule here, TensorFlow Addons'
    ``TripletSemiHardLoss``, takes the closest negative that is farther than *p* (``d(a, n) > d(a, p)``):
    hard enough to teach, not so hard that it is probably a mislabelled or ambiguous image. When no negative
    is farther, the farthest negative is used.
    Returns (B, B) float32: ``d(a, n)`` of the chosen negative at ``[a, p]`` (meaningful where *p* is a positive
    of *a*; 0 where *a* has no negative in the batch).

    >>> d = pairwise_distances(ops.array([[0.0], [0.5], [0.3], [0.8], [2.0]]))  # anchor 0, its positive 1
    >>> round(float(semihard_negatives(ops.array([0, 0, 1, 2, 3]), d)[0, 1]), 4)  # 0.3 is closer than 0.5
    0.8
    """
    _, negative = _label_masks(y_true)
    d_ap = distances[:, :, None]  # [a, p, ·]
    d_an = distances[:, None, :]  # [a, ·, n]
    farther = negative[:, None, :] * ops.cast(d_an > d_ap, "float32")  # [a, p, n]: semi-hard candidates
    closest_farther = ops.min(ops.where(farther > 0, d_an, _FAR), axis=2)
    farthest = ops.max(negative * distances, axis=1)[:, None]  # the fallback; distances are ≥ 0
    return ops.where(ops.sum(farther, axis=2) > 0, closest_farther, farthest)


def triplet_semihard_loss(y_true, y_pred, margin: float = 1.0):
    """Triplet loss with batch semi-hard mining (Schroff, Kalenichenko & Philbin 2015, FaceNet), scalar.

    Every (anchor, positive) pair of the batch is one triplet with its :func:`semihard_negative
    <semihard_negatives>`; the loss ``max(0, d(a, p) − d(a, n) + margin)`` asks the negative to be ``margin``
    farther than the positive, a *relative* demand where the contrastive loss sets absolute targets (0 for
    similar, ≥ margin for different). Euclidean distances of the twin's embeddings, as in the rest of the
    course; averaged over the (anchor, positive) pairs of anchors that have a negative in the batch.

    >>> emb, labels = ops.array([[0.0], [0.5], [0.3], [0.8], [2.0]]), ops.array([0, 0, 1, 2, 3])
    >>> round(float(triplet_semihard_loss(labels, emb)), 4)  # (0.5 − 0.8 + 1 and max(0, 0.5 − 1.5 + 1)) / 2
    0.35
    """
    positive, negative, d = _triplet_inputs(y_true, y_pred, margin)
    has_negative = ops.cast(ops.sum(negative, axis=1, keepdims=True) > 0, "float32")
    triplets = positive * has_negative
    losses = ops.maximum(d - semihard_negatives(y_true, d) + margin, 0.0)
    return ops.sum(triplets * losses) / ops.maximum(ops.sum(triplets), 1.0)


def triplet_batch_hard_loss(y_true, y_pred, margin: float = 1.0):
    """Triplet loss with batch-hard mining (Hermans, Beyer & Leibe 2017), scalar: one triplet per anchor, of
    its farthest positive and its closest negative in the batch, ``max(0, d(a, p⁺) − d(a, n⁻) + margin)``,
    averaged over the anchors that have both.

    >>> emb, labels = ops.array([[0.0], [0.5], [0.3], [0.8], [2.0]]), ops.array([0, 0, 1, 2, 3])
    >>> round(float(triplet_batch_hard_loss(labels, emb)), 4)  # anchors 0 and 1: (0.5 − 0.3 + 1, 0.5 − 0.2 + 1) / 2
    1.25
    """
    positive, negative, d = _triplet_inputs(y_true, y_pred, margin)
    hardest_positive = ops.max(positive * d, axis=1)
    hardest_negative = ops.min(ops.where(negative > 0, d, _FAR), axis=1)
    valid = ops.cast((ops.sum(positive, axis=1) > 0) & (ops.sum(negative, axis=1) > 0), "float32")
    losses = ops.maximum(hardest_positive - hardest_negative + margin, 0.0)
    return ops.sum(valid * losses) / ops.maximum(ops.sum(valid), 1.0)


def _check_temperature(y_true, y_pred, temperature: float) -> dict:
    return {"temperature": check_number(temperature, "temperature", positive=True)}


@checked_by(_check_temperature)
def supcon_loss(y_true, y_pred, temperature: float = 0.1):
    """Supervised contrastive loss (Khosla et al. 2020, SupCon, their L_out), scalar: notebook 13's NT-Xent
    with labels. Embeddings are L2-normalised; for each anchor, every other image of its class is a positive,
    and the loss is the mean over its positives of ``−log softmax`` of the positive's cosine similarity
    divided by ``temperature``, among all other images of the batch. Averaged over anchors that have a
    positive. Distances between normalised embeddings are what it shapes, so notebook 14 evaluates it on them.

    >>> z, labels = ops.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), ops.array([0, 0, 1])
    >>> round(float(supcon_loss(labels, z, temperature=1.0)), 4)  # anchors 0 and 1: −log(e / (e + 1))
    0.3133
    """
    positive, _ = _label_masks(y_true)
    z = ops.cast(y_pred, "float32")
    z = z / ops.maximum(ops.sqrt(ops.sum(ops.square(z), axis=1, keepdims=True)), 1e-12)
    logits = ops.matmul(z, ops.transpose(z)) / temperature - _FAR * ops.eye(ops.shape(z)[0])  # never itself
    log_prob = logits - ops.logsumexp(logits, axis=1, keepdims=True)
    count = ops.sum(positive, axis=1)
    mean_log_prob = ops.sum(positive * log_prob, axis=1) / ops.maximum(count, 1.0)
    valid = ops.cast(count > 0, "float32")
    return -ops.sum(valid * mean_log_prob) / ops.maximum(ops.sum(valid), 1.0)
