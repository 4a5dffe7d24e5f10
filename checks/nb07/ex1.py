"""Notebook 07, exercise 1 (recall): parameters_with_embedding."""

from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("07")


@test_case()
def check_parameters_with_embedding(parameters_with_embedding):
    for dim in (2, 32, 300):
        answers.same(parameters_with_embedding, f"EMBEDDING_DIM = {dim}", dim)
