#!/usr/bin/env python3
"""Execute the numbered notebooks headless with papermill, in order, stopping at the first failure.

    python scripts/run_notebooks.py                       # executed copies → build/executed/
    python scripts/run_notebooks.py -p EPOCHS 1           # override a parameter where a notebook has it
    python scripts/run_notebooks.py --only 08 09          # a subset, by number prefix
    python scripts/run_notebooks.py -p TRAIN false        # load the shipped weights instead of training
    python scripts/run_notebooks.py --in-place            # refresh the committed notebooks' outputs

Parameters are passed only to notebooks whose ``parameters`` cell declares them; a name that no notebook
declares is an error (a typo would otherwise be silently ignored). ``--in-place`` takes no parameters:
committed notebooks always show a run with their own defaults. Each refreshed notebook is written only
after it ran to the end, with papermill's metadata stripped, so a failed refresh never leaves a
half-executed notebook behind; the weights and histories a refreshed training notebook produced replace
those in ``notebooks/trained/`` (with their SHA-256 sums) only when that notebook ran to the end.

No cell has a time limit by default: a slow CPU must not trip one. Training prints its progress (with the
time left) on this terminal, so a long cell never looks hung; ``--timeout SECONDS`` sets a limit if wanted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def parse_value(text: str):
    """'5' → 5, '0.1' → 0.1, 'true' → True, 'null' → None, anything else stays a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _load_parameter_rules():
    """``helpers/parameters.py``, loaded from its file: importing it through the package would run
    ``helpers/__init__`` and load TensorFlow (seconds) before a bad value could be refused."""
    import importlib.util

    name = "helpers.parameters"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "helpers" / "parameters.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a later `import helpers.parameters` gets this same module
    spec.loader.exec_module(module)
    return module


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
    return _load_parameter_rules().problems(overrides)


def check_data(dataset: str) -> str | None:
    """Load and verify the data set once before any notebook runs: a missing or corrupt file stops the
    series with its one-line cause and remedy, before anything in the build folder is touched."""
    from helpers.data import DatasetError, dataset_spec, load_dataset

    try:
        load_dataset(dataset, verbose=False)
    except DatasetError as exc:
        return f"{dataset_spec(dataset).title}: {exc}"
    return None


def _interrupted(nb: Path, cell: str, in_place: bool) -> int:
    kept = "the committed notebook is unchanged" if in_place else "the executed copy shows how far it got"
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


def from_make(args: argparse.Namespace, environ) -> None:
    """Fill ``args`` from what ``make run`` / ``make refresh`` exported: ``COURSE_BUILD`` (the build folder),
    ``COURSE_GIVEN`` (the names given on make's command line) and each given name's value. The values never
    pass through a shell, so any text is just a value, checked like every other."""
    given = environ.get("COURSE_GIVEN", "").split()
    for name in given:
        value = environ.get(name, "")
        if name == "ONLY":
            args.only = value.split()
        else:
            args.parameter.append([name, value])
    if not args.in_place:
        build = Path(environ.get("COURSE_BUILD") or "build")
        args.output_dir = build / "executed"
        args.parameter.append(["BUILD_DIR", json.dumps(str(build.resolve()))])


def _positive_seconds(text: str) -> int:
    seconds = int(text)
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r} (omit it for no limit)")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--in-place", action="store_true", help="refresh the committed notebooks' outputs")
    parser.add_argument("--only", nargs="+", metavar="PREFIX", help="run only notebooks starting with these")
    parser.add_argument("--timeout", type=_positive_seconds, default=None,
                        help="seconds allowed per cell (default: no limit)")
    parser.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    parser.add_argument("--from-make", action="store_true",
                        help="take BUILD, ONLY and the parameters from the environment the Makefile sets")
    args = parser.parse_args(argv)
    if args.from_make:
        from_make(args, os.environ)

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
        changed = sorted(set(overrides) & _load_parameter_rules().REPLAY_FIXED)
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
    from helpers.artifacts import sigterm_as_exception

    with sigterm_as_exception():  # SIGTERM cleans up like Ctrl-C: no half-refreshed notebook is left
        return execute(notebooks, overrides, declared, args)


