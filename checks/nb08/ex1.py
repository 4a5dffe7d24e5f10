"""Notebook 08, exercise 1 (recall): validation_metrics_by_hand."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex1"
answers = Answers("08")


@test_case()
def check_validation_metrics_by_hand(validation_metrics_by_hand):
    import keras

    from helpers.models import siamese_network

    keras.utils.set_random_seed(0)
    model = siamese_network()
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (40, 28, 28, 1)).astype(np.float32)
    indices = rng.integers(0, 40, (60, 2))
    labels = rng.integers(0, 2, 60).astype(np.float32)
    answers.same(validation_metrics_by_hand, "an untrained model", model, images, indices, labels, rtol=1e-4)
