"""Notebook 07, exercise 2 (apply): forward_flops_by_hand."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("07")


@test_case()
def check_forward_flops_by_hand(forward_flops_by_hand):
    answers.same(forward_flops_by_hand, "the article's twin")
