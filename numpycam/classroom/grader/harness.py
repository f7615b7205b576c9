"""Grade submissions, each in a child process with a time limit per exercise and a memory limit.

The child (numpycam.classroom.grader.child) reports each step on a pipe. If a step does not come within
``timeout`` seconds the child's process group is killed and the exercise is reported as a
timeout; if the child dies (os._exit, a segfault, the kernel's OOM killer, too much output) the
exercise it was on is reported as what the exit code or signal says. Either way a new child
grades the remaining exercises, so one hang or crash costs one exercise, not the file.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from numpycam.classroom.grader.grading import CheckResult, Result, summarise
from numpycam.classroom.grader.integrity import Unparsable, refusal
from numpycam.classroom.grader.table import Exercise

TIMEOUT = 5.0  # seconds per exercise (and for importing the file)
STARTUP = 60.0  # seconds for the child to import numpy and the grader, before the file
MEMORY_MB = 2048  # address space of the child; numpy and the checks need a few hundred MB
OUTPUT_MB = 16  # the most a submission may print before its process is stopped


@dataclass
class Submission:
    path: str
    results: list[Result] = field(default_factory=list)
    output: bytes = b""  # everything the student's code printed, in order

    @property
    def score(self) -> int:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_score for r in self.results)

    @property
    def passed(self) -> bool:
        return all(r.status == "pass" for r in self.results)


def submissions(paths) -> list[Path]:
    """The files to grade: each file given, and every ``*.py`` in each folder, sorted."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.glob("*.py") if q.is_file())
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    if not found:
        raise FileNotFoundError(f"no .py files in {', '.join(map(str, paths))}")
    return found


def died(returncode: int, output_mb: int) -> tuple[str, str]:
    """(status, sentence) for a child that ended without finishing its work."""
    if returncode >= 0:
        return "os._exit", (f"ended the grading process with exit code {returncode} "
                            "(os._exit or a crash in compiled code)")
    sig = -returncode
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    if sig == signal.SIGSEGV:
        return "crashed", "crashed with a segmentation fault (SIGSEGV)"
    if sig == getattr(signal, "SIGXFSZ", None):
        return "crashed", f"printed more than {output_mb} MB and was stopped (SIGXFSZ)"
    if sig == signal.SIGKILL:
        return "crashed", "was killed (SIGKILL), most likely by the system for using too much memory"
    return "crashed", f"was ended by signal {name}"


class Child:
    """One child process and the lines it has sent."""

    def __init__(self, path, names, seed, memory_mb, output_mb, output_file):
        read, write = os.pipe()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        root = str(Path(__file__).resolve().parents[3])  # numpycam importable even uninstalled
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "numpycam.classroom.grader.child", str(Path(path).resolve()), *names, "--fd",
               str(write), "--seed", str(seed), "--memory-mb", str(memory_mb), "--output-mb",
               str(output_mb)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=output_file,
                                     stderr=subprocess.STDOUT, pass_fds=(write,), env=env,
                                     cwd=str(Path(path).resolve().parent), start_new_session=True)
        os.close(write)
        self.fd, self.buffer = read, b""

    def next_event(self, deadline: float):
        """The next event (a dict), None at the deadline, or "eof" when the child has gone."""
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return "eof"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            event = json.loads(line)
        except ValueError:  # the student wrote to our pipe: skip the line
            return {}
        return event if isinstance(event, dict) else {}

    def stop(self) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        os.close(self.fd)
        return self.proc.wait()


def every(exercises, status, message) -> list[Result]:
    return [Result(ex.name, status, 0, ex.points, message) for ex in exercises]


def grade_file(path, exercises: tuple[Exercise, ...], seed: int = 0, timeout: float = TIMEOUT,
               memory_mb: int = MEMORY_MB, output_mb: int = OUTPUT_MB,
               reference: bool = False) -> Submission:
    """Grade ``exercises`` of the file at ``path``, isolated; never raises for the file's sake.

    ``reference=True`` skips the integrity refusal (for the teacher's own reference solution,
    which may call numpycam).
    """
    sub = Submission(str(path))
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
        reason = "" if reference else refusal(source, str(path))
    except Unparsable as err:
        sub.results = every(exercises, "error", f"the file does not parse: {err}")
        return sub
    if reason:
        sub.results = every(exercises, "refused", reason)
        return sub
    todo, done = list(exercises), {}
    with tempfile.TemporaryFile() as out:
        while todo:
            child = Child(path, [ex.name for ex in todo], seed, memory_mb, output_mb, out)
            todo = run_child(child, todo, done, timeout, memory_mb, output_mb)
        out.seek(0)
        sub.output = out.read()
    sub.results = [done[ex.name] for ex in exercises]
    return sub


def run_child(child: Child, todo: list, done: dict, timeout: float, memory_mb: int,
              output_mb: int) -> list:
    """Follow one child's events into ``done`` (name -> Result); return the exercises still to
    grade (those after one that hung or crashed), for a fresh child."""
    current, checks, ready, deadline = None, [], False, time.monotonic() + STARTUP
    while True:
        event = child.next_event(deadline)
        if event is None or event == "eof":
            code = child.stop()
            if not ready:
                done.update((ex.name, r) for ex, r in zip(todo, every(
                    todo, "error", f"the grading process did not start (exit code {code}); "
                    "run python -m numpycam.classroom.grader.child to see why"), strict=True))
                return []
            status, why = (("timeout", f"did not finish within {timeout:g} s (an endless "
                            "loop?)") if event is None else died(code, output_mb))
            if current is None:  # at import, or between exercises
                where = "between exercises" if len(done) else "while being imported"
                done.update((ex.name, r) for ex, r in zip(
                    todo, every(todo, status, f"{why} {where}"), strict=True))
                return []
            cut = current.checks[min(len(checks), len(current.checks) - 1)]
            checks.append(CheckResult(cut.label, cut.points, 0, why, status))
            done[current.name] = summarise(current, checks, status, f"{cut.label}: {why}")
            return todo[todo.index(current) + 1:]
        if "load" in event and event["load"] != "ok":
            child.stop()
            done.update((ex.name, r) for ex, r in zip(
                todo, every(todo, event["load"], event.get("message", "")), strict=True))
            return []
        if "ready" in event:
            ready, deadline = True, time.monotonic() + timeout
        elif "start" in event:
            current = next(ex for ex in todo if ex.name == event["start"])
            checks, deadline = [], time.monotonic() + timeout
        elif "check" in event:
            checks.append(CheckResult(**event["check"]))
        elif "result" in event:
            r = event["result"]
            r["checks"] = [CheckResult(**c) for c in r["checks"]]
            if r["status"] == "out of memory" and memory_mb > 0:
                r["detail"] += f" (the limit is {memory_mb} MB; --memory changes it)"
            done[r["name"]] = Result(**r)
            todo = [ex for ex in todo if ex.name != r["name"]]
            current = None
            if not todo:
                child.stop()
                return []


def grade_files(paths, exercises, jobs: int = 1, **options):
    """Yield (path, Submission) in the order of ``paths``, grading up to ``jobs`` at a time
    (each in its own child process; the threads here only wait for them)."""
    if jobs <= 1:
        for path in paths:
            yield path, grade_file(path, exercises, **options)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(grade_file, path, exercises, **options) for path in paths]
        for path, future in zip(paths, futures, strict=True):
            yield path, future.result()
