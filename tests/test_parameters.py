"""helpers.parameters: one rule per notebook parameter, as the runner and the notebooks apply it."""

from __future__ import annotations

import pytest

from helpers.parameters import check_parameters


@pytest.mark.parametrize("name", ["BATCH_SIZE", "IMPROVED_BATCH_SIZE", "SSL_BATCH_SIZE", "LOSS_BATCH_SIZE",
                                  "DIST_BATCH_SIZE"])
def test_a_batch_too_large_for_memory_is_refused_with_its_bound(name):
    """BATCH_SIZE=96000 (every training pair in one batch) used to crash the kernel for want of memory."""
    with pytest.raises(ValueError, match=rf"{name}=96000: expected a whole number >= \d+ and <= 4096"):
        check_parameters(**{name: 96_000})
    check_parameters(**{name: 4096})
