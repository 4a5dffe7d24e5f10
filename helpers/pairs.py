"""Positive and negative pairs: the training signal of a Siamese network.

For every image (the *anchor*) we make two pairs, as the article intends:

- a **positive** pair with another image of the same class, label ``1`` ("similar");
- a **negative** pair with an image of any other class, label ``0`` ("different").

So ``N`` images give ``2N`` pairs, exactly half of them positive. The article's version never fills in
the labels (its label list stays empty, which ``fit`` refuses) and never shuffles (its pairs alternate
positive, negative, positive …; ``fit`` reshuffles arrays every epoch, but any slice of the pairs keeps that
order). :func:`generate_pairs_loop` is that loop with the minimal fix; :func:`generate_pairs` draws the same
kind of pairs without a Python loop, never pairs an image with itself, and is reproducible from the random
generator passed in.

Two forms of the same pairs:

- :func:`generate_pair_indices` — ``(2N, 2)`` integer indices into the image array (a few hundred KB);
- :func:`generate_pairs` — the images themselves, ``(2N, 2, H, W, C)`` (for MNIST's 48,000 training
  images in float32, about 600 MB). :func:`pair_dataset` gathers images by index batch by batch instead.

A class with a single sample has no possible positive partner except the anchor itself, which would teach
nothing (its distance is zero by construction). Such input is refused with an error naming the class.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import math
import warnings

import numpy as np
import tensorflow as tf

from helpers._checks import (
    SEED_LIMIT,
    as_array,
    as_rng,
    check_indices,
    check_int,
    check_labels,
    check_not_empty,
    check_pair_labels,
    check_same_length,
    checked_by,
)

SIMILAR = 1.0
DIFFERENT = 0.0

# fit's default shuffle=True cannot shuffle a tf.data dataset, and Keras says so on every fit; the datasets
# below visit their samples in a new order every epoch themselves (epoch_order), so the notice is not news.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored since the data `x` was "
                        "provided as a tf.data.Dataset")


def _check_anchors(labels: object, rng: object) -> dict:
    """What :func:`generate_pair_indices` needs: class ids, at least two classes, each of two samples or more."""
    labels = check_labels(labels)
    check_not_empty(labels, "labels")
    rng = as_rng(rng)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ValueError(f"labels: need at least two classes to form negative pairs, got only class {classes[0]}")
    lonely = classes[counts < 2]
    if len(lonely):
        raise ValueError(
            f"labels: class(es) {lonely.tolist()} have a single sample, so no positive pair is possible; "
            "drop those samples or add more of the class"
        )
    return {"labels": labels, "rng": rng}


@checked_by(_check_anchors)
def generate_pair_indices(labels: object, rng: np.random.Generator | int) -> tuple[np.ndarray, np.ndarray]:
    """Draw one positive and one negative partner for every anchor, as indices.

    ``labels``: 1-D integer class ids, shape (N,), at least two classes, each with at least two samples.
    ``rng``: a ``numpy.random.Generator`` (or an integer seed).

    Returns ``(indices, pair_labels)``: int64 of shape (2N, 2) — ``indices[k] = (anchor, partner)`` —
    and float32 of shape (2N,) with 1.0 for same-class pairs and 0.0 otherwise, shuffled together.
    Partners are drawn uniformly: the positive among the anchor's class without the anchor itself, the
    negative among all images of other classes. Fully vectorized (no per-sample loop).

    >>> idx, y = generate_pair_indices(np.array([0, 0, 1, 1]), rng=0)
    >>> idx.shape, y.shape, float(y.mean())
    ((8, 2), (8,), 0.5)
    """
    n = len(labels)
    order = np.argsort(labels, kind="stable")  # indices grouped by class
    classes, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    cls = np.searchsorted(classes, labels)
    start, count = starts[cls], counts[cls]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    within = position - start  # anchor's rank inside its own class block

    # Positive: uniform over the class block minus the anchor (skip over the anchor's own slot).
    r = rng.integers(0, count - 1)
    positive = order[start + r + (r >= within)]
    # Negative: uniform over everything outside the class block (jump over the block).
    r = rng.integers(0, n - count)
    negative = order[np.where(r < start, r, r + count)]

    anchors = np.arange(n, dtype=np.int64)
    indices = np.concatenate([np.stack([anchors, positive], axis=1), np.stack([anchors, negative], axis=1)])
    pair_labels = np.concatenate([np.full(n, SIMILAR, np.float32), np.full(n, DIFFERENT, np.float32)])
    shuffle = rng.permutation(2 * n)
    return indices[shuffle].astype(np.int64), pair_labels[shuffle]


def _check_images_and_labels(images: object, labels: object, rng: object) -> dict:
    """What :func:`generate_pairs_loop` needs: one class id per image, at least two classes."""
    images, labels, rng = as_array(images, "images"), check_labels(labels), as_rng(rng)
    check_same_length(images, labels, "images", "labels")
    if len(np.unique(labels)) < 2:
        raise ValueError("labels: need at least two classes to form negative pairs")
    return {"images": images, "labels": labels, "rng": rng}


@checked_by(_check_images_and_labels)
def generate_pairs_loop(images: object, labels: object, rng: np.random.Generator | int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """A loop in the style of the article's ``generate_pairs`` (one iteration per image, a random partner of
    the same class and one of another class), with the minimal fix: the label lines it lacks and a shuffle,
    marked ``# fix``. As in the article, the positive partner is drawn among all images of the class, so it
    can be the anchor itself. Returns ``(pairs (2N, 2, ...), pair_labels (2N,) float32)``.

    >>> pairs, y = generate_pairs_loop(np.zeros((4, 28, 28)), np.array([0, 0, 1, 1]), rng=0)
    >>> pairs.shape, float(y.mean())
    ((8, 2, 28, 28), 0.5)
    """
    pairs, pair_labels = [], []
    for i in range(len(images)):
        same = rng.choice(np.flatnonzero(labels == labels[i]))  # may be i itself
        pairs.append([images[i], images[same]])
        pair_labels.append(SIMILAR)  # fix: the article never appends a label
        other = rng.choice(np.flatnonzero(labels != labels[i]))
        pairs.append([images[i], images[other]])
        pair_labels.append(DIFFERENT)  # fix
    order = rng.permutation(len(pairs))  # fix: the article never shuffles
    return np.array(pairs)[order], np.array(pair_labels, dtype=np.float32)[order]


def gather_pairs(images: object, indices: object) -> np.ndarray:
    """Turn ``(M, 2)`` pair indices into the ``(M, 2, *image_shape)`` array of image pairs."""
    images = as_array(images, "images")
    return images[check_indices(indices, len(images))]


def generate_pairs(
    images: object, labels: object, rng: np.random.Generator | int
) -> tuple[np.ndarray, np.ndarray]:
    """The article's ``generate_pairs``, fixed: labelled, balanced, shuffled, reproducible.

    ``images``: shape (N, ...) — raw or preprocessed; ``labels``: integer class ids, shape (N,).
    Returns ``(pairs, pair_labels)``: ``pairs`` of shape (2N, 2, ...) with the images' dtype, where
    ``pairs[:, 0]`` is the anchor and ``pairs[:, 1]`` its partner; ``pair_labels`` float32 (2N,), 1 = same
    digit. Equal to ``gather_pairs(images, generate_pair_indices(labels, rng)[0])`` for the same rng state.

    >>> pairs, y = generate_pairs(np.zeros((4, 28, 28, 1), np.float32), np.array([0, 0, 1, 1]), rng=0)
    >>> pairs.shape, y.tolist().count(1.0)
    ((8, 2, 28, 28, 1), 4)
    """
    images = as_array(images, "images")
    labels = check_labels(labels)
    check_same_length(images, labels, "images", "labels")
    indices, pair_labels = generate_pair_indices(labels, rng)
    return gather_pairs(images, indices), pair_labels


def _check_pair_dataset(images, indices, pair_labels, batch_size, seed):
    if seed is not None:
        seed = check_int(seed, "seed", 0, SEED_LIMIT - 1)
    images = as_array(images, "images")
    indices = check_indices(indices, len(images)).astype(np.int64)
    pair_labels = check_pair_labels(pair_labels)
    check_same_length(indices, pair_labels, "indices", "pair_labels")
    check_not_empty(indices, "indices")
    return {"images": images, "indices": indices, "pair_labels": pair_labels,
            "batch_size": check_int(batch_size, "batch_size", 1), "seed": seed}


@checked_by(_check_pair_dataset)
def pair_dataset(images: object, indices: object, pair_labels: object, batch_size: int = 64,
                 seed: int | None = None):
    """One epoch of ``((anchors, partners), labels)`` batches, each image gathered by index when asked for.

    The images are held once; the pairs are indices into them. With a ``seed``, every pass over the
    dataset (every epoch of ``fit``) visits the pairs in a new order fixed by ``(seed, epoch)``; without
    one, in the order of ``indices`` (validation and test pairs). A ``tf.data.Dataset``.
    """
    table, pairs, targets = tf.constant(images), tf.constant(indices), tf.constant(pair_labels)

    def gather(batch):  # batch: which pairs, by number
        chosen = tf.gather(pairs, batch)  # their (anchor, partner) indices
        return (tf.gather(table, chosen[:, 0]), tf.gather(table, chosen[:, 1])), tf.gather(targets, batch)

    def order(epoch):  # the pair numbers that epoch visits, in order
        return np.arange(len(pairs)) if seed is None else epoch_order(len(pairs), seed, epoch)

    return epoch_dataset(order, len(pairs), batch_size, gather)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order in which epoch ``epoch`` visits ``n`` samples: a permutation fixed by ``(seed, epoch)``.

    Because it depends on nothing else, an epoch resumed in a new process sees exactly the batches it would
    have seen in one uninterrupted run.

    >>> epoch_order(5, seed=42, epoch=0).tolist() == epoch_order(5, seed=42, epoch=0).tolist()
    True
    >>> sorted(epoch_order(5, seed=42, epoch=1).tolist())
    [0, 1, 2, 3, 4]
    """
    seed = check_int(seed, "seed", 0, SEED_LIMIT - 1)
    return np.random.default_rng([seed, epoch]).permutation(n)


