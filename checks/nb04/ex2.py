"""Notebook 04, exercise 2 (apply): never_a_partner."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("04")


@test_case()
def check_never_a_partner(never_a_partner):
    from helpers.pairs import generate_pair_indices

    answers.same(never_a_partner, "four pairs of five images", np.array([[0, 1], [1, 0], [2, 1], [3, 1]]), 5)
    labels = np.random.default_rng(0).integers(0, 10, 5_000)
    indices, _ = generate_pair_indices(labels, rng=0)
    answers.same(never_a_partner, "generate_pair_indices on 5,000 digits", indices, 5_000)
