"""Argument checks shared by the helpers: fail early, name the argument, say what was expected."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from helpers.parameters import SEED_LIMIT  # seeds NumPy, TensorFlow and Keras accept: stated once, there


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


def is_int(value: object) -> bool:
    """A whole number of Python or NumPy type, never a bool (``True`` is not a batch size)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: object, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int, or a ValueError naming ``name`` and the accepted range.

    >>> check_int(np.int64(3), "epochs", minimum=1)
    3
    >>> check_int(True, "epochs", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: epochs: expected a whole number >= 1, got True
    """
    if not is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = [f">= {minimum}"] if minimum is not None else []
        bounds += [f"<= {maximum}"] if maximum is not None else []
        raise ValueError(f"{name}: expected a whole number{' ' + ' and '.join(bounds) if bounds else ''}, "
                         f"got {value!r}")
    return int(value)


def check_number(value: object, name: str, *, minimum: float | None = None, positive: bool = False) -> float:
    """A finite real number (Python or NumPy, not bool) as float: NaN and infinities are refused.

    >>> check_number(np.float32(0.5), "threshold", minimum=0.0)
    0.5
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        number = float(value)
        ok = np.isfinite(number) and (minimum is None or number >= minimum) and (not positive or number > 0)
    if not ok:
        bound = " > 0" if positive else (f" >= {minimum}" if minimum is not None else "")
        raise ValueError(f"{name}: expected a finite number{bound}, got {value!r}")
    return number


def checked_by(check):
    """Decorator: call ``check`` with the function's arguments, by name and defaults filled in, before the
    function itself; ``check`` raises on a wrong argument and may return a dict of arguments to pass on in
    their checked form (``{"seed": 3}`` for ``np.int64(3)``, an array for a list).

    So the body of a helper that a notebook shows (:func:`helpers.notebook.show_source`, which leaves this
    decorator out) is its idea, and its checks sit at the boundary.

    >>> @checked_by(lambda n: {"n": check_int(n, "n", minimum=1)})
    ... def twice(n):
    ...     return 2 * n
    >>> twice(np.int64(3)), twice.__name__
    (6, 'twice')
    >>> twice(0)
    Traceback (most recent call last):
    ...
    ValueError: n: expected a whole number >= 1, got 0
    """

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments.update(check(**bound.arguments) or {})
            return function(*bound.args, **bound.kwargs)

        return checked

    return decorate


def as_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """A NumPy Generator: passed through, or made from a whole-number seed in [0, 2**32)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if not is_int(rng):
        raise TypeError(f"{name}: expected a numpy Generator or a whole-number seed, got {type(rng).__name__}")
    return np.random.default_rng(check_int(rng, name, 0, SEED_LIMIT - 1))


def check_positions(values: object, n_items: int, name: str, of: str) -> np.ndarray:
    """Integer positions (any shape, returned flat) into a sequence ``of`` of ``n_items`` items."""
    positions = as_array(values, name).reshape(-1)
    if positions.dtype.kind not in "iu" or (positions.size and (positions.min() < 0 or positions.max() >= n_items)):
        raise ValueError(f"{name}: expected indices into {of}, from 0 to {n_items - 1}, got {positions.tolist()}")
    return positions


def check_indices(indices: object, n_items: int, name: str = "indices") -> np.ndarray:
    """Integer pairs of shape (M, 2), each index in [0, n_items)."""
    indices = as_array(indices, name)
    if indices.ndim != 2 or indices.shape[1] != 2 or indices.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer pairs of shape (M, 2), got {indices.dtype} {indices.shape}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_items):
        raise ValueError(f"{name}: values must lie in [0, {n_items}), got [{indices.min()}, {indices.max()}]")
    return indices


def check_pair_labels(labels: object, name: str = "pair_labels") -> np.ndarray:
    """Pair labels as float32, each exactly 1 (similar) or 0 (different): 5.0 or NaN is no pair label."""
    array = as_array(labels, name)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected shape (M,), got {array.shape}")
    bad = ~np.isin(array, (0, 1))
    if bad.any():
        raise ValueError(f"{name}: expected pair labels 1 (similar) or 0 (different), got {array[bad][0].item()!r} "
                         f"({int(bad.sum())} such values)")
    return array.astype(np.float32)


def drop_channel(images: np.ndarray) -> np.ndarray:
    """A batch of grayscale images (or of image pairs) without its channel axis: (N, H, W, 1) → (N, H, W),
    (N, 2, H, W, 1) → (N, 2, H, W); anything else unchanged."""
    return images[..., 0] if images.ndim >= 4 and images.shape[-1] == 1 else images
