"""Training that survives an interruption, and the weights that ``make refresh`` shipped.

Four notebooks train networks with plain ``model.fit``: 08 the article's, 12 the improved one, 13 SimCLR, 14
one twin per loss. On a 2-core CPU without AVX-512 that takes half an hour or more, so they pass one extra
callback, :class:`Checkpoints`:

- After every epoch it saves all the state the next epoch depends on — every model variable (weights,
  batch-norm statistics, the random-seed states of dropout and augmentation), the optimizer's state and the
  history so far — under ``build/checkpoints/``, atomically. Run the cell again after an interruption
  (Ctrl-C, a closed laptop, a killed process) and ``fit`` goes on from the last finished epoch, with the same
  result bit for bit as an uninterrupted run: it also tells the training data which epoch comes next
  (:class:`helpers.pairs.Epochs`), since each epoch's order is a function of (seed, epoch). A checkpoint
  belongs to one run: its parameters, the data, the model, optimizer and loss configuration, ``fit``'s epochs
  and the helpers' code; change any of them and training starts afresh.
- When training ends it saves the weights and the history in ``build/trained/`` (from where ``make refresh``
  copies them to ``notebooks/trained/`` for committing).

``TRAIN = False`` in a notebook (``make run TRAIN=0``, and ``make test``) loads instead the weights and
history that ``make refresh`` committed: :func:`shipped` (a file, verified against its SHA-256 sum) and
:func:`shipped_history`.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts quietly)

import hashlib
import json
import math
import os
import shutil
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from helpers._checks import check_int
from helpers.artifacts import PROGRESS_VARIABLE, atomic_path, save_json

# model.load_weights(shipped(...)) into a compiled model whose optimizer has not taken a step: Keras skips the
# optimizer state saved with the weights, which a replay never needs (it does not train), and says so. Such an
# optimizer has 1 variable (its step count) or 2 (and its learning rate, when not a schedule); only that notice
# is dropped: any other skipped variable still warns.
warnings.filterwarnings("ignore", message=r"Skipping variable loading for optimizer '[a-z_0-9]+', because it has "
                        r"[12] variables whereas the saved optimizer has \d+ variables")

#: Where ``make refresh`` commits the trained weights and histories (beside the notebooks).
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "trained"
SUMS_FILE = "SHA256SUMS"


class ReplayError(RuntimeError):
    """The shipped weights are missing, altered, or were trained with other parameters."""


def code_digest() -> str:
    """SHA-256 of the helpers' source: a checkpoint written by other code is never resumed."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (``sha256sum`` format); a malformed line is a
    :class:`ReplayError` naming the file."""
    path = folder / SUMS_FILE
    if not path.is_file():
        return {}
    sums = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip():
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or len(parts[0]) != 64:
                raise ReplayError(f"'{folder.name}/{SUMS_FILE}' line {number} is not 'SHA256  NAME' (cut or "
                                  "edited): restore it with `git checkout -- notebooks/trained`")
            sums[parts[1].lstrip("*")] = parts[0]
    return sums


def write_sums(folder: Path) -> Path:
    """Rewrite ``folder/SHA256SUMS`` for every file in it (``sha256sum -c`` can check it)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != SUMS_FILE)
    text = "".join(f"{sha256_file(folder / name)}  {name}\n" for name in names)
    with atomic_path(folder / SUMS_FILE) as tmp:
        tmp.write_text(text)
    return folder / SUMS_FILE


def verified(folder: Path, name: str) -> Path:
    """``folder/name``, after checking it against ``folder/SHA256SUMS``; a clear error otherwise."""
    path = folder / name
    if not path.is_file():
        raise ReplayError(f"{name} not found in '{folder.name}/': no shipped weights for this run. "
                          "Train instead (TRAIN = True, or make run without TRAIN=0).")
    expected = read_sums(folder).get(name)
    if expected is None:
        raise ReplayError(f"{name} has no entry in '{folder.name}/{SUMS_FILE}'; `make refresh` writes both")
    if sha256_file(path) != expected:
        raise ReplayError(f"{name} does not match its SHA-256 in '{folder.name}/{SUMS_FILE}' (altered or "
                          "corrupt): restore it with `git checkout -- notebooks/trained` or train instead")
    return path


