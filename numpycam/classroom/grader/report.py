"""What the grader writes: the student's report, the class's one-line summaries, and the
gradebooks (CSV, JSON, and Gradescope's autograder results.json).
"""

from __future__ import annotations

import csv
import json
import textwrap

from numpycam.classroom.grader.harness import Submission
from numpycam.classroom.grader.table import BY_NAME

OUTPUT_CHARS = 2000  # how much of a submission's own output --show-output prints


def counts(sub: Submission) -> str:
    """'12 of 17 exercises pass (2 partial, 3 not done)'."""
    results = sub.results
    passed = sum(r.status == "pass" for r in results)
    rest = {}
    for r in results:
        if r.status != "pass":
            rest[r.status.lower() if r.status == "FAIL" else r.status] = \
                rest.get(r.status.lower() if r.status == "FAIL" else r.status, 0) + 1
    tail = ", ".join(f"{n} {s}" for s, n in rest.items())
    return f"{passed} of {len(results)} exercises pass" + (f" ({tail})" if tail else "")


def summary(sub: Submission) -> str:
    """One line per submission: its points and what its exercises came to."""
    return f"{sub.path}: {sub.score}/{sub.max_score} points, {counts(sub)}."


def truncated(output: bytes, limit: int = OUTPUT_CHARS) -> str:
    text = output.decode("utf-8", errors="replace")
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit} more characters not shown)"


def report(sub: Submission, width: int = 100, show_output: bool = False) -> str:
    """The per-exercise report for one submission, and its summary line."""
    lines = [f"numpycam check {sub.path}", ""]
    pad = " " * 16
    for r in sub.results:
        ex = BY_NAME[r.name]
        lines.append(f"  {r.status:<13} {ex.signature}   [{r.score}/{r.max_score}]")
        lines.append(textwrap.fill(r.detail, width, initial_indent=pad,
                                   subsequent_indent=pad + "  "))
        if r.status in ("FAIL", "partial"):
            lines.append(textwrap.fill("hint: " + ex.hint, width, initial_indent=pad,
                                       subsequent_indent=pad + "      "))
    lines += ["", f"{sub.score}/{sub.max_score} points; {counts(sub)}."]
    if show_output:
        lines += ["", f"output of {sub.path} ({len(sub.output)} bytes):",
                  truncated(sub.output) if sub.output else "(none)"]
    return "\n".join(lines)


def write_csv(path, subs: list[Submission]) -> None:
    """One row per submission, one column per exercise (its score), the total and the maximum."""
    names = [r.name for r in subs[0].results]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", *names, "total", "max"])
        for sub in subs:
            w.writerow([sub.path, *(r.score for r in sub.results), sub.score, sub.max_score])


def as_json(subs: list[Submission], seed: int) -> dict:
    """Per submission, per exercise: status, score, max score, first failed check, message."""
    return {
        "seed": seed,
        "submissions": [{
            "path": sub.path, "score": sub.score, "max_score": sub.max_score,
            "exercises": {r.name: {"status": r.status, "score": r.score, "max_score": r.max_score,
                                   "failed_check": r.failed_check,
                                   "message": "" if r.status == "pass" else r.detail}
                          for r in sub.results},
        } for sub in subs],
    }


def write_json(path, subs: list[Submission], seed: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(as_json(subs, seed), f, indent=2)
        f.write("\n")


def gradescope(sub: Submission) -> dict:
    """Gradescope's autograder results: a total and a ``tests`` list of name / score /
    max_score / output, one per exercise."""
    return {
        "score": sub.score,
        "output": f"{counts(sub)}.",
        "tests": [{"name": BY_NAME[r.name].signature, "score": r.score,
                   "max_score": r.max_score,
                   "output": f"{r.status}: {r.detail}"} for r in sub.results],
    }


def write_gradescope(path, sub: Submission) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(gradescope(sub), f, indent=2)
        f.write("\n")
