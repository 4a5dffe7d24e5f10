"""Notebook 14, exercise 2 (apply): supcon_as_nt_xent."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("14")


@test_case()
def check_supcon_as_nt_xent(supcon_as_nt_xent):
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(8, 5)), rng.normal(size=(8, 5))
    for temperature in (0.1, 0.5):
        answers.same(supcon_as_nt_xent, f"8 images, τ = {temperature}", z1, z2, temperature, rtol=1e-4)
