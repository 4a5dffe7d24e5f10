"""Notebook 10, exercise 2 (apply): optimism_of_choosing_on_test."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("10")


@test_case()
def check_optimism_of_choosing_on_test(optimism_of_choosing_on_test):
    labels = [1, 1, 0, 0]
    d_val, d_test = [0.2, 0.3, 0.7, 0.8], [0.1, 0.55, 0.6, 0.9]
    answers.same(optimism_of_choosing_on_test, "four pairs", d_val, labels, d_test, labels)
    rng = np.random.default_rng(0)
    y_val, y_test = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    d_val = np.abs(rng.normal(0.8 - 0.4 * y_val, 0.25))
    d_test = np.abs(rng.normal(0.8 - 0.4 * y_test, 0.25))
    answers.same(optimism_of_choosing_on_test, "400 random pairs each", d_val, y_val, d_test, y_test)
