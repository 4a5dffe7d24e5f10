"""Evaluating a Siamese model honestly: pair metrics, a threshold chosen on validation data, and what the
embeddings are worth for classification (k-nearest neighbours, few-shot).

Distances are "small = similar"; scikit-learn's ROC functions expect "large = positive", so scores here are
``-distance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from helpers import _checks as check


def _distances_and_labels(distances: object, pair_labels: object) -> tuple[np.ndarray, np.ndarray]:
    d = check.as_array(distances, "distances").reshape(-1).astype(np.float64)
    y = check.as_array(pair_labels, "pair_labels").reshape(-1)
    check.check_same_length(d, y, "distances", "pair_labels")
    check.check_not_empty(d, "distances")
    if not np.isfinite(d).all():
        raise ValueError("distances: contains NaN or infinite values")
    if (d < 0).any():
        raise ValueError(f"distances: a distance cannot be negative, got {d.min()}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("pair_labels: expected 0 (different) or 1 (similar) only")
    return d, y.astype(np.int64)


def _check_pairs(distances: object, pair_labels: object) -> dict:
    d, y = _distances_and_labels(distances, pair_labels)
    return {"distances": d, "pair_labels": y}


def pair_accuracy(distances: object, pair_labels: object, threshold: float = 0.5) -> float:
    """Fraction of pairs judged right when "similar" means ``distance < threshold``.

    >>> pair_accuracy([0.1, 0.9, 0.4], [1, 0, 0])
    0.6666666666666666
    """
    d, y = _distances_and_labels(distances, pair_labels)
    threshold = check.check_number(threshold, "threshold", minimum=0.0)
    return float(np.mean((d < threshold) == (y == 1)))


def roc(distances: object, pair_labels: object) -> tuple[np.ndarray, np.ndarray, float]:
    """ROC curve of "similar" vs "different" pairs: ``(false_positive_rate, true_positive_rate, auc)``."""
    from sklearn.metrics import roc_auc_score, roc_curve

    d, y = _distances_and_labels(distances, pair_labels)
    if len(np.unique(y)) < 2:
        raise ValueError("pair_labels: the ROC curve needs both similar and different pairs")
    fpr, tpr, _ = roc_curve(y, -d)
    return fpr, tpr, float(roc_auc_score(y, -d))


@check.checked_by(_check_pairs)
def best_threshold(distances: object, pair_labels: object) -> float:
    """The distance threshold with the highest accuracy on these pairs — pass *validation* pairs, never test.

    Candidates are midpoints between consecutive sorted distances (and the ends), so the result does not
    sit on any one pair's distance.

    >>> best_threshold([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])
    0.5
    """
    order = np.argsort(distances, kind="stable")
    d, y = distances[order], pair_labels[order]  # sorted by distance
    # Predicting "similar" for the first k sorted pairs: correct = similar among them + different after.
    similar_before = np.concatenate([[0], np.cumsum(y)])
    different_after = (len(y) - y.sum()) - np.concatenate([[0], np.cumsum(1 - y)])
    correct = similar_before + different_after
    # A cut between two equal distances is impossible: "d < threshold" cannot separate them.
    tied = np.concatenate([[False], d[1:] == d[:-1], [False]])
    correct = np.where(tied, -1, correct)
    k = int(np.argmax(correct))
    if k == 0:  # "similar" for no pair: any threshold at or below the smallest distance (never negative)
        return float(max(d[0] - 1e-6, 0.0))
    if k == len(d):
        return float(d[-1] + 1e-6)
    return float((d[k - 1] + d[k]) / 2)


def _labelled_vectors(train_x: object, train_y: object, test_x: object, test_y: object, kind: str):
    """Check a train and a test set of (N, D) vectors with integer labels; ``kind`` names them in errors."""
    x_train, x_test = check.as_array(train_x, f"train_{kind}"), check.as_array(test_x, f"test_{kind}")
    y_train, y_test = check.check_labels(train_y, "train_labels"), check.check_labels(test_y, "test_labels")
    check.check_same_length(x_train, y_train, f"train_{kind}", "train_labels")
    check.check_same_length(x_test, y_test, f"test_{kind}", "test_labels")
    check.check_not_empty(x_train, f"train_{kind}")
    check.check_not_empty(x_test, f"test_{kind}")
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"{kind}: expected (N, D) arrays of one width, got {x_train.shape} and {x_test.shape}")
    if not np.isfinite(x_train).all() or not np.isfinite(x_test).all():
        raise ValueError(f"{kind}: contain NaN or infinite values")
    return x_train, y_train, x_test, y_test


def knn_accuracy(train_embeddings: object, train_labels: object, test_embeddings: object, test_labels: object,
                 k: int = 1) -> float:
    """Classification accuracy of k-nearest neighbours (Euclidean) in the embedding space."""
    from sklearn.neighbors import KNeighborsClassifier

    x_train, y_train, x_test, y_test = _labelled_vectors(
        train_embeddings, train_labels, test_embeddings, test_labels, "embeddings"
    )
    k = check.check_int(k, "k", 1, len(x_train))
    model = KNeighborsClassifier(n_neighbors=k).fit(x_train, y_train)
    return float(np.mean(model.predict(x_test) == y_test))


def knn_accuracies(train_embeddings: object, train_labels: object, test_embeddings: object, test_labels: object,
                   ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
    """:func:`knn_accuracy` for each k of ``ks``, from one search for the ``max(ks)`` nearest neighbours: each
    test point takes the most frequent label among its k nearest (a tie goes to the smallest label, as in
    scikit-learn)."""
    from sklearn.neighbors import NearestNeighbors

    x_train, y_train, x_test, y_test = _labelled_vectors(
        train_embeddings, train_labels, test_embeddings, test_labels, "embeddings"
    )
    ks = [check.check_int(k, "k", 1, len(x_train)) for k in ks]
    neighbours = NearestNeighbors(n_neighbors=max(ks)).fit(x_train).kneighbors(x_test, return_distance=False)
    found = y_train[neighbours]  # (N test, max k) labels, nearest first
    classes = np.unique(y_train)
    accuracies = {}
    for k in ks:
        votes = (found[:, :k, None] == classes).sum(axis=1)  # (N test, classes)
        accuracies[k] = float(np.mean(classes[np.argmax(votes, axis=1)] == y_test))
    return accuracies


def beyond_noise(a: float, b: float, n: int) -> bool:
    """Whether accuracy ``a`` is above accuracy ``b`` (both measured on ``n`` test images) by more than two
    standard errors of their difference, √(a(1 − a)/n + b(1 − b)/n): each accuracy's own is √(p(1 − p)/n).

    >>> beyond_noise(0.958, 0.950, 10_000), beyond_noise(0.958, 0.955, 10_000)
    (True, False)
    """
    return a - b > 2 * math.sqrt((a * (1 - a) + b * (1 - b)) / n)


@dataclass(frozen=True)
class FewShotResult:
    """``mean`` and ``std`` over ``draws`` draws of references; ``scores``: each draw's accuracy, in order (the
    same seed draws the same references whatever the embeddings, so two models can be compared draw by draw)."""

    shots: int
    mean: float
    std: float
    draws: int
    scores: tuple[float, ...] = field(default=(), repr=False)


def few_shot_accuracy(train_embeddings: object, train_labels: object, test_embeddings: object,
                      test_labels: object, shots: int, rng: np.random.Generator | int,
                      draws: int = 10) -> FewShotResult:
    """1-NN accuracy when only ``shots`` labelled examples per class are known, over ``draws`` seeded draws."""
    y_train = check.check_labels(train_labels, "train_labels")
    x_train = check.as_array(train_embeddings, "train_embeddings")
    check.check_same_length(x_train, y_train, "train_embeddings", "train_labels")
    rng = check.as_rng(rng)
    classes, counts = np.unique(y_train, return_counts=True)
    check.check_int(shots, "shots (at most the size of the smallest class)", 1, int(counts.min()))
    check.check_int(draws, "draws", 1)
    scores = []
    for _ in range(draws):
        chosen = np.concatenate([rng.choice(np.flatnonzero(y_train == c), size=shots, replace=False) for c in classes])
        scores.append(knn_accuracy(x_train[chosen], y_train[chosen], test_embeddings, test_labels, k=1))
    return FewShotResult(int(shots), float(np.mean(scores)), float(np.std(scores)), int(draws), tuple(scores))


def evaluation_pairs(labels: object, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed pairs a model is judged on: one similar and one different partner per image, seeded.

    Same ``labels`` and ``seed`` ⇒ the same pairs, whichever model is evaluated and whatever random state
    the notebook is in (its own generator, not the global one). Returns ``(indices (2N, 2), pair_labels)``.
    """
    from helpers.pairs import generate_pair_indices

    return generate_pair_indices(labels, rng=check.as_rng(seed, "seed"))


