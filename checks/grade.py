"""Grade learners' notebooks: ``python -m checks.grade SUBMISSION.ipynb ... [--csv grades.csv]``.

For each submitted notebook it runs only the answer cells (the code cells tagged ``exercise``), in a fresh
namespace that holds the notebook's imports, then every check of that notebook through otter-grader, and prints
one line per exercise. Nothing else of the notebook runs, so nothing retrains and a notebook takes seconds; an
answer that relies on a variable of the lesson instead of its arguments fails its check with a ``NameError``.
The answer cells run in this Python process, as otter's own ``run`` does: grade in an environment you can throw
away.
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
import sys
from pathlib import Path

import checks

TITLE = re.compile(r"^# (\d\d) · ")


def notebook_number(nb: dict, name: str) -> str:
    """The course notebook a submission is ("05"), from its title cell: learners rename files."""
    first = "".join(nb["cells"][0]["source"]) if nb.get("cells") else ""
    match = TITLE.match(first)
    if not match:
        raise ValueError(f"{name}: not a notebook of this course (its first cell is no '# NN · ' title)")
    return match.group(1)


def imports(source: str) -> str:
    """The top-level import statements of a code cell (what an answer may use besides its arguments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, or a learner's typo: no imports taken from this cell
        return ""
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


def answers(nb: dict) -> tuple[dict, list[str]]:
    """The namespace the answer cells define, on top of the notebook's imports, and a line for each answer cell
    that raised."""
    env: dict = {"__name__": "__main__"}
    errors = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "exercise" not in cell["metadata"].get("tags", []):
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                exec(imports("".join(cell["source"])), env)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "exercise" in cell["metadata"].get("tags", []):
            source = "".join(cell["source"])
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(source, "<answer cell>", "exec"), env)
            except Exception as error:
                errors.append(f"{source.splitlines()[0] if source else 'an answer cell'}: "
                              f"{type(error).__name__}: {error}")
    return env, errors


def grade(path: Path) -> list[dict]:
    """One row per checked exercise of the notebook at ``path``: its score (0 to 1) and otter's message."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read it as a notebook ({error})") from None
    number = notebook_number(nb, path.name)
    env, errors = answers(nb)
    grader = checks.for_notebook(number)
    rows = []
    for exercise in grader.exercises():
        with contextlib.redirect_stdout(io.StringIO()):
            result = grader.run(exercise, dict(env))
        rows.append({"submission": str(path), "notebook": number, "exercise": exercise,
                     "score": round(result.grade, 4),
                     "message": " | ".join(checks.failures(result))})
    if errors:
        rows.append({"submission": str(path), "notebook": number, "exercise": "answer cells", "score": "",
                     "message": "; ".join(errors)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checks.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="+", type=Path, help="learners' notebooks (.ipynb)")
    parser.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    args = parser.parse_args(argv)
    rows = []
    for path in args.submissions:
        try:
            found = grade(path)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        rows += found
        scored = [r for r in found if r["score"] != ""]
        print(f"{path}: notebook {found[0]['notebook']}, {sum(r['score'] for r in scored):g} of {len(scored)}")
        for row in found:
            print(f"  {row['exercise']}: {row['score'] if row['score'] != '' else '—'}  {row['message']}".rstrip())
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["submission", "notebook", "exercise", "score", "message"])
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
