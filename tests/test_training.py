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

from helpers.pairs import epoch_batches, epoch_order, pair_dataset
from helpers.training import (
    REPLAY_VARIABLE,
    SHIP_VARIABLE,
    ReplayError,
    TrainingRun,
    ship_record,
    shipped_record,
    should_train,
    verified,
    write_sums,
)

pytestmark = pytest.mark.integration  # trains real models (bounded) and resumes in new processes

ROOT = Path(__file__).resolve().parent.parent


# -- the data order: a function of (seed, epoch) only ---------------------------------------------------------
def test_epoch_order_is_a_permutation_fixed_by_seed_and_epoch():
    first = epoch_order(100, seed=7, epoch=0)
    assert sorted(first.tolist()) == list(range(100))
    np.testing.assert_array_equal(first, epoch_order(100, seed=7, epoch=0))
    assert not np.array_equal(first, epoch_order(100, seed=7, epoch=1)), "a new order every epoch"
    assert not np.array_equal(first, epoch_order(100, seed=8, epoch=0)), "another seed, another order"


def test_epoch_batches_visit_every_sample_once_per_epoch_and_resume_by_skipping():
    batches = [b.tolist() for b in epoch_batches(10, batch_size=4, seed=3, epochs=3).as_numpy_iterator()]
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    epochs = [sum(batches[3 * e: 3 * e + 3], []) for e in range(3)]
    assert all(sorted(order) == list(range(10)) for order in epochs)
    assert epochs[0] == epoch_order(10, 3, 0).tolist() and epochs[2] == epoch_order(10, 3, 2).tolist()
    resumed = [b.tolist() for b in epoch_batches(10, 4, 3, 3).skip(3).as_numpy_iterator()]
    assert resumed == batches[3:]  # what a run resumed after epoch 1 sees
    with pytest.raises(ValueError, match="epochs"):
        epoch_batches(10, 4, 3, 0)


def test_pair_dataset_holds_every_epoch_each_in_its_own_seeded_order():
    images = np.arange(40, dtype=np.float32).reshape(40, 1, 1, 1)
    from helpers.pairs import generate_pair_indices

    idx, y = generate_pair_indices(np.repeat(np.arange(4), 10), 0)

    def anchors(seed):
        data = pair_dataset(images, idx, y, batch_size=16, shuffle_seed=seed, epochs=2)
        flat = np.concatenate([b[0][0].ravel() for b in data.as_numpy_iterator()])
        return flat[:80], flat[80:]

    first, second = anchors(7)
    assert not np.array_equal(first, second), "a new order every epoch"
    np.testing.assert_array_equal(np.sort(first), np.sort(idx[:, 0].astype(np.float32)))  # the same pairs
    np.testing.assert_array_equal(np.sort(second), np.sort(first))
    np.testing.assert_array_equal(anchors(7)[0], first)  # same seed, same orders
    assert not np.array_equal(anchors(8)[0], first)
    with pytest.raises(ValueError, match="shuffle_seed"):
        pair_dataset(images, idx, y, shuffle_seed=-1)


# -- the switch and the sums ----------------------------------------------------------------------------------
def test_should_train_follows_the_parameter_unless_the_tests_ask_for_replay(monkeypatch):
    monkeypatch.delenv(REPLAY_VARIABLE, raising=False)
    assert should_train(True) is True and should_train(False) is False
    monkeypatch.setenv(REPLAY_VARIABLE, "1")
    assert should_train(True) is False
    with pytest.raises(TypeError, match="TRAIN"):
        should_train("yes")


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


def _small_twin():
    from helpers.models import compile_siamese, siamese_network

    return compile_siamese(siamese_network())


def test_replay_refuses_weights_trained_with_other_parameters(tmp_path):
    record = {"name": "siamese_article", "dataset": "mnist", "params": {"EPOCHS": 5}, "history": {"loss": [1.0]},
              "training_seconds": 1.0}
    (tmp_path / "siamese_article_mnist.json").write_text(json.dumps(record))
    write_sums(tmp_path)
    run = TrainingRun("siamese_article", _small_twin(), dataset="mnist", params={"EPOCHS": 1}, build_dir=tmp_path)
    with pytest.raises(ReplayError, match=r"EPOCHS=1 \(shipped: 5\)"):
        run.replay(tmp_path)


