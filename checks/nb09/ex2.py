"""Notebook 09, exercise 2 (apply): accuracy_standard_error."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("09")


@test_case()
def check_accuracy_standard_error(accuracy_standard_error):
    correct = np.random.default_rng(0).random(20_000) < 0.91
    answers.same(accuracy_standard_error, "20,000 pairs, 91 % right", correct)
    answers.same(accuracy_standard_error, "four pairs, three right", np.array([True, True, True, False]))
