"""Notebook 06 · The Siamese network."""

from __future__ import annotations

import numpy as np


def separate_twins_network():
    """Exercise 1 (recall). A "Siamese" network whose two branches are two *separate* twins (two calls of
    ``siamese_twin()``, two sets of weights): twice the parameters, 214,912."""
    import keras

    from helpers.models import INPUT_SHAPE, EuclideanDistance, siamese_twin

    twins = []
    for side in ("left", "right"):
        twin = siamese_twin()
        twins.append(keras.Model(twin.input, twin.output, name=f"{side}_twin"))  # two models, two names
    left, right = keras.Input(shape=INPUT_SHAPE, name="left"), keras.Input(shape=INPUT_SHAPE, name="right")
    distance = EuclideanDistance(name="distance")([twins[0](left), twins[1](right)])
    return keras.Model([left, right], distance, name="two_twins")


def symmetry_report(network, a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Exercise 1. What weight sharing guarantees, measured on images ``a`` and ``b`` (N, 28, 28, 1):
    ``self_distance``, the largest d(a, a) (√ε ≈ 0.0003 with one shared twin); ``asymmetry``, the largest
    |d(a, b) − d(b, a)| (0 with one twin). With two separate twins an image is not at distance 0 from
    itself and the order of a pair changes its distance: the two branches map into unrelated spaces."""
    def distance(x, z):
        return np.asarray(network([x, z], training=False)).ravel()

    d_self, d_ab, d_ba = distance(a, a), distance(a, b), distance(b, a)
    return {"self_distance": float(d_self.max()), "asymmetry": float(np.max(np.abs(d_ab - d_ba)))}


def dropout_self_distances(twin, images: np.ndarray) -> dict[str, np.ndarray]:
    """Exercise 2 (apply). Distance between two embeddings of the *same* images, computed twice in
    training mode (``training=True``, as inside ``fit``: new dropout masks each call) and twice in inference
    mode. In inference mode (``predict``, ``evaluate``) the two calls agree exactly; in training mode an image
    is not even at distance 0 from itself. So while training, even an embedding that put all images of a digit
    on one point would leave similar pairs a loss above 0: dropout's noise is part of the training loss
    (notebook 09 measures how much)."""
    def distances(training: bool) -> np.ndarray:
        first = np.asarray(twin(images, training=training))
        second = np.asarray(twin(images, training=training))
        return np.linalg.norm(first - second, axis=1)

    return {"training": distances(True), "inference": distances(False)}


def unit_norm_twin():
    """Exercise 3 (design). The article's twin with its embeddings scaled to length 1 (a
    ``UnitNormalization`` layer after the Dense layer; no weights added, still 107,456 parameters).

    Every distance then lies in [0, 2] (``|a − b| ≤ |a| + |b| = 2``), whatever the weights: the scale of the
    distances is fixed by the architecture, not learned. A margin above 2 could never be met, and a margin
    of 1 means "at least 60° apart" (``|a − b|² = 2 − 2 cos θ``). ``siamese_network(unit_norm_twin())``
    uses it unchanged.
    """
    import keras

    from helpers.models import siamese_twin

    twin = siamese_twin()
    outputs = keras.layers.UnitNormalization(name="unit_length")(twin.output)
    return keras.Model(twin.input, outputs, name="unit_norm_twin")
