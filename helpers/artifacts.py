"""Files the course writes (models, histories, metrics, figures), always atomically.

Everything is written to a temporary file in the destination folder and then renamed over the target
(``os.replace`` is atomic on POSIX and Windows), so an interrupted run leaves either the old complete
file or the new complete file — never half of one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

#: Set by the runner (``scripts/run_notebooks.py``) for the kernels it starts: a file in the build folder where a
#: headless training appends its progress, which the runner shows on its terminal.
PROGRESS_VARIABLE = "COURSE_PROGRESS_FILE"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an exception so that clean-up code runs (as it does for Ctrl-C's SIGINT)."""


def _raise_terminated(signum, frame):
    raise Terminated(f"terminated by signal {signum}")


@contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` instead of killing the process outright.

    Only possible in the main thread (elsewhere the block runs unchanged). SIGKILL cannot be caught; what
    it leaves behind is an invisible temporary file, removed by the next write of the same target once the
    killed process is gone.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def is_running(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (another user's counts; a zombie still counts until
    its parent reaps it).

    >>> import os
    >>> is_running(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to another user
        pass
    return True


def _dead_writers_temporaries(target: Path) -> list[Path]:
    """Temporaries of exactly ``target`` (never those of ``a.b.json`` when the target is ``a.json``) whose
    writer, named by the process id in the file name, no longer runs: what a SIGKILL left. Another writer's
    file, still being written, is never among them."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)-[0-9a-f]{8}" + re.escape(f".tmp{target.suffix}"))
    stale = []
    for path in target.parent.glob(f".{glob_escape(target.name)}.*.tmp{glob_escape(target.suffix)}"):
        match = pattern.fullmatch(path.name)
        if match and not is_running(int(match.group(1))):
            stale.append(path)
    return stale


def _new_temporary(target: Path) -> Path:
    """A new, empty, hidden file beside ``target``, keeping its suffix (Keras and matplotlib read it), named
    with this process's id and a random token: unique to this writer. Created with mode 0666, so the process
    umask applies as to any new file (no need to read the umask)."""
    import secrets

    while True:
        tmp = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{target.suffix}"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (same suffix); rename it onto ``target`` on success.

    On an exception — Ctrl-C and SIGTERM included — the temporary file is removed and ``target`` is left
    untouched. Each writer's temporary file carries its process id: leftovers of the same target whose
    process no longer runs (killed with SIGKILL) are removed first, while another writer's file, still being
    written, is left alone (of two writers, the last rename wins, whole). They are hidden dot-files and never
    mistaken for the artifact itself.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in _dead_writers_temporaries(target):
        stale.unlink(missing_ok=True)
    with sigterm_as_exception():
        tmp_path = _new_temporary(target)
        try:
            yield tmp_path
            os.replace(tmp_path, target)
        finally:
            tmp_path.unlink(missing_ok=True)


def _existing(path: str | os.PathLike, produced_by: str | None) -> Path:
    """``path`` if it is a file; otherwise an error naming what produces it (no local path in the text)."""
    path = Path(path)
    if not path.is_file():
        hint = f" Run {produced_by} first." if produced_by else ""
        raise FileNotFoundError(f"{path.name} not found in '{path.parent.name}/'.{hint}")
    return path


def save_json(data: Any, path: str | os.PathLike) -> Path:
    """Write ``data`` as indented JSON, atomically. Returns the path."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def load_json(path: str | os.PathLike, *, produced_by: str | None = None) -> Any:
    """Read JSON written by :func:`save_json`; a missing or corrupt file is an error naming the file (and
    what produces it)."""
    path = _existing(path, produced_by)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        hint = f" Run {produced_by} again to rewrite it." if produced_by else ""
        raise ValueError(f"{path.name} in '{path.parent.name}/' is not valid JSON ({exc}).{hint}") from None


def _sha256_of(path: Path) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def save_arrays(path: str | os.PathLike, *, source: str | os.PathLike, **arrays) -> Path:
    """Save NumPy ``arrays`` computed from the file ``source`` (e.g. embeddings by a saved model) in one ``.npz``
    with ``source``'s SHA-256, atomically: :func:`load_arrays` returns them only while ``source`` is unchanged."""
    import numpy as np

    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path: arrays are saved as '.npz' files, got '{path.name}'")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, source_sha256=np.array(_sha256_of(_existing(source, None))), **arrays)
    return path


def load_arrays(path: str | os.PathLike, *, source: str | os.PathLike, produced_by: str | None = None) -> dict:
    """The arrays :func:`save_arrays` saved from ``source`` as it is now. A missing or corrupt file, or one
    computed from another version of ``source`` (a model trained again since), is an error naming what to run."""
    import zipfile

    import numpy as np

    path, source = _existing(path, produced_by), _existing(source, None)
    hint = f" Run {produced_by} again to rewrite it." if produced_by else ""
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path.name} in '{path.parent.name}/' cannot be read ({exc}).{hint}") from None
    if str(arrays.pop("source_sha256", "")) != _sha256_of(source):
        raise ValueError(f"{path.name} in '{path.parent.name}/' was computed from another version of "
                         f"{source.name}.{hint}")
    return arrays


def save_model(model, path: str | os.PathLike) -> Path:
    """``model.save`` to a ``.keras`` file, atomically. A compiled model whose optimizer has not taken a step
    (weights loaded, not trained) gets its optimizer built first, so that the file loads as a trained one does:
    without a warning that the optimizer's state could not be loaded."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path: Keras 3 saves whole models as '.keras' files, got '{path.name}'")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def load_model(path: str | os.PathLike, *, produced_by: str | None = None):
    """Load a ``.keras`` model saved by :func:`save_model` (custom helpers layers and losses included)."""
    import keras

    import helpers.losses  # noqa: F401  (registers the custom objects)
    import helpers.models  # noqa: F401

    return keras.models.load_model(_existing(path, produced_by))


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save a matplotlib figure (format from the suffix: ``.png``, ``.svg``, ``.pdf`` ...), atomically."""
    path = Path(path)
    formats = fig.canvas.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise ValueError(f"path: '{path.name}' needs a figure suffix ({', '.join('.' + f for f in sorted(formats))})")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return path
