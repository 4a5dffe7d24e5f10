"""Notebook 03 · MNIST and the train/validation split."""

from __future__ import annotations

import numpy as np


def validation_digits_if_sorted(labels: np.ndarray, fraction: float = 0.2) -> list[int]:
    """Exercise 1 (recall). The digits the first ``fraction`` would hold if the file were sorted by digit.

    On MNIST's 60,000 training labels: only 0s and 1s (5,923 zeros, then 6,077 of the 6,742 ones fill the
    12,000 places). Validation would then measure how well the model separates 0s from 1s and say nothing
    about the other eight digits. ``split_validation`` may take the first 20 % only because MNIST's
    training file is in random order.
    """
    labels = np.sort(np.asarray(labels))
    n_val = int(round(fraction * len(labels)))
    return sorted(int(c) for c in np.unique(labels[:n_val]))


def share_gap(labels: np.ndarray, validation: np.ndarray) -> float:
    """Exercise 2 (apply). The largest difference, over the digits, between a digit's share of the validation
    part and its share of the training part. ``validation``: indices (or a boolean mask) of the validation
    samples; every other sample is training."""
    labels = np.asarray(labels)
    in_val = np.zeros(len(labels), bool)
    in_val[validation] = True
    classes = np.unique(labels)
    val_share = np.array([np.mean(labels[in_val] == c) for c in classes])
    train_share = np.array([np.mean(labels[~in_val] == c) for c in classes])
    return float(np.max(np.abs(val_share - train_share)))


def random_split_gaps(labels: np.ndarray, fraction: float, rng: np.random.Generator, draws: int = 100) -> np.ndarray:
    """Exercise 2, the comparison: :func:`share_gap` of ``draws`` random splits of the same size. Where the
    first-20 % split's gap falls among them says whether it is an unusual split (on MNIST it lies inside
    their range — ``tests/test_solutions.py`` checks that)."""
    n_val = int(round(fraction * len(labels)))
    return np.array([share_gap(labels, rng.choice(len(labels), n_val, replace=False)) for _ in range(draws)])


def stratified_split(labels: np.ndarray, validation_fraction: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 3 (design). A split that keeps each digit's share *exactly*: shuffle each class, send
    ``round(fraction · count)`` of it to validation. Returns (train indices, validation indices), sorted.
    Its :func:`share_gap` is only what rounding leaves, far below the first-20 % split's.

    On 60,000 images of ten balanced digits the first-20 % split is already close (exercise 2 measures how
    close); stratifying matters for small data sets and rare classes, where chance can leave a class almost
    absent from the validation part."""
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
