"""Notebook 13, exercise 2 (apply): hardest_negative_share."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("13")


@test_case()
def check_hardest_negative_share(hardest_negative_share):
    for temperature in (0.2, 1.0):
        answers.same(hardest_negative_share, f"0.8, 0.3 and 0.1 at τ = {temperature}", [0.8, 0.3, 0.1], temperature)
    answers.same(hardest_negative_share, "four negatives at τ = 0.5", [0.2, 0.9, -0.1, 0.4], 0.5)
