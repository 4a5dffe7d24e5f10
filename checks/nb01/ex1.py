"""Notebook 01, exercise 1 (recall): draws_after_one_seed."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("01")


@test_case()
def check_draws_after_one_seed(draws_after_one_seed):
    answers.same(draws_after_one_seed, "seed 3", 3)
    answers.same(draws_after_one_seed, "seed 7, four draws", 7, n=4)
