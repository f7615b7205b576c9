"""``numpycam evaluate``: localisation and faithfulness of every method on a fresh test set
(see :mod:`numpycam.evaluation.evaluate`), as a table, JSON and figures.

The figures go to ``--out`` (default ``evaluate_figures/`` in the current directory), never to
the repository's committed ``figures/`` unless asked: ``numpycam figures`` regenerates those.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from numpycam.commands import fraction, int_in, non_negative_int, thread_count
from numpycam.commands.output import output_folder, prepare_output
from numpycam.data import shapes
from numpycam.evaluation.evaluate import evaluate
from numpycam.evaluation.plan import ALL_METHODS
from numpycam.evaluation.table import format_table
from numpycam.evaluation.threshold_free import baseline_rows, format_wsol_table
from numpycam.files.load import load
from numpycam.files.zoo import NAMES, SINGLE_LABEL, pretrained
from numpycam.viz import save
from numpycam.viz.localize import save_figures
from numpycam.viz.wsol import box_acc_figure

N, SEED, OUT = 1000, 7, Path("evaluate_figures")  # the test set of the README's table
VAL_N, VAL_SEED = 100, 11  # the separate split that chooses each method's box threshold
SLOW_N = 32  # Score-CAM (K forward passes per image) on the first SLOW_N test images
# One BLAS thread by default: on the 2-core development machine, shared with other jobs,
# `--n 100` took 26-55 s with one thread and 34-528 s with NumPy's own two (README, Commands).
THREADS = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--n", type=int_in(1, 20000), default=N, help=f"test images (default {N})")
    add("--seed", type=non_negative_int, default=SEED,
        help=f"seed of the test set (default {SEED}; training used 1 and 2)")
    add("--size", type=int_in(16, 512, " pixels"), default=64,
        help="image size in pixels (default 64, the training size)")
    add("--threshold", type=fraction, default=0.2,
        help="box threshold, a fraction of the map's maximum (default 0.2 as in the CAM paper; "
             "the Grad-CAM paper uses 0.15)")
    add("--faithfulness-n", type=int_in(1, 20000), default=32, metavar="N",
        help="images for deletion / insertion AUC and average drop / increase, the first N of "
             "the test set (default 32)")
    add("--steps", type=int_in(1, 1000), default=16,
        help="steps of the deletion / insertion curves (default 16)")
    add("--slow-n", type=int_in(1, 20000), default=SLOW_N, metavar="N",
        help="images for Score-CAM, which needs K forward passes per image (default 32)")
    add("--methods", nargs="+", default=list(ALL_METHODS), choices=ALL_METHODS, metavar="M",
        help=f"methods to evaluate (default all: {' '.join(ALL_METHODS)})")
    add("--models", nargs="+", default=list(SINGLE_LABEL), choices=NAMES,
        help="models to evaluate (default gap fc, the single-label models)")
    add("--weights", type=Path, default=None, metavar="DIR",
        help="folder holding gap.npz / fc.npz to evaluate instead of the shipped weights")
    add("--val-n", type=non_negative_int, default=VAL_N, metavar="N",
        help=f"images of the separate labelled split that chooses each method's box threshold "
             f"for the BoxAcc@tau column (default {VAL_N}; 0: no split, no such column)")
    add("--val-seed", type=non_negative_int, default=VAL_SEED,
        help=f"seed of that split (default {VAL_SEED}: neither the test set's nor training's)")
    add("--json", action="store_true", help="print the rows as JSON instead of the table")
    add("--out", type=output_folder, default=OUT,
        help=f"folder for the figures (default {OUT}/ in the current directory)")
    add("--no-figures", action="store_true", help="do not draw the figures")
    add("--threads", type=thread_count, default=THREADS, metavar="N",
        help=f"NumPy's BLAS threads (default {THREADS}: faster than several on a busy machine; "
             "set with threadpoolctl if installed, otherwise by running again with "
             "OPENBLAS_NUM_THREADS=N)")
    add("--quick", action="store_true",
        help="a tiny run for CI: 16 images (16 to choose thresholds), 4 for faithfulness and "
             "Score-CAM, 4 steps")


def models_from(weights: Path | None, names) -> dict:
    """The shipped models, or those saved as ``weights/<name>.npz``."""
    if weights is None:
        return {name: pretrained(name) for name in names}
    missing = [n for n in names if not (weights / f"{n}.npz").is_file()]
    if missing:
        raise FileNotFoundError(f"no {', '.join(m + '.npz' for m in missing)} in {weights}")
    return {name: load(weights / f"{name}.npz") for name in names}


def run(args: argparse.Namespace) -> int:
    if args.quick:
        args.n, args.faithfulness_n, args.slow_n, args.steps = 16, 4, 4, 4
        args.val_n = min(args.val_n, 16)
    if not args.no_figures:
        names = ["evaluate_threshold.png", *(f"evaluate_boxes_{m}.png" for m in args.methods), "evaluate_box_acc.png"]
        prepare_output(args.out, command="evaluate", names=names)
    start = time.perf_counter()
    models = models_from(args.weights, args.models)
    data = shapes(args.n, seed=args.seed, size=args.size)
    if args.val_n and args.val_seed == args.seed:
        raise ValueError("--val-seed must differ from --seed: the threshold is never chosen on "
                         "the test set")
    val = shapes(args.val_n, seed=args.val_seed, size=args.size) if args.val_n else None
    val_name = f"shapes(n={args.val_n}, seed={args.val_seed})" if val is not None else None

    def progress(msg):
        print(msg, file=sys.stderr, flush=True)

    rows = evaluate(models, data, methods=args.methods, threshold=args.threshold,
                    faithfulness_n=args.faithfulness_n, steps=args.steps, slow_n=args.slow_n,
                    timing_n=min(16, args.n), val=val, val_name=val_name, progress=progress)
    baselines = baseline_rows(data, threshold=args.threshold, val=val, val_name=val_name)
    paths = []
    if not args.no_figures:
        paths = save_figures(models, data, rows, args.out, threshold=args.threshold,
                             methods=args.methods)
        paths.append(save(box_acc_figure(rows + baselines), args.out / "evaluate_box_acc.png"))
    seconds = time.perf_counter() - start
    if args.json:
        settings = {k: getattr(args, k) for k in ("n", "seed", "size", "threshold",
                                                  "faithfulness_n", "steps", "slow_n")}
        settings.update(val_n=args.val_n, val_seed=args.val_seed)
        print(json.dumps({"settings": settings, "rows": rows, "baselines": baselines,
                          "seconds": round(seconds, 1),
                          "figures": [str(p) for p in paths]}, indent=1))
    else:
        print(f"test set: shapes(n={args.n}, seed={args.seed}, size={args.size}); "
              f"models: {', '.join(models)}\n")
        print(format_table(rows + baselines))
        print()
        print(format_wsol_table(rows + baselines))
        if paths:
            print(f"\nwrote {len(paths)} figures to {Path(args.out).resolve()}: "
                  f"{', '.join(p.name for p in paths)}")
        print(f"done in {seconds:.1f} s")
    return 0
