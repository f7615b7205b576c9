"""The ``numpycam`` command line: ``numpycam SUBCOMMAND [options]`` (or ``python -m numpycam``).

Each subcommand lives in its own module under ``numpycam.commands`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``; this file wires them up. Only the module of
the command being run is imported (the top-level ``--help`` needs only the one-line helps
below), so ``numpycam explain`` does not pay for the imports of ``evaluate`` or ``figures``:
``python -c "import numpycam.cli"`` took 1.2-1.4 s here under load when every command module
was imported up front. Inside each command module the imports stay at the top, where a reader
sees what the command depends on.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from types import ModuleType

from numpycam import __version__
from numpycam.blas import limit_blas_threads, thread_environment

# name -> one-line help; the command is the module numpycam.commands.<name>
COMMANDS = {
    "demo": "load the shipped models and write a gallery of CAM / Grad-CAM figures",
    "evaluate": "measure localisation and faithfulness of every method on a fresh test set",
    "train": "train both shipped models from scratch (fixed seeds)",
    "bench": "time training steps, convolutions and CAM against this machine's matmul",
    "figures": "regenerate every committed figure: the lessons', the demo's and evaluate's",
    "check": "grade a student's exercise file against the library's own checks",
    "info": "show the version and the shipped models, layer by layer",
    "explain": "explain photos or folders of them: the ImageNet network's top classes and their maps",
    "notebooks": "execute the lessons into notebooks (.ipynb with their outputs and figures)",
    "site": "build the course as a static website (lessons, figures, maths, exercises)",
}


def command_module(name: str) -> ModuleType:
    """``numpycam.commands.<name>``, imported when that command is asked for."""
    return importlib.import_module(f"numpycam.commands.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``only`` the options of that one command alone (the
    others are listed with their help line but their modules are not imported)."""
    parser = argparse.ArgumentParser(prog="numpycam", description="CAM and Grad-CAM computed in plain NumPy.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            command_module(name).add_arguments(command)
    return parser


def _command_named(argv: list[str]) -> str:
    """The subcommand of argv: its first word that is not an option ("" if none or unknown:
    argparse then says what is wrong)."""
    word = next((a for a in argv if not a.startswith("-")), "")
    return word if word in COMMANDS else ""


# Exit codes, the same in every subcommand: 0 success; 2 a bad option, a value out of its range
# (argparse, before anything runs) or a missing input file; 1 anything that fails at run time
# (one line on stderr, never a traceback); 130 interrupted.


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_named(words))
    args = parser.parse_args(words)
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
        return int(command_module(args.command).run(args) or 0)
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
