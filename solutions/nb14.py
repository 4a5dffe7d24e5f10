"""Notebook 14 · Which loss?"""

from __future__ import annotations

import numpy as np


def triplet_terms(d_positive: float, d_negatives: list[float], margin: float = 1.0) -> list[tuple[str, float]]:
    """Exercise 1 (recall). For one (anchor, positive) pair at distance ``d_positive``, each negative's kind
    and triplet loss ``max(0, d(a, p) − d(a, n) + margin)``.

    *hard*: closer than the positive (``d(a, n) < d(a, p)``), the largest loss; *semi-hard*: farther than the
    positive but inside the margin band (``d(a, p) < d(a, n) < d(a, p) + margin``), a loss between 0 and
    ``margin``; *easy*: beyond the band, no loss and no gradient. With ``d_positive = 0.4``: 0.3 is hard
    (1.1), 0.9 semi-hard (0.5), 1.6 easy (0). The semi-hard rule trains on 0.9: the closest negative that is
    farther than the positive.
    """
    terms = []
    for d_negative in d_negatives:
        loss = max(0.0, d_positive - d_negative + margin)
        kind = "hard" if d_negative < d_positive else ("semi-hard" if loss > 0 else "easy")
        terms.append((kind, loss))
    return terms


def supcon_as_nt_xent(z1, z2, temperature: float = 0.2) -> tuple[float, float]:
    """Exercise 2 (apply). SupCon where each image's only positive is its other view *is* NT-Xent: give the
    2B views the labels ``0 … B−1`` twice and the two losses agree. Returns ``(supcon, nt_xent)``.

    Both take, for each of the 2B views, ``−log softmax`` of its partner's cosine similarity over the other
    2B − 1 views, divided by the temperature, and average over the views. SupCon differs only when a class
    has more than one image in the batch: then every one of them is a positive.
    """
    from helpers.losses import supcon_loss
    from helpers.selfsup import nt_xent_loss

    z1, z2 = np.asarray(z1, np.float32), np.asarray(z2, np.float32)
    labels = np.concatenate([np.arange(len(z1)), np.arange(len(z2))])
    supcon = float(supcon_loss(labels, np.concatenate([z1, z2]), temperature=temperature))
    return supcon, float(nt_xent_loss(z1, z2, temperature))


def differs_beyond_noise(runs_a: list[float], runs_b: list[float]) -> tuple[float, bool]:
    """Exercise 3 (design). Is the difference between two losses more than the seed-to-seed noise?

    ``runs_a``, ``runs_b``: one measure (say 1-NN accuracy) from runs that differ only in their seed, at
    least two each. Returns the difference of the means and whether it exceeds the larger of the two
    ranges (max − min) of the runs: a deliberately simple, conservative rule for a handful of seeds. With
    one run per loss — as in notebook 14 — the noise is unknown and no difference can be called real; the
    ablation of notebook 12 (``make ablation``) trains its reference twice for this reason.
    """
    a, b = np.asarray(runs_a, np.float64), np.asarray(runs_b, np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"runs_a and runs_b: expected at least two seeds each, got {len(a)} and {len(b)}")
    difference = float(a.mean() - b.mean())
    noise = max(np.ptp(a), np.ptp(b))
    return difference, bool(abs(difference) > noise)
