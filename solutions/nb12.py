"""Notebook 12 · A better Siamese model.

Exercise 2 (apply) is a run of the notebook, not a function: copy ``build/metrics_improved_mnist.json``
aside (the run overwrites it), set ``IMPROVED_EPOCHS = 3`` and run the notebook again; the comparison table
then prints the 3-epoch numbers next to the article's. :func:`gain_kept` turns the three metrics files into
the share of the 7-epoch gain that 3 epochs keep. Afterwards set ``IMPROVED_EPOCHS = 7`` and ``TRAIN =
False`` and run it once more (the shipped weights, seconds): notebook 13 loads this notebook's model.
"""

from __future__ import annotations

import numpy as np


def active_negative_term(labels: np.ndarray, embeddings: np.ndarray, margin: float = 1.0) -> float:
    """Exercise 1 (recall). The different-pair half of ``batch_contrastive_loss``, with a plain loop over
    the pairs of a batch: ``½ max(0, m − d)²`` averaged over the different pairs closer than the margin.

    When every different pair is already beyond the margin there is nothing to average: the term is 0,
    and the batch teaches only through its similar pairs. The helper divides by ``maximum(count, 1)`` for
    this case: dividing by the count itself would be 0 / 0 = NaN, and one NaN loss turns every weight into
    NaN at the next step.
    """
    x = np.asarray(embeddings, np.float64)
    total, count = 0.0, 0
    for i in range(len(x)):
        for j in range(len(x)):
            d = np.linalg.norm(x[i] - x[j])
            if labels[i] != labels[j] and d < margin:
                total += 0.5 * (margin - d) ** 2
                count += 1
    return total / max(count, 1)


def gain_kept(article: dict, short_run: dict, full_run: dict, key: str = "test_accuracy") -> float:
    """Exercise 2 (apply). The share of the full run's gain over the article's model that a shorter run
    keeps: ``(short − article) / (full − article)`` for the metric ``key``. Each argument is a metrics dict as
    notebooks 10 and 12 save them (``build/metrics_article_mnist.json``, ``build/metrics_improved_mnist.json``).
    1 means the short run is as good as the full one; 0, no better than the article's model."""
    gain = full_run[key] - article[key]
    if gain == 0:
        raise ValueError(f"{key}: the full run is no better than the article's model, so there is no gain to share")
    return float((short_run[key] - article[key]) / gain)


def batch_hard_contrastive_loss(y_true, y_pred, margin: float = 1.0):
    """Exercise 3 (design). Batch-hard mining: for each anchor only its *farthest* similar image and its
    *closest* different image count. Early in training the embedding is still close to random, so which pairs
    count as "hardest" is decided by the untrained network rather than by the digits, and each anchor
    contributes two of its 255 pairs (in a batch of 256): the gradient rests on few, arbitrary pairs.
    Schroff et al. (FaceNet, 2015) report that the hardest negatives alone can collapse a model early in
    training (every image mapped to one point), for the triplet loss; the usual remedies are a warm-up with
    the averaged loss, or mining only after some epochs. Whether it helps here is for a run to show."""
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
