"""numpycam.imagenet.classes, .preprocess and .photos: class names, preprocessing, loading photos, shipped data.

None of these tests needs the network. Image files are written with Pillow (a dependency of
matplotlib) in the modes a user's photo may have: greyscale, greyscale + alpha, RGBA, RGB JPEG.
"""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given
from PIL import Image

from numpycam import iou
from numpycam.imagenet import photos
from numpycam.imagenet import preprocess as prep
from numpycam.imagenet.classes import class_index, class_names, top_classes
from numpycam.imagenet.photos import DATA, MIN_SIDE, load_image
from numpycam.imagenet.preprocess import box_in_crop, center_crop, crop_from_input, preprocess, resize, to_rgb

REPO = Path(__file__).resolve().parent.parent


# -- class names ------------------------------------------------------------------------------
def test_there_are_1000_distinct_class_names():
    names = class_names()
    assert len(names) == 1000 and len(set(names)) == 1000
    assert all(n == n.strip() and n for n in names)


@pytest.mark.parametrize("k, name", [  # read off torchvision 0.29.1's _IMAGENET_CATEGORIES by hand
    (0, "tench"), (1, "goldfish"), (207, "golden retriever"), (281, "tabby"), (285, "Egyptian cat"),
    (504, "coffee mug"), (652, "military uniform"), (657, "missile"), (812, "space shuttle"),
    (967, "espresso"), (999, "toilet tissue")])
def test_known_classes_sit_at_torchvisions_indices(k, name):
    assert class_names()[k] == name
    assert class_index(name) == k and class_index(name.upper()) == k
    assert class_index(k) == k and class_index(str(k)) == k


def test_class_index_says_what_went_wrong():
    with pytest.raises(ValueError, match="did you mean 'tiger cat'"):
        class_index("tigre cat")
    with pytest.raises(ValueError, match="0 to 999"):
        class_index(1000)
    with pytest.raises(ValueError, match="give an index"):
        class_index("qqqqqqqq")


def test_classes_file_names_its_origin_and_licence():
    head = (DATA / "classes.txt").read_text().split("\n")[:4]
    assert any("torchvision" in line for line in head) and any("BSD-3-Clause" in line for line in head)
    assert "Redistribution and use" in (DATA / "LICENSE-torchvision.txt").read_text()


# -- loading photos ---------------------------------------------------------------------------
def _write(tmp_path, array, mode, name="x.png"):
    path = tmp_path / name
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_greyscale_becomes_three_equal_channels(tmp_path):
    g = np.arange(40 * 50, dtype=np.uint8).reshape(40, 50) % 251
    img = load_image(_write(tmp_path, g, "L"))
    assert img.shape == (40, 50, 3) and img.dtype == np.float64
    np.testing.assert_allclose(img, np.repeat(g[:, :, None] / 255.0, 3, axis=2), atol=1e-6)


