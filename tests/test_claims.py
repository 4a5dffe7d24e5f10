"""The prose is checked like the code: every run-dependent fact a markdown cell states is printed by a
*compared* output of the same notebook (nbval checks it on every test run), or is a constant of the course.

A "fact" here is a number with a decimal point or a thousands separator, a percentage, a duration
(``645 s``, ``6 minutes``) or a pair of digits that the prose says are confused (``a 4 and a 9``, ``4/9``,
``3–5``). A number in the prose matches a printed one when the printed value, rounded to the decimals the
prose writes, is equal (``0.92`` matches a printed ``0.9203``; ``92 %`` and ``92.0 %`` match it too).

Left out on purpose: formulas (``$…$``), code spans, links, notebook numbers ("notebook 08"), years of
references, and the exercises (they pose questions, they state no results). Constants of the course (the
margin, the article's 0.5 threshold, dropout 0.4 …) are listed in ``CONSTANTS`` with the reason.

The pages beside the notebooks state no result of their own: the README none, docs/results.md only numbers that
tests/test_readme.py finds, as written, in the committed notebooks' compared outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Numbers the prose may state without a printed output: settings and facts of the course, not results.
CONSTANTS = {
    "0.5": "the article's threshold d < 0.5",
    "0.4": "the article's dropout rate",
    "1.0": "the margin",
    "0.001": "the article model's learning rate (Adam's default, printed in 08)",
    "0.003": "notebook 12's and 13's peak learning rate (a parameter)",
    "0.2": "the validation fraction / SimCLR's temperature (parameters)",
    "0.1": "a temperature in notebook 13's worked example",
    "10.0": "a temperature in notebook 13's worked example",
    "1.5": "a distance in an example",
    "60,000": "MNIST's training images",
    "70,000": "MNIST's images in all",
    "10,000": "MNIST's test images",
    "48,000": "the training split (asserted in 03)",
    "12,000": "the validation split (asserted in 03)",
    "96,000": "training pairs: two per training image (asserted in 04)",
    "24,000": "validation pairs: two per validation image (asserted in 04)",
    "20,000": "test pairs: two per test image (asserted in 04)",
    "32,640": "256·255/2, the pairs in a batch of 256 images (arithmetic, shown in the sentence)",
    "0.00005": "1/20,000: one test pair of 20,000 (arithmetic)",
    "0.004": "1/255, the largest pixel value after scaling twice (arithmetic)",
    "20 %": "the article's validation share",
    "80 %": "the article's training share",
    "40 %": "the article's dropout rate; the clothes augmenter's largest crop (its default, shown in 13)",
    "10 %": "one class in ten",
}
NUMBER = re.compile(
    r"(?<![\w.·×/-])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d+)"  # 48,000 | 0.9203 | 645
    r"(?:(\s?%)|(\s(?:s|min|minutes|seconds)\b))?"  # a percentage or a duration
)
DIGIT_PAIR = re.compile(r"\b(?:an?\s+)?([0-9])s?\s*(?:and|/|–|vs\.?|or)\s*(?:an?\s+|the\s+)?([0-9])s?\b")
LEFT_OUT = [
    re.compile(r"\$\$.+?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]+\$"),  # inline math
    re.compile(r"`[^`\n]*`"),  # code spans
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"\b\d\d_\w+\.ipynb"),  # notebook file names
    # "notebooks 08 and 12", "step 4"
    re.compile(r"\b(?:[Nn]otebooks?|nb|steps?|Steps?)\s+\d\d?(?:\s*(?:[-–,]|and|to)\s*\d\d?)*"),
    re.compile(r"\b(?:19|20)\d\d\b"),  # years of references
    re.compile(r"\b\d+\s?×\s?\d+\b"),  # kernel and image sizes, 2×2, 28×28
    re.compile(r"\b\d+-d\b|\b\d+-dimensional\b"),  # 128-d
]


def compared_outputs(nb: dict) -> str:
    """The text of every output nbval compares (cells without the nbval-ignore-output tag or marker)."""
    texts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        if ("nbval-ignore-output" in cell.get("metadata", {}).get("tags", [])
                or "# NBVAL_IGNORE_OUTPUT" in "".join(cell["source"]).splitlines()):
            continue
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            data = out.get("data", {})
            for kind in ("text/plain", "text/markdown"):
                if kind in data and "image/png" not in data:
                    texts.append("".join(data[kind]))
    return "\n".join(texts)


def prose(nb: dict) -> str:
    """The markdown a learner reads as statements: the exercises (from their heading to the end, with the
    design exercises' rubrics) are questions, so they are left out."""
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            parts.append(text.split("**Exercises**")[0])
            if "**Exercises**" in text:
                break
    text = "\n".join(parts)
    for pattern in LEFT_OUT:
        text = pattern.sub(" ", text)
    return text


def _values(text: str) -> list[tuple[float, int, bool]]:
    """(value, decimals, is_percentage) of every number in printed text."""
    found = []
    for m in re.finditer(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?%)?", text):
        raw = m.group(1).replace(",", "")
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        found.append((float(raw), decimals, bool(m.group(2))))
    return found


def is_printed(claim: str, percent: bool, printed: list[tuple[float, int, bool]]) -> bool:
    raw = claim.replace(",", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    value = float(raw)
    for number, _, printed_percent in printed:
        candidates = [number]
        if percent and not printed_percent:
            candidates.append(number * 100)  # 92 % for a printed 0.9203
        if not percent and printed_percent:
            candidates.append(number / 100)
        if any(round(c, decimals) == value for c in candidates):
            return True
    return False


def digit_pairs(text: str) -> set[frozenset]:
    return {frozenset(m.groups()) for m in DIGIT_PAIR.finditer(text) if m.group(1) != m.group(2)}


def printed_digit_pairs(text: str) -> set[frozenset]:
    pairs = digit_pairs(text)
    pairs |= {frozenset(m.groups()) for m in re.finditer(r"\b([0-9])\s?[-–,]\s?([0-9])\b", text)}
    return pairs


def unbacked_claims(nb: dict) -> list[str]:
    printed_text = compared_outputs(nb)
    printed = _values(printed_text)
    text = prose(nb)
    problems = []
    for m in NUMBER.finditer(text):
        number, percent, duration = m.group(1), bool(m.group(2)), bool(m.group(3))
        claim_like = percent or duration or "," in number or "." in number
        if not claim_like:
            continue
        shown = f"{number}{' %' if percent else ''}{m.group(3) or ''}"
        if shown in CONSTANTS or (number in CONSTANTS and not percent):
            continue
        if not is_printed(number, percent, printed):
            context = text[max(0, m.start() - 40): m.end() + 20].replace("\n", " ")
            problems.append(f"{shown!r} in '…{context}…'")
    printed_pairs = printed_digit_pairs(printed_text)
    for m in DIGIT_PAIR.finditer(text):
        pair = frozenset(m.groups())
        if len(pair) == 2 and pair not in printed_pairs:
            context = text[max(0, m.start() - 40): m.end() + 20].replace("\n", " ")
            problems.append(f"digits {'/'.join(sorted(pair))} in '…{context}…'")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_fact_in_the_prose_is_printed_by_a_compared_output(path):
    problems = unbacked_claims(json.loads(path.read_text()))
    assert not problems, "stated in markdown but printed by no compared output:\n  " + "\n  ".join(problems)


def test_the_claims_check_finds_what_it_must():
    """The checker itself: a number or digit pair stated without a compared output is found."""
    def notebook(markdown, printed, ignored=False):
        source = ["# NBVAL_IGNORE_OUTPUT\n", "print(x)"] if ignored else ["print(x)"]
        return {"cells": [{"cell_type": "code", "source": source, "outputs": [{"text": printed}]},
                          {"cell_type": "markdown", "source": markdown}]}

    assert unbacked_claims(notebook("Test accuracy 0.92 (92 %).", "test accuracy: 0.9203")) == []
    assert unbacked_claims(notebook("Test accuracy 0.93.", "test accuracy: 0.9203"))
    assert unbacked_claims(notebook("Test accuracy 0.92.", "test accuracy: 0.9203", ignored=True))
    assert unbacked_claims(notebook("Mistakes: a 4 and a 9.", "most confused: 3–5 (12)"))
    assert unbacked_claims(notebook("Mistakes: a 3 and a 5.", "most confused: 3–5 (12)")) == []
    assert unbacked_claims(notebook("It took 475 s.", "5 epochs in 402 s")) != []
    assert unbacked_claims(notebook("Notebook 08 trains; see $d = 0.37$ and `x = 0.77`.", "")) == []

