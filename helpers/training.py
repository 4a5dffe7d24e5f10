"""Training that survives an interruption, and replay of the weights that ``make refresh`` shipped.

Three notebooks train a network: 08 the article's, 12 the improved one, 13 SimCLR. On a 2-core CPU without
AVX-512 that takes half an hour or more, so a run is wrapped in a :class:`TrainingRun`:

- :meth:`TrainingRun.fit` is ``model.fit`` that **resumes**. After every epoch it saves all the state the
  next epoch depends on — every model variable (weights, batch-norm statistics, the random-seed states of
  dropout and augmentation), the optimizer's state and the history so far — under ``build/checkpoints/``.
  Run the cell again after an interruption (Ctrl-C, a closed laptop, a killed process) and training goes on
  from the last finished epoch, with the same result bit for bit as an uninterrupted run: the data order of
  every epoch is a function of (seed, epoch) (:func:`helpers.pairs.epoch_order`), not of how often the data was read. A
  checkpoint belongs to one notebook's run: its parameters, the data set and data, the model, optimizer and
  loss configuration, the callbacks and the helpers' code; change any of them and training starts afresh.
- :meth:`TrainingRun.replay` loads the weights and the history that ``make refresh`` produced and committed
  in ``notebooks/trained/`` (verified against their SHA-256 sums) instead of training: ``TRAIN = False`` in a
  notebook, ``make run TRAIN=0``, and ``make test``, which sets ``COURSE_REPLAY=1``. Everything after the
  training cell is computed from them as usual. The files hold weights only; the model is rebuilt from code.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from helpers._checks import check_int
from helpers.artifacts import atomic_path, save_json

#: Where ``make refresh`` commits the trained weights and histories (beside the notebooks).
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "trained"
SUMS_FILE = "SHA256SUMS"
REPLAY_VARIABLE = "COURSE_REPLAY"  # "1": every training notebook loads the shipped weights (make test)
SHIP_VARIABLE = "COURSE_SHIP_DIR"  # set by `make refresh`: where finished runs put their weights for committing
FRESH_VARIABLE = "COURSE_FRESH"  # "1" (make refresh): train from scratch, never resume a checkpoint
PROGRESS_VARIABLE = "COURSE_PROGRESS_FILE"  # set by the runner: a file it shows on its terminal (headless runs)


class ReplayError(RuntimeError):
    """The shipped weights are missing, altered, or were trained with other parameters."""


def should_train(train: bool) -> bool:
    """The notebook's ``TRAIN`` parameter, unless ``COURSE_REPLAY=1`` asks for the shipped weights.

    >>> should_train(False)  # True trains, unless COURSE_REPLAY=1 (as under `make test`)
    False
    """
    if not isinstance(train, bool):
        raise TypeError(f"TRAIN: expected True or False, got {train!r}")
    return train and os.environ.get(REPLAY_VARIABLE, "0") != "1"


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
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (``sha256sum`` format)."""
    path = folder / SUMS_FILE
    if not path.is_file():
        return {}
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
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


