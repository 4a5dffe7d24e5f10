"""Notebook 11, exercise 2 (apply): prototype_accuracy."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("11")


@test_case()
def check_prototype_accuracy(prototype_accuracy):
    e_train, y_train = np.array([[0.0], [10.0], [6.5], [7.5]]), np.array([0, 0, 1, 1])
    query, query_label = np.array([[9.5]]), np.array([1])
    answers.same(prototype_accuracy, "a query nearest to a single example", e_train, y_train, query, query_label, 2,
                 np.random.default_rng(0))
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    points = np.eye(3)[labels] * 2 + rng.normal(0, 1.0, (60, 3))
    queries = np.eye(3)[labels] * 2 + rng.normal(0, 1.0, (60, 3))
    answers.same(prototype_accuracy, "three classes, all 20 examples each", points, labels, queries, labels, 20,
                 np.random.default_rng(0))
