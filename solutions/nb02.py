"""Notebook 02 · Data helpers."""

from __future__ import annotations

import numpy as np


def looks_raw(images: np.ndarray) -> bool:
    """Exercise 1 (recall). ``preprocess``'s rule, written out: would it accept ``images`` as raw pixels?

    Integer images are trusted if every value lies in 0..255. Float images must also hold whole numbers
    with at least one above 1 (or be all 0): fractions, or nothing above 1, look already scaled. So of the
    exercise's five inputs, the uint8 digits, their float64 copy and the 0/1 uint8 digits pass; ``preprocess``'s
    own output and the 0/1 float32 digits are refused. The 0/1 *uint8* digits show the rule's limit: they
    pass, and dividing them by 255 leaves nearly blank images — the check catches scaling twice, not every
    wrong input.
    """
    images = np.asarray(images)
    if images.dtype.kind == "f":
        if not np.isfinite(images).all() or not np.array_equal(images, np.round(images)):
            return False
        if images.size and 0 < images.max() <= 1:
            return False
    elif images.dtype.kind not in "iu":
        return False
    return not images.size or bool(images.min() >= 0 and images.max() <= 255)


def half_fixed_pairs(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2 (apply). A half fix of the article's loop: the label lines are added, but the shuffle is
    applied to the pairs only (``np.array(pairs)[order], np.array(pair_labels)``), a common slip. Every
    array has the right length, so nothing complains; the labels simply no longer belong to their pairs."""
    labels = np.asarray(labels)
    pairs, pair_labels = [], []
    for i in range(len(images)):
        pairs.append([images[i], images[rng.choice(np.flatnonzero(labels == labels[i]))]])
        pair_labels.append(1.0)
        pairs.append([images[i], images[rng.choice(np.flatnonzero(labels != labels[i]))]])
        pair_labels.append(0.0)
    order = rng.permutation(len(pairs))
    return np.array(pairs)[order], np.array(pair_labels, dtype=np.float32)  # the slip: labels not reordered


def label_agreement(pairs: np.ndarray, pair_labels: np.ndarray, images: np.ndarray, labels: np.ndarray) -> float:
    """Exercise 2: the share of pair labels that agree with the digits of their two images (1.0 for correct
    pairs; about 0.5 when labels and pairs are shuffled apart: a coin toss, so the network learns nothing).

    Each pair's images are looked up in ``images`` by their bytes, to find their digits.
    """
    digit_of = {np.ascontiguousarray(image).tobytes(): int(label) for image, label in zip(images, labels)}
    same = np.array([digit_of[np.ascontiguousarray(a).tobytes()] == digit_of[np.ascontiguousarray(b).tobytes()]
                     for a, b in pairs])
    return float(np.mean(same == (np.asarray(pair_labels) == 1)))


def fit_error(pairs: np.ndarray, y_pairs: np.ndarray) -> str | None:
    """Exercise 2: hand the pairs and labels to ``fit`` of the Siamese network that notebooks 06–08 build
    and train. Returns Keras' error message, or ``None`` if it trained. The article's empty labels stop
    ``fit`` at once (notebook 02 shows it); the half fix's labels train without a word: this bug is worse,
    because it is silent.
    """
    from helpers.models import compile_siamese, siamese_network

    model = compile_siamese(siamese_network())
    try:
        model.fit([pairs[:, 0], pairs[:, 1]], y_pairs, epochs=1, verbose=0)
    except ValueError as error:
        return str(error)
    return None


def pairs_keeping_singletons(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, shift: int = 2
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 3 (design). Pairs for data in which some digit has a single image: its similar partner is
    the image itself moved ``shift`` pixels to the right (``np.roll`` along the width), not another image.

    A shifted copy is still "the same digit" but not the same pixels, so the pair teaches something (an
    image with itself would sit at distance 0 and teach nothing). It teaches less than a second handwriting
    would — only that a small shift does not matter; notebook 13 builds a whole method on such copies.
    Other digits get a partner of their own digit as in ``generate_pairs``; every anchor also gets a
    different partner. Returns ``(pairs (2N, 2, ...), pair_labels (2N,) float32)``, similar pairs first.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    similar, different = [], []
    for i in range(len(images)):
        same = np.flatnonzero((labels == labels[i]) & (np.arange(len(labels)) != i))
        partner = images[rng.choice(same)] if len(same) else np.roll(images[i], shift, axis=1)
        similar.append([images[i], partner])
        different.append([images[i], images[rng.choice(np.flatnonzero(labels != labels[i]))]])
    pair_labels = np.concatenate([np.ones(len(similar)), np.zeros(len(different))]).astype(np.float32)
    return np.asarray(similar + different), pair_labels
