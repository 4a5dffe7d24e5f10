"""Numbers in the README come from the committed notebooks: one run produced both."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def printed(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    return "".join("".join(out.get("text", "")) for c in cells if c["cell_type"] == "code" for out in c["outputs"])


def test_the_training_times_in_the_readme_are_those_the_notebooks_show():
    article = int(re.search(r"5 epochs in (\d+) s of training", printed("08_training.ipynb")).group(1))
    improved = int(re.search(r"training time \(s\), this machine\s+\d+\s+(\d+)", printed("12_better_model.ipynb"))
                   .group(1))
    simclr = int(re.search(r"self-supervised training: 4 epochs in (\d+) s", printed("13_self_supervised.ipynb"))
                 .group(1))
    readme = (ROOT / "README.md").read_text()
    minutes = round((article + improved + simclr) / 60)
    assert f"about {minutes}\nminutes of training in the run the committed notebooks show " \
           f"({article} s, {improved} s and {simclr} s)" in readme
    assert f"| {article} s (5 epochs) | {improved} s (7 epochs) |" in readme
    assert f"SimCLR after {simclr} s" in readme


def test_every_notebook_the_readme_links_to_exists():
    """The glossary and the pitfalls name the notebook that teaches each point (and `make html` turns these
    links into links between the site's pages): a renamed notebook must not leave them dangling."""
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\((notebooks/[^)#\s]+\.ipynb)", readme)
    glossary = readme.split("\n## Glossary\n")[1].split("\n## ")[0]
    entries = re.split(r"\n- ", glossary)[1:]
    assert len(entries) >= 13
    assert [e.split("**")[1] for e in entries if "](notebooks/" not in e] == [], "an entry names no notebook"
    assert [link for link in links if not (ROOT / link).is_file()] == []
