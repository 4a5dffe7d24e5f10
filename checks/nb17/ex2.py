"""Notebook 17, exercise 2 (apply): nearest_seen_digits."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("17")


@test_case()
def check_nearest_seen_digits(nearest_seen_digits):
    rng = np.random.default_rng(6)
    labels = np.repeat(np.arange(3), 40)
    seen = np.eye(3)[labels] * 4 + rng.normal(0, 0.3, (120, 3))
    held_out = np.array([[4.0, 0.5, 0.0], [4.2, 0.0, 0.3], [0.0, 0.2, 4.1], [0.3, 0.0, 3.9]])
    answers.same(nearest_seen_digits, "two new classes", seen, labels, held_out, np.array([7, 7, 8, 8]))
    answers.same(nearest_seen_digits, "one scattered class", seen, labels, held_out, np.array([9, 9, 9, 9]))
