"""Figures of the course. Each function returns its ``Figure`` and never calls ``plt.show()``.

Figures are closed on return, so a notebook shows each one exactly once (as the cell's value) and a
script creating hundreds of them does not pile them up in pyplot's memory.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.textpath import text_to_path
from matplotlib.ticker import StrMethodFormatter

from helpers._checks import (
    as_array,
    check_int,
    check_labels,
    check_not_empty,
    check_number,
    check_positions,
    check_same_length,
    drop_channel,
)

_GREEN, _RED = "#1a7f37", "#cf222e"


def _labels_for(items: np.ndarray, labels: object, items_name: str) -> np.ndarray:
    """``labels`` as a flat array with one entry per row of ``items`` (or a ValueError naming both)."""
    labels = as_array(labels, "labels").reshape(-1)
    check_same_length(items, labels, items_name, "labels")
    return labels


def _finish(fig: Figure, *, grid_and_legend=(), rect=(0, 0, 1, 1)) -> Figure:
    """Lay the figure out within ``rect`` (of the figure, in fractions: room left for a figure legend) and close
    it in pyplot (see the module docstring); the caller returns it. The axes in ``grid_and_legend`` get a light
    grid and a small legend first."""
    for ax in grid_and_legend:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout(rect=rect)
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
    labels = _labels_for(pairs, labels, "images")
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
    # a caption needs its own line of height: at 1.6 inches a row, tight_layout squeezed the rows together and
    # each caption ran into the titles of the row below it (2 rows × 4 pairs, notebook 10)
    row_height = 1.6 if captions is None else 2.0
    fig, axes = plt.subplots(rows, min(columns, n), figsize=(2.6 * min(columns, n), row_height * rows), squeeze=False)
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
    chosen = check_positions(chosen, len(idx), "chosen", of="pair_indices")
    pairs = idx[chosen]
    same = (classes[pairs[:, 0]] == classes[pairs[:, 1]]).astype(np.float32)
    captions = [f"{classes[i]} vs {classes[j]}, d = {dist:.2f}" for (i, j), dist in zip(pairs, d[chosen])]
    return display_pairs(images[pairs], same, correct=np.zeros(len(chosen), bool), captions=captions,
                         max_pairs=len(chosen), columns=min(4, len(chosen)), title=title)


#: The y label of :func:`plot_history` for the metrics the course logs; any other metric is labelled by its name.
_METRIC_LABELS = {"loss": "Contrastive loss", "accuracy": "Pair accuracy (d < 0.5)"}


def plot_history(history: object, *, metric: str = "loss", title: str | None = None) -> Figure:
    """Training and validation ``metric`` per epoch from a Keras ``History`` (or its ``.history`` dict).

    ``metric`` is a key of the history: ``"loss"`` (the default) or, for a model compiled by
    :func:`helpers.models.compile_siamese`, ``"accuracy"`` (pairs judged right at the article's threshold,
    d < 0.5). Its validation curve (``"val_" + metric``) is drawn when the history has one. ``title``
    defaults to "Training vs validation <metric>".
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise ValueError(f"history: expected a keras History or a dict of per-epoch lists, got {type(logs).__name__}")
    if not isinstance(metric, str) or metric not in logs:
        raise ValueError(f"history: no {metric!r} values; available keys: {', '.join(map(str, logs)) or 'none'}")
    epochs = np.arange(1, len(logs[metric]) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, logs[metric], "o-", label=f"training {metric}")
    if f"val_{metric}" in logs:
        ax.plot(epochs, logs[f"val_{metric}"], "s--", label=f"validation {metric}")
    ax.set(title=title or f"Training vs validation {metric}", xlabel="Epoch",
           ylabel=_METRIC_LABELS.get(metric, metric))
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig)


