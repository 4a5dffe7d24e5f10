"""Notebook 11 · The embedding space."""

from __future__ import annotations

import numpy as np


def largest_stretch(points: np.ndarray, projected: np.ndarray) -> float:
    """Exercise 1 (recall). The largest factor by which a 2-d picture stretches a distance:
    ``max |p_i − p_j| / |x_i − x_j|`` over all pairs of (N, D) ``points`` and their (N, 2) ``projected``
    positions.

    PCA subtracts the mean and projects onto two orthonormal directions, which can never lengthen a
    distance: its stretch is at most 1. So clusters that lie apart in the PCA picture are at least as far
    apart in the 128-d space, while clusters that overlap in it may still be far apart along the other
    126 directions. t-SNE gives no such bound, in either direction.
    """
    from sklearn.metrics import pairwise_distances  # (N, N): a sample of about 1,000 points is plenty

    pairs = np.triu_indices(len(points), k=1)
    original = pairwise_distances(np.asarray(points, np.float64))[pairs]
    shown = pairwise_distances(np.asarray(projected, np.float64))[pairs]
    keep = original > 0  # identical points have no direction to stretch
    return float(np.max(shown[keep] / original[keep]))


def prototype_accuracy(e_train, y_train, e_test, y_test, shots: int, rng: np.random.Generator) -> float:
    """Exercise 2 (apply). Few-shot with one *prototype* per class — the mean of its ``shots`` examples —
    instead of the nearest single example: averaging smooths away an unlucky example."""
    classes = np.unique(y_train)
    chosen = [rng.choice(np.flatnonzero(y_train == c), size=shots, replace=False) for c in classes]
    prototypes = np.stack([e_train[idx].mean(axis=0) for idx in chosen])
    nearest = np.argmin(np.linalg.norm(e_test[:, None] - prototypes[None], axis=2), axis=1)
    return float(np.mean(classes[nearest] == y_test))


def looks_unknown(e_train, e_query, quantile: float = 0.99) -> np.ndarray:
    """Exercise 3 (design). Flag queries whose nearest training embedding is farther than the training
    images are from *their* nearest neighbour in ``quantile`` of cases: far from everything known ⇒ likely a
    class never seen."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=2).fit(e_train)
    own = index.kneighbors(e_train)[0][:, 1]  # the nearest *other* training image
    limit = np.quantile(own, quantile)
    return index.kneighbors(e_query, n_neighbors=1)[0][:, 0] > limit
