"""`make html`: the static site builds from the executed notebooks, every page links and embeds its figures,
formulas are MathML that a browser renders offline, cells hidden in JupyterLab show no source, and the index
shows the README's introduction, its citation of the article and its sections, and the reference pages of docs/.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); it is skipped
with a message saying so where they are absent, unless ``COURSE_NO_SKIPS=1``.
"""

import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from testkit import CHROMEDRIVER, CHROMIUM, headless_chromium

pytestmark = pytest.mark.integration  # renders notebooks with nbconvert

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NO_BROWSER = ("the site's browser test needs Debian's chromium and chromium-driver "
              "(sudo apt-get install chromium chromium-driver; .ci/run installs them)")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))


def parse(path):
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def figures_in(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    return sum("image/png" in out.get("data", {}) for c in cells if c["cell_type"] == "code" for out in c["outputs"])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True)
    return out


def test_index_lists_every_notebook_with_its_title_and_objectives(site):
    text = (site / "index.html").read_text()
    listing = Links()
    listing.feed(text.split('<ol class="notebooks">')[1].split("</ol>")[0])
    assert listing.hrefs == [nb.with_suffix(".html").name for nb in NOTEBOOKS]
    for nb in NOTEBOOKS:
        first = "".join(json.loads(nb.read_text())["cells"][0]["source"])
        title = first.splitlines()[0][2:]
        assert title.split(" · ")[1].split(":")[0] in text, title
    assert text.count("<li>") >= 2 * len(NOTEBOOKS), "objectives listed under each notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_page_links_correctly_and_embeds_its_figures(site, notebook):
    page = site / notebook.with_suffix(".html").name
    parsed = parse(page)
    local = [h for h in parsed.hrefs if not re.match(r"[a-z]+:", h)]
    for href in local:
        target, _, anchor = href.partition("#")
        if target:
            assert (site / target).is_file(), f"{page.name} links to a missing {target}"
        assert not target.endswith(".ipynb"), f"{page.name} still links to a notebook: {href}"
    assert "index.html" in local
    position = NOTEBOOKS.index(notebook)
    if position + 1 < len(NOTEBOOKS):
        assert NOTEBOOKS[position + 1].with_suffix(".html").name in local, "no link to the next page"
    embedded = [src for src in parsed.images if src.startswith("data:image/png;base64,")]
    assert len(embedded) == figures_in(notebook), "every figure of the notebook is embedded in its page"
    assert all(len(src) > 1000 for src in embedded)


