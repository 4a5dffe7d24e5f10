"""Checks for the notebooks' exercises, run by otter-grader: ``grader.check("ex2")`` after an answer.

Each exercise that has one right answer (a number, an array, a function's results) has an otter test file,
``checks/nbNN/exK.py``: it calls the learner's function on a few inputs and compares what comes back with what
the model answer in ``solutions/nbNN.py`` returns for the same inputs (:class:`Answers`). The model answers are
the ones ``tests/test_solutions.py`` verifies, so there is one copy of each answer. A student release
(``make assignments``) has no ``solutions/``: there the model answers' results are read from
``checks/expected.pkl``, which ``make assignments`` records from the solutions (one direction: solutions →
recorded results, never back).

An answer cell the learner has not touched defines a function whose body only raises ``NotImplementedError``;
its check says "not answered yet" in one line without starting otter (a few seconds of imports per notebook).
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import math
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent
EXPECTED = FOLDER / "expected.pkl"  # only in a student release (make assignments)
_recorded: dict[str, object] | None = None  # make assignments records the model answers' results here
_expected_cache: dict[str, object] | None = None


def for_notebook(number: str) -> Grader:
    """The grader of notebook ``number`` ("05"): ``grader.check("ex2")`` checks exercise 2."""
    folder = FOLDER / f"nb{number}"
    if not folder.is_dir():
        raise ValueError(f"notebook {number!r} has no exercise checks (folders: {', '.join(exercise_folders())})")
    return Grader(folder)


def exercise_folders() -> list[str]:
    return sorted(p.name for p in FOLDER.glob("nb[0-9][0-9]") if p.is_dir())


def answer_names(path: Path) -> list[str]:
    """The names a check file's test cases take from the notebook: the learner's answers."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            names += [a.arg for a in node.args.args if a.arg not in names]
    return names


def is_stub(answer: object) -> bool:
    """True for a function that only raises ``NotImplementedError``: an answer cell nobody has written yet."""
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_names == ("NotImplementedError",)


class Grader:
    """Runs the checks of one notebook's exercises on the notebook's own variables, through otter-grader."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._otter = None

    def exercises(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("ex*.py"))

    def check(self, exercise: str, env: dict | None = None):
        """Check ``exercise`` ("ex2") against the caller's variables (or ``env``) and show the result."""
        path = self.folder / f"{exercise}.py"
        if not path.is_file():
            raise ValueError(f"{exercise!r}: no such check here; this notebook's are {', '.join(self.exercises())}")
        env = inspect.currentframe().f_back.f_globals if env is None else env
        names = answer_names(path)
        if all(is_stub(env.get(name)) or name not in env for name in names):
            missing = [name for name in names if name not in env]
            how = (
                f"run the cell that defines {', '.join(missing)} first"
                if missing
                else f"write {', '.join(names)} in the cell above, run it, then run this cell"
            )
            print(f"{exercise}: not answered yet — {how}.")
            return None
        result = self.otter.check(exercise, env)
        if result.passed_all:
            return result  # otter shows its own "passed" line
        for line in failures(result):
            print(f"{exercise}: not right yet — {line}")
        return None

    def run(self, exercise: str, env: dict):
        """Run the check ``exercise`` on ``env`` through otter's checker and return otter's result, without the
        log file (``.OTTER_LOG``) that a check in a notebook writes: what grading and the tests use."""
        from otter.execute import Checker
        from otter.nbmeta_config import NBMetadataConfig

        return Checker.check(str(self.folder / f"{exercise}.py"), NBMetadataConfig(), global_env=env)

    @property
    def otter(self):
        if self._otter is None:
            import otter

            self._otter = otter.Notebook(tests_dir=str(self.folder))
        return self._otter


def failures(result) -> list[str]:
    """What went wrong in each failed test case of an otter result, one line each: the error's message (otter's
    own report adds the check's source line, which is the grader's business, not the learner's)."""
    lines = []
    for case in result.test_case_results:
        if not case.passed:
            last = (case.message or "").strip().splitlines()[-1].strip()
            lines.append(last.removeprefix("AssertionError: "))
    return lines