def test_rgba_is_composited_over_white(tmp_path):
    a = np.zeros((40, 40, 4), dtype=np.uint8)
    a[:, :20] = (255, 0, 0, 255)  # opaque red
    a[:, 20:30] = (0, 0, 255, 0)  # fully transparent: white
    a[:, 30:] = (0, 0, 0, 102)  # black at alpha 0.4: 0.6 grey
    img = load_image(_write(tmp_path, a, "RGBA"))
    np.testing.assert_allclose(img[0, 0], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(img[0, 25], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(img[0, 35], [0.6, 0.6, 0.6], atol=1e-6)


def test_greyscale_with_alpha(tmp_path):
    a = np.zeros((40, 40, 2), dtype=np.uint8)
    a[..., 0], a[..., 1] = 51, 255  # grey 0.2, opaque
    np.testing.assert_allclose(load_image(_write(tmp_path, a, "LA")), 0.2, atol=1e-6)


def test_uint8_jpeg_and_arrays_of_any_integer_type(tmp_path):
    rgb = np.zeros((48, 64, 3), dtype=np.uint8)
    rgb[:, :32] = 255
    img = load_image(_write(tmp_path, rgb, "RGB", "x.jpg"))
    assert img.shape == (48, 64, 3) and 0 <= img.min() and img.max() <= 1
    assert img[:, :24].mean() > 0.97 and img[:, 40:].mean() < 0.03  # JPEG blurs the edge only
    np.testing.assert_allclose(to_rgb(np.full((2, 2), 65535, dtype=np.uint16)), 1.0)
    np.testing.assert_allclose(to_rgb(np.full((2, 2, 3), 51, dtype=np.uint8)), 0.2)


def test_bad_arrays_are_refused():
    with pytest.raises(ValueError, match="divide by 255"):
        to_rgb(np.full((4, 4, 3), 200.0))
    with pytest.raises(ValueError, match="NaN"):
        to_rgb(np.full((4, 4, 3), np.nan))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        to_rgb(np.zeros((4, 4, 5)))
    with pytest.raises(TypeError, match="dtype"):
        to_rgb(np.zeros((4, 4), dtype=bool))


def test_a_tiny_image_is_refused_with_the_minimum_size(tmp_path):
    path = _write(tmp_path, np.zeros((MIN_SIDE - 1, 200, 3), dtype=np.uint8), "RGB")
    with pytest.raises(ValueError, match=f"at least {MIN_SIDE} x {MIN_SIDE}"):
        load_image(path)
    ok = load_image(_write(tmp_path, np.zeros((MIN_SIDE,) * 2 + (3,), dtype=np.uint8), "RGB"))
    assert ok.shape == (MIN_SIDE, MIN_SIDE, 3)


def test_missing_unreadable_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such image file.*chelsea"):
        load_image(tmp_path / "nope.jpg")
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    with pytest.raises(ValueError, match="cannot read .*notes.png.* PNG, JPEG, WebP, TIFF, GIF or BMP"):
        load_image(bad)
    with pytest.raises(IsADirectoryError, match="folder"):
        load_image(tmp_path)


# -- resizing and preprocessing ---------------------------------------------------------------
@given(st.integers(1, 90), st.integers(1, 90), st.integers(1, 90), st.integers(1, 90))
def test_resize_keeps_a_constant_image_and_rows_sum_to_one(h, w, H, W):
    out = resize(np.full((h, w, 3), 0.3), (H, W))
    assert out.shape == (H, W, 3)
    np.testing.assert_allclose(out, 0.3, rtol=1e-12)
    np.testing.assert_allclose(prep._resize_matrix(h, H)[0].sum(axis=1), 1.0)


def test_resize_to_the_same_size_is_the_identity_and_shrinking_averages():
    rng = np.random.default_rng(0)
    a = rng.random((30, 40, 3))
    np.testing.assert_allclose(resize(a, (30, 40)), a, atol=1e-12)
    stripes = np.zeros((64, 64, 1))
    stripes[:, ::2] = 1.0  # one-pixel stripes: plain sampling would give all 0 or all 1
    np.testing.assert_allclose(resize(stripes, (16, 16)), 0.5, atol=1e-12)
    big = rng.random((1000, 1200, 3))  # takes the block-average path first
    assert abs(resize(big, (100, 120)).mean() - big.mean()) < 1e-3


def test_preprocess_on_a_hand_made_image():
    img = np.zeros((256, 512, 3))
    img[:, 256:] = 1.0  # left half black, right half white; the crop keeps columns 144-367
    x = preprocess(img)
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :, :, :112], -1.0)
    np.testing.assert_array_equal(x[0, :, :, 112:], 1.0)
    np.testing.assert_allclose(preprocess(np.full((300, 300, 3), 0.5)), 0.0, atol=1e-6)
    red = preprocess(np.tile([1.0, 0.0, 0.0], (240, 320, 1)))  # channel order is R, G, B
    np.testing.assert_allclose(red[0, :, 0, 0], [1, -1, -1])


def test_preprocess_keeps_the_centre_of_a_portrait_photo():
    img = np.zeros((600, 300, 3))
    img[280:320] = 1.0  # a white band across the middle rows
    x = preprocess(img)[0, 0]  # shorter side 300 -> 256: the band is rows 239-272 of 512, 95-128 of the crop
    assert (x[100:124] == 1.0).all() and (x[:80] == -1.0).all() and (x[150:] == -1.0).all()


def test_crop_from_input_undoes_the_normalisation_of_preprocess():
    rng = np.random.default_rng(1)
    img = rng.random((300, 451, 3))
    crop = crop_from_input(preprocess(img))  # (224, 224, 3) float64 in [0, 1]
    assert crop.shape == (224, 224, 3) and crop.dtype == np.float64
    np.testing.assert_allclose(crop, center_crop(img), atol=1e-7)  # float32 round-off only
    x = np.concatenate([preprocess(img), preprocess(1 - img)])  # a batch: the first image
    np.testing.assert_array_equal(crop_from_input(x), crop)
    assert crop_from_input(np.full((1, 3, 4, 4), 3.0)).max() == 1.0  # clipped to [0, 1]


