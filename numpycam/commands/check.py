"""``numpycam check [PATH]``: grade a student's exercises file with the library's own tests."""

from __future__ import annotations

import argparse
import sys

from numpycam import check

DEFAULT = "lessons/exercises/exercises.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=DEFAULT,
                        help=f"the student's exercises file (default {DEFAULT})")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="grade only these exercises, e.g. --only gap_forward gap_backward")


def run(args: argparse.Namespace) -> int:
    """Exit 0 if every exercise graded passes, 1 otherwise, 2 if the file does not import."""
    try:
        module = check.load(args.path)
    except check.LoadError as err:
        print(f"numpycam check: error: {err}", file=sys.stderr)
        return 2
    results = check.grade(module, args.only)
    print(check.report(args.path, results))
    return 0 if all(r.status == "pass" for r in results) else 1
