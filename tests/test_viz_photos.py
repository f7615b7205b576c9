"""numpycam.viz.photos: the colour rules of the photo figures, checked on rendered pixels."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from numpycam.viz import photos as viz_photos


def _render(draw) -> np.ndarray:
    """RGB pixels of a one-axes figure filled edge to edge by ``draw(ax)``."""
    fig = Figure(figsize=(2, 2), dpi=50)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    draw(ax)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def _photo():
    rng = np.random.default_rng(1)
    return rng.random((40, 40, 3))


def test_where_the_map_is_zero_the_photo_shows_unchanged():
    photo = _photo()
    m = np.zeros((4, 4))
    m[0, 0] = 1.0  # hot in one corner only
    plain = _render(lambda ax: ax.imshow(photo, interpolation="nearest"))
    over = _render(lambda ax: viz_photos.map_overlay(ax, photo, m, colorbar=False))
    # the lower right quarter is far from the hot corner: the upsampled map is 0 there
    np.testing.assert_array_equal(over[60:, 60:], plain[60:, 60:])
    assert np.abs(over[:10, :10] - plain[:10, :10]).mean() > 20  # the hot corner is coloured


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_an_overlay_depends_on_the_map_divided_by_its_maximum_only(scale):
    photo, m = _photo(), np.abs(np.random.default_rng(2).normal(size=(7, 7)))
    a = _render(lambda ax: viz_photos.map_overlay(ax, photo, m, colorbar=False))
    b = _render(lambda ax: viz_photos.map_overlay(ax, photo, scale * m, colorbar=False))
    np.testing.assert_array_equal(a, b)


def test_a_negative_map_adds_no_colour():
    photo = _photo()
    plain = _render(lambda ax: ax.imshow(photo, interpolation="nearest"))
    over = _render(lambda ax: viz_photos.map_overlay(ax, photo, -np.ones((7, 7)), colorbar=False))
    # (a few pixels on the figure's left edge differ by Agg's compositing of two images: skip the rim)
    np.testing.assert_array_equal(over[2:-2, 2:-2], plain[2:-2, 2:-2])


def test_signed_maps_are_centred_on_zero_and_nothing_uses_jet():
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    viz_photos.signed_map(ax, np.array([[-1.0, 3.0]]))
    im = ax.images[0]
    assert im.get_clim() == (-3.0, 3.0) and im.get_cmap().name == viz_photos.DIVERGING
    assert "jet" not in (viz_photos.SEQUENTIAL, viz_photos.DIVERGING)


def test_slug_makes_file_names_from_class_names():
    assert viz_photos.slug("tiger cat") == "tiger_cat"
    assert viz_photos.slug("potter's wheel") == "potter_s_wheel"
    assert viz_photos.slug("  ") == "class"


def test_photo_titles_are_the_registry_labels():
    # one list of methods: a figure prints a method as the registry does (it once said
    # "Layer-CAM" where the registry, the tables and the other figures say "LayerCAM")
    from numpycam.methods.registry import METHODS

    for name, method in METHODS.items():
        assert viz_photos.title_of(name) == method.label
    assert viz_photos.title_of("layer_cam") == "LayerCAM"
    assert viz_photos.title_of("not_a_method") == "not_a_method"
