#!/usr/bin/env python3
"""Render the executed notebook series as a static, navigable site (``make html``).

    python scripts/build_site.py [--notebooks notebooks] [--out build/site]

Each notebook becomes one self-contained HTML page (nbconvert's JupyterLab template; figures embedded as
data URIs, so the folder can be copied or served anywhere), with a bar linking to the index and to the
previous and next notebooks; links between notebooks (``NN_name.ipynb``) are rewritten to the pages. The
index lists every notebook with the objectives of its "You will learn" list. Nothing is re-executed: the
pages show the outputs stored in the notebooks (the committed ones by default, or ``build/executed``
after ``make run``).
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = re.compile(r"\d\d_[\w-]+\.ipynb")
STYLE = """<style>
.course-nav { font: 15px system-ui, sans-serif; padding: 10px 24px; background: #f6f8fa;
  border-bottom: 1px solid #d0d7de; display: flex; gap: 24px; position: sticky; top: 0; z-index: 100; }
.course-nav a { color: #0969da; text-decoration: none; } .course-nav .here { font-weight: 600; }
</style>"""


def title_and_objectives(nb) -> tuple[str, list[str]]:
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")), "")
    objectives, inside = [], False
    for line in first.splitlines():
        if "You will learn" in line:
            inside = True
        elif inside and line.startswith("- "):
            objectives.append(line[2:].strip())
        elif inside and line.startswith("  ") and objectives:
            objectives[-1] += " " + line.strip()
        elif inside and line.strip():
            break
    return title, objectives


def inline_markdown(text: str) -> str:
    """The little markdown an objective uses: `code`, *emphasis*, **strong**."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def nav(pages: list[str], here: int) -> str:
    parts = ['<a href="index.html">Course index</a>']
    if here > 0:
        parts.append(f'<a href="{pages[here - 1]}">← {pages[here - 1][:-5]}</a>')
    parts.append(f'<span class="here">{pages[here][:-5]}</span>')
    if here < len(pages) - 1:
        parts.append(f'<a href="{pages[here + 1]}">{pages[here + 1][:-5]} →</a>')
    return f'{STYLE}<nav class="course-nav">{"".join(parts)}</nav>'


def build(notebooks_dir: Path, out: Path) -> list[Path]:
    import nbformat
    from nbconvert import HTMLExporter

    paths = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SystemExit(f"error: no numbered notebooks in {notebooks_dir}")
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    pages = [p.with_suffix(".html").name for p in paths]
    entries, written = [], []
    for k, path in enumerate(paths):
        nb = nbformat.read(path, as_version=4)
        title, objectives = title_and_objectives(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or path.stem}})
        body = re.sub(r'href="(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
        body = body.replace('href="../solutions/', 'href="solutions/')
        bar = nav(pages, k)
        body = re.sub(r"(<body[^>]*>)", lambda m, bar=bar: m.group(1) + bar, body, count=1)
        target = out / pages[k]
        target.write_text(body, encoding="utf-8")
        written.append(target)
        entries.append((pages[k], title, objectives))
    solutions = notebooks_dir.parent / "solutions"
    if not solutions.is_dir():
        solutions = ROOT / "solutions"
    (out / "solutions").mkdir(exist_ok=True)
    for source in sorted(solutions.glob("nb*.py")):
        (out / "solutions" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    items = "\n".join(
        f'<li><a href="{page}">{inline_markdown(title)}</a><ul>'
        + "".join(f"<li>{inline_markdown(o)}</li>" for o in objectives) + "</ul></li>"
        for page, title, objectives in entries
    )
    index = out / "index.html"
    index.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Contrastive learning — a hands-on course</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; }}
ol > li {{ margin-bottom: 1em; }} ol > li > a {{ font-weight: 600; }} ul {{ color: #444; }}</style></head>
<body><h1>Contrastive learning — a hands-on course</h1>
<p>A Siamese network learns similarity with a contrastive loss on MNIST, notebook by notebook: notebooks
01–09 follow the tutorial article step by step (and fix it), 10–13 go further. Every page shows the outputs
of a real run.</p>
<ol>
{items}
</ol></body></html>
""", encoding="utf-8")
    return [index, *written]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args()
    written = build(args.notebooks, args.out)
    print(f"{len(written)} pages in {args.out}; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
