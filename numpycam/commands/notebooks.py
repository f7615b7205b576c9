"""``numpycam notebooks --out DIR``: the lessons executed into notebooks (.ipynb, outputs included).

Run from the repository (the folder that holds ``lessons/``); needs the ``docs`` extra. The
figures the lessons save go to ``DIR/figures``, not to the committed ``figures/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from numpycam.classroom.notebooks import write_notebooks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder for the .ipynb files")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"),
                        help="folder of the lesson scripts (default lessons/ in this directory)")
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="only these lessons, by number or name (default: all)")


def run(args: argparse.Namespace) -> int:
    paths = write_notebooks(args.lessons, args.out, only=args.only)
    print(f"{len(paths)} notebooks in {args.out}")
    return 0