def plot_replica_losses(runs: dict, reference: str, tolerance: float) -> Figure:
    """Notebook 15: each run's loss per training step (left) and how far it is from the ``reference`` run's
    loss at the same step (right, log scale, with the ``tolerance`` line). ``runs``: ``{name: {"losses":
    [...]}}``, every run with as many steps."""
    if reference not in runs:
        raise ValueError(f"reference: expected one of {', '.join(runs)}, got {reference!r}")
    base = np.asarray(runs[reference]["losses"], dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    styles = ["-", "--", ":", "-."]
    for i, (name, run) in enumerate(runs.items()):
        losses = np.asarray(run["losses"], dtype=float)
        if losses.shape != base.shape:
            raise ValueError(f"runs: {name!r} has {len(losses)} steps, {reference!r} {len(base)}")
        steps = np.arange(1, len(losses) + 1)
        style = dict(ls=styles[i % len(styles)], color=f"C{i}", label=name)  # one colour per run in both panels
        left.plot(steps, losses, **style)
        if name != reference:  # a gap of exactly 0 has no place on a log scale: drawn at the axis' floor
            right.plot(steps, np.maximum(np.abs(losses - base), 1e-9), marker=".", **style)
    right.axhline(tolerance, color="gray", lw=1, ls=":", label=f"tolerance {tolerance:g}")
    right.set_yscale("log")
    left.set(title="Loss of each training step, as logged", xlabel="step", ylabel="loss")
    right.set(title=f"|loss − {reference}'s| at the same step", xlabel="step", ylabel="absolute difference")
    return _finish(fig, grid_and_legend=(left, right))


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


def _check_margins(margins: object) -> list[float]:
    """Distinct positive finite margins, as floats (the order given is kept)."""
    if isinstance(margins, (str, bytes)) or not hasattr(margins, "__iter__"):
        raise TypeError(f"margins: expected a sequence of positive numbers, got {type(margins).__name__}")
    values = [check_number(m, "margins", positive=True) for m in margins]
    if not values or len(set(values)) != len(values):
        raise ValueError(f"margins: expected one or more distinct positive numbers, got {list(margins)}")
    return values


def plot_margin_effect(margins: object = (0.5, 1.0, 2.0), max_distance: float = 2.5) -> Figure:
    """What the margin changes: the contrastive loss (left) and its gradient dL/dd (right) against the distance.

    One curve for similar pairs (``½·d²``, gradient ``d``: the margin does not enter) and one per margin for
    different pairs (``½·max(0, m − d)²``, gradient ``−(m − d)`` inside the margin, 0 beyond). The loss curves
    come from :func:`helpers.losses.contrastive_loss`, the gradients from the analytic
    :func:`helpers.losses.contrastive_loss_gradient`; 401 points
    from 0 to ``max_distance``. A dotted vertical line marks each margin.
    """
    from helpers.losses import contrastive_loss, contrastive_loss_gradient

    margins = _check_margins(margins)
    max_distance = check_number(max_distance, "max_distance", positive=True)
    d = np.linspace(0.0, max_distance, 401)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(margins)))
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
    similar_loss = np.asarray(contrastive_loss(np.ones_like(d), d))  # the margin does not enter for y = 1
    ax_loss.plot(d, similar_loss, color="black", lw=2, label="similar (y = 1), any margin")
    ax_grad.plot(d, contrastive_loss_gradient(d, 1), color="black", lw=2, label="similar (y = 1), any margin")
    for m, colour in zip(margins, colours):
        loss = np.asarray(contrastive_loss(np.zeros_like(d), d, margin=m))
        ax_loss.plot(d, loss, "--", color=colour, label=f"different (y = 0), m = {m:g}")
        ax_grad.plot(d, contrastive_loss_gradient(d, 0, m), "--", color=colour, label=f"different (y = 0), m = {m:g}")
        for ax in (ax_loss, ax_grad):
            ax.axvline(m, color=colour, lw=0.8, ls=":")
    ax_grad.axhline(0.0, color="gray", lw=0.8)
    ax_loss.set(title="Contrastive loss L", xlabel="distance d", ylabel="loss", ylim=(0, None))
    ax_grad.set(title="Gradient dL/dd (descent moves d against its sign)", xlabel="distance d",
                ylabel="dL/dd  (> 0 pulls together, < 0 pushes apart)")
    return _finish(fig, grid_and_legend=(ax_loss, ax_grad))


