"""``numpycam train``: train the shipped models from scratch with the fixed recipe.

The recipe lives in :mod:`numpycam.train.recipes`, the runner in :mod:`numpycam.train.runner`;
this command parses the options and prints where the log went. Worker processes are started
with "spawn", so a script that calls ``numpycam.cli.main(["train", ...])`` itself needs the
usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import argparse
import time

from numpycam.commands import int_in
from numpycam.commands.output import output_folder, prepare_output
from numpycam.files.zoo import NAMES
from numpycam.train import runner


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=output_folder, default=None,
                        help="folder for the weights (default: the package's weights/ folder)")
    parser.add_argument("--models", nargs="+", choices=NAMES, default=list(NAMES),
                        help="which models to train (default: all; gap_multi retrains gap's "
                             "recipe first, then fine-tunes it on multi-object scenes)")
    parser.add_argument("--epochs", type=int_in(1, 10000), default=None,
                        help="override the recipe's epochs (every stage)")
    parser.add_argument("--n", type=int_in(1, 1_000_000), default=None,
                        help="override the number of training images")
    parser.add_argument("--jobs", type=int_in(1, 64), default=None,
                        help="models trained at once, each in its own process with one BLAS "
                             "thread (default: one per model, at most one per CPU core; "
                             "1 trains them one after the other in this process)")


def run(args: argparse.Namespace) -> int:
    if args.out is not None:  # the default, the package's weights/, is where the shipped models live
        prepare_output(args.out, command="train",
                       names=[*(f"{name}.npz" for name in args.models), "training_log.json"])
    start = time.perf_counter()
    log_path = runner.run(args.models, args.out, n=args.n, epochs=args.epochs, jobs=args.jobs)
    print(f"\nnumpycam train took {time.perf_counter() - start:.1f} s in all; wrote {log_path}")
    return 0
