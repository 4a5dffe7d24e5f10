"""helpers/repro.py: one call seeds everything, and a seed no library accepts is refused."""

import numpy as np
import pytest

from helpers.repro import set_seed


def test_set_seed_returns_a_seeded_generator_and_refuses_bad_seeds():
    a = set_seed(5).integers(0, 1000, 5)
    b = set_seed(5).integers(0, 1000, 5)
    np.testing.assert_array_equal(a, b)
    first = (set_seed(9), np.random.rand())[1]
    second = (set_seed(9), np.random.rand())[1]
    assert first == second
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="seed"):
            set_seed(bad)
