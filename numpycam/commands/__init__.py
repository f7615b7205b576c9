"""One module per ``numpycam`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``.

Every numeric option is checked by one of the argparse ``type=`` functions below, so the same
misuse gets the same one-line usage error and exit code 2 in every subcommand, before anything
runs.
"""

from __future__ import annotations

import argparse
import math


def _number(text: str, kind, what: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    """argparse ``type`` for a count or a size: a whole number >= 1."""
    value = _number(text, int, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def int_in(low: int, high: int, why: str = ""):
    """argparse ``type`` for a whole number in low..high: sizes and counts whose memory or time
    grows with the value get an upper bound, checked before anything runs (exit 2, one line
    naming the range) instead of a MemoryError minutes later."""

    def check(text: str) -> int:
        value = _number(text, int, f"a whole number in {low}..{high}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}{why}, got {value}")
        return value

    check.__name__ = f"int in {low}..{high}"  # what argparse names in "invalid ... value"
    return check


thread_count = int_in(1, 256)


def non_negative_int(text: str) -> int:
    """argparse ``type`` for a seed: a whole number >= 0."""
    value = _number(text, int, "a whole number >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def fraction(text: str) -> float:
    """argparse ``type`` for a share of a map's maximum, such as a box threshold: in [0, 1]."""
    value = _number(text, float, "a number in [0, 1]")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type`` for a duration in seconds: a finite number > 0."""
    value = _number(text, float, "a number > 0")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
