"""`make html`: the static site builds from the executed notebooks, every page links and embeds its figures."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # renders notebooks with nbconvert

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


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
    index = parse(site / "index.html")
    assert index.hrefs == [nb.with_suffix(".html").name for nb in NOTEBOOKS]
    text = (site / "index.html").read_text()
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


class Active(HTMLParser):
    """What would run in a browser: event-handler attributes, javascript: URLs, and script bodies."""

    def __init__(self):
        super().__init__()
        self.handlers, self.urls, self.scripts, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
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
                   "[click](javascript:alert('link')) and a fine [link](02_a.ipynb) with `d < 0.5`.")
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
    nav = parse(tmp_path / "site" / "01_hostile.html").hrefs
    assert "02_a%22b%3Ci%3E.html" in nav and (tmp_path / "site" / '02_a"b<i>.html').is_file()


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
