"""Shared fixtures. Full MNIST comes from $MNIST_DIR (set by the Makefile and CI when ../shared/data/mnist
exists) or, on a learner's machine online, from the real Keras download. What tests import (time bounds, the
browser) is in testkit.py: a test never imports conftest, which pytest loads itself."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import helpers._tensorflow  # noqa: E402,F401  (TensorFlow starts quietly before any test imports it)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.data import load_mnist  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    """Full MNIST: ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays."""
    return load_mnist(verbose=False)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def small_splits(mnist):
    """A training script's ``mnist_splits`` on real MNIST cut short (2,400 training, 600 validation and 1,000 test
    images, split and preprocessed as the scripts do): what a script test measures its tiny run with."""
    from helpers.data import preprocess, split_validation

    def splits():
        (x, y), (x_test, y_test) = mnist
        (x_train, y_train), (x_val, y_val) = split_validation(x[:3000], y[:3000])
        return (preprocess(x_train), y_train), (preprocess(x_val), y_val), (preprocess(x_test[:1000]), y_test[:1000])

    return splits
