"""Notebook 10 · Evaluation."""

from __future__ import annotations

import numpy as np


def auc_of_a_constant_model(pair_labels: np.ndarray) -> float:
    """Exercise 1 (recall). A model that gives every pair the same distance ranks nothing: AUC 0.5 (every
    similar/different comparison is a tie), the same as a coin toss."""
    from helpers.evaluation import roc

    return roc(np.full(len(pair_labels), 0.7), pair_labels)[2]


def optimism_of_choosing_on_test(d_val, y_val, d_test, y_test) -> float:
    """Exercise 2 (apply). Test accuracy at the threshold best *on the test pairs* minus test accuracy at
    the threshold chosen on validation pairs: never negative, and it is the optimism you would report."""
    from helpers.evaluation import best_threshold, pair_accuracy

    cheating = pair_accuracy(d_test, y_test, best_threshold(d_test, y_test))
    honest = pair_accuracy(d_test, y_test, best_threshold(d_val, y_val))
    return cheating - honest


def threshold_for_false_positive_rate(distances, pair_labels, max_fpr: float) -> tuple[float, float]:
    """Exercise 3 (design). The largest threshold that accepts at most ``max_fpr`` of the different pairs,
    and the share of similar pairs it then recognises: ``(threshold, true positive rate)``."""
    d = np.asarray(distances, float)
    y = np.asarray(pair_labels)
    different = np.sort(d[y == 0])
    allowed = int(np.floor(max_fpr * len(different)))  # different pairs we may accept
    threshold = different[allowed]  # "d < threshold" accepts exactly the `allowed` closest (ties aside)
    return float(threshold), float(np.mean(d[y == 1] < threshold))
