"""Notebook 09 · Results."""

from __future__ import annotations

from collections import Counter

import numpy as np


def accuracy_by_digit(correct: np.ndarray, anchor_digits: np.ndarray) -> dict[int, float]:
    """Exercise 1 (apply). Test-pair accuracy grouped by the anchor's digit: which digits does the model
    find hardest?"""
    correct, anchor_digits = np.asarray(correct, bool), np.asarray(anchor_digits)
    return {int(d): float(correct[anchor_digits == d].mean()) for d in np.unique(anchor_digits)}


def most_confused(false_positive_digits: np.ndarray, k: int = 3) -> list[tuple[tuple[int, int], int]]:
    """Exercise 2 (design). The digit pairs most often called similar although different, order ignored
    (4–9 and 9–4 count together): ``false_positive_digits`` is (M, 2) of the two digits of each mistake."""
    counts = Counter(tuple(sorted((int(a), int(b)))) for a, b in np.asarray(false_positive_digits))
    return counts.most_common(k)
