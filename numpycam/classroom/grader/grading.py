"""Grading one exercise in this process: run each check, keep its points, name what went wrong.

The harness calls this inside a child process per submission; the tests call it directly on
functions they write (``grade(namespace)``), which is quick and needs no files.

Status of an exercise: "pass" (every point), "partial" (some points), "FAIL" (none), "not done"
(NotImplementedError), "missing" (no such function), "sys.exit" and "out of memory" (the
student's code raised SystemExit or MemoryError). The harness adds "timeout", "crashed",
"os._exit", "refused" and "error" for what only a parent process can see.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from numpycam.classroom.grader.judge import Exited, Failure, OutOfMemory
from numpycam.classroom.grader.table import Check, Exercise, select

FULL = "pass"


@dataclass
class CheckResult:
    label: str
    points: int
    earned: int
    message: str = ""  # empty when the check passed
    kind: str = "ok"  # ok, fail, not done, sys.exit, out of memory


@dataclass
class Result:
    name: str
    status: str
    score: int
    max_score: int
    detail: str  # what passed, the first failure, or the rule still to write
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def failed_check(self) -> str:
        return next((c.label for c in self.checks if c.kind != "ok"), "")


def run_check(check: Check, fn, seed: int) -> CheckResult:
    """One check: all its points or none, with the one-line reason."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check.run(fn, seed)
    except NotImplementedError:
        return CheckResult(check.label, check.points, 0, "raise NotImplementedError", "not done")
    except Failure as err:
        return CheckResult(check.label, check.points, 0, str(err), "fail")
    except Exited as err:
        return CheckResult(check.label, check.points, 0, str(err), "sys.exit")
    except (OutOfMemory, MemoryError):
        return CheckResult(check.label, check.points, 0, "ran out of memory", "out of memory")
    except SystemExit as err:  # raised outside call(), e.g. from a property of the result
        return CheckResult(check.label, check.points, 0, f"called sys.exit({err.code!r})",
                           "sys.exit")
    except Exception as err:  # e.g. an object that numpy cannot compare
        return CheckResult(check.label, check.points, 0, f"{type(err).__name__}: {err}", "fail")
    return CheckResult(check.label, check.points, check.points)


def summarise(ex: Exercise, checks: list[CheckResult], cut: str = "", cut_message: str = "") \
        -> Result:
    """The exercise's Result from its check results; ``cut`` names a harness status (timeout,
    crashed, ...) that stopped it, and the checks not reached earn nothing."""
    score = sum(c.earned for c in checks)
    kinds = [c.kind for c in checks]
    if cut:
        return Result(ex.name, cut, score, ex.points, cut_message, checks)
    if "not done" in kinds:
        return Result(ex.name, "not done", 0, ex.points, ex.rule, checks)
    for kind in ("sys.exit", "out of memory"):
        if kind in kinds:
            bad = next(c for c in checks if c.kind == kind)
            return Result(ex.name, kind, score, ex.points, f"{bad.label}: {bad.message}", checks)
    bad = next((c for c in checks if c.kind != "ok"), None)
    if bad is None:
        return Result(ex.name, FULL, score, ex.points, "; ".join(c.label for c in checks), checks)
    return Result(ex.name, "partial" if score else "FAIL", score, ex.points,
                  f"{bad.label}: {bad.message}", checks)


def grade_exercise(ex: Exercise, module, seed: int = 0, on_check=None) -> Result:
    """Every check of ``ex`` on ``module``'s function of that name; ``on_check(CheckResult)``
    hears of each as it finishes (the child process sends them to the parent)."""
    fn = getattr(module, ex.name, None)
    if not callable(fn):
        return Result(ex.name, "missing", 0, ex.points, f"no function named {ex.name} in the file")
    results = []
    for check in ex.checks:
        results.append(run_check(check, fn, seed))
        if on_check is not None:
            on_check(results[-1])
        if results[-1].kind == "not done":
            break
    return summarise(ex, results)


def grade(module, only=None, seed: int = 0) -> list[Result]:
    """Grade every exercise (or the names in ``only``) of an imported module, in this process."""
    return [grade_exercise(ex, module, seed) for ex in select(only)]
