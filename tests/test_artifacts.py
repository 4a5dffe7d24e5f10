"""helpers/artifacts.py: what the project writes (figures, JSON, models) is written whole, under the usual
permissions, to a path it can be read back from."""

import json
import os

import numpy as np
import pytest

from helpers.artifacts import atomic_path, load_json, save_figure, save_json


def test_save_figure_needs_a_figure_suffix(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(ValueError, match=r"path: 'x' needs a figure suffix \(.*\.png"):
        save_figure(fig, tmp_path / "x")
    assert save_figure(fig, tmp_path / "x.png").stat().st_size > 0
    plt.close(fig)


def test_saving_a_json_keeps_an_unfinished_save_of_another_file(tmp_path):
    """Saving a.json used to delete the temporary file of a save of a.b.json still in progress."""
    with atomic_path(tmp_path / "a.b.json") as unfinished:
        unfinished.write_text('{"partial": ')
        save_json({"x": 1}, tmp_path / "a.json")
        assert unfinished.exists()
    assert not unfinished.exists() and (tmp_path / "a.b.json").exists()


def test_a_new_artifact_gets_the_usual_permissions(tmp_path):

    old = os.umask(0o022)
    try:
        path = save_json({"x": 1}, tmp_path / "m.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_save_model_refuses_a_path_keras_3_cannot_save_to(tmp_path):
    from helpers.artifacts import save_model
    from helpers.models import siamese_twin

    with pytest.raises(ValueError, match=r"path: Keras 3 saves whole models as '.keras' files, got 'm.h5'"):
        save_model(siamese_twin(), tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "history.json"
    save_json({"loss": [1.0]}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"loss": [')  # half-written ...
            raise RuntimeError("interrupted")  # ... and then the run dies
    assert json.loads(target.read_text()) == {"loss": [1.0]}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


def test_two_writers_of_one_artifact_never_lose_a_write(tmp_path):
    """Each save used to delete every other temporary file of the same target as if it were a leftover:
    two processes saving one JSON 300 times each lost about ten writes to FileNotFoundError. Two threads
    race the same way (and take a fraction of a second)."""
    import threading

    target, errors = tmp_path / "progress.json", []

    def writer(name):
        for step in range(300):
            try:
                save_json({"writer": name, "step": step}, target)
            except OSError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert json.loads(target.read_text())["step"] == 299
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


def test_load_json_names_the_producer_when_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="history.json not found.*Run notebook 08 first"):
        load_json(tmp_path / "history.json", produced_by="notebook 08")


def test_load_model_names_the_producer_when_missing(tmp_path):
    from helpers.artifacts import load_model

    with pytest.raises(FileNotFoundError, match="siamese_article.keras not found.*Run notebook 08_training"):
        load_model(tmp_path / "siamese_article.keras", produced_by="notebook 08_training.ipynb")


def test_load_json_names_a_corrupt_file(tmp_path):
    (tmp_path / "history.json").write_text('{"loss": [0.2, ')  # cut short
    with pytest.raises(ValueError, match=r"^history.json in '.*' is not valid JSON .*Run notebook 08 again"):
        load_json(tmp_path / "history.json", produced_by="notebook 08")


def test_saved_arrays_come_back_only_while_the_file_they_were_computed_from_is_unchanged(tmp_path):
    from helpers.artifacts import load_arrays, save_arrays

    model, path = tmp_path / "model.keras", tmp_path / "embeddings.npz"
    model.write_bytes(b"weights, version 1")
    train = np.arange(6, dtype=np.float32).reshape(3, 2)
    save_arrays(path, source=model, train=train, test=train[:1])
    back = load_arrays(path, source=model, produced_by="notebook 10")
    assert sorted(back) == ["test", "train"]
    np.testing.assert_array_equal(back["train"], train)
    model.write_bytes(b"weights, version 2")  # the model trained again since
    with pytest.raises(ValueError, match=r"^embeddings.npz in '.+/' was computed from another version of "
                                         r"model.keras. Run notebook 10 again to rewrite it.$"):
        load_arrays(path, source=model, produced_by="notebook 10")
    path.write_bytes(path.read_bytes()[:40])  # cut
    with pytest.raises(ValueError, match=r"^embeddings.npz in '.+/' cannot be read .*Run notebook 10 again"):
        load_arrays(path, source=model, produced_by="notebook 10")
    with pytest.raises(FileNotFoundError, match=r"^other.npz not found in '.+/'. Run notebook 10 first.$"):
        load_arrays(tmp_path / "other.npz", source=model, produced_by="notebook 10")
