import gzip
import os
import struct

import numpy as np
import pytest

import helpers.data as data
from helpers.data import (
    DatasetError,
    load_dataset,
    load_mnist,
    preprocess,
    read_idx,
    resolve_source,
    split_validation,
)

PUBLISHED_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
PUBLISHED_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(array: np.ndarray) -> bytes:
    """Independent IDX encoder (not the helper's): magic 0x00000800 | ndim, big-endian sizes, data."""
    return struct.pack(">HBB", 0, 8, array.ndim) + b"".join(struct.pack(">I", s) for s in array.shape) + array.tobytes()


def sha256(b: bytes) -> str:
    import hashlib

    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def tiny_idx_dir(tmp_path, monkeypatch):
    """A folder of four small, valid IDX files, with the helper's expected hashes pointed at them."""
    r = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": r.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": r.integers(0, 10, 20, dtype=np.uint8),
        "t10k-images-idx3-ubyte": r.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": r.integers(0, 10, 6, dtype=np.uint8),
    }
    hashes = {}
    for i, (stem, array) in enumerate(arrays.items()):
        raw = idx_bytes(array)
        hashes[stem] = sha256(raw)
        if i % 2:  # mix raw and gzipped files: both are accepted
            (tmp_path / stem).write_bytes(raw)
        else:
            (tmp_path / f"{stem}.gz").write_bytes(gzip.compress(raw))
    for stem, digest in hashes.items():
        monkeypatch.setitem(data.MNIST_SHA256, stem, digest)
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    return tmp_path, arrays


def test_load_from_idx_folder_returns_the_files_content(tiny_idx_dir, capsys):
    folder, arrays = tiny_idx_dir
    (x_train, y_train), (x_test, y_test) = load_mnist(folder)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    out = capsys.readouterr().out
    assert "original IDX files" in out and "SHA-256 verified" in out
    assert str(folder) not in out  # no machine-specific path in what notebooks print


def test_env_var_is_used_when_no_folder_is_given(tiny_idx_dir, monkeypatch):
    folder, arrays = tiny_idx_dir
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    (_, y_train), _ = load_mnist(verbose=False)
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])


def test_missing_file_names_file_and_remedy(tiny_idx_dir):
    folder, _ = tiny_idx_dir
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte.*not found.*MNIST_DIR"):
        load_mnist(folder, verbose=False)


def test_truncated_gzip_is_a_clear_error(tiny_idx_dir):
    folder, _ = tiny_idx_dir
    gz = folder / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-100])
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz.*truncated or corrupt"):
        load_mnist(folder, verbose=False)


def test_wrong_hash_is_a_clear_error(tiny_idx_dir):
    folder, arrays = tiny_idx_dir
    changed = arrays["t10k-images-idx3-ubyte"].copy()
    changed[0, 0, 0] ^= 1  # one flipped bit
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(changed)))
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte.gz: SHA-256 .* corrupt"):
        load_mnist(folder, verbose=False)


def test_truncated_raw_file_is_caught_by_header_check(tmp_path):
    raw = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(raw[:-5])
    with pytest.raises(DatasetError, match=r"announces shape \(3, 4, 4\)"):
        read_idx(path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DatasetError, match="bad magic"):
        read_idx(path)


def test_folder_that_does_not_exist_is_not_silently_replaced_by_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match="MNIST_DIR points to .* not a folder"):
        resolve_source()


def test_offline_keras_download_says_how_to_provide_the_data(monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- name resolution")

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DatasetError, match=r"downloading MNIST through Keras failed.*Set MNIST_DIR"):
        load_mnist(verbose=False)


def test_keras_download_is_verified_too(monkeypatch, mnist):
    import keras

    (x_train, y_train), (x_test, y_test) = mnist
    tampered = y_test.copy()
    tampered[0] = (tampered[0] + 1) % 10
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x_train, y_train), (x_test, tampered)))
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte array does not match"):
        load_mnist(verbose=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x_train, y_train), (x_test, y_test)))
    (_, y), _ = load_mnist(verbose=False)
    assert len(y) == 60000


