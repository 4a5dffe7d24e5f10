"""The exercises' checks (checks/, run by otter-grader): the model answers pass every check; an untouched answer
cell hears "not answered yet"; a wrong answer hears what is off, never the expected value; grading runs only the
answer cells."""

from __future__ import annotations

import csv
import importlib
import inspect
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import checks
from checks import grade

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # otter writes its log (.OTTER_LOG) where a notebook check runs


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def tagged(nb: dict, tag: str) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and tag in c["metadata"].get("tags", [])]


def stubs(path: Path) -> dict:
    """The namespace the committed notebook's answer cells define, untouched."""
    env: dict = {}
    for cell in tagged(load(path), "exercise"):
        exec("".join(cell["source"]), env)
    return env


def model_answers(number: str) -> dict:
    return dict(vars(importlib.import_module(f"solutions.nb{number}")))


def test_every_check_passes_with_the_model_answers():
    assert checks.model_answer_failures() == []


def test_every_recall_and_apply_exercise_has_a_check_and_every_design_one_a_rubric():
    counts = {"checked": 0, "rubric": 0}
    for path in NOTEBOOKS:
        number, nb = path.name[:2], load(path)
        kinds = grade.exercise_kinds(nb)
        checked = {int(e[2:]) for e in checks.for_notebook(number).exercises()}
        assert checked == {n for n, kind in kinds.items() if kind != "design"}, path.name
        rubric = (ROOT / "checks" / f"nb{number}" / "rubric.md").read_text(encoding="utf-8")
        designs = [n for n, kind in kinds.items() if kind == "design"]
        assert rubric.startswith(f"# Notebook {number}, Exercise {designs[0]} (design): what a good answer covers"), \
            path.name
        checks_run = ["".join(c["source"]) for c in tagged(nb, "exercise-check")]
        assert checks_run[0] == (
            "import checks  # checks your exercise answers: write one, run its cell, then the check cell below it\n"
            f"# (design exercises have no check: checks/nb{number}/rubric.md says what a good answer covers)\n\n"
            f'grader = checks.for_notebook("{number}")'), path.name
        assert checks_run[1:] == [f'grader.check("ex{n}")' for n in sorted(checked)], path.name
        counts["checked"] += len(checked)
        counts["rubric"] += sum(kind == "design" for kind in kinds.values())
    assert counts == {"checked": 34, "rubric": 17}  # the closing note of issue 28 reports these


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_an_untouched_answer_hears_not_answered_yet_from_its_check_and_from_otter(path, capsys):
    number, env = path.name[:2], stubs(path)
    grader = checks.for_notebook(number)
    for exercise in grader.exercises():
        names = checks.answer_names(grader.folder / f"{exercise}.py")
        assert grader.check(exercise, env) is None
        assert capsys.readouterr().out == (f"{exercise}: not answered yet — write {', '.join(names)} in the cell "
                                           "above, run it, then run this cell.\n")
        result = grader.run(exercise, dict(env))  # otter itself, as grading runs it: a failure, not a crash
        assert not result.passed_all and result.grade == 0
        assert f"AssertionError: {names[0]}: not answered yet" in result.summary()


def test_a_check_says_which_cell_to_run_when_the_answer_is_not_defined(capsys):
    assert checks.for_notebook("09").check("ex2", {}) is None
    assert capsys.readouterr().out == ("ex2: not answered yet — run the cell that defines accuracy_standard_error "
                                       "first.\n")
    with pytest.raises(ValueError, match="no such check here; this notebook's are ex1, ex2"):
        checks.for_notebook("09").check("ex3", {})
    with pytest.raises(ValueError, match="has no exercise checks"):
        checks.for_notebook("99")


