"""Training that resumes bit for bit, short real runs of each model, and the replay of the shipped weights.

The full trainings (minutes to half an hour, depending on the CPU) run in `make run` and `make refresh`
only; here every training is bounded: a few thousand MNIST images, two or three epochs.
"""

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from testkit import HANG_SECONDS

from helpers.pairs import epoch_order, pair_dataset
from helpers.training import (
    Checkpoints,
    ReplayError,
    copy_shipped,
    read_sums,
    ship_record,
    shipped_history,
    shipped_record,
    verified,
    write_sums,
)

pytestmark = pytest.mark.integration  # trains real models (bounded) and resumes in new processes

ROOT = Path(__file__).resolve().parent.parent


# -- the data order: a function of (seed, epoch) only ---------------------------------------------------------
def test_epoch_order_is_a_permutation_fixed_by_seed_and_epoch():
    first = epoch_order(100, seed=7, epoch=0)
    np.testing.assert_array_equal(np.sort(first), np.arange(100))
    np.testing.assert_array_equal(first, epoch_order(100, seed=7, epoch=0))
    assert not np.array_equal(first, epoch_order(100, seed=7, epoch=1)), "a new order every epoch"
    assert not np.array_equal(first, epoch_order(100, seed=8, epoch=0)), "another seed, another order"


def _anchors(data) -> list[int]:
    return [int(a) for (anchors, _), _ in data for a in anchors.numpy().ravel()]


def test_each_pass_over_a_pair_dataset_is_one_epoch_in_its_own_order_and_a_resume_can_set_it():
    n = 40
    images = np.arange(n, dtype=np.float32)[:, None]  # "image" k holds k: the anchors name their pairs
    pairs = np.stack([np.arange(n), np.arange(n)], axis=1)
    data = pair_dataset(images, pairs, np.zeros(n, np.float32), batch_size=16, seed=3)
    assert len(data) == 3  # one epoch: 40 pairs in batches of 16
    passes = [_anchors(data) for _ in range(3)]
    for epoch, seen in enumerate(passes):
        assert seen == epoch_order(n, 3, epoch).tolist()
    data.epochs.next = 1  # what Checkpoints does when fit resumes at epoch 2
    assert _anchors(data) == passes[1]
    fixed = pair_dataset(images, pairs, np.zeros(n, np.float32), batch_size=16)  # no seed: the given order
    assert _anchors(fixed) == _anchors(fixed) == list(range(n))
    with pytest.raises(ValueError, match="seed"):
        pair_dataset(images, pairs, np.zeros(n, np.float32), seed=-1)


