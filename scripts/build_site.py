#!/usr/bin/env python3
"""Render the executed notebook series as a static, navigable site (``make html``).

    python scripts/build_site.py [--notebooks notebooks] [--out build/site]

Each notebook becomes one self-contained HTML page (nbconvert's JupyterLab template; figures embedded as
data URIs, so the folder can be copied or served anywhere), with a bar linking to the index and to the
previous and next notebooks; links between notebooks (``NN_name.ipynb``) are rewritten to the pages. The
index opens with the README's introduction, its citation of the article and its Prerequisites, lists every
notebook with the objectives of its "You will learn" list, then shows the README's Time table and the glossary,
pitfalls and further reading of ``docs/``, all read at build time, so the index never disagrees with them.
Nothing is re-executed: the pages show the outputs stored in the notebooks (the committed ones by default,
or ``build/executed`` after ``make run``). A code cell hidden in JupyterLab (``"jupyter": {"source_hidden":
true}`` in its metadata) shows no source on its page, only its outputs, as a learner sees it there. Outputs
pass the same sanitiser as markdown, whoever wrote them: HTML keeps only safe markup, an output that needs a
script (JavaScript, a widget) becomes a one-line note, and each output is cut at OUTPUT_LIMIT characters, with a
note saying so.

The pages load nothing from the network. Formulas (``$…$``, ``$$…$$``) are converted to MathML here, at build
time, with latex2mathml, and the browser draws them itself (MathML Core, in Chromium since version 109, and
in Firefox and Safari); nbconvert's template would instead fetch MathJax, RequireJS and Mermaid from a CDN,
so the page template leaves those scripts out. A formula latex2mathml cannot convert stops the build with
one line naming the notebook and the formula.
"""

from __future__ import annotations

import argparse
import copy
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


# What rendered markdown and HTML outputs may contain: everything the course's markdown produces (headings
# with anchors, lists, tables, code with highlighting, links) and the coloured <pre> of Keras' model summary,
# nothing that runs (no <script>, <svg>, <iframe>, event handlers such as onload=, or javascript: links),
# whoever wrote the notebook. Styles keep only SAFE_CSS: colours and fonts, nothing that fetches or moves.
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4",
             "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "span", "strong", "sub", "summary",
             "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
def _image_attribute(tag: str, name: str, value: str) -> bool:
    """An image's source stays only when it lies beside the page: a page loads nothing from the network."""
    if name == "src":
        return not re.match(r"^([a-z][a-z0-9+.-]*:|//)", value, re.IGNORECASE)
    return name in ("alt", "title", "class", "id")


SAFE_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href", "title", "class"], "img": _image_attribute,
                   "td": ["align"], "th": ["align"], "pre": ["style"], "span": ["style"]}
SAFE_CSS = ("color", "background-color", "font-weight", "font-style", "text-decoration", "text-decoration-color",
            "white-space", "overflow-x", "line-height", "font-family")
# The MathML that latex2mathml emits for the course's formulas, and no more: tests/test_site.py checks that
# every formula in the notebooks keeps all of its elements and attributes through the sanitiser (a new
# construct fails that test until it is added here). Left out on purpose: <semantics>/<annotation-xml>
# (which can carry HTML), <maction>, and the href= and style= that latex2mathml writes for \href and \style.
MATHML_TAGS = {"math", "mfrac", "mi", "mn", "mo", "mrow", "mspace", "msqrt", "mstyle", "msub", "msup"}
MATHML_ATTRIBUTES = {"math": ["display", "xmlns"], "mi": ["mathvariant"], "mo": ["stretchy"], "mspace": ["width"],
                     "mstyle": ["displaystyle", "scriptlevel"]}


def sanitize(fragment: str) -> str:
    """Rendered markdown or an HTML output reduced to :data:`SAFE_TAGS` and :data:`MATHML_TAGS`; unsafe markup is
    removed, links keep http(s)/mailto or relative targets only."""
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.clean(fragment, tags=SAFE_TAGS | MATHML_TAGS, attributes={**SAFE_ATTRIBUTES, **MATHML_ATTRIBUTES},
                        protocols={"http", "https", "mailto"}, strip=True, strip_comments=True,
                        css_sanitizer=CSSSanitizer(allowed_css_properties=SAFE_CSS))


