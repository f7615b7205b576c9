"""Image-sized maps and overlays as arrays: ``nc.to_image`` and ``nc.overlay``, on cases worked
by hand (the expected numbers are written out, not recomputed by the code under test)."""

import numpy as np
import pytest

import numpycam as nc

# matplotlib's colour tables, end points (inferno from its listed data; RdBu is ColorBrewer's,
# #053061 at the blue end and #67001f at the red end)
INFERNO_TOP = np.array([0.988362, 0.998364, 0.644924])
RDBU_R_LOW, RDBU_R_HIGH = np.array([5, 48, 97]) / 255, np.array([103, 0, 31]) / 255


def test_to_image_upsamples_then_stretches_each_map_to_0_1():
    # 2 x 2 -> 4 x 4, half-pixel centres: the source rows (and columns) read are 0, 1/4, 3/4, 1;
    # row 1/4 of [[0, 1], [2, 3]] is [0.5, 1.5]; then divided by the range 3
    out = nc.to_image(np.array([[0.0, 1.0], [2.0, 3.0]]), 4)
    expected = np.array([[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5],
                         [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]]) / 3
    assert out.dtype == np.float64 and out.shape == (4, 4)
    np.testing.assert_allclose(out, expected, atol=1e-15)
    assert out.min() == 0.0 and out.max() == 1.0
    raw = nc.to_image(np.array([[0.0, 1.0], [2.0, 3.0]]), 4, normalize=False)
    np.testing.assert_allclose(raw, expected * 3, atol=1e-15)


def test_to_image_shapes_dtypes_and_constant_maps():
    maps = np.random.default_rng(0).random((2, 3, 5, 5)).astype(np.float32)  # (N, T, h, w)
    maps[1, 2] = 7.0  # a constant map
    out = nc.to_image(maps, (8, 10))
    assert out.shape == (2, 3, 8, 10) and out.dtype == np.float32
    np.testing.assert_array_equal(out[1, 2], 0.0)  # constant -> zeros, never NaN
    np.testing.assert_array_equal(out[0], nc.to_image(maps[0], (8, 10)))  # (N, h, w) alike


def test_overlay_worked_by_hand():
    image = np.full((1, 2, 3), 100, np.uint8)
    rgb = nc.overlay(image, np.array([[0.0, 2.0]]), alpha=0.5)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 2, 3)
    # left: the map is 0, the image shows unchanged; right: the map's maximum, half inferno's top
    # colour over half the image: 0.5 * 100 + 0.5 * 255 * (0.988362, 0.998364, 0.644924)
    np.testing.assert_array_equal(rgb[0, 0], [100, 100, 100])
    np.testing.assert_array_equal(rgb[0, 1], np.rint(50 + 127.5 * INFERNO_TOP))  # (176, 177, 132)
    np.testing.assert_array_equal(rgb[0, 1], [176, 177, 132])


def test_a_signed_map_is_diverging_and_fades_out_at_0():
    rgb = nc.overlay(np.zeros((1, 3, 3)), np.array([[-1.0, 0.0, 1.0]]), alpha=1.0)
    np.testing.assert_array_equal(rgb[0], np.rint(255 * np.array([RDBU_R_LOW, [0, 0, 0],
                                                                   RDBU_R_HIGH])))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_a_map_that_is_zero_everywhere_leaves_the_image_unchanged(dtype):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
    given = image if dtype == np.uint8 else (image / 255).astype(dtype)
    np.testing.assert_array_equal(nc.overlay(given, np.zeros((3, 3)), alpha=0.9), image)
    grey = np.rint(image @ np.array([0.299, 0.587, 0.114]))  # grey=True: the figures' grey image
    np.testing.assert_array_equal(nc.overlay(image, np.zeros((3, 3)), grey=True),
                                  np.repeat(grey[..., None], 3, axis=2))


def test_overlay_of_a_batch_and_of_channels_first_images():
    rng = np.random.default_rng(2)
    images, maps = rng.random((2, 3, 8, 8)), rng.random((2, 4, 4))
    out = nc.overlay(images, maps)
    assert out.shape == (2, 8, 8, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[1], nc.overlay(images[1].transpose(1, 2, 0), maps[1]))


def test_overlay_mistakes_are_clear():
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        nc.overlay(np.full((4, 4, 3), -0.5), np.ones((2, 2)))
    with pytest.raises(ValueError, match="colour map name"):
        nc.overlay(np.zeros((4, 4, 3)), np.ones((2, 2)), cmap="infernoo")
    with pytest.raises(ValueError, match="one per image"):
        nc.overlay(np.zeros((2, 4, 4, 3)), np.ones((2, 2)))
    with pytest.raises(AttributeError, match="no attribute 'overlayy'"):
        nc.overlayy  # noqa: B018
