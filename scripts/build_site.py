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
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = re.compile(r"\d\d_[\w-]+\.ipynb")
STYLE = """<style>
.course-nav { font: 15px system-ui, sans-serif; padding: 10px 24px; background: #f6f8fa;
  border-bottom: 1px solid #d0d7de; display: flex; gap: 24px; position: sticky; top: 0; z-index: 100; }
.course-nav a { color: #0969da; text-decoration: none; } .course-nav .here { font-weight: 600; }
</style>"""


# What rendered markdown may contain: everything the course's markdown produces (headings with anchors,
# lists, tables, code with highlighting, links), nothing that runs (no <script>, <svg>, <iframe>, event
# handlers such as onload=, or javascript: links), whoever wrote the notebook.
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4",
             "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "span", "strong", "sub", "summary",
             "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href", "title", "class"], "img": ["src", "alt", "title"],
                   "td": ["align"], "th": ["align"]}


def sanitize(fragment: str) -> str:
    """Rendered markdown reduced to :data:`SAFE_TAGS`; unsafe markup is removed, links keep http(s)/mailto or
    relative targets only."""
    import bleach

    return bleach.clean(fragment, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                        protocols={"http", "https", "mailto"}, strip=True, strip_comments=True)


def safe_exporter():
    """nbconvert's JupyterLab HTML exporter, with every markdown cell and markdown output sanitised."""
    from jinja2 import pass_context
    from nbconvert import HTMLExporter

    class SafeHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            return sanitize(super().markdown2html(context, source))

    return SafeHTMLExporter(template_name="lab")


def read_notebooks(paths: list[Path]) -> list:
    """Every notebook, read and validated before anything is written: a broken file stops the build with
    one line naming it, and no half-built site is left."""
    import nbformat

    books = []
    for path in paths:
        try:
            book = nbformat.read(path, as_version=4)
            nbformat.validate(book)
        except Exception as exc:  # JSON errors, schema errors, unreadable files: all reported the same way
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SystemExit(f"error: {path.parent.name}/{path.name} is not a readable notebook ({reason[:200]}); "
                             "the site was not built") from None
        books.append(book)
    return books


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


def link(page: str, text: str) -> str:
    """An <a> to a page of the site: the file name URL-quoted, the text HTML-escaped (a notebook may be named
    anything, `"` and `<` included)."""
    return f'<a href="{html.escape(quote(page))}">{html.escape(text)}</a>'


def nav(pages: list[str], here: int) -> str:
    parts = ['<a href="index.html">Course index</a>']
    if here > 0:
        parts.append(link(pages[here - 1], f"← {pages[here - 1][:-5]}"))
    parts.append(f'<span class="here">{html.escape(pages[here][:-5])}</span>')
    if here < len(pages) - 1:
        parts.append(link(pages[here + 1], f"{pages[here + 1][:-5]} →"))
    return f'{STYLE}<nav class="course-nav">{"".join(parts)}</nav>'


def build(notebooks_dir: Path, out: Path) -> list[Path]:
    """Write the site into a fresh folder beside ``out`` and move it into place only when complete."""
    paths = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SystemExit(f"error: no numbered notebooks in {notebooks_dir}")
    books = read_notebooks(paths)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _write_site(paths, books, notebooks_dir, staging)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / "index.html", *(out / p.with_suffix(".html").name for p in paths)]


def _write_site(paths: list[Path], books: list, notebooks_dir: Path, out: Path) -> None:
    exporter = safe_exporter()
    pages = [p.with_suffix(".html").name for p in paths]
    entries = []
    for k, (path, nb) in enumerate(zip(paths, books, strict=True)):
        title, objectives = title_and_objectives(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or path.stem}})
        body = re.sub(r'href="(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
        body = body.replace('href="../solutions/', 'href="solutions/')
        bar = nav(pages, k)
        body = re.sub(r"(<body[^>]*>)", lambda m, bar=bar: m.group(1) + bar, body, count=1)
        (out / pages[k]).write_text(body, encoding="utf-8")
        entries.append((pages[k], title, objectives))
    solutions = notebooks_dir.parent / "solutions"
    if not solutions.is_dir():
        solutions = ROOT / "solutions"
    (out / "solutions").mkdir(exist_ok=True)
    for source in sorted(solutions.glob("nb*.py")):
        (out / "solutions" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    items = "\n".join(
        f'<li><a href="{html.escape(quote(page))}">{inline_markdown(title)}</a><ul>'
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
