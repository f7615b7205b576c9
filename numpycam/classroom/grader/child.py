"""The child process that grades one submission: ``python -m numpycam.classroom.grader.child``.

It limits its own memory and output size, imports the student's file, grades the exercises
it is given in order and reports every step as one JSON line on a pipe the parent opened
(``--fd``), so the parent knows what happened even if the student's code ends the process.
The student's own prints go to the process's stdout and stderr, which the parent captures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from dataclasses import asdict


def limit(memory_mb: int, output_mb: int) -> None:
    """Address space and file size limits where the platform has them (Linux, macOS)."""
    try:
        import resource
    except ImportError:  # Windows: no limits, the timeout still holds
        return
    for what, mb in ((resource.RLIMIT_AS, memory_mb), (resource.RLIMIT_FSIZE, output_mb)):
        if mb > 0:
            try:
                resource.setrlimit(what, (mb << 20, mb << 20))
            except (ValueError, OSError):
                pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="numpycam.classroom.grader.child")
    parser.add_argument("path")
    parser.add_argument("names", nargs="*")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--output-mb", type=int, default=0)
    args = parser.parse_args(argv)

    def send(**event) -> None:
        os.write(args.fd, (json.dumps(event) + "\n").encode())

    from numpycam.classroom.grader.grading import grade_exercise
    from numpycam.classroom.grader.table import BY_NAME

    send(ready=True)  # the parent's clock for the student's file starts now
    limit(args.memory_mb, args.output_mb)
    spec = importlib.util.spec_from_file_location("numpycam_student_submission", args.path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SystemExit as err:
        send(load="sys.exit", message=f"called sys.exit({err.code!r}) while being imported")
        os._exit(0)
    except MemoryError:
        send(load="out of memory", message="ran out of memory while being imported")
        os._exit(0)
    except BaseException as err:  # whatever the file does wrong, the teacher gets one line
        send(load="error", message=f"cannot be imported: {type(err).__name__}: {err}")
        os._exit(0)
    send(load="ok")
    for name in args.names:
        send(start=name)
        result = grade_exercise(BY_NAME[name], module, args.seed,
                                on_check=lambda c: send(check=asdict(c)))
        send(result=asdict(result))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers or threads of the student's keep the process alive


if __name__ == "__main__":
    main()
