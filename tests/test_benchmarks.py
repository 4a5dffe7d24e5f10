"""The benchmark scripts' bookkeeping (not their timings, which are measurements, not tests)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

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
