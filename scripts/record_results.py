#!/usr/bin/env python3
"""Keep the results of a run on another data set: the measured numbers of notebooks 10–14 from a build folder,
in one committed JSON that the README's table and notebook 13 cite.

    make run DATASET=fashion_mnist                                  # the run (about 35 minutes, 2-core AVX-512)
    python scripts/record_results.py --dataset fashion_mnist        # → notebooks/trained/results_fashion_mnist.json

The committed notebooks show MNIST; a run on Fashion-MNIST is not committed as notebooks, so its numbers are
recorded here, rounded as the notebooks print them (accuracies and AUC to 4 decimals, linear probes to 3),
with the command that produced them. Nothing is computed: every number is read from the JSON files the
notebooks wrote into the build folder, and a missing one is an error that names the notebook to run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from script_support import ROOT

SOURCES = {  # key in the record → (build file stem, the notebook that writes it)
    "article": ("metrics_article", "10_evaluation.ipynb"),
    "article_embedding": ("embedding_article", "11_embedding_space.ipynb"),
    "improved": ("metrics_improved", "12_better_model.ipynb"),
    "simclr": ("metrics_simclr", "13_self_supervised.ipynb"),
    "losses": ("metrics_losses", "14_which_loss.ipynb"),
}


def rounded(value, key: str = ""):
    """Numbers as the notebooks print them: linear probes to 3 decimals, other fractions to 4."""
    if isinstance(value, dict):
        return {k: rounded(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, key) for v in value]
    if isinstance(value, float):
        return round(value, 3 if key == "linear_probe" else 4)
    return value


def record(build: Path, dataset: str) -> dict:
    found = {}
    for key, (stem, notebook) in SOURCES.items():
        path = build / f"{stem}_{dataset}.json"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run notebook {notebook} with DATASET={dataset!r} first "
                             f"(make run DATASET={dataset})")
        found[key] = json.loads(path.read_text())
    return {"dataset": dataset, "command": f"make run DATASET={dataset}",
            "recorded_by": f"python scripts/record_results.py --dataset {dataset}", **rounded(found)}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion_mnist", choices=["mnist", "fashion_mnist"])
    parser.add_argument("--build", type=Path, default=ROOT / "build", help="the run's build folder (default: build)")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: notebooks/trained/results_DATASET.json")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "notebooks" / "trained" / f"results_{args.dataset}.json"
    from helpers.artifacts import save_json

    save_json(record(args.build, args.dataset), out)
    print(f"saved {out}")
    return out


if __name__ == "__main__":
    main()
