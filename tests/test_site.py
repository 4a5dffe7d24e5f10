"""`make html`: the static site builds from the executed notebooks, every page links and embeds its figures."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

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
