"""Notebook 05, exercise 2 (apply): embedding_gradients."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("05")


@test_case()
def check_embedding_gradients(embedding_gradients):
    a, b = np.array([0.0, 0.0]), np.array([0.3, 0.4])
    answers.same(embedding_gradients, "a similar pair", 1.0, a, b)
    answers.same(embedding_gradients, "a different pair, margin 1", 0.0, a, b)
    answers.same(embedding_gradients, "a different pair, margin 2", 0.0, a, b, margin=2.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 4)
    answers.same(embedding_gradients, "a different pair in 4 dimensions", 0.0, a, b)
