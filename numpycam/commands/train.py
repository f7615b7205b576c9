"""``numpycam train``: train both shipped models from scratch with the fixed recipe.

Writes ``gap.npz`` and ``fc.npz`` (default: into the package's ``weights/`` folder, the files
that ``numpycam.pretrained()`` loads) and ``training_log.json`` with the accuracies, the epochs,
how long each model took and its peak memory, so the numbers in the README can be traced to a
run.

The models are independent, so by default each trains in its own process, one BLAS thread each:
a small CNN's matrices are too narrow for a second BLAS thread to help much (see
``numpycam bench --threads``), while two processes keep both cores busy. Every run uses the
recipe's fixed seeds; on the development machine ``--jobs 1`` and ``--jobs 2`` gave bit-identical
weights. ``peak_rss_mb`` in the log is the peak resident memory of the process that trained the
model, up to the end of its training (with ``--jobs 1`` every model shares one process).

If a model fails, the models that finished are still recorded in the log (so their weights and
the log agree), models not yet started are cancelled, and the error is raised. Worker processes
are started with "spawn", so a script that calls ``numpycam.cli.main(["train", ...])`` itself
needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from numpycam.commands import THREAD_VARIABLES, positive


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the weights (default: the package's weights/ folder)")
    parser.add_argument("--models", nargs="+", choices=["gap", "fc"], default=["gap", "fc"],
                        help="which models to train (default: both)")
    parser.add_argument("--epochs", type=positive, default=None,
                        help="override the recipe's epochs (every stage)")
    parser.add_argument("--n", type=positive, default=None,
                        help="override the number of training images")
    parser.add_argument("--jobs", type=positive, default=None,
                        help="models trained at once, each in its own process with one BLAS "
                             "thread (default: one per model, at most one per CPU core; "
                             "1 trains them one after the other in this process)")


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (None where the OS does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS


def train_one(name: str, out: Path, n: int | None, epochs: int | None,
              prefix: str = "") -> dict:
    """Train model ``name`` of the recipe, save ``out/name.npz`` and return its log entry."""
    import numpy as np

    from numpycam import data
    from numpycam.builders import deepen
    from numpycam.zoo import RECIPE
    from numpycam.train import accuracy, fit

    def say(text: str) -> None:
        print(f"{prefix}{text}", flush=True)

    def stage(fit_spec: dict) -> dict:
        """The recipe's fit arguments for one stage, with ``--epochs`` applied."""
        return dict(fit_spec) if epochs is None else {**fit_spec, "epochs": epochs}

    spec, size = RECIPE["models"][name], RECIPE["size"]
    n_train = spec["n"] if n is None else n

    def images(side: int):
        """(train, held-out) sets at ``side`` pixels, from the recipe's seeds."""
        t0 = time.perf_counter()
        test = data.shapes(RECIPE["test"]["n"], seed=RECIPE["test"]["seed"], size=side,
                           dtype=np.uint8)
        train = data.shapes(n_train, seed=RECIPE["train_seed"], size=side, dtype=np.uint8)
        say(f"data: {train!r}, held out: {test!r} ({time.perf_counter() - t0:.1f} s)")
        return train, test

    t0 = time.perf_counter()
    model = spec["build"](seed=RECIPE["seed"])
    fit_kwargs = stage(spec["fit"])
    side = spec.get("size", size)  # the GAP model may start on smaller images: cheaper steps
    train, test = images(side)
    say(f"training {name} on {side} x {side} images: {model.num_params():,} parameters, "
        f"{fit_kwargs}")
    common = {"batch_size": RECIPE["batch_size"], "seed": RECIPE["seed"], "log": say}
    history = fit(model, train.images, train.labels, test=(test.images, test.labels),
                  **fit_kwargs, **common)
    record = {"size": side, "fit": fit_kwargs}
    if side != size:
        train, test = images(size)
    if "deepen" in spec:  # stage 2: one more conv block before GAP, then fine-tune the unfrozen
        record["deepen"] = {"width": spec["deepen"]["width"], "size": size,
                            "fit": stage(spec["deepen"]["fit"])}
        model = deepen(model, spec["deepen"]["width"], seed=RECIPE["seed"])
        frozen = list(spec["deepen"].get("freeze", ()))  # kept as stage 1 left them: cheaper steps
        record["deepen"]["freeze"] = frozen
        model.freeze(*frozen)
        say(f"deepened {name}: {model.num_params():,} parameters, on {size} x {size} images, "
            f"frozen {frozen or 'none'}, {record['deepen']['fit']}")
        more = fit(model, train.images, train.labels, test=(test.images, test.labels),
                   **record["deepen"]["fit"], **common)
        model.unfreeze(*frozen)  # the model leaves fully trainable, as a loaded one is
        history.rows += more.rows
    seconds = time.perf_counter() - t0
    acc = accuracy(model, test.images, test.labels)
    path = model.save(Path(out) / f"{name}.npz")
    say(f"{name}: test accuracy {acc:.4f} after {seconds:.1f} s; wrote {path}")
    return {"test_accuracy": acc, "seconds": round(seconds, 1), "peak_rss_mb": _peak_rss_mb(),
            **record, "history": history.rows}


def _in_processes(names: list[str], jobs: int, out: Path, n, epochs, results: dict) -> None:
    """train_one for each name, ``jobs`` at a time in fresh processes with one BLAS thread.

    Fills ``results`` (name -> log entry) as models finish. On a failure the models not started
    are cancelled, the running ones are let finish and recorded, then the first error is raised.
    """
    import multiprocessing
    from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed

    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))  # inherited by the workers
    error = None
    try:
        # "spawn": a fresh interpreter reads the thread variables when it loads NumPy
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(train_one, name, out, n, epochs, f"[{name}] "): name
                       for name in names}
            for future in as_completed(futures):
                try:
                    results[futures[future]] = future.result()
                except CancelledError:
                    continue
                except Exception as exc:  # noqa: BLE001 - re-raised below, after the others
                    error = error or exc
                    pool.shutdown(wait=False, cancel_futures=True)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if error is not None:
        raise error


def run(args: argparse.Namespace) -> int:
    from numpycam.zoo import RECIPE, weights_path

    out = args.out if args.out is not None else weights_path("gap").parent
    names = list(dict.fromkeys(args.models))
    jobs = min(len(names), args.jobs or os.cpu_count() or 1)
    start = time.perf_counter()
    log_path = Path(out) / "training_log.json"
    # a run of some models keeps the record of the others already in the folder
    old = json.loads(log_path.read_text()) if log_path.is_file() else {}
    log = {"recipe": {k: v for k, v in RECIPE.items() if k != "models"},
           "models": old.get("models", {}),
           "machine": f"{platform.machine()} {platform.python_version()}, "
                      f"{os.cpu_count()} CPU cores, {jobs} process(es)"}
    results: dict = {}
    try:
        if jobs > 1:
            print(f"training {', '.join(names)} in {jobs} processes, one BLAS thread each")
            _in_processes(names, jobs, Path(out), args.n, args.epochs, results)
        else:
            for name in names:
                results[name] = train_one(name, Path(out), args.n, args.epochs)
    finally:  # the log always matches the weights written, even when a model failed
        log["models"].update(results)
        total = time.perf_counter() - start
        log["total_seconds"] = round(total, 1)
        if results:
            log_path.write_text(json.dumps(log, indent=1, default=float) + "\n")
    print(f"\nnumpycam train took {total:.1f} s in all; wrote {log_path}")
    return 0