def test_a_wrong_answer_hears_what_is_off_in_one_line_never_the_expected_value(capsys):
    grader = checks.for_notebook("09")

    def accuracy_standard_error(correct):  # a learner's answer: the variance, not its square root
        p = np.mean(correct)
        return p * (1 - p) / len(correct)

    assert grader.check("ex2", {"accuracy_standard_error": accuracy_standard_error}) is None
    said = capsys.readouterr().out
    assert said == ("ex2: not right yet — accuracy_standard_error for 20,000 pairs, 91 % right: 4.06422e-06 is too "
                    "small\n")
    right = model_answers("09")["accuracy_standard_error"](np.random.default_rng(0).random(20_000) < 0.91)
    assert f"{right:.6g}" not in said and f"{right:.4f}" not in said

    def accuracy_standard_error(correct):  # noqa: F811  (an answer that crashes)
        return 1 / 0

    grader.check("ex2", {"accuracy_standard_error": accuracy_standard_error})
    assert capsys.readouterr().out == ("ex2: not right yet — accuracy_standard_error for 20,000 pairs, 91 % right "
                                       "raised ZeroDivisionError: division by zero\n")

    def accuracy_standard_error(correct):  # noqa: F811  (right)
        return float(np.sqrt(np.mean(correct) * (1 - np.mean(correct)) / len(correct)))

    assert repr(grader.check("ex2", {"accuracy_standard_error": accuracy_standard_error})) == \
        "ex2 results: All test cases passed!"


@pytest.mark.parametrize(("got", "want", "message"), [
    (None, 1.0, "returns None — is a `return` missing?"),
    ({"a": 1}, {"a": 1, "b": 2}, "the keys differ (missing ['b'], not expected [])"),
    ({"a": 1.5}, {"a": 1.0}, "x, ['a']: 1.5 is too large"),
    (float("nan"), 1.0, "x: is NaN"),
    ([1, 2], (1, 2, 3), "expected shape (3,), got (2,)"),
    (np.ones((2, 3)), np.ones((3, 2)), "expected shape (3, 2), got (2, 3)"),
    (np.array([1.0, 2.0, 3.5]), np.array([1.0, 2.0, 3.0]), "1 of 3 values are off (the first at index (2,))"),
    ("a", 1.0, "expected a number, got str"),
    (1, True, "expected True or False, got int"),
    (False, True, "False is not right"),
    ("x", "y", "the text differs (yours: 'x')"),
    ([(1, 2.0)], [(1, 2.5)], "x, item 0: 1 of 2 values are off"),
])
def test_compare_says_what_is_off(got, want, message):
    with pytest.raises(AssertionError) as caught:
        checks.compare(got, want, "x")
    assert message in str(caught.value)
    for value in np.ravel(want if not isinstance(want, dict) else list(want.values())):
        if isinstance(value, float) and value not in np.ravel(got if not isinstance(got, dict) else []):
            assert repr(value) not in str(caught.value)  # never the expected value


def test_compare_accepts_equal_answers_in_other_containers():
    checks.compare([1.0, 2.0], np.array([1.0, 2.0 + 1e-9]), "x")
    checks.compare(np.float32(0.1), 0.1, "x")
    checks.compare({"a": (np.int64(3), [0.5])}, {"a": (3, [0.5])}, "x")


def test_a_student_release_checks_from_the_recorded_results_without_the_solutions(tmp_path, monkeypatch):
    import pickle

    answers = model_answers("14")
    grader = checks.for_notebook("14")
    recorded = checks.record(lambda: [grader.run(e, dict(answers)) for e in grader.exercises()])
    assert sorted({key.split(":")[0] for key in recorded}) == ["nb14.semihard_triplets", "nb14.supcon_as_nt_xent"]
    expected = tmp_path / "expected.pkl"
    expected.write_bytes(pickle.dumps(recorded))
    monkeypatch.setattr(checks, "EXPECTED", expected)
    monkeypatch.setattr(checks, "_expected_cache", None)
    for module in [m for m in sys.modules if m == "solutions" or m.startswith("solutions.")]:
        monkeypatch.setitem(sys.modules, module, None)  # import solutions now fails
    assert all(grader.run(e, dict(answers)).passed_all for e in grader.exercises())
    del recorded["nb14.supcon_as_nt_xent: 8 images, τ = 0.1"]
    expected.write_bytes(pickle.dumps(recorded))
    monkeypatch.setattr(checks, "_expected_cache", None)
    assert "expected.pkl has no result for 'nb14.supcon_as_nt_xent: 8 images, τ = 0.1': rebuild it with make " \
           "assignments" in grader.run("ex2", dict(answers)).summary()


def filled_in(nb: dict, number: str) -> dict:
    """The notebook with every answer cell holding the model answer's source."""
    module = importlib.import_module(f"solutions.nb{number}")
    for cell in tagged(nb, "exercise"):
        name = re.search(r"^def (\w+)", "".join(cell["source"]), re.M).group(1)
        cell["source"] = inspect.getsource(getattr(module, name)).splitlines(keepends=True)
    return nb


