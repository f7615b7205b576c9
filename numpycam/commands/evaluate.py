"""``numpycam evaluate``: localisation and faithfulness of every method on a fresh test set
(see :mod:`numpycam.evaluate`), as a table, JSON and figures.

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
from numpycam.data import shapes
from numpycam.evaluate import ALL_METHODS, evaluate, format_table
from numpycam.io import load
from numpycam.viz_localize import save_figures
from numpycam.zoo import NAMES, pretrained

N, SEED, OUT = 1000, 7, Path("evaluate_figures")  # the test set of the README's table
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
    add("--slow-n", type=int_in(1, 20000), default=32, metavar="N",
        help="images for Score-CAM, which needs K forward passes per image (default 32)")
    add("--methods", nargs="+", default=list(ALL_METHODS), choices=ALL_METHODS, metavar="M",
        help=f"methods to evaluate (default all: {' '.join(ALL_METHODS)})")
    add("--models", nargs="+", default=list(NAMES), choices=NAMES,
        help="models to evaluate (default gap fc)")
    add("--weights", type=Path, default=None, metavar="DIR",
        help="folder holding gap.npz / fc.npz to evaluate instead of the shipped weights")
    add("--json", action="store_true", help="print the rows as JSON instead of the table")
    add("--out", type=Path, default=OUT,
        help=f"folder for the figures (default {OUT}/ in the current directory)")
    add("--no-figures", action="store_true", help="do not draw the figures")
    add("--threads", type=thread_count, default=THREADS, metavar="N",
        help=f"NumPy's BLAS threads (default {THREADS}: faster than several on a busy machine; "
             "set with threadpoolctl if installed, otherwise by running again with "
             "OPENBLAS_NUM_THREADS=N)")
    add("--quick", action="store_true",
        help="a tiny run for CI: 16 images, 4 for faithfulness and Score-CAM, 4 steps")


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
    start = time.perf_counter()
    models = models_from(args.weights, args.models)
    data = shapes(args.n, seed=args.seed, size=args.size)

    def progress(msg):
        print(msg, file=sys.stderr, flush=True)

    rows = evaluate(models, data, methods=args.methods, threshold=args.threshold,
                    faithfulness_n=args.faithfulness_n, steps=args.steps, slow_n=args.slow_n,
                    timing_n=min(16, args.n), progress=progress)
    paths = []
    if not args.no_figures:
        paths = save_figures(models, data, rows, args.out, threshold=args.threshold,
                             methods=args.methods)
    seconds = time.perf_counter() - start
    if args.json:
        settings = {k: getattr(args, k) for k in ("n", "seed", "size", "threshold",
                                                  "faithfulness_n", "steps", "slow_n")}
        print(json.dumps({"settings": settings, "rows": rows, "seconds": round(seconds, 1),
                          "figures": [str(p) for p in paths]}, indent=1))
    else:
        print(f"test set: shapes(n={args.n}, seed={args.seed}, size={args.size}); "
              f"models: {', '.join(models)}\n")
        print(format_table(rows))
        if paths:
            print(f"\nwrote {len(paths)} figures to {Path(args.out).resolve()}: "
                  f"{', '.join(p.name for p in paths)}")
        print(f"done in {seconds:.1f} s")
    return 0
