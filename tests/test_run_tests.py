"""scripts/run_tests.py, behind `make test`: two pytest runs side by side, one verdict, one report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import run_tests
from testkit import HANG_SECONDS

SCRIPTS = Path(run_tests.__file__).resolve().parent
ROOT = SCRIPTS.parent


def _junit(path: Path, *names: str) -> Path:
    cases = "".join(f'<testcase classname="t" name="{name}" time="1.5"/>' for name in names)
    path.write_text(f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{len(names)}">{cases}'
                    "</testsuite></testsuites>")
    return path


def test_merged_report_holds_every_case_of_both_runs_and_skips_a_missing_one(tmp_path):
    parts = {"notebooks": _junit(tmp_path / "a.xml", "x", "y"), "lost": tmp_path / "never-written.xml",
             "tests": _junit(tmp_path / "b.xml", "z")}
    out = tmp_path / "build" / "test-report.xml"
    assert run_tests.merge_reports(parts, out, seconds=12.5) == 3
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and root.get("time") == "12.500"  # both runs' wall time, side by side
    assert [suite.get("name") for suite in root.findall("testsuite")] == ["notebooks", "tests"]
    assert [case.get("name") for case in root.iter("testcase")] == ["x", "y", "z"]
    assert [p.name for p in out.parent.iterdir()] == ["test-report.xml"]  # no temporary file left


def test_one_verdict_from_two_runs_and_each_status_in_words():
    # (the script's doctests say the same; `make test` collects doctests from helpers and solutions only)
    assert run_tests.combined_status({"notebooks": 0, "tests": 0}) == 0
    assert run_tests.combined_status({"notebooks": 0, "tests": 5}) == 5  # no tests collected is a failure
    assert run_tests.combined_status({"notebooks": 1, "tests": 2}) == 1
    assert [run_tests.describe(s) for s in (0, 2, 5, 7, -9)] == [
        "passed", "interrupted", "no tests collected", "exit status 7", "killed (signal 9)"]


def _suite(folder: Path, body: str) -> str:
    folder.mkdir()
    if body:
        (folder / "test_it.py").write_text(textwrap.dedent(body))
    return str(folder)


@pytest.mark.integration
@pytest.mark.parametrize("second, status", [("def test_ok():\n    pass\n", 0),
                                            ("def test_broken():\n    assert 1 == 2\n", 1),
                                            ("", 5)])  # a run that collects nothing fails too
def test_make_test_passes_only_when_both_runs_pass(second, status, tmp_path, monkeypatch, capsys):
    """Also: what the runs leave in their temporary folder (here a test's mkstemp, elsewhere kernels' connection
    files, TensorFlow's generated code) stays in the test folder and is removed, never left in /tmp (this test's
    system-tmp)."""
    leaves_a_file = "import tempfile\ndef test_a():\n    tempfile.mkstemp(prefix='left-')\n"
    monkeypatch.setattr(run_tests, "RUNS", {"notebooks": [_suite(tmp_path / "a", leaves_a_file)],
                                            "tests": [_suite(tmp_path / "b", second)]})
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    report = tmp_path / "test" / "report.xml"
    assert run_tests.main(["--folder", str(tmp_path / "test")]) == status
    out = capsys.readouterr().out
    assert "notebooks | " in out and "tests     | " in out  # every line says which run printed it
    assert ("make test: passed" in out) == (status == 0)
    assert sum(1 for _ in ET.parse(report).getroot().iter("testcase")) == (2 if second else 1)
    assert list(system_tmp.iterdir()) == []
    assert not any(path.name.startswith("left-") for path in (tmp_path / "test").rglob("*"))


RUNNER = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell's background job starts: Ctrl-C ignored
    import run_tests
    hang = sys.argv[1]
    run_tests.RUNS = {"notebooks": [hang], "tests": [hang]}
    sys.exit(run_tests.main(["--folder", sys.argv[2]]))
""")