class FormulaError(ValueError):
    """A formula latex2mathml cannot turn into MathML (the site would show it wrong or not at all)."""


def latex_to_mathml(latex: str, display: bool) -> str:
    """One formula as a MathML ``<math>`` element, which the browser renders without any script.

    ``display=True`` for ``$$…$$`` (a centred block), ``False`` for ``$…$`` within a line. latex2mathml
    keeps a command it does not know as literal text (``\\arg`` → ``<mi>\\arg</mi>``); that is refused too,
    as a :class:`FormulaError` naming the formula, like a formula it cannot parse.

    >>> latex_to_mathml("d^2", display=False).split('display="inline">')[1]
    '<mrow><msup><mi>d</mi><mn>2</mn></msup></mrow></math>'
    """
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml's own errors (unbalanced braces, a missing subscript, ...)
        raise FormulaError(f"formula ${latex}$ cannot be converted to MathML ({type(exc).__name__})") from None
    unknown = re.findall(r">(\\[A-Za-z]+)<", mathml)
    if unknown:
        raise FormulaError(f"formula ${latex}$ uses {', '.join(unknown)}, which latex2mathml does not know")
    return mathml


def markdown_renderer_class():
    """nbconvert's markdown renderer (headings with anchors, highlighted code, tables) with every formula
    turned into MathML instead of being left as ``$…$`` text for MathJax."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class MathMLRenderer(IPythonRenderer):
        def inline_math(self, body: str) -> str:
            return latex_to_mathml(body, display=False)

        def block_math(self, body: str) -> str:
            return latex_to_mathml(body, display=True)

        def latex_environment(self, name: str, body: str) -> str:
            return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    return MathMLRenderer


def render_markdown(source: str, **renderer_options) -> str:
    """Markdown → sanitised HTML with MathML formulas: the one path for notebook cells, markdown outputs and
    the README's sections on the index. ``renderer_options`` are nbconvert's (attachments, anchor links)."""
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    renderer = markdown_renderer_class()(escape=False, **renderer_options)
    return sanitize(MarkdownWithMath(renderer=renderer).render(source))


# nbconvert's JupyterLab page without the scripts it would fetch from a CDN (RequireJS, MathJax, Mermaid;
# widget managers too): the formulas are MathML already, and the course has no widgets or diagrams. Formulas
# are set a little larger than the text (at equal size the serif math font looked smaller in Chromium).
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block extra_css -%}<style>math { font-size: 1.15em; }</style>{%- endblock extra_css -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def safe_exporter():
    """nbconvert's JupyterLab HTML exporter, with every markdown cell and markdown output rendered by
    :func:`render_markdown` (sanitised, formulas as MathML) into :data:`PAGE_TEMPLATE`."""
    from jinja2 import DictLoader, pass_context
    from nbconvert import HTMLExporter

    class SafeHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            # The options HTMLExporter.markdown2html gives nbconvert's renderer (nbconvert 7), so that only the
            # formulas render differently.
            cell = context.get("cell", {})
            return render_markdown(
                source, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options)

    return SafeHTMLExporter(template_name="lab", template_file="course_page.html.j2",
                            extra_loaders=[DictLoader({"course_page.html.j2": PAGE_TEMPLATE})])


def site_links(body: str) -> str:
    """Links as the site needs them: a notebook (``NN_name.ipynb``, or ``notebooks/NN_name.ipynb`` from the
    README, ``../notebooks/NN_name.ipynb`` from ``docs/``) becomes its page, ``../solutions/`` the site's own
    copy of the solutions. A link to a markdown file of the repository (``docs/usage.md``), which the site does
    not have, keeps its text and loses its link."""
    body = re.sub(r'href="(?:\.\./)?(?:notebooks/)?(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
    body = re.sub(r'<a href="(?![a-z]+:)[^"#]*\.md(?:#[^"]*)?"[^>]*>(.*?)</a>', r"\1", body, flags=re.S)
    return body.replace('href="../solutions/', 'href="solutions/')


# What the index shows besides the list of notebooks, all read at build time: the README's introduction (the
# text before its first `## ` heading) and these `## ` sections of the README before the list; after it, the
# README's INDEX_AFTER sections and the pages of docs/ in INDEX_DOCS (their headings one level down).
INDEX_BEFORE = ("The article it follows", "Prerequisites")
INDEX_AFTER = ("Time",)
INDEX_SECTIONS = INDEX_BEFORE + INDEX_AFTER
INDEX_DOCS = ("glossary.md", "pitfalls.md", "further-reading.md")


def markdown_lines(text: str):
    """``(line, is_heading)`` for each line of ``text``; ``#`` lines inside code fences are not headings."""
    fence = None
    for line in text.splitlines():
        marker = re.match(r"\s*(```|~~~)", line)
        if marker and fence is None:
            fence = marker.group(1)
        elif marker and line.strip().startswith(fence):
            fence = None
        yield line, fence is None and marker is None and re.match(r"#{1,6}(\s|$)", line) is not None


