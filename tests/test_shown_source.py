"""What a notebook shows with `show_source(f)` is the lesson: a screenful of idea, taught where it is used.

Each `show_source(NAME)` is resolved the way the notebook resolves it, from its own `from helpers... import`
lines, and what it displays is held to the course's rule for shown helpers (GUIDE.md, "The learner's view"):
at most 25 non-blank lines, no argument checks on screen, and nothing that sends the learner ahead to a
notebook they have not reached.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

from helpers._checks import check_int, checked_by
from helpers.notebook import lesson_source, show_source

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_LINES = 25
#: "notebook 12", "notebooks 12 and 14", "notebooks 10–13", "nb 12", "12_better_model.ipynb"
NOTEBOOK_REFERENCE = re.compile(
    r"\bnotebooks?\s+(\d+(?:\s*(?:,|and|or|to|–|-)\s*\d+)*)|\bnb\s*(\d+)\b|\b(\d\d)_\w+\.ipynb", re.IGNORECASE)


def notebook_numbers(text: str) -> set[int]:
    """Every notebook number ``text`` refers to (a range ``10–13`` counts its ends)."""
    numbers = set()
    for match in NOTEBOOK_REFERENCE.finditer(text):
        numbers |= {int(n) for group in match.groups() if group for n in re.findall(r"\d+", group)}
    return numbers


def shown(path: Path) -> list[tuple[str, object]]:
    """``(NAME, object)`` for each ``show_source(NAME)`` of the notebook at ``path``, NAME resolved from the
    notebook's own ``from helpers... import`` lines."""
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    imported, names = {}, []
    for cell in cells:
        tree = ast.parse("".join(cell["source"]))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show_source":
                [argument] = node.args
                names.append(argument.id)
    result = []
    for name in names:
        assert name in imported, f"{path.name}: show_source({name}) but {name} is not imported from helpers"
        module, attribute = imported[name]
        result.append((name, getattr(importlib.import_module(module), attribute)))
    return result


CASES = [(path, name, obj) for path in NOTEBOOKS for name, obj in shown(path)]


def test_the_notebooks_show_helpers():
    assert len(CASES) >= 20, [f"{p.name}: {n}" for p, n, _ in CASES]


@pytest.mark.parametrize(("path", "name", "obj"), CASES, ids=[f"{p.name[:2]}-{n}" for p, n, _ in CASES])
def test_a_shown_helper_is_a_screenful_of_its_idea(path, name, obj):
    markdown = show_source(obj).data
    assert markdown.startswith("```python\n") and markdown.endswith("\n```")
    code = markdown.removeprefix("```python\n").removesuffix("\n```")
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= MAX_LINES, f"{path.name} shows {name} in {len(lines)} lines:\n{code}"
    assert not [line for line in lines if re.match(r"\s*raise\b", line)], (
        f"{path.name} shows {name} with its argument checks; move them to a boundary (helpers._checks.checked_by)")
    later = {n for n in notebook_numbers(code) if n > int(path.name[:2])}
    assert not later, f"{path.name} shows {name}, which refers to later notebook(s) {sorted(later)}:\n{code}"


def test_notebook_numbers_finds_single_numbers_lists_ranges_and_file_names():
    text = "as notebook 12 shows; notebooks 08, 12 and 14; Notebooks 10–13's numbers; nb 15; see 09_results.ipynb"
    assert notebook_numbers(text) == {8, 9, 10, 12, 13, 14, 15}
    assert notebook_numbers("a (B, 128) embedding, 1e-12, 3×3 kernels, step 15") == set()


def _positive(n: object) -> dict:
    return {"n": check_int(n, "n", minimum=1)}


@checked_by(_positive)
def _twice(n: int) -> int:
    """Twice ``n``: the first paragraph,
    on two lines.

    Details that stay in the code.

    >>> _twice(2)
    4
    """
    return 2 * n  # the idea


def test_the_lesson_is_the_signature_the_first_paragraph_and_the_body_without_its_checks():
    assert lesson_source(_twice) == (
        "def _twice(n: int) -> int:\n"
        '    """Twice ``n``: the first paragraph,\n'
        '    on two lines."""\n'
        "    return 2 * n  # the idea"
    )
    with pytest.raises(ValueError, match="n: expected a whole number >= 1, got 0"):
        _twice(0)  # the checks left off the screen still guard the function


def test_decorators_that_do_more_than_check_stay_on_screen():
    from helpers.losses import batch_contrastive_loss, contrastive_loss

    for loss in (contrastive_loss, batch_contrastive_loss):
        code = lesson_source(loss)
        assert code.startswith('@keras.saving.register_keras_serializable(package="helpers")\ndef ')
        assert "checked_by" not in code
