"""Notebook 16 · Appendix: several machines, step by step."""

from __future__ import annotations

import json


def cluster_configs(addresses: list[str]) -> list[str]:
    """Exercise 1 (recall). The ``TF_CONFIG`` of every worker of a cluster whose workers listen at
    ``addresses`` (``"host:port"``), in worker order.

    All of them hold the same ``cluster`` (every worker's address, in the same order: that is how the workers
    find each other); only ``task.index`` differs, the worker's own place in that list. Worker 0 is the chief.

    >>> cluster_configs(["10.0.0.1:2222", "10.0.0.2:2222"])[1]
    '{"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}'
    """
    addresses = list(addresses)
    if not addresses or len(set(addresses)) != len(addresses):
        raise ValueError(f"addresses: expected one or more distinct 'host:port', got {addresses!r}")
    return [json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})
            for index in range(len(addresses))]


def scaled_recipe(images: int, per_replica_batch: int, replicas: int, peak_learning_rate: float,
                  epochs: int) -> dict:
    """Exercise 2 (design). Notebook 12's recipe moved from one device to ``replicas`` GPUs that each keep
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