def readme_sections(readme: Path, titles: tuple[str, ...] = INDEX_SECTIONS) -> dict[str, str]:
    """The markdown of each ``## title`` section of ``readme`` (heading included, up to the next ``## ``
    heading; ``#`` lines inside code fences are not headings), so the index and the README never disagree.

    A missing section stops the build with one line naming it: the index would silently lose it otherwise.
    """
    sections: dict[str, list[str]] = {}
    current = None
    for line, heading in markdown_lines(readme.read_text(encoding="utf-8")):
        if heading and line.startswith("## "):
            current = line[3:].strip()
            sections.setdefault(current, [])
        if current is not None:
            sections[current].append(line)
    missing = [title for title in titles if title not in sections]
    if missing:
        raise SystemExit(f"error: {readme} has no '## {missing[0]}' section, which the site's index shows; "
                         "the site was not built")
    return {title: "\n".join(sections[title]).strip() + "\n" for title in titles}


def readme_intro(readme: Path) -> str:
    """The README's introduction: what comes before its first ``## `` heading, without the ``# `` title."""
    lines = []
    for line, heading in markdown_lines(readme.read_text(encoding="utf-8")):
        if heading and line.startswith("## "):
            break
        if not (heading and line.startswith("# ")):
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def docs_page(path: Path) -> str:
    """A page of ``docs/`` as a section of the index: every heading one level down (its ``# `` title becomes
    a ``## `` heading beside the README's). A missing page stops the build with one line naming it."""
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing, which the site's index shows; the site was not built")
    return "\n".join("#" + line if heading else line
                     for line, heading in markdown_lines(path.read_text(encoding="utf-8"))).strip() + "\n"


# What a page shows of a code cell's output: these types only (the rest need a script to render, and a page
# runs none), each cut at OUTPUT_LIMIT characters with a note saying so. The course's largest output is a
# 257 KB figure (base64) and its largest text 3 KB, so the limit leaves room for twice that figure, while a
# runaway print (60,000 lines) or a pasted data dump adds at most half a megabyte to the page, not fifty.
SHOWN = ("text/html", "text/markdown", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "text/plain")
NEEDS_SCRIPT = ("application/javascript", "application/vnd.jupyter.widget-view+json")
OUTPUT_LIMIT = 500_000
NOT_RUN = "output not shown: it needs a script, and scripts are not run on this site"


def cut(text: str) -> tuple[str, str]:
    """The first :data:`OUTPUT_LIMIT` characters of ``text``, and the note to show after them (``""`` if none)."""
    if len(text) <= OUTPUT_LIMIT:
        return text, ""
    return text[:OUTPUT_LIMIT], f"[output truncated: the first {OUTPUT_LIMIT:,} of {len(text):,} characters]"


