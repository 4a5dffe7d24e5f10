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
    losses = int(re.search(r"all five\s+(\d+) s", printed("14_which_loss.ipynb")).group(1))
    readme = (ROOT / "README.md").read_text()
    minutes = round((article + improved + simclr + losses) / 60)
    assert f"about {minutes}\nminutes of training in the run the committed notebooks show " \
           f"({article} s, {improved} s, {simclr} s and {losses} s)" in readme
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


def _recorded_values(value) -> set[str]:
    """Every number of a recorded results JSON, written as the README writes it (3 or 4 decimals)."""
    if isinstance(value, dict):
        return set().union(*(_recorded_values(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_recorded_values(v) for v in value)) if value else set()
    if isinstance(value, float):
        return {f"{value:.3f}", f"{value:.4f}"}
    return set()


def test_the_fashion_mnist_results_in_the_readme_are_the_recorded_run():
    """The Fashion-MNIST rows (notebooks 10-14 run with DATASET=fashion_mnist, kept by
    scripts/record_results.py in notebooks/trained/results_fashion_mnist.json) match that record."""
    record = json.loads((ROOT / "notebooks" / "trained" / "results_fashion_mnist.json").read_text())
    assert record["command"] == "make run DATASET=fashion_mnist"
    recorded = _recorded_values(record)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A second data set: Fashion-MNIST")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "Fashion" not in line.split("|")[1]
            and "MNIST" not in line.split("|")[1] and not line.startswith("| loss") and not line.startswith("|---")]
    rows += [line for line in section.splitlines() if line.startswith("| Fashion-MNIST |")]
    numbers = [n for line in rows for n in re.findall(r"\b\d\.\d{3,4}\b", line)]
    assert len(numbers) >= 30, "the Fashion-MNIST tables are missing"
    assert [n for n in numbers if n not in recorded] == []
