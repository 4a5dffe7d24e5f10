"""Notebook 01 · Imports."""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np


def draws_after_one_seed(seed: int, n: int = 8) -> dict[str, np.ndarray]:
    """Exercise 1 (recall). One ``set_seed``, then two draws in a row — from the returned generator and from
    ``keras.random.normal``: the second draw does *not* repeat the first.

    A seed fixes where a random *sequence* starts, not each draw: every draw moves the generator on, so the
    second draw continues the sequence (for NumPy it is exactly draws ``n + 1 … 2n`` of a fresh
    ``np.random.default_rng(seed)``). That is why the notebook calls ``set_seed`` again before the second
    draw it compares. Returns the four draws: ``numpy_first``, ``numpy_second`` (n integers in 0..9 each),
    ``keras_first``, ``keras_second`` (n normal numbers each).
    """
    import keras

    from helpers.repro import set_seed

    rng = set_seed(seed)
    numpy_first, numpy_second = rng.integers(0, 10, n), rng.integers(0, 10, n)
    keras_first, keras_second = np.asarray(keras.random.normal((n,))), np.asarray(keras.random.normal((n,)))
    return {"numpy_first": numpy_first, "numpy_second": numpy_second,
            "keras_first": keras_first, "keras_second": keras_second}


def unused_imports(source: str) -> list[str]:
    """Exercise 2 (apply). The modules a piece of code imports and never uses, like the ``torch`` that
    notebook 01 drops.

    >>> unused_imports("import torch\\nimport numpy as np\\nx = np.zeros(3)")
    ['torch']
    """
    tree = ast.parse(source)
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = alias.name
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return sorted(imported[name] for name in imported if name not in used)


def repeats_under_seed(make: Callable[[np.random.Generator], object], seed: int = 0) -> bool:
    """Exercise 3 (design). Does ``make(rng)`` give the same output twice when each run starts with
    ``rng = set_seed(seed)``? A check for hidden randomness.

    ``set_seed`` seeds the *global* states (Python's ``random``, ``np.random.*``, Keras) and hands back a
    seeded generator. A helper that makes its own ``np.random.default_rng()`` (no seed) draws from the
    operating system's entropy and escapes all of it: it fails this check. The repair is the course's
    rule — take the generator as an argument (``jitter(images, rng)``) and draw only from it.
    """
    from helpers.repro import set_seed

    first = np.asarray(make(set_seed(seed)))
    second = np.asarray(make(set_seed(seed)))
    return first.shape == second.shape and bool(np.array_equal(first, second))
