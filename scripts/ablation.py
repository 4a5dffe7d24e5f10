#!/usr/bin/env python3
"""Which of notebook 12's design choices made the difference: its recipe trained again with one choice undone
at a time, everything else held fixed.

    python scripts/ablation.py                       # every variant, 2 epochs each (what `make ablation` runs)
    python scripts/ablation.py --only "no batch normalisation" --epochs 1 --out /tmp/try.json
    make ablation                                    # the first line (it wrote the committed JSON)

Each variant trains notebook 12's twin (:func:`helpers.models.improved_twin`) through
:func:`helpers.compare.training_setup` on the same MNIST training images, seeded the same way (initial weights
and data order from ``--seed``), for the same number of optimizer steps and images per step; only the named
choice differs. The budget is deliberately shorter than notebook 12's 7 epochs (default 2: about a sixth of
an hour of training on a 2-core AVX-512 CPU for all variants); a choice that matters only late in a long run
can look unimportant here, and the JSON says so. The reference recipe is also trained with a second seed
(``--seeds``): the spread between those two runs is the noise a single difference must clear.

Each model is judged as in notebooks 10–14 (:func:`helpers.compare.evaluate_twin`): test pair accuracy at a
threshold chosen on validation pairs, test AUC, 1-NN, 1-shot (mean of 10 draws), linear probe. The JSON
(``--out``, written atomically) also holds the command, the budget and the package versions, and no date.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from script_support import check_budget, mnist_splits, progress_callback, report_header, write_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "notebooks" / "trained" / "ablation_mnist.json"
DECIMALS = 4
REFERENCE = "notebook 12's recipe"

#: Variant name → the settings it changes in notebook 12's recipe (:class:`helpers.compare.Recipe`).
VARIANTS: dict[str, dict] = {
    REFERENCE: {},
    "no batch normalisation": {"batch_norm": False},
    "2×2 kernels (the article's)": {"kernel_size": 2},
    "sampled pairs instead of all pairs": {"loss": "pairs"},
    "every negative averaged, not only those inside the margin": {"loss": "batch_contrastive_all_negatives"},
    "no warm-up or cosine decay (0.003 throughout)": {"schedule": False},
    "peak learning rate 0.001 (notebook 08's rate)": {"peak_learning_rate": 1e-3},
}


NOTEBOOK_EPOCHS = 7  # notebook 12's IMPROVED_EPOCHS


def budget_note(epochs: int) -> str:
    """What the record says of its budget against notebook 12's."""
    if epochs == NOTEBOOK_EPOCHS:
        return f"notebook 12's own budget of {NOTEBOOK_EPOCHS} epochs"
    if epochs > NOTEBOOK_EPOCHS:
        return f"longer than notebook 12's {NOTEBOOK_EPOCHS} epochs"
    return (f"shorter than notebook 12's {NOTEBOOK_EPOCHS} epochs: a choice that matters only late in a long run "
            "can look unimportant here")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per variant (default: 2)")
    parser.add_argument("--batch-size", type=int, default=256, help="images per batch (default: 256, notebook 12's)")
    parser.add_argument("--seed", type=int, default=42, help="seeds the weights, the data order and the evaluation")
    parser.add_argument("--seeds", type=int, nargs="*", default=[43],
                        help="further seeds for the reference recipe only: its spread is the noise (default: 43)")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), metavar="VARIANT",
                        help=f"train only these variants (default: all): {', '.join(map(repr, VARIANTS))}")
    parser.add_argument("--train-images", type=int, default=None,
                        help="train on the first TRAIN_IMAGES training images (default: all 48,000): for timing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the JSON to write (default: notebooks/trained/ablation_mnist.json)")
    args = parser.parse_args(argv)
    check_budget(parser, args)
    if args.seed in args.seeds:
        parser.error(f"--seeds: expected seeds other than --seed {args.seed}, got {args.seeds}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    wall_start = time.perf_counter()

    import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts without its start-up chatter)

    # isort: split
    import keras
    import numpy as np

    from helpers.compare import LOSSES, Recipe, evaluate_twin, training_setup
    from helpers.repro import set_seed

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist_splits()
    if args.train_images is not None:
        x_train, y_train = x_train[: args.train_images], y_train[: args.train_images]
    runs = [(name, args.seed) for name in (args.only or VARIANTS)]
    if args.only is None or REFERENCE in args.only:
        runs += [(REFERENCE, seed) for seed in args.seeds]
    print(f"ablation: {len(runs)} runs of {args.epochs} epoch(s) on {len(x_train):,} training images, "
          f"batches of {args.batch_size}", flush=True)

    results = []
    for name, seed in runs:
        recipe = Recipe(**VARIANTS[name])
        set_seed(seed)  # the same initial weights and random state for every variant of one seed
        model, twin, data, steps = training_setup(recipe, x_train, y_train, batch_size=args.batch_size,
                                                  epochs=args.epochs, seed=seed)
        label = f"{name} (seed {seed})"
        start = time.perf_counter()
        history = model.fit(data, epochs=args.epochs,
                            verbose=0, callbacks=[progress_callback(label, steps)])
        seconds = time.perf_counter() - start
        metrics = evaluate_twin(twin, (x_train, y_train), (x_test, y_test), validation=(x_val, y_val),
                                geometry=LOSSES[recipe.loss][3], seed=args.seed)
        losses = [float(v) for v in history.history["loss"]]
        entry = {"variant": name, "seed": seed, "recipe": VARIANTS[name],
                 **{k: round(float(v), DECIMALS) for k, v in metrics.items()},
                 "final_training_loss": round(losses[-1], DECIMALS) if np.isfinite(losses[-1]) else None,
                 "training_seconds": round(seconds, 1)}
        results.append(entry)
        print(f"{label}: test pair accuracy {entry['test_accuracy']:.4f}, AUC {entry['test_auc']:.4f}, "
              f"1-NN {entry['knn1_accuracy']:.4f}, 1-shot {entry['1-shot']:.4f}, linear probe "
              f"{entry['linear_probe']:.4f}; {seconds:.0f} s of training", flush=True)
        keras.backend.clear_session()

    report = {
        **report_header(__file__, argv, args.seed,
                        "notebook 12's twin and recipe (helpers.compare.Recipe), one choice undone per variant"),
        "budget": {"epochs": args.epochs, "batch_size": args.batch_size, "training_images": len(x_train),
                   "note": budget_note(args.epochs)},
        "evaluation": "helpers.compare.evaluate_twin: test pairs evaluation_pairs(y_test, seed), threshold on "
                      "evaluation_pairs(y_val, seed + 1); 1-NN and 1-shot (10 draws) on the test images; "
                      "linear probe on the pooled features",
        "results": results,
    }
    return write_report(report, args.out, wall_start)


if __name__ == "__main__":
    main()
