"""``numpycam notebooks --out DIR``: the lessons executed into notebooks (.ipynb, outputs included).

Run from the repository (the folder that holds ``lessons/``); needs the ``docs`` extra. The
figures the lessons save go to ``DIR/figures``, not to the committed ``figures/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from numpycam.classroom.notebooks import lesson_scripts, select, write_notebooks
from numpycam.commands.output import output_folder, prepare_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=output_folder, required=True, help="folder for the .ipynb files")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"),
                        help="folder of the lesson scripts (default lessons/ in this directory)")
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="only these lessons, by number or name (default: all)")


def run(args: argparse.Namespace) -> int:
    scripts = select(lesson_scripts(args.lessons), args.only)
    prepare_output(args.out, command="notebooks", names=[f"{s.stem}.ipynb" for s in scripts],
                   subfolders=("figures",), keep_out=[args.lessons])
    paths = write_notebooks(args.lessons, args.out, only=args.only)
    print(f"{len(paths)} notebooks in {args.out}")
    return 0