def shipped(name: str, folder: str | os.PathLike | None = None) -> Path:
    """The path of a file ``make refresh`` committed in ``notebooks/trained/``, verified against its
    SHA-256 sum (``model.load_weights(shipped("siamese_article_mnist.weights.h5"))``)."""
    return verified(SHIPPED_DIR if folder is None else Path(folder), name)


def _layer_configs(model) -> list:
    """Every layer's class and configuration, nested models included (dropout rate, augmentation strengths ...)."""
    configs = []
    for layer in getattr(model, "layers", []):
        try:
            config = layer.get_config()
        except NotImplementedError:
            config = {}
        config = {k: v for k, v in config.items() if k != "name"}  # names are numbered per process
        configs.append([type(layer).__name__, config, _layer_configs(layer)])
    return configs


def _plain(value):
    """``value`` with only JSON types: other objects become their class name (never an address)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return type(value).__name__


def _format_seconds(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


class TrainingHistory(keras.callbacks.History):
    """Keras' ``History`` (``.history``: a dict of per-epoch lists) plus ``.seconds``, the training time of
    the run that produced the weights."""

    seconds: float = 0.0


class Checkpoints(TrainingHistory):
    """``model.fit(..., callbacks=[Checkpoints(name, params, build_dir=...)])``: resume after a stop.

    ``name``: the run's file stem (``siamese_article_mnist`` ...); ``params``: every parameter that changes
    the result (epochs, batch size, seed, learning rate ...); ``data``: the training dataset, when its order
    depends on the epoch (:func:`helpers.pairs.pair_dataset` and :func:`helpers.pairs.image_dataset` with a
    seed). Being Keras' ``History``, it is what ``fit`` returns, with the epochs before a resume included.
    """

    def __init__(self, name: str, params: dict, *, build_dir: str | os.PathLike, data=None):
        super().__init__()
        self.name, self.run_params, self.data = name, {k: params[k] for k in sorted(params)}, data
        self.build_dir = Path(build_dir)
        self.path: Path | None = None  # known once fit() starts: it depends on the model and the data

    # -- the checkpoint's identity -----------------------------------------------------------------------
    def _checkpoint_path(self) -> Path:
        """A file name that changes with anything that changes the result: the run's name, parameters, the
        helpers' code, the model's and optimizer's configuration, the loss, ``fit``'s epochs and steps, and the
        data itself (its first batch). A checkpoint of any other run is never resumed."""
        first = hashlib.sha256()
        if self.data is not None:
            import tensorflow as tf

            self._set_epoch(0)
            for batch in self.data.take(1):
                for array in tf.nest.flatten(batch):
                    first.update(np.ascontiguousarray(array.numpy()).tobytes())
        loss = getattr(self.model, "loss", None)
        optimizer = {k: v for k, v in self.model.optimizer.get_config().items() if k != "name"}
        key = {"name": self.name, "params": self.run_params, "code": code_digest(),
               "model": _plain(_layer_configs(self.model)), "optimizer": _plain(optimizer),
               "loss": getattr(loss, "__name__", type(loss).__name__),
               "fit": {k: self.params.get(k) for k in ("epochs", "steps")}, "first_batch": first.hexdigest()}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        return self.build_dir / "checkpoints" / f"{self.name}-{digest}.npz"

    def _set_epoch(self, epoch: int) -> None:
        epochs = getattr(self.data, "epochs", None)
        if epochs is not None:
            epochs.next = epoch

    # -- Keras' hooks ------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.path = self._checkpoint_path()
        epoch = self._restore()
        where = f"{self.path.parent.name}/{self.path.name}"
        if epoch:
            print(f"resuming after epoch {epoch} from {where} ({_format_seconds(self.seconds)} of training done)",
                  flush=True)
        elif self.path.is_file():
            print(f"starting again from the state saved before epoch 1 ({where})", flush=True)
        else:
            self._save(0)  # the starting state: a stop during epoch 1 resumes from here too
        self.model._initial_epoch = epoch  # how Keras' own BackupAndRestore skips the epochs done
        self._progress = _Progress(self.params.get("epochs") or 1, self.params.get("steps") or 1,
                                   self.name)
        self._started, self._done = time.perf_counter(), self.seconds

    def on_epoch_begin(self, epoch, logs=None):
        self._set_epoch(epoch)
        self._progress.on_epoch_begin(epoch)

    def on_train_batch_end(self, batch, logs=None):
        self._progress.on_train_batch_end(batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        super().on_epoch_end(epoch, logs)
        self.seconds = self._done + time.perf_counter() - self._started
        if epoch + 1 < (self.params.get("epochs") or 0) and not self.model.stop_training:
            self._save(epoch + 1)

    def on_train_end(self, logs=None):
        """Save the final weights and history in ``build/trained/`` (`make refresh` ships them from there)."""
        self.model._initial_epoch = None
        self.seconds = round(self.seconds, 1)  # as recorded, so that a replay prints the same number
        record = {"name": self.name, "params": self.run_params, "history": self.history,
                  "training_seconds": self.seconds}
        folder = self.build_dir / "trained"
        with atomic_path(folder / f"{self.name}.weights.h5") as tmp:
            keras_name = tmp.with_name(tmp.name[: -len(".h5")] + ".weights.h5")  # Keras insists on the suffix
            try:
                self.model.save_weights(keras_name)
                os.replace(keras_name, tmp)
            finally:
                keras_name.unlink(missing_ok=True)
        save_json(record, folder / f"{self.name}.json")
        self.path.unlink(missing_ok=True)

    # -- saving and restoring ----------------------------------------------------------------------------
    def _variables(self) -> list:
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        return [*self.model.variables, *optimizer.variables]

    def _save(self, epoch: int) -> None:
        meta = json.dumps({"epoch": epoch, "history": self.history, "seconds": self.seconds})
        arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(self._variables())}
        with atomic_path(self.path) as tmp:
            np.savez(tmp, meta=np.array(meta), **arrays)

    def _restore(self) -> int:
        """Load the checkpoint of this exact run, if any; return the number of finished epochs."""
        for stale in self.path.parent.glob(f"{self.name}-*.npz"):
            if stale != self.path:  # other parameters or code: never resumed, so not kept
                stale.unlink(missing_ok=True)
        self.history, self.seconds = {}, 0.0
        if not self.path.is_file():
            return 0
        variables = self._variables()
        try:
            with np.load(self.path) as saved:
                meta = json.loads(str(saved["meta"]))
                arrays = [saved[f"v{i}"] for i in range(len(variables))]
                if len(saved.files) - 1 != len(variables):
                    raise ValueError("another number of variables")
        except Exception as exc:  # a truncated or flipped file: BadZipFile, a CRC error, a missing key ...
            print(f"ignoring {self.path.parent.name}/{self.path.name}: unreadable ({type(exc).__name__}); "
                  "training starts from epoch 1", flush=True)
            self.path.unlink(missing_ok=True)
            return 0
        if any(tuple(a.shape) != tuple(v.shape) for a, v in zip(arrays, variables)):
            print(f"ignoring {self.path.name}: it does not fit this model", flush=True)
            self.path.unlink(missing_ok=True)
            return 0
        for array, variable in zip(arrays, variables):
            variable.assign(array)
        self.history, self.seconds = meta["history"], float(meta["seconds"])
        return int(meta["epoch"])


def shipped_history(name: str, params: dict, folder: str | os.PathLike | None = None) -> TrainingHistory:
    """The history ``make refresh`` recorded for run ``name`` with ``params`` (verified against its SHA-256
    sum), as the :class:`TrainingHistory` that ``fit`` would have returned."""
    record = shipped_record(name, params, folder)
    history = TrainingHistory()
    history.history, history.seconds = record["history"], float(record["training_seconds"])
    return history


def ship_record(stem: str, record: dict, build_dir: str | os.PathLike) -> None:
    """Save a run's measured numbers (a run that leaves no weights to replay, as notebook 15's) where
    :class:`Checkpoints` saves its record: ``build/trained/``, from where `make refresh` ships it.
    ``record`` holds the run's ``params``; :func:`shipped_record` reads it back."""
    save_json(record, Path(build_dir) / "trained" / f"{stem}.json")


