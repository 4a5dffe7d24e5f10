"""Notebook 05, exercise 1 (recall): keras_binary_accuracy."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("05")


@test_case()
def check_keras_binary_accuracy(keras_binary_accuracy):
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 2, 1000).astype(np.float32)
    y = rng.integers(0, 2, 1000).astype(np.float32)
    answers.same(keras_binary_accuracy, "1,000 random distances and labels", y, d)
