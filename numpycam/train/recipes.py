"""The recipe that trains the shipped models, and the runner that follows it.

:func:`run` rebuilds ``gap.npz``, ``fc.npz`` and ``gap_multi.npz`` (by default the package's ``weights/`` files
that ``numpycam.pretrained()`` loads) and writes ``training_log.json`` beside them with the
accuracies, the epochs, how long each model took and its peak memory, so every number quoted
about the models can be traced to a run. ``numpycam train`` is this function behind a parser.

The models are independent, so by default each trains in its own process, one BLAS thread each:
a small CNN's matrices are too narrow for a second BLAS thread to help much (see
``numpycam bench --threads``), while two processes keep both cores busy. Every run uses the
recipe's fixed seeds; on the development machine one and two processes gave bit-identical
weights. ``peak_rss_mb`` in the log is the peak resident memory of the process that trained the
model, up to the end of its training (with ``jobs=1`` every model shares one process).

If a model fails, the models that finished are still recorded in the log (so their weights and
the log agree), models not yet started are cancelled, and the error is raised. Worker processes
are started with "spawn", so a script that calls :func:`run` with ``jobs > 1`` needs the usual
``if __name__ == "__main__":`` guard. How the recipe was found: ``docs/training.md``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from numpycam import data
from numpycam.blas import THREAD_VARIABLES
from numpycam.data import multi as data_multi
from numpycam.files.load import load, save
from numpycam.files.zoo import NAMES, weights_path
from numpycam.nn.builders import deepen, fc_cnn, gap_cnn
from numpycam.train.fit import accuracy, fit

# Everything ``numpycam train`` does, in one place: data, architecture and optimisation.
# It trained gap and fc in about 3 minutes on two cores (one process per model); gap_multi
# repeats gap's recipe and adds a stage (910.6 s alone in one process while four other jobs
# shared the two cores; see the log's "run" entry). The comments
# give the measurements behind each choice (1,000 held-out images; localisation: CAM boxes at
# IoU >= 0.5 on 400 images of `numpycam evaluate`).
RECIPE = {
    "size": 64,
    "train_seed": 1,
    "test": {"n": 1000, "seed": 2},
    "models": {
        # GAP model, stage 1: gap_cnn() (three conv layers) on 48 x 48 versions of the images,
        # where a step costs about half as much (GAP takes any input size). Stage 2: one more
        # conv block before GAP (``deepen``), fine-tuned on the 64 x 64 images. The fourth conv
        # widens what each position of the last maps sees: a three-conv model classified at 98 %
        # but its CAM boxes were too small (68 % localisation). Stage 1 at 32 x 32 was cheaper
        # still but gave 70 % localisation; at 64 x 64 the same time bought fewer epochs. conv1
        # stays frozen in stage 2 (its backward pass is the costliest; measured: 20 s instead of
        # 26 s per epoch). The warm-up keeps the new layers' first updates small.
        "gap": {"build": gap_cnn, "n": 8000, "size": 48, "fit": {"epochs": 8, "lr": 1e-2},
                "deepen": {"width": 64, "freeze": ["conv1"],
                           "fit": {"epochs": 3, "lr": 5e-3, "warmup": 100}}},
        # The conventional CNN has 6x the parameters (most in its hidden Dense layer) and
        # overfit 8,000 images (93.7 % test, 99.2 % train), so it gets twice the data and a
        # little weight decay. Without warm-up, lr 3e-3 left it near 80 % after 4 epochs and
        # 1e-2 never left chance; 5e-3 after a 250-step warm-up reached 98.8 %.
        "fc": {"build": fc_cnn, "n": 16000,
               "fit": {"epochs": 4, "lr": 5e-3, "warmup": 250, "weight_decay": 1e-4}},
        # Multi-label GAP model: the whole "gap" recipe above, retrained in the same process (so
        # nothing depends on another worker), then fine-tuned -- every layer -- on scenes of one
        # to three objects labelled only with the set of classes present (sigmoid cross-entropy).
        # Measured with scenes.own_class_counts (objects whose class's CAM favours them / scenes
        # with every class right / presence mAP): the single-label gap.npz gets 84.9 % / 71.4 %
        # / 0.816 on 1,000 scenes of seed 2026. Fine-tuning gap.npz, on 500 scenes of seed 123:
        # 4,000 scenes for 2 epochs (lr 2e-3) 95.0 % / 90.2 % / 0.960, at the edge of the
        # 95 % / 90 % target; 8,000 scenes for 6 epochs (these settings) 99.4 % / 98.8 % / 0.997.
        # An epoch of this stage took 25-45 s on a shared 2-core machine.
        "gap_multi": {"from": "gap",
                      "multi": {"n": 8000, "train_seed": 11, "test": {"n": 1000, "seed": 12},
                                "fit": {"epochs": 6, "lr": 3e-3, "warmup": 50}}},
    },
    "batch_size": 32,
    "seed": 0,
}



def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (None where the OS does not report it)."""
    try:
        import resource  # POSIX only
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS


