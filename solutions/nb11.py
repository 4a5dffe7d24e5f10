"""Notebook 11 · The embedding space.

Exercise 1 (recall), in words: t-SNE keeps each point's *neighbours*; it rescales densities and places
clusters wherever its optimisation ends up, so distances between clusters (and their sizes) carry no
meaning. Compare cluster distances in the 128-d space (e.g. the distances between class means) instead —
see :func:`class_mean_distances`.
"""

from __future__ import annotations

import numpy as np


def class_mean_distances(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Exercise 1, in code: the (C, C) Euclidean distances between the class means, in the real space."""
    classes = np.unique(labels)
    means = np.stack([embeddings[labels == c].mean(axis=0) for c in classes])
    return np.linalg.norm(means[:, None] - means[None, :], axis=2)


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
