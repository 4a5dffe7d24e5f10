#!/usr/bin/env python3
"""Execute the numbered notebooks headless with papermill, in order, stopping at the first failure.

    python scripts/run_notebooks.py                       # executed copies → build/executed/
    python scripts/run_notebooks.py -p EPOCHS 1           # override a parameter where a notebook has it
    python scripts/run_notebooks.py --only 08 09          # a subset, by number prefix
    python scripts/run_notebooks.py -p TRAIN false        # load the shipped weights instead of training
    python scripts/run_notebooks.py --in-place            # refresh the committed notebooks' outputs

Parameters are passed only to notebooks whose ``parameters`` cell declares them; a name that no notebook
declares is an error (a typo would otherwise be silently ignored). ``--in-place`` takes no parameters:
committed notebooks always show a run with their own defaults.

Nothing half-written: papermill saves the executed copy after every cell, to a hidden temporary file beside
``NN_name.ipynb``, which becomes ``NN_name.ipynb`` only when the notebook ran to the end. A notebook that failed
or was interrupted leaves its copy, to look at, as ``FAILED-NN_name.ipynb`` or ``INTERRUPTED-NN_name.ipynb``
(when it is readable; the next run of that notebook removes it). A refreshed notebook (``--in-place``) is
written only after it ran to the end, with papermill's metadata stripped; then the files it created or changed
in ``build/trained/`` are copied to ``notebooks/trained/`` with their SHA-256 sums (a refresh may resume the
checkpoint of an interrupted ``make run``: resuming is bit for bit the same as not stopping).

Nothing in /tmp: the runner's temporary files, and the kernels' (their ``TMPDIR``: connection files,
TensorFlow's generated code), are kept in ``build/tmp/run-PID-...``, removed at the end (a killed run's, by
the next run). Every failure is one line: the notebook and cell, what happened, what to do (a cell's error, a
kernel killed by the system, a full disk, a build folder deleted during the run). Ctrl-C and SIGTERM stop a
run with one line too, also where it was started as a background job (``make run &``, which ignores Ctrl-C).

No cell has a time limit by default: a slow CPU must not trip one. Training prints its progress (with the
time left) on this terminal, so a long cell never looks hung; ``--timeout SECONDS`` sets a limit if wanted.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from helpers import parameters  # the standard library only: a bad value is refused before anything heavy loads

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def parse_value(text: str):
    """'5' → 5, '0.1' → 0.1, 'true' → True, 'null' → None, anything else stays a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def declared_parameters(path: Path) -> set[str]:
    """The names assigned in a notebook's ``parameters`` cell (read as JSON and Python syntax: no kernel,
    no papermill, so it costs milliseconds)."""
    import ast

    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse("".join(cell["source"]))
            return {target.id for node in tree.body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
    return set()


def check_parameters(overrides: dict) -> list[str]:
    """One message per parameter value that cannot work (empty list: all fine)."""
    return parameters.problems(overrides)


def check_data(dataset: str) -> str | None:
    """Load and verify the data set once before any notebook runs: a missing or corrupt file stops the
    series with its one-line cause and remedy, before anything in the build folder is touched."""
    from helpers.data import DatasetError, dataset_spec, load_dataset

    try:
        load_dataset(dataset, verbose=False)
    except DatasetError as exc:
        return f"{dataset_spec(dataset).title}: {exc}"
    return None


def _interrupted(nb: Path, cell: str, kept: str) -> int:
    print(f"\ninterrupted: {nb.parent.name}/{nb.name}{cell}; {kept}", file=sys.stderr)
    return 130


def strip_metadata(nb) -> None:
    """Remove run-specific metadata (papermill's, per-cell timings); keep tags and outputs."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.get("cell_type") == "code":
            cell.metadata.pop("collapsed", None)


def select(notebooks: list[Path], only: list[str] | None) -> list[Path]:
    """The notebooks named by two-digit numbers (``--only 08 09``); every number must name one."""
    if only is None:
        return notebooks
    by_number = {nb.name[:2]: nb for nb in notebooks}
    numbers = [part for item in only for part in item.split()]  # ONLY="08 09" may arrive as one argument
    wrong = [n for n in numbers if n not in by_number]
    if not numbers or wrong:
        raise SystemExit(f"error: --only expects notebook numbers from {', '.join(by_number)} "
                         f"(e.g. --only 08 09); got {' '.join(map(repr, wrong or only))}")
    return [nb for nb in notebooks if nb.name[:2] in numbers]


BUILD_MARK = ".course-build"  # `make clean` deletes only a folder with this mark (scripts/clean.py)


def make_variables() -> tuple[str, ...]:
    """What the Makefile may pass with ``--given``: the notebook parameters it forwards, and ONLY."""
    return (*parameters.MAKE_PARAMETERS, "ONLY")


def from_make(args: argparse.Namespace, environ) -> str | None:
    """Fill ``args`` from what ``make run`` / ``make refresh`` pass: ``COURSE_BUILD`` (the build folder) and
    the value of each name in ``--given`` (those given on make's command line, which make puts in the
    environment). The values never pass through a shell, so any text is just a value, checked like every
    other. Returns what is wrong, if anything."""
    unknown = [name for name in args.given if name not in make_variables()]
    if unknown:
        return (f"--given: make forwards no variable {' '.join(unknown)} "
                f"(it forwards {', '.join(make_variables())})")
    for name in args.given:
        value = environ.get(name, "")
        if name == "ONLY":
            args.only = value.split()
        else:
            args.parameter.append([name, value])
    if not args.in_place:
        build = Path(environ.get("COURSE_BUILD") or "build")
        args.output_dir = build / "executed"
        args.parameter.append(["BUILD_DIR", json.dumps(str(build.resolve()))])
    return None


def _positive_seconds(text: str) -> int:
    seconds = int(text)
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r} (omit it for no limit)")
    return seconds


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--in-place", action="store_true", help="refresh the committed notebooks' outputs")
    parser.add_argument("--only", nargs="+", metavar="PREFIX", help="run only notebooks starting with these")
    parser.add_argument("--timeout", type=_positive_seconds, default=None,
                        help="seconds allowed per cell (default: no limit)")
    parser.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    parser.add_argument("--from-make", action="store_true",
                        help="take the build folder (COURSE_BUILD) and the --given values from the environment")
    parser.add_argument("--given", nargs="*", default=[], metavar="NAME",
                        help="with --from-make: the variables given on make's command line (values: environment)")
    return parser


@contextmanager
def ctrl_c_enabled():
    """Within the block, Ctrl-C raises KeyboardInterrupt, even where this process started with SIGINT ignored
    (a shell's background job, ``make run &``, and Python keeps it ignored). A handler, unlike an ignored
    signal, is not inherited: the kernels start with Ctrl-C working too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with ctrl_c_enabled():
        try:
            return _main(args)
        except KeyboardInterrupt:  # outside a notebook (while the data is checked, or between two notebooks)
            print("\ninterrupted; every notebook written so far is complete", file=sys.stderr)
            return 130


def _main(args: argparse.Namespace) -> int:
    if args.given and not args.from_make:
        print("error: --given names variables whose values make passes in the environment; it needs --from-make",
              file=sys.stderr)
        return 2
    if args.from_make:
        problem = from_make(args, os.environ)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2

    every_notebook = sorted(args.notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not every_notebook:
        print(f"error: no numbered notebooks found in {args.notebooks_dir}/", file=sys.stderr)
        return 2
    notebooks = select(every_notebook, args.only)
    if args.in_place and args.parameter:
        print("error: a refresh (--in-place, make refresh) runs the committed notebooks with their own defaults; "
              f"drop {', '.join(name for name, _ in args.parameter)} (or use make run)", file=sys.stderr)
        return 2

    # Everything about the parameters is checked before anything heavy is imported (a second, not ten).
    overrides = {name: parse_value(value) for name, value in args.parameter}
    if overrides.get("TRAIN") in (0, 1) and not isinstance(overrides["TRAIN"], bool):
        overrides["TRAIN"] = bool(overrides["TRAIN"])  # make run TRAIN=0
    # Known names come from the whole series, so `--only 01 -p EPOCHS 1` is fine (01 just ignores it).
    declared = {nb: declared_parameters(nb) for nb in every_notebook}
    unknown = set(overrides) - set().union(*declared.values())
    if unknown:
        print(f"error: no notebook has a parameter named {sorted(unknown)}; "
              f"known: {sorted(set().union(*declared.values()))}", file=sys.stderr)
        return 2
    problems = check_parameters(overrides)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if overrides.get("TRAIN") is False:
        changed = sorted(set(overrides) & parameters.REPLAY_FIXED)
        if changed:
            print(f"error: TRAIN=0 loads the weights `make refresh` trained with the notebooks' own defaults on "
                  f"MNIST; it cannot be combined with {', '.join(changed)} (drop them, or train)", file=sys.stderr)
            return 2
    message = check_data(overrides.get("DATASET", "mnist"))
    if message:
        print(f"error: {message}", file=sys.stderr)
        return 2

    if not args.in_place:
        try:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=args.output_dir).close()
            if args.from_make:
                (args.output_dir.parent / BUILD_MARK).touch()
        except OSError as exc:
            print(f"error: cannot write to {args.output_dir} ({exc.strerror}); choose another folder with "
                  "make run BUILD=... or fix its permissions", file=sys.stderr)
            return 2
    # The build folder the notebooks write to: a refresh runs them with their own BUILD_DIR, ../build.
    build = args.notebooks_dir.parent / "build" if args.in_place else args.output_dir.parent
    from helpers.artifacts import sigterm_as_exception

    with sigterm_as_exception():  # SIGTERM cleans up like Ctrl-C: no half-refreshed notebook is left
        try:
            return execute(notebooks, overrides, declared, args, build)
        except OSError as exc:  # outside any notebook: this run's temporary folder, timings.json
            print(f"\nFAILED: {_os_problem(exc, None)}", file=sys.stderr)
            return 1


def execute(notebooks: list[Path], overrides: dict, declared: dict, args: argparse.Namespace, build: Path) -> int:
    """Run the notebooks in order (:func:`_execute`) with this run's temporary folder in ``build/tmp/``: the
    kernels' ``TMPDIR`` (and this process's), and the file where they append their training progress, shown
    here. Removed at the end, whatever the end."""
    from helpers.artifacts import PROGRESS_VARIABLE

    scratch = _new_scratch_folder(build)
    progress = scratch / "progress.txt"
    progress.touch()
    saved = {name: os.environ.get(name) for name in ("TMPDIR", PROGRESS_VARIABLE)}
    saved_tempdir = tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(scratch)  # tempfile reads TMPDIR only once: set both
    os.environ[PROGRESS_VARIABLE] = str(progress)  # the kernels inherit it and append training progress there
    stop = _show_progress(progress)
    try:
        return _execute(notebooks, overrides, declared, args, build, scratch)
    finally:
        stop()
        tempfile.tempdir = saved_tempdir
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            scratch.parent.rmdir()  # build/tmp, unless another run is using it
        except OSError:
            pass


def _new_scratch_folder(build: Path) -> Path:
    """A new folder ``build/tmp/run-PID-...`` for this run's temporary files, after removing those of runs that
    no longer run (killed: SIGKILL gives no chance to clean up). A run still going keeps its own."""
    from helpers.artifacts import is_running

    parent = build.resolve() / "tmp"  # absolute: the kernels run in the notebooks' folder
    for old in parent.glob("run-*-*"):
        pid = old.name.split("-")[1]
        if pid.isdigit() and not is_running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=parent))