def test_full_mnist_shapes_dtypes_and_published_label_counts(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == PUBLISHED_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == PUBLISHED_TEST_COUNTS


def test_a_small_file_that_unpacks_to_gigabytes_is_refused_without_filling_memory(tiny_idx_dir):
    """A 60 kB gzip placed as the labels file unpacks to 60 MB (a 14 MB one to 3 GB): reading stops at the
    original file's size instead of decompressing everything and only then comparing the checksum."""
    import tracemalloc

    folder, _ = tiny_idx_dir
    bomb = folder / "train-labels-idx1-ubyte"
    bomb.unlink(missing_ok=True)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as f:
        for _ in range(60):
            f.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte.gz: decodes to more than the 60,008 bytes"):
            load_mnist(folder, verbose=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB held while refusing the file"


def test_an_unreadable_file_or_folder_is_one_clear_error(tiny_idx_dir, monkeypatch):
    folder, _ = tiny_idx_dir
    real_open = gzip.open

    def denied(path, *args, **kw):
        if "train-images" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(gzip, "open", denied)  # as root, chmod 000 would not stop this test from reading
    with pytest.raises(DatasetError, match=r"^train-images-idx3-ubyte.gz: this user cannot read it"):
        load_mnist(folder, verbose=False)
    monkeypatch.setattr(gzip, "open", real_open)
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(DatasetError, match="which this user cannot read"):
        load_mnist(folder, verbose=False)


def test_an_empty_folder_name_is_refused_not_read_as_the_root(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    with pytest.raises(DatasetError, match="data_dir is an empty path"):
        load_mnist("", verbose=False)


def test_the_four_arrays_come_back_by_file_name_not_by_dict_order(tiny_idx_dir, monkeypatch):
    folder, arrays = tiny_idx_dir
    reordered = dict(reversed(list(data.MNIST_SHA256.items())))
    monkeypatch.setattr(data, "MNIST_SHA256", reordered)
    monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetSpec("mnist", "MNIST", data.ENV_VAR, reordered))
    (x_train, y_train), (x_test, y_test) = load_mnist(folder, verbose=False)
    assert np.array_equal(x_train, arrays["train-images-idx3-ubyte"])
    assert np.array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


# --- preprocess -----------------------------------------------------------------------------------

def test_preprocess_range_shape_dtype():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = preprocess(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])


def test_preprocess_accepts_channel_axis_and_whole_number_floats():
    x = np.arange(8, dtype=np.float64).reshape(2, 2, 2, 1)
    np.testing.assert_allclose(preprocess(x), x / 255.0)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.zeros((28, 28), np.uint8), ValueError, "shape"),
        (np.zeros((2, 28, 28, 3), np.uint8), ValueError, "shape"),
        (np.full((1, 2, 2), np.nan), ValueError, "NaN"),
        (np.full((1, 2, 2), np.inf), ValueError, "NaN or infinite"),
        (np.full((1, 2, 2), 0.5), ValueError, "already scaled"),
        (np.full((1, 2, 2), 300), ValueError, "0..255"),
        (np.full((1, 2, 2), -1), ValueError, "0..255"),
        (np.zeros((1, 2, 2), bool), TypeError, "dtype bool"),
        (np.array([["a"]]), TypeError, "numeric"),
    ],
)
def test_preprocess_refuses_bad_input(bad, error, message):
    with pytest.raises(error, match=message):
        preprocess(bad)


def test_preprocess_refuses_to_run_twice_even_on_black_and_white_images():
    once = preprocess(np.array([[[0, 255], [255, 0]]], np.uint8))  # 0.0 and 1.0: whole numbers
    with pytest.raises(ValueError, match="look already scaled"):
        preprocess(once)


# --- split ----------------------------------------------------------------------------------------