def execute(notebooks: list[Path], overrides: dict, declared: dict, args: argparse.Namespace) -> int:
    """Run the notebooks in order (:func:`_execute`), showing training progress from the kernels here."""
    from helpers.training import PROGRESS_VARIABLE

    fd, progress = tempfile.mkstemp(prefix="course-progress-", suffix=".txt")
    os.close(fd)
    os.environ[PROGRESS_VARIABLE] = progress  # the kernels inherit it and append training progress there
    stop = _show_progress(Path(progress))
    try:
        return _execute(notebooks, overrides, declared, args)
    finally:
        stop()
        os.environ.pop(PROGRESS_VARIABLE, None)
        Path(progress).unlink(missing_ok=True)


def _show_progress(path: Path, every: float = 1.0):
    """Echo what the kernels append to ``path`` on this terminal; returns a function that stops it."""
    import threading

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


def remove_leftovers(notebooks_dir: Path, staging_dir: Path) -> None:
    """What a refresh killed with SIGKILL can leave: hidden temporary notebooks beside the committed ones
    (older runners wrote them there) and the staging folder. Removed before anything runs."""
    import shutil

    for stale in notebooks_dir.glob(".[0-9][0-9]_*.ipynb"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(staging_dir, ignore_errors=True)


def _execute(notebooks: list[Path], overrides: dict, declared: dict, args: argparse.Namespace) -> int:
    import shutil

    import nbformat
    import papermill as pm

    from helpers.artifacts import atomic_path
    from helpers.training import FRESH_VARIABLE, SHIP_VARIABLE, copy_shipped

    # A refresh executes into a staging folder that neither nbval nor JupyterLab looks into.
    staging_dir = args.notebooks_dir.parent / "build" / "refresh"
    if args.in_place:
        os.environ[FRESH_VARIABLE] = "1"  # a refresh trains from scratch, never resuming an interrupted `make run`
        remove_leftovers(args.notebooks_dir, staging_dir)
    _CurrentCell.follow()
    timings: list[tuple[str, float]] = []
    for number, nb in enumerate(notebooks, start=1):
        _CurrentCell.index = None
        params = {k: v for k, v in overrides.items() if k in declared[nb]}
        shown = " ".join(f"{k}={v!r}" for k, v in params.items())
        print(f"[{number}/{len(notebooks)}] {nb.name} {shown}".rstrip(), flush=True)
        weights = None
        if args.in_place:
            output = staging_dir / nb.name
            weights = staging_dir / f"{nb.stem}-weights"  # a training notebook's weights
            weights.mkdir(parents=True, exist_ok=True)
            os.environ[SHIP_VARIABLE] = str(weights)
        else:
            output = args.output_dir / nb.name
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(nb), str(output), parameters=params, kernel_name="python3", cwd=str(nb.parent),
                progress_bar=True, request_save_on_cell_execute=True, execution_timeout=args.timeout,
                # The kernel's own log (its transport notice, and a traceback when Ctrl-C tears it down while
                # it replies) is not the learner's business; cell errors still come back through papermill.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
            timings.append((nb.name, time.perf_counter() - start))
            if args.in_place:
                executed = nbformat.read(output, as_version=4)
                strip_metadata(executed)
                with atomic_path(nb) as tmp:
                    nbformat.write(executed, tmp)
                shipped = copy_shipped(weights, nb.parent / "trained")
                if shipped:
                    print(f"    shipped {', '.join(shipped)} to {nb.parent.name}/trained/", flush=True)
        except pm.PapermillExecutionError as exc:
            if exc.ename == "KeyboardInterrupt":
                return _interrupted(nb, f", cell {exc.cell_index}", args.in_place)
            print(f"\nFAILED: {nb.parent.name}/{nb.name}, cell {exc.cell_index} (execution count {exc.exec_count}): "
                  f"{exc.ename}: {exc.evalue}", file=sys.stderr)
            where = "kept nothing (the committed notebook is unchanged)" if args.in_place else f"see {output}"
            print(f"        {where}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) reached this process: one line, not a traceback
            return _interrupted(nb, _CurrentCell.where(), args.in_place)
        finally:
            if args.in_place:
                os.environ.pop(SHIP_VARIABLE, None)
                shutil.rmtree(staging_dir, ignore_errors=True)

    width = max(len(name) for name, _ in timings)
    print("\nnotebook".ljust(width + 1) + "   seconds")
    for name, elapsed in timings:
        print(f"{name.ljust(width)}  {elapsed:8.1f}")
    print(f"{'total'.ljust(width)}  {sum(t for _, t in timings):8.1f}")
    if not args.in_place:
        (args.output_dir / "timings.json").write_text(json.dumps(dict(timings), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