def _show_progress(path: Path, every: float = 1.0):
    """Echo what the kernels append to ``path`` on this terminal; returns a function that stops it."""
    done = threading.Event()

    def follow():
        position = 0
        while True:
            finished = done.wait(every)
            try:
                with open(path) as f:
                    f.seek(position)
                    text = f.read()
                    position = f.tell()
            except OSError:
                text = ""
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()
            if finished:
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return lambda: (done.set(), thread.join())


class _CurrentCell:
    """The index of the cell papermill is executing, for the one-line report of an interrupted run (papermill
    itself marks an interrupted cell "completed")."""

    index: int | None = None

    @classmethod
    def follow(cls) -> None:
        from papermill.engines import NotebookExecutionManager

        start = NotebookExecutionManager.cell_start
        if getattr(start, "followed", False):
            return

        def cell_start(manager, cell, cell_index=None, **kwargs):
            cls.index = cell_index
            return start(manager, cell, cell_index, **kwargs)

        cell_start.followed = True
        NotebookExecutionManager.cell_start = cell_start

    @classmethod
    def where(cls) -> str:
        return f", cell {cls.index}" if cls.index is not None else ""


def remove_leftovers(notebooks_dir: Path) -> None:
    """What a refresh killed with SIGKILL can leave beside the committed notebooks: hidden temporary notebooks
    (of the atomic write, or of older runners). Removed before anything runs."""
    for stale in notebooks_dir.glob(".[0-9][0-9]_*.ipynb"):
        stale.unlink(missing_ok=True)


