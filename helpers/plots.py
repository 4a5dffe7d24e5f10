"""Figures of the course. Each function returns its ``Figure`` and never calls ``plt.show()``.

Figures are closed on return, so a notebook shows each one exactly once (as the cell's value) and a
script creating hundreds of them does not pile them up in pyplot's memory.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers._checks import as_array, check_int, check_same_length, drop_channel

_GREEN, _RED = "#1a7f37", "#cf222e"


def _finish(fig: Figure) -> Figure:
    """Lay the figure out and close it in pyplot (see the module docstring); the caller returns it."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def display_pairs(
    images: object,
    labels: object,
    correct: object | None = None,
    *,
    max_pairs: int = 8,
    columns: int = 4,
    title: str | None = None,
    captions: object | None = None,
) -> Figure:
    """Show image pairs side by side with their label ("similar"/"different").

    ``images``: pairs of shape (N, 2, H, W) or (N, 2, H, W, 1); ``labels``: (N,), 1 = similar.
    ``correct``: optional booleans (N,) — whether a model judged each pair right; titles turn green
    (right) or red (wrong). ``captions``: optional strings (N,) shown under each pair (e.g. the digits and
    their distance). Shows the first ``max_pairs`` pairs in a grid of ``columns`` columns.
    """
    pairs = drop_channel(as_array(images, "images"))
    if pairs.ndim != 4 or pairs.shape[1] != 2:
        raise ValueError(f"images: expected pairs of shape (N, 2, H, W[, 1]), got {pairs.shape}")
    labels = as_array(labels, "labels").reshape(-1)
    check_same_length(pairs, labels, "images", "labels")
    if correct is not None:
        correct = as_array(correct, "correct").reshape(-1).astype(bool)
        check_same_length(pairs, correct, "images", "correct")
    if captions is not None:
        if isinstance(captions, (str, bytes)):  # "abc" would caption three pairs "a", "b" and "c"
            raise TypeError("captions: expected one string per pair (a list), got a single string")
        captions = [str(c) for c in captions]
        check_same_length(pairs, captions, "images", "captions")
    max_pairs, columns = check_int(max_pairs, "max_pairs", 1), check_int(columns, "columns", 1)
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
        if captions is not None:
            ax.text(0.5, -0.08, captions[k], transform=ax.transAxes, ha="center", va="top", fontsize=9)
    if title:
        fig.suptitle(title)
    return _finish(fig)


def display_mistakes(images: object, pair_indices: object, distances: object, class_labels: object,
                     chosen: object, *, title: str) -> Figure:
    """The pairs ``chosen`` (indices into ``pair_indices``, e.g. from
    :func:`helpers.evaluation.hardest_mistakes`), each captioned with its two classes and its distance, all
    marked wrong. ``images`` (N, H, W[, 1]) are indexed by ``pair_indices`` (M, 2); ``class_labels`` (N,)."""
    images = as_array(images, "images")
    idx = as_array(pair_indices, "pair_indices")
    d = as_array(distances, "distances").reshape(-1)
    classes = as_array(class_labels, "class_labels").reshape(-1)
    chosen = as_array(chosen, "chosen").reshape(-1)
    check_same_length(idx, d, "pair_indices", "distances")
    check_same_length(images, classes, "images", "class_labels")
    if len(chosen) == 0:
        raise ValueError("chosen: no pairs to display (no mistakes of this kind)")
    if chosen.dtype.kind not in "iu" or chosen.min() < 0 or chosen.max() >= len(idx):
        raise ValueError(f"chosen: expected indices into pair_indices, from 0 to {len(idx) - 1}, got {chosen.tolist()}")
    pairs = idx[chosen]
    same = (classes[pairs[:, 0]] == classes[pairs[:, 1]]).astype(np.float32)
    captions = [f"{classes[i]} vs {classes[j]}, d = {dist:.2f}" for (i, j), dist in zip(pairs, d[chosen])]
    return display_pairs(images[pairs], same, correct=np.zeros(len(chosen), bool), captions=captions,
                         max_pairs=len(chosen), columns=min(4, len(chosen)), title=title)


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
    return _finish(fig)


