"""The colour rule of every figure: which colour map and which limits a map gets, and its bar.

- a map that can be negative (CAM before its ReLU, a weighted map w_k^c f_k, a gradient, a
  difference) is drawn in :data:`DIVERGING`: 0 is its white middle, red positive, blue negative,
  limits -v .. v (one scale both sides);
- a map that is never negative (Grad-CAM, a ReLU'd CAM, a normalised map, f_k after a ReLU) is
  drawn in :data:`SEQUENTIAL`, perceptually uniform, from 0 (black) up;
- rainbow maps (jet and its kin) are never used: their bright bands invent edges.

:func:`colour_scale` is that rule for one map; :func:`map_colorbar` draws a map's bar, and
:func:`fraction_colorbar` the bar of maps each divided by its own maximum (0 .. 1).
"""

from __future__ import annotations

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

SEQUENTIAL = "inferno"  # maps that are never negative: 0 black, the maximum pale yellow
DIVERGING = "RdBu_r"    # signed maps: 0 white, positive red, negative blue
TRUTH, PREDICTED = "lime", "white"  # box colours: ground truth, box read off a map

__all__ = ["DIVERGING", "PREDICTED", "SEQUENTIAL", "TRUTH", "colour_scale", "fraction_colorbar",
           "map_colorbar"]


def colour_scale(m, *, signed: bool | None = None, vmin=None, vmax=None) -> tuple[str, float, float]:
    """The colour map and limits the house rule gives map m: (name, lo, hi).

    ``signed=None`` decides from the data: m is signed if it has a negative value or ``vmin < 0``.
    Signed: (DIVERGING, -v, v), v = max(|vmin|, |vmax|) of those given, else (or if that is 0)
    max |m|; so a signed map given vmin=0 still shows its negative half.
    Not signed: (SEQUENTIAL, vmin or 0, vmax or max m). A constant 0 map gets v = 1.
    """
    m = np.asarray(m, dtype=np.float64)
    finite = m[np.isfinite(m)]
    low = float(finite.min()) if finite.size else 0.0
    if signed is None:
        signed = low < 0 or (vmin is not None and vmin < 0)
    if signed:
        v = max(abs(float(v)) for v in (vmin, vmax, 0.0) if v is not None)  # 0: none given
        v = v or float(np.abs(finite).max(initial=0.0)) or 1.0
        return DIVERGING, -v, v
    if low < 0 or (vmin is not None and vmin < 0):
        raise ValueError(f"signed=False, but the map goes below 0 (min {min(low, vmin or 0):.3g}): "
                         "a sequential scale from 0 would hide that. Leave signed=None to draw "
                         "it diverging, or pass np.maximum(m, 0) to draw its positive part.")
    lo = 0.0 if vmin is None else float(vmin)
    hi = float(finite.max(initial=lo)) if vmax is None else float(vmax)
    return SEQUENTIAL, lo, hi if hi > lo else lo + 1.0


def map_colorbar(ax, mappable, m, lo, hi, label=None):
    """A colour bar beside ax; arrows at the ends the map's values run past."""
    m = np.asarray(m)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[bool((m < lo).any()), bool((m > hi).any())]
    return ax.figure.colorbar(mappable, ax=ax, fraction=0.046, pad=0.03, extend=extend, label=label)


def fraction_colorbar(fig, *, ax=None, cax=None, label: str = "map / its maximum",
                      signed: bool = False, **kwargs):
    """The colour bar of maps each divided by its own maximum: 0 .. 1 in SEQUENTIAL, or
    -1 .. 1 in DIVERGING for ``signed`` maps (m / max |m|).

    Beside the axes ``ax`` (one axes or several, one bar for all) or in ``cax``; ``kwargs``
    (fraction, pad, ...) go to ``fig.colorbar``.
    """
    norm, cmap = (Normalize(-1.0, 1.0), DIVERGING) if signed else (Normalize(0, 1), SEQUENTIAL)
    return fig.colorbar(ScalarMappable(norm, cmap), ax=ax, cax=cax, label=label, **kwargs)
