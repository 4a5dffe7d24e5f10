"""Notebook 13, exercise 1 (recall): collapsed_loss."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("13")


@test_case()
def check_collapsed_loss(collapsed_loss):
    for batch_size, temperature in ((2, 0.1), (64, 0.1), (256, 0.5), (64, 1.0)):
        answers.same(collapsed_loss, f"B = {batch_size}, τ = {temperature}", batch_size, temperature)
