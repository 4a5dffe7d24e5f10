"""Notebook 02, exercise 1 (recall): looks_raw."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("02")


@test_case()
def check_looks_raw(looks_raw):
    from helpers.data import preprocess

    x = np.random.default_rng(0).integers(0, 256, (2, 28, 28)).astype(np.uint8)
    inputs = {
        "(a) uint8 digits": x,
        "(b) a float64 copy": x.astype(np.float64),
        "(c) preprocess's output": preprocess(x),
        "(d) 0/1 float32": (x > 127).astype(np.float32),
        "(e) 0/1 uint8": (x > 127).astype(np.uint8),
    }
    for situation, images in inputs.items():
        answers.same(looks_raw, situation, images)
