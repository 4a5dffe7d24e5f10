"""Notebook 01 · Imports."""

from __future__ import annotations

import ast

import numpy as np


def same_seed_same_draws(seed: int, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 1 (recall). ``set_seed`` twice with one seed: NumPy *and* Keras draws repeat.

    Returns the NumPy draws and the Keras draws after seeding, so that calling it twice with the same
    seed gives equal arrays, and with another seed different ones.
    """
    import keras

    from helpers.repro import set_seed

    rng = set_seed(seed)
    return rng.integers(0, 1000, n), np.asarray(keras.random.normal((n,)))


def unused_imports(source: str) -> list[str]:
    """Exercise 2 (apply). The names a piece of code imports and never uses — the article's ``torch``.

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
