"""The recipe that trains the shipped models, and training one model by it.

:data:`RECIPE` holds everything ``numpycam train`` does: data, architecture and optimisation,
with the measurements behind each choice in its comments (how it was found:
``docs/training.md``). :func:`train_one` trains one model of the recipe, saves it as
``<name>.npz`` and returns its log entry (accuracies, epochs, seconds, peak memory), so every
number quoted about the models can be traced to a run. The runner that trains several and
writes ``training_log.json``: :mod:`numpycam.train.runner`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from numpycam import data
from numpycam.data import multi as data_multi
from numpycam.files.save import save
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
        # Measured with own_object.own_class_counts (objects whose class's CAM favours them / scenes
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
