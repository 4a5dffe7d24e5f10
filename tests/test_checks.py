"""The shared checks (helpers/_checks.py). (The checks at each module's boundary are tested in the file named for
that module: tests/test_losses.py, tests/test_pairs.py, tests/test_data.py, ...)"""

from __future__ import annotations

import numpy as np
import pytest

from helpers._checks import as_rng, check_int, check_number, drop_channel

D = np.array([[0.2], [0.9]], np.float32)










def test_the_shared_checks():
    assert check_int(np.int64(3), "n", 1) == 3 and isinstance(check_int(np.int64(3), "n", 1), int)
    for bad in (True, 2.0, "3", None, 0):
        with pytest.raises(ValueError, match="n: expected a whole number >= 1"):
            check_int(bad, "n", 1)
    assert check_number(np.float32(0.5), "x", minimum=0.0) == 0.5
    assert as_rng(7).integers(100) == np.random.default_rng(7).integers(100)
    generator = np.random.default_rng(1)
    assert as_rng(generator) is generator
    assert drop_channel(np.zeros((2, 28, 28, 1))).shape == (2, 28, 28)
    assert drop_channel(np.zeros((2, 2, 28, 28, 1))).shape == (2, 2, 28, 28)
    assert drop_channel(np.zeros((2, 28, 28))).shape == (2, 28, 28)


