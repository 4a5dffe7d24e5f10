#!/usr/bin/env python3
"""Pair generation: the article's per-sample loop vs helpers.pairs, on MNIST's 48,000 training images.

    python benchmarks/bench_pairs.py [--repeat 5] [--json build/bench/pairs.json]

Prints a table (best of --repeat runs each, all measured in this one run) and the speed-up ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from helpers.data import load_mnist, preprocess, split_validation
from helpers.pairs import generate_pair_indices, generate_pairs


def article_generate_pairs(images, labels):
    """The article's approach (with its missing label lines filled in): for every image, search the whole
    label array twice with np.where and draw a partner, appending image pairs one by one."""
    pairs, pair_labels = [], []
    for i in range(len(images)):
        label = labels[i]
        j = np.random.choice(np.where(labels == label)[0])
        pairs.append([images[i], images[j]])
        pair_labels.append(1)
        k = np.random.choice(np.where(labels != label)[0])
        pairs.append([images[i], images[k]])
        pair_labels.append(0)
    return np.array(pairs), np.array(pair_labels, dtype=np.float32)


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--article-repeat", type=int, default=1, help="the loop is slow; 1 run by default")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    (x, y), _ = load_mnist(verbose=False)
    (x_train, y_train), _ = split_validation(x, y)
    images = preprocess(x_train)
    np.random.seed(0)

    results = {
        "article loop (materialised)": best_of(args.article_repeat, lambda: article_generate_pairs(images, y_train)),
        "generate_pair_indices (index form)": best_of(args.repeat, lambda: generate_pair_indices(y_train, 0)),
        "generate_pairs (materialised)": best_of(args.repeat, lambda: generate_pairs(images, y_train, 0)),
    }
    base = results["article loop (materialised)"]
    print(f"pair generation, {len(y_train):,} anchors -> {2 * len(y_train):,} pairs")
    print(f"{'method':<38}{'seconds':>10}{'speed-up':>12}")
    for name, seconds in results.items():
        print(f"{name:<38}{seconds:>10.4f}{base / seconds:>11.0f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seconds": results, "anchors": len(y_train)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