class TrainingRun:
    """One training run of a notebook: ``fit`` (resumable) or ``replay`` (the shipped weights).

    ``name``: the model's file stem (``siamese_article``, ``twin_improved``, ``simclr``); ``params``: every
    parameter that changes the result (epochs, batch size, seed, learning rate ...). After either method,
    ``history`` is the per-epoch log (a dict of lists, as ``History.history``) and ``seconds`` the training
    time of the run that produced the weights.
    """

    def __init__(self, name: str, model, *, dataset: str, params: dict, build_dir: str | os.PathLike):
        self.name, self.model, self.dataset = name, model, dataset
        self.params = {k: params[k] for k in sorted(params)}
        self.build_dir = Path(build_dir)
        self.stem = f"{name}_{dataset}"
        self.checkpoint: Path | None = None  # known once fit() sees the data and callbacks
        self.history: dict[str, list[float]] = {}
        self.seconds = 0.0

    def _checkpoint_path(self, data, epochs: int, callbacks) -> Path:
        """A file name that changes with anything that changes the result: the notebook's run name, data set,
        parameters, the helpers' code, the model's and optimizer's configuration, the loss, the callbacks,
        and the data itself (its size and first batch). A checkpoint of any other run is never resumed."""
        import tensorflow as tf

        first = hashlib.sha256()
        for batch in data.take(1):
            for array in tf.nest.flatten(batch):
                first.update(np.ascontiguousarray(array.numpy()).tobytes())
        loss = getattr(self.model, "loss", None)
        optimizer = {k: v for k, v in self.model.optimizer.get_config().items() if k != "name"}
        key = {"name": self.name, "dataset": self.dataset, "params": self.params, "code": code_digest(),
               "model": _plain(_layer_configs(self.model)), "optimizer": _plain(optimizer),
               "loss": getattr(loss, "__name__", type(loss).__name__), "epochs": epochs,
               "callbacks": [type(c).__name__ for c in callbacks], "batches": int(data.cardinality()),
               "first_batch": first.hexdigest()}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        return self.build_dir / "checkpoints" / f"{self.stem}-{digest}.npz"

    # -- training ---------------------------------------------------------------------------------------
    def fit(self, data, *, epochs: int, validation_data=None, verbose: int | str | None = None, callbacks=(),
            **fit_kwargs) -> dict:
        """``model.fit(data, epochs=epochs, validation_data=...)``, resumed from the last finished epoch.

        ``data`` holds the batches of all ``epochs`` in order (e.g. :func:`helpers.pairs.pair_dataset` or
        :func:`helpers.pairs.image_dataset` with ``epochs=``), so that a resumed run skips exactly the epochs done.
        ``callbacks`` run before the checkpoint (e.g. ``EarlyStopping``); other keyword arguments go to ``fit``
        unchanged (e.g. ``validation_batch_size``).
        """
        steps = _steps_per_epoch(data, epochs)
        self.checkpoint = self._checkpoint_path(data, epochs, callbacks)
        if os.environ.get(FRESH_VARIABLE) == "1":  # make refresh: never resume an interrupted make run
            self.checkpoint.unlink(missing_ok=True)
        first_epoch = self._restore()
        where = f"{self.checkpoint.parent.name}/{self.checkpoint.name}"
        if not self.checkpoint.is_file():
            self._save_checkpoint(0)  # the starting state: a stop during epoch 1 resumes from here too
        elif first_epoch == 0:
            print(f"starting again from the state saved before epoch 1 ({where})", flush=True)
        else:
            print(f"resuming after epoch {first_epoch}/{epochs} from {where} "
                  f"({_format_seconds(self.seconds)} of training done)", flush=True)
        if first_epoch < epochs:
            headless = bool(os.environ.get(PROGRESS_VARIABLE))  # papermill: one line per epoch in the notebook
            verbose = (2 if headless else 1) if verbose is None else verbose
            callbacks = [*callbacks, _EpochCheckpoint(self, epochs), _Progress(epochs, steps, self.stem)]
            start, done = time.perf_counter(), self.seconds
            self.model.fit(data.skip(first_epoch * steps), epochs=epochs, initial_epoch=first_epoch,
                           steps_per_epoch=steps, validation_data=validation_data, shuffle=False,
                           callbacks=callbacks, verbose=verbose, **fit_kwargs)
            self.seconds = done + time.perf_counter() - start
        self._finish()
        return self.history

    def _state(self) -> dict[str, np.ndarray]:
        arrays = {f"model/{i}": np.asarray(v.numpy()) for i, v in enumerate(self.model.variables)}
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        arrays.update({f"optimizer/{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
        return arrays

    def _save_checkpoint(self, epoch: int) -> None:
        meta = json.dumps({"epoch": epoch, "history": self.history, "seconds": self.seconds})
        with atomic_path(self.checkpoint) as tmp:
            np.savez(tmp, meta=np.array(meta), **self._state())

    def _restore(self) -> int:
        """Load the checkpoint of this exact run, if any; return the number of finished epochs."""
        for stale in self.checkpoint.parent.glob(f"{self.stem}-*.npz"):
            if stale != self.checkpoint:  # other parameters or code: never resumed, so not kept
                stale.unlink(missing_ok=True)
        if not self.checkpoint.is_file():
            self.history, self.seconds = {}, 0.0
            return 0
        with np.load(self.checkpoint) as saved:
            meta = json.loads(str(saved["meta"]))
            model_vars, optimizer = self.model.variables, self.model.optimizer
            if not optimizer.built:
                optimizer.build(self.model.trainable_variables)
            targets = [(f"model/{i}", v) for i, v in enumerate(model_vars)]
            targets += [(f"optimizer/{i}", v) for i, v in enumerate(optimizer.variables)]
            if len(saved.files) - 1 != len(targets) or any(tuple(saved[k].shape) != tuple(v.shape) for k, v in targets):
                print(f"ignoring {self.checkpoint.name}: it does not fit this model", flush=True)
                self.checkpoint.unlink()
                self.history, self.seconds = {}, 0.0
                return 0
            for key, variable in targets:
                variable.assign(saved[key])
        self.history, self.seconds = meta["history"], float(meta["seconds"])
        return int(meta["epoch"])

    def _finish(self) -> None:
        """Save the final weights and history (build folder, and the shipping folder during `make refresh`)."""
        self.seconds = round(self.seconds, 1)  # as recorded, so that a replay prints the same number
        record = {"name": self.name, "dataset": self.dataset, "params": self.params, "history": self.history,
                  "training_seconds": self.seconds}
        for folder in _record_folders(self.build_dir):
            with atomic_path(folder / f"{self.stem}.weights.h5") as tmp:
                keras_name = tmp.with_name(tmp.name[: -len(".h5")] + ".weights.h5")  # Keras insists on the suffix
                try:
                    self.model.save_weights(keras_name)
                    os.replace(keras_name, tmp)
                finally:
                    keras_name.unlink(missing_ok=True)
            save_json(record, folder / f"{self.stem}.json")
        self.checkpoint.unlink(missing_ok=True)

    # -- replay -----------------------------------------------------------------------------------------
    def replay(self, folder: str | os.PathLike | None = None) -> dict:
        """Load the shipped weights and history of this run instead of training (seconds, not minutes)."""
        folder = SHIPPED_DIR if folder is None else Path(folder)
        record = json.loads(verified(folder, f"{self.stem}.json").read_text())
        if record["params"] != self.params:
            differ = {k: (record["params"].get(k), v) for k, v in self.params.items() if record["params"].get(k) != v}
            shown = ", ".join(f"{k}={new!r} (shipped: {old!r})" for k, (old, new) in differ.items())
            raise ReplayError(f"the shipped {self.stem} weights were trained with other parameters: {shown}. "
                              "Train instead (TRAIN = True).")
        weights = verified(folder, f"{self.stem}.weights.h5")
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not optimizer.built:  # as after fit: a model saved later loads cleanly
            optimizer.build(self.model.trainable_variables)
        if not self.model.built:
            from helpers.models import INPUT_SHAPE

            self.model.build((None, *INPUT_SHAPE))
        self.model.load_weights(weights)
        self.history, self.seconds = record["history"], float(record["training_seconds"])
        print(f"loaded the shipped weights of `make refresh` ({len(self.history['loss'])} epochs, "
              f"{_format_seconds(self.seconds)} of training there) from {folder.name}/{weights.name}")
        return self.history


def _record_folders(build_dir: str | os.PathLike) -> list[Path]:
    """Where a finished run saves its record: ``build/trained/``, and the shipping folder during `make refresh`."""
    folders = [Path(build_dir) / "trained"]
    if os.environ.get(SHIP_VARIABLE):
        folders.append(Path(os.environ[SHIP_VARIABLE]))
    return folders


def ship_record(stem: str, record: dict, build_dir: str | os.PathLike) -> None:
    """Save a run's measured numbers (a run that leaves no weights to replay, as notebook 15's) where
    :meth:`TrainingRun.fit` saves its record: ``build/trained/``, and the shipping folder during
    `make refresh`. ``record`` holds the run's ``params``; :func:`shipped_record` reads it back."""
    for folder in _record_folders(build_dir):
        save_json(record, folder / f"{stem}.json")


def shipped_record(stem: str, params: dict, folder: str | os.PathLike | None = None) -> dict:
    """The record :func:`ship_record` saved during `make refresh`, verified against its SHA-256 sum, and
    made with ``params`` (else :class:`ReplayError`)."""
    folder = SHIPPED_DIR if folder is None else Path(folder)
    record = json.loads(verified(folder, f"{stem}.json").read_text())
    if record.get("params") != params:
        raise ReplayError(f"the shipped {stem} record was made with other parameters ({record.get('params')}, "
                          f"not {params}). Run it instead (TRAIN = True).")
    return record


def _steps_per_epoch(data, epochs: int) -> int:
    import tensorflow as tf

    epochs = check_int(epochs, "epochs", 1)
    total = int(data.cardinality())
    if total == tf.data.INFINITE_CARDINALITY or total < 0:
        raise ValueError("data: expected a finite dataset holding every epoch's batches (pair_dataset or "
                         "image_dataset with epochs=...)")
    if total % epochs:
        raise ValueError(f"data: {total} batches do not split into {epochs} epochs; build it with epochs={epochs}")
    return total // epochs


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


class _EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch: extend the run's history and save the checkpoint (atomically)."""

    def __init__(self, run: TrainingRun, epochs: int):
        super().__init__()
        self.run, self.epochs = run, epochs
        self.started = time.perf_counter()
        self.done = run.seconds

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.run.history.setdefault(key, []).append(float(value))
        self.run.seconds = self.done + time.perf_counter() - self.started
        if epoch + 1 < self.epochs:
            self.run._save_checkpoint(epoch + 1)


class _Progress(keras.callbacks.Callback):
    """Headless runs (``make run``): a line every ~10 % of an epoch with the time left, appended to the file
    the runner shows on its terminal, so a slow machine never looks hung. The notebook itself keeps one line
    per epoch; in JupyterLab, Keras' own progress bar shows the same live."""

    def __init__(self, epochs: int, steps: int, label: str):
        super().__init__()
        self.epochs, self.steps, self.label = epochs, steps, label
        self.every = max(1, math.ceil(steps / 10))
        self.path = os.environ.get(PROGRESS_VARIABLE)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start = epoch, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if not self.path or (step % self.every and step != self.steps):
            return
        per_step = (time.perf_counter() - self.start) / step
        left = per_step * ((self.steps - step) + self.steps * (self.epochs - self.epoch - 1))
        with open(self.path, "a") as f:
            f.write(f"    {self.label}: epoch {self.epoch + 1}/{self.epochs}, step {step}/{self.steps}, "
                    f"about {_format_seconds(left)} of training left\n")


def copy_shipped(staging: Path, destination: Path = SHIPPED_DIR) -> list[str]:
    """Move the weights and histories a refreshed notebook produced into ``destination`` and rewrite its
    sums (`make refresh`, after the notebook ran to the end)."""
    destination.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted(staging.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            shutil.copyfile(path, destination / f".{path.name}.tmp")
            os.replace(destination / f".{path.name}.tmp", destination / path.name)
            moved.append(path.name)
    if moved:
        write_sums(destination)
    return moved
