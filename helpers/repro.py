"""Reproducibility: one call seeds everything the course uses."""

from __future__ import annotations

import numpy as np


def set_seed(seed: int, *, deterministic_ops: bool = True) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and Keras/TensorFlow, and make TF ops deterministic.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed``, to pass explicitly to the data helpers
    (``generate_pairs(..., rng=rng)``). Same seed on the same machine ⇒ same numbers; across CPUs,
    floating-point round-off in oneDNN kernels may still differ in the last digits.

    >>> set_seed(42).integers(0, 100, 3).tolist() == set_seed(42).integers(0, 100, 3).tolist()
    True
    """
    import keras
    import tensorflow as tf

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    keras.utils.set_random_seed(int(seed))  # random, numpy.random, tf.random
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(int(seed))
