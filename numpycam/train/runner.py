"""The runner: train the recipe's models into a folder and write ``training_log.json`` beside them.

:func:`run` rebuilds ``gap.npz``, ``fc.npz`` and ``gap_multi.npz`` (by default the package's
``weights/`` files that ``numpycam.pretrained()`` loads) with :data:`numpycam.train.recipes.RECIPE`
and logs the accuracies, the epochs, how long each model took and its peak memory.
``numpycam train`` is this function behind a parser.

The models are independent, so by default each trains in its own process, one BLAS thread each:
a small CNN's matrices are too narrow for a second BLAS thread to help much (see
``numpycam bench --threads``), while two processes keep both cores busy. Every run uses the
recipe's fixed seeds; on the development machine one and two processes gave bit-identical
weights. ``peak_rss_mb`` in the log is the peak resident memory of the process that trained the
model, up to the end of its training (with ``jobs=1`` every model shares one process).

If a model fails, the models that finished are still recorded in the log (so their weights and
the log agree), models not yet started are cancelled, and the error is raised. Worker processes
are started with "spawn", so a script that calls :func:`run` with ``jobs > 1`` needs the usual
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from pathlib import Path

from numpycam.blas import THREAD_VARIABLES
from numpycam.files.load import load
from numpycam.files.zoo import NAMES, weights_path
from numpycam.train.recipes import RECIPE, train_one


def in_processes(names: list[str], jobs: int, out: Path, n, epochs, results: dict) -> None:
    """train_one for each name, ``jobs`` at a time in fresh processes with one BLAS thread.

    Fills ``results`` (name -> log entry) as models finish. On a failure the models not started
    are cancelled, the running ones are let finish and recorded, then the first error is raised.
    """
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


def run(names: Sequence[str] = NAMES, out: str | Path | None = None, *, n: int | None = None,
          epochs: int | None = None, jobs: int | None = None,
          say: Callable[[str], None] = print) -> Path:
    """Train the named models with :data:`RECIPE` into ``out``; the path of the log written.

    ``out`` defaults to the package's ``weights/`` folder (the shipped files are replaced).
    ``jobs``: models trained at once, each in its own process with one BLAS thread (default one
    per model, at most one per CPU core; 1 trains them one after the other in this process). A
    log already in ``out`` keeps the records of the models not trained now.
    """
    unknown = [m for m in names if m not in RECIPE["models"]]
    if unknown or not names:
        raise ValueError(f"unknown models {unknown or names!r}; choose from {list(NAMES)}")
    out = Path(out) if out is not None else weights_path(NAMES[0]).parent
    names = list(dict.fromkeys(names))
    jobs = min(len(names), jobs or os.cpu_count() or 1)
    start = time.perf_counter()
    log_path = out / "training_log.json"
    old = json.loads(log_path.read_text()) if log_path.is_file() else {}
    log = {"recipe": {k: v for k, v in RECIPE.items() if k != "models"},
           "models": old.get("models", {}),
           "machine": f"{platform.machine()} {platform.python_version()}, "
                      f"{os.cpu_count()} CPU cores, {jobs} process(es)"}
    results: dict = {}
    try:
        if jobs > 1:
            say(f"training {', '.join(names)} in {jobs} processes, one BLAS thread each")
            in_processes(names, jobs, out, n, epochs, results)
        else:
            for name in names:
                results[name] = train_one(name, out, n, epochs)
    finally:  # the log always matches the weights written, even when a model failed
        log["models"].update(results)
        log["total_seconds"] = round(time.perf_counter() - start, 1)
        if results:
            log_path.write_text(json.dumps(log, indent=1, default=float) + "\n")
    return log_path


def trained_models(names: Sequence[str] = NAMES, **options) -> dict:
    """The named models trained from scratch by :func:`run` in a temporary folder, loaded:
    the shipped files stay as they are. ``options`` go to :func:`run`."""
    with tempfile.TemporaryDirectory() as tmp:
        run(names, tmp, **options)
        return {name: load(Path(tmp) / f"{name}.npz") for name in names}
