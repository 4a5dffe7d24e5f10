"""Notebook 02 · Data helpers."""

from __future__ import annotations

import numpy as np


def preprocess_facts() -> dict:
    """Exercise 1 (recall). What ``preprocess`` does to a uint8 batch: a channel axis, float32, [0, 1].

    Returns the output shape, dtype and extreme values for a batch of two 28×28 images holding 0 and 255.
    """
    from helpers.data import preprocess

    images = np.zeros((2, 28, 28), np.uint8)
    images[1] = 255
    out = preprocess(images)
    return {"shape": out.shape, "dtype": str(out.dtype), "min": float(out.min()), "max": float(out.max())}


def background_fraction(images: np.ndarray) -> float:
    """Exercise 2 (apply). The fraction of pixels that are exactly 0 (paper, no ink) — about 81 % on MNIST,
    which is why a digit's ink, not its background, carries the signal."""
    images = np.asarray(images)
    if images.size == 0:
        raise ValueError("images: expected at least one pixel")
    return float(np.mean(images == 0))
