"""Notebook 15 · Beyond one device."""

from __future__ import annotations

import numpy as np


def global_moments(shares: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 1 (recall). What synchronised batch norm computes from each replica's share of a batch
    (rows: images, columns: features): every replica all-reduces its count, its sum and its sum of squares;
    from the three totals each gets the global batch's mean and variance, ``E[x²] − mean²`` per feature
    (the biased variance, as batch norm uses). Returns ``(mean, variance)``, float64, one value per feature.

    Equal to NumPy's mean and variance of the whole batch up to round-off — another way to compute the same
    numbers, which is why two devices agree with one to round-off, not bit for bit. The mean of the
    replicas' own variances, what each unsynchronised replica would use, misses the spread between the
    shares' means: with equal shares, as a strategy splits a batch, it is smaller by exactly the variance of
    the shares' means, so the two differ whenever the shares' means differ.
    """
    shares = [np.asarray(share, np.float64).reshape(len(share), -1) for share in shares]
    count = sum(len(share) for share in shares)  # each sum below is one all-reduce
    total = sum(share.sum(axis=0) for share in shares)
    total_square = sum(np.square(share).sum(axis=0) for share in shares)
    mean = total / count
    return mean, total_square / count - np.square(mean)


def gather_by_padding(shares: list[np.ndarray]) -> np.ndarray:
    """Exercise 2 (apply). What ``helpers.distribute.gather`` computes, in NumPy: each replica pads its share
    with zeros to the global batch's height, at its own block of rows, and the all-reduce adds the padded
    arrays. The result is the shares stacked in replica order (adding zeros changes no number)."""
    share = len(shares[0])
    if any(len(s) != share for s in shares):
        raise ValueError("every replica's share must hold as many rows")
    n = len(shares)
    padded = [np.pad(np.asarray(s, np.float32), [(i * share, (n - 1 - i) * share)] + [(0, 0)] * (np.ndim(s) - 1))
              for i, s in enumerate(shares)]
    return np.sum(padded, axis=0)


def trains_like_one_device(one_device: dict, several: dict, tolerance: float = 1e-3) -> bool:
    """Exercise 3 (design). Train the same twin from the same seed, data order and schedule on one device and
    on N, and compare what both runs compute the same way: every step's loss over the global batch, and the
    trained twin's loss on held-out images. The logged loss alone is not enough: a naive split logs another
    quantity (each replica's share), so two runs can log different numbers and still train alike, or log
    close numbers while their weights drift. The tolerance is float32 round-off summed over a few hundred
    steps in a different order: about 0.001 here (notebook 15 measures gaps of about 3e-4).

    Each run is ``{"losses": [...], "held_out_loss": float}``."""
    if len(one_device["losses"]) != len(several["losses"]):
        raise ValueError("the two runs must take the same number of steps")
    steps = np.abs(np.subtract(one_device["losses"], several["losses"]))
    held = abs(one_device["held_out_loss"] - several["held_out_loss"])
    return bool(steps.max() <= tolerance and held <= tolerance)
