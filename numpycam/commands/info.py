"""``numpycam info``: the version and the two architectures of the post."""

from __future__ import annotations

import argparse

from numpycam.commands import positive


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=positive, default=64, help="input image size (default 64)")


def run(args: argparse.Namespace) -> int:
    import numpycam as nc

    fc = nc.fc_cnn(input_size=args.size)  # first: a size too small fails before any output
    print(f"numpycam {nc.__version__}\n")
    print("CAM architecture, gap_cnn():")
    print(nc.gap_cnn())
    print("\nConventional CNN, fc_cnn():")
    print(fc)
    return 0
