"""Notebook 06, exercise 1 (recall): separate_twins_network."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("06")


@test_case()
def check_separate_twins_network(separate_twins_network):
    answers.same(separate_twins_network, "its parameters", transform=lambda model: model.count_params())
    answers.same(separate_twins_network, "its weight tensors", transform=lambda model: len(model.weights))
