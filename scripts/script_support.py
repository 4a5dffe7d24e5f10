"""What the training scripts (``margin_sweep.py``, ``ablation.py``) share: the command line they record in
their JSON, and progress lines during minutes of training. Kept free of TensorFlow at import, so that a
script's ``--help`` answers at once."""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command_line(script: str, argv: list[str] | None) -> str:
    """The command as typed from the project root (``script``'s path relative to it, not absolute)."""
    relative = Path(script).resolve().relative_to(ROOT).as_posix()
    return shlex.join(["python", relative, *(sys.argv[1:] if argv is None else argv)])


def mnist_splits():
    """MNIST's training, validation and test sets, preprocessed and split as the notebooks split them:
    ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``. Loads TensorFlow (through ``helpers``)."""
    from helpers.data import load_dataset, preprocess, split_validation

    (x_full, y_full), (x_test, y_test) = load_dataset("mnist", verbose=False)
    (x_train, y_train), (x_val, y_val) = split_validation(x_full, y_full)
    return (preprocess(x_train), y_train), (preprocess(x_val), y_val), (preprocess(x_test), y_test)


def check_budget(parser, args) -> None:
    """What every script that trains notebook 12's twin checks of its budget, as ``parser`` errors (one line,
    before anything loads): whole ``--epochs`` and ``--batch-size`` of at least 1, an even batch size (pair
    batches hold half as many pairs), and at least one batch of ``--train-images``."""
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a whole number >= 1, got {getattr(args, name)}")
    if args.batch_size % 2:
        parser.error(f"--batch-size: expected an even number (pair batches hold half as many pairs), got "
                     f"{args.batch_size}")
    if args.train_images is not None and args.train_images < args.batch_size:
        parser.error(f"--train-images: expected at least one batch ({args.batch_size}), got {args.train_images}")


def progress_callback(label: str, total_batches: int):
    """A Keras callback printing one line per quarter of the training (batches done, seconds, loss), so that a
    run of minutes never looks hung."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.done = time.perf_counter(), 0

        def on_train_batch_end(self, batch, logs=None):
            self.done += 1
            if self.done % max(1, total_batches // 4) == 0 and self.done < total_batches:
                print(f"  {label}: {self.done}/{total_batches} batches, "
                      f"{time.perf_counter() - self.start:.0f} s, loss {logs['loss']:.4f}", flush=True)

    return Progress()


def report_header(script: str, argv: list[str] | None, seed: int, model: str) -> dict:
    """The first keys of a training script's JSON: data set (MNIST), model, the command and the seed."""
    return {"dataset": "mnist", "model": model, "command": command_line(script, argv), "seed": seed}


def write_report(report: dict, out: Path, wall_start: float) -> dict:
    """Add the versions, the CPU count and the wall time to ``report``, write it to ``out`` (atomically, no
    date: two runs compare with a plain diff), say so, and return it."""
    import keras
    import numpy as np
    import tensorflow as tf

    from helpers.artifacts import save_json

    report.update(versions={"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
                            "python": platform.python_version()},
                  cpu_count=os.cpu_count(), wall_seconds=round(time.perf_counter() - wall_start, 1))
    path = save_json(report, out)
    print(f"saved {path} ({report['wall_seconds']:.0f} s in all)", flush=True)
    return report
