"""The ``numpycam`` command line: ``numpycam SUBCOMMAND [options]`` (or ``python -m numpycam``).

Each subcommand lives in its own module under ``numpycam.commands`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``; this file only wires them up, importing a
module when its subcommand runs so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

# name -> (module, one-line help)
COMMANDS = {
    "demo": ("numpycam.commands.demo",
             "load the shipped models and write a gallery of CAM / Grad-CAM figures"),
    "evaluate": ("numpycam.commands.evaluate",
                 "measure localisation and faithfulness of every method on a fresh test set"),
    "train": ("numpycam.commands.train", "train both shipped models from scratch (fixed seeds)"),
    "bench": ("numpycam.commands.bench",
              "time training steps, convolutions and CAM against this machine's matmul"),
    "figures": ("numpycam.commands.figures", "regenerate every figure: run all lessons and the demo"),
    "check": ("numpycam.commands.check",
              "grade a student's exercise file against the library's own checks"),
    "info": ("numpycam.commands.info", "show the version and the two model architectures"),
    "explain": ("numpycam.commands.explain", "explain a photo: the ImageNet network's top classes and their maps"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="numpycam", description="CAM and Grad-CAM computed in plain NumPy.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from numpycam import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    undo_limit = lambda: None  # noqa: E731
    threads = getattr(args, "threads", None)  # the --threads option of bench and evaluate
    if threads is not None:
        from numpycam.commands import limit_blas_threads, thread_environment

        if threads < 1:
            parser.error(f"--threads must be >= 1, got {threads}")
        undo_limit = limit_blas_threads(threads)
        if undo_limit is None:
            # no threadpoolctl: run the same command in a process that starts with the limit
            command = [sys.executable, "-m", "numpycam", *(sys.argv[1:] if argv is None else argv)]
            return subprocess.call(command, env=thread_environment(threads))
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except (ValueError, TypeError, KeyError, OSError, FloatingPointError, ImportError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"numpycam {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        undo_limit()


if __name__ == "__main__":
    sys.exit(main())
