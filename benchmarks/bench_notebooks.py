#!/usr/bin/env python3
"""Wall time of each notebook of a `make run`, read from papermill's metadata in the executed notebooks.

    python benchmarks/bench_notebooks.py [--executed build/executed] [--json build/bench/notebooks.json]

papermill records, in every notebook it executes, the start and end of the run (``metadata.papermill``)
and of each cell (``cells[i].metadata.papermill``). This prints the time per notebook, its share of the
series, and its slowest cell — where a teacher waiting for ``make run`` actually waits.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = timings(args.executed)
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