_SWEEP_KEYS = ("margin", "median_distance_similar", "median_distance_different", "test_accuracy_at_0.5",
               "threshold", "test_accuracy")


def plot_margin_sweep(results: dict, *, title: str | None = None) -> Figure:
    """The measured margin sweep (``scripts/margin_sweep.py``'s JSON, as a dict): what the margin did.

    Left: the median test distance of similar and of different pairs, and the threshold chosen on validation
    pairs, against the margin, with the lines d = m and d = 0.5 (the article's fixed threshold). Right: test
    accuracy at d < 0.5 beside test accuracy at the validation-chosen threshold, for each margin.
    ``results["results"]``: a list of dicts with the keys ``margin``, ``median_distance_similar``,
    ``median_distance_different``, ``threshold``, ``test_accuracy_at_0.5`` and ``test_accuracy``.
    """
    rows = results.get("results") if isinstance(results, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ValueError("results: expected a dict with a non-empty 'results' list (margin_sweep.py's JSON)")
    for k, row in enumerate(rows):
        missing = [key for key in _SWEEP_KEYS if not isinstance(row, dict) or key not in row]
        if missing:
            raise ValueError(f"results['results'][{k}]: expected the keys {list(_SWEEP_KEYS)}, missing {missing}")
    rows = sorted(rows, key=lambda row: row["margin"])
    m = np.array(_check_margins([row["margin"] for row in rows]))

    def column(key: str) -> np.ndarray:
        return np.array([row[key] for row in rows], dtype=np.float64)

    fig, (ax_d, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_d.plot(m, column("median_distance_similar"), "o-", color=_GREEN, label="similar pairs: median d")
    ax_d.plot(m, column("median_distance_different"), "s-", color=_RED, label="different pairs: median d")
    ax_d.plot(m, column("threshold"), "x", color="black", ms=8, label="threshold chosen on validation")
    line = np.array([0.0, m.max() * 1.1])
    ax_d.plot(line, line, color="gray", ls="--", lw=1, label="d = m (the margin)")
    ax_d.axhline(0.5, color="black", ls=":", lw=1, label="d = 0.5 (the article's threshold)")
    ax_d.set(title="Median test distance vs margin", xlabel="margin m", ylabel="distance d",
             xlim=(0, line[1]), ylim=(0, None))
    ax_d.set_xticks(m, [f"{v:g}" for v in m])
    ax_d.legend(fontsize=8)
    x, width = np.arange(len(m)), 0.38
    fixed = ax_acc.bar(x - width / 2, column("test_accuracy_at_0.5"), width, color="#8c959f", label="at d < 0.5")
    chosen = ax_acc.bar(x + width / 2, column("test_accuracy"), width, color="#0969da",
                        label="at the threshold chosen on validation")
    for bars in (fixed, chosen):
        ax_acc.bar_label(bars, fmt="%.3f", fontsize=8)
    ax_acc.axhline(0.5, color="gray", ls=":", lw=1, label="chance (half the pairs are similar)")
    ax_acc.set(title="Test pair accuracy", xlabel="margin m", ylabel="accuracy", ylim=(0, 1.3))
    ax_acc.set_yticks(np.linspace(0, 1, 6))
    ax_acc.set_xticks(x, [f"{v:g}" for v in m])
    ax_acc.legend(fontsize=8, loc="upper left")
    for ax in (ax_d, ax_acc):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
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
    labels = _labels_for(xy, labels, "points")
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


def plot_label_efficiency(accuracies: dict[str, list[float]], labels_per_class: list[int], *, all_label: str = "all",
                          title: str = "Linear probe accuracy against labels per class") -> Figure:
    """Test accuracy against labelled images per class (log axis), one line per model: ``{name: [accuracy, ...]}``
    with one accuracy per entry of ``labels_per_class`` plus a last one with every label, drawn at the last
    position's right and marked ``all_label``."""
    if not accuracies:
        raise ValueError("accuracies: expected at least one named list of accuracies")
    positions = [*labels_per_class, labels_per_class[-1] * 5]
    for name, values in accuracies.items():
        if len(values) != len(positions):
            raise ValueError(f"accuracies[{name!r}]: expected {len(positions)} values (one per entry of "
                             f"labels_per_class, then all labels), got {len(values)}")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, values in accuracies.items():
        ax.plot(positions, [check_number(v, f"accuracies[{name!r}]") for v in values], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xticks(positions, [str(k) for k in labels_per_class] + [all_label])
    ax.minorticks_off()
    ax.set(title=title, xlabel="labelled training images per class", ylabel="test accuracy", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _finish(fig)


def plot_loss_gap(levels: dict[str, float], *, title: str = "From the training loss to the validation loss") -> Figure:
    """One bar per measured loss, in order (e.g. fit's epoch-average training loss, the final weights with
    dropout on, with dropout off, the validation loss), each labelled with its value, and the step from one
    bar to the next written between them: where the gap between the curves comes from."""
    if not isinstance(levels, dict) or len(levels) < 2:
        raise ValueError("levels: expected a dict of at least two named losses, in order")
    names, values = list(levels), [check_number(v, f"levels[{k!r}]") for k, v in levels.items()]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(values))
    ax.bar(x, values, color=_GREY, width=0.55)
    for k, value in enumerate(values):
        ax.text(k, value, f"{value:.4f}", ha="center", va="bottom", fontsize=9)
        if k:
            ax.annotate(f"{values[k] - values[k - 1]:+.4f}", xy=(k - 0.5, max(values[k - 1], values[k]) * 1.08),
                        ha="center", fontsize=9, color=_RED if values[k] > values[k - 1] else _GREEN)
    ax.set_xticks(x, [textwrap.fill(n, 22) for n in names], fontsize=8)
    ax.set(ylabel="Contrastive loss", title=title, ylim=(0, max(values) * 1.25))
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig)


def plot_comparison(rows: dict[str, dict[str, float]], measures: dict[str, str], *,
                    baselines: dict[str, dict[str, float]] | None = None,
                    spreads: dict[str, dict[str, tuple[float, float]]] | None = None,
                    decimals: dict[str, int] | None = None, title: str | None = None) -> Figure:
    """A dot plot, one panel per measure (two panels a row): one dot per model at its value, labelled; where
    ``spreads`` has them, a line through the lowest and highest value over seeds; each of ``baselines`` as a
    vertical line in every panel that has it. ``rows``: ``{model: {measure key: value}}``; ``measures``:
    ``{measure key: panel title}``; ``baselines``: ``{name: {measure key: value}}``; ``spreads``:
    ``{model: {measure key: (lowest, highest)}}``; ``decimals``: labels' precision per measure (default 4).

    Dots, not bars: a position needs no zero on its axis, so each panel spans just what it shows (every dot,
    range and baseline) and differences of a few tenths of a percent stay visible."""
    if not rows or not measures:
        raise ValueError("rows and measures: expected at least one model and one measure")
    for name, values in rows.items():
        missing = sorted(set(measures) - set(values))
        if missing:
            raise ValueError(f"rows[{name!r}]: missing the measures {missing}")
    baselines, spreads, decimals = baselines or {}, spreads or {}, decimals or {}
    names = list(rows)
    ncols = min(2, len(measures))
    nrows = -(-len(measures) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols + 2.4, (0.32 * len(names) + 1.1) * nrows),
                             sharey=True, squeeze=False)
    y = np.arange(len(names))[::-1]
    styles = [("--", "black"), (":", "tab:red"), ("-.", "tab:blue")]
    for ax, (key, panel) in zip(axes.flat, measures.items()):
        values = [check_number(rows[n][key], f"rows[{n!r}][{key!r}]") for n in names]
        shown = list(values)
        for k, name in enumerate(names):
            if key in spreads.get(name, {}):
                low, high = spreads[name][key]
                ax.plot([low, high], [y[k], y[k]], color=_GREY, linewidth=2, alpha=0.5,
                        label="lowest to highest over seeds")
                shown += [low, high]
        ax.scatter(values, y, color="black", zorder=3, s=22)
        for (style, color), (base, base_values) in zip(styles, baselines.items()):
            if key in base_values:
                ax.axvline(base_values[key], color=color, linestyle=style, linewidth=1, label=base)
                shown.append(base_values[key])
        low, high = min(shown), max(shown)
        pad = 0.06 * (high - low + 0.01)
        ax.set_xlim(low - pad, high + 5 * pad)
        for k, value in enumerate(values):
            ax.text(value, y[k] + 0.18, f" {value:.{decimals.get(key, 4)}f}", fontsize=8, va="bottom")
        ax.set_title(panel, fontsize=10)
        ax.set_ylim(-0.6, len(names) - 0.2)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_yticks(y, names)
    handles = {label: handle for ax in axes.flat for handle, label in zip(*ax.get_legend_handles_labels())}
    if handles:
        fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=len(handles), fontsize=8,
                   frameon=False)
    if title:
        fig.suptitle(title)
    return _finish(fig, rect=(0, 0.06 if handles else 0, 1, 1))


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


