#!/usr/bin/env python3
"""Wall time of each notebook of a `make run`, read from papermill's metadata in the executed notebooks, and
the course's one time ledger.

    python benchmarks/bench_notebooks.py [--executed build/executed] [--json build/bench/notebooks.json]
    python benchmarks/bench_notebooks.py --record avx512 --report build/test/report.xml   # update the ledger

papermill records, in every notebook it executes, the start and end of the run (``metadata.papermill``)
and of each cell (``cells[i].metadata.papermill``). This prints the time per notebook, its share of the
series, and its slowest cell — where a teacher waiting for ``make run`` actually waits.

The **time ledger** (``benchmarks/time_ledger.json``) keeps, for each CPU class, the per-notebook times of
``make run`` and of the test run (nbval, from pytest's JUnit report: the sum of each notebook's cells), the
rest of ``make test``, and the wall time of the whole test run (its two pytest runs go side by side).
``--record CLASS`` replaces that class's column with this machine's measurements and rewrites the table, as
Markdown, in docs/maintaining.md (between its ledger markers; a test checks that page shows exactly the
ledger). It never edits the README: the README's time table states ranges in minutes, and a test checks that
the ledger's totals (and, for a real AVX2 laptop, the emulated totals times ``REAL_AVX2_FACTOR``) fall inside
them. Later changes update the ledger rather than quoting their own figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timings(executed: Path) -> list[dict]:
    paths = sorted(executed.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SystemExit(f"error: no executed notebooks in {executed}; run `make run` first")
    rows = []
    for path in paths:
        nb = json.loads(path.read_text())
        meta = nb["metadata"].get("papermill")
        if not meta or meta.get("duration") is None:
            raise SystemExit(f"error: {path.name} has no papermill timing (not executed by papermill, or stopped)")
        cells = [(c["metadata"].get("papermill", {}).get("duration") or 0.0, k)
                 for k, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        slowest, index = max(cells) if cells else (0.0, -1)
        lines = "".join(nb["cells"][index]["source"]).splitlines() if index >= 0 else []
        first_line = next((line for line in lines if line.strip() and not line.startswith("#")), "")[:48]
        rows.append({"notebook": path.name, "seconds": float(meta["duration"]), "slowest_cell": index,
                     "slowest_cell_seconds": float(slowest), "slowest_cell_starts": first_line,
                     "parameters": meta.get("parameters", {})})
    return rows


LEDGER = ROOT / "benchmarks" / "time_ledger.json"
LEDGER_DOC = ROOT / "docs" / "maintaining.md"
CLASSES = {"avx512": "2-core AVX-512", "avx2": "2-core AVX2"}
# The table's place in LEDGER_DOC: everything between these two lines is the generated table.
BEGIN = "<!-- ledger: written by benchmarks/bench_notebooks.py --record from time_ledger.json; do not edit by hand -->"
END = "<!-- /ledger -->"
# Emulated AVX2 (ONEDNN_MAX_CPU_ISA=AVX2 on the AVX-512 machine) → a real 2-core AVX2 laptop: the rule of
# docs/maintaining.md (TensorFlow was 1.9x slower emulated than native here, 4.5x on the real AVX2 machine).
REAL_AVX2_FACTOR = (2.0, 2.5)


def test_report_seconds(report: Path) -> dict[str, float]:
    """Seconds per notebook under nbval, and for everything else, from a pytest JUnit XML report."""
    import xml.etree.ElementTree as ET

    totals: dict[str, float] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        classname = case.get("classname", "")  # nbval's cells: "build.test.notebooks.08_training.ipynb"
        key = ".".join(classname.split(".")[-2:]) if classname.endswith(".ipynb") else "other tests"
        totals[key] = totals.get(key, 0.0) + float(case.get("time", 0))
    return totals


def test_report_wall(report: Path) -> float | None:
    """Wall time of the whole test run, from the report `make test` writes (scripts/run_tests.py: its two
    pytest runs side by side, so less than the sum of its cases); None for a report without it."""
    import xml.etree.ElementTree as ET

    seconds = ET.parse(report).getroot().get("time")
    return None if seconds is None else float(seconds)


def load_ledger(path: Path = LEDGER) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {"classes": {}}


def record(ledger: dict, cpu_class: str, how: str, run_rows: list[dict] | None, test_seconds: dict | None,
           ci_seconds: float | None, test_wall: float | None = None) -> dict:
    """Replace one CPU class's measurements in ``ledger`` (only the parts given). ``test_wall``: the wall
    time of the whole test run, whose two runs go side by side (so the rows add up to more)."""
    replayed = [r["notebook"] for r in run_rows or [] if r["parameters"].get("TRAIN") is False]
    if replayed:
        raise SystemExit(f"error: {', '.join(replayed)} ran with TRAIN=0; the ledger records `make run`, which trains")
    entry = ledger["classes"].setdefault(cpu_class, {})
    entry["how"] = how
    if run_rows is not None:
        entry["make_run"] = {r["notebook"]: round(r["seconds"]) for r in run_rows}
    if test_seconds is not None:
        entry["test"] = {k: round(v) for k, v in sorted(test_seconds.items())}
        entry.pop("test_wall", None)  # another run's wall time would not match these rows
    if test_wall is not None:
        entry["test_wall"] = round(test_wall)
    if ci_seconds is not None:
        entry["ci_total"] = round(ci_seconds)
    return ledger


def ledger_table(ledger: dict) -> str:
    """The ledger as one Markdown table: a row per notebook, `make run` and `make test` seconds per class."""
    classes = [c for c in CLASSES if c in ledger["classes"]]
    label = {c: CLASSES[c] + (" (emulated)" if ledger["classes"][c].get("how", "").startswith("emulated") else "")
             for c in classes}
    notebooks = sorted({nb for c in classes for part in ("make_run", "test")
                        for nb in ledger["classes"][c].get(part, {}) if nb.endswith(".ipynb")})
    head = "| notebook | " + " | ".join(f"make run, {label[c]} | make test, {label[c]}" for c in classes) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(classes)]

    def cell(c, part, key):
        value = ledger["classes"][c].get(part, {}).get(key)
        return "—" if value is None else f"{value:,} s"

    for nb in notebooks:
        lines.append(f"| {nb} | " + " | ".join(f"{cell(c, 'make_run', nb)} | {cell(c, 'test', nb)}" for c in classes)
                     + " |")
    lines.append("| unit, integration and other tests | " + " | ".join(
        f"— | {cell(c, 'test', 'other tests')}" for c in classes) + " |")

    def total(c, part):
        values = [v for k, v in ledger["classes"][c].get(part, {}).items()]
        if not values:
            return "—"
        wall = ledger["classes"][c].get("test_wall") if part == "test" else None
        if wall is None:
            return f"**{sum(values) / 60:.0f} min**"
        return f"**{wall / 60:.0f} min** (two runs side by side; the rows add up to {sum(values) / 60:.0f} min)"

    lines.append("| **total** | " + " | ".join(f"{total(c, 'make_run')} | {total(c, 'test')}" for c in classes) + " |")
    ci = [f"{label[c]}: {ledger['classes'][c]['ci_total'] / 60:.0f} min" for c in classes
          if ledger["classes"][c].get("ci_total")]
    notes = [f"{label[c]}: {ledger['classes'][c]['how']}" for c in classes]
    text = "\n".join(lines) + "\n"
    if ci:
        text += "\n`.ci/run` on a clean clone, install included — " + "; ".join(ci) + ".\n"
    return text + "\nHow measured — " + "; ".join(notes) + ".\n"


def write_ledger_doc(table: str, doc: Path = LEDGER_DOC) -> None:
    """Replace the table between :data:`BEGIN` and :data:`END` in ``doc`` with ``table``, the rest untouched."""
    text = doc.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit(f"error: {doc} has no ledger markers ({BEGIN} ... {END}); the table was not written")
    head, rest = text.split(BEGIN)
    tail = rest.split(END)[1]
    doc.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")


def readme_minutes(ledger: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """What the README's time table must cover, in minutes: ``(what, machine) -> (low, high)``, for ``what`` in
    ``make run`` (the notebooks' sum) and ``make test`` (the test run's wall time, else its rows' sum), and
    ``machine`` in ``AVX-512`` (measured) and ``AVX2`` (a real laptop: the emulated column times
    :data:`REAL_AVX2_FACTOR`)."""
    found = {}
    for cpu_class, machine, (low, high) in (("avx512", "AVX-512", (1.0, 1.0)), ("avx2", "AVX2", REAL_AVX2_FACTOR)):
        entry = ledger["classes"].get(cpu_class, {})
        if entry.get("make_run"):
            seconds = sum(entry["make_run"].values())
            found[("make run", machine)] = (seconds * low / 60, seconds * high / 60)
        if entry.get("test"):
            seconds = entry.get("test_wall") or sum(entry["test"].values())
            found[("make test", machine)] = (seconds * low / 60, seconds * high / 60)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--record", choices=sorted(CLASSES), help="write this machine's times into the ledger")
    parser.add_argument("--how", default="measured on this machine", help="how the class was measured (ledger note)")
    parser.add_argument("--report", type=Path, help="pytest JUnit XML of `make test` (per-notebook nbval times)")
    parser.add_argument("--ci-seconds", type=float, help="wall time of .ci/run on a clean clone")
    args = parser.parse_args()
    rows = timings(args.executed) if args.executed.is_dir() else None
    if args.record:
        tests = test_report_seconds(args.report) if args.report else None
        wall = test_report_wall(args.report) if args.report else None
        ledger = record(load_ledger(), args.record, args.how, rows, tests, args.ci_seconds, wall)
        write_ledger_doc(ledger_table(ledger))  # first: a page without its markers stops before the ledger changes
        LEDGER.write_text(json.dumps(ledger, indent=2, sort_keys=True) + "\n")
    print("time ledger (benchmarks/time_ledger.json), seconds:\n")
    print(ledger_table(load_ledger()))
    print("the README's time table must cover (minutes; AVX2: a real laptop, emulated x "
          f"{REAL_AVX2_FACTOR[0]:g}-{REAL_AVX2_FACTOR[1]:g}):")
    for (what, machine), (low, high) in readme_minutes(load_ledger()).items():
        print(f"  {what}, {machine}: {low:.0f}" + (f"-{high:.0f}" if high != low else ""))
    print()
    if rows is None:
        return 0
    total = sum(r["seconds"] for r in rows)
    print(f"make run, per notebook (papermill metadata in {args.executed})")
    print(f"{'notebook':<34}{'seconds':>9}{'share':>8}   slowest cell")
    for r in rows:
        print(f"{r['notebook']:<34}{r['seconds']:>9.1f}{r['seconds'] / total:>8.0%}   "
              f"#{r['slowest_cell']} {r['slowest_cell_seconds']:.1f} s: {r['slowest_cell_starts']}")
    print(f"{'total':<34}{total:>9.1f}   ({total / 60:.1f} min)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"total_seconds": total, "notebooks": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