def test_top_classes_are_sorted_softmax_probabilities():
    s = np.zeros(1000)
    s[[7, 3, 500]] = [3.0, 2.0, 1.0]
    top = top_classes(s, 3)
    assert [k for k, _, _ in top] == [7, 3, 500] and top[0][1] == class_names()[7]
    z = np.exp(3.0) + np.exp(2.0) + np.exp(1.0) + 997
    np.testing.assert_allclose([p for _, _, p in top], np.exp([3.0, 2.0, 1.0]) / z)
    with pytest.raises(ValueError, match="1000"):
        top_classes(np.zeros(10))


# -- shipped photos ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, shape", [("chelsea", (300, 451, 3)), ("coffee", (400, 600, 3)),
                                         ("rocket", (427, 640, 3))])
def test_shipped_photos_load_by_name_with_a_box_inside(name, shape):
    img = load_image(name)
    assert img.shape == shape and 0 <= img.min() and img.max() <= 1 and img.std() > 0.05
    x0, y0, x1, y1 = photos.photo_box(name)
    assert 0 <= x0 < x1 <= shape[1] and 0 <= y0 < y1 <= shape[0]
    assert photos.photo_object(name)


def test_each_shipped_file_has_its_origin_and_licence():
    sources = (DATA / "SOURCES.md").read_text()
    shipped = sorted(p.name for p in DATA.iterdir() if p.suffix in (".jpg", ".txt", ".json"))
    for name in shipped:
        if name != "LICENSE-torchvision.txt":
            assert f"`{name}`" in sources, f"{name} is not described in SOURCES.md"
    assert sources.count("CC0") >= 2 and "public domain" in sources
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 400_000  # a few hundred KB
    package_data = (REPO / "pyproject.toml").read_text().split("[tool.setuptools.package-data]")[1]
    assert '"numpycam.imagenet" = ["data/*"]' in package_data  # the data ship with the package
    assert DATA == REPO / "numpycam" / "imagenet" / "data" and "numpycam/imagenet/data" in sources


def test_an_unknown_photo_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="chelsea, coffee, rocket"):
        photos.photo_box("dog")


def test_two_objects_picture_holds_both_photos_side_by_side():
    img, boxes = photos.two_objects(tile=64)
    assert img.shape == (128, 128, 3) and sorted(boxes) == ["chelsea", "coffee"]
    np.testing.assert_array_equal(img[:32], 0.5)  # grey bands above and below
    np.testing.assert_array_equal(img[96:], 0.5)
    np.testing.assert_allclose(img[32:96, :64], resize(load_image("chelsea")[:, 40:340], (64, 64)), atol=1e-12)
    cat, cup = boxes["chelsea"], boxes["coffee"]
    assert iou(cat, cup) == 0.0 and cat[2] <= 64 <= cup[0]
    for b in (cat, cup):
        assert 0 <= b[0] < b[2] <= 128 and 32 <= b[1] < b[3] <= 96


def test_a_box_follows_the_photo_into_the_crop():
    img = np.zeros((300, 600, 3))
    img[100:200, 250:350] = 1.0  # a white square in the middle of a landscape photo
    box = box_in_crop([250, 100, 350, 200], img.shape)
    x = preprocess(img)[0, 0]  # 300 x 600 -> 256 x 512: the square is 85 x 85 around the centre
    inside = x[box[1] : box[3], box[0] : box[2]]
    assert inside.shape[0] in (85, 86) and inside.shape[1] in (85, 86)
    assert (inside[1:-1, 1:-1] > 0.9).all()  # white inside (edges blurred by the resize)
    ring = np.ones_like(x, dtype=bool)
    ring[box[1] - 1 : box[3] + 1, box[0] - 1 : box[2] + 1] = False
    assert (x[ring] < -0.9).all()  # black outside
    np.testing.assert_array_equal(box_in_crop([0, 0, 600, 300], img.shape), [0, 0, 224, 224])


@pytest.mark.parametrize("key", [True, False, np.True_, 3.5, None])
def test_a_class_that_is_neither_index_nor_name_is_a_type_error(key):
    with pytest.raises(TypeError, match="index 0-999 or a name"):
        class_index(key)


def test_imagenet_names_that_differ_only_by_case_are_two_classes():
    assert class_names()[264] == "Cardigan" and class_names()[474] == "cardigan"
    assert class_index("Cardigan") == 264 and class_index("cardigan") == 474
    with pytest.raises(ValueError, match="but for the case"):
        class_index("CARDIGAN")
