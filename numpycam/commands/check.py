"""``numpycam check [PATH...]``: grade students' exercise files with the library's own tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from numpycam.classroom.grader.harness import MEMORY_MB, TIMEOUT
from numpycam.commands import int_in, non_negative_int, positive_float
from numpycam.commands.output import check_output_folder

DEFAULT = "lessons/exercises/exercises.py"


def gradebook_file(text: str) -> Path:
    """argparse ``type`` for --csv/--json/--gradescope: a file in a folder that exists and that a
    command may write into (not numpycam's own source folders), so a run never ends by losing
    its gradebook."""
    path = Path(text).expanduser()
    if not path.name or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name, e.g. grades.csv")
    if not path.parent.resolve().is_dir():
        raise argparse.ArgumentTypeError(f"the folder of {text!r} does not exist; create it first")
    try:
        check_output_folder(path.parent)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=[DEFAULT], metavar="PATH",
                        help=f"submission files, or folders of them (every *.py); default {DEFAULT}")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="grade only these exercises, e.g. --only gap_forward gap_backward")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the random inputs; 0 (default) is the public set the "
                             "students can run, any other seed draws inputs they have not seen")
    parser.add_argument("--timeout", type=positive_float, default=TIMEOUT, metavar="SECONDS",
                        help=f"time limit per exercise and for importing a file (default {TIMEOUT:g})")
    parser.add_argument("--memory", type=non_negative_int, default=MEMORY_MB, metavar="MB",
                        help=f"address-space limit of each grading process, Linux and macOS "
                             f"(default {MEMORY_MB}; 0 for none)")
    parser.add_argument("--jobs", type=int_in(1, 64), default=1, metavar="N",
                        help="grade N submissions at a time (default 1)")
    parser.add_argument("--csv", metavar="FILE", type=gradebook_file, help="write a gradebook: one row per submission")
    parser.add_argument("--json", metavar="FILE", type=gradebook_file,
                        help="write every exercise's status, score and first failure as JSON")
    parser.add_argument("--gradescope", metavar="FILE", type=gradebook_file,
                        help="write Gradescope's results.json (one submission only)")
    parser.add_argument("--show-output", action="store_true",
                        help="show what each submission printed (truncated)")
    parser.add_argument("--reference", action="store_true",
                        help="a teacher's reference file: allow it to import numpycam")


def run(args: argparse.Namespace) -> int:
    """Exit 0 if every graded exercise of every submission passes fully, 1 otherwise, 2 for a
    bad path or option."""
    from numpycam.classroom.grader import harness, report
    from numpycam.classroom.grader.table import select

    def error(message: str) -> int:
        print(f"numpycam check: error: {message}", file=sys.stderr)
        return 2

    try:
        exercises = select(args.only)
        files = harness.submissions(args.paths)
    except (ValueError, FileNotFoundError) as err:
        return error(str(err))
    graded = {Path(f).resolve() for f in files}
    for option in ("csv", "json", "gradescope"):
        out = getattr(args, option)
        if out is not None and out.resolve() in graded:
            return error(f"--{option} {out} is one of the files to grade; write the gradebook elsewhere")
    if args.gradescope and len(files) != 1:
        return error(f"--gradescope writes one submission's results; got {len(files)} files")
    subs = []
    for _, sub in harness.grade_files(files, exercises, args.jobs, seed=args.seed,
                                      timeout=args.timeout, memory_mb=args.memory,
                                      reference=args.reference):
        subs.append(sub)
        print(report.report(sub, show_output=args.show_output) if len(files) == 1
              else report.summary(sub), flush=True)
        if len(files) > 1 and args.show_output and sub.output:  # indented under its line
            print("    output: " + report.truncated(sub.output).replace("\n", "\n    "))
    if args.csv:
        report.write_csv(args.csv, subs)
    if args.json:
        report.write_json(args.json, subs, args.seed)
    if args.gradescope:
        report.write_gradescope(args.gradescope, subs[0])
    return 0 if all(sub.passed for sub in subs) else 1
