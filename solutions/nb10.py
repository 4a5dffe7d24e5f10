"""Notebook 10 · Evaluation."""

from __future__ import annotations

import numpy as np


def auc_of_constant_and_reversed(distances: np.ndarray, pair_labels: np.ndarray) -> dict[str, float]:
    """Exercise 1 (recall). The AUC of a model that gives every pair the same distance, and of one whose
    distances come in exactly the reverse order of ``distances``'.

    A constant model ranks nothing: every similar/different comparison is a tie, AUC 0.5 — a coin toss.
    Reversing the order turns every correctly ranked comparison into a wrong one: AUC ``1 − AUC``. So an
    AUC of 0.1 is no bad model but one read the wrong way round (e.g. the labels of the other convention,
    notebook 05): the reversed rule would score 0.9.
    """
    from helpers.evaluation import roc

    d = np.asarray(distances, np.float64)
    return {"original": roc(d, pair_labels)[2],
            "constant": roc(np.full(len(d), 0.7), pair_labels)[2],
            "reversed": roc(d.max() - d, pair_labels)[2]}


def optimism_of_choosing_on_test(d_val, y_val, d_test, y_test) -> float:
    """Exercise 2 (apply). Test accuracy at the threshold best *on the test pairs* minus test accuracy at
    the threshold chosen on validation pairs: never negative, and it is the optimism you would report."""
    from helpers.evaluation import best_threshold, pair_accuracy

    cheating = pair_accuracy(d_test, y_test, best_threshold(d_test, y_test))
    honest = pair_accuracy(d_test, y_test, best_threshold(d_val, y_val))
    return cheating - honest


def threshold_for_false_positive_rate(distances, pair_labels, max_fpr: float) -> tuple[float, float]:
    """Exercise 3 (design). The largest threshold that accepts at most ``max_fpr`` of the different pairs,
    and the share of similar pairs it then recognises: ``(threshold, true positive rate)``. Choose it on
    validation pairs; the test pairs then show whether the promise holds on new pairs."""
    if not 0 <= max_fpr < 1:
        raise ValueError(f"max_fpr: expected a number in [0, 1), got {max_fpr!r}")
    d = np.asarray(distances, float)
    y = np.asarray(pair_labels)
    different = np.sort(d[y == 0])
    allowed = int(np.floor(max_fpr * len(different)))  # different pairs we may accept
    threshold = different[allowed]  # "d < threshold" accepts exactly the `allowed` closest (ties aside)
    return float(threshold), float(np.mean(d[y == 1] < threshold))
