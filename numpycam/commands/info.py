"""``numpycam info``: the version, and the shipped models layer by layer with their accuracy."""

from __future__ import annotations

import argparse
import json

import numpy as np

from numpycam import __version__
from numpycam.commands import int_in
from numpycam.files.zoo import NAMES, pretrained, weights_path

KINDS = {"gap": "the CAM architecture: convs, global average pooling, one Dense layer",
         "fc": "a conventional CNN: convs with max pooling, Flatten, two Dense layers",
         "gap_multi": "the gap architecture fine-tuned on scenes of 1-3 objects labelled with the "
                      "set of classes present (multi-label: sigmoid(S^c) = P(c in the image))"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int_in(8, 512, " pixels"), default=64,
                        help="input size for the output shapes shown (default 64, the training "
                             "size)")


def describe(name: str, size: int, record: dict | None) -> str:
    """One shipped model: what it is, its accuracy from the training log, every layer's output
    shape for one size x size image."""
    model = pretrained(name)
    model.forward(np.zeros((1, model.in_channels, size, size), model.dtype))
    lines = [f"{name}: {KINDS.get(name, 'a Sequential model')}",
             f"  {model.num_params():,} parameters, {model.dtype}; numpycam.pretrained({name!r})"]
    if record and "multi" in record:
        lines.append(f"  on the recipe's held-out scenes: mAP {record['multi']['test_map']:.3f}, "
                     f"test accuracy {record['test_accuracy']:.1%} (the exact set of classes), "
                     f"trained in {record['seconds']} s")
    elif record:
        lines.append(f"  test accuracy {record['test_accuracy']:.1%} on the recipe's held-out "
                     f"images, trained in {record['seconds']} s")
    lines.append(f"  {'output at ' + str(size) + ' px':<18}layer")
    for layer in model.layers:
        shape = "(" + ", ".join(map(str, model.activation(layer.name).shape[1:])) + ")"
        lines.append(f"  {shape:<18}{layer!r}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    log_path = weights_path(NAMES[0]).parent / "training_log.json"
    log = json.loads(log_path.read_text()) if log_path.is_file() else {}
    records = log.get("models", {})
    blocks = [describe(name, args.size, records.get(name)) for name in NAMES]  # errors first
    print(f"numpycam {__version__}")
    print(f"shipped models in {log_path.parent} (accuracy from training_log.json; "
          "`numpycam train` rebuilds them)\n")
    print("\n\n".join(blocks))
    return 0