def test_split_matches_the_article_on_full_mnist(mnist):
    (x, y), (x_test, _) = mnist
    (x_train, y_train), (x_val, y_val) = split_validation(x, y)
    assert (len(x_train), len(x_val), len(x_test)) == (48000, 12000, 10000)
    np.testing.assert_array_equal(x_val, x[:12000])  # first 20 % → validation
    np.testing.assert_array_equal(y_train, y[12000:])


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.2"])
def test_split_refuses_bad_fraction(fraction):
    with pytest.raises(ValueError, match="fraction"):
        split_validation(np.zeros((10, 2)), np.arange(10), fraction=fraction)


def test_split_refuses_mismatched_and_empty():
    with pytest.raises(ValueError, match="same length"):
        split_validation(np.zeros((10, 2)), np.arange(9))
    with pytest.raises(ValueError, match="empty"):
        split_validation(np.zeros((0, 2)), np.arange(0))
    with pytest.raises(ValueError, match="empty training or validation"):
        split_validation(np.zeros((2, 2)), np.arange(2), fraction=0.1)


def test_split_validation_accepts_a_numpy_fraction():
    (x_train, _), (x_val, _) = split_validation(np.zeros((10, 2)), np.arange(10), fraction=np.float32(0.2))
    assert (len(x_train), len(x_val)) == (8, 2)


def test_class_counts_counts_each_class_in_order():
    from helpers.data import class_counts

    assert class_counts(np.array([3, 1, 3, 3, 0])) == {0: 1, 1: 1, 3: 3}
    assert list(class_counts(np.array([9, 2, 2]))) == [2, 9]
    with pytest.raises(TypeError, match="labels: expected integer class ids"):
        class_counts(np.array([0.5, 1.0]))


def test_unknown_dataset_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"dataset: unknown name 'fashion'; known: mnist, fashion_mnist"):
        load_dataset("fashion")


FASHION_MISSING = ("Fashion-MNIST is not on this machine and cannot be downloaded: install Debian's "
                   "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist; .ci/run installs it), "
                   "set FASHION_MNIST_DIR, or connect to the internet")


def test_fashion_mnist_full_and_verified(monkeypatch):
    """Offline from Debian's dataset-fashion-mnist package (installed by .ci/run), online from Keras.

    Where neither is available it is skipped with what to install; CI (COURSE_NO_SKIPS=1) never skips."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    try:
        (x_train, y_train), (x_test, y_test) = load_dataset("fashion_mnist", verbose=False)
    except DatasetError as exc:
        if "through Keras failed" not in str(exc) or os.environ.get("COURSE_NO_SKIPS") == "1":
            raise  # a corrupt copy is a failure anywhere; a missing one is a failure in CI
        pytest.skip(FASHION_MISSING)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10  # Fashion-MNIST is exactly balanced
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_each_dataset_has_its_own_variable_and_hashes(tiny_idx_dir, monkeypatch):
    folder, _ = tiny_idx_dir
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))  # MNIST-shaped test files, Fashion hashes
    with pytest.raises(DatasetError, match="SHA-256 of the decoded bytes"):
        load_dataset("fashion_mnist", verbose=False)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder / "missing"))
    with pytest.raises(DatasetError, match="FASHION_MNIST_DIR points to .* not a folder"):
        load_dataset("fashion_mnist", verbose=False)


def test_a_system_copy_is_used_when_no_folder_or_variable_names_one(tmp_path, monkeypatch):
    from helpers import data

    system = tmp_path / "usr-share-datasets"
    system.mkdir()
    spec = data.DatasetSpec("fashion_mnist", "Fashion-MNIST", "FASHION_MNIST_DIR", data.FASHION_MNIST_SHA256,
                            system_dirs=(str(tmp_path / "missing"), str(system)))
    monkeypatch.setitem(data.DATASETS, "fashion_mnist", spec)
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    source = data.resolve_source(None, "fashion_mnist")
    assert (source.kind, source.directory) == ("idx", system)  # the first system folder that exists
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert data.resolve_source(None, "fashion_mnist").directory == tmp_path  # the variable wins
    system.rmdir()
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert data.resolve_source(None, "fashion_mnist").kind == "keras"  # nothing local: the real download