# -- the sums -------------------------------------------------------------------------------------------------
def test_verified_refuses_a_missing_an_unlisted_and_an_altered_file(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    write_sums(tmp_path)
    assert verified(tmp_path, "a.json") == tmp_path / "a.json"
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(ReplayError, match="no entry"):
        verified(tmp_path, "b.json")
    with pytest.raises(ReplayError, match="not found"):
        verified(tmp_path, "c.json")
    (tmp_path / "a.json").write_text("{ }")
    with pytest.raises(ReplayError, match="does not match its SHA-256"):
        verified(tmp_path, "a.json")


def test_a_cut_sums_file_is_a_clear_error_naming_it(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("0123abcd\n")
    with pytest.raises(ReplayError, match=r"SHA256SUMS' line 1 .*git checkout"):
        read_sums(tmp_path)


def test_replay_refuses_a_record_made_with_other_parameters(tmp_path):
    record = {"params": {"EPOCHS": 5}, "history": {"loss": [1.0]}, "training_seconds": 1.0}
    (tmp_path / "siamese_article_mnist.json").write_text(json.dumps(record))
    write_sums(tmp_path)
    with pytest.raises(ReplayError, match="other parameters"):
        shipped_history("siamese_article_mnist", {"EPOCHS": 1}, folder=tmp_path)
    history = shipped_history("siamese_article_mnist", {"EPOCHS": 5}, folder=tmp_path)
    assert history.history == {"loss": [1.0]} and history.seconds == 1.0


# -- real, bounded training -----------------------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import json, os, sys
    import helpers
    import keras
    import numpy as np
    from helpers.data import load_mnist, preprocess
    from helpers.losses import accuracy, contrastive_loss
    from helpers.models import siamese_network
    from helpers.pairs import generate_pair_indices, pair_dataset
    from helpers.repro import set_seed
    from helpers.training import Checkpoints

    build, out, stop_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = set_seed(42)
    (x, y), _ = load_mnist(verbose=False)
    x, y = preprocess(x[:384]), y[:384]
    idx, labels = generate_pair_indices(y, rng)
    train_data = pair_dataset(x, idx, labels, batch_size=64, seed=42)
    model = siamese_network()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss=contrastive_loss, metrics=[accuracy])

    class Die(keras.callbacks.Callback):  # killed outright (SIGKILL: nothing can clean up) after that epoch
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == stop_after:
                os.kill(os.getpid(), 9)

    checkpoints = Checkpoints("siamese_article_mnist", {"EPOCHS": 2}, build_dir=build, data=train_data)
    history = model.fit(train_data, epochs=2, callbacks=[checkpoints, Die()], verbose=0)
    np.savez(out, *[v.numpy() for v in model.variables])
    with open(out + ".json", "w") as f:
        json.dump({"history": history.history}, f)
""")


def _child(build: Path, out: Path, stop_after: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(build), str(out), str(stop_after)], cwd=ROOT,
                          capture_output=True, text=True, timeout=HANG_SECONDS)


@pytest.mark.integration
def test_a_run_killed_after_epoch_1_resumes_in_a_new_process_bit_for_bit(tmp_path):
    """Notebook 08's training as the learner sees it (model.compile, model.fit with the Checkpoints callback),
    on 384 images: killed after epoch 1, run again in a new process, it ends where an uninterrupted run ends."""
    whole = _child(tmp_path / "whole", tmp_path / "whole.npz", 0)
    assert whole.returncode == 0, whole.stderr[-2000:]
    killed = _child(tmp_path / "stopped", tmp_path / "never.npz", 1)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (tmp_path / "never.npz").exists()
    assert len(list((tmp_path / "stopped" / "checkpoints").glob("*.npz"))) == 1
    resumed = _child(tmp_path / "stopped", tmp_path / "resumed.npz", 0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch 1" in resumed.stdout
    a, b = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "resumed.npz")
    assert len(a.files) == 11  # weights, and the seed states of the three dropout layers
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])  # bitwise: same weights, same dropout seeds
    history_a = json.loads((tmp_path / "whole.npz.json").read_text())["history"]
    history_b = json.loads((tmp_path / "resumed.npz.json").read_text())["history"]
    assert history_b == history_a and len(history_a["loss"]) == 2  # fit's history, epoch 1 included
    assert list((tmp_path / "stopped" / "checkpoints").iterdir()) == []  # a finished run keeps no checkpoint
    record = json.loads((tmp_path / "stopped" / "trained" / "siamese_article_mnist.json").read_text())
    assert record["history"] == history_a and record["params"] == {"EPOCHS": 2}


def _tiny(tmp_path, dropout=0.4, epochs=2, n=96):
    """The article's model on ``n`` random images (pairs of batch 32), and its checkpoints callback."""
    import keras

    from helpers.models import compile_siamese, siamese_network, siamese_twin
    from helpers.pairs import generate_pair_indices

    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).random((n, 28, 28, 1)).astype(np.float32)
    idx, labels = generate_pair_indices(np.arange(n) % 4, 0)
    data = pair_dataset(images, idx, labels, batch_size=32, seed=0)
    twin = siamese_twin()
    for layer in twin.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = dropout
    model = compile_siamese(siamese_network(twin))
    return model, data, Checkpoints("siamese_article_mnist", {"EPOCHS": epochs}, build_dir=tmp_path, data=data)


def _checkpoint_of(model, data, checkpoints, epochs=2):
    checkpoints.set_model(model)
    checkpoints.set_params({"epochs": epochs, "steps": len(data), "verbose": 0})
    return checkpoints._checkpoint_path()