def image_dataset(images, labels, *, batch_size: int, seed: int, epochs: int | None = None):
    """One epoch of ``(images, labels)`` batches; every pass (every epoch of ``fit``) in the order
    :func:`epoch_order` fixes for ``(seed, epoch)`` — what ``fit(images, labels, shuffle=True)`` does, but
    reproducible after a resume (notebooks 12 and 13). With ``epochs``, one pass holds that many epochs back
    to back, always the same: a custom loop's stream of steps (notebook 15)."""
    images, labels = as_array(images, "images"), as_array(labels, "labels")
    check_same_length(images, labels, "images", "labels")
    check_not_empty(images, "images")
    check_int(seed, "seed", 0, SEED_LIMIT - 1)
    n = len(images)
    if epochs is None:
        order, length = (lambda epoch: epoch_order(n, seed, epoch)), n
    else:
        epochs = check_int(epochs, "epochs", 1)
        stream = np.concatenate([epoch_order(n, seed, epoch) for epoch in range(epochs)])
        order, length = (lambda _: stream), n * epochs
    table_x, table_y = tf.constant(images), tf.constant(labels)
    return epoch_dataset(order, length, batch_size, lambda idx: (tf.gather(table_x, idx), tf.gather(table_y, idx)))


class Epochs:
    """Which epoch the next pass over a dataset is. Each pass takes the next one; a callback that resumes
    a run (:class:`helpers.training.Checkpoints`) sets :attr:`next` to the epoch ``fit`` is about to run."""

    def __init__(self, order):
        self.order, self.next = order, 0

    def __call__(self):
        epoch, self.next = self.next, self.next + 1
        return np.asarray(self.order(epoch), dtype=np.int64)


def epoch_dataset(order, length: int, batch_size: int, gather):
    """One epoch of batches: ``order(epoch)`` (``length`` indices) cut into batches of ``batch_size``, each
    mapped through ``gather``. Every pass over it asks ``order`` for the next epoch (``dataset.epochs``, an
    :class:`Epochs`, counts them), so ``fit`` sees a new order every epoch, and a resumed run the same
    order an uninterrupted run would.

    >>> data = epoch_dataset(lambda epoch: [epoch, epoch, epoch], 3, 2, lambda batch: batch)
    >>> [b.tolist() for b in data.as_numpy_iterator()], [b.tolist() for b in data.as_numpy_iterator()]
    ([[0, 0], [0]], [[1, 1], [1]])
    """
    batch_size = check_int(batch_size, "batch_size", 1)
    if length < 1:
        raise ValueError("expected at least one sample, got none")
    epochs = Epochs(order)
    data = tf.data.Dataset.range(1).map(lambda _: tf.ensure_shape(tf.numpy_function(epochs, [], tf.int64), [length]))
    data = data.flat_map(lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
    data = data.apply(tf.data.experimental.assert_cardinality(math.ceil(length / batch_size)))
    data = data.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
    data.epochs = epochs
    return data
