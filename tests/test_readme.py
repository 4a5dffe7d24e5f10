"""The README and docs/ say what the committed notebooks and the recorded runs show, and their links hold.

The README is the front door (at most 250 lines) and holds no number a re-measurement changes: it says in words
what the course finds, and its time table gives ranges (bound by tests/test_benchmarks.py). The measurements live
in docs/results.md, and each number there is bound here to where it comes from: the training times and the MNIST
results to the committed notebooks' outputs, the Fashion-MNIST numbers to their recorded run. A re-measurement
(`make refresh`) therefore edits docs/results.md; it edits the README only when a finding it states in words no
longer holds, which a test here then shows.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md")), ROOT / "benchmarks" / "README.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def printed(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    return "".join("".join(out.get("text", "")) for c in cells if c["cell_type"] == "code" for out in c["outputs"])


def compared(path: Path) -> str:
    """The text of the outputs nbval compares: not those of a cell marked or tagged to ignore its output."""
    texts = []
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"]).splitlines()
        if (cell["cell_type"] != "code" or "# NBVAL_IGNORE_OUTPUT" in source
                or {"nbval-ignore-output", "nbval-skip"} & set(cell["metadata"].get("tags", []))):
            continue
        for out in cell["outputs"]:
            texts.append("".join(out.get("text", "")))
            texts += ["".join(out.get("data", {}).get(kind, "")) for kind in ("text/plain", "text/markdown")]
    return "\n".join(texts)


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_readme_is_a_front_door_of_at_most_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_the_training_times_in_the_results_are_those_the_notebooks_show():
    article = int(re.search(r"5 epochs in (\d+) s of training", printed("08_training.ipynb")).group(1))
    improved = int(re.search(r"training time \(s\), this machine\s+\d+\s+(\d+)", printed("12_better_model.ipynb"))
                   .group(1))
    simclr = int(re.search(r"self-supervised training: 4 epochs in (\d+) s", printed("13_self_supervised.ipynb"))
                 .group(1))
    losses = int(re.search(r"all five\s+(\d+) s", printed("14_which_loss.ipynb")).group(1))
    unseen = int(re.search(r"5 epochs in (\d+) s of training", printed("17_appendix_unseen_digits.ipynb")).group(1))
    results = words((DOCS / "results.md").read_text())
    minutes = round((article + improved + simclr + losses + unseen) / 60)
    assert f"about {minutes} minutes in the run the committed notebooks show " \
           f"({article} s, {improved} s, {simclr} s, {losses} s and {unseen} s): the article's model for 5 epochs " \
           "(notebook 08), the improved one for 7 (12), SimCLR for 4 (13), the five losses of notebook 14 for one " \
           "epoch each, and the twin of appendix 17 on digits 0–6 for 5" in results


def test_the_readme_lists_every_notebook_once_in_order():
    """One row per notebook in the README's table, numbered as the files are; a row's link names its file."""
    table = README.read_text().split("\n## The notebooks\n")[1].split("\n## ")[0]
    rows = [line for line in table.splitlines() if re.match(r"\| \d\d \|", line)]
    numbers = [row.split("|")[1].strip() for row in rows]
    assert numbers == [f"{k:02d}" for k in range(1, len(rows) + 1)], "rows numbered 01, 02, ... once each"
    assert [nb.name[:2] for nb in NOTEBOOKS if nb.name[:2] not in numbers] == [], "a notebook missing from the README"
    for row in rows:
        linked = re.findall(r"\]\(notebooks/(\d\d)_[^)]+\.ipynb\)", row)
        assert linked in ([], [row.split("|")[1].strip()]), row


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lstrip("#").strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {github_anchor(line) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_github_anchor_matches_what_github_writes():
    assert github_anchor("## What the tests check, and what only `make run` does") == \
        "what-the-tests-check-and-what-only-make-run-does"
    assert github_anchor("### How the AVX2 class is emulated, and the rule for a real AVX2 machine") == \
        "how-the-avx2-class-is-emulated-and-the-rule-for-a-real-avx2-machine"
    assert github_anchor("## Training: stop any time, or skip it") == "training-stop-any-time-or-skip-it"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_the_readme_and_docs_reaches_a_file_and_its_heading(page):
    """Moving a section must not leave a link behind: every relative link names a file that exists, and an
    anchor into a markdown page names one of its headings."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links, "a page without links is not what this test reads"
    broken = []
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(link)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(link)
    assert broken == []


def test_every_glossary_entry_names_the_notebook_that_teaches_it():
    """The glossary names the notebook that teaches each term (and `make html` turns these links into links
    between the site's pages)."""
    glossary = (DOCS / "glossary.md").read_text()
    entries = re.split(r"\n- ", glossary)[1:]
    assert len(entries) >= 13
    assert [e.split("**")[1] for e in entries if "](../notebooks/" not in e] == [], "an entry names no notebook"