HANG = textwrap.dedent("""
    import os, subprocess, sys, time
    def test_hangs(tmp_path_factory):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(os.environ["PIDS"], "a") as f:
            f.write(f"{os.getpid()} {child.pid}\\n")
        time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[1].startswith("Z"))  # a zombie is gone


@pytest.mark.integration
def test_a_terminated_make_test_stops_both_runs_and_everything_they_started(tmp_path):
    hang, pids = _suite(tmp_path / "hang", HANG), tmp_path / "pids"
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, hang, str(tmp_path / "test")], cwd=SCRIPTS,
                              env={**os.environ, "PIDS": str(pids)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    deadline = time.monotonic() + HANG_SECONDS
    while not (pids.exists() and len(pids.read_text().splitlines()) == 2):
        assert runner.poll() is None and time.monotonic() < deadline, runner.communicate()
        time.sleep(0.2)
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=HANG_SECONDS)
    assert runner.returncode == 130, (out, err)
    assert "interrupted; both runs stopped" in err
    assert "notebooks | interrupted" in out and "tests     | interrupted" in out  # each pytest stopped itself
    started = [int(pid) for line in pids.read_text().splitlines() for pid in line.split()]
    assert len(started) == 4 and not any(_alive(pid) for pid in started)  # both pytests and their children



def test_the_notebooks_are_tested_as_copies_that_replay_and_keep_every_committed_output(tmp_path):
    """make test runs nbval on copies in its own folder, with TRAIN = False injected where a notebook declares
    it: the committed notebooks and a learner's build/ are never written to."""
    import json

    copies = run_tests.prepare_notebooks(tmp_path / "notebooks")
    committed = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [c.name for c in copies] == [c.name for c in committed]
    for original, copy in zip(committed, copies):
        ours, theirs = json.loads(copy.read_text()), json.loads(original.read_text())
        injected = [c for c in ours["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        declares_train = any("TRAIN = " in "".join(c["source"]) for c in theirs["cells"]
                             if "parameters" in c["metadata"].get("tags", []))
        assert ["".join(c["source"]).strip() for c in injected] == (["# Parameters\nTRAIN = False"]
                                                                     if declares_train else [])
        kept = [c for c in ours["cells"] if c not in injected]
        assert [c.get("outputs") for c in kept] == [c.get("outputs") for c in theirs["cells"]]


LEARNER_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": 1, "id": "p", "metadata": {"tags": ["parameters"]}, "outputs": [],
         "source": ["TRAIN = True\n", "BUILD_DIR = \"../build\""]},
        {"cell_type": "code", "execution_count": 2, "id": "w", "metadata": {},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["wrote\n"]}],
         "source": ["from pathlib import Path\n",
                    "Path(BUILD_DIR).mkdir(exist_ok=True)\n",
                    "(Path(BUILD_DIR) / 'history.json').write_text('trained' if TRAIN else 'replayed')\n",
                    "print('wrote')"]},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@pytest.mark.integration
def test_make_test_leaves_a_learners_build_folder_as_it_was(tmp_path):
    """A learner trains (build/ holds their run), then runs make test: nbval executes its copies, whose
    ../build is the test folder's, and every file of the learner's build/ keeps its bytes."""
    import hashlib
    import json

    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "notebooks" / "01_write.ipynb").write_text(json.dumps(LEARNER_NOTEBOOK))
    learner = project / "build"
    (learner / "trained").mkdir(parents=True)
    (learner / "history.json").write_text("the learner's own 2-epoch run")
    (learner / "trained" / "weights.h5").write_bytes(b"\x00learner")

    def sums():
        return {p.relative_to(learner): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(learner.rglob("*")) if p.is_file()}

    before = sums()
    folder = tmp_path / "test"
    run_tests.prepare_notebooks(folder / "notebooks", project / "notebooks")
    result = subprocess.run(run_tests.pytest_command("notebooks", folder, folder / "report.xml", []), cwd=ROOT,
                            capture_output=True, text=True, timeout=HANG_SECONDS)
    assert result.returncode == 0, result.stdout[-2000:]
    assert sums() == before
    assert (folder / "build" / "history.json").read_text() == "replayed"