_ARTICLE, _ARTICLE_FILL = "#0969da", "#ddf4ff"  # notebooks that follow a step of the article
_BEYOND, _BEYOND_FILL = "#8250df", "#fbefff"  # notebooks that go beyond it
_GREY = "#57606a"


def _box(ax, x0: float, y0: float, width: float, height: float, edge: str, fill: str, **style) -> None:
    """A rounded box in data coordinates (the diagrams draw in inches: 1 data unit ≈ 1 inch)."""
    ax.add_patch(FancyBboxPatch((x0, y0), width, height, boxstyle="round,pad=0,rounding_size=0.08",
                                edgecolor=edge, facecolor=fill, lw=1.4, **style))


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], color: str = _GREY, **style) -> None:
    style = {"arrowstyle": "-|>", "mutation_scale": 12, "lw": 1.3, "shrinkA": 0, "shrinkB": 0, **style}
    ax.add_patch(FancyArrowPatch(start, end, color=color, **style))


def plot_siamese_diagram(images: tuple[object, object] | None = None) -> Figure:
    """The Siamese network as a diagram: two images → one twin CNN → two 128-d embeddings → their Euclidean
    distance d → the contrastive loss L(y, d), whose second input is the pair label y (1 = similar, 0 = different).

    The twin is one box that both images enter, because it *is* one network: the same layers, with the same
    weights, embed image A and image B (:func:`helpers.models.siamese_network`). ``images``: optionally the two
    digits of a pair, each (H, W) or (H, W, 1), shown as the inputs; without them the inputs are labelled boxes.
    9 × 3.5 inches, the width of a notebook.
    """
    shown = None
    if images is not None:
        count = len(images) if hasattr(images, "__len__") else None
        if count != 2:
            raise ValueError(f"images: expected two images (image A, image B), got {count} items")
        shown = [drop_channel(as_array(image, f"images[{k}]")[np.newaxis])[0] for k, image in enumerate(images)]
        for k, image in enumerate(shown):
            if image.ndim != 2:
                raise ValueError(f"images[{k}]: expected one grayscale image (H, W) or (H, W, 1), got {image.shape}")
    fig, ax = plt.subplots(figsize=(9, 3.5))
    blue, fill = _ARTICLE, _ARTICLE_FILL
    orange, orange_fill = "#bc4c00", "#fff1e5"
    rows = {"A": 2.45, "B": 0.85}  # the vertical centre of each branch
    for name, yc in rows.items():
        if shown is None:
            _box(ax, 0.1, yc - 0.42, 0.95, 0.84, _GREY, "#f6f8fa")
            ax.text(0.575, yc, "28 × 28\ndigit", ha="center", va="center", fontsize=8.5, color=_GREY)
        else:
            image = shown[0 if name == "A" else 1]
            ax.imshow(image, cmap="gray_r", extent=(0.15, 1.0, yc - 0.42, yc + 0.42), zorder=2)
            _box(ax, 0.15, yc - 0.42, 0.85, 0.84, _GREY, "none", zorder=3)
        ax.text(0.575, yc + 0.48, f"image {name}", ha="center", va="bottom", fontsize=10)
        _arrow(ax, (1.1, yc), (1.6, yc + (-0.3 if name == "A" else 0.3)))
    # the one twin
    _box(ax, 1.6, 0.45, 2.45, 2.45, blue, fill)
    ax.text(2.825, 2.45, "shared twin CNN", ha="center", va="center", fontsize=11, weight="bold", color=blue)
    ax.text(2.825, 1.75, "one network, used twice:\nthe same weights\nembed A and B", ha="center", va="center",
            fontsize=9, linespacing=1.3)
    ax.text(2.825, 0.95, "3 conv blocks → pool → Dense(128)", ha="center", va="center", fontsize=8, color=_GREY)
    for name, yc in rows.items():
        _arrow(ax, (4.05, yc + (-0.3 if name == "A" else 0.3)), (4.5, yc))
        _box(ax, 4.5, yc - 0.32, 1.15, 0.64, blue, "white")
        ax.text(5.075, yc, f"embedding {name}\n128-d", ha="center", va="center", fontsize=9, linespacing=1.3)
        _arrow(ax, (5.65, yc), (6.05, 1.65 + (0.25 if name == "A" else -0.25)))
    _box(ax, 6.05, 1.2, 1.1, 0.9, orange, orange_fill)
    ax.text(6.6, 1.65, "Euclidean\ndistance d", ha="center", va="center", fontsize=9.5, linespacing=1.3)
    _arrow(ax, (7.15, 1.65), (7.45, 1.65))
    _box(ax, 7.45, 1.2, 1.45, 0.9, orange, orange_fill)
    ax.text(8.175, 1.65, "contrastive loss\nL(y, d)", ha="center", va="center", fontsize=9.5, linespacing=1.3,
            weight="bold")
    ax.text(8.175, 2.6, "pair label y\n1 = similar\n0 = different", ha="center", va="bottom", fontsize=9,
            linespacing=1.25)
    _arrow(ax, (8.175, 2.55), (8.175, 2.1))
    ax.set_xlim(0, 9)
    ax.set_ylim(0, 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return _finish(fig)


def plot_class_balance(
    labels_by_split: dict[str, object], *, title: str = "Share of each class in each split"
) -> Figure:
    """Grouped bars: each class's share (%) of each split, with a dashed line at the share every class would
    have in a perfectly balanced split (100 % / number of classes: 10 % for the ten digits).

    ``labels_by_split``: ``{split name: class ids (N,)}``, e.g. ``{"train": y_train, "validation": y_val,
    "test": y_test}``. Shares, not counts, so that splits of different sizes share one scale; bars that all sit
    near the line mean no class is much rarer than the others in any split.
    """
    if not isinstance(labels_by_split, dict):
        raise TypeError(
            f"labels_by_split: expected a dict {{split name: class ids}}, got {type(labels_by_split).__name__}"
        )
    if not labels_by_split:
        raise ValueError("labels_by_split: expected at least one split, got an empty dict")
    splits = {}
    for name, labels in labels_by_split.items():
        splits[str(name)] = check_labels(labels, f"labels_by_split[{name!r}]")
        check_not_empty(splits[str(name)], f"labels_by_split[{name!r}]")
    classes = np.unique(np.concatenate(list(splits.values())))
    width = 0.8 / len(splits)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    highest = 0.0
    for k, (name, labels) in enumerate(splits.items()):
        counts = np.bincount(np.searchsorted(classes, labels), minlength=len(classes))
        shares = 100.0 * counts / len(labels)
        highest = max(highest, float(shares.max()))
        x = np.arange(len(classes)) + (k - (len(splits) - 1) / 2) * width
        ax.bar(x, shares, width, label=f"{name} ({len(labels):,})")
    balanced = 100.0 / len(classes)
    ax.axhline(balanced, color="black", ls="--", lw=1, label=f"balanced: {balanced:.3g} %")
    ax.set_xticks(np.arange(len(classes)), [str(c) for c in classes])
    ax.set_ylim(0, max(highest, balanced) * 1.3)  # head room for the legend above the bars
    ax.set(title=title, xlabel="class", ylabel="share of the split (%)")
    ax.grid(axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()  # the splits first, the balanced line last
    order = list(range(1, len(handles))) + [0]
    ax.legend([handles[k] for k in order], [names[k] for k in order], loc="upper center", ncol=len(splits) + 1,
              fontsize=9)
    return _finish(fig)


def plot_parameters_per_layer(model: object, *, title: str | None = None) -> Figure:
    """Horizontal bars of ``layer.count_params()`` for each layer of ``model`` that has parameters, in the
    model's order from the top, each labelled with its count and its share of the total.

    Input, pooling, dropout and other layers without weights are left out: they cost no parameters. For
    :func:`helpers.models.siamese_twin` this shows at a glance that the second convolution (128 filters of
    2×2×128 weights) holds most of the model. ``title`` defaults to the model's name and total.
    """
    layers = getattr(model, "layers", None)
    if layers is None or not hasattr(model, "count_params"):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"model: expected a built model (with an Input or called once), got unbuilt {model.name!r}")
    counted = [(layer, layer.count_params()) for layer in layers]
    counted = [(layer, n) for layer, n in counted if n > 0]
    if not counted:
        raise ValueError(f"model: {model.name!r} has no layer with parameters")
    total = sum(n for _, n in counted)
    names = [f"{layer.name} ({type(layer).__name__})" for layer, _ in counted]
    counts = [n for _, n in counted]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(counted)))
    bars = ax.barh(np.arange(len(counted)), counts, color=_ARTICLE, height=0.6)
    ax.bar_label(bars, labels=[f"{n:,} ({n / total:.1%})" for n in counts], padding=4, fontsize=9)
    ax.set_yticks(np.arange(len(counted)), names)
    ax.invert_yaxis()  # first layer at the top, as in model.summary()
    ax.set_xlim(0, max(counts) * 1.35)  # room for the labels right of the longest bar
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set(title=title or f"{model.name}: {total:,} parameters", xlabel="parameters")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig)


