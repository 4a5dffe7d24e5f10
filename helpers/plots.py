"""Figures of the course. Each function returns its ``Figure`` and never calls ``plt.show()``.

Figures are closed on return, so a notebook shows each one exactly once (as the cell's value) and a
script creating hundreds of them does not pile them up in pyplot's memory.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers._checks import as_array, check_same_length

_GREEN, _RED = "#1a7f37", "#cf222e"


def display_pairs(
    images: object,
    labels: object,
    correct: object | None = None,
    *,
    max_pairs: int = 8,
    columns: int = 4,
    title: str | None = None,
) -> Figure:
    """Show image pairs side by side with their label ("similar"/"different").

    ``images``: pairs of shape (N, 2, H, W) or (N, 2, H, W, 1); ``labels``: (N,), 1 = similar.
    ``correct``: optional booleans (N,) — whether a model judged each pair right; titles turn green
    (right) or red (wrong). Shows the first ``max_pairs`` pairs in a grid of ``columns`` columns.
    """
    pairs = as_array(images, "images")
    if pairs.ndim == 5 and pairs.shape[-1] == 1:
        pairs = pairs[..., 0]
    if pairs.ndim != 4 or pairs.shape[1] != 2:
        raise ValueError(f"images: expected pairs of shape (N, 2, H, W[, 1]), got {pairs.shape}")
    labels = as_array(labels, "labels").reshape(-1)
    check_same_length(pairs, labels, "images", "labels")
    if correct is not None:
        correct = as_array(correct, "correct").reshape(-1).astype(bool)
        check_same_length(pairs, correct, "images", "correct")
    if max_pairs < 1 or columns < 1:
        raise ValueError(f"max_pairs and columns must be positive, got {max_pairs} and {columns}")
    n = min(len(pairs), max_pairs)
    if n == 0:
        raise ValueError("images: no pairs to display")
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, min(columns, n), figsize=(2.6 * min(columns, n), 1.6 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        gap = np.zeros((pairs.shape[2], 4), dtype=float)  # blank paper between the two digits
        ax.imshow(np.hstack([pairs[k, 0], gap, pairs[k, 1]]), cmap="gray_r")
        text = "similar" if labels[k] >= 0.5 else "different"
        color = "black"
        if correct is not None:
            text += " ✓" if correct[k] else " ✗"
            color = _GREEN if correct[k] else _RED
        ax.set_title(text, color=color, fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_history(history: object, *, title: str = "Training vs validation loss") -> Figure:
    """Training and validation loss per epoch from a Keras ``History`` (or its ``.history`` dict)."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError("history: expected a keras History or a dict with a 'loss' list")
    epochs = np.arange(1, len(logs["loss"]) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, logs["loss"], "o-", label="training loss")
    if "val_loss" in logs:
        ax.plot(epochs, logs["val_loss"], "s--", label="validation loss")
    ax.set(title=title, xlabel="Epoch", ylabel="Contrastive loss")
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_loss_vs_distance(margin: float = 1.0, max_distance: float = 2.0) -> Figure:
    """The contrastive loss as a function of the distance, for similar (y=1) and different (y=0) pairs."""
    from helpers.losses import contrastive_loss

    d = np.linspace(0.0, max_distance, 201, dtype=np.float32)
    fig, ax = plt.subplots(figsize=(6, 4))
    for y, style, label in ((1.0, "-", "similar pair (y = 1): ½·d²"), (0.0, "--", "different pair (y = 0): ½·max(0, m − d)²")):
        loss = np.asarray(contrastive_loss(np.full_like(d, y), d, margin=margin))
        ax.plot(d, loss, style, label=label)
    ax.axvline(margin, color="gray", lw=0.8, ls=":")
    ax.text(margin, ax.get_ylim()[1] * 0.3, f" margin m = {margin:g}", color="gray")
    ax.set(title="Contrastive loss vs distance", xlabel="distance d between the two embeddings", ylabel="loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_digits(images: object, labels: object, *, max_images: int = 10) -> Figure:
    """A row of digits with their labels (images (N, H, W) or (N, H, W, 1))."""
    images = as_array(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images: expected shape (N, H, W[, 1]), got {images.shape}")
    labels = as_array(labels, "labels").reshape(-1)
    check_same_length(images, labels, "images", "labels")
    n = min(len(images), max_images)
    if n == 0:
        raise ValueError("images: nothing to display")
    fig, axes = plt.subplots(1, n, figsize=(1.2 * n, 1.5), squeeze=False)
    for ax, image, label in zip(axes.flat, images[:n], labels[:n]):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(str(label))
        ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


__all__ = ["display_pairs", "plot_history", "plot_loss_vs_distance", "plot_digits"]
