"""MNIST (and Fashion-MNIST): load the original IDX files or the Keras download, verify, preprocess, split.

Where a data set comes from, in order:

1. ``data_dir`` passed to :func:`load_dataset` / :func:`load_mnist`;
2. the folder in the data set's environment variable (``MNIST_DIR`` / ``FASHION_MNIST_DIR``; the Makefile
   and CI point ``MNIST_DIR`` at a local copy);
3. a system copy, where one exists (Fashion-MNIST: Debian's ``dataset-fashion-mnist`` package);
4. the real Keras download, ``keras.datasets.<name>.load_data()`` (cached in ``~/.keras/datasets``).

Whatever the source, the decoded bytes are checked against the SHA-256 sums of the original IDX files, so
a corrupt, truncated or different file is an error, never a silently wrong data set.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers._checks import (
    as_array,
    check_labels,
    check_not_empty,
    check_number,
    check_same_length,
    checked_by,
    drop_channel,
)

ENV_VAR = "MNIST_DIR"

#: SHA-256 of MNIST's *decoded* IDX files (independent of how they were gzipped).
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: SHA-256 of Fashion-MNIST's decoded IDX files (from the archives matching the publisher's MD5 sums).
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


#: The four files, in the order load_data() returns them: x_train, y_train, x_test, y_test.
STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

#: Size of each decoded IDX file (the same for MNIST and Fashion-MNIST): reading stops there, so that a
#: small file that unpacks to gigabytes (a "zip bomb") is refused before it can fill the memory.
IDX_BYTES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10_000,
}


@dataclass(frozen=True)
class DatasetSpec:
    """What the loader needs to know about one IDX data set."""

    name: str
    title: str
    env_var: str
    sha256: dict
    system_dirs: tuple[str, ...] = ()

    def remedy(self) -> str:
        system = f", install a system copy ({', '.join(self.system_dirs)})" if self.system_dirs else ""
        return (
            f"Set {self.env_var} to a folder holding the four original {self.title} IDX files "
            "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
            f"t10k-labels-idx1-ubyte.gz; gzipped or not){system}, or unset it and connect to the internet so "
            f"that keras.datasets.{self.name}.load_data() can download the data."
        )


DATASETS = {
    "mnist": DatasetSpec("mnist", "MNIST", ENV_VAR, MNIST_SHA256),
    "fashion_mnist": DatasetSpec(
        "fashion_mnist", "Fashion-MNIST", "FASHION_MNIST_DIR", FASHION_MNIST_SHA256,
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}


class DatasetError(RuntimeError):
    """A data set could not be found, read or verified. The message names the file and what to do."""


def dataset_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` for ``name`` (``"mnist"`` or ``"fashion_mnist"``), or a ValueError."""
    if name not in DATASETS:
        raise ValueError(f"dataset: unknown name {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name]


@dataclass(frozen=True)
class DataSource:
    """Where the data was found: ``kind`` is ``"idx"`` or ``"keras"``."""

    kind: str
    directory: Path | None = None
    spec: DatasetSpec = DATASETS["mnist"]

    def describe(self) -> str:
        if self.kind == "idx":
            # The folder's name only: a full path would put this machine's layout into notebooks.
            return f"original IDX files in '{self.directory.name}/'"
        return f"keras.datasets.{self.spec.name}.load_data() (downloaded once, cached in ~/.keras/datasets)"


def resolve_source(data_dir: str | os.PathLike | None = None, dataset: str = "mnist") -> DataSource:
    """Decide where a data set comes from: ``data_dir``, its environment variable, a system copy, Keras.

    An explicitly named folder that does not exist is an error, not a reason to fall back to a download.
    """
    spec = dataset_spec(dataset)
    chosen = data_dir if data_dir is not None else os.environ.get(spec.env_var) or None
    if chosen is None:
        for system_dir in spec.system_dirs:
            if Path(system_dir).is_dir():
                return DataSource("idx", Path(system_dir), spec)
        return DataSource("keras", None, spec)
    origin = "data_dir" if data_dir is not None else spec.env_var
    if not str(chosen).strip():
        raise DatasetError(f"{origin} is an empty path; name the folder holding the IDX files. {spec.remedy()}")
    directory = Path(chosen)
    if not directory.is_dir():
        raise DatasetError(f"{origin} points to '{directory}', which is not a folder. {spec.remedy()}")
    if not os.access(directory, os.R_OK | os.X_OK):
        raise DatasetError(f"{origin} points to '{directory}', which this user cannot read (permission denied).")
    return DataSource("idx", directory, spec)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode_idx(data: bytes, name: str) -> np.ndarray:
    """Parse IDX bytes: magic (0x0000 08 NDIM), NDIM big-endian uint32 sizes, then uint8 values."""
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise DatasetError(f"{name}: not an IDX file of unsigned bytes (bad magic number {data[:4]!r})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{name}: truncated IDX header ({len(data)} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise DatasetError(
            f"{name}: IDX header announces shape {shape} ({expected} bytes) but the file has {len(data)} bytes"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _read_capped(path: Path, limit: int | None) -> bytes:
    """The (decompressed) bytes of ``path``, read in chunks; more than ``limit`` bytes is an error."""
    chunks, size = [], 0
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            if limit is not None and size > limit:
                raise DatasetError(
                    f"{path.name}: decodes to more than the {limit:,} bytes of the original file; it is not the "
                    "original data. Replace it with a fresh copy of the original file."
                )
            chunks.append(chunk)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike, expected_sha256: str | None = None,
             expected_bytes: int | None = None) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw) into a uint8 array, verifying its decoded bytes if asked.

    Reading stops as soon as the decoded data exceeds ``expected_bytes``. Every problem (missing, unreadable,
    corrupt, oversized, altered) is a :class:`DatasetError` whose message names the file.

    Example: ``read_idx("mnist/train-labels-idx1-ubyte.gz").shape == (60000,)``.
    """
    path = Path(path)
    try:
        raw = _read_capped(path, expected_bytes)
    except FileNotFoundError:
        raise DatasetError(f"{path.name}: file not found in '{path.parent.name}/'.") from None
    except PermissionError:
        raise DatasetError(f"{path.name}: this user cannot read it (permission denied).") from None
    except IsADirectoryError:
        raise DatasetError(f"{path.name}: is a folder, expected an IDX file.") from None
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(
            f"{path.name}: cannot decompress ({exc}); the file is truncated or corrupt. "
            "Replace it with a fresh copy of the original file."
        ) from None
    if expected_sha256 is not None and _sha256(raw) != expected_sha256:
        raise DatasetError(
            f"{path.name}: SHA-256 of the decoded bytes is {_sha256(raw)[:16]}..., expected "
            f"{expected_sha256[:16]}...: the file is corrupt or not the original data. "
            "Replace it with a fresh copy of the original file."
        )
    return _decode_idx(raw, path.name)


def _find_idx(directory: Path, stem: str, spec: DatasetSpec) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{stem}(.gz): not found in '{directory.name}/'. {spec.remedy()}")


def _idx_bytes(array: np.ndarray) -> bytes:
    """Re-encode a uint8 array as IDX bytes, so that arrays from any source can be hashed alike."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _load_from_keras(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import helpers._tensorflow  # noqa: F401  (TensorFlow starts quietly)

    import keras

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, spec.name).load_data()
    except Exception as exc:  # keras raises a bare Exception("URL fetch failure ...") when offline
        raise DatasetError(f"downloading {spec.title} through Keras failed ({exc}). {spec.remedy()}") from exc
    arrays = dict(zip(STEMS, (x_train, y_train, x_test, y_test), strict=True))
    for stem, array in arrays.items():
        if _sha256(_idx_bytes(array)) != spec.sha256[stem]:
            raise DatasetError(
                f"keras.datasets.{spec.name}: its {stem} array does not match the original {spec.title}. "
                "Delete its files in ~/.keras/datasets and run again to download a fresh copy."
            )
    return x_train, y_train, x_test, y_test


