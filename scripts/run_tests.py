#!/usr/bin/env python3
"""`make test`: the notebooks under nbval and the rest of the suite, as two pytest runs side by side.

    python scripts/run_tests.py --folder build/test

nbval runs copies of the committed notebooks, made in ``FOLDER/notebooks`` with their ``TRAIN`` parameter set
to False (papermill's ``--prepare-only``: a copy keeps every committed output, and gains one cell that sets
the parameter). So the training notebooks load the weights ``make refresh`` committed instead of training,
and everything the notebooks write goes to ``FOLDER/build`` (their ``BUILD_DIR``, ``../build``, is relative
to the copy): a learner's own ``build/`` is never touched. pytest keeps its temporary folders in
``FOLDER/tmp``, and the merged report is ``FOLDER/report.xml``. Every process the runs start gets
``TMPDIR=FOLDER/tmp/system``: what would land in /tmp (kernels' connection files, TensorFlow's generated code,
temporary files of the tools under test) stays in the test folder, and is removed at the end (a killed run's,
by the next run).

The notebooks must run one after the other in one pytest process (each reads what earlier ones built), and
their replay keeps both cores busy most of the time. The other tests (unit tests, doctests, and the
integration tests that start runners, servers and short trainings) never read what the notebooks build, and
alone they keep about 1.2 of 2 cores busy (measured: 344 s of wall time, 404 s of CPU time). Started
together, each fills the other's idle time.

Every line either run prints reaches the terminal as it comes, prefixed with the run's name. The exit status
is 0 only when both runs pass: a failure, an error, an interruption or a run that collected no test (pytest's
5) in either is a failure. Both JUnit reports are merged into ``--report`` (what ``make bench`` and
``benchmarks/bench_notebooks.py --report`` read). Each run is its own process group: Ctrl-C or a termination
reaches this script, which stops both runs the way Ctrl-C stops pytest (so nbval shuts its kernel down) and
then removes whatever they left. No run has a time limit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The two runs: name → pytest's arguments (paths relative to the project root). The notebooks' run prints
#: one line per cell (-v), so that a long replay shows progress; the other one line per test file.
#: Both at the same priority: lowering the other run's (through its session's autogroup, as Linux shares the
#: CPU between sessions) kept the notebooks' run at its solo speed but left the other run a long tail alone
#: (measured: 760 s in all, against 713 s at equal priority).
RUNS = {
    "notebooks": ["{folder}/notebooks", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                  "tests/nbval_sanitize.cfg", "-v", "-p", "no:cacheprovider", "--basetemp={folder}/tmp/notebooks"],
    "tests": ["tests", "--doctest-modules", "helpers", "solutions", "--basetemp={folder}/tmp/tests"],
}
#: The committed notebooks, and the parameters their test copies get (where a notebook declares them).
NOTEBOOKS = ROOT / "notebooks"
TEST_PARAMETERS = {"TRAIN": False}

#: pytest's exit statuses, for the summary line.
PYTEST_STATUS = {0: "passed", 1: "tests failed", 2: "interrupted", 3: "internal error", 4: "usage error",
                 5: "no tests collected"}


def describe(status: int) -> str:
    """A run's exit status in words.

    >>> describe(0), describe(5), describe(-9)
    ('passed', 'no tests collected', 'killed (signal 9)')
    """
    if status < 0:
        return f"killed (signal {-status})"
    return PYTEST_STATUS.get(status, f"exit status {status}")


def pytest_command(name: str, folder: Path, report: Path, extra: list[str]) -> list[str]:
    """The command line of run ``name`` (a key of :data:`RUNS`) for the test folder ``folder``, writing its
    JUnit XML to ``report``."""
    args = [arg.format(folder=folder) for arg in RUNS[name]]
    return [sys.executable, "-m", "pytest", *args, f"--junitxml={report}", *extra]


def prepare_notebooks(folder: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Copies of the committed notebooks in ``folder``, each with the :data:`TEST_PARAMETERS` it declares
    injected after its parameters cell and every committed output kept (what nbval compares against). The
    folder is emptied first: a copy of a notebook since renamed or removed is never tested."""
    import papermill as pm
    from run_notebooks import declared_parameters

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copies = []
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        params = {k: v for k, v in TEST_PARAMETERS.items() if k in declared_parameters(path)}
        copy = folder / path.name
        pm.execute_notebook(str(path), str(copy), parameters=params, prepare_only=True, kernel_name="python3",
                            progress_bar=False, log_output=False)
        copies.append(copy)
    return copies


