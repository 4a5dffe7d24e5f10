"""The package and its quiet TensorFlow start (helpers._quiet, helpers._tensorflow)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from testkit import HANG_SECONDS

from helpers._quiet import filter_noise, noise_pattern


def test_filter_noise_drops_only_known_info_lines():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.1 1 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        "I0000 00:00:1.2 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"
        "W0000 00:00:1.3 1 dataset.cc:997] Input of GeneratorDatasetOp::Dataset will not be optimized because the "
        "dataset does not implement the AsGraphDefInternal() method needed to apply optimizations.\n"
        "E0000 something genuinely broken\n"
        "W0000 00:00:1.4 1 dataset.cc:1] Input of MapDataset is broken\n"
    )
    kept = "E0000 something genuinely broken\nW0000 00:00:1.4 1 dataset.cc:1] Input of MapDataset is broken\n"
    assert filter_noise(text) == kept














FAKE_TENSORFLOW = """
import os
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on. You may see slightly different...\\n")
os.write(2, b"E0000 real_problem.cc:1] libsomething.so: cannot open shared object file\\n")
os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\\n")
"""
NODE_DEF = (b"E0000 00:00:1795984641.738675   15576 node_def_util.cc:682] NodeDef mentions attribute "
            b"use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; ...>\n")


def fake_tensorflow_command(tmp_path, after_import: str = "") -> list[str]:
    """A Python command with a stand-in `tensorflow` that writes TensorFlow's known lines and one real problem
    straight to file descriptor 2 (as TensorFlow's C++ code does) while it is imported, then `after_import`.
    Run it with :func:`fake_tensorflow_env`, which puts the stand-in first on the module path."""
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(FAKE_TENSORFLOW)
    code = ("import os, sys\n"
            "from helpers._quiet import import_tensorflow_quietly\n"
            "import_tensorflow_quietly(); import tensorflow\n"
            "print('imported', tensorflow.__file__.startswith(sys.argv[1]), flush=True)\n" + after_import)
    return [sys.executable, "-c", code, str(tmp_path)]


def fake_tensorflow_env(tmp_path) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}


def run_with_fake_tensorflow(tmp_path, after_import: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(fake_tensorflow_command(tmp_path, after_import), capture_output=True, text=True,
                          env=fake_tensorflow_env(tmp_path), timeout=HANG_SECONDS)


def test_import_tensorflow_quietly_drops_the_start_up_chatter_and_keeps_everything_else(tmp_path):
    result = run_with_fake_tensorflow(tmp_path)
    assert result.stdout.strip() == "imported True", result.stderr
    assert result.stderr == "E0000 real_problem.cc:1] libsomething.so: cannot open shared object file\n"


def test_lines_written_after_the_import_are_filtered_too_and_nothing_else_is_lost(tmp_path):
    """The harmless error-level line TensorFlow writes later (at the first predict) is dropped; a real
    error, a progress line without a newline and the last words before a normal exit all come through."""
    later = f"os.write(2, {NODE_DEF!r}); os.write(2, b'E0001 later.cc:9] real\\n')\nos.write(2, b'progress 50%')"
    result = run_with_fake_tensorflow(tmp_path, later)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["E0000 real_problem.cc:1] libsomething.so: cannot open shared object file",
                                          "E0001 later.cc:9] real", "progress 50%"]


def test_a_progress_line_without_newline_is_shown_while_the_process_runs(tmp_path):
    """Partial lines are forwarded when nothing follows, not held until a newline that may never come."""
    out, marker = tmp_path / "seen.txt", tmp_path / "done"
    script = (f"os.write(2, b'progress 50%')\n"
              f"import time\n"
              f"for _ in range(200):\n"
              f"    time.sleep(0.05)\n"
              f"    if os.path.exists({str(marker)!r}): break\n")
    with out.open("w") as seen:
        proc = subprocess.Popen(fake_tensorflow_command(tmp_path, script), stdout=subprocess.DEVNULL, stderr=seen,
                                env=fake_tensorflow_env(tmp_path))
        try:
            for _ in range(100):
                if out.read_text().endswith("progress 50%"):
                    break
                time.sleep(0.05)
            assert out.read_text().splitlines()[-1] == "progress 50%"  # while the writer is still running
            assert proc.poll() is None
        finally:
            marker.touch()
            proc.wait(timeout=HANG_SECONDS)


def test_the_last_lines_of_a_crashing_process_still_come_through(tmp_path):
    """os.abort() kills the process at once (as a C++ fatal error does): the filter, a process of its own,
    still forwards what was written just before."""
    result = run_with_fake_tensorflow(tmp_path, "os.write(2, b'F0000 fatal.cc:1] Check failed: last words\\n'); "
                                                "os.abort()")
    assert result.returncode == -signal.SIGABRT
    assert result.stderr.splitlines()[-1] == "F0000 fatal.cc:1] Check failed: last words"


def test_a_python_traceback_at_exit_comes_through(tmp_path):
    result = run_with_fake_tensorflow(tmp_path, "raise SystemError('a genuine failure')")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "SystemError: a genuine failure"


def test_the_cuinit_failure_is_dropped_only_where_there_is_no_gpu():
    line = "E0000 00:00:1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: UNKNOWN ERROR (303)\n"
    assert filter_noise(line, noise_pattern(gpu_present=False)) == ""
    assert filter_noise(line, noise_pattern(gpu_present=True)) == line


@pytest.mark.integration
def test_real_tensorflow_drops_its_harmless_runtime_errors_and_keeps_genuine_cpp_output():
    """The first predict after set_seed writes the NodeDef line, and the first operation the cuInit line on a
    machine without a GPU: neither comes through, while a genuine C++ warning (a cached dataset read only in
    part) and C++ output of the program itself (tf.print to stderr) do."""
    code = ("import sys, numpy as np, helpers, keras, tensorflow as tf\n"
            "from helpers.repro import set_seed\n"
            "set_seed(1)\n"
            "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
            "model.predict(np.zeros((8, 4), 'float32'), verbose=0)\n"
            "tf.print('genuine output of the program', output_stream=sys.stderr)\n"
            "list(tf.data.Dataset.range(10).cache().take(2))\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=HANG_SECONDS)
    assert result.returncode == 0, result.stderr
    assert "genuine output of the program" in result.stderr
    assert "did not fully read the dataset being cached" in result.stderr
    assert "use_unbounded_threadpool" not in result.stderr
    if noise_pattern().search("failed call to cuInit"):  # no NVIDIA device here (with one, it would be shown)
        assert "cuInit" not in result.stderr


def test_the_package_lists_and_describes_every_public_module():
    import pkgutil

    import helpers

    public = sorted(m.name for m in pkgutil.iter_modules(helpers.__path__) if not m.name.startswith("_"))
    assert sorted(helpers.__all__) == public
    for name in public:
        assert f":mod:`helpers.{name}`" in helpers.__doc__, name


def test_importing_the_package_its_parameters_or_its_artifacts_loads_no_tensorflow():
    """`import helpers` is light: the runner checks parameters and writes files without TensorFlow's seconds
    of start-up; the modules that need TensorFlow start it themselves."""
    code = ("import sys, helpers, helpers.parameters, helpers.artifacts\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_SECONDS)
    assert result.returncode == 0 and result.stdout.strip() == "[]", (result.stdout, result.stderr)


def test_predicting_many_batch_shapes_logs_no_retracing_notice_and_other_warnings_still_show():
    """Embedding sets of several sizes (notebook 17 embeds 300 references, then 3,011 test images, with three
    models) retraces Keras' predict step for each new batch shape; TensorFlow then logs a "triggered
    tf.function retracing" notice into the cell's output. That notice is dropped; any other warning is kept."""
    import helpers._tensorflow  # noqa: F401

    import logging

    import keras
    import numpy as np
    import tensorflow as tf

    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        references, tests = np.zeros((300, 3), np.float32), np.zeros((3011, 3), np.float32)
        twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        for x in (references, tests):  # the untrained twin's embeddings
            twin.predict(x, batch_size=1024, verbose=0)
        twin.compile(optimizer="adam", loss="mse")  # a new predict step after compile
        other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        for model in (twin, other):
            for x in (references, tests):
                model.predict(x, batch_size=1024, verbose=0)
        tf.get_logger().warning("a genuine warning")
    finally:
        tf.get_logger().removeHandler(handler)
    assert seen == ["a genuine warning"], seen
