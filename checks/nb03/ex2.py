"""Notebook 03, exercise 2 (apply): share_gap."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("03")


@test_case()
def check_share_gap(share_gap):
    labels = np.random.default_rng(0).integers(0, 10, 60_000)
    answers.same(share_gap, "the first 20 %", labels, np.arange(12_000))
    answers.same(share_gap, "a random 20 %", labels, np.random.default_rng(1).permutation(60_000)[:12_000])
    answers.same(share_gap, "a small case", np.array([0, 0, 0, 1, 1, 1, 1, 1]), np.array([0, 3]))
