"""What the course promises of each trained model: one table of floors, checked by one hidden cell per notebook.

A floor is a bar the model must clear when it is trained with the notebook's own settings (on MNIST, or on
Fashion-MNIST with ``DATASET = "fashion_mnist"``): a notebook run that lands below it stops with an
``AssertionError`` that names the measure, instead of showing a broken model under correct-looking prose.
A model that clears its floors passes silently: the check is for the course, not part of the lesson, so it
sits in a cell whose source JupyterLab hides and prints nothing. The committed notebooks print what the run
measured; the floors say what any run of the same settings must at least reach (they sit below the committed
run, so that another CPU's last digits never trip them).
"""

from __future__ import annotations

from collections.abc import Mapping

FLOORS: dict[str, dict[str, dict[str, float]]] = {
    "08_training": {"mnist": {"val_accuracy": 0.88}, "fashion_mnist": {"val_accuracy": 0.83}},
    "09_results": {"mnist": {"test_accuracy_at_0.5": 0.88}, "fashion_mnist": {"test_accuracy_at_0.5": 0.83}},
    "10_evaluation": {"mnist": {"test_auc": 0.95, "test_accuracy": 0.88, "knn1_accuracy": 0.85},
                      "fashion_mnist": {"test_auc": 0.90, "test_accuracy": 0.83, "knn1_accuracy": 0.65}},
    "11_embedding_space": {"mnist": {"knn1_accuracy": 0.85, "1-shot": 0.75, "10-shot": 0.82},
                           "fashion_mnist": {"knn1_accuracy": 0.65, "1-shot": 0.55, "10-shot": 0.6}},
    "12_better_model": {"mnist": {"test_accuracy": 0.993, "knn1_accuracy": 0.993, "test_auc": 0.999},
                        "fashion_mnist": {"test_accuracy": 0.92, "knn1_accuracy": 0.87, "test_auc": 0.97}},
    "13_self_supervised": {"mnist": {"linear_probe": 0.97}, "fashion_mnist": {"linear_probe": 0.80}},
    # 1-NN with its labelled set of 1,000 images per class (notebook 14, one epoch each)
    "14_which_loss": {"mnist": {"pairs": 0.94, "batch_contrastive": 0.94, "triplet_semihard": 0.93,
                                "triplet_batch_hard": 0.91, "supcon": 0.94},
                      "fashion_mnist": {"pairs": 0.65, "batch_contrastive": 0.65, "triplet_semihard": 0.65,
                                        "triplet_batch_hard": 0.55, "supcon": 0.65}},
    # the twin trained on digits 0-6, on 7-9 from 1 and 5 references per digit (mean of 20 draws)
    "17_appendix_unseen_digits": {"mnist": {"1-shot": 0.62, "5-shot": 0.78}},
}


def check_floors(notebook: str, dataset: str, measured: Mapping[str, float], *, full_budget: bool = True) -> None:
    """Raise ``AssertionError`` (one line, naming each measure below its floor) unless every measure that has a
    floor for ``notebook`` and ``dataset`` reaches it; return ``None`` and print nothing when all do.

    ``full_budget``: whether the model was trained with the notebook's own budget (e.g. its epochs); a
    shorter run, or a data set without floors, is not held to them.

    >>> check_floors("10_evaluation", "mnist", {"test_auc": 0.97, "test_accuracy": 0.92, "knn1_accuracy": 0.89})
    >>> check_floors("10_evaluation", "mnist", {"test_auc": 0.5, "test_accuracy": 0.92, "knn1_accuracy": 0.89})
    Traceback (most recent call last):
    AssertionError: 10_evaluation on mnist: test_auc 0.5 is below its floor 0.95
    >>> check_floors("10_evaluation", "mnist", {"test_auc": 0.5}, full_budget=False)  # a shorter run: not held
    """
    if notebook not in FLOORS:
        raise ValueError(f"notebook: expected one of {sorted(FLOORS)}, got {notebook!r}")
    floors = FLOORS[notebook].get(dataset)
    if floors is None or not full_budget:
        return
    missing = sorted(set(floors) - set(measured))
    if missing:
        raise ValueError(f"measured: expected the measures {sorted(floors)}, missing {missing}")
    low = [f"{key} {measured[key]:.4g} is below its floor {floor}" for key, floor in floors.items()
           if not measured[key] >= floor]
    if low:  # an explicit raise, not `assert`: python -O must not skip the check
        raise AssertionError(f"{notebook} on {dataset}: " + "; ".join(low))


__all__ = ["FLOORS", "check_floors"]
