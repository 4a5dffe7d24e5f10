"""Notebook 17, exercise 1 (apply): per_class_one_shot."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("17")


@test_case()
def check_per_class_one_shot(per_class_one_shot):
    rng = np.random.default_rng(4)
    labels, test_labels = np.repeat(np.arange(3), 40), np.repeat(np.arange(3), 30)
    references = np.eye(3)[labels] * 4 + rng.normal(0, 2.5, (120, 3))
    tests = np.eye(3)[test_labels] * 4 + rng.normal(0, 2.5, (90, 3))
    data = references, labels, tests, test_labels
    answers.same(per_class_one_shot, "one reference, 7 draws", *data, shots=1, seed=9, draws=7)
    answers.same(per_class_one_shot, "five references, 3 draws", *data, shots=5, seed=2, draws=3)
