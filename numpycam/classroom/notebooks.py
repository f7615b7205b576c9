"""The lessons as notebooks: each jupytext script ``lessons/NN_name.py`` executed into an ``.ipynb``.

A lesson is a jupytext "percent" script (``# %%`` code cells, ``# %% [markdown]`` prose). Here it
is read with jupytext and run cell by cell in a fresh Jupyter kernel (nbclient), so the notebook
keeps every output: printed text and, through :func:`numpycam.viz.save`, every figure as an
``image/png`` output. The kernel runs in the output folder with one BLAS thread, the repository
on its ``PYTHONPATH`` and ``NUMPYCAM_FIGURES=figures``: the PNGs land in ``OUT/figures`` (not in
the committed ``figures/``) and the notebook prints ``wrote figures/NAME.png``, no machine's path.

The lessons are found by listing ``NN_*.py``: a new lesson is picked up without a list to edit.
A figure name read back from a notebook (:func:`figure_pngs`) must be a plain ``.png`` file name:
a notebook is a file, and the site writes each figure under that name.
jupytext, nbclient and ipykernel come with the ``docs`` extra (``pip install ".[docs]"``).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from numpycam.blas import thread_environment

LESSON_GLOB = "[0-9][0-9]_*.py"
INSTALL_HINT = 'install the notebook tools with: pip install ".[docs]" (from the numpycam repository)'


def lesson_scripts(folder) -> list[Path]:
    """The lesson scripts ``NN_*.py`` of ``folder`` in order; FileNotFoundError if there are none."""
    folder = Path(folder)
    scripts = sorted(folder.glob(LESSON_GLOB)) if folder.is_dir() else []
    if not scripts:
        raise FileNotFoundError(
            f"no lesson scripts (NN_name.py) in {folder.resolve()}; run this from the numpycam "
            "repository (the folder that holds lessons/), or pass --lessons DIR")
    return scripts


def select(scripts: list[Path], only: list[str] | None) -> list[Path]:
    """Keep the scripts whose number (``"05"``, ``"5"``) or stem (``"05_cam"``) is in ``only``."""
    if not only:
        return scripts
    wanted = {w.zfill(2) if w.isdigit() else w for w in only}
    kept = [s for s in scripts if s.stem[:2] in wanted or s.stem in wanted]
    unknown = wanted - {s.stem[:2] for s in kept} - {s.stem for s in kept}
    if unknown:
        raise ValueError(f"no lesson {', '.join(sorted(unknown))}; the lessons are "
                         f"{', '.join(s.stem for s in scripts)}")
    return kept


def notebook_tools():
    try:
        import jupytext
        import nbclient
        import nbformat
    except ImportError as err:
        raise ImportError(f"{err}; {INSTALL_HINT}") from err
    return jupytext, nbclient, nbformat


def execute_lesson(script, workdir, *, timeout: int = 900):
    """Run one lesson script as a notebook in a new kernel; returns the executed notebook.

    The kernel works in ``workdir``; the lesson's :func:`numpycam.viz.save` writes to
    ``workdir/figures``. A cell that raises stops the run with nbclient's CellExecutionError,
    which names the cell and the error.
    """
    jupytext, nbclient, _ = notebook_tools()
    script = Path(script).resolve()
    nb = jupytext.read(script)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    repo = script.parent.parent
    saved = dict(os.environ)
    # the kernel inherits this process's environment; it is restored right after the run
    os.environ.update(thread_environment(1))
    os.environ.update({"MPLBACKEND": "Agg", "NUMPYCAM_FIGURES": "figures"})
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), saved.get("PYTHONPATH")) if p)
    try:
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                         resources={"metadata": {"path": str(Path(workdir).resolve())}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def figure_outputs(nb) -> list[str]:
    """The file names of the figures shown in an executed notebook, in order of appearance."""
    return [out.metadata["numpycam_figure"]
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if "image/png" in out.get("data", {}) and "numpycam_figure" in out.get("metadata", {})]


def figure_name(name, notebook: str) -> str:
    """A figure name from a notebook's ``numpycam_figure`` metadata, checked to be a plain ``.png``
    file name (no folder, no ``..``, no leading dot, at most 200 bytes): it becomes a path in
    ``figures/`` and a link in the page. ValueError naming the notebook otherwise."""
    if not (isinstance(name, str) and re.fullmatch(r"[^/\\\x00-\x1f]+\.png", name)
            and not name.startswith(".") and len(name.encode()) <= 200):
        raise ValueError(f"{notebook}: the figure name {name!r} (numpycam_figure metadata) is not a plain "
                         "file name ending in .png; a figure is written only inside the site's figures/")
    return name


def figure_pngs(nb, notebook: str) -> dict[str, bytes]:
    """name -> PNG bytes of each figure the notebook shows, every name checked first."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = out.get("metadata", {}).get("numpycam_figure")
            if name is not None and "image/png" in out.get("data", {}):
                name = figure_name(name, notebook)
                try:  # nbformat may wrap the base64 text in lines
                    found[name] = base64.b64decode("".join(out.data["image/png"].split()), validate=True)
                except (binascii.Error, TypeError, AttributeError) as err:
                    raise ValueError(f"{notebook}: the figure {name} is not base64 PNG data ({err})") from None
    return found


def write_notebooks(lessons, out, *, only: list[str] | None = None,
                    say: Callable[[str], None] = print) -> list[Path]:
    """Execute the lessons and write ``out/NN_name.ipynb`` (outputs included); returns the paths.

    The PNGs the lessons save go to ``out/figures``.
    """
    _, _, nbformat = notebook_tools()
    scripts = select(lesson_scripts(lessons), only)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for script in scripts:
        start = time.perf_counter()
        nb = execute_lesson(script, out)
        path = out / f"{script.stem}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
        say(f"wrote {path} ({len(figure_outputs(nb))} figures, {time.perf_counter() - start:.1f} s)")
    return paths
