"""Notebook 04, exercise 1 (recall): random_pair_similar_share."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("04")


@test_case()
def check_random_pair_similar_share(random_pair_similar_share):
    answers.same(random_pair_similar_share, "labels 0, 0, 1", np.array([0, 0, 1]))
    answers.same(random_pair_similar_share, "48,000 random digits", np.random.default_rng(0).integers(0, 10, 48_000))
