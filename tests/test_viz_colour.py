"""The colour rule of numpycam.viz, checked on what is drawn (colour maps, limits, rendered pixels).

Signed maps: a diverging map with vmin = -vmax and 0 at its middle colour. Maps that are never
negative: the sequential map from 0. Overlays: where the map is 0 the pixels are the image's,
whatever the map is elsewhere. Bars: the red ones are the largest plotted |values|. No rainbow
colour map anywhere in the package or the lessons.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from numpycam import viz

REPO = Path(__file__).resolve().parent.parent
RAINBOWS = {"jet", "rainbow", "hsv", "gist_rainbow", "nipy_spectral", "gist_ncar", "turbo"}
values = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)


def _axes():
    fig = Figure(figsize=(2, 2), dpi=50)
    FigureCanvasAgg(fig)
    return fig.add_axes((0, 0, 1, 1))


def _render(draw) -> np.ndarray:
    """RGB pixels (100 x 100) of a figure filled edge to edge by ``draw(ax)``."""
    ax = _axes()
    draw(ax)
    ax.figure.canvas.draw()
    return np.asarray(ax.figure.canvas.buffer_rgba())[..., :3].astype(int)


def _colour_names(path: Path):
    """Every string constant, and every attribute name (cm.jet), in a Python file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Attribute):
            yield node.attr


@pytest.mark.parametrize("folder", ["numpycam", "lessons"])
def test_no_rainbow_colour_map_is_named_in_the_code(folder):
    files = sorted((REPO / folder).rglob("*.py"))
    assert files
    found = {(str(f.relative_to(REPO)), name) for f in files for name in _colour_names(f)
             if name.lower().removesuffix("_r") in RAINBOWS}
    assert not found, f"rainbow colour maps named in the code: {sorted(found)}"
    assert viz.SEQUENTIAL.lower() not in RAINBOWS and viz.DIVERGING.lower().removesuffix("_r") not in RAINBOWS


@given(m=arrays(np.float64, (3, 4), elements=values).filter(lambda a: a.min() < 0))
def test_a_map_with_a_negative_value_is_drawn_diverging_and_centred(m):
    im = viz.heatmap(_axes(), m)  # signed is decided from the data
    lo, hi = im.get_clim()
    assert im.get_cmap().name == viz.DIVERGING
    assert lo == -hi and hi == pytest.approx(np.abs(m).max() or 1.0)
    assert np.allclose(im.to_rgba(0.0), colormaps[viz.DIVERGING](0.5))  # 0 is the middle colour


@pytest.mark.parametrize("kw", [dict(vmin=-1.0), dict(vmin=-1.0, vmax=3.0), dict(signed=True, vmax=-3.0)])
def test_negative_limits_make_a_map_signed_with_the_larger_limit_both_sides(kw):
    m = np.array([[0.0, 0.5], [1.0, 2.0]])  # never negative itself
    im = viz.heatmap(_axes(), m, **kw)
    want = max(abs(v) for k, v in kw.items() if k in ("vmin", "vmax"))
    assert im.get_cmap().name == viz.DIVERGING and im.get_clim() == (-want, want)


@given(m=arrays(np.float64, (3, 4), elements=st.floats(0, 1e3, allow_subnormal=False)))
def test_a_map_that_is_never_negative_is_drawn_sequential_from_zero(m):
    im = viz.heatmap(_axes(), m + 1.0)  # its minimum is 1 or more: the scale still starts at 0
    assert im.get_cmap().name == viz.SEQUENTIAL
    assert im.get_clim() == (0.0, (m + 1.0).max())


def test_a_signed_map_given_vmin_0_still_shows_its_negative_half():
    im = viz.heatmap(_axes(), np.array([[-1.0, 3.0]]), vmin=0)
    assert im.get_cmap().name == viz.DIVERGING and im.get_clim() == (-3.0, 3.0)


def test_signed_false_on_a_map_with_negative_values_is_refused():
    with pytest.raises(ValueError, match="below 0"):
        viz.heatmap(_axes(), np.array([[-1.0, 2.0]]), signed=False)


def test_every_colour_bar_of_a_signed_heatmap_is_symmetric():
    ax = _axes()
    viz.heatmap(ax, np.array([[-1.0, 4.0]]))
    (cbar,) = [im.colorbar for im in ax.images if im.colorbar is not None]
    assert cbar.vmin == -4.0 and cbar.vmax == 4.0


def _photo():
    return np.random.default_rng(1).random((3, 40, 40))  # (C, H, W), a noisy colour image


def _corner_maps():
    """Two very different maps, both exactly 0 in the lower right of a 7 x 7 grid."""
    rng = np.random.default_rng(2)
    a, b = np.zeros((7, 7)), np.zeros((7, 7))
    a[:3, :3] = rng.random((3, 3)) * 1e-3  # small, never negative
    b[:3, :3] = rng.normal(size=(3, 3)) * 50  # large and signed
    b[0, 0] = -200.0
    return a, b


