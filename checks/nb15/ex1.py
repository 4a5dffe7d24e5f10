"""Notebook 15, exercise 1 (recall): global_moments."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("15")


@test_case()
def check_global_moments(global_moments):
    rng = np.random.default_rng(0)
    shares = [rng.normal(loc, 1.0, (16, 5)) for loc in (0.0, 2.0, -1.0, 0.5)]
    answers.same(global_moments, "four replicas", shares)
    answers.same(global_moments, "two replicas of one number", [np.array([1.0, 2.0]), np.array([3.0, 6.0])])