def shipped_record(stem: str, params: dict, folder: str | os.PathLike | None = None) -> dict:
    """The record :func:`ship_record` saved during `make refresh`, verified against its SHA-256 sum, and
    made with ``params`` (else :class:`ReplayError`)."""
    folder = SHIPPED_DIR if folder is None else Path(folder)
    record = json.loads(verified(folder, f"{stem}.json").read_text())
    if record.get("params") != params:
        raise ReplayError(f"the shipped {stem} record was made with other parameters ({record.get('params')}, "
                          f"not {params}). Run it instead (TRAIN = True).")
    return record


class ValidationNeighbours(keras.callbacks.Callback):
    """After each epoch, how well the validation images' classes separate in the embedding space: the
    leave-one-out 1-nearest-neighbour accuracy among their embeddings, logged as ``val_knn1`` beside the
    losses (and kept in the history). A loss can rise while the embedding improves (notebook 12's loss
    averages over a changing set, the negatives inside the margin); this measure says which happens.

    ``images``: preprocessed validation images (N, 28, 28, 1); ``labels``: their classes (N,). The model
    being trained must output embeddings (a twin, not a two-input Siamese network).
    """

    def __init__(self, images, labels, batch_size: int = 1024):
        super().__init__()
        self.images, self.labels = images, labels
        self.batch_size = check_int(batch_size, "batch_size", 1)

    def on_epoch_end(self, epoch, logs=None):
        from helpers.evaluation import embed, leave_one_out_knn1

        if logs is not None:
            logs["val_knn1"] = leave_one_out_knn1(embed(self.model, self.images, self.batch_size), self.labels)


