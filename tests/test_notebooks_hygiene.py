"""The committed notebooks are what learners read on the web and what nbval compares: check them."""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LOCAL_PATH = re.compile(r"(/root/|/home/[a-z_][a-z0-9_-]*/|/tmp/[A-Za-z0-9_.-]+/|/Users/[^/\"]+/|[A-Z]:\\\\Users\\\\)")
ARTICLE_STEPS = 9
NBVAL_MARKERS = {"# NBVAL_IGNORE_OUTPUT", "# NBVAL_CHECK_OUTPUT", "# NBVAL_RAISES_EXCEPTION", "# NBVAL_SKIP"}
WORD_LIMIT = 1_500  # words of markdown prose: one sitting (GUIDE.md, "The learner's view")

# Test machinery a learner must not meet in a code cell they can see (a cell whose source JupyterLab hides,
# metadata ``jupyter.source_hidden``, may hold it): each token, and where it belongs instead.
MACHINERY = {
    "check_parameters": "the parameter guard: a hidden cell right after the imports",
    "NBVAL_": "nbval's comment markers: the cell's tag nbval-ignore-output instead",
    "check_floors": "the floors (helpers/floors.py): a hidden cell",
    "full_budget": "an argument of check_floors: a hidden cell",
    "replayed under test": "how the tests run a cell: no business of the learner",
    "COURSE_": "the environment variables of make and the tests",
    "should_train": "the replay switch of the tests: keep fit in sight as Keras teaches it",
    "lock_report": "the lock-file check of notebook 01: a hidden cell",
    "_quiet": "how helpers quiets TensorFlow's start-up: a helpers import says it all",
    "_tensorflow": "how helpers quiets TensorFlow's start-up: a helpers import says it all",
}
# What no output may say, hidden cell or not: a check that passes prints nothing.
MACHINERY_OUTPUT = re.compile(r"at or above the floors|\bfloors\b", re.IGNORECASE)
# Exceptions, each with its reason: {(notebook file name, token or "output"): why it is the lesson}.
ALLOWED: dict[tuple[str, str], str] = {}
TENSORFLOW = re.compile(r"^(?:import|from)\s+(?:keras|tensorflow)\b")
HELPERS_IMPORT = re.compile(r"^(?:import|from)\s+helpers\.(\w+)")


def quiet_starters() -> set[str]:
    """The helpers modules whose import starts TensorFlow quietly: those importing ``helpers._tensorflow`` at
    module level (read from their import statements)."""
    starters = set()
    for module in (ROOT / "helpers").glob("*.py"):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.Import) and any(a.name == "helpers._tensorflow" for a in node.names):
                starters.add(module.stem)
    return starters


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def hidden(cell) -> bool:
    """JupyterLab shows the cell's source collapsed (the site too). The parameters cell is always in sight:
    papermill and a learner edit it."""
    return (cell["metadata"].get("jupyter", {}).get("source_hidden") is True
            and "parameters" not in cell["metadata"].get("tags", []))


def ignored(cell) -> bool:
    """nbval compares nothing of this cell's output (its tag; nbval also honours the comment marker)."""
    return ("nbval-ignore-output" in cell["metadata"].get("tags", [])
            or "# NBVAL_IGNORE_OUTPUT" in "".join(cell["source"]).splitlines())


def output_texts(cell):
    """The text of each output as a reader sees it (streams, tracebacks, text/* data), never image bytes."""
    for out in cell.get("outputs", []):
        yield "".join(out.get("text", "")) + "\n".join(out.get("traceback", []))
        for kind, data in out.get("data", {}).items():
            if kind.startswith("text/"):
                yield "".join(data)


