"""`make assignments`: the course as a teacher hands it out, and the bundle that grades it.

Writes ``<out>/student/``: the project as committed, less ``solutions/``, ``tests/`` and ``.ci/``, with a README
for students; its notebooks keep every output except those of the exercise cells (answer stubs and checks,
cleared), and their exercise headings and checks no longer point to the solutions or the design exercises'
rubrics (``checks/nbNN/rubric.md``), which go to ``<out>/grading/rubrics.md`` only. Its ``checks/expected.pkl``
holds what the model answers return for every input the checks use, recorded here by running every check against
``solutions/`` (each must pass), so the student copy checks answers without the solutions.
``<out>/grading/checks/`` is the same checks package, for ``python -m checks.grade`` (see its README). One
direction: solutions → recorded results, never back.

A previous ``<out>`` is kept as ``<out>.previous`` (one generation), so a rebuild loses nothing.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = ("solutions/", "tests/", ".ci/")  # the answers, and the tests that read them
RUBRICS = "checks/nb*/rubric.md"  # the design exercises' rubrics: in the grading bundle only
HEADING = re.compile(r"\*\*Exercises\*\* \(solutions: \[`solutions/nb\d\d\.py`\]\([^)]*\) — try first!\)")
STUDENT_HEADING = "**Exercises** (check each answer with the cell below it)"
RUBRIC_POINTER = re.compile(r"checks/nb\d\d/rubric\.md says what a good answer covers")
STUDENT_POINTER = "your teacher reads them"
EXERCISE_TAGS = {"exercise", "exercise-check"}
GRADING_README = """# Grading the course's exercises

From this folder, with the course's Python (the `.venv/` that `make setup` made; here {python}):

    {python} -m checks.grade path/to/submissions/*.ipynb --csv grades.csv

For each notebook its answer cells run in a fresh namespace (with the notebook's imports), then otter-grader runs
that notebook's checks: one line and one CSV row per exercise (score 0 to 1, and what is off), nothing retrained,
seconds per notebook. Design exercises get a row for you to score, with their rubrics in `rubrics.md`. A file
that cannot be graded gets a row saying why; the others are graded. The answer cells run in this Python
process: grade in an environment you can throw away.

The student release checks answers against recorded results (`checks/expected.pkl`) that a determined learner
can read, as with any self-check: treat the automatic scores as a record of work done in the open, not as an
exam.
"""
STUDENT_README = """# Contrastive learning, hands on — your assignment

Set up once and run the series: `make all` (then `make lab` opens it in JupyterLab).

Each notebook ends with exercises. Under each one you can check yourself: write your function in the cell
marked `# Exercise N: your answer` (keep its name and arguments, and use only its arguments, not the lesson's
variables), run that cell, then run the `grader.check("exN")` cell below it. Design exercises have no automatic
check: answer them in a markdown or code cell of your own below the exercise list.

Hand in the notebooks themselves (`notebooks/NN_*.ipynb`), with each notebook's title cell (`# NN · ...`)
kept at its top.
"""


def tracked_files() -> list[str]:
    """The project's files as committed (git's list; every file but build outputs where git is absent)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        return [f for f in out.stdout.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
        return [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")]


def student_notebook(nb: dict) -> dict:
    """The notebook without its exercise cells' outputs and without its pointers to the solutions and rubrics."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and EXERCISE_TAGS & set(cell["metadata"].get("tags", [])):
            cell["outputs"], cell["execution_count"] = [], None
            cell["source"] = [RUBRIC_POINTER.sub(STUDENT_POINTER, line) for line in cell["source"]]
        elif cell["cell_type"] == "markdown":
            cell["source"] = [HEADING.sub(STUDENT_HEADING, line) for line in cell["source"]]
    return nb


def record_expected() -> dict[str, object]:
    """Every check run against the model answers (each must pass); what the model answers returned."""
    import checks

    failed: list[str] = []
    recorded = checks.record(lambda: failed.extend(checks.model_answer_failures()))
    if failed:
        raise SystemExit(f"make assignments: the model answers fail their checks: {'; '.join(failed)}")
    return recorded


def build(out: Path) -> None:
    files = [f for f in tracked_files() if not f.startswith(LEFT_OUT) and not PurePosixPath(f).match(RUBRICS)]
    recorded = record_expected()
    if out.exists():
        previous = out.with_name(out.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        out.rename(previous)
    student = out / "student"
    for name in files:
        target = student / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.startswith("notebooks/") and name.endswith(".ipynb"):
            nb = student_notebook(json.loads((ROOT / name).read_text(encoding="utf-8")))
            target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            shutil.copy2(ROOT / name, target)
    (student / "README.md").write_text(STUDENT_README, encoding="utf-8")
    pyproject = student / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('"solutions", ', ""), encoding="utf-8")
    with open(student / "checks" / "expected.pkl", "wb") as f:
        pickle.dump(recorded, f)
    shutil.copytree(student / "checks", out / "grading" / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    (out / "grading" / "README.md").write_text(GRADING_README.format(python=sys.executable), encoding="utf-8")
    rubrics = [p.read_text(encoding="utf-8").replace("# ", "## ", 1) for p in sorted(ROOT.glob(RUBRICS))]
    (out / "grading" / "rubrics.md").write_text("# Rubrics of the design exercises\n\n" + "\n".join(rubrics),
                                                encoding="utf-8")
    notebooks = len(list((student / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    exercises = len(list((student / "checks").glob("nb[0-9][0-9]/ex*.py")))
    print(f"student release: {student} ({notebooks} notebooks, no solutions; {exercises} exercises check "
          f"themselves, from {len(recorded)} recorded results)")
    print(f"grading bundle:  {out / 'grading'} (python -m checks.grade, and the design rubrics; its README says how)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "assignments", help="the folder to write")
    args = parser.parse_args(argv)
    build(args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
