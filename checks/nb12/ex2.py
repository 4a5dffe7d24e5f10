"""Notebook 12, exercise 2 (apply): gain_kept."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("12")


@test_case()
def check_gain_kept(gain_kept):
    article, short, full = {"test_accuracy": 0.92}, {"test_accuracy": 0.99}, {"test_accuracy": 0.9946}
    answers.same(gain_kept, "a short run", article, short, full)
    answers.same(gain_kept, "no gain", article, article, full)
    answers.same(gain_kept, "the full run itself", article, full, full)
