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


def scaled_recipe(images: int, per_replica_batch: int, replicas: int, peak_learning_rate: float,
                  epochs: int) -> dict:
    """Exercise 3 (design). Notebook 12's recipe moved from one device to ``replicas`` GPUs that each keep
    the batch of ``per_replica_batch`` images it had alone, each epoch's last, smaller batch dropped. The
    global batch grows ``replicas`` times, so an epoch has ``replicas`` times fewer steps (48,000 images in
    batches of 2,048: 23 steps, 161 in 7 epochs), and the schedule's warm-up, ``max(1, steps // 10)``, is
    counted in those fewer, larger steps (16). For the peak learning rate of Adam, a starting point is to scale
    it with √N (for SGD, Goyal et al. (2017) scale it with N, with a warm-up). Each is a starting point, not
    an answer: a larger batch also changes this course's loss itself (more pairs and negatives per batch),
    and synchronised batch norm now averages over N·256 images.

    What to measure before trusting it: the first steps' loss (no divergence), then validation 1-NN and
    few-shot accuracy against notebook 12's one-device run, with a second seed of each to know how much
    runs differ by chance.
    """
    if min(images, per_replica_batch, replicas, epochs) < 1 or peak_learning_rate <= 0:
        raise ValueError("expected positive numbers")
    global_batch = per_replica_batch * replicas
    steps_per_epoch = images // global_batch  # the last, smaller batch dropped: every batch splits evenly
    if steps_per_epoch < 1:
        raise ValueError(f"expected at least one whole global batch of {global_batch} images, got {images}")
    return {"global_batch": global_batch, "steps": steps_per_epoch * epochs,
            "warmup_steps": max(1, steps_per_epoch * epochs // 10),
            "peak_learning_rate": peak_learning_rate * replicas ** 0.5}