def embed(twin, images: object, batch_size: int = 1024, *, with_features: bool = False):
    """Embeddings (N, D) float32 of preprocessed ``images`` (N, 28, 28, 1) by a twin model, dropout off. With
    ``with_features``: ``(features, embeddings)`` from one pass, the features being the twin's pooled layer
    before its embedding layer (``global_avg_pool``, what linear probes read)."""
    images = check.as_array(images, "images")
    check.check_not_empty(images, "images")
    if not with_features:
        return np.asarray(twin.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)
    import keras

    both = keras.Model(twin.input, [twin.get_layer("global_avg_pool").output, twin.output])
    features, embeddings = both.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(features, np.float32), np.asarray(embeddings, np.float32)


def _check_embedding_pairs(embeddings: object, indices: object) -> dict:
    e = check.as_array(embeddings, "embeddings")
    if e.ndim != 2:
        raise ValueError(f"embeddings: expected shape (N, D), got {e.shape}")
    return {"embeddings": e, "indices": check.check_indices(indices, len(e))}


@check.checked_by(_check_embedding_pairs)
def pair_distances(embeddings: object, indices: object) -> np.ndarray:
    """Euclidean distance of each pair ``indices[k] = (i, j)`` of rows of ``embeddings``, shape (M,).

    Embedding every image once and measuring pairs afterwards gives the Siamese network's output (up to its
    ``sqrt(ε)`` floor) at half the cost of running the network on both images of every pair.

    >>> pair_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0, 1], [1, 1]])).tolist()
    [5.0, 0.0]
    """
    e = embeddings.astype(np.float64)
    return np.linalg.norm(e[indices[:, 0]] - e[indices[:, 1]], axis=1)


