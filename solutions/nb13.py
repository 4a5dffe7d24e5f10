"""Notebook 13 · Contrastive learning without labels.

Exercise 1 (recall), in words: the head's output is trained to be *invariant* to the augmentations, so it
throws away whatever they change (position, slant, thickness) — information a downstream task may need.
The features before the head keep it; SimCLR's paper measured them as better for linear probes.

Exercise 2 (apply): at τ = 1 the softmax is flat, hard negatives weigh no more than easy ones and the
gradient is weak; the probe drops. :func:`view_matching_accuracy` is a direct measure of how well the
encoder tells views apart.

Exercise 3 (design): without rotation, the encoder is not taught that a slanted digit is the same digit;
expect more confusions between slanted 1s and 7s and between 4 and 9. Check: per-digit probe accuracy
with and without rotation, or 1-NN accuracy on test images rotated by ±15°.
"""

from __future__ import annotations

import numpy as np


def view_matching_accuracy(z1: np.ndarray, z2: np.ndarray) -> float:
    """The share of the 2B views whose most similar other view (cosine) is their own partner — NT-Xent's
    "classification" accuracy; chance is 1 / (2B − 1)."""
    z = np.concatenate([z1, z2]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    similarity = z @ z.T
    np.fill_diagonal(similarity, -np.inf)
    n = len(z1)
    partner = np.concatenate([np.arange(n) + n, np.arange(n)])
    return float(np.mean(np.argmax(similarity, axis=1) == partner))
