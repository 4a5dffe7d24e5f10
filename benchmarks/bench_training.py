#!/usr/bin/env python3
"""Training the article's model: materialised pair arrays vs a lazy tf.data pipeline, against this CPU's peak.

    python benchmarks/bench_training.py [--pairs 96000] [--repeat 3] [--json build/bench/training.json]

Each variant trains one epoch of the article's model (batch 64, same seed, same pair order, no
reshuffling, so that the two loss curves can be compared batch by batch) in its own process, so that its
peak resident memory (ru_maxrss) is its own. With ``--repeat`` the variants alternate which goes first and
the median time is reported: on a shared machine single runs of the same work vary by ±30 %. Reported:

- seconds, pairs/s and peak RSS (MB) per variant, and their ratios;
- whether both variants give the same per-batch loss curve (they see identical batches);
- achieved GFLOP/s against the measured float32 matmul peak of this machine (roofline fraction).

FLOPs are counted analytically from the layers (see ``model_flops``): a multiply-add is 2 FLOPs; training
costs about 3× the forward pass (forward, gradient w.r.t. activations, gradient w.r.t. weights).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def model_flops(twin) -> int:
    """Forward FLOPs of one image through ``twin`` (Conv2D and Dense layers; pooling etc. are negligible)."""
    total = 0
    for layer in twin.layers:
        kind = layer.__class__.__name__
        if kind == "Conv2D":
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            total += 2 * h * w * c_out * kh * kw * c_in
        elif kind == "Dense":
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)


def matmul_peak_gflops(n: int = 2048, repeat: int = 10) -> float:
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def run_variant(variant: str, n_pairs: int, seed: int) -> dict:
    import keras

    from helpers.data import load_mnist, preprocess, split_validation
    from helpers.models import compile_siamese, siamese_network
    from helpers.pairs import gather_pairs, generate_pair_indices, pair_dataset
    from helpers.repro import set_seed

    (x, y), _ = load_mnist(verbose=False)
    (x_train, y_train), _ = split_validation(x, y)
    images = preprocess(x_train)
    rng = set_seed(seed)
    indices, labels = generate_pair_indices(y_train, rng)
    indices, labels = indices[:n_pairs], labels[:n_pairs]
    losses: list[float] = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["loss"]))

    model = compile_siamese(siamese_network())
    start = time.perf_counter()
    if variant == "materialised":
        pairs = gather_pairs(images, indices)  # (n, 2, 28, 28, 1) float32, as the article builds them
        model.fit([pairs[:, 0], pairs[:, 1]], labels, batch_size=64, epochs=1, shuffle=False, verbose=0,
                  callbacks=[Record()])
    else:
        model.fit(pair_dataset(images, indices, labels, batch_size=64), epochs=1, verbose=0, callbacks=[Record()])
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    return {"seconds": seconds, "pairs_per_s": n_pairs / seconds, "peak_rss_mb": peak_mb, "losses": losses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=96_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per variant, alternating their order; the median time is reported")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--variant", choices=["materialised", "lazy"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.variant:  # child process: one variant, result as JSON on the last line
        print(json.dumps(run_variant(args.variant, args.pairs, args.seed)))
        return 0

    runs: dict[str, list[dict]] = {"materialised": [], "lazy": []}
    for rep in range(args.repeat):
        order = ("materialised", "lazy") if rep % 2 == 0 else ("lazy", "materialised")  # no order advantage
        for variant in order:
            out = subprocess.run([sys.executable, __file__, "--variant", variant, "--pairs", str(args.pairs),
                                  "--seed", str(args.seed)], capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
            runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    results = {}
    for variant, rs in runs.items():
        median = statistics.median(r["seconds"] for r in rs)
        results[variant] = {"seconds": median, "pairs_per_s": args.pairs / median,
                            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs), "losses": rs[0]["losses"],
                            "all_seconds": [round(r["seconds"], 2) for r in rs]}

    import helpers  # noqa: F401
    from helpers.models import siamese_twin

    flops_image = model_flops(siamese_twin())
    flops_pair_training = 3 * 2 * flops_image
    peak = matmul_peak_gflops()
    mat, lazy = results["materialised"], results["lazy"]
    same_curve = mat["losses"] == lazy["losses"]
    max_diff = max(abs(a - b) for a, b in zip(mat["losses"], lazy["losses"]))

    print(f"one epoch of the article's model, {args.pairs:,} pairs, batch 64; median of {args.repeat} run(s) each")
    print(f"{'variant':<14}{'seconds':>9}{'pairs/s':>10}{'peak RSS MB':>13}{'GFLOP/s':>9}{'of peak':>9}")
    for name, r in results.items():
        gflops = r["pairs_per_s"] * flops_pair_training / 1e9
        r["gflops"] = gflops
        print(f"{name:<14}{r['seconds']:>9.1f}{r['pairs_per_s']:>10.0f}{r['peak_rss_mb']:>13.0f}{gflops:>9.1f}"
              f"{gflops / peak:>9.0%}")
    print(f"lazy / materialised: time {lazy['seconds'] / mat['seconds']:.2f}x, "
          f"peak RSS {lazy['peak_rss_mb'] / mat['peak_rss_mb']:.2f}x")
    print(f"same per-batch loss curve: {same_curve} (largest difference {max_diff:.2e})")
    if args.repeat > 1:
        print("all runs (s): " + "; ".join(f"{k} {v['all_seconds']}" for k, v in results.items()))
    print(f"model: {flops_image / 1e6:.2f} MFLOP forward per image; training ~{flops_pair_training / 1e6:.0f} "
          f"MFLOP per pair; float32 matmul peak here {peak:.0f} GFLOP/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {k: {kk: vv for kk, vv in v.items() if kk != "losses"} for k, v in results.items()}
        args.json.write_text(json.dumps({"variants": summary, "same_curve": same_curve, "max_loss_diff": max_diff,
                                         "flops_forward_per_image": flops_image, "matmul_peak_gflops": peak},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