def hardest_mistakes(distances: object, pair_labels: object, threshold: float, n: int = 8) -> dict[str, np.ndarray]:
    """Indices of the worst errors at ``threshold``: ``false_positives`` (different pairs judged similar),
    closest first, and ``false_negatives`` (similar pairs judged different), farthest first; ``n`` each.

    >>> m = hardest_mistakes([0.1, 0.9, 0.2, 0.7], [0, 1, 1, 0], threshold=0.5)
    >>> m["false_positives"].tolist(), m["false_negatives"].tolist()
    ([0], [1])
    """
    d, y = _distances_and_labels(distances, pair_labels)
    threshold = check.check_number(threshold, "threshold", minimum=0.0)
    n = check.check_int(n, "n", 1)
    false_positive = np.flatnonzero((y == 0) & (d < threshold))
    false_negative = np.flatnonzero((y == 1) & (d >= threshold))
    return {
        "false_positives": false_positive[np.argsort(d[false_positive], kind="stable")][:n],
        "false_negatives": false_negative[np.argsort(-d[false_negative], kind="stable")][:n],
    }


def evaluate_embeddings(
    train: tuple[object, object], validation: tuple[object, object], test: tuple[object, object], seed: int
) -> dict[str, float]:
    """Every headline number of notebooks 10–12 from embeddings, as a JSON-ready dict.

    ``train``, ``validation``, ``test``: ``(embeddings, labels)``. Pairs come from :func:`evaluation_pairs`
    with ``seed`` (validation pairs with ``seed + 1``); the threshold is chosen on validation pairs only.
    """
    (e_train, y_train), (e_val, y_val), (e_test, y_test) = train, validation, test
    val_idx, val_labels = evaluation_pairs(y_val, seed + 1)
    test_idx, test_labels = evaluation_pairs(y_test, seed)
    report = pair_metrics(pair_distances(e_val, val_idx), val_labels, pair_distances(e_test, test_idx), test_labels)
    report["knn1_accuracy"] = knn_accuracy(e_train, y_train, e_test, y_test, k=1)
    return report


def pair_metrics(d_val: object, val_labels: object, d_test: object, test_labels: object) -> dict[str, float]:
    """The pair numbers of a model from its validation and test pair distances: test accuracy at the
    article's d < 0.5, the threshold chosen on the validation pairs only, validation and test accuracy at it,
    and the test AUC."""
    threshold = best_threshold(d_val, val_labels)
    return {
        "test_accuracy_at_0.5": pair_accuracy(d_test, test_labels, 0.5),
        "threshold": threshold,
        "validation_accuracy": pair_accuracy(d_val, val_labels, threshold),
        "test_accuracy": pair_accuracy(d_test, test_labels, threshold),
        "test_auc": roc(d_test, test_labels)[2],
    }


