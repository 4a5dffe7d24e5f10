#!/usr/bin/env python3
"""How fast this CPU trains the article's model, natively and as an AVX2-only CPU would: a measurement, not a test.

    python benchmarks/bench_cpu.py [--isa native|avx2|avx2-onednn|both|all] [--repeat 1] [--json PATH]

Learners' machines differ mostly in their vector instructions: this machine has AVX-512 (and AMX), many
laptops and older desktops only AVX2, where the article's training step was measured ~4.5x slower. To
see the AVX2 class here without such a machine, each ISA class runs in its own process with the settings
that TensorFlow itself would end up with on an AVX2-only CPU:

- ``ONEDNN_MAX_CPU_ISA=AVX2`` caps oneDNN's JIT kernels (convolution, pooling, and the sgemm that
  TensorFlow's Eigen matmul/convolution contraction calls) at AVX2; oneDNN reads it once, when it first
  initialises, so it must be in the environment before TensorFlow loads. Its effect is verified, not
  assumed: a separate probe process runs one convolution with ``ONEDNN_VERBOSE=1`` and the ISA line and
  kernel names oneDNN prints (``brg_conv_fwd:avx512_core`` natively, ``brg_conv_fwd:avx2`` capped) are
  reported.
- ``TF_ENABLE_ONEDNN_OPTS=0``: on Linux, TensorFlow turns its oneDNN operations on by default only when the
  CPU has AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX (``DefaultOneDnnPolicy`` in tensorflow/core/util/util.cc);
  an AVX2-only CPU gets TensorFlow's Eigen kernels instead, which in the pip wheel are compiled for a fixed,
  older ISA and so run the same code here as there. Capping oneDNN alone (class ``avx2-onednn``) keeps
  oneDNN's operations on, which an AVX2 user gets by setting ``TF_ENABLE_ONEDNN_OPTS=1`` — as this course
  does for them (``helpers/_quiet.py``, before TensorFlow loads): ``avx2-onednn`` is this course on an AVX2
  CPU, ``avx2`` plain TensorFlow there.

What the emulation cannot reproduce: the other machine's clock, core count, caches and memory bandwidth.
The remaining gap to a real AVX2 machine is hardware, not kernels.

Reported per class: the oneDNN ISA in effect, TensorFlow matmul (2048², float32) and conv2d (the model's
second convolution, one batch) GFLOP/s beside NumPy's matmul GFLOP/s (OpenBLAS, unaffected by either
variable: it shows whether the machine itself was fast or slow during that process — on a shared machine
the same work varies 2x from one minute to the next), and pairs/s of the article's training step (batch 64
pairs, random data, median step time of ``--steps`` steps after warm-up). With ``--repeat`` the classes
alternate and medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Flags worth knowing about for float32 training on x86 (their /proc/cpuinfo spelling).
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")
# The flags with which TensorFlow (Linux) turns its oneDNN operations on by default.
TF_ONEDNN_DEFAULT_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")
# Environment per ISA class; None removes the variable so that a value in the user's shell cannot leak in.
CLASSES = {
    "native": {"ONEDNN_MAX_CPU_ISA": None, "TF_ENABLE_ONEDNN_OPTS": None},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "TF_ENABLE_ONEDNN_OPTS": "0"},
    "avx2-onednn": {"ONEDNN_MAX_CPU_ISA": "AVX2", "TF_ENABLE_ONEDNN_OPTS": "1"},
}
SELECTIONS = {"native": ["native"], "avx2": ["avx2"], "avx2-onednn": ["avx2-onednn"], "both": ["native", "avx2"],
              "all": ["native", "avx2", "avx2-onednn"]}
BATCH_PAIRS = 64


def parse_isa_flags(cpuinfo_text: str, names: tuple[str, ...] = ISA_FLAGS) -> dict[str, bool]:
    """``{flag: present}`` for ``names``, from the first ``flags`` line of /proc/cpuinfo text.

    All cores of one machine list the same flags, so the first line is enough. Matching is by whole word:
    ``avx512f`` must not count as ``avx``. Text without a flags line (not x86 Linux) gives all False.

    >>> parse_isa_flags("processor : 0\\nflags : fpu avx avx2 fma\\n", ("avx2", "avx512f"))
    {'avx2': True, 'avx512f': False}
    """
    for line in cpuinfo_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            present = set(value.split())
            return {name: name in present for name in names}
    return dict.fromkeys(names, False)


def tf_onednn_default(flags: dict[str, bool]) -> bool:
    """Whether TensorFlow on Linux enables its oneDNN operations by default on a CPU with these flags.

    >>> tf_onednn_default({"avx2": True, "avx512_vnni": False})
    False
    """
    return any(flags.get(name, False) for name in TF_ONEDNN_DEFAULT_FLAGS)


def parse_onednn_verbose(text: str) -> dict:
    """The ISA and the kernel names in ``ONEDNN_VERBOSE=1`` output: ``{"isa": str | None, "kernels": [...]}``.

    oneDNN prints one ``info,cpu,isa:<description>`` line when it starts (it describes the ISA it will use,
    after any ``ONEDNN_MAX_CPU_ISA`` cap) and one ``exec`` line per primitive run, whose implementation field
    names the kernel and its ISA (``brg_conv_fwd:avx2``). The kernel names are the proof that the cap took
    effect. Both the current (``onednn_verbose,v1,...``) and the older (``dnnl_verbose,...``) formats parse;
    kernels are listed once each, in first-seen order, without ISA-free ones such as ``gemm_api``'s empty name.

    >>> parse_onednn_verbose("onednn_verbose,v1,info,cpu,isa:Intel AVX2\\n"
    ...     "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx2,forward_training,src,,,mb8,4.2\\n")
    {'isa': 'Intel AVX2', 'kernels': ['brg_conv_fwd:avx2']}
    """
    isa = None
    kernels: list[str] = []
    for line in text.splitlines():
        if not line.startswith(("onednn_verbose,", "dnnl_verbose,")):
            continue
        fields = line.split(",")
        if "info" in fields[1:3] and any(f.startswith("isa:") for f in fields):
            # split the line, not the fields: the description holds commas ("... with float16, Intel DL ...")
            isa = line.split("isa:", 1)[1].strip()
            continue
        if "exec" not in fields:
            continue
        start = fields.index("exec")
        # exec,<engine>,<primitive>,<implementation>,...
        if len(fields) > start + 3:
            kernel = fields[start + 3].strip()
            if kernel and kernel not in kernels:
                kernels.append(kernel)
    return {"isa": isa, "kernels": kernels}


def kernel_isas(kernels: list[str]) -> list[str]:
    """The ISA suffixes of JIT kernel names, once each: ``["brg_conv_fwd:avx2", "jit:uni"]`` → ``["avx2"]``.

    ``uni`` (ISA-agnostic reorders) and ``ref`` (reference C++) say nothing about the vector ISA in use.

    >>> kernel_isas(["brg_conv_fwd:avx512_core", "jit:uni", "brgemm:avx512_core_amx"])
    ['avx512_core', 'avx512_core_amx']
    """
    isas: list[str] = []
    for kernel in kernels:
        _, sep, isa = kernel.partition(":")
        if sep and isa not in ("uni", "ref", "any") and isa not in isas:
            isas.append(isa)
    return isas


def class_env(name: str, base: dict[str, str]) -> dict[str, str]:
    """``base`` with the variables of ISA class ``name`` set or removed (and Python's output unbuffered).

    >>> sorted(k for k in class_env("native", {"ONEDNN_MAX_CPU_ISA": "AVX2", "X": "1"}) if k != "PYTHONUNBUFFERED")
    ['X']
    """
    env = {**base, "PYTHONUNBUFFERED": "1"}
    for key, value in CLASSES[name].items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# ---- child processes (TensorFlow is imported only here) ----


def probe() -> dict:
    """Run one small convolution and matmul so that oneDNN prints its ISA and kernel names (stdout)."""
    import tensorflow as tf

    x = tf.random.normal((8, 28, 28, 1))
    k = tf.random.normal((2, 2, 1, 128))
    tf.nn.conv2d(x, k, 1, "VALID").numpy()
    a = tf.random.normal((256, 256))
    tf.matmul(a, a).numpy()
    try:
        from tensorflow.python.util import _pywrap_util_port

        onednn_ops = bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        onednn_ops = None
    return {"tf_onednn_ops": onednn_ops}


def best_seconds(fn, repeat: int) -> float:
    fn()  # warm up (and trace)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def numpy_matmul_gflops(n: int = 2048, repeat: int = 5) -> float:
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    return 2 * n**3 / best_seconds(lambda: a @ a, repeat) / 1e9


def conv2d_gflops(repeat: int = 10) -> float:
    """Forward conv2d of the model's second convolution over one batch: 128 images 13×13×128, 2×2, 128 filters."""
    import tensorflow as tf

    x = tf.random.normal((2 * BATCH_PAIRS, 13, 13, 128))
    k = tf.random.normal((2, 2, 128, 128))
    conv = tf.function(lambda: tf.nn.conv2d(x, k, 1, "VALID"))
    flops = 2 * 2 * BATCH_PAIRS * 12 * 12 * 128 * 2 * 2 * 128
    return flops / best_seconds(lambda: conv().numpy(), repeat) / 1e9


def training_steps(steps: int, warmup: int = 5) -> list[float]:
    """Seconds of each of ``steps`` training steps of the article's model on one random batch of 64 pairs."""
    import numpy as np

    from helpers.models import compile_siamese, siamese_network

    model = compile_siamese(siamese_network())
    rng = np.random.default_rng(0)
    left, right = (rng.random((BATCH_PAIRS, 28, 28, 1), dtype=np.float32) for _ in range(2))
    labels = rng.integers(0, 2, BATCH_PAIRS).astype(np.float32)
    for _ in range(warmup):
        model.train_on_batch([left, right], labels)
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch([left, right], labels)
        seconds.append(time.perf_counter() - start)
    return seconds


def measure(steps: int) -> dict:
    from bench_training import matmul_peak_gflops

    import helpers  # noqa: F401  (quiet TensorFlow import)

    numpy_before = numpy_matmul_gflops()
    tf_matmul = matmul_peak_gflops(repeat=5)
    conv = conv2d_gflops()
    step_s = training_steps(steps)
    numpy_after = numpy_matmul_gflops()
    median = statistics.median(step_s)
    return {"numpy_matmul_gflops": statistics.median([numpy_before, numpy_after]), "tf_matmul_gflops": tf_matmul,
            "tf_conv2d_gflops": conv, "step_ms": median * 1e3, "step_ms_min": min(step_s) * 1e3,
            "pairs_per_s": BATCH_PAIRS / median}


# ---- parent ----


def run_child(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"child {' '.join(args)} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return out


def run_class(name: str, steps: int) -> dict:
    env = class_env(name, dict(os.environ))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    probed = run_child(["--child", "probe"], {**env, "ONEDNN_VERBOSE": "1"})
    verbose = parse_onednn_verbose(probed.stdout)
    result = {"env": {k: v for k, v in CLASSES[name].items()}, "onednn_isa": verbose["isa"],
              "onednn_kernels": verbose["kernels"], "kernel_isas": kernel_isas(verbose["kernels"]),
              **json.loads(probed.stdout.strip().splitlines()[-1])}
    measured = run_child(["--child", "measure", "--steps", str(steps)], env)
    result.update(json.loads(measured.stdout.strip().splitlines()[-1]))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isa", choices=list(SELECTIONS), default="both",
                        help="ISA classes to measure (both = native and avx2; all adds avx2-onednn)")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per class, after warm-up")
    parser.add_argument("--repeat", type=int, default=1, help="runs per class, alternating; medians are reported")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", choices=["probe", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # child process: result as JSON on the last line
        print(json.dumps(probe() if args.child == "probe" else measure(args.steps)))
        return 0

    try:
        flags = parse_isa_flags(Path("/proc/cpuinfo").read_text())
    except OSError:
        flags = dict.fromkeys(ISA_FLAGS, False)
    print("CPU flags: " + " ".join(f"{k}={'yes' if v else 'no'}" for k, v in flags.items()))
    print(f"TensorFlow's oneDNN operations on by default on this CPU: {'yes' if tf_onednn_default(flags) else 'no'}"
          " (Linux: only with AVX512_VNNI/BF16, AVX_VNNI or AMX)")
    if args.isa != "native" and not flags["avx2"]:
        print("note: this CPU has no AVX2; the avx2 classes cannot be emulated (oneDNN caps, it never adds)")

    names = SELECTIONS[args.isa]
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for rep in range(args.repeat):
        for name in names if rep % 2 == 0 else names[::-1]:  # alternate which class runs first
            runs[name].append(run_class(name, args.steps))
    keys = ("numpy_matmul_gflops", "tf_matmul_gflops", "tf_conv2d_gflops", "step_ms", "step_ms_min", "pairs_per_s")
    results = {}
    for name, rs in runs.items():
        results[name] = {**rs[0], **{k: statistics.median(r[k] for r in rs) for k in keys},
                         "all_step_ms": [round(r["step_ms"], 1) for r in rs]}

    print(f"\narticle's training step, batch {BATCH_PAIRS} pairs, median of {args.steps} steps; "
          f"{args.repeat} run(s) per class")
    print(f"{'class':<13}{'oneDNN ISA (verbose)':<34}{'TF oneDNN ops':>14}{'TF mm':>8}{'TF conv':>9}{'NumPy mm':>10}"
          f"{'step ms':>9}{'pairs/s':>9}")
    for name, r in results.items():
        isa = r["onednn_isa"] or "?"
        isa = (isa[:31] + "...") if len(isa) > 33 else isa
        ops = {True: "on", False: "off", None: "?"}[r["tf_onednn_ops"]]
        print(f"{name:<13}{isa:<34}{ops:>14}{r['tf_matmul_gflops']:>8.0f}{r['tf_conv2d_gflops']:>9.0f}"
              f"{r['numpy_matmul_gflops']:>10.0f}{r['step_ms']:>9.1f}{r['pairs_per_s']:>9.0f}")
    print("(GFLOP/s: TF matmul 2048² float32, TF conv2d = the model's conv2 forward, NumPy matmul 2048²)")
    for name, r in results.items():
        print(f"{name}: oneDNN kernels seen: {', '.join(r['onednn_kernels']) or 'none (oneDNN operations off)'}")
    if "native" in results:
        for name in (n for n in results if n != "native"):
            ratio = results[name]["step_ms"] / results["native"]["step_ms"]
            print(f"{name} / native step time: {ratio:.2f}x")
    if args.repeat > 1:
        print("all runs (step ms): " + "; ".join(f"{k} {v['all_step_ms']}" for k, v in results.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpu_flags": flags, "tf_onednn_default": tf_onednn_default(flags),
                                         "batch_pairs": BATCH_PAIRS, "steps": args.steps, "repeat": args.repeat,
                                         "classes": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
