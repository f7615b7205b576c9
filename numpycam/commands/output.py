"""Output folders: a command writes only inside its ``--out`` folder, and never deletes anything.

Every command with an ``--out`` folder (demo, evaluate, explain, figures, notebooks, site,
train) checks it twice (docs/safety.md, "Output folders"):

- when the options are parsed (:func:`output_folder`, an argparse ``type``): the filesystem root,
  the home folder and its parents, the checkout's root and its source folders (``numpycam/``,
  ``lessons/``, ``tests/``, and the installed package's folder, anything inside them too), a
  path that is a file or lies under one, an empty name and a path that cannot be resolved (too
  long, a loop of links) are refused with a usage error (exit 2) before anything runs;
- right before the first write (:func:`prepare_output`): the same refusals (for defaults too),
  then the folder must be writable, and no symbolic link in it may lead outside it; the folder
  is created, and if it already holds files, one line says that those of the same names are
  replaced (nothing else is touched, nothing is deleted).

Overwriting is announced, not blocked: regenerating ``figures/`` in place is the normal use.
Another command (explain) takes the same two steps: ``type=output_folder`` for its ``--out`` and
``prepare_output(args.out, command="explain", names=[...])`` before its first write.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # numpycam/ (the checkout's or the installed one)


def _protected() -> tuple[list[Path], dict[Path, str]]:
    """(folders refused with what is inside them, {folder refused itself only: what it is})."""
    inside = [PACKAGE]
    home = Path.home().resolve()
    exact = {**dict.fromkeys(home.parents, "a parent of the home folder"), home: "the home folder",
             Path("/").resolve(): "the filesystem root"}
    root = PACKAGE.parent
    if (root / "lessons").is_dir() or (root / "pyproject.toml").is_file():  # a checkout
        inside += [root / "lessons", root / "tests"]
        exact[root] = "the numpycam repository itself"
    return inside, exact


def check_output_folder(path, keep_out: Iterable = ()) -> Path:
    """The resolved folder a command may write into; ValueError saying why if it may not.

    Refused: the filesystem root, the home folder and its parents, the repository's root, its
    ``numpycam/``, ``lessons/`` and ``tests/`` folders and anything inside them (the installed
    package's folder too), the folders of ``keep_out`` (such as a ``--lessons`` folder) and what
    is inside them, and a path that exists and is not a folder. Nothing is created.
    """
    if not str(path).strip():
        raise ValueError("the output folder is an empty name; choose a folder, such as out/")
    try:
        folder = Path(path).expanduser().resolve()
        folder.exists()  # a name too long, a loop of links: said here, in one line
    except (OSError, RuntimeError) as err:
        shown = str(path) if len(str(path)) <= 80 else str(path)[:80] + "..."
        raise ValueError(f"{shown}: cannot be an output folder ({err.__class__.__name__}: "
                         f"{getattr(err, 'strerror', None) or err}); choose another folder") from None
    inside, exact = _protected()
    inside += [Path(p).resolve() for p in keep_out]
    for place in inside:
        if folder == place or folder.is_relative_to(place):
            raise ValueError(f"{path} is inside numpycam's own source folder {place}; "
                             "choose another output folder")
    if folder in exact:
        raise ValueError(f"{path} is {exact[folder]} ({folder}); a command writes into a folder "
                         "of its own: choose one such as out/")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{path}: {existing} is a file, not a folder; choose a folder")
    return folder


def output_folder(text: str) -> Path:
    """argparse ``type`` for an ``--out`` folder: :func:`check_output_folder` at parse time, so a
    refused folder is a usage error (exit 2) before anything runs. Returns the path as given,
    ``~`` expanded (the folder checked is the folder written)."""
    try:
        check_output_folder(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return Path(text).expanduser()


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (read-only mounts included, as root too)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not os.statvfs(folder).f_flag & os.ST_RDONLY


def leaving_links(folder: Path, subfolders: Iterable[str] = ()) -> list[str]:
    """Entries of ``folder`` (and of its ``subfolders``) that are symbolic links leading outside it."""
    found = []
    for sub in ("", *subfolders):
        where = folder / sub
        if not where.is_dir() or (sub and where.is_symlink()):
            continue
        for entry in where.iterdir():
            if not entry.is_symlink():
                continue
            try:
                outside = not entry.resolve(strict=False).is_relative_to(folder)
            except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
                outside = True
            if outside:
                found.append(f"{entry} -> {os.readlink(entry)}")
    return found


def prepare_output(path, *, command: str, names: Iterable[str] | None = None,
                   subfolders: Iterable[str] = (), keep_out: Iterable = (), announce: bool = True,
                   say: Callable[[str], None] | None = None) -> Path:
    """Check and create the folder a command is about to write into; returns ``Path(path)``
    (``~`` expanded).

    Call it before the command's long work, so a refused folder costs nothing. ValueError (one
    line, exit 1 from the command line) if :func:`check_output_folder` refuses it (``keep_out``
    is passed on), if it or its
    nearest existing parent is not writable, or if a symbolic link in it (or in ``subfolders``,
    such as ``figures``) leads outside it. If it already holds files, one line (``say``, default
    stderr) names the files of ``names`` that will be replaced, or counts the files when the
    names are not known in advance; ``announce=False`` leaves that to the caller.
    """
    folder = check_output_folder(path, keep_out)
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not _writable(existing):
        raise ValueError(f"{path}: {existing} is not writable (a read-only checkout?); choose a "
                         "writable output folder with --out")
    links = leaving_links(folder, subfolders)
    if links:
        raise ValueError(f"{path} holds symbolic links leading outside it ({'; '.join(links[:3])}); "
                         "a command writes only inside its folder: remove them or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    if announce:
        say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
        line = replacing(folder, names)
        if line:
            say(f"numpycam {command}: {line}")
    return Path(path).expanduser()


def replacing(folder: Path, names: Iterable[str] | None = None) -> str:
    """One line saying what of ``folder`` will be replaced ("" if nothing is there)."""
    if names is None:
        count = sum(1 for _ in folder.iterdir()) if folder.is_dir() else 0
        return (f"{folder} already holds {count} entries: files of the names written are replaced, "
                "nothing else is touched") if count else ""
    there = [n for n in names if (folder / n).exists()]
    if not there:
        return ""
    more = f" and {len(there) - 8} more" if len(there) > 8 else ""
    return f"replacing {len(there)} files in {folder}: {', '.join(there[:8])}{more}"