def linear_probe_accuracy(train_features: object, train_labels: object, test_features: object,
                          test_labels: object, max_iter: int = 300) -> float:
    """Test accuracy of a linear classifier (multinomial logistic regression on standardised features)
    trained on frozen features: the standard measure of what a self-supervised encoder has learned.

    The encoder is not changed; only one linear layer sees the labels. Deterministic (lbfgs).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train, y_train, x_test, y_test = _labelled_vectors(train_features, train_labels, test_features, test_labels,
                                                         "features")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    probe.fit(x_train, y_train)
    return float(np.mean(probe.predict(x_test) == y_test))


def confused_classes(class_labels: object, pair_indices: object, chosen: object, top: int = 3
                     ) -> list[tuple[tuple[int, int], int]]:
    """The class pairs that occur most often among the pairs ``chosen`` (indices into ``pair_indices``,
    e.g. the mistakes), as ``((a, b), count)`` with ``a < b``, most frequent first (ties: smaller classes
    first). Order inside a pair does not count: a 4 with a 9 and a 9 with a 4 are one confusion.

    >>> confused_classes([4, 9, 3, 5, 9], [[0, 1], [2, 3], [1, 0], [4, 0]], [0, 1, 2, 3])
    [((4, 9), 3), ((3, 5), 1)]
    """
    classes = check.check_labels(class_labels, "class_labels")
    idx = check.check_indices(pair_indices, len(classes))
    chosen = check.check_positions(chosen, len(idx), "chosen", of="pair_indices")
    top = check.check_int(top, "top", 1)
    a, b = classes[idx[chosen, 0]], classes[idx[chosen, 1]]
    keys, counts = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0, return_counts=True)
    order = np.lexsort((keys[:, 1], keys[:, 0], -counts))[:top]
    return [((int(keys[k, 0]), int(keys[k, 1])), int(counts[k])) for k in order]


def closest_classes(embeddings: object, labels: object, top: int = 3) -> list[tuple[tuple[int, int], float]]:
    """The pairs of classes whose mean embeddings (centroids) lie closest together, as ``((a, b), distance)``,
    closest first: which clusters touch, measured in the full embedding space rather than read off a 2-d
    picture.

    >>> closest_classes([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 9.0]], [0, 1, 2, 3], top=2)
    [((0, 1), 1.0), ((0, 2), 3.0)]
    """
    e = check.as_array(embeddings, "embeddings").astype(np.float64)
    y = check.check_labels(labels, "labels")
    check.check_same_length(e, y, "embeddings", "labels")
    if e.ndim != 2:
        raise ValueError(f"embeddings: expected shape (N, D), got {e.shape}")
    top = check.check_int(top, "top", 1)
    classes = np.unique(y)
    centroids = np.stack([e[y == c].mean(axis=0) for c in classes])
    d = np.linalg.norm(centroids[:, None] - centroids[None, :], axis=-1)
    i, j = np.triu_indices(len(classes), k=1)
    order = np.argsort(d[i, j], kind="stable")[:top]
    return [((int(classes[i[k]]), int(classes[j[k]])), float(d[i[k], j[k]])) for k in order]


def leave_one_out_knn1(embeddings: object, labels: object, chunk: int = 1024) -> float:
    """1-nearest-neighbour accuracy of each embedding among all the others (itself left out): a
    threshold-free measure of how well classes separate, cheap enough to compute after every epoch on the
    validation images.

    >>> leave_one_out_knn1([[0.0], [0.1], [5.0], [5.2], [0.4]], [0, 0, 1, 1, 1])  # 0.4 is nearest to a 0
    0.8
    """
    e = check.as_array(embeddings, "embeddings").astype(np.float32)
    y = check.check_labels(labels, "labels")
    check.check_same_length(e, y, "embeddings", "labels")
    if len(e) < 2:
        raise ValueError(f"embeddings: expected at least 2, got {len(e)}")
    chunk = check.check_int(chunk, "chunk", 1)
    squares = np.sum(e.astype(np.float64) ** 2, axis=1)
    right = 0
    for start in range(0, len(e), chunk):
        rows = slice(start, min(start + chunk, len(e)))
        d = squares[rows, None] + squares[None, :] - 2.0 * (e[rows] @ e.T).astype(np.float64)
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf  # never its own neighbour
        right += int(np.sum(y[np.argmin(d, axis=1)] == y[rows]))
    return right / len(e)


def pair_loss(model, images: object, pair_indices: object, pair_labels: object, *, training: bool,
              margin: float = 1.0, batch_size: int = 512) -> float:
    """Mean contrastive loss of a two-input Siamese ``model`` on pairs of ``images`` given as indices.

    ``training=True`` runs the model as ``fit`` does (dropout active, a new random mask per pair);
    ``training=False`` as ``evaluate`` and ``predict`` do (dropout off). Same weights either way.
    """
    from helpers.losses import contrastive_loss

    images = check.as_array(images, "images")
    idx = check.check_indices(pair_indices, len(images))
    y = check.check_pair_labels(pair_labels).reshape(-1)
    check.check_same_length(idx, y, "pair_indices", "pair_labels")
    check.check_not_empty(idx, "pair_indices")
    batch_size = check.check_int(batch_size, "batch_size", 1)
    total = 0.0
    for start in range(0, len(idx), batch_size):
        batch = idx[start:start + batch_size]
        d = model([images[batch[:, 0]], images[batch[:, 1]]], training=training)
        total += float(np.sum(np.asarray(contrastive_loss(y[start:start + batch_size], d, margin=margin))))
    return total / len(idx)
