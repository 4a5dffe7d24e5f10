"""Notebook 09 · Results."""

from __future__ import annotations

import numpy as np


def error_rates(distances: np.ndarray, pair_labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Exercise 1 (recall). The two kinds of mistake at a threshold ("similar" when ``d < threshold``):
    ``false_positive_rate``, the share of different pairs called similar, and ``false_negative_rate``, the
    share of similar pairs called different.

    Lowering the threshold calls fewer pairs similar: more different pairs are recognised (the false
    positive rate can only fall) and fewer similar ones (the false negative rate can only rise). Which
    threshold is best depends on what each mistake costs — and it is chosen on validation pairs
    (notebook 10).
    """
    d, y = np.asarray(distances, np.float64), np.asarray(pair_labels)
    similar_called = d < threshold
    return {"false_positive_rate": float(np.mean(similar_called[y == 0])),
            "false_negative_rate": float(np.mean(~similar_called[y == 1]))}


def accuracy_standard_error(correct: np.ndarray) -> float:
    """Exercise 2 (apply). The standard error of an accuracy measured on ``n`` pairs, *if* the pairs were
    independent: ``sqrt(p (1 − p) / n)``. For p ≈ 0.91 and 20,000 pairs that is about 0.002, so the third
    decimal of the printed test accuracy is already within the noise of which pairs were drawn."""
    correct = np.asarray(correct, np.float64)
    p = correct.mean()
    return float(np.sqrt(p * (1 - p) / len(correct)))


def anchor_bootstrap_standard_error(correct: np.ndarray, anchors: np.ndarray, rng: np.random.Generator,
                                    draws: int = 1000) -> float:
    """Exercise 3 (design). A standard error that respects how the test pairs were built: every test image
    is the anchor of two pairs, so the pairs are not independent — an unusual handwriting makes both of its
    pairs hard. Resample the *anchor images* with replacement, keep all the pairs of each drawn anchor, and
    take the spread of the accuracy over ``draws`` resamples. (An image is also the partner in other pairs;
    this resampling leaves that link aside.)

    If the two pairs of an anchor always shared their outcome, there would in effect be only half as
    many independent observations, and the error would be ``√2`` times :func:`accuracy_standard_error`;
    if their outcomes were independent, the two would agree. On the real test pairs, comparing the two
    numbers shows how much the pairs of one anchor go together.
    """
    correct, anchors = np.asarray(correct, np.float64), np.asarray(anchors)
    images, position = np.unique(anchors, return_inverse=True)
    right = np.bincount(position, weights=correct, minlength=len(images))  # per anchor: correct pairs
    total = np.bincount(position, minlength=len(images)).astype(np.float64)  # per anchor: all its pairs
    accuracies = []
    for _ in range(draws):
        chosen = rng.integers(0, len(images), len(images))
        accuracies.append(right[chosen].sum() / total[chosen].sum())
    return float(np.std(accuracies))
