"""Notebook 10, exercise 1 (recall): auc_of_constant_and_reversed."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("10")


@test_case()
def check_auc_of_constant_and_reversed(auc_of_constant_and_reversed):
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 500)
    d = np.abs(np.where(y == 1, rng.normal(0.4, 0.2, 1000), rng.normal(0.9, 0.2, 1000)))
    answers.same(auc_of_constant_and_reversed, "1,000 pairs", d, y)