def show_output(output) -> None:
    """``output`` as a page shows it, whoever wrote it: HTML through :func:`sanitize` (as markdown is), an output
    that needs a script (JavaScript, a widget, a diagram) as a note, each text cut by :func:`cut`, an image too
    large as a note; of its metadata only numeric sizes stay (nbconvert writes them into the tag unquoted)."""
    if output.output_type == "stream":
        head, note = cut(output.text)
        output.text = f"{head}\n{note}" if note else head
    elif output.output_type == "error":
        head, note = cut("\n".join(output.traceback))
        output.traceback = [head, note] if note else output.traceback
    else:
        data = {mime: value for mime, value in output.data.items() if mime in SHOWN}
        if not data or any(mime in output.data for mime in NEEDS_SCRIPT):
            data = {"text/plain": NOT_RUN}
        for mime, value in list(data.items()):
            head, note = cut(value)
            if mime == "text/html":
                data[mime] = sanitize(head) + (f"<p>{note}</p>" if note else "")
            elif note and mime.startswith("image/"):
                data = {"text/plain": f"output not shown: a {len(value):,}-character image, over this site's limit"}
                break
            else:
                data[mime] = f"{head}\n\n{note}" if note else head
        output.data = data
        output.metadata = {mime: {key: value for key, value in sizes.items()
                                  if key in ("width", "height") and type(value) is int}
                           for mime, sizes in output.get("metadata", {}).items() if isinstance(sizes, dict)}


def as_shown_on_the_site(nb):
    """A copy of ``nb`` as its page shows it: every code cell hidden in JupyterLab (``metadata.jupyter.
    source_hidden``) has its source left out (nbconvert's ``transient.remove_source``), its outputs stay; every
    output goes through :func:`show_output`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("jupyter", {}).get("source_hidden", False):
            cell.metadata.setdefault("transient", {})["remove_source"] = True
        for output in cell.get("outputs", []):
            show_output(output)
    return nb


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
    # The project beside the notebooks (its README and docs/), else this one (for build/executed, say).
    project = notebooks_dir.parent if (notebooks_dir.parent / "README.md").is_file() else ROOT
    readme = project / "README.md"
    parts = [(readme, readme_intro(readme)), *((readme, text) for text in readme_sections(readme).values())]
    parts += [(project / "docs" / name, docs_page(project / "docs" / name)) for name in INDEX_DOCS]
    sections = []
    for source, text in parts:
        try:
            sections.append(site_links(render_markdown(text)))
        except FormulaError as exc:
            raise SystemExit(f"error: {source}: {exc}; the site was not built") from None
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _write_site(paths, books, notebooks_dir, sections, staging)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / "index.html", *(out / p.with_suffix(".html").name for p in paths)]


def _write_site(paths: list[Path], books: list, notebooks_dir: Path, sections: list[str], out: Path) -> None:
    exporter = safe_exporter()
    pages = [p.with_suffix(".html").name for p in paths]
    entries = []
    for k, (path, nb) in enumerate(zip(paths, books, strict=True)):
        title, objectives = title_and_objectives(nb)
        try:
            body, _ = exporter.from_notebook_node(as_shown_on_the_site(nb),
                                                  resources={"metadata": {"name": title or path.stem}})
        except FormulaError as exc:
            raise SystemExit(f"error: {path.parent.name}/{path.name}: {exc}; the site was not built") from None
        body = site_links(body)
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
    before = "".join(sections[: 1 + len(INDEX_BEFORE)])  # as HTML: the introduction, then INDEX_BEFORE
    after = "".join(sections[1 + len(INDEX_BEFORE):])  # INDEX_AFTER, then INDEX_DOCS
    index = out / "index.html"
    index.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Contrastive learning — a hands-on course</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; }}
ol.notebooks > li {{ margin-bottom: 1em; }} ol.notebooks > li > a {{ font-weight: 600; }}
ol.notebooks ul {{ color: #444; }} li {{ margin-bottom: 0.3em; }} a {{ color: #0969da; }}
code {{ font-size: 0.9em; background: #f6f8fa; padding: 0 0.2em; }}
.anchor-link {{ visibility: hidden; margin-left: 0.3em; text-decoration: none; }}
h2:hover .anchor-link {{ visibility: visible; }}</style></head>
<body><h1>Contrastive learning — a hands-on course</h1>
{before}
<h2>The notebooks</h2>
<p>Every page shows the outputs of a real run.</p>
<ol class="notebooks">
{items}
</ol>
{after}</body></html>
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
