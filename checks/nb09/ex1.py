"""Notebook 09, exercise 1 (recall): error_rates."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("09")


@test_case()
def check_error_rates(error_rates):
    d = np.array([0.1, 0.3, 0.45, 0.6, 0.35, 0.55, 0.9, 1.2])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    for threshold in (0.5, 0.4, 0.3):
        answers.same(error_rates, f"eight pairs at threshold {threshold}", d, y, threshold)