class Answers:
    """The model answers of notebook ``number``, called on the inputs a check gives the learner's function."""

    def __init__(self, number: str):
        self.number = number

    def expected(self, name: str, situation: str, transform: Callable | None, *args, **kwargs):
        """What the model answer ``name`` returns for these inputs, through ``transform`` if given (recorded so
        in a student release)."""
        key = f"nb{self.number}.{name}: {situation}"
        if EXPECTED.is_file():
            values = _expected()
            if key not in values:
                raise LookupError(f"{EXPECTED.name} has no result for {key!r}: rebuild it with make assignments")
            return values[key]
        module = importlib.import_module(f"solutions.nb{self.number}")
        value = getattr(module, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        if transform is not None:
            value = transform(value)
        if _recorded is not None:
            _recorded[key] = value
        return value

    def same(
        self,
        answer: Callable,
        situation: str,
        *args,
        transform: Callable | None = None,
        rtol: float = 1e-5,
        atol: float = 1e-6,
        **kwargs,
    ) -> None:
        """Call ``answer`` on the inputs and require the model answer's result (``transform`` of both, if given).

        ``situation`` says in words which inputs these are: it names the failing case in the message, which
        says what is off — never the expected value.
        """
        name = getattr(answer, "__name__", None)
        if not callable(answer) or name is None:
            raise AssertionError(f"expected a function defined with def, got {type(answer).__name__}")
        try:  # the learner's answer first: an unanswered or crashing one needs no model answer
            got = answer(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            raise AssertionError(f"{name}: not answered yet") from None
        except Exception as error:  # the learner's code failed: say where and how, as one line
            raise AssertionError(f"{name} for {situation} raised {type(error).__name__}: {error}") from None
        want = self.expected(name, situation, transform, *args, **kwargs)
        if transform is not None:
            try:
                got = transform(got)
            except Exception as error:
                raise AssertionError(f"{name} for {situation}: its result is not what the exercise asks for "
                                     f"({type(error).__name__}: {error})") from None
        compare(got, want, f"{name} for {situation}", rtol=rtol, atol=atol)


def _expected() -> dict[str, object]:
    global _expected_cache
    if _expected_cache is None:
        with open(EXPECTED, "rb") as f:
            _expected_cache = pickle.load(f)
    return _expected_cache


def model_answer_failures() -> list[str]:
    """Every check run against the model answers of ``solutions/`` (a course checkout only): a line for each
    that fails, with what is off."""
    failed = []
    for folder in exercise_folders():
        grader = for_notebook(folder[2:])
        answers = vars(importlib.import_module(f"solutions.{folder}"))
        for exercise in grader.exercises():
            result = grader.run(exercise, dict(answers))
            if not result.passed_all:
                failed.append(f"{folder} {exercise}: {' | '.join(failures(result))}")
    return failed


def record(run: Callable[[], None]) -> dict[str, object]:
    """Run ``run`` (every check against the model answers) and return the model answers' results it asked for."""
    global _recorded
    _recorded = {}
    try:
        run()
        return _recorded
    finally:
        _recorded = None


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def compare(got, want, what: str, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Raise ``AssertionError("<what>: <what is off>")`` unless ``got`` matches ``want``; the message names
    the difference (type, keys, length, shape, how many values) and the learner's value, never ``want``."""
    if got is None and want is not None:
        raise AssertionError(f"{what}: returns None — is a `return` missing?")
    if isinstance(want, dict):
        if not isinstance(got, dict):
            raise AssertionError(f"{what}: expected a dict, got {type(got).__name__}")
        if set(got) != set(want):
            missing, extra = sorted(set(want) - set(got), key=str), sorted(set(got) - set(want), key=str)
            raise AssertionError(f"{what}: the keys differ (missing {missing}, not expected {extra})")
        for key in want:
            compare(got[key], want[key], f"{what}, [{key!r}]", rtol=rtol, atol=atol)
        return
    if isinstance(want, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            raise AssertionError(f"{what}: expected True or False, got {type(got).__name__}")
        if bool(got) != bool(want):
            raise AssertionError(f"{what}: {bool(got)} is not right")
        return
    if isinstance(want, str):
        if got != want:
            raise AssertionError(f"{what}: the text differs (yours: {got!r})")
        return
    if _is_number(want):
        if not _is_number(got) and not (isinstance(got, np.ndarray) and got.size == 1):
            raise AssertionError(f"{what}: expected a number, got {type(got).__name__}")
        got = float(np.asarray(got).ravel()[0]) if isinstance(got, np.ndarray) else float(got)
        if math.isnan(got) and not math.isnan(float(want)):
            raise AssertionError(f"{what}: is NaN")
        if not (math.isclose(got, float(want), rel_tol=rtol, abs_tol=atol)):
            raise AssertionError(f"{what}: {got:.6g} is too {'large' if got > float(want) else 'small'}")
        return
    if isinstance(want, (list, tuple)) and not all(_is_number(v) for v in want):
        if not isinstance(got, (list, tuple)):
            raise AssertionError(f"{what}: expected a {type(want).__name__}, got {type(got).__name__}")
        if len(got) != len(want):
            raise AssertionError(f"{what}: expected {len(want)} items, got {len(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            compare(g, w, f"{what}, item {i}", rtol=rtol, atol=atol)
        return
    want_array = np.asarray(want)
    try:
        got_array = np.asarray(got)
    except Exception as error:  # a ragged list, for one
        raise AssertionError(f"{what}: expected an array, got {type(got).__name__} ({error})") from None
    if got_array.shape != want_array.shape:
        raise AssertionError(f"{what}: expected shape {want_array.shape}, got {got_array.shape}")
    if want_array.dtype.kind in "biu" and got_array.dtype.kind in "biu":
        wrong = got_array != want_array
    else:
        try:
            wrong = ~np.isclose(got_array.astype(np.float64), want_array.astype(np.float64), rtol=rtol, atol=atol)
        except (TypeError, ValueError):
            raise AssertionError(f"{what}: expected numbers, got values of type {got_array.dtype}") from None
    if wrong.any():
        raise AssertionError(
            f"{what}: {int(wrong.sum()):,} of {wrong.size:,} values are off "
            f"(the first at index {tuple(int(i) for i in np.argwhere(wrong)[0])})"
        )
