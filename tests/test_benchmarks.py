"""The benchmark scripts' bookkeeping (not their timings, which are measurements, not tests)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

import bench_notebooks  # noqa: E402


def executed(path, duration, cells):
    nb = {"metadata": {"papermill": {"duration": duration, "parameters": {"EPOCHS": 1}}}, "nbformat": 4,
          "nbformat_minor": 5,
          "cells": [{"cell_type": "code", "source": src, "metadata": {"papermill": {"duration": d}}, "outputs": []}
                    for src, d in cells]}
    path.write_text(json.dumps(nb))


def test_notebook_timings_come_from_papermill_metadata(tmp_path):
    executed(tmp_path / "01_a.ipynb", 4.5, [("x = 1", 0.1), ("# NBVAL_IGNORE_OUTPUT\nmodel.fit(x)", 3.9)])
    executed(tmp_path / "02_b.ipynb", 10.0, [("y = 2", 9.0)])
    rows = bench_notebooks.timings(tmp_path)
    assert [(r["notebook"], r["seconds"], r["slowest_cell"]) for r in rows] == [("01_a.ipynb", 4.5, 1),
                                                                               ("02_b.ipynb", 10.0, 0)]
    assert rows[0]["slowest_cell_starts"] == "model.fit(x)" and rows[0]["parameters"] == {"EPOCHS": 1}


def test_notebook_timings_refuse_unexecuted_folders(tmp_path):
    with pytest.raises(SystemExit, match="make run"):
        bench_notebooks.timings(tmp_path)
    (tmp_path / "01_a.ipynb").write_text(json.dumps({"metadata": {}, "cells": []}))
    with pytest.raises(SystemExit, match="no papermill timing"):
        bench_notebooks.timings(tmp_path)


def test_junit_report_times_are_summed_per_notebook(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text("""<testsuites><testsuite>
        <testcase classname="notebooks.08_training.ipynb" name="Cell 0" time="1.5"/>
        <testcase classname="notebooks.08_training.ipynb" name="Cell 1" time="2.0"/>
        <testcase classname="notebooks.09_results.ipynb" name="Cell 0" time="4.0"/>
        <testcase classname="tests.test_data" name="test_x" time="0.25"/>
        <testcase classname="helpers.pairs" name="helpers.pairs.epoch_order" time="0.5"/>
    </testsuite></testsuites>""")
    assert bench_notebooks.test_report_seconds(report) == {"08_training.ipynb": 3.5, "09_results.ipynb": 4.0,
                                                           "other tests": 0.75}
    assert bench_notebooks.test_report_wall(report) is None  # a plain pytest report has no wall time of both runs
    # make test runs nbval on prepared copies in build/test/notebooks: the notebook is the classname's end
    report.write_text("""<testsuites><testsuite>
        <testcase classname="build.test.notebooks.08_training.ipynb" name="Cell 0" time="1.5"/>
        <testcase classname="tests.test_data" name="test_x" time="0.25"/>
    </testsuite></testsuites>""")
    assert bench_notebooks.test_report_seconds(report) == {"08_training.ipynb": 1.5, "other tests": 0.25}
    report.write_text('<testsuites name="make test" time="5.250"><testsuite name="notebooks"/></testsuites>')
    assert bench_notebooks.test_report_wall(report) == 5.25


def test_the_ledger_refuses_replayed_runs_and_renders_every_class():
    rows = [{"notebook": "08_training.ipynb", "seconds": 400.4, "parameters": {}}]
    ledger = bench_notebooks.record({"classes": {}}, "avx512", "native", rows, {"08_training.ipynb": 9.6,
                                                                              "other tests": 120}, 600)
    bench_notebooks.record(ledger, "avx2", "emulated", [dict(rows[0], seconds=1800)], None, None)
    table = bench_notebooks.ledger_table(ledger)
    assert "| 08_training.ipynb | 400 s | 10 s | 1,800 s | — |" in table
    assert "2-core AVX-512: 10 min" in table and "2-core AVX2 (emulated): emulated" in table
    assert "| **total** | **7 min** | **2 min** | **30 min** | — |" in table
    bench_notebooks.record(ledger, "avx512", "native", None, {"08_training.ipynb": 90, "other tests": 150}, None,
                           test_wall=180)
    assert "| **3 min** (two runs side by side; the rows add up to 4 min) |" in bench_notebooks.ledger_table(ledger)
    with pytest.raises(SystemExit, match="TRAIN=0"):
        bench_notebooks.record(ledger, "avx2", "x", [dict(rows[0], parameters={"TRAIN": False})], None, None)


def test_docs_show_the_ledger_as_it_is_between_its_markers():
    doc = bench_notebooks.LEDGER_DOC.read_text()
    table = doc.split(bench_notebooks.BEGIN + "\n")[1].split(bench_notebooks.END)[0]
    assert table == bench_notebooks.ledger_table(bench_notebooks.load_ledger())


def test_recording_rewrites_the_docs_table_only_and_refuses_a_page_without_markers(tmp_path):
    doc = tmp_path / "maintaining.md"
    before, after = "# Time\n\nThe ledger:\n\n", "\n## Next\n\nUnchanged.\n"
    doc.write_text(f"{before}{bench_notebooks.BEGIN}\n| old | table |\n{bench_notebooks.END}{after}")
    bench_notebooks.write_ledger_doc("| new | table |\n", doc)
    assert doc.read_text() == f"{before}{bench_notebooks.BEGIN}\n| new | table |\n{bench_notebooks.END}{after}"
    doc.write_text(before + after)
    with pytest.raises(SystemExit, match="no ledger markers"):
        bench_notebooks.write_ledger_doc("| new | table |\n", doc)
    assert doc.read_text() == before + after


def readme_time_table() -> dict[tuple[str, str], tuple[int, int]]:
    """The README's time table: ``(command, machine) -> (low, high)`` minutes, from cells like ``30–40 min``."""
    section = (ROOT / "README.md").read_text().split("\n## Time\n")[1].split("\n## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    machines = ["AVX2" if "AVX2" in h else "AVX-512" if "AVX-512" in h else None for h in header]
    table = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        command = re.search(r"`(make \w+)", cells[0]).group(1)
        for machine, cell in zip(machines[1:], cells[1:], strict=True):
            low, high = re.fullmatch(r"(\d+)–(\d+) min", cell).groups()
            table[(command, machine)] = (int(low), int(high))
    return table


def test_the_readmes_time_table_covers_the_ledger():
    """The README states ranges, so re-measuring edits the ledger and docs/, never the README; but a
    measurement outside a range makes the README wrong, and this fails until it is corrected. The AVX2
    column is a real laptop: the emulated ledger times the factor docs/maintaining.md gives."""
    readme = readme_time_table()
    measured = bench_notebooks.readme_minutes(bench_notebooks.load_ledger())
    assert set(readme) == set(measured) == {(c, m) for c in ("make run", "make test") for m in ("AVX-512", "AVX2")}
    outside = {key: (f"{measured[key][0]:.1f}-{measured[key][1]:.1f} min", readme[key]) for key in readme
               if not readme[key][0] <= measured[key][0] <= measured[key][1] <= readme[key][1]}
    assert outside == {}
    low, high = bench_notebooks.REAL_AVX2_FACTOR
    assert f"multiply the emulated times by about {low:g} to {high:g}" in " ".join(
        bench_notebooks.LEDGER_DOC.read_text().split())


def test_readme_minutes_projects_the_emulated_class_by_the_factor():
    ledger = {"classes": {"avx512": {"make_run": {"a": 600, "b": 600}, "test": {"a": 60, "other tests": 60},
                                     "test_wall": 90},
                          "avx2": {"make_run": {"a": 1200}, "test": {"a": 300, "other tests": 300}}}}
    low, high = bench_notebooks.REAL_AVX2_FACTOR
    assert bench_notebooks.readme_minutes(ledger) == {
        ("make run", "AVX-512"): (20, 20), ("make test", "AVX-512"): (1.5, 1.5),
        ("make run", "AVX2"): (20 * low, 20 * high), ("make test", "AVX2"): (10 * low, 10 * high)}
