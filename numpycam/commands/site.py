"""``numpycam site --out DIR``: the course as a static website, ``DIR/index.html`` at its top.

Executes every lesson (or converts the notebooks of ``--notebooks DIR``, written by ``numpycam
notebooks``), and writes one page per lesson, the index with the demo gallery and the exercises
page. Offline: MathJax is copied from the jupyter-server-mathjax package. Needs the ``docs``
extra; run from the repository (the folder that holds ``lessons/`` and ``figures/``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from numpycam.classroom.notebooks import lesson_scripts, select
from numpycam.classroom.site import build_site
from numpycam.commands.output import output_folder, prepare_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=output_folder, required=True,
                        help="folder for the site (its earlier pages are replaced, nothing is deleted)")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"),
                        help="folder of the lesson scripts (default lessons/ in this directory)")
    parser.add_argument("--notebooks", type=Path, default=None, metavar="DIR",
                        help="already executed notebooks to convert instead of running the lessons")
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="only these lessons, by number or name (default: all)")


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    select(lesson_scripts(args.lessons), args.only)  # a wrong lesson is said before the folder is made
    # the site names the files it replaces itself, once it knows them
    prepare_output(args.out, command="site", subfolders=("figures",), keep_out=[args.lessons],
                   announce=False)
    pages = build_site(args.out, lessons=args.lessons, notebooks=args.notebooks, only=args.only,
                       figures_src=args.lessons.parent / "figures")
    print(f"{len(pages)} pages in {time.perf_counter() - start:.1f} s; open {args.out / 'index.html'}")
    return 0
