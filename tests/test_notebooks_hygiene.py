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


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


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
                assert "# NBVAL_IGNORE_OUTPUT" in source.splitlines(), f"cell {i} writes to stderr in a compared cell"
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
    assert "import helpers" in code, "notebooks share code through helpers"
    assert "def " not in code.replace("# def", ""), "functions belong in helpers, not in notebooks"


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
        if "# NBVAL_IGNORE_OUTPUT" not in source.splitlines():
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


SHOW_SOURCE = re.compile(r"^show_source\((\w+)\)$")


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
        match = SHOW_SOURCE.match("".join(cell["source"]).strip())
        if not match:
            continue
        shown += 1
        [out] = cell["outputs"]
        committed = "".join(out["data"]["text/markdown"])
        [obj] = {id(f): f for m in modules if (f := vars(m).get(match.group(1))) is not None}.values()
        assert committed == show_source(obj).data, (
            f"cell {i}: shows an older {match.group(1)}; rerun the notebook (make refresh NB=...) or update the output"
        )
    if path.name[:2] in {"02", "03", "05", "06", "08", "10", "12", "13"}:
        assert shown, "this notebook shows helper code; the pattern above no longer finds it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_checks_every_parameter_with_the_shared_rules(path):
    """One rule per parameter (helpers/parameters.py), applied by the runner and, for a learner who edits the
    parameters cell in JupyterLab, by the notebook itself: no notebook carries its own checks."""
    import ast

    cells = code_cells(load(path))
    tagged = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
    names = [t.id for n in ast.parse("".join(tagged["source"])).body if isinstance(n, ast.Assign) for t in n.targets]
    calls = [node for c in cells for node in ast.walk(ast.parse("".join(c["source"])))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_parameters"]
    assert len(calls) == 1, "one check_parameters(...) call"
    assert [(k.arg, k.value.id) for k in calls[0].keywords] == [(n, n) for n in names]
    assert not any("raise ValueError" in "".join(c["source"]) for c in cells)
