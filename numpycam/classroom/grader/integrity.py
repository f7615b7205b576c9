"""Refuse, before running it, a submission that imports numpycam or reaches for the grader.

This reads the source's syntax tree; it is a guard against the easy ways to score without doing
the work (calling the library, patching the grader in memory), not a sandbox. Grading still runs
the student's code: grade untrusted files in a container or a throw-away account.
"""

from __future__ import annotations

import ast

# Modules a NumPy exercise never needs, through which a file can reach the grader's objects.
MODULES = ("numpycam", "importlib", "inspect", "gc", "ctypes", "builtins")
# Names and attributes that lead from a function to the grader's frames, modules or globals.
NAMES = ("__import__", "exec", "eval", "compile", "globals", "__builtins__")
ATTRIBUTES = ("modules", "_getframe", "__globals__", "f_back", "f_globals", "f_locals",
              "__subclasses__", "gi_frame", "tb_frame", "__code__")


class Unparsable(Exception):
    """The file is not valid Python; the message is one line with the line number."""


def problems(source: str, filename: str = "<submission>") -> list[str]:
    """Why this source is refused (empty if it is not); Unparsable for a syntax error."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as err:
        raise Unparsable(f"SyntaxError: {err.msg} (line {err.lineno})") from None
    except ValueError as err:  # e.g. a NUL byte
        raise Unparsable(f"cannot be parsed: {err}") from None
    found = []
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        for name in modules:
            if name.split(".")[0] in MODULES:
                found.append(f"line {node.lineno}: imports {name}")
        if isinstance(node, ast.Name) and node.id in NAMES:
            found.append(f"line {node.lineno}: uses {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            found.append(f"line {node.lineno}: uses .{node.attr}")
    return found


def refusal(source: str, filename: str = "<submission>") -> str:
    """One line saying why the submission is refused, or "" if it may run."""
    found = problems(source, filename)
    if not found:
        return ""
    return ("refused: the exercises are NumPy only and must not reach numpycam or the grader ("
            + "; ".join(found[:3]) + ("; ..." if len(found) > 3 else "") + ")")
