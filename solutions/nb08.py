"""Notebook 08 · Training."""

from __future__ import annotations

import numpy as np


def pairs_seen_per_epoch(n_pairs: int, batch_size: int, seed: int, epochs: int) -> list[np.ndarray]:
    """Exercise 1 (recall). The pair numbers that ``epochs`` passes over ``pair_dataset(..., seed=seed)``
    visit, in order: one array of ``n_pairs`` per pass (a pass is one epoch of ``fit``).

    Every epoch trains on the *same* pairs — they were drawn once, by ``generate_pair_indices`` — in a new
    order, so the batches differ from epoch to epoch. (Notebook 12 instead forms new pairs in every batch.)
    A resumed run sees exactly the batches of an uninterrupted one because each epoch's order is a function
    of the seed and the epoch's number alone (``helpers.pairs.epoch_order``), not of a random generator's
    state that a stop would lose.
    """
    from helpers.pairs import pair_dataset

    images = np.arange(n_pairs, dtype=np.float32)[:, None]  # "image" k holds k: the anchors name their pairs
    pairs = np.stack([np.arange(n_pairs), np.arange(n_pairs)], axis=1)
    data = pair_dataset(images, pairs, np.zeros(n_pairs, np.float32), batch_size=batch_size, seed=seed)
    return [np.concatenate([anchors.numpy().ravel() for (anchors, _), _ in data]).astype(int) for _ in range(epochs)]


def expected_initial_loss(distance: float, margin: float = 1.0) -> float:
    """Exercise 2 (apply). The loss to expect before training, on 50/50 pairs that all sit at ``distance``:
    ``½ · ½d² + ½ · ½ max(0, m − d)²``. An untrained twin puts pairs at about 0.1 (notebook 06), so the
    first batches should cost about 0.2; a loss near 0 in the first steps, or far above 0.25, points to a bug
    (labels, scaling, margin) before any time is spent training. (The epoch-1 line of the log is lower: it
    averages over an epoch in which the network already learns.)"""
    return 0.25 * distance**2 + 0.25 * max(0.0, margin - distance) ** 2


def initial_loss_check(model, images: np.ndarray, indices: np.ndarray, pair_labels: np.ndarray) -> dict[str, float]:
    """Exercise 2. The untrained ``model``'s mean contrastive loss on the pairs (dropout off, as
    ``evaluate``), next to :func:`expected_initial_loss` at the median distance it gives them."""
    from helpers.losses import contrastive_loss

    distances = np.asarray(model([images[indices[:, 0]], images[indices[:, 1]]], training=False)).ravel()
    loss = float(np.mean(np.asarray(contrastive_loss(pair_labels, distances))))
    median = float(np.median(distances))
    return {"median_distance": median, "expected": expected_initial_loss(median), "measured": loss}


def early_stopping(patience: int = 2):
    """Exercise 3 (design). Stop when the validation loss has not improved for ``patience`` epochs and keep
    the best weights, instead of a fixed number of epochs. Pass it to ``model.fit(..., callbacks=[...])``
    beside the checkpoints; ``EPOCHS`` is now the most it may train."""
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
