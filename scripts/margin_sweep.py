#!/usr/bin/env python3
"""What the contrastive loss's margin does to the distances a trained network learns: one short training per
margin, everything else held fixed.

    python scripts/margin_sweep.py                          # margins 0.5 1 2, 1 epoch on all 96,000 pairs
    python scripts/margin_sweep.py --pairs 6400 --margins 1 --out /tmp/timing.json   # a timing run
    make margin-sweep                                       # the first line (it wrote the committed JSON)

Each margin trains the article's Siamese network (:func:`helpers.models.siamese_network`, Adam 1e-3,
batch 64) from the same initial weights (``set_seed(seed)`` before each model is built) on the same training
pairs in the same order; only the loss's margin ``m`` differs. The budget is deliberately small (by default
one epoch; see ``--epochs`` and ``--pairs``): the sweep measures how the learned distances change with the
margin, not how good a fully trained model gets (notebook 08 trains five epochs).

Each model is judged like notebook 10 judges the article's: the fixed test pairs of
``evaluation_pairs(y_test, seed)`` and the validation pairs of ``evaluation_pairs(y_val, seed + 1)``. Recorded
per margin: the median test distance of similar and of different pairs, the share of different test pairs at
or beyond the margin (the loss no longer pushes them), test accuracy at the article's fixed d < 0.5, the
threshold chosen on validation pairs and the test accuracy at it, the test AUC, and the training seconds.
The JSON (``--out``, written atomically) also holds the command, the budget, the seed and the versions of
TensorFlow and Keras, and no date: two runs compare with a plain diff.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from script_support import mnist_splits, progress_callback, report_header, write_report

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MARGINS = (0.5, 1.0, 2.0)
DEFAULT_OUT = ROOT / "notebooks" / "trained" / "margin_sweep_mnist.json"
DECIMALS = 4  # stored metrics are rounded: more digits would only record CPU-dependent round-off


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--margins", type=float, nargs="+", default=list(DEFAULT_MARGINS),
                        help="margins m of the contrastive loss, one training each (default: 0.5 1 2)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per margin (default: 1)")
    parser.add_argument("--pairs", type=int, default=None,
                        help="train on the first PAIRS of the shuffled training pairs (default: all 96,000)")
    parser.add_argument("--batch-size", type=int, default=64, help="pairs per batch (default: 64, the article's)")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's learning rate (default: 1e-3)")
    parser.add_argument("--seed", type=int, default=42, help="seeds the weights, the pairs and their order")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the JSON to write (default: notebooks/trained/margin_sweep_mnist.json)")
    args = parser.parse_args(argv)
    if not args.margins or any(not (m > 0 and m < float("inf")) for m in args.margins):
        parser.error(f"--margins: expected positive finite numbers, got {args.margins}")
    if len(set(args.margins)) != len(args.margins):
        parser.error(f"--margins: expected each margin once, got {args.margins}")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a whole number >= 1, got {getattr(args, name)}")
    if args.pairs is not None and args.pairs < args.batch_size:
        parser.error(f"--pairs: expected at least one batch ({args.batch_size}), got {args.pairs}")
    if not args.learning_rate > 0:
        parser.error(f"--learning-rate: expected a positive number, got {args.learning_rate}")
    return args


def distance_metrics(d_val, val_labels, d_test, test_labels, margin: float) -> dict[str, float]:
    """The per-margin numbers from validation and test pair distances (unrounded floats).

    ``d_*``: distances (M,), ``*_labels``: 1 = similar, 0 = different. The threshold is chosen on the
    validation pairs only; every other number is measured on the test pairs.
    """
    import numpy as np

    from helpers.evaluation import pair_metrics

    d_test, test_labels = np.asarray(d_test, np.float64), np.asarray(test_labels)
    similar, different = d_test[test_labels == 1], d_test[test_labels == 0]
    pairs = pair_metrics(d_val, val_labels, d_test, test_labels)
    return {
        "median_distance_similar": float(np.median(similar)),
        "median_distance_different": float(np.median(different)),
        "share_different_beyond_margin": float(np.mean(different >= margin)),
        **{key: pairs[key] for key in ("test_accuracy_at_0.5", "threshold", "test_accuracy", "test_auc")},
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    wall_start = time.perf_counter()

    import helpers._tensorflow  # noqa: F401  (first: TensorFlow starts without its start-up chatter)

    # isort: split
    import keras
    import numpy as np

    from helpers.evaluation import embed, evaluation_pairs, pair_distances
    from helpers.models import compile_siamese, embedding_model, siamese_network
    from helpers.pairs import generate_pair_indices, pair_dataset
    from helpers.repro import set_seed

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist_splits()
    # The same training pairs for every margin: drawn once, from their own seeded generator.
    train_idx, train_labels = generate_pair_indices(y_train, np.random.default_rng(args.seed))
    if args.pairs is not None:
        train_idx, train_labels = train_idx[: args.pairs], train_labels[: args.pairs]
    val_idx, val_labels = evaluation_pairs(y_val, args.seed + 1)
    test_idx, test_labels = evaluation_pairs(y_test, args.seed)
    batches = -(-len(train_idx) // args.batch_size) * args.epochs
    print(f"margin sweep: margins {args.margins}, {args.epochs} epoch(s) on {len(train_idx):,} training pairs "
          f"({batches} batches of {args.batch_size} per margin), seed {args.seed}", flush=True)

    results = []
    for margin in args.margins:
        set_seed(args.seed)  # the same initial weights (and random state) for every margin
        model = compile_siamese(siamese_network(), learning_rate=args.learning_rate, margin=margin)
        data = pair_dataset(x_train, train_idx, train_labels, batch_size=args.batch_size, seed=args.seed)
        start = time.perf_counter()
        progress = progress_callback(f"m={margin:g}", batches)
        history = model.fit(data, epochs=args.epochs, verbose=0, callbacks=[progress])
        seconds = time.perf_counter() - start
        twin = embedding_model(model)
        d_val = pair_distances(embed(twin, x_val), val_idx)
        d_test = pair_distances(embed(twin, x_test), test_idx)
        metrics = distance_metrics(d_val, val_labels, d_test, test_labels, margin)
        entry = {"margin": float(margin), **{k: round(v, DECIMALS) for k, v in metrics.items()},
                 "final_training_loss": round(float(history.history["loss"][-1]), DECIMALS),
                 "training_seconds": round(seconds, 1)}
        results.append(entry)
        print(f"m={margin:g}: median d similar {entry['median_distance_similar']:.3f}, different "
              f"{entry['median_distance_different']:.3f}; different pairs at d >= m "
              f"{entry['share_different_beyond_margin']:.1%}; test accuracy at d < 0.5 "
              f"{entry['test_accuracy_at_0.5']:.4f}, at the validation threshold {entry['threshold']:.3f} "
              f"{entry['test_accuracy']:.4f}; AUC {entry['test_auc']:.4f}; {seconds:.0f} s of training", flush=True)
        keras.backend.clear_session()

    report = {
        **report_header(__file__, argv, args.seed,
                        "the article's Siamese network (helpers.models.siamese_network, compile_siamese)"),
        "budget": {"epochs": args.epochs, "training_pairs": len(train_idx), "batch_size": args.batch_size,
                   "learning_rate": args.learning_rate},
        "evaluation": {"test_pairs": f"evaluation_pairs(y_test, {args.seed})", "test_pair_count": len(test_idx),
                       "validation_pairs": f"evaluation_pairs(y_val, {args.seed + 1})",
                       "validation_pair_count": len(val_idx), "accuracy_rule": "similar when d < threshold"},
        "margins": [float(m) for m in args.margins],
        "results": results,
    }
    return write_report(report, args.out, wall_start)


if __name__ == "__main__":
    main()