def test_a_checkpoint_of_another_run_is_never_resumed(tmp_path):
    model, data, checkpoints = _tiny(tmp_path)
    path = _checkpoint_of(model, data, checkpoints)
    assert path == _checkpoint_of(*_tiny(tmp_path))  # same run, same file
    others = [_checkpoint_of(*_tiny(tmp_path, dropout=0.2)),  # the model changed (a learner's edit)
              _checkpoint_of(*_tiny(tmp_path, epochs=3)),  # a parameter
              _checkpoint_of(*_tiny(tmp_path, n=100)),  # the data
              _checkpoint_of(*_tiny(tmp_path), epochs=3)]  # fit's epochs
    assert len({path, *others}) == 5
    checkpoints.path = path
    checkpoints._save(1)
    other = _tiny(tmp_path, dropout=0.2)
    other[2].path = _checkpoint_of(*other)
    assert other[2]._restore() == 0 and other[2].history == {}  # starts afresh ...
    assert not path.exists()  # ... and the stale checkpoint of the same run is removed


def test_a_corrupt_checkpoint_is_named_in_one_line_and_training_starts_afresh(tmp_path, capsys):
    """A cut file and a flipped byte: each is named in one line, and training starts from epoch 1."""
    model, data, checkpoints = _tiny(tmp_path / "whole")
    model.fit(data, epochs=2, callbacks=[checkpoints], verbose=0)
    expected = [v.numpy() for v in model.variables]
    for damage in ("truncate", "flip"):
        model, data, checkpoints = _tiny(tmp_path / damage)
        checkpoints.path = _checkpoint_of(model, data, checkpoints)
        checkpoints.history = {"loss": [0.5]}
        checkpoints._save(1)
        raw = bytearray(checkpoints.path.read_bytes())
        raw = raw[: len(raw) // 2] if damage == "truncate" else raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:]
        checkpoints.path.write_bytes(bytes(raw))
        model, data, checkpoints = _tiny(tmp_path / damage)
        history = model.fit(data, epochs=2, callbacks=[checkpoints], verbose=0)
        out = capsys.readouterr().out
        assert "unreadable" in out and "checkpoints/siamese_article_mnist-" in out and "from epoch 1" in out, damage
        assert len(history.history["loss"]) == 2
        for want, got in zip(expected, [v.numpy() for v in model.variables], strict=True):
            np.testing.assert_array_equal(got, want)


def test_a_stop_during_epoch_1_and_a_second_fit_in_the_same_kernel_give_the_uninterrupted_weights(tmp_path):
    """Ctrl-C in JupyterLab half-way through the first epoch, then the cell run again: no half-trained start."""
    import keras

    model, data, checkpoints = _tiny(tmp_path / "whole")
    model.fit(data, epochs=2, callbacks=[checkpoints], verbose=0)
    expected = [v.numpy() for v in model.variables]

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    model, data, checkpoints = _tiny(tmp_path / "stopped")
    with pytest.raises(KeyboardInterrupt):
        model.fit(data, epochs=2, callbacks=[checkpoints, Stop()], verbose=0)
    history = model.fit(data, epochs=2, callbacks=[checkpoints], verbose=0)  # the learner runs the cell again
    for want, got in zip(expected, [v.numpy() for v in model.variables], strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(history.history["loss"]) == 2


def _short_run(kind: str, mnist, build: Path):
    """A few steps of each notebook's training, with the same builders, compile and Checkpoints as the notebook.

    Kept small (16, 8 and 4 steps; about 5 s each here): that the models really learn is shown by
    test_models' held-out check and by the shipped weights (test_shipped_weights)."""
    import keras

    from helpers.data import preprocess
    from helpers.losses import batch_contrastive_loss
    from helpers.models import compile_siamese, improved_twin, siamese_network, warmup_cosine
    from helpers.pairs import generate_pair_indices, image_dataset
    from helpers.repro import set_seed
    from helpers.selfsup import SimCLR, digit_augmenter, encoder, projection_head, simclr_loss

    (x, y), _ = mnist
    rng = set_seed(42)
    epochs = 2
    if kind == "article":  # notebook 08
        x, y = preprocess(x[:512]), y[:512]
        idx, labels = generate_pair_indices(y, rng)
        data = pair_dataset(x, idx, labels, batch_size=64, seed=42)
        model = compile_siamese(siamese_network())
    elif kind == "improved":  # notebook 12
        x, y = preprocess(x[:1024]), y[:1024]
        data = image_dataset(x, y, batch_size=256, seed=42)
        model = improved_twin()
        model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(epochs * 4, 0.003)), loss=batch_contrastive_loss)
    else:  # notebook 13
        x = preprocess(x[:512])
        data = image_dataset(x, np.zeros(len(x), np.float32), batch_size=256, seed=42)
        enc = encoder()
        model = SimCLR(enc, projection_head(enc.output_shape[-1], dim=64), digit_augmenter(seed=42))
        model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(epochs * 2, 0.003)), loss=simclr_loss(0.2))
    checkpoints = Checkpoints(f"{kind}_mnist", {"EPOCHS": epochs}, build_dir=build, data=data)
    history = model.fit(data, epochs=epochs, callbacks=[checkpoints], verbose=0)
    return history.history["loss"], [v.numpy() for v in model.variables]


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["article", "improved", "simclr"])
def test_short_real_training_lowers_the_loss_and_repeats_bit_for_bit(kind, mnist, tmp_path):
    losses, weights = _short_run(kind, mnist, tmp_path / "a")
    assert losses[-1] < losses[0], losses
    again, weights_again = _short_run(kind, mnist, tmp_path / "b")
    assert again == losses
    for w, w_again in zip(weights, weights_again, strict=True):
        np.testing.assert_array_equal(w, w_again)
    assert (tmp_path / "a" / "trained" / f"{kind}_mnist.weights.h5").is_file()  # what replay would load


