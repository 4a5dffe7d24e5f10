"""Property-based fuzzing at the boundaries: any input gives a correct result or a clear error
(ValueError/TypeError naming the argument) — never a crash from deep inside NumPy or TensorFlow."""

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.data import preprocess
from helpers.losses import contrastive_loss
from helpers.pairs import generate_pairs

DTYPES = st.sampled_from(
    [np.uint8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_, np.complex64]
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5)
CLEAR = (ValueError, TypeError)


def clear_error(exc, *names):
    """One of our errors: a ValueError/TypeError whose message *starts* with the argument's name ("array: ...",
    "images and labels must ..."); NumPy's own errors may mention "array" too, but never start that way."""
    message = str(exc)
    return isinstance(exc, CLEAR) and any(re.match(rf"{n}\b", message) for n in names)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(DTYPES, SHAPES))
def test_preprocess_any_array(images):
    try:
        out = preprocess(images)
    except Exception as exc:  # noqa: BLE001
        assert clear_error(exc, "array"), repr(exc)
    else:
        assert out.dtype == np.float32 and out.ndim == 4 and out.shape[-1] == 1
        assert np.isfinite(out).all() and out.min(initial=0) >= 0 and out.max(initial=0) <= 1
        expected = np.asarray(images, dtype=np.float64).reshape(out.shape[:3]) / 255
        np.testing.assert_allclose(out[..., 0], expected, rtol=1e-6)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(3), st.just(3)),
                  elements=st.sampled_from([0.0, 1.0, 255.0, 256.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e300])))
def test_preprocess_special_float_values(images):
    try:
        out = preprocess(images)
    except ValueError as exc:
        assert str(exc).startswith("array:")
        bad = ~np.isfinite(images) | (images < 0) | (images > 255) | (images != np.round(images))
        looks_scaled = 0 < np.nanmax(np.where(np.isfinite(images), images, 0)) <= 1 and images.max() <= 1
        assert bad.any() or looks_scaled
    else:
        assert np.isfinite(images).all() and out.max() <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    labels=hnp.arrays(st.sampled_from([np.int8, np.int64, np.uint8, np.float32, np.bool_]), st.integers(0, 30),
                      elements=None),
    n_images=st.integers(0, 31),
    seed=st.integers(0, 2**16),
)
def test_generate_pairs_any_labels(labels, n_images, seed):
    images = np.zeros((n_images, 2, 2), np.float32)
    try:
        pairs, y = generate_pairs(images, labels, seed)
    except Exception as exc:  # noqa: BLE001
        assert clear_error(exc, "labels", "images"), repr(exc)
    else:
        assert len(labels) == n_images and labels.dtype.kind in "iu"
        assert pairs.shape == (2 * n_images, 2, 2, 2) and y.mean() == 0.5


@settings(max_examples=200, deadline=None)
@given(
    y=hnp.arrays(np.float32, st.integers(1, 8), elements=st.sampled_from([0.0, 1.0])),
    d_scale=st.floats(0, 1e6),
    margin=st.floats(1e-3, 10),
)
def test_contrastive_loss_matches_the_formula_for_any_distance(y, d_scale, margin):
    d = (np.linspace(0, 1, len(y)) * d_scale).astype(np.float32)
    out = np.asarray(contrastive_loss(y, d[:, None], margin=margin))
    expected = y / 2 * d.astype(np.float64) ** 2 + (1 - y) / 2 * np.maximum(0, margin - d.astype(np.float64)) ** 2
    assert out.shape == y.shape and (out >= 0).all()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
