"""One twin, one budget, one evaluation: losses and design choices compared (notebook 14, ``make ablation``).

A :class:`Recipe` is everything that decides how notebook 12's twin is trained: the loss, two architecture
choices, the learning-rate schedule. :func:`training_setup` turns a recipe into the model to ``fit`` and its
data, so that every recipe sees **the same images**: the same number per step (a batch of 256 single images,
or 128 sampled pairs = 256 images) and per epoch (48,000 on MNIST: one pass, or 24,000 pairs), and the same
optimizer steps. :func:`evaluate_twin` measures any trained twin the way notebooks 10–13 do.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import math
from dataclasses import dataclass, replace

import keras
import numpy as np

from helpers import losses
from helpers._checks import checked_by
from helpers.evaluation import (
    embed,
    evaluate_embeddings,
    evaluation_pairs,
    few_shot_accuracy,
    knn_accuracy,
    linear_probe_accuracy,
    pair_distances,
    roc,
)
from helpers.models import improved_twin, siamese_network, warmup_cosine
from helpers.pairs import epoch_dataset, generate_pair_indices, image_dataset


def batch_contrastive_all_negatives(y_true, y_pred):
    """:func:`helpers.losses.batch_contrastive_loss` with every different pair averaged, not only those
    inside the margin (an ablation of notebook 12)."""
    return losses.batch_contrastive_loss(y_true, y_pred, negatives="all")


#: The losses compared: key → (what it is, the loss function, what a batch holds, the geometry it shapes).
#: "pairs": sampled (anchor, partner) pairs as in the article; "images": single images with class ids.
#: "cosine": the loss normalises the embeddings, so distances are measured between normalised embeddings.
LOSSES: dict[str, tuple[str, object, str, str]] = {
    "pairs": ("contrastive, sampled pairs (the article's)", losses.contrastive_loss, "pairs", "euclidean"),
    "batch_contrastive": ("contrastive, all pairs in a batch (nb 12)", losses.batch_contrastive_loss, "images",
                          "euclidean"),
    "batch_contrastive_all_negatives": ("contrastive, all pairs, every negative averaged",
                                        batch_contrastive_all_negatives, "images", "euclidean"),
    "triplet_semihard": ("triplet, batch semi-hard (FaceNet)", losses.triplet_semihard_loss, "images",
                         "euclidean"),
    "triplet_batch_hard": ("triplet, batch-hard", losses.triplet_batch_hard_loss, "images", "euclidean"),
    "supcon": ("supervised contrastive (SupCon, τ = 0.1)", losses.supcon_loss, "images", "cosine"),
}


@dataclass(frozen=True)
class Recipe:
    """How the twin is trained. The defaults are notebook 12's recipe."""

    loss: str = "batch_contrastive"
    kernel_size: int = 3
    batch_norm: bool = True
    schedule: bool = True  # warm-up and cosine decay; False: the peak learning rate throughout
    peak_learning_rate: float = 3e-3

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {self.loss!r}")

    def without(self, **changes) -> Recipe:
        """This recipe with some settings changed (``Recipe().without(batch_norm=False)``)."""
        return replace(self, **changes)


def training_setup(recipe: Recipe, images, labels, *, batch_size: int, epochs: int, seed: int):
    """``(model, twin, data, steps)`` for ``recipe``: ``model.fit(data, epochs=epochs)`` trains ``twin``.

    Single-image losses train the twin on :func:`helpers.pairs.image_dataset` batches of ``batch_size``
    images. The pair loss trains :func:`helpers.models.siamese_network` on batches of ``batch_size // 2``
    pairs drawn by :func:`helpers.pairs.generate_pair_indices`, ``len(images) // 2`` new pairs per epoch: the
    same images per step and per epoch, and the same optimizer steps (``steps``). Each pass over ``data`` is
    one epoch, in the order :class:`helpers.training.Checkpoints` sets when a run resumes.
    """
    _, loss, kind, _ = LOSSES[recipe.loss]
    twin = improved_twin(kernel_size=recipe.kernel_size, batch_norm=recipe.batch_norm)
    steps = epochs * math.ceil(len(images) / batch_size)
    if kind == "images":
        model, data = twin, image_dataset(images, labels, batch_size=batch_size, seed=seed)
    else:
        model, per_epoch = siamese_network(twin), len(images) // 2
        drawn = [generate_pair_indices(labels, seed)]  # 2 pairs per image: new pairs for four epochs, then more
        while sum(len(idx) for idx, _ in drawn) < epochs * per_epoch:
            drawn.append(generate_pair_indices(labels, seed + len(drawn)))
        indices, pair_labels = np.concatenate([i for i, _ in drawn]), np.concatenate([v for _, v in drawn])
        data = _pairs_by_epoch(images, indices, pair_labels, batch_size // 2, per_epoch)
    rate = warmup_cosine(steps, recipe.peak_learning_rate) if recipe.schedule else recipe.peak_learning_rate
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=rate), loss=loss)
    return model, twin, data, steps


def _pairs_by_epoch(images, indices, pair_labels, batch_size: int, per_epoch: int):
    """Batches of ``((anchors, partners), labels)`` whose epoch ``e`` is the ``e``-th run of ``per_epoch``
    pairs of ``indices``, in order (wrapping round at the end)."""
    import tensorflow as tf

    table, pairs, targets = tf.constant(images), tf.constant(indices.astype(np.int64)), tf.constant(pair_labels)

    def gather(batch):
        chosen = tf.gather(pairs, batch)
        return (tf.gather(table, chosen[:, 0]), tf.gather(table, chosen[:, 1])), tf.gather(targets, batch)

    return epoch_dataset(lambda epoch: (np.arange(per_epoch) + epoch * per_epoch) % len(indices), per_epoch,
                         batch_size, gather)