def _partial(output: Path, why: str) -> Path:
    """Where the executed copy of a notebook that did not run to the end is kept: FAILED-NN_name.ipynb."""
    return output.with_name(f"{why}-{output.name}")


def _is_interruption(exc: BaseException) -> bool:
    """Ctrl-C or SIGTERM, here or in the kernel (where it ends the cell with a KeyboardInterrupt)."""
    return isinstance(exc, KeyboardInterrupt) or getattr(exc, "ename", None) == "KeyboardInterrupt"


def run_one(nb: Path, output: Path, params: dict, timeout: int | None, keep_partial: bool) -> None:
    """Execute ``nb`` into ``output``, which appears only when the notebook ran to the end: papermill saves the
    copy after every cell, into a hidden temporary file beside it. When it stops before the end, the copy
    becomes ``FAILED-``/``INTERRUPTED-`` + the name (``keep_partial``, and only if it is whole JSON)."""
    import papermill as pm

    from helpers.artifacts import atomic_path

    for why in ("FAILED", "INTERRUPTED"):
        _partial(output, why).unlink(missing_ok=True)  # of an earlier run: this one tells its own story
    with atomic_path(output) as tmp:
        try:
            pm.execute_notebook(
                str(nb), str(tmp), parameters=params, kernel_name="python3", cwd=str(nb.parent),
                progress_bar=True, request_save_on_cell_execute=True, execution_timeout=timeout,
                # The kernel's own log (its transport notice, and a traceback when Ctrl-C tears it down while
                # it replies) is not the learner's business; cell errors still come back through papermill.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except BaseException as exc:
            if keep_partial:
                try:
                    json.loads(tmp.read_text(encoding="utf-8"))
                    os.replace(tmp, _partial(output, "INTERRUPTED" if _is_interruption(exc) else "FAILED"))
                except (OSError, ValueError):
                    pass  # cut short (a full disk): nothing worth keeping
            raise


def _kept(output: Path, why: str, in_place: bool) -> str:
    """What is left of a notebook that stopped before its end (``why``: FAILED or INTERRUPTED), for its line."""
    if in_place:
        return ("the committed notebook is unchanged" if why == "INTERRUPTED"
                else "kept nothing (the committed notebook is unchanged)")
    partial = _partial(output, why)
    if not partial.exists():
        return "nothing was kept" if why == "INTERRUPTED" else ""
    return f"{partial} shows how far it got" if why == "INTERRUPTED" else f"see {partial}"


def _shown_path(filename, output: Path | None) -> str:
    """The file an OSError names, or ``output`` in its place where that is the hidden temporary file (or none)."""
    if output is not None and (filename is None or Path(filename).name.startswith(f".{output.name}.")):
        return str(output)
    return str(filename) if filename is not None else "a file"


def _os_problem(exc: OSError, output: Path | None) -> str:
    """An operating-system error while running (writing the executed copy, mostly), and what to do."""
    if exc.errno == errno.ENOSPC:
        return f"no space left on device writing {_shown_path(exc.filename, output)}; free space and rerun"
    if output is not None and not output.parent.exists():
        return f"the folder {output.parent} was deleted during the run; rerun to rebuild it"
    return f"{exc.strerror or exc}: {_shown_path(exc.filename, output)}; fix that and rerun"


def describe_failure(exc: Exception, nb: Path, cell: str, output: Path, kept: str, trains: bool = False) -> str:
    """The one line that reports a notebook that stopped on ``exc`` while executing into ``output`` (``cell``:
    ", cell N", where known): which notebook and cell, what happened, what to do, and ``kept`` (where its
    executed copy is, if anywhere). ``trains``: the notebook trains (a rerun resumes its checkpoint)."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    if isinstance(exc, pm.PapermillExecutionError):
        what = f", cell {exc.cell_index} (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
    elif isinstance(exc, DeadKernelError):
        what = f"{cell}: the kernel died (killed by the system — out of memory?); close other programs and rerun"
        what += " (training resumes from its last finished epoch)" if trains else ""
    elif isinstance(exc, OSError):
        what = f"{cell}: {_os_problem(exc, output)}"
    else:  # what papermill, nbclient or jupyter_client raised (a kernel that does not start, ...)
        what = f"{cell}: {type(exc).__name__}: {exc}"
    return f"FAILED: {nb.parent.name}/{nb.name}{what}" + (f"; {kept}" if kept else "")


class _KernelDiedNotice(logging.Filter):
    """papermill's log line when a kernel dies: the runner's own FAILED line says it, with the cell."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Kernel died while waiting for execute reply."


def _stamps(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Name → (mtime in ns, size, inode) of each file in ``folder``: what tells a file a notebook saved (atomic
    writes give it a new inode) from one that was there before."""
    if not folder.is_dir():
        return {}
    stamps = {}
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            stamps[path.name] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return stamps


def _execute(notebooks: list[Path], overrides: dict, declared: dict, args: argparse.Namespace, build: Path,
             scratch: Path) -> int:
    from helpers.artifacts import save_json

    if args.in_place:
        remove_leftovers(args.notebooks_dir)
    trained = build / "trained"  # where a refreshed notebook saves what it trained
    _CurrentCell.follow()
    quiet = _KernelDiedNotice()
    logging.getLogger("papermill").addFilter(quiet)
    timings: list[tuple[str, float]] = []
    try:
        for number, nb in enumerate(notebooks, start=1):
            _CurrentCell.index = None
            params = {k: v for k, v in overrides.items() if k in declared[nb]}
            shown = " ".join(f"{k}={v!r}" for k, v in params.items())
            print(f"[{number}/{len(notebooks)}] {nb.name} {shown}".rstrip(), flush=True)
            # A refresh executes into this run's temporary folder, where neither nbval nor JupyterLab looks.
            output = scratch / nb.name if args.in_place else args.output_dir / nb.name
            before = _stamps(trained) if args.in_place else {}
            start = time.perf_counter()
            try:
                run_one(nb, output, params, args.timeout, keep_partial=not args.in_place)
            except BaseException as exc:
                if _is_interruption(exc):  # Ctrl-C or SIGTERM: one line, not a traceback
                    cell = f", cell {exc.cell_index}" if hasattr(exc, "cell_index") else _CurrentCell.where()
                    return _interrupted(nb, cell, _kept(output, "INTERRUPTED", args.in_place))
                if not isinstance(exc, Exception):
                    raise
                kept = _kept(output, "FAILED", args.in_place)
                print(f"\n{describe_failure(exc, nb, _CurrentCell.where(), output, kept, 'TRAIN' in declared[nb])}",
                      file=sys.stderr)
                return 1
            timings.append((nb.name, time.perf_counter() - start))
            if args.in_place:
                try:
                    _refresh(nb, output, [trained / name for name, stamp in _stamps(trained).items()
                                          if before.get(name) != stamp])
                except OSError as exc:
                    print(f"\nFAILED: {nb.parent.name}/{nb.name}: {_os_problem(exc, None)} (make refresh)",
                          file=sys.stderr)
                    return 1
    finally:
        logging.getLogger("papermill").removeFilter(quiet)

    width = max(len(name) for name, _ in timings)
    print("\nnotebook".ljust(width + 1) + "   seconds")
    for name, elapsed in timings:
        print(f"{name.ljust(width)}  {elapsed:8.1f}")
    print(f"{'total'.ljust(width)}  {sum(t for _, t in timings):8.1f}")
    if not args.in_place:
        save_json(dict(timings), args.output_dir / "timings.json")
    return 0


def _refresh(nb: Path, executed_path: Path, saved: list[Path]) -> None:
    """After a refreshed notebook ran to the end: write it over the committed one (without papermill's run
    metadata), then ship what it ``saved`` in build/trained/ to notebooks/trained/."""
    import nbformat

    from helpers.artifacts import atomic_path
    from helpers.training import copy_shipped

    executed = nbformat.read(executed_path, as_version=4)
    strip_metadata(executed)
    with atomic_path(nb) as tmp:
        nbformat.write(executed, tmp)
    shipped = copy_shipped(saved, nb.parent / "trained")
    if shipped:
        print(f"    shipped {', '.join(shipped)} to {nb.parent.name}/trained/", flush=True)


if __name__ == "__main__":
    sys.exit(main())
