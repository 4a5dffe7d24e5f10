"""Small conveniences for the notebooks."""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.display import Markdown

#: The exact versions that produced the committed outputs (``make lock`` writes it, ``make setup`` installs it).
LOCK = Path(__file__).resolve().parent.parent / "requirements" / "lock.txt"
#: The course's notebooks, ``NN_topic.ipynb``: found from this package, so that a notebook (which runs inside
#: this folder) and a script at the project root read the same outline.
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def show_source(obj) -> Markdown:
    """Display a helper's code as a highlighted block, one definition shown where it is taught: what
    :func:`lesson_source` returns.

    >>> show_source(show_source).data.splitlines()[:2]
    ['```python', 'def show_source(obj) -> Markdown:']
    """
    from IPython.display import Markdown

    return Markdown(f"```python\n{lesson_source(obj)}\n```")


def lesson_source(obj) -> str:
    """The part of a function's (or class's) source that is the lesson: its decorators, signature, the first
    paragraph of its docstring, and its body.

    Left out of the display, though they stay in the code: the rest of the docstring (details, doctests),
    and decorators from :mod:`helpers._checks`, which only check arguments. So a shown helper reads as the
    idea — the formula, the loop, the layers — while its checks guard it at the boundary.

    >>> [">>> course_outline()" in text for text in (inspect.getsource(course_outline), lesson_source(course_outline))]
    [True, False]
    """
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    node = ast.parse(source).body[0]
    namespace = getattr(inspect.unwrap(obj), "__globals__", None) or vars(sys.modules[obj.__module__])
    shown = [line for decorator in node.decorator_list if not _only_checks(decorator, namespace)
             for line in lines[decorator.lineno - 1:decorator.end_lineno]]
    first = node.body[0]
    shown += lines[node.lineno - 1:first.lineno - 1]  # the signature
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        docstring = lines[first.lineno - 1:first.end_lineno]
        paragraph = docstring[:1]
        for line in docstring[1:]:
            if not line.strip() or line.strip().startswith(">>>"):
                quote = re.match(r"\s*[rRuU]?(\"\"\"|\'\'\')", docstring[0])[1]
                paragraph[-1] = paragraph[-1].rstrip() + quote  # cut short: closed after its first paragraph
                break
            paragraph.append(line)
        shown += paragraph
        shown += lines[first.end_lineno:]
    else:
        shown += lines[first.lineno - 1:]
    return "\n".join(shown).rstrip()


def _only_checks(decorator: ast.expr, namespace: dict) -> bool:
    """Whether ``decorator`` (``@name``, ``@module.name`` or either called) comes from :mod:`helpers._checks`."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(target, ast.Attribute):
        parts.insert(0, target.attr)
        target = target.value
    if not isinstance(target, ast.Name) or target.id not in namespace:
        return False
    value = namespace[target.id]
    for part in parts:
        value = getattr(value, part, None)
    module = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
    return module == "helpers._checks"


def course_outline(folder: str | Path = NOTEBOOKS) -> list[tuple[str, str, str | None]]:
    """The course's table of contents, read from the notebooks: ``[(number, title, article step or None), ...]``
    in the order of the file names ``NN_*.ipynb`` in ``folder``.

    Each notebook opens with a markdown cell whose heading is ``# NN · Title`` and which says either
    ``*Article step N`` (the notebook follows step N of the article: ``"N"``) or ``*Beyond the article`` (None).
    Reading the outline from the notebooks, instead of keeping a second list, keeps the course map of
    notebook 01 (:func:`helpers.plots.plot_course_map`) true when a notebook is added or renamed.

    >>> course_outline()[0]
    ('01', 'Imports and a reproducible environment', '1')
    """
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"folder: expected notebooks named NN_topic.ipynb in {folder}, found none")
    outline = []
    for path in paths:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        first = cells[0] if cells else {}
        source = first.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        heading = re.search(r"^#\s+(\d+)\s*·\s*(.+?)\s*$", text, re.MULTILINE)
        step = re.search(r"^\*Article steps?\s+(\d+)", text, re.MULTILINE)
        beyond = re.search(r"^\*Beyond the article", text, re.MULTILINE)
        if first.get("cell_type") != "markdown" or heading is None or (step is None) == (beyond is None):
            raise ValueError(f"{path.name}: expected a first markdown cell with '# NN · Title' and either "
                             "'*Article step N' or '*Beyond the article'")
        if heading[1] != path.name[:2]:
            raise ValueError(f"{path.name}: its heading says notebook {heading[1]}, its file name {path.name[:2]}")
        outline.append((heading[1], heading[2], step[1] if step else None))
    return outline


def _applicable(lock: str | Path) -> list:
    """The lock's requirements that apply to this platform and Python version (their markers hold)."""
    from packaging.requirements import Requirement

    requirements = (Requirement(line) for line in Path(lock).read_text(encoding="utf-8").splitlines()
                    if line and not line.startswith((" ", "#")))
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def lock_differences(lock: str | Path = LOCK) -> dict[str, tuple[str, str | None]]:
    """Packages whose installed version is not the one ``lock`` pins for this platform and Python:
    ``{name: (locked specifier, installed version or None)}``; empty when the environment is the locked one."""
    return _differences(_applicable(lock))


def _differences(requirements: list) -> dict[str, tuple[str, str | None]]:
    from importlib.metadata import distributions

    installed = {_normal(d.metadata["Name"]): d.version for d in distributions()}
    differences = {}
    for requirement in requirements:
        name = _normal(requirement.name)
        version = installed.get(name)
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            differences[name] = (str(requirement.specifier), version)
    return differences


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def lock_covers(lock: str | Path = LOCK) -> bool:
    """Whether ``lock`` pins anything for this platform and Python version (Linux x86_64 or macOS arm64,
    Python 3.11 or 3.12); elsewhere ``make setup`` installs from the ranges and nothing can be compared."""
    return bool(_applicable(lock))


def lock_report(lock: str | Path = LOCK) -> str:
    """One line for notebook 01: does this environment hold exactly the locked versions?"""
    requirements = _applicable(lock)  # read and parsed once
    if not requirements:
        return f"{Path(lock).name} does not cover this platform: versions not compared"
    differences = _differences(requirements)
    if not differences:
        return f"every package matches {Path(lock).parent.name}/{Path(lock).name}"
    shown = ", ".join(f"{name} {have or 'missing'} (locked {want})" for name, (want, have) in differences.items())
    return f"differs from {Path(lock).name}: {shown}; run make setup"
