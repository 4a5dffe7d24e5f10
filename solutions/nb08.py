"""Notebook 08 · Training."""

from __future__ import annotations

import math


def steps_per_epoch(n_pairs: int = 96_000, batch_size: int = 64) -> int:
    """Exercise 1 (recall). Optimizer steps in one epoch: 96,000 pairs / 64 = 1,500 (a last, smaller batch
    counts as one more step)."""
    return math.ceil(n_pairs / batch_size)


def early_stopping(patience: int = 2):
    """Exercise 2 (design). Stop when the validation loss has not improved for ``patience`` epochs and keep
    the best weights, instead of a fixed number of epochs."""
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
