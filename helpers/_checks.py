"""Argument checks shared by the helpers: fail early, name the argument, say what was expected."""

from __future__ import annotations

import numpy as np


def as_array(value: object, name: str) -> np.ndarray:
    """``np.asarray(value)``, refusing objects that are not numeric arrays (lists of strings, None ...)."""
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"{name}: expected a numeric array, got dtype {array.dtype}")
    return array


def check_labels(labels: object, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D integer array, or raise naming what is wrong.

    Class ids may be any integers (negative ones too); floats, booleans and strings are refused because a
    float label such as 3.7 has no class.
    """
    array = as_array(labels, name)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of class ids, got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class ids, got dtype {array.dtype}")
    return array


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}")


def check_not_empty(array: np.ndarray, name: str) -> None:
    if len(array) == 0:
        raise ValueError(f"{name}: expected at least one sample, got an empty array")
