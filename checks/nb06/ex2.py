"""Notebook 06, exercise 2 (apply): dropout_self_distances."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("06")


def summary(distances):
    return {
        "training: all apart": bool(np.all(np.asarray(distances["training"]) > 1e-3)),
        "inference: all equal": bool(np.allclose(distances["inference"], 0.0, atol=1e-6)),
        "one distance per image": (np.shape(distances["training"]), np.shape(distances["inference"])),
    }


@test_case()
def check_dropout_self_distances(dropout_self_distances):
    from helpers.models import siamese_twin

    twin = siamese_twin()
    images = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)

    answers.same(dropout_self_distances, "four images", twin, images, transform=summary)