def labelled_set(labels, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``per_class`` images of every class in ``labels``, drawn without replacement by ``rng``:
    the labelled images notebook 14 measures every twin with.

    >>> labelled_set(np.array([0, 1, 0, 1, 1, 0]), 2, np.random.default_rng(0)).tolist()
    [2, 5, 4, 1]
    """
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                           for c in np.unique(labels)])


def _splits(train, test, validation) -> dict:
    """``{"train": ..., "test": ...}`` and ``"validation"`` when given: each ``(images, labels)``."""
    return {"train": train, "test": test, **({"validation": validation} if validation is not None else {})}


def _check_geometry(twin, train, test, *, validation=None, geometry, seed, batch_size) -> None:
    if geometry not in ("euclidean", "cosine"):
        raise ValueError(f"geometry: expected 'euclidean' or 'cosine', got {geometry!r}")


@checked_by(_check_geometry)
def evaluate_twin(twin: keras.Model, train, test, *, validation=None, geometry: str = "euclidean", seed: int,
                  batch_size: int = 1024) -> dict[str, float]:
    """Notebooks 10–13's numbers for a trained twin: test AUC on :func:`helpers.evaluation.evaluation_pairs`,
    1-NN and 1-shot (mean of 10 seeded draws) with ``train`` as the labelled images, and a linear probe on the
    pooled features before the embedding layer (as notebook 13 probes its encoders). With ``validation``: also
    test pair accuracy at a threshold chosen on validation pairs.

    ``train``, ``validation``, ``test``: ``(images, labels)``. ``geometry="cosine"``: distances between
    L2-normalised embeddings (what SupCon trains).
    """
    splits = _splits(train, test, validation)
    features, embeddings = {}, {}
    for name, (images, _) in splits.items():
        features[name], embeddings[name] = embed(twin, images, batch_size, with_features=True)
        if geometry == "cosine":
            norms = np.linalg.norm(embeddings[name], axis=1, keepdims=True)
            embeddings[name] = embeddings[name] / np.maximum(norms, 1e-12)
    return measure(features, embeddings, {name: labels for name, (_, labels) in splits.items()}, seed=seed)


def measure(features: dict, embeddings: dict, labels: dict, *, seed: int) -> dict[str, float]:
    """The numbers of :func:`evaluate_twin` from ``features``, ``embeddings`` and ``labels`` (dicts of
    ``train``, ``test`` and optionally ``validation`` arrays): also the baselines' (raw pixels as both)."""
    if "validation" in labels:  # notebooks 10-12's numbers, threshold chosen on the validation pairs
        report = evaluate_embeddings(*((embeddings[name], labels[name]) for name in ("train", "validation", "test")),
                                     seed=seed)
    else:
        test_idx, test_labels = evaluation_pairs(labels["test"], seed)
        report = {"test_auc": roc(pair_distances(embeddings["test"], test_idx), test_labels)[2],
                  "knn1_accuracy": knn_accuracy(embeddings["train"], labels["train"], embeddings["test"],
                                                labels["test"])}
    report["1-shot"] = few_shot_accuracy(embeddings["train"], labels["train"], embeddings["test"], labels["test"],
                                         shots=1, rng=seed, draws=10).mean
    report["linear_probe"] = linear_probe_accuracy(features["train"], labels["train"], features["test"],
                                                   labels["test"])
    return report


#: The columns of notebook 14's results table, threshold-free measures only: (measure key, heading, format).
#: "1-ref": 1-NN from one labelled reference per class (notebook 11), of classes the twin trained on, so not
#: one-shot learning in the literature's sense (notebook 17 tests that).
RESULT_COLUMNS = [("test_auc", "AUC", "{:.4f}"), ("knn1_accuracy", "1-NN", "{:.4f}"),
                  ("1-shot", "1-ref", "{:.4f}"), ("linear_probe", "probe", "{:.2f}")]  # 3 decimals differ by CPU


def table_row(title: str, values: dict, columns=RESULT_COLUMNS) -> str:
    """One line of notebook 14's results table: ``title``, then each of ``columns`` (default
    :data:`RESULT_COLUMNS`) formatted, or "—" where ``values`` has no such measure.

    >>> table_row("raw pixels", {"test_auc": 0.73331, "linear_probe": 0.9191})
    'raw pixels                                          0.7333         —         —      0.92'
    """
    cells = [fmt.format(values[key]) if values.get(key) is not None else "—" for key, _, fmt in columns]
    return f"{title:<48}" + "".join(f"{cell:>10}" for cell in cells)


def raw_pixel_baseline(train, test, *, validation=None, seed: int) -> dict[str, float]:
    """:func:`measure` on the raw pixels (784 values per image) instead of a network's output: what any
    learned embedding must beat. Its linear probe is logistic regression on the pixels."""
    splits = _splits(train, test, validation)
    flat = {name: np.asarray(images, np.float32).reshape(len(images), -1) for name, (images, _) in splits.items()}
    return measure(flat, flat, {name: labels for name, (_, labels) in splits.items()}, seed=seed)


__all__ = ["LOSSES", "RESULT_COLUMNS", "Recipe", "batch_contrastive_all_negatives", "evaluate_twin", "labelled_set",
           "measure", "raw_pixel_baseline", "table_row", "training_setup"]
