"""Notebook 04 · Positive and negative pairs."""

from __future__ import annotations

import numpy as np


def pair_facts(indices: np.ndarray, pair_labels: np.ndarray, labels: np.ndarray) -> dict:
    """Exercise 1 (recall). What ``generate_pair_indices`` promises, measured: no image paired with itself,
    each anchor used exactly twice (once similar, once different), labels that match the digits."""
    anchors, partners = indices[:, 0], indices[:, 1]
    same = labels[anchors] == labels[partners]
    return {
        "self_pairs": int(np.sum(anchors == partners)),
        "uses_per_anchor": sorted(set(np.bincount(anchors, minlength=len(labels)).tolist())),
        "labels_match_digits": bool(np.array_equal(same, pair_labels == 1)),
        "similar_fraction": float(np.mean(pair_labels)),
    }


def confusable_negatives(labels: np.ndarray, confusions: dict[int, int], rng: np.random.Generator) -> np.ndarray:
    """Exercise 2 (design). Harder negative pairs: for an anchor of digit ``a`` with ``confusions[a] = b``,
    draw its different partner among the images of ``b`` (e.g. 4 → 9, 3 → 5); other digits as before.
    Returns (N, 2) index pairs (anchor, negative partner)."""
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