def train_one(name: str, out: Path, n: int | None = None, epochs: int | None = None,
              prefix: str = "") -> dict:
    """Train model ``name`` of the recipe, save ``out/name.npz`` and return its log entry.

    ``n`` and ``epochs`` override the recipe's number of training images and every stage's
    epochs (for quick runs); progress lines go to stdout, each starting with ``prefix``.
    """
    def say(text: str) -> None:
        print(f"{prefix}{text}", flush=True)

    t0 = time.perf_counter()
    spec = RECIPE["models"][name]
    if "from" in spec:  # the base model's whole recipe in this process, then the scenes
        model, record, history, _ = _train(spec["from"], n, epochs, say)
        record = {"from": spec["from"], "base": record}
        model, acc = _multi_stage(model, spec["multi"], record, history, n, epochs, say)
    else:
        model, record, history, acc = _train(name, n, epochs, say)
    seconds = time.perf_counter() - t0
    path = save(model, Path(out) / f"{name}.npz")
    say(f"{name}: test accuracy {acc:.4f} after {seconds:.1f} s; wrote {path}")
    return {"test_accuracy": acc, "seconds": round(seconds, 1), "peak_rss_mb": peak_rss_mb(),
            **record, "history": history.rows}


def _stage(fit_spec: dict, epochs: int | None) -> dict:
    """The recipe's fit arguments for one stage, with the ``epochs`` override applied."""
    return dict(fit_spec) if epochs is None else {**fit_spec, "epochs": epochs}


def _train(name: str, n: int | None, epochs: int | None, say: Callable[[str], None]) -> tuple:
    """(model, log record, history, held-out accuracy) of a single-label model of the recipe."""
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

    model = spec["build"](seed=RECIPE["seed"])
    fit_kwargs = _stage(spec["fit"], epochs)
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
                            "fit": _stage(spec["deepen"]["fit"], epochs)}
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
    return model, record, history, accuracy(model, test.images, test.labels)


def _multi_stage(model, spec: dict, record: dict, history, n, epochs, say) -> tuple:
    """Fine-tune ``model`` on multi-object scenes with their multi-hot labels (sigmoid
    cross-entropy); record the stage and the held-out mAP; (model, held-out exact-set accuracy)."""
    t0 = time.perf_counter()
    size, n_train = RECIPE["size"], spec["n"] if n is None else n
    test = data_multi.multi_object_scenes(spec["test"]["n"], seed=spec["test"]["seed"], size=size,
                                          dtype=np.uint8)
    train = data_multi.multi_object_scenes(n_train, seed=spec["train_seed"], size=size,
                                           dtype=np.uint8)
    say(f"data: {train!r}, held out: {test!r} ({time.perf_counter() - t0:.1f} s)")
    fit_kwargs = _stage(spec["fit"], epochs)
    say(f"fine-tuning on scenes with their sets of classes (sigmoid cross-entropy), {fit_kwargs}")
    more = fit(model, train.images, train.labels, test=(test.images, test.labels), loss="sigmoid",
               batch_size=RECIPE["batch_size"], seed=RECIPE["seed"], log=say, **fit_kwargs)
    history.rows += more.rows
    record["multi"] = {"n": n_train, "train_seed": spec["train_seed"], "test": spec["test"],
                       "fit": fit_kwargs, "test_map": more.rows[-1]["test_map"]}
    return model, accuracy(model, test.images, test.labels)


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
