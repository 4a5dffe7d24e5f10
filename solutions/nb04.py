"""Notebook 04 · Positive and negative pairs."""

from __future__ import annotations

import numpy as np


def random_pair_similar_share(labels: np.ndarray) -> float:
    """Exercise 1 (recall). The share of similar pairs among *all* pairs of two different images:
    ``Σ_c n_c (n_c − 1) / (N (N − 1))`` — about 1 in 10 on MNIST's ten balanced digits.

    From such pairs a network that calls every pair "different" would already be right about 9 times in
    10, and the loss would be dominated by different pairs. One similar and one different partner per anchor
    makes the two kinds equally frequent, so neither can be ignored.
    """
    labels = np.asarray(labels)
    counts = np.unique(labels, return_counts=True)[1].astype(np.float64)
    n = float(len(labels))
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))


def never_a_partner(indices: np.ndarray, n_images: int) -> float:
    """Exercise 2 (apply). The share of images that no anchor chose as its partner (similar or different).

    Every image is an anchor exactly twice, but partners are drawn at random: an image of a digit with
    ``c`` images is the similar partner of each of the other ``c − 1`` anchors with probability
    ``1 / (c − 1)`` (about Poisson(1) in all), and likewise the different partner of about Poisson(1) anchors.
    So the chance of never being a partner is about ``e⁻²`` ≈ 13.5 %, while a few images are chosen four
    times or more. ``indices``: (M, 2) pairs ``(anchor, partner)``.
    """
    used = np.bincount(np.asarray(indices)[:, 1], minlength=n_images)
    return float(np.mean(used == 0))


def confusable_negatives(labels: np.ndarray, confusions: dict[int, int], rng: np.random.Generator) -> np.ndarray:
    """Exercise 3 (design). Harder negative pairs: for an anchor of digit ``a`` with ``confusions[a] = b``,
    draw its different partner among the images of ``b`` (e.g. 4 → 9, 3 → 5); other digits as before.
    Returns (N, 2) index pairs (anchor, negative partner).

    Giving *every* digit one confusable partner would be a problem of its own: the anchors of each digit
    would be pushed away from one other digit only, and nothing in their own pairs would keep them apart
    from the remaining eight. Mixing hard and random negatives keeps both."""
    labels = np.asarray(labels)
    by_class = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
    partners = np.empty(len(labels), np.int64)
    for i, digit in enumerate(labels):
        target = confusions.get(int(digit))
        if target is None or target == digit:
            others = np.flatnonzero(labels != digit)
            partners[i] = rng.choice(others)
        else:
            partners[i] = rng.choice(by_class[target])
    return np.stack([np.arange(len(labels)), partners], axis=1)
