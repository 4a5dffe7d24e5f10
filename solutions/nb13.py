"""Notebook 13 · Contrastive learning without labels."""

from __future__ import annotations

import numpy as np


def collapsed_loss(batch_size: int, temperature: float) -> float:
    """Exercise 1 (recall). NT-Xent of a *collapsed* encoder, one that maps every view to the same point.

    All 2B projections are equal, so every candidate is equally similar and the softmax over the 2B − 1
    others is flat: the loss is ``log(2B − 1)`` whatever the temperature — the chance level notebook 13
    prints for B = 2. Collapse costs nothing under the similar-pair half of the article's loss; under
    NT-Xent it scores chance level, because the negatives in the denominator are as close as the partner.
    """
    from helpers.selfsup import nt_xent_loss

    z = np.ones((batch_size, 8), np.float32)
    return float(nt_xent_loss(z, z, temperature))


def hardest_negative_share(similarities: np.ndarray, temperature: float) -> float:
    """Exercise 2 (apply). The share of the weight on the negatives that the most similar one gets:
    ``softmax(s / τ)`` over the negatives' cosine similarities ``s``, at its largest.

    In the gradient of NT-Xent each negative's logit is pushed down in proportion to its softmax
    probability, so this is the hardest negative's share of the push among the negatives. A small τ
    concentrates it on the hardest negatives; τ = 1 spreads it more evenly over easy and hard ones alike.
    What that does to the linear probe is for the re-run to show (the table of notebook 13 prints it).
    """
    s = np.asarray(similarities, np.float64) / temperature
    weights = np.exp(s - s.max())
    return float(weights.max() / weights.sum())


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Exercise 3 (design), the tool: ``images`` (N, 28, 28, 1) rotated by ``degrees`` (counter-clockwise as
    shown by ``imshow``), the corners filled with 0 (paper)."""
    import keras

    turn = degrees / 360.0
    layer = keras.layers.RandomRotation((turn, turn), fill_mode="constant", interpolation="bilinear")
    return np.asarray(layer(np.asarray(images, np.float32), training=True))


def rotated_knn_accuracy(features, x_train, y_train, x_test, y_test, degrees: float) -> float:
    """Exercise 3 (design). How well an encoder's features survive rotation: 1-NN test accuracy (the
    training images unrotated as the index) when half of the test images are turned by ``+degrees`` and
    half by ``−degrees``. ``features``: a function images → (N, D), e.g. ``lambda x: embed(enc, x)``.

    Trained without rotation in ``digit_augmenter``, an encoder is never told that a slanted digit is the
    same digit; compare its accuracy here with the rotation-trained one's, per digit as well (slanted 1s
    and 7s, 4s and 9s are the candidates to watch). Changing only the rotation and keeping the seed makes
    the comparison fair.
    """
    from helpers.evaluation import knn_accuracy

    half = len(x_test) // 2
    turned = np.concatenate([rotate(x_test[:half], degrees), rotate(x_test[half:], -degrees)])
    return knn_accuracy(features(x_train), y_train, features(turned), y_test, k=1)
