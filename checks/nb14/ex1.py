"""Notebook 14, exercise 1 (recall): semihard_triplets."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("14")


def in_order(result):
    triplets, mean = result
    return sorted(tuple(float(v) for v in t) for t in triplets), mean


@test_case()
def check_semihard_triplets(semihard_triplets):
    points, classes = [[0.0], [0.6], [0.4], [2.8], [1.5]], [0, 0, 1, 1, 2]
    answers.same(semihard_triplets, "the exercise's batch", points, classes, transform=in_order)
    rng = np.random.default_rng(0)
    points, classes = rng.normal(0, 0.6, (12, 3)), rng.integers(0, 3, 12)
    answers.same(semihard_triplets, "12 random points, margin 0.5", points, classes, 0.5, transform=in_order, rtol=1e-4)