def formulas(notebook):
    """``(latex, display)`` for every ``$…$`` and ``$$…$$`` in a notebook's markdown cells (code left out),
    found by a regular expression: independent of the markdown parser the site uses."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            text = re.sub(r"```.*?```|`[^`\n]*`", "", "".join(cell["source"]), flags=re.S)
            found += [(m[1] or m[2], m[1] is not None)
                      for m in re.finditer(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", text, flags=re.S)]
    return found


class Markup(HTMLParser):
    """Every start tag with its attributes, and the text, in document order."""

    def __init__(self, fragment):
        super().__init__()
        self.items = []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, sorted(attrs)))

    def handle_data(self, data):
        self.items.append(data)


def test_the_sanitiser_keeps_every_formula_whole_and_nothing_active():
    import build_site

    found = [f for nb in NOTEBOOKS for f in formulas(nb)]
    assert len(found) >= 20 and any(display for _, display in found), "the notebooks' formulas were found"
    for latex, display in found:
        mathml = build_site.latex_to_mathml(latex, display)
        assert Markup(build_site.sanitize(mathml)).items == Markup(mathml).items, latex
    hostile = ('<math><semantics><annotation-xml encoding="text/html"><svg onload="alert(1)"></svg>'
               '<iframe src="javascript:alert(2)"></iframe></annotation-xml></semantics>'
               '<mrow href="javascript:alert(3)" style="color:red"><mi>x</mi></mrow>'
               '<maction actiontype="toggle"><mi>y</mi></maction></math>')
    kept = Markup(build_site.sanitize(hostile)).items
    assert kept == [("math", []), ("mrow", []), ("mi", []), "x", ("mi", []), "y"]


def test_every_formula_becomes_mathml_and_no_dollar_is_left(site):
    assert sum(len(formulas(nb)) for nb in NOTEBOOKS) >= 20
    for notebook in NOTEBOOKS:
        page = (site / notebook.with_suffix(".html").name).read_text(encoding="utf-8")
        assert page.count("<math ") == len(formulas(notebook)), notebook.name
        cells = re.findall(r'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^>]*>(.*?)</div>', page, re.S)
        prose = re.sub(r"<(code|pre)\b.*?</\1>|<[^>]+>", "", "".join(cells), flags=re.S)
        assert "$" not in prose, (notebook.name, prose[max(prose.find("$") - 80, 0):prose.find("$") + 80])


class Loads(HTMLParser):
    """What a page would fetch: URLs of scripts, stylesheets, frames and media, and inline script and style."""

    SOURCES = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "embed": "src",
               "object": "data", "audio": "src", "video": "src"}

    def __init__(self):
        super().__init__()
        self.urls, self.inline, self._tag = [], [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        self.urls += [value or "" for name, value in attrs if name == self.SOURCES.get(tag)]

    def handle_data(self, data):
        if self._tag in ("script", "style"):
            self.inline.append((self._tag, data))

    def handle_endtag(self, tag):
        self._tag = None


def test_no_page_loads_anything_from_the_network(site):
    for page in sorted(site.glob("*.html")):
        loads = Loads()
        loads.feed(page.read_text(encoding="utf-8"))
        assert not [url for url in loads.urls if re.match(r"\s*(https?:)?//", url, re.I)], page.name
        scripts = "".join(text for tag, text in loads.inline if tag == "script")
        assert not re.search(r"https?://|//cdn|import\(", scripts), page.name  # no MathJax, RequireJS, Mermaid
        styles = "".join(text for tag, text in loads.inline if tag == "style")
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", styles), page.name


@pytest.mark.e2e  # a real browser
def test_the_contrastive_loss_renders_as_math_in_a_browser_offline(site):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("COURSE_NO_SKIPS") == "1":
            pytest.fail(NO_BROWSER + " — and COURSE_NO_SKIPS=1 says this run must not skip it")
        pytest.skip(NO_BROWSER)
    driver = headless_chromium("1200,900")
    try:
        driver.get((site / "05_distance_loss_accuracy.html").as_uri())
        found = driver.execute_script("""
            const math = [...document.querySelectorAll('math[display="block"]')]
                .find(m => m.textContent.includes('max'));
            if (!math) return null;
            const paragraph = math.closest('p');
            const box = math.getBoundingClientRect();
            // one line of prose: the first text node of the paragraph before the formula
            const before = paragraph.previousElementSibling;
            const line = document.createRange();
            line.selectNodeContents([...before.childNodes].find(n => n.nodeType === 3 && n.textContent.trim()));
            const [top, bottom] = [...math.querySelector('mfrac').children].map(c => c.getBoundingClientRect());
            const all = [...document.querySelectorAll('math')];
            return {display: getComputedStyle(math).display, height: box.height, width: box.width,
                    line: line.getClientRects()[0].height, text: paragraph.innerText,
                    stacked: top.bottom <= bottom.top + 1 && top.left < bottom.right && bottom.left < top.right,
                    formulas: all.length, empty: all.filter(m => m.getBoundingClientRect().height === 0).length,
                    remote: performance.getEntriesByType('resource').map(e => e.name)
                        .filter(u => !u.startsWith('file:') && !u.startsWith('data:'))};""")
    finally:
        driver.quit()
    assert found is not None, "no <math display=block> holding the contrastive loss on page 05"
    assert found["display"] == "block math", "Chromium lays the formula out as MathML"
    assert found["stacked"], "the fraction's numerator sits above its denominator"
    assert found["height"] > 1.5 * found["line"] > 0 and found["width"] > 100, found
    assert "$" not in found["text"] and "max" in found["text"], found["text"]
    assert found["formulas"] == len(formulas(ROOT / "notebooks" / "05_distance_loss_accuracy.ipynb"))
    assert found["empty"] == 0, "every formula on the page has a size"
    assert found["remote"] == [], "the page fetched something from the network"


class Active(HTMLParser):
    """What would run in a browser: event-handler attributes, javascript: URLs, and script bodies."""

    def __init__(self):
        super().__init__()
        self.handlers, self.urls, self.scripts, self.tags, self._in_script = [], [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}={value}")
            if value and value.strip().lower().startswith("javascript:"):
                self.urls.append(value)

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_script = False


def write_notebook(path, markdown):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)


def build_site(notebooks, out):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--notebooks", str(notebooks),
                           "--out", str(out)], capture_output=True, text=True)


def test_markup_that_would_run_in_a_browser_never_reaches_the_site(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_hostile.ipynb", "# 01 · Hostile\n\n<script>alert('script')</script>\n\n"
                   "<svg onload=\"alert('svg')\"></svg> <img src=x onerror=\"alert('img')\">\n\n"
                   "[click](javascript:alert('link')) and a fine [link](02_a.ipynb) with `d < 0.5`.\n\n"
                   "Formulas: $\\href{javascript:alert('math')}{x}$ and $\\style{color:red}{y}$ and $d < 0.5$.")
    write_notebook(notebooks / '02_a"b<i>.ipynb', "# 02 · Quotes in the name")
    result = build_site(notebooks, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    for page in (tmp_path / "site").glob("*.html"):
        active = Active()
        active.feed(page.read_text(encoding="utf-8"))
        assert not active.handlers and not active.urls, (page.name, active.handlers, active.urls)
        assert not any("alert(" in script for script in active.scripts), page.name
    first = (tmp_path / "site" / "01_hostile.html").read_text(encoding="utf-8")
    assert "d &lt; 0.5</code>" in first and 'href="02_a.html"' in first  # safe markdown survives
    assert first.count("<math ") == 3 and "color:red" not in first  # so does MathML, without its href and style
    nav = parse(tmp_path / "site" / "01_hostile.html").hrefs
    assert "02_a%22b%3Ci%3E.html" in nav and (tmp_path / "site" / '02_a"b<i>.html').is_file()


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def write_outputs(path, *outputs):
    """A notebook whose one code cell has ``outputs`` (``nbformat.v4.new_output`` arguments)."""
    import nbformat

    write_notebook(path, "# 01 · Outputs")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("show()", outputs=[nbformat.v4.new_output(**o) for o in outputs]))
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def outputs_site(tmp_path_factory):
    """A site built from notebooks whose outputs a hostile or careless author wrote (one build, for speed)."""
    notebooks = tmp_path_factory.mktemp("outputs") / "notebooks"
    notebooks.mkdir()
    display = "display_data"
    html_output = ("<b>bold 4343</b><script>alert('html')</script><img src=x onerror=\"alert('img')\">"
                   "<span style=\"color: #00af00; position: fixed; background-image: url(https://x.invalid/y.png)\">"
                   "green 4848</span><a href=\"javascript:alert('href')\">link</a><iframe src=x></iframe>")
    write_outputs(notebooks / "01_outputs.ipynb",
                  dict(output_type="stream", name="stdout", text="<script>alert('stream')</script> printed 4242\n"),
                  dict(output_type="stream", name="stderr", text="<img src=x onerror=\"alert('stderr')\">\n"),
                  dict(output_type=display, data={"text/html": html_output}),
                  dict(output_type=display, data={"application/javascript": "alert('js')",
                                                  "text/plain": "<IPython.core.display.Javascript object>"}),
                  dict(output_type=display, data={"application/vnd.jupyter.widget-view+json":
                                                  {"model_id": "abc", "version_major": 2, "version_minor": 0},
                                                  "text/plain": "IntSlider(value=0)"}),
                  dict(output_type=display, data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' "
                                                  "onload=\"alert('svg')\"><script>alert('svgscript')</script>"
                                                  "</svg>"}),
                  dict(output_type=display, data={"text/markdown": "*md 4444* <script>alert('md')</script> "
                                                  "[x](javascript:alert('mdlink'))"}),
                  dict(output_type=display, data={"text/vnd.mermaid": "</pre><script>alert('mermaid')</script>"}),
                  dict(output_type=display, data={"text/latex": "<script>alert('latex')</script>"}),
                  dict(output_type=display, data={"image/png": PNG, "text/plain": "<Figure>"},
                       metadata={"image/png": {"width": "1 onerror=alert('width')", "height": 2},
                                 "filenames": {"image/png": "javascript:alert('file')"}}),
                  dict(output_type="execute_result", execution_count=1,
                       data={"text/plain": "<script>alert('plain')</script> result 4545"}),
                  dict(output_type="error", ename="ValueError", evalue="<script>alert('evalue')</script>",
                       traceback=["\x1b[31mValueError\x1b[0m: <img src=x onerror=\"alert('traceback')\"> 4646"]))
    write_outputs(notebooks / "02_small.ipynb")
    huge = "".join(f"line {i:07d} of a runaway loop\n" for i in range(70_000))  # 2.2 million characters
    write_outputs(notebooks / "03_huge.ipynb", dict(output_type="stream", name="stdout", text=huge),
                  dict(output_type=display, data={"text/html": f"<pre>{huge}</pre>", "text/plain": "x"}),
                  dict(output_type=display, data={"image/png": PNG * 20_000, "text/plain": "<Figure>"}),
                  dict(output_type="stream", name="stdout", text="after the huge ones 4747\n"))
    result = build_site(notebooks, notebooks.parent / "site")
    assert result.returncode == 0, result.stderr
    return notebooks.parent / "site"


def test_outputs_that_would_run_in_a_browser_never_reach_the_site(outputs_site):
    """Whoever wrote a notebook's outputs, a visitor's browser gets nothing that runs from them: no script, no
    event handler, no javascript: URL, no inline SVG (an SVG is shown as an <img>, where browsers run no script);
    safe HTML, text (escaped), figures and markdown are shown."""
    page = (outputs_site / "01_outputs.html").read_text(encoding="utf-8")
    active = Active()
    active.feed(page)
    assert active.handlers == [] and active.urls == [], (active.handlers, active.urls)
    assert "script" not in active.tags and "svg" not in active.tags and "iframe" not in active.tags, active.tags
    assert "&lt;script&gt;alert('stream')&lt;/script&gt; printed 4242" in page, "printed text is shown, escaped"
    assert "result 4545" in page and "4646" in page and "<b>bold 4343</b>" in page and "<em>md 4444</em>" in page
    assert '<span style="color: #00af00;">green 4848</span>' in page, "colours stay (Keras' summary), no more CSS"
    assert page.count("scripts are not run on this site") == 3, "JavaScript, a widget, a diagram: a note each"
    assert f'src="data:image/png;base64,{PNG}"' in page and 'height="2"' in page, "the figure and its size"
    assert page.count('src="data:image/svg+xml;base64,') == 1, "the SVG, as an image"


def test_an_image_loads_nothing_from_the_network():
    """A page loads nothing from elsewhere: an image from another site loses its source (a visit would tell that
    site who reads the page); a figure beside the page is kept."""
    import build_site as builder

    page = builder.sanitize('<img src="https://tracker.example/p.png" alt="a"><img src="//cdn.example/q.png">'
                               '<img src="figures/loss.png" alt="b">')
    assert "example" not in page and 'src="figures/loss.png"' in page


def test_a_huge_output_is_cut_with_a_visible_note(outputs_site):
    """A runaway print (or a huge HTML table) does not become a page of tens of megabytes: each output is cut,
    and the page says so where it was cut."""
    small = (outputs_site / "02_small.html").stat().st_size
    page = (outputs_site / "03_huge.html").read_text(encoding="utf-8")
    assert len(page.encode()) - small < 2_000_000, "three huge outputs add at most a few hundred KB each"
    assert "line 0000000 of a runaway loop" in page and "after the huge ones 4747" in page
    assert page.count("output truncated") == 2 and page.count("output not shown") == 1, "each cut is visible"


def test_a_broken_notebook_names_the_file_and_leaves_the_old_site(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_fine.ipynb", "# 01 · Fine")
    site = tmp_path / "site"
    assert build_site(notebooks, site).returncode == 0
    before = sorted(p.name for p in site.iterdir())
    (notebooks / "02_broken.ipynb").write_text('{"cells": [')
    result = build_site(notebooks, site)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert "notebooks/02_broken.ipynb is not a readable notebook" in result.stderr
    assert sorted(p.name for p in site.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("formula", "reason"), [("\\frac{1}{", "cannot be converted to MathML"),
                                                 ("\\arg\\max_i x_i", "uses \\arg, which latex2mathml does not know")])
def test_a_formula_that_cannot_become_mathml_names_the_notebook_and_the_formula(tmp_path, formula, reason):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_math.ipynb", f"# 01 · Math\n\nThe loss ${formula}$, as text it would be wrong.")
    result = build_site(notebooks, tmp_path / "site")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert f"notebooks/01_math.ipynb: formula ${formula}$" in result.stderr and reason in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"], "no site, and no half-built one"


def test_the_index_shows_the_readmes_reference_sections_with_working_links(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    index = parse(site / "index.html")
    headings = re.findall(r"<h2[^>]*>([^<]+)", text)
    assert headings == ["The article it follows", "Prerequisites", "The notebooks", "Time", "Glossary",
                        "Common pitfalls", "Further reading"]
    timing = text.split('id="Time"')[1].split('id="Glossary"')[0]
    assert "<table>" in timing and "make test" in timing, "the README's time table"
    glossary = text.split('id="Glossary"')[1].split('id="Common-pitfalls"')[0]
    for term in ("Anchor", "Contrastive loss", "Embedding", "Few-shot", "Hard negative", "<em>semi-hard</em>",
                 "Linear probe", "Margin", "NT-Xent", "Positive / negative pair", "ROC curve and AUC",
                 "Siamese network", "Threshold", "Twin"):
        assert term in glossary, term
    entries = re.findall(r"<li>(.*?)</li>", glossary, re.S)
    assert len(entries) == 18 and all(re.search(r'href="\d\d_[\w-]+\.html"', e) for e in entries), \
        "every glossary entry links to the notebook that teaches it"
    reading = text.split('id="Further-reading"')[1]
    for reference in ("Bromley, J.", "Hadsell, R.", "Koch, G.", "Schroff, F.", "Chen, T.", "Khosla, P.",
                      'href="https://doi.org/10.1109/CVPR.2006.100"', 'href="https://arxiv.org/abs/1503.03832"',
                      'href="https://arxiv.org/abs/2002.05709"', 'href="https://arxiv.org/abs/2004.11362"'):
        assert reference in reading, reference
    for href in index.hrefs:
        if re.match(r"[a-z]+:", href):
            assert href.startswith("https://"), href
            continue
        target, _, anchor = href.partition("#")
        assert not target.endswith((".ipynb", ".md")) and "notebooks/" not in target, \
            f"a README or docs link was not rewritten: {href}"
        assert (site / target).is_file() if target else anchor in index.ids, href


ARTICLE = "https://www.liberiangeek.net/2024/01/calculate-contrastive-loss-pytorch/"


def plain_html(page: str) -> str:
    """The text a reader sees, without any whitespace (markup may split or join lines anywhere)."""
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def plain_markdown(markdown: str) -> str:
    """The text of rendered markdown, without headings, link targets, markup or any whitespace."""
    text = re.sub(r"^#+ .*$", "", markdown, flags=re.M)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return "".join(re.sub(r"[`*]", "", text).split())


def test_the_index_introduces_the_course_and_cites_the_article_as_the_readme_does(site):
    """The index's introduction and citation are the README's, read at build time: the site never describes the
    series or the article differently (an index once said "10–13 go further" of a 15-notebook series)."""
    import build_site

    page = (site / "index.html").read_text(encoding="utf-8")
    text = plain_html(page)
    readme = ROOT / "README.md"
    article = build_site.readme_sections(readme, ("The article it follows",))["The article it follows"]
    for paragraph in article.split("\n\n")[1:]:
        assert plain_markdown(paragraph) in text, paragraph[:80]
    for detail in ("Liberian Geek", "January 2024", '"What is Contrastive Learning"', '"What is Contrastive Loss"',
                   '"How to Calculate Contrastive Loss"', "Steps 1–9", "TensorFlow/Keras"):
        assert "".join(detail.split()) in text, detail
    assert f'href="{ARTICLE}"' in page
    intro = plain_markdown(build_site.readme_intro(readme))
    assert intro and intro in text
    titles = ["".join(json.loads(nb.read_text())["cells"][0]["source"]).splitlines()[0] for nb in NOTEBOOKS]
    last = max(int(nb.name[:2]) for nb, title in zip(NOTEBOOKS, titles, strict=True) if "Appendix" not in title)
    ranges = re.findall(r"(\d\d)–(\d\d)gofurther", text)
    assert ranges and all(int(high) == last for _, high in ranges), (ranges, last)


def code_inputs(page: Path) -> int:
    return page.read_text(encoding="utf-8").count('class="jp-InputArea jp-Cell-inputArea"')


def test_every_page_shows_the_sources_jupyterlab_shows(site):
    """A cell hidden in JupyterLab (metadata jupyter.source_hidden) shows no source on the site; every other
    cell shows its source."""
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        shown = [c for c in cells if not (c["cell_type"] == "code"
                                          and c["metadata"].get("jupyter", {}).get("source_hidden"))]
        assert code_inputs(site / notebook.with_suffix(".html").name) == len(shown), notebook.name


def test_a_hidden_code_cell_shows_its_outputs_but_not_its_source(tmp_path):
    import nbformat

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_hidden.ipynb", "# 01 · Hidden\n\nProse.")
    nb = nbformat.read(notebooks / "01_hidden.ipynb", as_version=4)
    nb.cells += [
        nbformat.v4.new_code_cell("HIDDEN_SOURCE = 'a check'\nprint('printed by the hidden cell: 4242')",
                                  metadata={"jupyter": {"source_hidden": True}},
                                  outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                                  text="printed by the hidden cell: 4242\n")]),
        nbformat.v4.new_code_cell("SHOWN_SOURCE = 1", metadata={"jupyter": {"outputs_hidden": True}})]
    nbformat.write(nb, notebooks / "01_hidden.ipynb")
    result = build_site(notebooks, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "01_hidden.html").read_text(encoding="utf-8")
    assert "printed by the hidden cell: 4242" in page
    assert "HIDDEN_SOURCE" not in page and "SHOWN_SOURCE" in page
    assert code_inputs(tmp_path / "site" / "01_hidden.html") == 2, "the markdown cell and the shown code cell"


def write_docs(project, pages=("glossary", "pitfalls", "further-reading")):
    texts = {"glossary": "# Glossary\n\n- **Twin**: see [01](../notebooks/01_only.ipynb); $d^2$.\n",
             "pitfalls": "# Common pitfalls\n\n- Pitfall one, see [usage](usage.md#x).\n\n## A sub-heading\n",
             "further-reading": "# Further reading\n\n- Someone (2024).\n"}
    (project / "docs").mkdir(exist_ok=True)
    for name in pages:
        (project / "docs" / f"{name}.md").write_text(texts[name], encoding="utf-8")


def test_the_index_takes_its_sections_from_the_readme_and_docs_at_build_time(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_only.ipynb", "# 01 · Only")
    readme = ("# A course\n\nThe intro, shown.\n\n## The article it follows\n\nAn article, 2024.\n\n"
              "## Two commands\n\nNot shown.\n\n## Prerequisites\n\nKnow `python`.\n\n```bash\n"
              "## a comment in a code block, not a heading\n```\n\n"
              "## Time\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDetails in [docs](docs/maintaining.md#time).\n\n"
              "## Layout\n\nNot shown either.\n")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    write_docs(tmp_path)
    site = tmp_path / "site"
    result = build_site(notebooks, site)
    assert result.returncode == 0, result.stderr
    text = (site / "index.html").read_text(encoding="utf-8")
    assert "The intro, shown." in text and "A course" not in text.split("</h1>")[1]
    assert "An article, 2024." in text and "Know <code>python</code>" in text and "a comment in a code block" in text
    assert 'href="01_only.html"' in text and "<math " in text and "Someone (2024)" in text
    assert "not shown" not in text.lower()
    assert "Details in docs." in text and "Pitfall one, see usage." in text, "links to .md files lose their link"
    assert re.findall(r"<h([23])[^>]*>([^<]+)", text) == [
        ("2", "The article it follows"), ("2", "Prerequisites"), ("2", "The notebooks"), ("2", "Time"),
        ("2", "Glossary"), ("2", "Common pitfalls"), ("3", "A sub-heading"), ("2", "Further reading")]
    assert text.index("Know") < text.index('<ol class="notebooks">') < text.index("Pitfall one")
    (tmp_path / "README.md").write_text(readme.replace("## Prerequisites", "## Before you start"), encoding="utf-8")
    result = build_site(notebooks, site)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "README.md has no '## Prerequisites' section" in result.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == text, "the old site stays"
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    (tmp_path / "docs" / "pitfalls.md").unlink()
    result = build_site(notebooks, site)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "docs/pitfalls.md is missing" in result.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == text, "the old site stays"
