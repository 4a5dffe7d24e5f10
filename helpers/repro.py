"""Reproducibility: one call seeds everything the course uses."""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import keras
import numpy as np
import tensorflow as tf

from helpers._checks import SEED_LIMIT, check_int, checked_by


def _check_seed(seed: object, deterministic_ops: bool) -> dict:
    return {"seed": check_int(seed, "seed", 0, SEED_LIMIT - 1)}


@checked_by(_check_seed)
def set_seed(seed: int, *, deterministic_ops: bool = True) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and Keras/TensorFlow, and make TF ops deterministic.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed``, to pass explicitly to the data helpers
    (``generate_pairs(..., rng=rng)``). Same seed on the same machine ⇒ same numbers; across CPUs,
    floating-point round-off in oneDNN kernels may still differ in the last digits.

    >>> set_seed(42).integers(0, 100, 3).tolist() == set_seed(42).integers(0, 100, 3).tolist()
    True
    """
    keras.utils.set_random_seed(seed)  # random, numpy.random, tf.random
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
