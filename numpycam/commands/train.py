"""``numpycam train``: train both shipped models from scratch with the fixed recipe.

Writes ``gap.npz`` and ``fc.npz`` (default: into the package's ``pretrained/`` folder, the files
that ``numpycam.pretrained`` loads) and ``training_log.json`` with the accuracies, the epochs and
how long each model took, so the numbers in the README can be traced to a run.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from numpycam.commands import positive


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the weights (default: the package's pretrained/ folder)")
    parser.add_argument("--models", nargs="+", choices=["gap", "fc"], default=["gap", "fc"],
                        help="which models to train (default: both)")
    parser.add_argument("--epochs", type=positive, default=None,
                        help="override the recipe's epochs (every stage)")
    parser.add_argument("--n", type=positive, default=None,
                        help="override the number of training images")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from numpycam import data
    from numpycam.builders import deepen
    from numpycam.pretrained import RECIPE, weights_path
    from numpycam.train import accuracy, fit

    out = args.out if args.out is not None else weights_path("gap").parent
    size = RECIPE["size"]
    start = time.perf_counter()
    test = data.shapes(RECIPE["test"]["n"], seed=RECIPE["test"]["seed"], size=size, dtype=np.uint8)
    log_path = Path(out) / "training_log.json"
    # a run of some models keeps the record of the others already in the folder
    old = json.loads(log_path.read_text()) if log_path.is_file() else {}
    log = {"recipe": {k: v for k, v in RECIPE.items() if k != "models"},
           "models": old.get("models", {}),
           "machine": f"{platform.machine()} {platform.python_version()}"}

    def stage(fit_spec: dict) -> dict:
        """The recipe's fit arguments for one stage, with ``--epochs`` applied."""
        kwargs = dict(fit_spec)
        if args.epochs is not None:
            kwargs["epochs"] = args.epochs
        return kwargs

    for name in args.models:
        spec = RECIPE["models"][name]
        fit_kwargs = stage(spec["fit"])
        t0 = time.perf_counter()
        n_train = args.n if args.n is not None else spec["n"]
        train = data.shapes(n_train, seed=RECIPE["train_seed"], size=size, dtype=np.uint8)
        print(f"\ndata: {train!r}, held out: {test!r} ({time.perf_counter() - t0:.1f} s)")
        model = spec["build"](seed=RECIPE["seed"])
        print(f"training {name}: {model.num_params():,} parameters, {fit_kwargs}")
        history = fit(model, train.images, train.labels, batch_size=RECIPE["batch_size"],
                      test=(test.images, test.labels), seed=RECIPE["seed"], **fit_kwargs)
        if "deepen" in spec:  # stage 2: one more conv block before GAP, then fine-tune all
            stage_fit = stage(spec["deepen"]["fit"])
            model = deepen(model, spec["deepen"]["width"], seed=RECIPE["seed"])
            print(f"deepened {name}: {model.num_params():,} parameters, {stage_fit}")
            more = fit(model, train.images, train.labels, batch_size=RECIPE["batch_size"],
                       test=(test.images, test.labels), seed=RECIPE["seed"], **stage_fit)
            history.rows += more.rows
        seconds = time.perf_counter() - t0
        acc = accuracy(model, test.images, test.labels)
        path = model.save(Path(out) / f"{name}.npz")
        print(f"{name}: test accuracy {acc:.4f} after {seconds:.1f} s; wrote {path}")
        log["models"][name] = {"test_accuracy": acc, "seconds": round(seconds, 1),
                               "fit": fit_kwargs, "history": history.rows}
    total = time.perf_counter() - start
    log["total_seconds"] = round(total, 1)
    log_path.write_text(json.dumps(log, indent=1, default=float) + "\n")
    print(f"\nnumpycam train took {total:.1f} s in all; wrote {log_path}")
    return 0
