"""Notebook 14 · Which loss?"""

from __future__ import annotations

import numpy as np


def semihard_triplets(embeddings, classes, margin: float = 1.0) -> tuple[list[tuple[int, int, float, float]], float]:
    """Exercise 1 (recall). Batch semi-hard mining by hand, with plain loops: for every (anchor, positive)
    pair of the batch, in both directions, ``(anchor, positive, d(a, n) of the chosen negative, triplet loss)``,
    and the batch's loss, their mean.

    The rule: the closest negative farther from the anchor than the positive; when no negative is farther,
    the farthest negative. The loss is ``max(0, d(a, p) − d(a, n) + margin)``. In the exercise's batch (class 0
    at 0.0 and 0.6, class 1 at 0.4 and 2.8, class 2 at 1.5): 0.0 → 0.6 trains against 1.5 (loss 0.1),
    0.6 → 0.0 against 1.5 at 0.9 (0.7), 2.8 → 0.4 against 0.0 at 2.8 (0.6), and 0.4 → 2.8 finds no negative
    beyond 2.4, so it falls back to the farthest, 1.5 at 1.1 (2.3): mean 0.925. The same pair picks another
    negative in each direction, because the anchor is another point.
    """
    x = np.asarray(embeddings, np.float64)
    x = x.reshape(len(x), -1)
    classes = np.asarray(classes)
    triplets = []
    for a in range(len(x)):
        negatives = [np.linalg.norm(x[a] - x[n]) for n in range(len(x)) if classes[n] != classes[a]]
        for p in range(len(x)):
            if p == a or classes[p] != classes[a] or not negatives:
                continue
            d_ap = np.linalg.norm(x[a] - x[p])
            farther = [d_an for d_an in negatives if d_an > d_ap]
            d_an = min(farther) if farther else max(negatives)
            triplets.append((a, p, float(d_an), max(0.0, float(d_ap - d_an + margin))))
    return triplets, float(np.mean([loss for *_, loss in triplets])) if triplets else 0.0


def supcon_as_nt_xent(z1, z2, temperature: float = 0.2) -> tuple[float, float]:
    """Exercise 2 (apply). SupCon where each image's only positive is its other view *is* NT-Xent: give the
    2B views the labels ``0 … B−1`` twice and the two losses agree. Returns ``(supcon, nt_xent)``.

    Both take, for each of the 2B views, ``−log softmax`` of its partner's cosine similarity over the other
    2B − 1 views, divided by the temperature, and average over the views. SupCon differs only when a class
    has more than one image in the batch: then every one of them is a positive.
    """
    from helpers.losses import supcon_loss
    from helpers.selfsup import nt_xent_loss

    z1, z2 = np.asarray(z1, np.float32), np.asarray(z2, np.float32)
    labels = np.concatenate([np.arange(len(z1)), np.arange(len(z2))])
    supcon = float(supcon_loss(labels, np.concatenate([z1, z2]), temperature=temperature))
    return supcon, float(nt_xent_loss(z1, z2, temperature))


def paired_standard_errors(correct_a, correct_b) -> tuple[float, float]:
    """Exercise 3 (design). Two models scored on the same ``n`` test images: ``correct_a`` and ``correct_b`` say,
    per image, whether each model got it right. Returns ``(independent, paired)``: the standard error of the
    difference of their accuracies as :func:`helpers.evaluation.beyond_noise` takes it, √(a(1 − a)/n +
    b(1 − b)/n), as if two independent test sets had been drawn, and the paired one, the standard deviation of
    the per-image differences / √n.

    The paired one is smaller when the models tend to get the same images right (they share the easy and the
    hard digits), because only images one model gets right and the other wrong move the difference: the
    independent formula is conservative for twins tested on one test set. It is not smaller when the two
    models' mistakes are unrelated.
    """
    a, b = np.asarray(correct_a, np.float64), np.asarray(correct_b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"correct_a and correct_b: expected two 1-d arrays of one length >= 2, got {a.shape} and "
                         f"{b.shape}")
    n = len(a)
    independent = float(np.sqrt((a.mean() * (1 - a.mean()) + b.mean() * (1 - b.mean())) / n))
    paired = float(np.std(a - b) / np.sqrt(n))
    return independent, paired