def _fit(text: str, fontsize: float, inches: float) -> str:
    """``text``, cut short with "…" where it would be wider than ``inches`` at ``fontsize`` (measured with the
    font matplotlib draws it in, not guessed from its length)."""
    prop = FontProperties(size=fontsize)

    def width(s: str) -> float:  # inches
        return text_to_path.get_text_width_height_descent(s, prop, ismath=False)[0] / 72

    if width(text) <= inches:
        return text
    while text and width(text + "…") > inches:
        text = text[:-1]
    return text.rstrip() + "…"


_MAP_ROWS = 9  # boxes per column of the course map: the article's nine steps fill one column


def plot_course_map(outline: list[tuple[str, str, str | None]], *, title: str = "The course, notebook by notebook"
                    ) -> Figure:
    """The course at a glance: one box per notebook (number and short title), in reading order, top to bottom.

    ``outline``: ``[(number, title, article step or None), ...]``, as :func:`helpers.notebook.course_outline`
    reads it from the notebooks. Notebooks that follow a step of the article are blue and labelled "article
    step N", the others purple and labelled "beyond the article". Each run of one kind gets its own column (a
    new one every 9 boxes), and an arrow leads from the end of one column to the top of the next, so the
    figure keeps its size (9 inches wide, under 6 tall) when a few notebooks are added. A title is shortened
    to its part before a colon ("Evaluation: how good is ...?" → "Evaluation").
    """
    if not isinstance(outline, (list, tuple)) or not outline:
        raise ValueError("outline: expected a non-empty list of (number, title, article step or None)")
    for k, entry in enumerate(outline):
        ok = isinstance(entry, (list, tuple)) and len(entry) == 3
        if not ok or not all(isinstance(v, str) for v in entry[:2]) or not isinstance(entry[2], (str, type(None))):
            raise ValueError(f"outline[{k}]: expected (number, title, article step or None) as strings, got {entry!r}")
    columns: list[list[tuple[str, str, str | None]]] = []
    for entry in outline:
        same_kind = columns and (columns[-1][-1][2] is None) == (entry[2] is None)
        if same_kind and len(columns[-1]) < _MAP_ROWS:
            columns[-1].append(entry)
        else:
            columns.append([entry])
    rows = max(len(c) for c in columns)
    step, box_height, header = 0.56, 0.43, 0.45  # inches per row, per box, above the boxes
    height = header + rows * step
    width, gap = 9.0, 0.55  # the gap between columns carries the arrow from one column to the next
    column_width = (width - gap * (len(columns) - 1)) / len(columns)
    fig, ax = plt.subplots(figsize=(width, height + 0.45))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=12)
    fig.tight_layout()  # lay out first: a title may only be as wide as its box turns out on the page
    ax.apply_aspect()
    inch = ax.get_position().width * fig.get_figwidth() / width  # inches per data unit: a little under 1
    ends = []  # (bottom-right of a column's last box, top-left of the next column's first box)
    for c, column in enumerate(columns):
        x0 = c * (column_width + gap)
        article = column[0][2] is not None
        edge, fill = (_ARTICLE, _ARTICLE_FILL) if article else (_BEYOND, _BEYOND_FILL)
        heading = "The article, step by step" if article else "Beyond the article"
        if c > 0 and (columns[c - 1][0][2] is not None) == article:
            heading += " (continued)"
        ax.text(x0 + column_width / 2, height - 0.12, heading, ha="center", va="center", fontsize=10.5,
                weight="bold", color=edge)
        for r, (number, long_title, article_step) in enumerate(column):
            top = height - header - r * step
            _box(ax, x0, top - box_height, column_width, box_height, edge, fill)
            label = _fit(f"{number} · {long_title.split(':')[0].strip()}", 9.5, (column_width - 0.24) * inch)
            ax.text(x0 + 0.12, top - 0.15, label, ha="left", va="center", fontsize=9.5)
            tag = f"article step {article_step}" if article else "beyond the article"
            ax.text(x0 + 0.12, top - 0.33, tag, ha="left", va="center", fontsize=8, style="italic", color=edge)
            if r > 0:
                _arrow(ax, (x0 + column_width / 2, top + step - box_height), (x0 + column_width / 2, top),
                       color=edge, mutation_scale=9)
        last_bottom = height - header - (len(column) - 1) * step - box_height
        ends.append(((x0 + column_width, last_bottom + box_height / 2), (x0, height - header - box_height / 2)))
    for c in range(1, len(columns)):
        (xa, ya), (xb, yb) = ends[c - 1][0], ends[c][1]
        _arrow(ax, (xa, ya), (xb, yb), connectionstyle="arc,angleA=0,angleB=180,armA=18,armB=18,rad=6")
    return _finish(fig)


__all__ = ["display_pairs", "display_mistakes", "plot_history", "plot_loss_gap", "plot_loss_vs_distance",
           "plot_replica_losses", "plot_margin_effect", "plot_margin_sweep", "plot_digits", "plot_roc",
           "plot_distance_histograms", "plot_embedding_2d", "plot_few_shot", "plot_label_efficiency", "plot_views",
           "plot_siamese_diagram", "plot_class_balance", "plot_parameters_per_layer", "plot_course_map"]