def test_grading_runs_the_answer_cells_with_the_notebooks_imports_and_scores_each_check(tmp_path, capsys):
    committed = load(ROOT / "notebooks" / "05_distance_loss_accuracy.ipynb")
    untouched, answered = tmp_path / "untouched.ipynb", tmp_path / "answered.ipynb"
    untouched.write_text(json.dumps(committed))
    answered.write_text(json.dumps(filled_in(committed, "05")))  # the answers use the notebook's `np`
    assert grade.main([str(answered), str(untouched), "--csv", str(tmp_path / "grades.csv")]) == 0
    out = capsys.readouterr().out
    assert f"{answered}: notebook 05, 3 of 3 checked exercises\n" in out
    assert f"{untouched}: notebook 05, 0 of 3 checked exercises\n" in out
    with open(tmp_path / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    expected = [(name, exercise, "" if "design" in exercise else score)
                for name, score in (("answered", "1.0"), ("untouched", "0.0"))
                for exercise in ("ex1", "ex2", "ex3", "ex4 (design)")]
    assert [(Path(r["submission"]).stem, r["exercise"], r["score"]) for r in rows] == expected
    assert rows[4]["message"] == "keras_binary_accuracy: not answered yet"
    assert rows[7]["message"].startswith("to read: the notebook's rubric")


def submission(tmp_path: Path, name: str, edit) -> Path:
    nb = load(ROOT / "notebooks" / "05_distance_loss_accuracy.ipynb")
    edit(nb)
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def test_grading_explains_answers_it_cannot_score_and_goes_on_past_files_it_cannot_grade(tmp_path, capsys):
    def lesson_variable(nb):  # an answer that reads the lesson's variables instead of its arguments
        tagged(nb, "exercise")[0]["source"] = ["def keras_binary_accuracy(pair_labels, distances):\n",
                                               "    return d_demo < 0.5\n"]

    def answered_below(nb):  # the stub left as it is, the answer in a new cell below it, and a failing line
        cell = tagged(nb, "exercise")[2]
        index = nb["cells"].index(cell)
        nb["cells"].insert(index + 1, {**cell, "metadata": {}, "source": ["def hadsell_loss(y, d, margin=1.0):\n",
                                                                          "    return 0\n"]})
        cell["source"] = cell["source"] + ["\nprint(distances)\n"]

    def a_name_cell_on_top(nb):
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["Name: Alice"]})

    def never_returns(nb):
        tagged(nb, "exercise")[1]["source"] = ["def embedding_gradients(y, a, b, margin=1.0):\n",
                                               "    while True:\n", "        pass\n"]

    paths = [submission(tmp_path, "Alice Smith (1).ipynb", a_name_cell_on_top),
             submission(tmp_path, "lesson.ipynb", lesson_variable),
             submission(tmp_path, "below.ipynb", answered_below),
             tmp_path / "missing.ipynb",
             submission(tmp_path, "slow.ipynb", never_returns)]
    (tmp_path / "notes.ipynb").write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": ["# Notes"]}]}))
    paths.append(tmp_path / "notes.ipynb")
    assert grade.main([*map(str, paths), "--seconds", "3", "--csv", str(tmp_path / "grades.csv")]) == 1
    out = capsys.readouterr()
    assert "3 of 6 files could not be graded (their rows say why)" in out.err
    with open(tmp_path / "grades.csv") as f:
        rows = {(Path(r["submission"]).stem, r["exercise"]): r for r in csv.DictReader(f)}
    assert rows[("Alice Smith (1)", "ex1")]["score"] == "0.0"  # graded: the title is found below a name cell
    assert rows[("lesson", "ex1")]["message"].endswith("raised NameError: name 'd_demo' is not defined")
    assert rows[("below", "ex3")]["message"] == (
        "hadsell_loss: not answered yet | its answer cell failed (line 6, 'print(distances)': NameError: name "
        "'distances' is not defined) | hadsell_loss is also defined in a cell that is not an answer cell: grading "
        "reads only the answer cells")
    assert rows[("missing", "")]["message"].startswith("cannot read it as a notebook (FileNotFoundError")
    assert rows[("slow", "")]["message"] == "grading stopped after 3 s: does an answer never return?"
    assert rows[("notes", "")]["message"] == "not a notebook of this course: no '# NN · ' title cell at its top"
    assert f"{paths[3]}: not graded: cannot read it as a notebook" in out.out