def load_dataset(
    name: str = "mnist", data_dir: str | os.PathLike | None = None, *, verbose: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load a full, verified IDX data set: ``"mnist"`` (default) or ``"fashion_mnist"``.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (60000, 28, 28) and
    (10000, 28, 28), uint8 labels of shape (60000,) and (10000,), exactly as
    ``keras.datasets.<name>.load_data()`` does. With ``verbose`` it prints one line naming the source.

    Raises ``ValueError`` for an unknown name and :class:`DatasetError` for a missing, truncated or
    corrupt file, or an impossible download.

    Example: ``load_dataset("mnist")`` prints, with ``MNIST_DIR`` set,
    ``MNIST source: original IDX files in 'mnist/', SHA-256 verified``.
    """
    source = resolve_source(data_dir, name)
    spec = source.spec
    if source.kind == "idx":
        x_train, y_train, x_test, y_test = (
            read_idx(_find_idx(source.directory, stem, spec), spec.sha256[stem], IDX_BYTES[stem]) for stem in STEMS
        )
    else:
        x_train, y_train, x_test, y_test = _load_from_keras(spec)
    if verbose:
        print(f"{spec.title} source: {source.describe()}, SHA-256 verified")
    return (x_train, y_train), (x_test, y_test)


def load_mnist(
    data_dir: str | os.PathLike | None = None, *, verbose: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Full, verified MNIST — :func:`load_dataset` with ``name="mnist"``."""
    return load_dataset("mnist", data_dir, verbose=verbose)


def _check_raw_pixels(array: object) -> dict:
    """What :func:`preprocess` accepts: raw pixel values 0..255 of shape (N, H, W) or (N, H, W, 1)."""
    images = as_array(array, "array")
    if images.dtype.kind == "b" or images.dtype.kind == "c":
        raise TypeError(f"array: expected raw pixel values (uint8 0..255), got dtype {images.dtype}")
    flat = drop_channel(images)
    if flat.ndim != 3:
        raise ValueError(f"array: expected images of shape (N, H, W) or (N, H, W, 1), got shape {flat.shape}")
    if flat.size:
        if flat.dtype.kind == "f":
            if not np.isfinite(flat).all():
                raise ValueError("array: contains NaN or infinite pixel values")
            if not np.array_equal(flat, np.round(flat)) or 0 < flat.max() <= 1:
                raise ValueError(
                    "array: float pixels with fractions, or none above 1, look already scaled; preprocess "
                    "expects raw pixel values 0..255 and must not be applied twice"
                )
        low, high = flat.min(), flat.max()
        if low < 0 or high > 255:
            raise ValueError(f"array: pixel values must lie in 0..255, got range [{low}, {high}]")
    return {"array": images}


@checked_by(_check_raw_pixels)
def preprocess(array: object) -> np.ndarray:
    """Scale raw pixels to float32 in [0, 1] and add the channel axis, as the article does.

    ``array``: images of shape (N, H, W) or (N, H, W, 1) with raw pixel values 0..255 — any integer
    dtype, or floats holding whole numbers in that range. Returns float32 of shape (N, H, W, 1).

    Refused, with the reason: non-numeric or boolean dtypes, other shapes, NaN or infinite pixels, values
    outside 0..255, and floats with fractions or none above 1 (they look already scaled, and scaling twice
    would leave every pixel at most 1/255, almost no contrast, without an error).

    >>> preprocess(np.full((2, 28, 28), 255, dtype=np.uint8)).max(), preprocess(np.zeros((2, 28, 28), np.uint8)).shape
    (np.float32(1.0), (2, 28, 28, 1))
    """
    images = drop_channel(array)  # (N, H, W, 1) → (N, H, W): the channel axis comes back below
    return (images.astype(np.float32) / np.float32(255.0))[..., np.newaxis]


def _check_split(x: object, y: object, fraction: float) -> dict:
    x_arr, y_arr = as_array(x, "x"), as_array(y, "y")
    check_same_length(x_arr, y_arr, "x", "y")
    check_not_empty(x_arr, "x")
    fraction = check_number(fraction, "fraction", minimum=0.0)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction: expected a number strictly between 0 and 1, got {fraction!r}")
    n_val = int(round(len(x_arr) * fraction))
    if n_val == 0 or n_val == len(x_arr):
        raise ValueError(
            f"fraction={fraction} of {len(x_arr)} samples leaves an empty training or validation set"
        )
    return {"x": x_arr, "y": y_arr, "fraction": fraction}


@checked_by(_check_split)
def split_validation(
    x: object, y: object, fraction: float = 0.2
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split off the first ``fraction`` of the samples as validation data, as the article does.

    Returns ``(x_train, y_train), (x_val, y_val)``; on MNIST's 60,000 training images with the default
    0.2 that is 48,000 training and 12,000 validation samples. The split is by position (MNIST's training
    file is already in random order), so it is the same on every machine.

    >>> (xt, yt), (xv, yv) = split_validation(np.zeros((10, 2)), np.arange(10))
    >>> len(xt), len(xv), yv.tolist()
    (8, 2, [0, 1])
    """
    n_val = int(round(len(x) * fraction))
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


def class_counts(labels: object) -> dict[int, int]:
    """Samples per class, as a plain ``{class: count}`` dict (sorted by class)."""
    values, counts = np.unique(check_labels(labels), return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}