def machinery_in_sight(nb, name: str) -> list[str]:
    """Each place a learner meets test machinery in the notebook ``nb`` (file ``name``), less ``ALLOWED``."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if not hidden(cell):
            for line in "".join(cell["source"]).splitlines():
                found += [f"cell {i}: {token!r} in {line.strip()!r} ({where})" for token, where in MACHINERY.items()
                          if token in line and (name, token) not in ALLOWED]
        for text in output_texts(cell):
            match = MACHINERY_OUTPUT.search(text)
            if match and (name, "output") not in ALLOWED:
                found.append(f"cell {i}: an output says {match.group(0)!r}: a check that passes prints nothing")
    return found


def prose_words(nb) -> int:
    return sum(len("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_one_notebook_per_article_step_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:ARTICLE_STEPS] == list(range(1, ARTICLE_STEPS + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_hygiene(path):
    nb = load(path)
    cells = [c for c in code_cells(nb) if "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "not executed top to bottom on a fresh kernel"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb["metadata"]
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, "exactly one papermill 'parameters' cell"
    assert "injected-parameters" not in json.dumps(nb)
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        for line in source.splitlines():
            if "NBVAL_" in line:  # nbval only honours a comment that is exactly the marker
                assert line.strip() in NBVAL_MARKERS, f"cell {i}: {line.strip()!r} is not a marker nbval recognises"
        assert "papermill" not in cell["metadata"] and "execution" not in cell["metadata"]
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} has an error output"
            text = json.dumps(out)
            match = LOCAL_PATH.search(text)
            assert not match, f"cell {i} shows a local path {match.group(0)!r}"
            if out.get("name") == "stderr":
                assert ignored(cell), f"cell {i} writes to stderr in a compared cell"
    assert any(c["outputs"] for c in cells), "committed without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_anatomy(path):
    nb = load(path)
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith(f"# {path.name[:2]} · "), "title with the notebook's number"
    assert "You will learn" in first
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Summary" in text
    code = "\n".join("".join(c["source"]) for c in code_cells(nb))
    assert any(HELPERS_IMPORT.match(line) for line in code.splitlines()), "notebooks share code through helpers"
    lesson = "\n".join("".join(c["source"]) for c in code_cells(nb) if "exercise" not in c["metadata"].get("tags", []))
    assert "def " not in lesson.replace("# def", ""), "functions belong in helpers, not in notebooks (or answer cells)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_test_machinery_in_what_a_learner_sees(path):
    """Checks that are not the lesson live in hidden cells or in tests; a check that passes prints nothing."""
    found = machinery_in_sight(load(path), path.name)
    assert not found, f"{path.name} shows test machinery to the learner:\n  " + "\n  ".join(found)


def test_the_machinery_scan_finds_what_it_must():
    """The scan itself: a token in a visible cell or in the parameters cell (hidden or not) is found, the same
    token in a hidden cell is not, and an output that talks of floors is found wherever its cell is."""
    def nb(source, outputs=(), hide=False, tags=()):
        metadata = {"tags": list(tags), **({"jupyter": {"source_hidden": True}} if hide else {})}
        return {"cells": [{"cell_type": "code", "metadata": metadata, "source": [source],
                           "outputs": [{"output_type": "stream", "name": "stdout", "text": [t]} for t in outputs]}]}

    assert machinery_in_sight(nb("check_parameters(SEED=SEED)"), "x.ipynb")
    assert machinery_in_sight(nb("import helpers  # see helpers/_quiet.py"), "x.ipynb")
    assert machinery_in_sight(nb("SEED = 42  # COURSE_BUILD", hide=True, tags=["parameters"]), "x.ipynb")
    assert machinery_in_sight(nb("check_parameters(SEED=SEED)", hide=True), "x.ipynb") == []
    assert machinery_in_sight(nb("x = 1", ["at or above the floors for mnist"], hide=True), "x.ipynb")
    assert machinery_in_sight(nb("x = 1", ["test accuracy 0.91"]), "x.ipynb") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_tensorflow_is_first_imported_through_helpers(path):
    """TensorFlow's start-up chatter would otherwise land in a cell's output: an import of a helpers module
    that starts TensorFlow quietly runs before the first cell line that imports keras or tensorflow."""
    starters = quiet_starters()
    assert {"losses", "models", "training", "repro"} <= starters, starters
    for i, cell in enumerate(code_cells(load(path))):
        for line in "".join(cell["source"]).splitlines():
            match = HELPERS_IMPORT.match(line)
            if match and match.group(1) in starters:
                return
            assert not TENSORFLOW.match(line), f"code cell {i}: {line!r} comes before TensorFlow started quietly"


READS_BUILD = re.compile(r"load_(?:json|model)\(build\b")
TRAINS = re.compile(r"\bCheckpoints\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_what_earlier_notebooks_built_is_read_before_training(path):
    """A notebook that trains reads earlier notebooks' outputs first: a missing one is named before minutes of
    training, not after (when the finished run's checkpoint is gone and a rerun trains again)."""
    lines = [line for cell in code_cells(load(path)) for line in "".join(cell["source"]).splitlines()]
    trains = [i for i, line in enumerate(lines) if TRAINS.search(line)]
    late = [line.strip() for i, line in enumerate(lines) if READS_BUILD.search(line) and trains and i > trains[0]]
    assert not late, f"read after the first training: {late}"


def test_every_notebook_is_one_sitting():
    """At most WORD_LIMIT words of markdown prose per notebook (split on whitespace); a side topic becomes an
    optional appendix."""
    counts = {path.name: prose_words(load(path)) for path in NOTEBOOKS}
    over = [name for name, count in counts.items() if count > WORD_LIMIT]
    assert not over, (f"over {WORD_LIMIT:,} words of markdown: {', '.join(over)}; every notebook: "
                      + ", ".join(f"{name[:2]} {count}" for name, count in counts.items()))


def _assigned_names(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign, ast.For)) else []
        for target in targets:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _checked_names(source: str) -> set[str]:
    """Names that appear inside an ``assert`` or a ``check_floors(...)`` call of ``source``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        floors_call = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_floors"
        if isinstance(node, ast.Assert) or floors_call:
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return names


@pytest.mark.parametrize("path", NOTEBOOKS[7:], ids=lambda p: p.name)  # from 08 on: notebooks that train or measure
def test_what_an_ignored_cell_computes_is_checked_by_a_later_compared_cell(path):
    """An output nbval ignores is checked another way: every name it computes that later cells use appears in a
    later ``assert`` or ``check_floors`` (a later assert about something else does not count)."""
    cells = code_cells(load(path))
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        if not ignored(cell):
            continue
        later = ["".join(c["source"]) for c in cells[i + 1:]]
        used = {n for n in _assigned_names(source) if any(re.search(rf"\b{n}\b", s) for s in later)}
        checked = set().union(*(_checked_names(s) for s in later)) if later else set()
        assert used <= checked, f"{path.name}: ignored cell {i} computes {sorted(used - checked)}, never asserted later"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_between_notebooks_resolve(path):
    nb = load(path)
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    targets = re.findall(r"\]\(([^)#\s]+\.ipynb)", text)
    for target in targets:
        assert (path.parent / target).is_file(), f"{path.name} links to a missing {target}"
    if path != NOTEBOOKS[-1]:
        assert NOTEBOOKS[NOTEBOOKS.index(path) + 1].name in targets, "no link to the next notebook"


SHOW_SOURCE = re.compile(r"^show_source\((\w+)\)$")  # matched against a cell's last line


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_shown_helper_source_is_the_current_code(path):
    """A `show_source(f)` cell displays helper code: a change to that helper must come with a refreshed output.

    nbval would catch it too, but only after the whole notebook ran in CI; this check costs no kernel.
    """
    import importlib
    import pkgutil

    import helpers
    from helpers.notebook import show_source

    modules = [importlib.import_module(f"helpers.{m.name}") for m in pkgutil.iter_modules(helpers.__path__)]

    shown = 0
    for i, cell in enumerate(code_cells(load(path))):
        lines = "".join(cell["source"]).strip().splitlines()
        match = SHOW_SOURCE.match(lines[-1]) if lines else None
        if not match:
            continue
        shown += 1
        [out] = cell["outputs"]
        committed = "".join(out["data"]["text/markdown"])
        [obj] = {id(f): f for m in modules if (f := vars(m).get(match.group(1))) is not None}.values()
        assert committed == show_source(obj).data, (
            f"cell {i}: shows an older {match.group(1)}; rerun the notebook (make refresh ONLY=NN) or update the output"
        )
    if path.name[:2] in {"01", "02", "03", "05", "06", "08", "10", "12", "13"}:
        assert shown, "this notebook shows helper code; the pattern above no longer finds it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_checks_every_parameter_with_the_shared_rules(path):
    """One rule per parameter (helpers/parameters.py), applied by the runner and, for a learner who edits the
    parameters cell in JupyterLab, by the notebook itself: no notebook carries its own checks. The check runs in
    a hidden cell before any other cell uses a parameter, so a bad value is refused before it does harm."""
    cells = code_cells(load(path))
    tagged = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
    names = [t.id for n in ast.parse("".join(tagged["source"])).body if isinstance(n, ast.Assign) for t in n.targets]
    calls = [(i, node) for i, c in enumerate(cells) for node in ast.walk(ast.parse("".join(c["source"])))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_parameters"]
    assert len(calls) == 1, "one check_parameters(...) call"
    [(at, call)] = calls
    assert [(k.arg, k.value.id) for k in call.keywords] == [(n, n) for n in names]
    assert hidden(cells[at]), f"code cell {at} checks the parameters in sight: hide its source"
    for i, cell in enumerate(cells[:at]):
        if cell is tagged:
            continue
        used = {n.id for n in ast.walk(ast.parse("".join(cell["source"]))) if isinstance(n, ast.Name)} & set(names)
        assert not used, f"code cell {i} uses {sorted(used)} before code cell {at} checks them"
    assert not any("raise ValueError" in "".join(c["source"]) for c in cells)
