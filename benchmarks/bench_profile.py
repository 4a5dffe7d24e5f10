#!/usr/bin/env python3
"""Where the training time of the article's model goes, and what changes it: a profile, not a test.

    python benchmarks/bench_profile.py [--json build/bench/profile.json]

Two parts, both from one run on this machine:

1. **Per layer.** Each layer of the article's twin is timed alone (forward + backward, its real input shape,
   128 images = one batch of 64 pairs), next to its FLOPs, so its GFLOP/s shows whether it is compute-bound
   (convolutions with many channels) or memory-bound (the first convolution with one input channel,
   pooling, dropout). The sum is compared with one whole training step; the rest is the optimizer update
   and Keras' per-step overhead.
2. **Settings.** Training steps of the whole Siamese model under the knobs one would try — batch size, XLA
   (``jit_compile``), TensorFlow's thread pools, oneDNN off — each in its own process (thread settings and
   oneDNN only apply before TensorFlow starts), reported as pairs/s and as a fraction of the float32
   matmul peak measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETTINGS = {
    "batch 64 (article)": {"batch": 64},
    "batch 256": {"batch": 256},
    "batch 1024": {"batch": 1024},
    "batch 64, XLA jit_compile": {"batch": 64, "jit": True},
    "batch 256, XLA jit_compile": {"batch": 256, "jit": True},
    "batch 64, 1 inter-op thread": {"batch": 64, "inter": 1},
    "batch 64, oneDNN off": {"batch": 64, "env": {"TF_ENABLE_ONEDNN_OPTS": "0"}},
}


def timed(fn, repeat: int) -> float:
    fn()  # trace and warm up
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def profile_layers(images_per_batch: int = 128, repeat: int = 30) -> list[dict]:
    import keras
    import tensorflow as tf
    from bench_training import model_flops

    from helpers.models import siamese_twin

    twin = siamese_twin()
    rows = []
    for position, layer in enumerate(twin.layers[1:]):
        shape = (images_per_batch, *layer.input.shape[1:])
        x = tf.Variable(tf.random.uniform(shape))
        # The first layer's input is the data: training never needs its gradient, so neither does the profile.
        wrt_input = position > 0

        @tf.function
        def step(layer=layer, x=x, wrt_input=wrt_input):
            with tf.GradientTape() as tape:
                y = layer(x, training=True)
                total = tf.reduce_sum(y)
            return tape.gradient(total, ([x] if wrt_input else []) + list(layer.trainable_variables))

        seconds = timed(lambda: [g.numpy() for g in step() if g is not None], repeat)
        probe = keras.Sequential([keras.Input(layer.input.shape[1:]), layer.__class__.from_config(layer.get_config())])
        flops = 3 * model_flops(probe) * images_per_batch  # forward + two backward products
        rows.append({"layer": layer.name, "kind": layer.__class__.__name__, "input": list(shape[1:]),
                     "ms": seconds * 1e3, "gflop": flops / 1e9, "gflops": flops / seconds / 1e9})
    return rows


def whole_step_ms(batch_pairs: int = 64, repeat: int = 30) -> float:
    import numpy as np

    from helpers.models import compile_siamese, siamese_network

    model = compile_siamese(siamese_network())
    rng = np.random.default_rng(0)
    left, right = (rng.random((batch_pairs, 28, 28, 1), dtype=np.float32) for _ in range(2))
    labels = rng.integers(0, 2, batch_pairs).astype(np.float32)
    return timed(lambda: model.train_on_batch([left, right], labels), repeat) * 1e3


def run_setting(batch: int, jit: bool, inter: int | None, pairs: int) -> dict:
    import tensorflow as tf

    if inter:
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    import numpy as np

    from helpers.models import compile_siamese, siamese_network

    model = compile_siamese(siamese_network())
    model.jit_compile = bool(jit)
    rng = np.random.default_rng(0)
    n = max(pairs, 4 * batch)
    left, right = (rng.random((n, 28, 28, 1), dtype=np.float32) for _ in range(2))
    labels = rng.integers(0, 2, n).astype(np.float32)
    model.fit([left[: 2 * batch], right[: 2 * batch]], labels[: 2 * batch], batch_size=batch, verbose=0)  # trace
    start = time.perf_counter()
    model.fit([left, right], labels, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    return {"pairs_per_s": n / seconds, "seconds": seconds, "pairs": n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=12_800, help="pairs trained per setting")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--setting", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.setting:  # child process: one setting, result as JSON on the last line
        s = SETTINGS[args.setting]
        print(json.dumps(run_setting(s["batch"], s.get("jit", False), s.get("inter"), args.pairs)))
        return 0

    from bench_training import matmul_peak_gflops, model_flops

    import helpers  # noqa: F401
    from helpers.models import siamese_twin

    peak = matmul_peak_gflops()
    flops_pair = 3 * 2 * model_flops(siamese_twin())
    layers = profile_layers()
    step_ms = whole_step_ms()
    layer_ms = sum(r["ms"] for r in layers)

    print(f"float32 matmul peak on this machine: {peak:.0f} GFLOP/s\n")
    print("1. per layer, forward + backward, 128 images (one batch of 64 pairs)")
    print(f"{'layer':<18}{'input':>14}{'ms':>8}{'share':>8}{'GFLOP':>8}{'GFLOP/s':>9}{'of peak':>9}")
    for r in layers:
        print(f"{r['layer']:<18}{'x'.join(map(str, r['input'])):>14}{r['ms']:>8.2f}{r['ms'] / layer_ms:>8.0%}"
              f"{r['gflop']:>8.2f}{r['gflops']:>9.1f}{r['gflops'] / peak:>9.0%}")
    print(f"{'sum of layers':<32}{layer_ms:>8.2f}")
    rest = step_ms - layer_ms
    explain = ("the rest: Adam update, loss, Keras per-step overhead" if rest > 0 else
               "less than the sum: in the whole step TensorFlow overlaps and fuses what is timed here call by call")
    print(f"{'whole training step':<32}{step_ms:>8.2f}   ({explain})\n")

    print(f"2. training the whole Siamese model, {args.pairs:,} pairs per setting, each in its own process")
    print(f"{'setting':<32}{'pairs/s':>9}{'GFLOP/s':>9}{'of peak':>9}{'vs article':>12}")
    settings = {}
    for name, s in SETTINGS.items():
        out = subprocess.run([sys.executable, __file__, "--setting", name, "--pairs", str(args.pairs)],
                             capture_output=True, text=True, env={**os.environ, **s.get("env", {})})
        if out.returncode != 0:
            last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
            print(f"{name:<32}  failed: {last}")
            settings[name] = {"error": out.stderr[-2000:]}
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["gflops"] = r["pairs_per_s"] * flops_pair / 1e9
        settings[name] = r
        base = settings["batch 64 (article)"]["pairs_per_s"]
        print(f"{name:<32}{r['pairs_per_s']:>9.0f}{r['gflops']:>9.1f}{r['gflops'] / peak:>9.0%}"
              f"{r['pairs_per_s'] / base:>11.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"matmul_peak_gflops": peak, "flops_training_per_pair": flops_pair,
                                         "layers": layers, "whole_step_ms": step_ms, "settings": settings},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
