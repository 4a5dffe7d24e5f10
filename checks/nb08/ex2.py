"""Notebook 08, exercise 2 (apply): expected_initial_loss."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("08")


@test_case()
def check_expected_initial_loss(expected_initial_loss):
    for distance in (0.0, 0.1, 0.5, 1.0, 1.5):
        answers.same(expected_initial_loss, f"d = {distance}", distance)
    answers.same(expected_initial_loss, "d = 0.5, margin 2", 0.5, margin=2.0)
