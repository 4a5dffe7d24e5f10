"""Notebook 15 · Beyond one device."""

from __future__ import annotations

import numpy as np


def pairs_seen(batch: int, replicas: int) -> tuple[int, int, float]:
    """Exercise 1 (recall). A global batch of ``batch`` images split evenly over ``replicas``, each replica's
    loss using only its own share: ``(pairs the loss sees, pairs in the batch, fraction seen)``.

    Each share of s = B/N images holds s(s−1)/2 pairs, so the loss sees N·s(s−1)/2 of B(B−1)/2, about 1/N of
    them: for B = 256, N = 2 sees 16,256 of 32,640 (49.8 %), N = 8 sees 3,968 (12.2 %), and N = 256 — one image
    per GPU — sees none at all: a pair loss then has nothing to learn from.
    """
    if batch < 2 or replicas < 1 or batch % replicas:
        raise ValueError(f"expected a batch of at least 2 images split evenly over replicas, got {batch} and "
                         f"{replicas}")
    share = batch // replicas
    seen, total = replicas * share * (share - 1) // 2, batch * (batch - 1) // 2
    return seen, total, seen / total


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
