"""Notebook 12, exercise 1 (recall): active_negative_term."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("12")


@test_case()
def check_active_negative_term(active_negative_term):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 12)
    embeddings = rng.normal(0, 0.4, (12, 4)).astype(np.float32)
    answers.same(active_negative_term, "a random batch", labels, embeddings, rtol=1e-4)
    far = (np.eye(3)[labels] * 5).astype(np.float32)
    answers.same(active_negative_term, "every negative beyond the margin", labels, far)
