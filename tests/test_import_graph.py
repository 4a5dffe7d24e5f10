"""The helpers import each other in one direction: the lesson modules at the bottom, no circles.

Read from the source with ``ast``, so that imports inside functions count as much as those at the top: a
circle through a function-level import works only as long as nobody moves that import.
"""

from __future__ import annotations

import ast
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
#: The modules a notebook teaches from before notebook 15: none of them may need notebook 15's module.
LESSONS = ("helpers.data", "helpers.pairs", "helpers.losses", "helpers.models", "helpers.evaluation",
           "helpers.selfsup", "helpers.repro")


def imports(source: str, modules: set[str]) -> set[str]:
    """The ``helpers`` modules that ``source`` (a module of the package) imports, anywhere in it, inside
    functions too (``import helpers.x``, ``from helpers.x import y``, ``from helpers import x``, and the
    relative ``from .x import y``, ``from . import x``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.level in (0, 1):
            module = node.module if node.level == 0 else ".".join(filter(None, ["helpers", node.module]))
            if module == "helpers":
                found |= {f"helpers.{alias.name}" for alias in node.names} & modules
            elif module in modules:
                found.add(module)
    return found


def import_graph(folder: Path = HELPERS) -> dict[str, set[str]]:
    """``{module: the helpers modules it imports}`` for every module of the package in ``folder``; its
    ``__init__`` as ``helpers``, which every ``import helpers.x`` runs first."""
    paths = {("helpers" if p.stem == "__init__" else f"helpers.{p.stem}"): p for p in folder.glob("*.py")}
    return {name: imports(path.read_text(encoding="utf-8"), set(paths) - {"helpers"}) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle found by a depth-first search, each as ``[a, b, ..., a]``."""
    found, state = [], {}  # state: 1 while on the current path, 2 when done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_import_graph_reader_sees_function_level_imports_and_finds_circles():
    source = "import numpy\nfrom helpers import pairs\n\ndef f():\n    from helpers.losses import accuracy\n"
    assert imports(source, {"helpers.pairs", "helpers.losses", "helpers.data"}) == {"helpers.pairs",
                                                                                     "helpers.losses"}
    relative = "from . import pairs\nfrom .losses import accuracy\nfrom .. import elsewhere\n"
    assert imports(relative, {"helpers.pairs", "helpers.losses"}) == {"helpers.pairs", "helpers.losses"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_helpers_import_each_other_without_circles():
    graph = import_graph()
    assert "helpers.losses" in graph and "helpers.distribute" in graph
    assert cycles(graph) == []


def test_the_lesson_modules_do_not_need_notebook_15s_module():
    """Not even through a function-level import, nor through the package's ``__init__`` (which runs first)."""
    graph = import_graph()
    assert "helpers.distribute" not in graph["helpers.losses"] | graph["helpers.models"]
    for module in LESSONS:
        assert "helpers.distribute" not in reachable(graph, module) | reachable(graph, "helpers") | {module}, module


def test_the_checks_read_the_imports_that_once_made_a_circle(tmp_path):
    """The code before this test: models and losses imported distribute inside functions, distribute imported
    them back — the tests above must see both."""
    for name, source in {
        "__init__": "",
        "losses": "def across():\n    from helpers.distribute import gather\n",
        "models": "from helpers.losses import accuracy\n\ndef n():\n    from helpers.distribute import replicas\n",
        "distribute": "def train():\n    from helpers.losses import accuracy\n    from helpers.models import n\n",
    }.items():
        (tmp_path / f"{name}.py").write_text(source)
    graph = import_graph(tmp_path)
    assert {"helpers.losses", "helpers.distribute"} in [set(circle) for circle in cycles(graph)]
    assert "helpers.distribute" in reachable(graph, "helpers.models")
