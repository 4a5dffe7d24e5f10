"""What the training scripts (``margin_sweep.py``, ``ablation.py``) share: the command line they record in
their JSON, and progress lines during minutes of training. Kept free of TensorFlow at import, so that a
script's ``--help`` answers at once."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command_line(script: str, argv: list[str] | None) -> str:
    """The command as typed from the project root (``script``'s path relative to it, not absolute)."""
    relative = Path(script).resolve().relative_to(ROOT).as_posix()
    return shlex.join(["python", relative, *(sys.argv[1:] if argv is None else argv)])


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