# -- real, bounded training -----------------------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import json, os, sys
    import helpers
    import numpy as np
    import helpers.training as training
    from helpers.data import load_mnist, preprocess
    from helpers.models import compile_siamese, siamese_network
    from helpers.pairs import generate_pair_indices, pair_dataset
    from helpers.repro import set_seed

    build, out, stop_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = set_seed(42)
    (x, y), _ = load_mnist(verbose=False)
    x, y = preprocess(x[:384]), y[:384]
    idx, labels = generate_pair_indices(y, rng)
    data = pair_dataset(x, idx, labels, batch_size=64, shuffle_seed=42, epochs=2)
    model = compile_siamese(siamese_network())
    run = training.TrainingRun("siamese_article", model, dataset="mnist", params={"EPOCHS": 2}, build_dir=build)
    if stop_after:  # killed outright (SIGKILL: nothing can clean up) right after the checkpoint of that epoch
        save = training.TrainingRun._save_checkpoint
        def save_then_die(self, epoch):
            save(self, epoch)
            if epoch == stop_after:
                os.kill(os.getpid(), 9)
        training.TrainingRun._save_checkpoint = save_then_die
    history = run.fit(data, epochs=2, verbose=0)
    np.savez(out, *[v.numpy() for v in model.variables])
    with open(out + ".json", "w") as f:
        json.dump({"history": history}, f)
""")


def _child(build: Path, out: Path, stop_after: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(build), str(out), str(stop_after)], cwd=ROOT,
                          capture_output=True, text=True, timeout=HANG_SECONDS)


@pytest.mark.integration
def test_a_run_killed_after_epoch_1_resumes_in_a_new_process_bit_for_bit(tmp_path):
    whole = _child(tmp_path / "whole", tmp_path / "whole.npz", 0)
    assert whole.returncode == 0, whole.stderr[-2000:]
    killed = _child(tmp_path / "stopped", tmp_path / "never.npz", 1)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (tmp_path / "never.npz").exists()
    assert len(list((tmp_path / "stopped" / "checkpoints").glob("*.npz"))) == 1
    resumed = _child(tmp_path / "stopped", tmp_path / "resumed.npz", 0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch 1/2" in resumed.stdout
    a, b = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "resumed.npz")
    assert len(a.files) == 11  # weights, and the seed states of the three dropout layers
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])  # bitwise: same weights, same dropout seeds
    history_a = json.loads((tmp_path / "whole.npz.json").read_text())["history"]
    history_b = json.loads((tmp_path / "resumed.npz.json").read_text())["history"]
    assert history_b == history_a and len(history_a["loss"]) == 2  # the full history, epoch 1 included
    assert list((tmp_path / "stopped" / "checkpoints").iterdir()) == []  # a finished run keeps no checkpoint


def _tiny(tmp_path, dropout=0.4, epochs=2, n=96):
    """The article's model on ``n`` random images (pairs of batch 32): a few steps, for the bookkeeping."""
    import keras

    from helpers.models import compile_siamese, siamese_network, siamese_twin
    from helpers.pairs import generate_pair_indices

    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).random((n, 28, 28, 1)).astype(np.float32)
    idx, labels = generate_pair_indices(np.arange(n) % 4, 0)
    data = pair_dataset(images, idx, labels, batch_size=32, shuffle_seed=0, epochs=epochs)
    twin = siamese_twin()
    for layer in twin.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = dropout
    model = compile_siamese(siamese_network(twin))
    return TrainingRun("siamese_article", model, dataset="mnist", params={"EPOCHS": epochs}, build_dir=tmp_path), data


def test_a_checkpoint_of_another_run_is_never_resumed(tmp_path):
    import keras

    run, data = _tiny(tmp_path)
    path = run._checkpoint_path(data, 2, [])
    assert path == _tiny(tmp_path)[0]._checkpoint_path(_tiny(tmp_path)[1], 2, [])  # same run, same file
    others = [_tiny(tmp_path, dropout=0.2),  # the model changed (a learner's edit in the notebook)
              _tiny(tmp_path, epochs=3),  # a parameter
              _tiny(tmp_path, n=100)]  # the data
    assert len({path} | {r._checkpoint_path(d, r.params["EPOCHS"], []) for r, d in others}) == 4
    assert run._checkpoint_path(data, 2, [keras.callbacks.EarlyStopping()]) != path  # a callback
    run.checkpoint = path
    run.history = {"loss": [0.5]}
    run._save_checkpoint(1)
    other, other_data = others[0]
    other.checkpoint = other._checkpoint_path(other_data, 2, [])
    assert other._restore() == 0 and other.history == {}  # starts afresh ...
    assert not path.exists()  # ... and the stale checkpoint of the same model is removed


