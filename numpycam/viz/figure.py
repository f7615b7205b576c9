"""A figure to draw on, and where and how it is saved.

    fig, axes = figure_grid(2, 3)            # axes is always a 2-D array (rows, cols)
    save(fig, figures_dir() / "05_cam.png")  # creates folders, returns the path

Figures are ``matplotlib.figure.Figure`` objects with an Agg canvas attached, so nothing here
touches pyplot or the global backend: it works headless, inside a notebook and beside any
backend the user has chosen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["figure_grid", "figures_dir", "save", "show_saved"]


def figure_grid(rows: int, cols: int, *, size: float = 2.6, title: str | None = None,
                width_ratios=None, height: float | None = None):
    """A Figure with rows x cols axes (always a 2-D array), each about ``size`` inches square
    (or ``size`` wide and ``height`` high)."""
    height = size if height is None else height
    fig = Figure(figsize=(cols * size * 1.12, rows * height + (0.4 if title else 0)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, gridspec_kw={"width_ratios": width_ratios})
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig, axes


def figures_dir() -> Path:
    """Where figures go: $NUMPYCAM_FIGURES if set, else ``figures/`` of the repository.

    The repository is the working directory, or its parent when that is ``lessons/`` (a lesson
    opened as a notebook runs there).
    """
    env = os.environ.get("NUMPYCAM_FIGURES")
    if env:
        return Path(env)
    cwd = Path.cwd()
    return (cwd.parent if cwd.name == "lessons" else cwd) / "figures"


def save(fig, path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as an image (format from the suffix), creating folders; returns the path.

    Inside a Jupyter kernel the saved PNG is also shown under the cell (see :func:`show_saved`);
    run as a script, only the file is written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    show_saved(path)
    return path


def show_saved(path) -> bool:
    """Show a saved PNG inline when running in a Jupyter kernel; True if it was shown.

    The output is the file's own bytes (``image/png``), so the notebook shows exactly what was
    saved, whatever matplotlib backend is active. Its metadata ``numpycam_figure`` names the
    file, which is how ``numpycam site`` links the page's image to ``figures/``.
    """
    path = Path(path)
    if "ipykernel" not in sys.modules or path.suffix.lower() != ".png":
        return False
    from IPython import get_ipython  # only reached inside a kernel, where IPython is loaded
    from IPython.display import Image, display

    if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
        return False
    display(Image(data=path.read_bytes(), format="png"), metadata={"numpycam_figure": path.name})
    return True
