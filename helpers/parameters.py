"""What each notebook parameter may be: one rule per name, used by the runner and by the notebooks.

The runner (``scripts/run_notebooks.py``) checks every ``-p NAME VALUE`` (and what ``make run NAME=VALUE``
forwards: the five :data:`MAKE_PARAMETERS`) here before it imports anything heavy, so a typo such as
``EPOCHS=0`` is refused in well under a second with its cause, not minutes later inside notebook 08. The
notebooks call :func:`check_parameters` on their own parameters cell, so a learner who edits one in
JupyterLab gets the same rule.

This module uses the standard library only: the runner checks values before anything heavy is imported.

>>> check_parameters(EPOCHS=5, SEED=42, DATASET="mnist")
>>> check_parameters(EPOCHS=0)
Traceback (most recent call last):
...
ValueError: EPOCHS=0: expected a whole number >= 1 (e.g. make run EPOCHS=5, or EPOCHS = 5 in the parameters cell)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

#: The data sets the notebooks can use (``helpers.data.DATASETS`` describes each; a test keeps them equal).
DATASET_NAMES = ("mnist", "fashion_mnist")

SEED_LIMIT = 2**32  # NumPy, TensorFlow and Keras all accept seeds below this
MAX_BATCH = 4096  # a batch's activations stay within a laptop's memory (96,000 pairs at once crashed the kernel)


@dataclass(frozen=True)
class Rule:
    """``check(value)`` is true for an acceptable value; ``expected`` says what is acceptable, ``example``
    is a value that works as written on a command line, ``in_cell`` the same as written in a notebook's
    parameters cell where it differs (``False`` for ``0``, quotes around a text). ``fixes_training``: the
    shipped weights were trained with the default, so a replay (``TRAIN = False``) cannot honour another
    value."""

    check: Callable[[object], bool]
    expected: str
    example: str
    fixes_training: bool = False
    in_cell: str | None = None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def whole(minimum: int, maximum: int | None = None, example: str = "5", **kw) -> Rule:
    upper = f" and <= {maximum}" if maximum is not None else ""
    return Rule(lambda v: _is_int(v) and v >= minimum and (maximum is None or v <= maximum),
                f"a whole number >= {minimum}{upper}", example, **kw)


def positive(example: str, **kw) -> Rule:
    return Rule(lambda v: _is_number(v) and v > 0, "a positive finite number", example, **kw)


RULES: dict[str, Rule] = {
    "SEED": Rule(lambda v: _is_int(v) and 0 <= v < SEED_LIMIT, f"a whole number from 0 to {SEED_LIMIT - 1}", "7",
                 fixes_training=True),
    "DATASET": Rule(lambda v: v in DATASET_NAMES, "one of " + ", ".join(DATASET_NAMES), "fashion_mnist",
                    fixes_training=True, in_cell='"fashion_mnist"'),
    "TRAIN": Rule(lambda v: v is True or v is False, "True or False", "0",
                  in_cell="False"),
    "BUILD_DIR": Rule(lambda v: isinstance(v, str) and v.strip() != "", "a folder path", '"../build"'),
    "N_DIGITS": whole(1, 50, "12"),
    "VALIDATION_FRACTION": Rule(lambda v: _is_number(v) and 0 < v < 1, "a number between 0 and 1 (exclusive)",
                                "0.2"),
    "MARGIN": positive("1.0"),
    "EMBEDDING_DIM": whole(1, 4096, "128"),
    "EPOCHS": whole(1, fixes_training=True),
    "BATCH_SIZE": whole(1, MAX_BATCH, "64", fixes_training=True),
    "LEARNING_RATE": positive("0.001", fixes_training=True),
    "TSNE_POINTS": whole(100, 10_000, "2000"),  # t-SNE's perplexity of 30 needs well over 90 points
    "IMPROVED_EPOCHS": whole(1, example="7", fixes_training=True),
    "IMPROVED_BATCH_SIZE": whole(2, MAX_BATCH, "256", fixes_training=True),  # one image makes no pair
    "PEAK_LEARNING_RATE": positive("0.003", fixes_training=True),
    "SSL_EPOCHS": whole(1, example="4", fixes_training=True),
    "SSL_BATCH_SIZE": whole(2, MAX_BATCH, "256", fixes_training=True),  # one image has no negatives to contrast
    "TEMPERATURE": positive("0.2", fixes_training=True),
    "LOSS_EPOCHS": whole(1, example="1", fixes_training=True),
    "LOSS_BATCH_SIZE": whole(4, MAX_BATCH, "256", fixes_training=True),  # pair batches hold half as many pairs
    "DIST_IMAGES": whole(4, 48_000, example="4096", fixes_training=True),
    "DIST_BATCH_SIZE": whole(4, MAX_BATCH, "256", fixes_training=True),  # split evenly over 2 replicas
    "DIST_STEPS": whole(2, example="32", fixes_training=True),  # throughput is measured after step 1
    # notebook 15: let its two worker processes listen on every network interface where they get no private one
    "OPEN_PORTS": Rule(lambda v: v is True or v is False, "True or False", "1", in_cell="True"),
}

#: What ``make run NAME=VALUE`` forwards (the Makefile's PARAMETERS, less ONLY; a test keeps them equal). Other
#: parameters are set in a notebook's parameters cell or with ``scripts/run_notebooks.py -p NAME VALUE``.
MAKE_PARAMETERS = ("EPOCHS", "SEED", "BATCH_SIZE", "DATASET", "TRAIN")

#: Parameters that change what training produces: the shipped weights exist for their defaults only.
REPLAY_FIXED = frozenset(name for name, rule in RULES.items() if rule.fixes_training)


def example(name: str, rule: Rule) -> str:
    """How to give ``name`` a working value, in the notebook and on the command line (``make run`` where
    the Makefile forwards it, the runner otherwise)."""
    in_cell = f"{name} = {rule.in_cell or rule.example} in the parameters cell"
    if name in MAKE_PARAMETERS:
        return f"make run {name}={rule.example}, or {in_cell}"
    return f"{in_cell}, or scripts/run_notebooks.py -p {name} {rule.example}"


def problems(values: dict) -> list[str]:
    """One message per value that cannot work, or per name that has no rule (empty list: all fine)."""
    found = []
    for name, value in values.items():
        rule = RULES.get(name)
        if rule is None:
            found.append(f"{name}: not a parameter of this course; known: {', '.join(sorted(RULES))}")
        elif not rule.check(value):
            found.append(f"{name}={value!r}: expected {rule.expected} (e.g. {example(name, rule)})")
    return found


def check_parameters(**values) -> None:
    """Raise one ValueError listing every parameter value that cannot work."""
    found = problems(values)
    if found:
        raise ValueError("; ".join(found))