def test_a_replayed_model_loads_saves_and_loads_again_without_warnings(tmp_path):
    """Notebook 08 replays with model.load_weights(shipped(...)); notebook 09 loads the model 08 saved. Neither
    may print a warning a learner would read as a fault (in a new process: pytest resets warning filters)."""
    code = textwrap.dedent(f"""
        import helpers
        from helpers.artifacts import load_model, save_model
        from helpers.models import compile_siamese, siamese_network
        from helpers.training import shipped

        model = compile_siamese(siamese_network())
        model.load_weights(shipped("siamese_article_mnist.weights.h5"))
        save_model(model, {str(tmp_path / "m.keras")!r})
        load_model({str(tmp_path / "m.keras")!r})
    """)
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=HANG_SECONDS)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Warning" not in done.stderr, done.stderr[-2000:]


def test_validation_neighbours_logs_the_leave_one_out_1nn_of_the_epochs_weights(mnist, tmp_path):
    import keras

    from helpers.data import preprocess
    from helpers.evaluation import leave_one_out_knn1
    from helpers.losses import batch_contrastive_loss
    from helpers.models import improved_twin
    from helpers.pairs import image_dataset
    from helpers.repro import set_seed
    from helpers.training import ValidationNeighbours

    (x, y), _ = mnist
    images, labels = preprocess(x[:256]), y[:256].astype("int64")
    set_seed(0)
    twin = improved_twin()
    twin.compile(optimizer=keras.optimizers.Adam(1e-3), loss=batch_contrastive_loss)
    callback = ValidationNeighbours(images[:128], labels[:128])
    history = twin.fit(image_dataset(images, labels, batch_size=64, seed=0), epochs=2, verbose=0,
                       callbacks=[callback]).history
    assert len(history["val_knn1"]) == 2
    final = leave_one_out_knn1(twin.predict(images[:128], verbose=0), labels[:128])
    assert history["val_knn1"][-1] == pytest.approx(final)


def test_a_shipped_record_is_saved_for_committing_and_read_back_only_as_made(tmp_path):
    ship = tmp_path / "ship"
    record = {"params": {"DIST_STEPS": 32}, "runs": {"one device": {"losses": [0.7, 0.5]}}}
    ship_record("distribute_mnist", record, tmp_path / "build")
    saved = tmp_path / "build" / "trained" / "distribute_mnist.json"
    assert json.loads(saved.read_text()) == record
    assert copy_shipped([saved], ship) == ["distribute_mnist.json"]  # what `make refresh` does after the notebook
    assert shipped_record("distribute_mnist", {"DIST_STEPS": 32}, folder=ship) == record
    with pytest.raises(ReplayError, match="other parameters"):
        shipped_record("distribute_mnist", {"DIST_STEPS": 16}, folder=ship)
    (ship / "distribute_mnist.json").write_text(json.dumps({**record, "runs": {}}))
    with pytest.raises(ReplayError, match="does not match its SHA-256"):
        shipped_record("distribute_mnist", {"DIST_STEPS": 32}, folder=ship)