@pytest.mark.parametrize("kw", [{}, {"grey": False}])
def test_an_overlay_leaves_the_background_as_the_plain_image_whatever_the_map(kw):
    photo = _photo()
    a, b = _corner_maps()
    under = viz.as_rgb(photo)
    if kw.get("grey", True):  # by default the image underneath is its grey version (luminance)
        under = np.repeat((under @ np.array([0.299, 0.587, 0.114]))[..., None], 3, axis=2)
    plain = _render(lambda ax: ax.imshow(under, interpolation="nearest"))
    ra = _render(lambda ax: viz.overlay(ax, photo, a, colorbar=False, **kw))
    rb = _render(lambda ax: viz.overlay(ax, photo, b, colorbar=False, **kw))
    # the map upsampled from 7 to 40 pixels is 0 from pixel 20 on, i.e. from 50 of 100 rendered
    np.testing.assert_array_equal(ra[55:, 55:], rb[55:, 55:])
    np.testing.assert_array_equal(ra[55:, 55:], plain[55:, 55:])
    # and where the maps are not 0, they are drawn
    assert np.abs(rb[:15, :15] - plain[:15, :15]).mean() > 10
    assert np.abs(ra[:15, :15] - plain[:15, :15]).mean() > 10


def test_a_signed_overlay_is_red_where_positive_blue_where_negative_and_positive_drops_the_blue():
    grey = np.full((3, 40, 40), 0.5)
    m = np.zeros((8, 8))
    m[:4, :4], m[4:, 4:] = 2.0, -2.0  # upper left positive, lower right negative
    px = _render(lambda ax: viz.overlay(ax, grey, m, colorbar=False))
    up, down = px[5:40, 5:40].mean(axis=(0, 1)), px[60:95, 60:95].mean(axis=(0, 1))
    assert up[0] > up[2] + 40 and down[2] > down[0] + 40  # grey 128 underneath: r 109, b 55 at alpha .75
    pos = _render(lambda ax: viz.overlay(ax, grey, m, colorbar=False, positive=True))
    plain = _render(lambda ax: ax.imshow(viz.as_rgb(grey), interpolation="nearest"))
    np.testing.assert_array_equal(pos[60:95, 60:95], plain[60:95, 60:95])
    assert np.abs(pos[5:40, 5:40] - plain[5:40, 5:40]).mean() > 20


def test_an_overlay_with_a_shared_vmax_shows_a_smaller_map_fainter():
    grey, m = np.full((3, 40, 40), 0.5), np.ones((4, 4))
    plain = _render(lambda ax: ax.imshow(viz.as_rgb(grey), interpolation="nearest"))
    full = _render(lambda ax: viz.overlay(ax, grey, m, colorbar=False, vmax=1.0))
    tenth = _render(lambda ax: viz.overlay(ax, grey, 0.1 * m, colorbar=False, vmax=1.0))
    own = _render(lambda ax: viz.overlay(ax, grey, 0.1 * m, colorbar=False))  # its own maximum
    assert np.abs(tenth - plain).mean() < 0.3 * np.abs(full - plain).mean()
    np.testing.assert_array_equal(own, full)


def test_show_gradient_is_a_centred_diverging_map_with_a_colour_bar():
    g = np.random.default_rng(3).normal(size=(3, 16, 16)) + 0.7  # mean far from 0
    ax = _axes()
    im = viz.show_gradient(ax, g)
    lo, hi = im.get_clim()
    assert im.get_cmap().name == viz.DIVERGING and lo == -hi
    assert 0 < hi <= np.abs(g.sum(axis=0)).max()  # G = sum over channels, drawn on its own scale
    assert np.allclose(im.to_rgba(0.0), colormaps[viz.DIVERGING](0.5))
    assert im.colorbar is not None


@given(v=arrays(np.float64, st.integers(6, 40), elements=values, unique=True),
       n=st.integers(1, 5), how=st.sampled_from(["top", "string"]))
def test_bars_highlight_the_largest_plotted_values(v, n, how):
    ax = _axes()
    picked = viz.bars(ax, v, top=n) if how == "top" else viz.bars(ax, v, highlight=f"top{n}")
    red = np.array([p.get_facecolor()[:3] for p in ax.patches])
    is_red = np.all(np.isclose(red, colormaps["tab10"](3)[:3]), axis=1)  # "tab:red"
    assert is_red.sum() == n == len(picked)
    # every red bar is at least as long as every grey bar
    assert np.abs(v[is_red]).min() >= np.abs(v[~is_red]).max()


def test_bars_still_take_indices_and_refuse_a_bad_string():
    ax = _axes()
    assert list(viz.bars(ax, [3.0, 1.0, 2.0], highlight=[1])) == [1]
    with pytest.raises(ValueError, match="top<n>"):
        viz.bars(_axes(), [1.0, 2.0], highlight="largest")
