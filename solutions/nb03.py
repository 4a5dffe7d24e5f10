"""Notebook 03 · MNIST and the train/validation split."""

from __future__ import annotations

import numpy as np


def class_fractions(labels: np.ndarray) -> dict[int, float]:
    """Exercise 1 (recall). Share of each digit in a set of labels: the first-20 % split keeps every digit
    near 10 % in both parts, because MNIST's training file is not sorted by digit."""
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    return {int(c): float(n / len(labels)) for c, n in zip(classes, counts)}


def stratified_split(labels: np.ndarray, validation_fraction: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2 (design). A split that keeps each digit's share *exactly*: shuffle each class, send
    ``round(fraction · count)`` of it to validation. Returns (train indices, validation indices), sorted."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction: expected a number between 0 and 1, got {validation_fraction!r}")
    labels = np.asarray(labels)
    train, val = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(validation_fraction * len(members)))
        val.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))
