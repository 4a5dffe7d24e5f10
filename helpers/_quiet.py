"""Import TensorFlow without its informational start-up chatter.

TensorFlow writes a few informational lines straight to file descriptor 2 while it loads, before its own
log level applies ("All log messages before absl::InitializeLog() ...", "oneDNN custom operations are on",
"Could not find cuda drivers"). In a notebook they show up as red stderr text in every run, and nbval
compares stderr. We capture descriptor 2 during the import only, drop exactly those known lines, and
write anything else back to ``sys.stderr`` so that a real problem is never hidden.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

# Informational lines TensorFlow prints while loading; anything else passes through.
_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|Unable to register cu(FFT|DNN|BLAS) factory"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions"
)


def filter_noise(text: str) -> str:
    """Return ``text`` without TensorFlow's known start-up info lines.

    >>> filter_noise("I0000 port.cc:153] oneDNN custom operations are on.\\nreal problem\\n")
    'real problem\\n'
    """
    return "".join(line for line in text.splitlines(keepends=True) if not _NOISE.search(line))


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (idempotent), keeping only the start-up lines that matter.

    Also sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless the user chose a level: on a machine without a GPU,
    TensorFlow otherwise logs "failed call to cuInit" at the first operation. Python exceptions are
    unaffected; set ``TF_CPP_MIN_LOG_LEVEL=0`` before importing to see every C++ log line.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    # TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI/BF16, AVX-VNNI or AMX;
    # on AVX2-only CPUs (most laptops) it falls back to slower Eigen kernels: with oneDNN on, the article's
    # training ran about 1.5x faster in an emulation of such a CPU (benchmarks/bench_cpu.py). Same mathematics,
    # other round-off.
    # Must be set before TensorFlow loads; TF_ENABLE_ONEDNN_OPTS=0 in the environment still turns it off.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
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
