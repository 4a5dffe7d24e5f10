"""Import TensorFlow without its known harmless C++ lines, and let every other line through.

TensorFlow's C++ code writes straight to file descriptor 2, past Python's ``sys.stderr``: a few informational
lines while it loads ("All log messages before absl::InitializeLog() ...", "oneDNN custom operations are on",
"Could not find cuda drivers"), and later, once per process, two error-level lines that are not errors here:
"failed call to cuInit" at the first operation on a machine without an NVIDIA GPU, and "NodeDef mentions
attribute use_unbounded_threadpool" at the first Keras ``predict`` on arrays once op determinism is on (Keras's
data pipeline passes an attribute this TensorFlow build's op definition lacks); and, under a ``MirroredStrategy``
(notebook 15), a warning that the input pipeline's generator cannot be optimised. In a notebook they show up as
red stderr text, and nbval compares stderr.

So descriptor 2 is routed, for the life of the process, through a small filter process that drops exactly
those lines (:data:`_NOISE`, matched line by line) and forwards everything else at once: other C++ warnings and
errors, Python tracebacks, progress text without a newline (forwarded when nothing follows within 50 ms).
Being a separate process, the filter still forwards the last lines of a process that crashes (an abort, a
segfault): it drains the pipe until every writer is gone. TensorFlow's C++ log level stays at its own default
for warnings and errors; only its informational (``I``) lines are off, unless ``TF_CPP_MIN_LOG_LEVEL`` is set.
"""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Lines TensorFlow prints that say nothing a learner needs; anything else passes through.
_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|Unable to register cu(FFT|DNN|BLAS) factory"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions"
    r"|NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition"
    r"|Input of GeneratorDatasetOp::Dataset will not be optimized because the dataset does not implement"
)
# Only where there is no NVIDIA device: with one, a failed cuInit is the reason the GPU goes unused.
_NO_GPU_NOISE = r"|failed call to cuInit"

# The filter process: standard library only, started with -I -S (nothing from the user's site or the
# working directory). It ignores Ctrl-C and runs in its own session, so interrupting a notebook or a script
# never cuts off its stderr; it ends when every writer has closed the pipe.
_FILTER = r"""
import os, re, select, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
noise = re.compile(sys.argv[1].encode())
pending = b""

def emit(data):
    while data:
        data = data[os.write(1, data):]

try:
    while True:
        if pending and not select.select([0], [], [], 0.05)[0]:
            if not noise.search(pending):  # a line still being written (a progress bar): show it now
                emit(pending)
            pending = b""
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        emit(b"".join(line + b"\n" for line in lines if not noise.search(line)))
    if pending and not noise.search(pending):
        emit(pending)
except BrokenPipeError:  # whoever read our output is gone
    pass
"""

_installed_in: int | None = None  # the process id that routed its descriptor 2 through the filter


def noise_pattern(gpu_present: bool | None = None) -> re.Pattern[str]:
    """The lines to drop: :data:`_NOISE`, plus the cuInit failure when this machine has no NVIDIA device.

    >>> bool(noise_pattern(gpu_present=False).search("E0000 cuda_platform.cc:52] failed call to cuInit: ..."))
    True
    >>> bool(noise_pattern(gpu_present=True).search("E0000 cuda_platform.cc:52] failed call to cuInit: ..."))
    False
    """
    if gpu_present is None:
        gpu_present = any(Path("/dev").glob("nvidia[0-9]*")) or Path("/dev/dxg").exists()  # Linux; WSL
    return re.compile(_NOISE.pattern + ("" if gpu_present else _NO_GPU_NOISE))


def filter_noise(text: str, pattern: re.Pattern[str] | None = None) -> str:
    """Return ``text`` without the lines ``pattern`` (default :func:`noise_pattern`) matches.

    >>> filter_noise("I0000 port.cc:153] oneDNN custom operations are on.\\nreal problem\\n")
    'real problem\\n'
    """
    pattern = pattern or noise_pattern()
    return "".join(line for line in text.splitlines(keepends=True) if not pattern.search(line))


def _same_file(fd: int, stat: os.stat_result) -> bool:
    try:
        now = os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (stat.st_dev, stat.st_ino)


def route_stderr_through_filter() -> bool:
    """Route file descriptor 2 through the filter process for the rest of this process (once; POSIX only).

    Returns whether descriptor 2 is now filtered. At exit, descriptor 2 is given back and the filter is
    waited for, so the last lines come out before the process ends, unless something else (pytest's
    capture, for one) has meanwhile put its own file there, which is then left alone.
    """
    global _installed_in
    if _installed_in == os.getpid():
        return True
    if os.name != "posix":
        return False
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all
        return False
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FILTER, noise_pattern().pattern],
                                 stdin=read_end, stdout=saved, stderr=saved, start_new_session=True)
    except OSError:
        for fd in (saved, read_end, write_end):
            os.close(fd)
        return False
    os.close(read_end)
    if sys.stderr is not None:
        sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)
    _installed_in = os.getpid()
    atexit.register(_give_back, saved, os.fstat(2), child, os.getpid())
    return True


def _give_back(saved: int, pipe: os.stat_result, child: subprocess.Popen, pid: int) -> None:
    if os.getpid() != pid:  # a forked child exiting: the filter is its parent's
        return
    if sys.stderr is not None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    if _same_file(2, pipe):
        os.dup2(saved, 2)  # closes our end of the pipe: the filter reads to the end and stops
    os.close(saved)
    try:
        child.wait(timeout=5)  # processes we started may still hold the pipe: they keep their stderr
    except subprocess.TimeoutExpired:
        pass


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (idempotent) with descriptor 2 routed through the noise filter.

    Where the filter cannot run (not POSIX), the import itself is captured and filtered instead, and the
    lines TensorFlow writes later come through unfiltered.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # informational C++ lines off; warnings, errors on
    # TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI/BF16, AVX-VNNI or AMX;
    # on AVX2-only CPUs (most laptops) it falls back to slower Eigen kernels: with oneDNN on, the article's
    # training ran about 1.5x faster in an emulation of such a CPU (benchmarks/bench_cpu.py). Same mathematics,
    # other round-off.
    # Must be set before TensorFlow loads; TF_ENABLE_ONEDNN_OPTS=0 in the environment still turns it off.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    if route_stderr_through_filter() or "tensorflow" in sys.modules:
        import tensorflow  # noqa: F401

        return
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (embedded interpreters)
        import tensorflow  # noqa: F401

        return
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), fd)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            captured.seek(0)
            rest = filter_noise(captured.read().decode("utf-8", errors="replace"))
            if rest:
                sys.stderr.write(rest)