def merge_reports(parts: dict[str, Path], out: Path, seconds: float | None = None) -> int:
    """Write the test suites of the JUnit XML files ``parts`` (run name → file; a missing file is skipped) into
    one file ``out``, atomically, each suite named after its run, and ``seconds`` (the wall time of both runs
    side by side) as the time of the whole; return how many test cases it holds."""
    merged = ET.Element("testsuites", {"name": "make test"})
    if seconds is not None:
        merged.set("time", f"{seconds:.3f}")
    for name, part in parts.items():
        if not part.is_file():
            continue
        root = ET.parse(part).getroot()
        for suite in root.iter("testsuite") if root.tag == "testsuites" else [root]:
            suite.set("name", name)
            merged.append(suite)
    from helpers.artifacts import atomic_path

    with atomic_path(out) as tmp:
        ET.ElementTree(merged).write(tmp, encoding="utf-8", xml_declaration=True)
    return sum(1 for _ in merged.iter("testcase"))


def combined_status(statuses: dict[str, int]) -> int:
    """0 when every run passed; otherwise the first run's non-zero status (5, no tests, counts as a failure).

    >>> combined_status({"notebooks": 0, "tests": 0}), combined_status({"notebooks": 0, "tests": 5})
    (0, 5)
    >>> combined_status({"notebooks": 1, "tests": 2})
    1
    """
    return next((status for status in statuses.values() if status != 0), 0)


def _relay(name: str, stream, width: int, lock: threading.Lock) -> None:
    for line in iter(stream.readline, ""):
        with lock:
            sys.stdout.write(f"{name:<{width}} | {line}")
            sys.stdout.flush()
    stream.close()


def _stop(processes: dict[str, subprocess.Popen]) -> dict[str, int]:
    """Stop the runs still going as Ctrl-C stops pytest (it tears down: nbval stops its kernel, fixtures end
    their servers); after a minute of teardown, kill whatever is left of each run's process group. Returns
    each run's exit status (pytest's 2 when it stopped by itself, negative when it had to be killed)."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60  # bounds only the teardown of a run that is being stopped
    for process in processes.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _kill_group(process)
        process.wait()
    return {name: process.returncode for name, process in processes.items()}


def _kill_group(process: subprocess.Popen) -> bool:
    """Kill what is left of the process group of ``process`` (its run's kernels and subprocesses, had
    teardown missed one); True if anything was."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True,
                        help="the test run's own folder: notebook copies, their build, temporary files, report.xml")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, for both runs (after --)")
    args = parser.parse_args(argv)

    width = max(map(len, RUNS))
    lock = threading.Lock()
    processes: dict[str, subprocess.Popen] = {}
    relays: list[threading.Thread] = []
    folder = args.folder.resolve()
    system_tmp = folder / "tmp" / "system"  # the runs' /tmp
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(system_tmp)}
    start = time.monotonic()

    def terminate(signum, frame):
        raise KeyboardInterrupt

    # Ctrl-C (as KeyboardInterrupt, even where this script was started with SIGINT ignored, as a shell's
    # background jobs are) and termination both stop the two runs; a handler, unlike an ignored signal, is
    # not inherited, so each pytest starts with Ctrl-C working and stops cleanly when forwarded one.
    previous = {sig: signal.signal(sig, handler) for sig, handler in ((signal.SIGTERM, terminate),
                                                                       (signal.SIGINT, signal.default_int_handler))}
    report = folder / "report.xml"
    prepare_notebooks(folder / "notebooks")
    shutil.rmtree(system_tmp, ignore_errors=True)  # what a killed `make test` left
    system_tmp.mkdir(parents=True)  # pytest makes each run's --basetemp, but not its parent (FOLDER/tmp)
    try:
        parts = {name: system_tmp / f"{name}.xml" for name in RUNS}
        try:
            for name in RUNS:
                command = pytest_command(name, folder, parts[name], args.pytest_args)
                processes[name] = subprocess.Popen(command, cwd=ROOT,
                                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                   text=True, bufsize=1, start_new_session=True)
                relay = threading.Thread(target=_relay, args=(name, processes[name].stdout, width, lock), daemon=True)
                relay.start()
                relays.append(relay)
            statuses = {name: process.wait() for name, process in processes.items()}
            interrupted = False
            for name, process in processes.items():
                if _kill_group(process):
                    with lock:
                        print(f"{name:<{width}} | note: processes its tests left running were stopped", flush=True)
        except KeyboardInterrupt:
            statuses, interrupted = _stop(processes), True
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for relay in relays:
                relay.join(timeout=10)  # a process started in another session may still hold the output open
        for name, status in statuses.items():
            print(f"{name:<{width}} | {describe(status)}")
        if interrupted:
            print("make test: interrupted; both runs stopped", file=sys.stderr)
            return 130
        elapsed = time.monotonic() - start
        cases = merge_reports(parts, report, elapsed)
    finally:
        shutil.rmtree(system_tmp, ignore_errors=True)
    status = combined_status(statuses)
    print(f"make test: {'passed' if status == 0 else 'FAILED'} in {elapsed:.0f} s "
          f"({cases} test results in {report})")
    return status


if __name__ == "__main__":
    sys.exit(main())
