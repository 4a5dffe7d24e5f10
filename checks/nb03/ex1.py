"""Notebook 03, exercise 1 (recall): validation_digits_if_sorted."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("03")


@test_case()
def check_validation_digits_if_sorted(validation_digits_if_sorted):
    labels = np.random.default_rng(0).integers(0, 10, 60_000)
    answers.same(validation_digits_if_sorted, "60,000 random digits", labels)
    answers.same(validation_digits_if_sorted, "the first half", labels, fraction=0.5)