def test_a_stop_during_epoch_1_and_a_second_fit_in_the_same_kernel_give_the_uninterrupted_weights(tmp_path):
    """Ctrl-C in JupyterLab half-way through the first epoch, then the cell run again: no half-trained start."""
    import keras

    run, data = _tiny(tmp_path / "whole")
    run.fit(data, epochs=2, verbose=0)
    expected = [v.numpy() for v in run.model.variables]

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    stopped, data = _tiny(tmp_path / "stopped")
    original_fit = stopped.model.fit

    def fit_then_stop(*args, callbacks=(), **kwargs):
        return original_fit(*args, callbacks=[*callbacks, Stop()], **kwargs)

    stopped.model.fit = fit_then_stop
    with pytest.raises(KeyboardInterrupt):
        stopped.fit(data, epochs=2, verbose=0)
    stopped.model.fit = original_fit  # the learner runs the cell again
    stopped.fit(data, epochs=2, verbose=0)
    for want, got in zip(expected, [v.numpy() for v in stopped.model.variables], strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(stopped.history["loss"]) == 2


def test_make_refresh_trains_from_scratch_even_with_a_checkpoint_there(tmp_path, monkeypatch, capsys):
    from helpers.training import FRESH_VARIABLE

    run, data = _tiny(tmp_path)
    run.checkpoint = run._checkpoint_path(data, 2, [])
    run.history = {"loss": [9.0]}
    run._save_checkpoint(1)
    monkeypatch.setenv(FRESH_VARIABLE, "1")
    history = run.fit(data, epochs=2, verbose=0)
    assert len(history["loss"]) == 2 and history["loss"][0] != 9.0
    assert "resuming" not in capsys.readouterr().out


def _short_run(kind: str, mnist, build: Path):
    """A few steps of each notebook's training, through the same TrainingRun.fit and builders as the notebook.

    Kept small (16, 8 and 4 steps; about 5 s each here): that the models really learn is shown by
    test_models' held-out check and by the shipped weights (test_shipped_weights)."""
    import keras

    from helpers.data import preprocess
    from helpers.models import compile_improved, compile_siamese, improved_twin, siamese_network, warmup_cosine
    from helpers.pairs import generate_pair_indices, image_dataset
    from helpers.repro import set_seed
    from helpers.selfsup import SimCLR, digit_augmenter, encoder, projection_head, simclr_loss

    (x, y), _ = mnist
    rng = set_seed(42)
    if kind == "article":  # notebook 08
        x, y, epochs = preprocess(x[:512]), y[:512], 2
        idx, labels = generate_pair_indices(y, rng)
        data = pair_dataset(x, idx, labels, batch_size=64, shuffle_seed=42, epochs=epochs)
        model = compile_siamese(siamese_network())
    elif kind == "improved":  # notebook 12
        x, y, epochs = preprocess(x[:1024]), y[:1024], 2
        data = image_dataset(x, y, batch_size=256, seed=42, epochs=epochs)
        model = compile_improved(improved_twin(), steps=epochs * 4)
    else:  # notebook 13
        x, epochs = preprocess(x[:512]), 2
        data = image_dataset(x, np.zeros(len(x), np.float32), batch_size=256, seed=42, epochs=epochs)
        enc = encoder()
        model = SimCLR(enc, projection_head(enc.output_shape[-1], dim=64), digit_augmenter(seed=42))
        model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(epochs * 2, 0.003)), loss=simclr_loss(0.2))
    run = TrainingRun(kind, model, dataset="mnist", params={"EPOCHS": epochs}, build_dir=build)
    history = run.fit(data, epochs=epochs, verbose=0)
    return history["loss"], [v.numpy() for v in model.variables]


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


def test_a_replayed_model_saves_and_loads_without_warnings(tmp_path):
    """Notebook 09 loads the model notebook 08 saved; after a replay too, that must print nothing to stderr."""
    import warnings

    from helpers.artifacts import load_model, save_model

    run = TrainingRun("siamese_article", _small_twin(), dataset="mnist", build_dir=tmp_path,
                      params={"EPOCHS": 5, "BATCH_SIZE": 64, "SEED": 42, "LEARNING_RATE": 0.001})
    run.replay()
    save_model(run.model, tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(tmp_path / "m.keras")


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
    run = TrainingRun("knn_test", twin, dataset="mnist", build_dir=tmp_path, params={"SEED": 0})
    history = run.fit(image_dataset(images, labels, batch_size=64, seed=0, epochs=2), epochs=2, verbose=0,
                      callbacks=[callback])
    assert len(history["val_knn1"]) == 2
    final = leave_one_out_knn1(twin.predict(images[:128], verbose=0), labels[:128])
    assert history["val_knn1"][-1] == pytest.approx(final)


def test_a_shipped_record_is_saved_for_committing_and_read_back_only_as_made(tmp_path, monkeypatch):
    ship = tmp_path / "ship"
    monkeypatch.setenv(SHIP_VARIABLE, str(ship))  # as `make refresh` sets it
    record = {"params": {"DIST_STEPS": 32}, "runs": {"one device": {"losses": [0.7, 0.5]}}}
    ship_record("distribute_mnist", record, tmp_path / "build")
    assert json.loads((tmp_path / "build" / "trained" / "distribute_mnist.json").read_text()) == record
    write_sums(ship)  # what the runner does after the notebook finished
    assert shipped_record("distribute_mnist", {"DIST_STEPS": 32}, folder=ship) == record
    with pytest.raises(ReplayError, match="other parameters"):
        shipped_record("distribute_mnist", {"DIST_STEPS": 16}, folder=ship)
    (ship / "distribute_mnist.json").write_text(json.dumps({**record, "runs": {}}))
    with pytest.raises(ReplayError, match="does not match its SHA-256"):
        shipped_record("distribute_mnist", {"DIST_STEPS": 32}, folder=ship)
