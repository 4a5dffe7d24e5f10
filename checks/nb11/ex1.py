"""Notebook 11, exercise 1 (recall): largest_stretch."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("11")


@test_case()
def check_largest_stretch(largest_stretch):
    rng = np.random.default_rng(0)
    flat = np.zeros((60, 20))
    flat[:, :2] = rng.normal(size=(60, 2))
    answers.same(largest_stretch, "points on a plane, kept", flat, flat[:, :2])
    answers.same(largest_stretch, "one direction stretched twice", flat, flat[:, :2] * [2.0, 1.0])
    points = rng.normal(size=(100, 20))
    answers.same(largest_stretch, "random points, two coordinates kept", points, points[:, :2])
