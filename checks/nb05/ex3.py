"""Notebook 05, exercise 3 (apply): hadsell_loss."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex3"
answers = Answers("05")


@test_case()
def check_hadsell_loss(hadsell_loss):
    y = np.array([1, 1, 0, 0], np.float32)
    answers.same(hadsell_loss, "a good embedding", y, np.array([0.1, 0.1, 1.5, 1.5]))
    answers.same(hadsell_loss, "a bad embedding", y, np.array([1.5, 1.5, 0.1, 0.1]))
    rng = np.random.default_rng(0)
    answers.same(hadsell_loss, "random pairs, margin 2", rng.integers(0, 2, 50), rng.uniform(0, 3, 50), margin=2.0)
