#!/usr/bin/env python3
"""How much the seed moves notebook 14's table: every loss trained again with several seeds, everything else
as notebook 14 trains and measures it.

    python scripts/loss_seeds.py                    # seeds 42, 43 and 44 (what `make loss-seeds` runs)
    python scripts/loss_seeds.py --only pairs --seeds 42 43 --train-images 2048 --out build/try.json

Each run trains notebook 12's twin through :func:`helpers.compare.training_setup` with one loss of
:data:`helpers.compare.LOSSES`, for notebook 14's budget (one epoch of 48,000 images in batches of 256, peak
learning rate 0.003), with its seed deciding the initial weights and the data order. Seed 42 is notebook 14's
own run. Every model is measured as notebook 14 measures it, with the evaluation seed fixed at 42 (the same
labelled set of 1,000 images per digit, test pairs and 1-shot draws), so that only the training seed varies;
the untrained twin of each seed is measured too. The spread of a loss's runs is the noise a difference
between two losses must clear. The JSON (``--out``, written atomically) holds the command, the budget and the
package versions, and no date.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from script_support import check_budget, mnist_splits, progress_callback, report_header, write_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "notebooks" / "trained" / "loss_seeds_mnist.json"
COMPARED = ["pairs", "batch_contrastive", "triplet_semihard", "triplet_batch_hard", "supcon"]
EVALUATION_SEED = 42
PER_DIGIT = 1000
DECIMALS = 4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44], help="training seeds (default: 42 43 44)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run (default: 1, notebook 14's)")
    parser.add_argument("--batch-size", type=int, default=256, help="images per batch (default: 256, notebook 14's)")
    parser.add_argument("--peak-learning-rate", type=float, default=3e-3, help="default: 0.003, notebook 14's")
    parser.add_argument("--only", nargs="+", choices=COMPARED, metavar="LOSS",
                        help=f"train only these losses (default: all): {', '.join(COMPARED)}")
    parser.add_argument("--train-images", type=int, default=None,
                        help="train on the first TRAIN_IMAGES training images (default: all 48,000): for timing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the JSON to write (default: notebooks/trained/loss_seeds_mnist.json)")
    args = parser.parse_args(argv)
    check_budget(parser, args)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"--seeds: expected different seeds, got {args.seeds}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    wall_start = time.perf_counter()

    import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts without its start-up chatter)

    # isort: split
    import keras
    import numpy as np

    from helpers.compare import LOSSES, Recipe, evaluate_twin, labelled_set, training_setup
    from helpers.models import improved_twin
    from helpers.repro import set_seed

    (x_train, y_train), _, (x_test, y_test) = mnist_splits()
    references = labelled_set(y_train, PER_DIGIT, np.random.default_rng(EVALUATION_SEED))
    references = (x_train[references], y_train[references])
    if args.train_images is not None:
        x_train, y_train = x_train[: args.train_images], y_train[: args.train_images]
    losses = args.only or COMPARED
    print(f"loss seeds: {len(losses)} losses x {len(args.seeds)} seeds, {args.epochs} epoch(s) on "
          f"{len(x_train):,} training images, batches of {args.batch_size}", flush=True)

    def measured(twin, geometry="euclidean") -> dict:
        metrics = evaluate_twin(twin, references, (x_test, y_test), geometry=geometry, seed=EVALUATION_SEED)
        return {k: round(float(v), DECIMALS) for k, v in metrics.items()}

    results = []
    for seed in args.seeds:
        set_seed(seed)
        results.append({"loss": "untrained", "seed": seed, **measured(improved_twin())})
        for key in losses:
            set_seed(seed)  # the same initial weights and data order for every loss of one seed
            model, twin, data, steps = training_setup(Recipe(loss=key, peak_learning_rate=args.peak_learning_rate),
                                                      x_train, y_train, batch_size=args.batch_size,
                                                      epochs=args.epochs, seed=seed)
            label = f"{key} (seed {seed})"
            start = time.perf_counter()
            history = model.fit(data, epochs=args.epochs, verbose=0, callbacks=[progress_callback(label, steps)])
            seconds = time.perf_counter() - start
            entry = {"loss": key, "seed": seed, **measured(twin, LOSSES[key][3]),
                     "final_training_loss": round(float(history.history["loss"][-1]), DECIMALS),
                     "training_seconds": round(seconds, 1)}
            results.append(entry)
            print(f"{label}: AUC {entry['test_auc']:.4f}, 1-NN {entry['knn1_accuracy']:.4f}, "
                  f"1-shot {entry['1-shot']:.4f}, linear probe {entry['linear_probe']:.4f}; {seconds:.0f} s",
                  flush=True)
            keras.backend.clear_session()

    report = {
        **report_header(__file__, argv, EVALUATION_SEED,
                        "notebook 12's twin trained with each loss of notebook 14 (helpers.compare.LOSSES)"),
        "budget": {"epochs": args.epochs, "batch_size": args.batch_size, "training_images": len(x_train),
                   "peak_learning_rate": args.peak_learning_rate},
        "evaluation": f"helpers.compare.evaluate_twin with seed {EVALUATION_SEED}: labelled set "
                      f"helpers.compare.labelled_set(y_train, {PER_DIGIT}, numpy.random.default_rng("
                      f"{EVALUATION_SEED})), test AUC on evaluation_pairs(y_test, {EVALUATION_SEED}), 1-NN, "
                      "1-shot (10 draws), linear probe on the pooled features",
        "results": results,
    }
    return write_report(report, args.out, wall_start)


if __name__ == "__main__":
    main()
