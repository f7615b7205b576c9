"""``numpycam info``: the version and the two architectures of the post."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="input image size (default 64)")


def run(args: argparse.Namespace) -> int:
    import numpycam as nc

    print(f"numpycam {nc.__version__}\n")
    print("CAM architecture, gap_cnn():")
    print(nc.gap_cnn())
    print("\nConventional CNN, fc_cnn():")
    print(nc.fc_cnn(input_size=args.size))
    return 0
