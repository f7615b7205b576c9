"""One module per ``numpycam`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``."""

import argparse


def positive(text: str) -> int:
    """argparse ``type`` for an int >= 1: a bad value is a one-line usage error, exit code 2."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
