"""``numpycam figures``: regenerate every figure by running all lessons and then the demo.

Each ``lessons/NN_*.py`` runs in its own process (the same Python, working directory = the
repository, ``MPLBACKEND=Agg``, ``NUMPYCAM_FIGURES`` = the output folder), so a lesson behaves
exactly as when a student runs ``python lessons/NN_name.py``. The lessons are not part of the
installed package: run this command from the repository (the folder that holds ``lessons/``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("figures"),
                        help="folder for the PNGs (default figures/)")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"),
                        help="folder of the lesson scripts (default lessons/ in this directory)")


def lesson_scripts(folder: Path) -> list[Path]:
    """The lesson scripts NN_*.py of ``folder``, in order; a clear error if there are none."""
    scripts = sorted(p for p in folder.glob("[0-9][0-9]_*.py")) if folder.is_dir() else []
    if not scripts:
        raise FileNotFoundError(
            f"no lesson scripts (NN_name.py) in {folder.resolve()}; run `numpycam figures` from "
            "the numpycam repository (the folder that holds lessons/), or pass --lessons DIR"
        )
    return scripts


def run(args: argparse.Namespace) -> int:
    from numpycam.commands import demo

    scripts = lesson_scripts(args.lessons)
    out = args.out.resolve()
    repo = args.lessons.resolve().parent
    env = {**os.environ, "MPLBACKEND": "Agg", "NUMPYCAM_FIGURES": str(out)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    failed = []
    for script in scripts:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=repo, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode:
            failed.append(script.name)
            print(f"FAILED {script.name} ({seconds:.1f} s):\n{proc.stdout[-2000:]}"
                  f"{proc.stderr[-4000:]}")
        else:
            print(f"ran {script.name} ({seconds:.1f} s)")
    print("demo:")
    demo.run(argparse.Namespace(out=out, train=False, n=4, seed=123))
    made = sorted(p.name for p in out.glob("*.png"))
    print(f"{len(made)} PNG files in {out}")
    if failed:
        print(f"{len(failed)} lesson(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