def _recorded_values(value) -> set[str]:
    """Every number of a recorded results JSON, written as the pages write it (3 or 4 decimals)."""
    if isinstance(value, dict):
        return set().union(*(_recorded_values(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_recorded_values(v) for v in value)) if value else set()
    if isinstance(value, float):
        return {f"{value:.3f}", f"{value:.4f}"}
    return set()


RESULT = re.compile(r"(?<![\d.])\d\.\d{3,5}(?![\d.])")  # an accuracy, AUC or probe: 0.9203, 0.990, 0.99973


def test_the_fashion_mnist_results_are_the_recorded_run():
    """The Fashion-MNIST rows of docs/results.md (notebooks 10-14 run with DATASET=fashion_mnist, kept by
    scripts/record_results.py in notebooks/trained/results_fashion_mnist.json) match that record."""
    record = json.loads((ROOT / "notebooks" / "trained" / "results_fashion_mnist.json").read_text())
    assert record["command"] == "make run DATASET=fashion_mnist"
    recorded = _recorded_values(record)
    results = (DOCS / "results.md").read_text()
    section = results.split("\n## A second data set: Fashion-MNIST\n")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| MNIST |")]
    numbers = [n for line in rows for n in RESULT.findall(line)]
    assert len(numbers) >= 30 + 6, "the Fashion-MNIST tables are missing"
    assert [n for n in numbers if n not in recorded] == []


def test_the_mnist_results_in_docs_are_printed_by_the_committed_notebooks():
    """Every accuracy, AUC and probe that docs/results.md gives for MNIST (the article's model against the
    improved one, the three encoders of notebook 13, notebook 14's table on all losses, the one-epoch and
    seven-epoch scores, the MNIST row) is printed, as written, by a compared output of the committed notebooks 08
    and later: one run produced both."""
    results = (DOCS / "results.md").read_text()
    mnist = results.split("\n## A second data set: Fashion-MNIST\n")[0].split("\n## ", 1)[1]
    mnist += "\n" + next(line for line in results.splitlines() if line.startswith("| MNIST |"))
    numbers = RESULT.findall(mnist)
    assert len(numbers) >= 5 * 2 + 3 * 2 + 7 * 3 + 2 + 6, "the MNIST tables are missing"
    shown = set(RESULT.findall("\n".join(compared(nb) for nb in NOTEBOOKS[7:])))
    assert [n for n in numbers if n not in shown] == []


def results_table(heading: str) -> dict[str, list[float]]:
    """The first table under ``## heading`` in docs/results.md: its row labels -> the numbers in the row."""
    section = (DOCS / "results.md").read_text().split(f"\n## {heading}\n")[1].split("\n## ")[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [float(n) for n in RESULT.findall("|".join(cells[1:]))] for cells in rows[1:]}


def test_what_the_readme_says_the_course_finds_holds_for_the_measured_results():
    """The README states the course's findings in words, so that re-measuring edits docs/results.md and not the
    README; a re-measurement that overturns a finding makes the README wrong, and this fails until it is
    corrected."""
    readme = words(README.read_text())
    models = results_table("The article's model and the improved one (notebooks 08–12, MNIST)")
    article, improved = models["test pair accuracy, threshold from validation"]
    assert "a Siamese model that cuts the article's test-pair errors more than tenfold" in readme
    assert "Notebook 12's Siamese model makes more than ten times fewer test-pair errors than the article's" in readme
    assert 1 - article > 10 * (1 - improved)

    encoders = results_table("Without labels: SimCLR (notebook 13, MNIST)")
    random, simclr, supervised = (encoders[row][0] for row in encoders)
    assert list(encoders)[:2] == ["random initialisation", "SimCLR"]
    assert "a linear classifier lands between a random encoder's and the supervised Siamese encoder's, nearer " \
           "the supervised one" in readme
    assert random < simclr < supervised and supervised - simclr < simclr - random

    seeds = results_table("Which loss, with three seeds (notebook 14, MNIST)")  # lowest, highest per measure
    seeds.pop("untrained twin (baseline)")
    pairs = seeds.pop("contrastive, sampled pairs (the article's)")
    assert "the article's plain contrastive loss on sampled pairs beats three of the four other losses notebook 14 " \
           "compares on AUC and 1-ref with every one of three seeds (supervised contrastive loss varies too much to " \
           "place), while batch-hard triplets trail them all" in readme
    assert len(seeds) == 4
    beaten = [row for row, v in seeds.items() if pairs[0] > v[1] and pairs[4] > v[5]]  # AUC, 1-ref
    assert len(beaten) == 3 and "supervised contrastive (SupCon, τ = 0.1)" not in beaten
    hard = seeds.pop("triplet, batch-hard")
    assert all(hard[1] < v[0] and hard[5] < v[4] for v in [pairs, *seeds.values()])

    unseen = results_table("One-shot on digits never seen in training (appendix 17, MNIST)")  # mean, std per column
    assert "A twin trained on digits 0–6 only recognises 7, 8 and 9 from one labelled example each better than raw " \
           "pixels do, yet far worse than a twin that saw them in training" in readme
    pixels, seen_six, all_ten = (unseen[row][0] for row in ("raw pixels", "twin trained on digits 0–6",
                                                             "twin trained on all ten digits (notebook 12)"))
    assert pixels < seen_six and all_ten - seen_six > seen_six - pixels
