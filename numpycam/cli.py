"""The ``numpycam`` command line: ``numpycam SUBCOMMAND [options]`` (or ``python -m numpycam``).

Each subcommand lives in its own module under ``numpycam.commands`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``; this file wires them up. Building the parser
imports every command module and so the library they call (NumPy, SciPy, Matplotlib): 1.5-1.9 s
even for ``--help`` on the shared 2-core development machine under load (0.7 s when it was
quiet), against 0.75-0.9 s under load when the command modules hid their imports inside
functions. That is the price of plain imports at the top of every module, where a reader sees
what each command depends on.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from numpycam import __version__
from numpycam.blas import limit_blas_threads, thread_environment
from numpycam.commands import bench, check, demo, evaluate, explain, figures, info, notebooks, site, train

# name -> (module, one-line help)
COMMANDS = {
    "demo": (demo, "load the shipped models and write a gallery of CAM / Grad-CAM figures"),
    "evaluate": (evaluate, "measure localisation and faithfulness of every method on a fresh "
                           "test set"),
    "train": (train, "train both shipped models from scratch (fixed seeds)"),
    "bench": (bench, "time training steps, convolutions and CAM against this machine's matmul"),
    "figures": (figures, "regenerate every committed figure: the lessons', the demo's and "
                         "evaluate's"),
    "check": (check, "grade a student's exercise file against the library's own checks"),
    "info": (info, "show the version and the shipped models, layer by layer"),
    "explain": (explain, "explain photos or folders of them: the ImageNet network's top classes and their maps"),
    "notebooks": (notebooks, "execute the lessons into notebooks (.ipynb with their outputs and figures)"),
    "site": (site, "build the course as a static website (lessons, figures, maths, exercises)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="numpycam", description="CAM and Grad-CAM computed in plain NumPy.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


# Exit codes, the same in every subcommand: 0 success; 2 a bad option, a value out of its range
# (argparse, before anything runs) or a missing input file; 1 anything that fails at run time
# (one line on stderr, never a traceback); 130 interrupted.


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    undo_limit = lambda: None  # noqa: E731
    threads = getattr(args, "threads", None)  # the --threads option of bench, evaluate, figures
    if threads is not None:
        undo_limit = limit_blas_threads(threads)
        if undo_limit is None:
            # no threadpoolctl: run the same command in a process that starts with the limit
            command = [sys.executable, "-m", "numpycam", *(sys.argv[1:] if argv is None else argv)]
            return subprocess.call(command, env=thread_environment(threads))
    try:
        return int(COMMANDS[args.command][0].run(args) or 0)
    except FileNotFoundError as err:
        # an input the user named is missing: a usage error, exit 2, as explain and check say
        msg = err.args[0] if len(err.args) == 1 else f"{err.strerror}: {err.filename}"
        print(f"numpycam {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, KeyError, OSError, FloatingPointError, ImportError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"numpycam {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"numpycam {args.command}: error: out of memory; try smaller sizes or counts",
              file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the command line never shows a traceback
        print(f"numpycam {args.command}: error: {type(err).__name__}: {err} (a bug in numpycam "
              "if the input was valid; please report it)", file=sys.stderr)
        return 1
    finally:
        undo_limit()


if __name__ == "__main__":
    sys.exit(main())
