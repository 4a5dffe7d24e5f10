"""Notebook 02, exercise 2 (apply): label_agreement."""

import numpy as np
from otter.test_files import test_case

from checks import Answers

OK_FORMAT = False
name = "ex2"
answers = Answers("02")


@test_case()
def check_label_agreement(label_agreement):
    from helpers.pairs import generate_pairs_loop

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (200, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 200)
    pairs, pair_labels = generate_pairs_loop(images, labels, np.random.default_rng(1))
    answers.same(label_agreement, "the article's loop with its two label lines", pairs, pair_labels, images, labels)
    shuffled = pair_labels[np.random.default_rng(2).permutation(len(pair_labels))]
    answers.same(label_agreement, "pairs shuffled, labels not", pairs, shuffled, images, labels)
