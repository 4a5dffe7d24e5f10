"""A run interrupted while it writes an artifact (Ctrl-C, SIGTERM, even SIGKILL) never leaves a
half-written file where the artifact belongs, and the next write recovers cleanly."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from testkit import HANG_SECONDS

from helpers.artifacts import save_json

pytestmark = pytest.mark.integration  # real processes interrupted by real signals

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys, time
    from helpers.artifacts import atomic_path
    with atomic_path(sys.argv[1]) as tmp:
        with open(tmp, "w") as f:
            f.write('{"loss": [0.1, ')   # half of the new file ...
            f.flush()
            print("WRITING", flush=True)
            time.sleep(3600)              # ... when the signal arrives
            f.write('0.05]}')
""")


def as_in_a_terminal():
    """Ctrl-C reaches the child as it would from a terminal: a shell that starts this test suite in the
    background (``cmd &``, as some CI runners do) makes its children ignore SIGINT, and Python keeps that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_writing(target: Path) -> subprocess.Popen:
    """A process that has written half of ``target``'s new content (to its temporary file) and waits."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, preexec_fn=as_in_a_terminal,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "WRITING", proc.stderr.read()
    except BaseException:
        proc.kill()
        raise
    return proc


def as_a_background_job():
    """As a shell starts a background job (`make refresh &`, or a script with job control off): SIGINT ignored,
    which Python keeps unless told otherwise."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def interrupt_while_writing(target: Path, signum: int) -> subprocess.CompletedProcess:
    proc = start_writing(target)
    try:
        proc.send_signal(signum)
        proc.wait(timeout=HANG_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_write_keeps_the_old_artifact_and_leaves_no_temporary(tmp_path, signum):
    target = tmp_path / "history.json"
    save_json({"loss": [0.3]}, target)
    proc = interrupt_while_writing(target, signum)
    assert proc.returncode != 0
    assert json.loads(target.read_text()) == {"loss": [0.3]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]


def test_sigkill_leftover_is_hidden_and_removed_by_the_next_write(tmp_path):
    target = tmp_path / "history.json"
    save_json({"loss": [0.3]}, target)
    interrupt_while_writing(target, signal.SIGKILL)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "history.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".history.")  # hidden, not the artifact
    assert json.loads(target.read_text()) == {"loss": [0.3]}
    save_json({"loss": [0.2]}, target)  # the next run writes the artifact again ...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]  # ... and the leftover is gone
    assert json.loads(target.read_text()) == {"loss": [0.2]}


def test_a_save_leaves_the_temporary_file_of_a_writer_still_at_work(tmp_path):
    """Only a leftover of a writer that no longer runs is removed: a save used to delete the temporary file
    another process was still writing, which then lost its write."""
    target = tmp_path / "history.json"
    proc = start_writing(target)
    try:
        save_json({"loss": [0.2]}, target)
        others = [p.name for p in tmp_path.iterdir() if p.name != "history.json"]
        assert len(others) == 1 and others[0].startswith(".history.")  # still there, still being written
    finally:
        proc.terminate()
        proc.wait(timeout=HANG_SECONDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]  # the writer cleaned up when stopped
    assert json.loads(target.read_text()) == {"loss": [0.2]}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_interrupted_refresh_leaves_the_committed_notebook_as_it_was(tmp_path, signum):
    """`make refresh` stopped half-way (Ctrl-C, a CI job's SIGTERM, or SIGKILL) changes no notebook, leaves
    nothing where nbval or JupyterLab look (notebooks/), and says where it stopped in one line. It is started
    as a background job: Ctrl-C still stops it (it used to be ignored there)."""
    import nbformat

    started = tmp_path / "started"  # the slow cell is running (a notebook is saved only between cells)
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("STEPS = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"open({str(started)!r}, 'w').close()\nimport time\ntime.sleep(3600)"),
    ])
    book.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    path = notebooks / "01_slow.ipynb"
    nbformat.write(book, path)
    (notebooks / ".01_slow.k2j4x.ipynb").write_text("{}")  # what an older runner left when killed
    before = path.read_bytes()
    system_tmp = tmp_path / "system-tmp"  # this test's /tmp
    system_tmp.mkdir()
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--in-place",
                             "--notebooks-dir", str(notebooks)], cwd=ROOT, preexec_fn=as_a_background_job,
                            env={**os.environ, "TMPDIR": str(system_tmp)},
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while time.monotonic() < deadline:  # wait until the kernel runs the slow cell
            if started.exists():
                break
            time.sleep(0.2)
        else:
            pytest.fail("the notebook never started")
        if signum == signal.SIGKILL:
            os.killpg(proc.pid, signum)  # the runner and its kernel, as an out-of-memory kill would
        else:
            proc.send_signal(signum)
        output = proc.communicate(timeout=HANG_SECONDS)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert path.read_bytes() == before
    assert [p.name for p in notebooks.iterdir()] == ["01_slow.ipynb"]
    assert list(system_tmp.iterdir()) == []  # the kernel's connection file went to build/tmp/, even if killed
    if signum != signal.SIGKILL:
        assert "interrupted: notebooks/01_slow.ipynb, cell 1; the committed notebook is unchanged" in output
        assert "Traceback" not in output, output
        assert [p.name for p in (tmp_path / "build").iterdir()] == []  # its temporary folder is gone