def plot_loss_vs_distance(margin: float = 1.0, max_distance: float = 2.0) -> Figure:
    """The contrastive loss as a function of the distance, for similar (y=1) and different (y=0) pairs."""
    from helpers.losses import contrastive_loss

    d = np.linspace(0.0, max_distance, 201, dtype=np.float32)
    fig, ax = plt.subplots(figsize=(6, 4))
    curves = ((1.0, "-", "similar pair (y = 1): ½·d²"), (0.0, "--", "different pair (y = 0): ½·max(0, m − d)²"))
    for y, style, label in curves:
        loss = np.asarray(contrastive_loss(np.full_like(d, y), d, margin=margin))
        ax.plot(d, loss, style, label=label)
    ax.axvline(margin, color="gray", lw=0.8, ls=":")
    ax.text(margin, ax.get_ylim()[1] * 0.3, f" margin m = {margin:g}", color="gray")
    ax.set(title="Contrastive loss vs distance", xlabel="distance d between the two embeddings", ylabel="loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig)


def plot_digits(images: object, labels: object, *, max_images: int = 10) -> Figure:
    """A row of digits with their labels (images (N, H, W) or (N, H, W, 1))."""
    images = drop_channel(as_array(images, "images"))
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
    return _finish(fig)


def plot_roc(curves: dict[str, tuple[object, object, float]], *, title: str = "ROC curve of test pairs") -> Figure:
    """ROC curves, one per model: ``{name: (false_positive_rate, true_positive_rate, auc)}``."""
    if not curves:
        raise ValueError("curves: expected at least one named (fpr, tpr, auc) curve")
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, (fpr, tpr, auc) in curves.items():
        ax.plot(as_array(fpr, "fpr"), as_array(tpr, "tpr"), label=f"{name} (AUC {auc:.4f})")
    ax.plot([0, 1], [0, 1], color="gray", lw=0.8, ls=":", label="chance")
    ax.set(title=title, xlabel="false positive rate (different pairs called similar)",
           ylabel="true positive rate (similar pairs found)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _finish(fig)


def plot_distance_histograms(
    distances: object, pair_labels: object, thresholds: dict[str, float] | None = None, *, title: str | None = None
) -> Figure:
    """Histograms of the distance for similar and for different pairs, with vertical lines at ``thresholds``
    (``{"name": value}``). Where the two histograms overlap, no threshold can be right for every pair."""
    d = as_array(distances, "distances").reshape(-1)
    y = as_array(pair_labels, "pair_labels").reshape(-1)
    check_same_length(d, y, "distances", "pair_labels")
    if len(d) == 0:
        raise ValueError("distances: nothing to plot")
    bins = np.linspace(0.0, float(np.max(d)) * 1.02 + 1e-9, 60)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.hist(d[y == 1], bins=bins, alpha=0.6, color=_GREEN, label="similar pairs (same digit)")
    ax.hist(d[y == 0], bins=bins, alpha=0.6, color=_RED, label="different pairs")
    for (name, value), style in zip((thresholds or {}).items(), ("--", ":", "-.")):
        ax.axvline(value, color="black", ls=style, lw=1.2, label=f"{name}: {value:.3f}")
    ax.set(title=title or "Distance between the two embeddings of a pair", xlabel="distance", ylabel="pairs")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig)


def plot_embedding_2d(points: object, labels: object, *, title: str, ax_labels: tuple[str, str] = ("", "")) -> Figure:
    """A 2-D projection of embeddings (N, 2), one colour per class, with each class's id at its median."""
    xy = as_array(points, "points")
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"points: expected shape (N, 2), got {xy.shape}")
    labels = as_array(labels, "labels").reshape(-1)
    check_same_length(xy, labels, "points", "labels")
    if len(xy) == 0:
        raise ValueError("points: nothing to plot")
    fig, ax = plt.subplots(figsize=(6, 5.5))
    cmap = plt.get_cmap("tab10")
    for k, c in enumerate(np.unique(labels)):
        mine = xy[labels == c]
        ax.scatter(mine[:, 0], mine[:, 1], s=3, alpha=0.5, color=cmap(k % 10), rasterized=True)
        cx, cy = np.median(mine, axis=0)
        ax.text(cx, cy, str(c), fontsize=14, weight="bold", ha="center", va="center",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "edgecolor": cmap(k % 10)})
    ax.set(title=title, xlabel=ax_labels[0], ylabel=ax_labels[1])
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(fig)


def plot_few_shot(
    results: dict[str, list[object]], *, title: str = "Few-shot classification (1-NN on embeddings)"
) -> Figure:
    """Accuracy against labelled examples per class, one line per model: ``{name: [FewShotResult, ...]}``
    (from :func:`helpers.evaluation.few_shot_accuracy`); error bars are ±1 standard deviation over draws."""
    if not results:
        raise ValueError("results: expected at least one named list of FewShotResult")
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rows in results.items():
        shots = [r.shots for r in rows]
        ax.errorbar(shots, [r.mean for r in rows], yerr=[r.std for r in rows], marker="o", capsize=4, label=name)
        ax.set_xticks(shots)
    ax.set(title=title, xlabel="labelled examples per class", ylabel="test accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig)


def plot_views(images: object, views: list[object], *, title: str = "Original digits and augmented views") -> Figure:
    """One row per image: the original, then each of its augmented ``views`` (a list of arrays shaped like
    ``images``, (N, H, W[, 1]))."""
    columns = [as_array(images, "images")] + [as_array(v, f"views[{k}]") for k, v in enumerate(views)]
    columns = [drop_channel(c) for c in columns]
    for k, c in enumerate(columns):
        if c.shape != columns[0].shape or c.ndim != 3:
            raise ValueError(f"views[{k - 1}]: expected the shape of images (N, H, W[, 1]), got {c.shape}")
    n = len(columns[0])
    if n == 0 or not views:
        raise ValueError("images and views: expected at least one image and one view")
    fig, axes = plt.subplots(n, len(columns), figsize=(1.3 * len(columns), 1.3 * n), squeeze=False)
    for j, column in enumerate(columns):
        axes[0, j].set_title("original" if j == 0 else f"view {j}", fontsize=9)
        for i in range(n):
            axes[i, j].imshow(column[i], cmap="gray_r", vmin=0, vmax=1)
            axes[i, j].axis("off")
    fig.suptitle(title)
    return _finish(fig)


__all__ = ["display_pairs", "display_mistakes", "plot_history", "plot_loss_vs_distance", "plot_digits", "plot_roc",
           "plot_distance_histograms", "plot_embedding_2d", "plot_few_shot", "plot_views"]
