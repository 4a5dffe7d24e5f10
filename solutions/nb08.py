"""Notebook 08 · Training."""

from __future__ import annotations

import numpy as np


def validation_metrics_by_hand(model, images: np.ndarray, indices: np.ndarray, pair_labels: np.ndarray,
                               batch_size: int = 1024) -> dict[str, float]:
    """Exercise 1 (recall). ``val_loss`` and ``val_accuracy`` computed by hand: the model's distance for every
    validation pair (``predict``: dropout off, as Keras evaluates), then the mean over the pairs of
    ``contrastive_loss`` and of ``accuracy`` (d < 0.5).

    That is all the two numbers are: the mean per-pair loss and the share of pairs judged right, over all
    24,000 validation pairs, measured with the weights at the end of the epoch. After the run (or with
    ``TRAIN = False``) they equal the log's last ``val_loss`` and ``val_accuracy`` and ``model.evaluate(val_data)``
    up to float round-off (Keras adds the batches' losses in another order).
    """
    from helpers.losses import accuracy, contrastive_loss

    pairs = [images[indices[:, 0]], images[indices[:, 1]]]
    distances = np.asarray(model.predict(pairs, batch_size=batch_size, verbose=0)).ravel()
    return {"val_loss": float(np.mean(np.asarray(contrastive_loss(pair_labels, distances)))),
            "val_accuracy": float(np.mean(np.asarray(accuracy(pair_labels, distances))))}


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
