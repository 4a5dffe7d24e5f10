"""Grade learners' notebooks: ``python -m checks.grade SUBMISSION.ipynb ... [--csv grades.csv]``.

For each submitted notebook it runs only the answer cells (the code cells tagged ``exercise``), in a fresh
namespace that holds the notebook's imports, then every check of that notebook through otter-grader, and prints
one line per exercise. Nothing else of the notebook runs, so nothing retrains and a notebook takes seconds; an
answer that relies on a variable of the lesson instead of its arguments fails its check with a ``NameError``.
The answer cells run in this Python process, as otter's own ``run`` does: grade in an environment you can throw
away. Each design exercise gets a row for a person to score. A file that cannot be graded (unreadable, not one
of the course's notebooks, or over ``--seconds``) gets one row saying why, the others are still graded, and the
exit status is then 1.
"""

from __future__ import annotations

import helpers._tensorflow  # noqa: F401  (TensorFlow, which some checks use, starts quietly)

import argparse
import ast
import contextlib
import csv
import io
import json
import re
import signal
import sys
import traceback
from pathlib import Path

import checks

TITLE = re.compile(r"^# (\d\d) · ")
ITEM = re.compile(r"^(\d)\. \*\((recall|apply|design)\)\*", re.M)
FIELDS = ["submission", "notebook", "exercise", "score", "message"]


class Timeout(BaseException):  # not an Exception: the checks' handlers must not swallow it
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise :class:`Timeout` in the block after ``seconds`` (an answer that never returns stops only itself)."""
    def stop(signum, frame):
        raise Timeout(f"stopped after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def notebook_number(nb: dict) -> str:
    """The course notebook a submission is ("05"), from its title cell ("# 05 · ..."): learners rename files and
    may add a cell above it."""
    for cell in nb.get("cells", [])[:5]:
        match = TITLE.match("".join(cell.get("source", "")))
        if cell.get("cell_type") == "markdown" and match:
            return match.group(1)
    raise ValueError("not a notebook of this course: no '# NN · ' title cell at its top")


def exercise_kinds(nb: dict) -> dict[int, str]:
    """{number: "recall" | "apply" | "design"} of the notebook's exercise list."""
    text = "".join("".join(c["source"]) for c in nb["cells"] if "**Exercises**" in "".join(c["source"]))
    return {int(n): kind for n, kind in ITEM.findall(text)}


def imports(source: str) -> str:
    """The top-level import statements of a code cell (what an answer may use besides its arguments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, or a learner's typo: no imports taken from this cell
        return ""
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


def defined(source: str) -> set[str]:
    try:
        return {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    except SyntaxError:
        return set()


def answers(nb: dict) -> tuple[dict, dict[str, list[str]]]:
    """The namespace the answer cells define, on top of the notebook's imports, and for each answer's name a
    note on what went wrong with it: its cell raised (with the failing line), or it is defined outside the
    answer cells, which grading does not read."""
    env: dict = {"__name__": "__main__"}
    notes: dict[str, list[str]] = {}
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    answer_cells = [c for c in cells if "exercise" in c["metadata"].get("tags", [])]
    for cell in cells:
        if cell not in answer_cells:
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                exec(imports("".join(cell["source"])), env)
    for cell in answer_cells:
        source = "".join(cell["source"])
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(source, "<answer cell>", "exec"), env)
        except Exception as error:
            line = next((lineno for frame, lineno in traceback.walk_tb(error.__traceback__)
                         if frame.f_code.co_filename == "<answer cell>"), None)
            where = f"line {line}, {source.splitlines()[line - 1].strip()!r}: " if line else ""
            for name in defined(source) or {"?"}:
                notes.setdefault(name, []).append(f"its answer cell failed ({where}{type(error).__name__}: {error})")
    in_answer_cells = set().union(*(defined("".join(c["source"])) for c in answer_cells))
    for cell in cells:
        if cell not in answer_cells:
            for name in defined("".join(cell["source"])) & in_answer_cells:
                notes.setdefault(name, []).append(f"{name} is also defined in a cell that is not an answer cell: "
                                                  "grading reads only the answer cells")
    return env, notes


def grade(path: Path, seconds: int = 60) -> list[dict]:
    """One row per exercise of the notebook at ``path``: a checked exercise's score (0 to 1) and what is off, a
    design exercise's row left for a person to score. A file that cannot be graded gives one row saying why."""
    row = {"submission": str(path), "notebook": "", "exercise": "", "score": ""}
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        number = notebook_number(nb)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error) if isinstance(error, ValueError) and "course" in str(error) else \
            f"cannot read it as a notebook ({type(error).__name__}: {error})"
        return [{**row, "message": reason}]
    rows = []
    grader = checks.for_notebook(number)
    try:
        with time_limit(seconds):
            env, notes = answers(nb)
            for exercise in grader.exercises():
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    result = grader.run(exercise, dict(env))
                names = checks.answer_names(grader.folder / f"{exercise}.py")
                said = checks.failures(result) + ([] if result.passed_all else
                                                  [note for n in names for note in notes.get(n, [])])
                rows.append({**row, "notebook": number, "exercise": exercise, "score": round(result.grade, 4),
                             "message": " | ".join(said)})
    except Timeout as error:
        return [{**row, "notebook": number, "message": f"grading {error}: does an answer never return?"}]
    for k in [n for n, kind in exercise_kinds(nb).items() if kind == "design"]:
        rows.append({**row, "notebook": number, "exercise": f"ex{k} (design)",
                     "message": "to read: the notebook's rubric (grading/rubrics.md) says what a good answer covers"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checks.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="+", type=Path, help="learners' notebooks (.ipynb)")
    parser.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    parser.add_argument("--seconds", type=int, default=60, help="time allowed per notebook (default 60)")
    args = parser.parse_args(argv)
    rows, failed = [], 0
    for path in args.submissions:
        found = grade(path, args.seconds)
        rows += found
        scored = [r for r in found if r["score"] != ""]
        if not found[0]["exercise"]:
            failed += 1
            print(f"{path}: not graded: {found[0]['message']}")
            continue
        print(f"{path}: notebook {found[0]['notebook']}, {sum(r['score'] for r in scored):g} of {len(scored)} "
              "checked exercises")
        for row in found:
            print(f"  {row['exercise']}: {row['score'] if row['score'] != '' else '—'}  {row['message']}".rstrip())
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    if failed:
        print(f"{failed} of {len(args.submissions)} files could not be graded (their rows say why)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
