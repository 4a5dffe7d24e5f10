"""`make assignments` as a teacher meets it: a student release without the solutions whose notebooks check answers
from recorded results (two of them executed here, as a student runs them), and a grading bundle that scores them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_exercise_checks import filled_in, tagged
from testkit import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
NOTEBOOK = "03_mnist_split.ipynb"


def run(command, cwd, env=None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=HANG_SECONDS,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def outputs(cell) -> str:
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in cell["outputs"])


@pytest.mark.integration
def test_make_assignments_builds_a_student_release_that_checks_and_a_bundle_that_grades(tmp_path, monkeypatch,
                                                                                          capsys):
    import filecmp

    import make_assignments
    import papermill

    import checks
    from checks import grade

    build = tmp_path / "build"
    planned = run(["make", "--no-print-directory", "-n", "-o", f"{VENV}/.installed", f"VENV={VENV}", f"BUILD={build}",
                   "assignments"], ROOT)
    assert 'scripts/make_assignments.py --out "$COURSE_BUILD/assignments"' in planned.stdout  # COURSE_BUILD = BUILD
    make_assignments.build(build / "assignments")  # what `make assignments` runs, in this process (TensorFlow is up)
    made = capsys.readouterr().out
    student, grading = build / "assignments" / "student", build / "assignments" / "grading"
    assert f"student release: {student} (17 notebooks, no solutions; 34 exercises check themselves, " in made
    assert not any((student / name).exists() for name in ("solutions", "tests", ".ci"))
    assert (student / "checks" / "expected.pkl").is_file() and (grading / "checks" / "expected.pkl").is_file()
    assert "Hand in the notebooks themselves" in (student / "README.md").read_text()
    rubrics = (grading / "rubrics.md").read_text()
    assert rubrics.count("(design): what a good answer covers") == 17
    assert not list((student / "checks").glob("nb*/rubric.md"))  # in the grading bundle only

    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        committed = json.loads(path.read_text(encoding="utf-8"))
        released = json.loads((student / "notebooks" / path.name).read_text(encoding="utf-8"))
        assert "solutions/" not in json.dumps(released), path.name
        assert len(released["cells"]) == len(committed["cells"])
        assert f"## Notebook {path.name[:2]}, Exercise " in rubrics
        for ours, theirs in zip(committed["cells"], released["cells"]):
            tags = set(ours["metadata"].get("tags", []))
            if ours["cell_type"] == "code" and tags & {"exercise", "exercise-check"}:
                assert theirs["outputs"] == []
                source = "".join(ours["source"]).replace(f"checks/nb{path.name[:2]}/rubric.md says what a good answer "
                                                         "covers", "your teacher reads them")
                assert "".join(theirs["source"]) == source
            elif ours["cell_type"] == "code":
                assert theirs == ours  # everything else as committed

    # A student runs notebook 03 of the release untouched, then with the model answers filled in. The kernel
    # imports the release's checks first, and the solutions cannot be imported.
    blocker = tmp_path / "no-solutions" / "solutions"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('a student release has no solutions')\n")
    monkeypatch.setenv("PYTHONPATH", f"{student}{os.pathsep}{blocker.parent}")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    notebook = student / "notebooks" / NOTEBOOK
    untouched = json.loads(notebook.read_text(encoding="utf-8"))
    said = {}
    for name, nb in (("untouched", untouched), ("answered", filled_in(json.loads(json.dumps(untouched)), "03"))):
        notebook.write_text(json.dumps(nb), encoding="utf-8")
        papermill.execute_notebook(str(notebook), str(submissions / f"{name}.ipynb"), cwd=str(notebook.parent),
                                   kernel_name="python3", progress_bar=False)
        executed = json.loads((submissions / f"{name}.ipynb").read_text(encoding="utf-8"))
        said[name] = [outputs(c) for c in tagged(executed, "exercise-check")[1:]]
    line = "ex{}: not answered yet — write {} in the cell above, run it, then run this cell.\n"
    assert said["untouched"] == [line.format(1, "validation_digits_if_sorted"), line.format(2, "share_gap")]
    assert said["answered"] == [f"ex{k} results: All test cases passed!" for k in (1, 2)]

    # The teacher grades both with the bundle's checks (a copy of checks/) and its recorded results.
    for ours in (ROOT / "checks").rglob("*.py"):
        assert filecmp.cmp(ours, grading / "checks" / ours.relative_to(ROOT / "checks"), shallow=False), ours
    monkeypatch.setattr(checks, "FOLDER", grading / "checks")
    monkeypatch.setattr(checks, "EXPECTED", grading / "checks" / "expected.pkl")
    monkeypatch.setattr(checks, "_expected_cache", None)
    for module in [m for m in sys.modules if m == "solutions" or m.startswith("solutions.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.chdir(grading)
    assert grade.main([str(submissions / "answered.ipynb"), str(submissions / "untouched.ipynb"),
                       "--csv", "grades.csv"]) == 0
    with open(grading / "grades.csv", encoding="utf-8") as f:
        scores = {(Path(r["submission"]).stem, r["exercise"]): r["score"] for r in csv.DictReader(f)}
    assert scores == {("answered", "ex1"): "1.0", ("answered", "ex2"): "1.0", ("answered", "ex3 (design)"): "",
                      ("untouched", "ex1"): "0.0", ("untouched", "ex2"): "0.0", ("untouched", "ex3 (design)"): ""}


def test_a_rebuild_keeps_the_previous_release(tmp_path, monkeypatch):
    import make_assignments

    monkeypatch.setattr(make_assignments, "record_expected", lambda: {"nb05.x: y": 1.0})
    files = ["README.md", "pyproject.toml", "checks/__init__.py"]
    monkeypatch.setattr(make_assignments, "tracked_files", lambda: files)
    out = tmp_path / "assignments"
    make_assignments.build(out)
    (out / "student" / "README.md").write_text("a teacher's note")
    make_assignments.build(out)
    assert (out.with_name("assignments.previous") / "student" / "README.md").read_text() == "a teacher's note"
    assert (out / "student" / "README.md").read_text() == make_assignments.STUDENT_README