class _Progress:
    """A line every ~10 % of an epoch with the time left, so that a slow machine never looks hung: appended
    to the file the runner shows on its terminal (``make run``), or, in JupyterLab, one line in the cell's
    output that updates in place (``fit(verbose=2)`` itself prints one line per epoch)."""

    def __init__(self, epochs: int, steps: int, label: str):
        self.epochs, self.steps, self.label = epochs, steps, label
        self.every = max(1, math.ceil(steps / 10))
        self.path, self.shown = os.environ.get(PROGRESS_VARIABLE), None

    def on_epoch_begin(self, epoch):
        self.epoch, self.start = epoch, time.perf_counter()

    def on_train_batch_end(self, batch):
        step = batch + 1
        if step % self.every and step != self.steps:
            return
        per_step = (time.perf_counter() - self.start) / step
        left = per_step * ((self.steps - step) + self.steps * (self.epochs - self.epoch - 1))
        line = (f"{self.label}: epoch {self.epoch + 1}/{self.epochs}, step {step}/{self.steps}, "
                f"about {_format_seconds(left)} of training left")
        if self.path:
            with open(self.path, "a") as f:
                f.write(f"    {line}\n")
        elif _in_notebook():
            from IPython.display import display

            if self.shown is None:
                self.shown = display(line, display_id=True)
            else:
                self.shown.update(line)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return type(get_ipython()).__name__ == "ZMQInteractiveShell"


def copy_shipped(paths, destination: Path = SHIPPED_DIR) -> list[str]:
    """Copy the weights and records a refreshed notebook saved (``paths``, in ``build/trained/``) into
    ``destination`` and rewrite its sums (`make refresh`, after the notebook ran to the end)."""
    destination.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted(Path(p) for p in paths):
        if path.is_file() and not path.name.startswith("."):
            shutil.copyfile(path, destination / f".{path.name}.tmp")
            os.replace(destination / f".{path.name}.tmp", destination / path.name)
            moved.append(path.name)
    if moved:
        write_sums(destination)
    return moved
