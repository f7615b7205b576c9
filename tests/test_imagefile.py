"""Hostile and unusual image files (issue 26): each is small on disk and cheap to refuse or read.

numpycam.imagenet.imagefile.read_image is the one function that reads an image file; these
tests write the files in tmp_path with Pillow (or, for the bombs, by hand: a PNG of zeros
compresses about 1000 to 1) and check what load_image and preprocess make of them.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from numpycam import iou
from numpycam.imagenet.imagefile import MAX_PIXELS, read_image
from numpycam.imagenet.photos import load_image
from numpycam.imagenet.preprocess import RESIZE, SIZE, _crop_geometry, preprocess, resize


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _zeros_png(path, w: int, h: int, bit_depth: int = 8):
    """A valid greyscale PNG of w x h black pixels, written without ever holding them."""
    row = b"\0" * (1 + -(-w * bit_depth // 8))  # the filter byte, then the packed pixels
    z, parts = zlib.compressobj(9), []
    for start in range(0, h, 1000):
        parts.append(z.compress(row * min(1000, h - start)))
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
                     + _chunk(b"IEND", b""))
    return path


# -- decompression bombs and large photos ----------------------------------------------------
@pytest.mark.parametrize("w, h, bits", [(30000, 30000, 1),   # 900 M pixels in 110 KB: Pillow's own refusal
                                         (10000, 9000, 8)])  # 90 M: over MAX_PIXELS, under Pillow's 2x
def test_a_png_bomb_is_refused_before_decoding(tmp_path, w, h, bits):
    path = _zeros_png(tmp_path / "bomb.png", w, h, bits)
    assert path.stat().st_size < 200_000 and w * h > MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no raw DecompressionBombWarning
        with pytest.raises(ValueError, match=f"bomb.png.*{w} x {h}|bomb.png.*claims more than"):
            load_image(path)


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size_with_a_progress_line(tmp_path):
    im = Image.new("L", (12000, 8000), 0)  # 96 M pixels: over Pillow's MAX_IMAGE_PIXELS
    im.paste(255, (0, 0, 6000, 8000))  # the left half white
    path = tmp_path / "big.jpg"
    im.save(path, quality=50)
    del im
    said = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = load_image(path, progress=said.append)
    assert img.shape == (1000, 1500, 3)  # decoded at 1/8 scale: the shorter side is still >= 256
    assert img[:, :700].min() > 0.95 and img[:, 800:].max() < 0.05
    assert any("12000 x 8000" in m and "1/8" in m for m in said), said


# -- thin panoramas -------------------------------------------------------------------------
def _dense_preprocess_crop(a):
    """The centre crop of preprocess the plain way: two dense resize matrices over the whole photo."""
    def matrix(n_in, n_out):
        u = (np.arange(n_out) + 0.5) * n_in / n_out
        w = np.clip(1 - np.abs(np.arange(n_in) + 0.5 - u[:, None]) / max(n_in / n_out, 1), 0, None)
        return w / w.sum(axis=1, keepdims=True)
    h, w, top, left = _crop_geometry(a.shape[0], a.shape[1], SIZE, RESIZE)
    full = matrix(a.shape[1], w) @ (matrix(a.shape[0], h) @ a.reshape(a.shape[0], -1)).reshape(h, a.shape[1], -1)
    return full[top : top + SIZE, left : left + SIZE]


@pytest.mark.parametrize("shape", [(32, 400, 3), (400, 33, 3), (20, 300, 3), (300, 451, 3), (256, 256, 3)])
def test_preprocess_equals_the_dense_resize_on_thin_and_ordinary_photos(shape):
    a = np.random.default_rng(sum(shape)).random(shape)
    expected = (_dense_preprocess_crop(a) - 0.5) / 0.5
    np.testing.assert_allclose(preprocess(a)[0].transpose(1, 2, 0), expected, atol=1e-6)


def test_a_thin_panorama_file_costs_only_its_crop(tmp_path):
    rows = np.linspace(0, 255, 40).astype(np.uint8)[:, None]
    wide, narrow = tmp_path / "wide.png", tmp_path / "narrow.png"
    Image.fromarray(np.repeat(rows, 20000, axis=1)).save(wide)  # 40 x 20000, a few KB
    Image.fromarray(np.repeat(rows, 400, axis=1)).save(narrow)  # the same rows, 400 wide
    # constant along each row, so the centre crop cannot depend on the width
    np.testing.assert_allclose(preprocess(load_image(wide)), preprocess(load_image(narrow)), atol=1e-6)
    assert resize(np.ones((32, 400_000, 1)), (224, 224)).shape == (224, 224, 1)


# -- what the pixels mean ------------------------------------------------------------------
def test_exif_orientation_is_applied(tmp_path):
    a = np.zeros((48, 64, 3), dtype=np.uint8)
    a[:, :32] = 255  # left half white
    plain, turned = tmp_path / "plain.jpg", tmp_path / "turned.jpg"
    Image.fromarray(a).save(plain)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation 6: viewers turn it 90 degrees clockwise
    Image.fromarray(a).save(turned, exif=exif)
    img = load_image(turned)
    assert img.shape == (64, 48, 3)
    np.testing.assert_array_equal(img, np.rot90(load_image(plain), k=-1))  # the white half on top


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_float_and_32_bit_tiffs_are_stretched_not_clipped(tmp_path, dtype):
    v = np.linspace(0, 2550, 40 * 50).reshape(40, 50).astype(dtype)
    path = tmp_path / "wide_range.tif"
    Image.fromarray(v).save(path)
    img = load_image(path)
    np.testing.assert_allclose(img[:, :, 0], (v - v.min()) / (v.max() - v.min()), atol=1e-6)
    said = []
    read_image(path, progress=said.append)
    assert any("stretched" in m for m in said)


def test_sixteen_bit_and_unit_float_files_keep_their_scale(tmp_path):
    v = (np.arange(40 * 50).reshape(40, 50) * 30).astype(np.uint16)  # up to 59970 of 65535
    Image.fromarray(v).save(tmp_path / "sixteen.png")
    np.testing.assert_allclose(load_image(tmp_path / "sixteen.png")[:, :, 1], v / 65535, atol=1e-9)
    f = np.linspace(0.2, 0.7, 40 * 50).reshape(40, 50).astype(np.float32)
    Image.fromarray(f).save(tmp_path / "unit.tif")
    np.testing.assert_allclose(load_image(tmp_path / "unit.tif")[:, :, 2], f, atol=1e-7)


# -- files that are not files, empty images, huge boxes -------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_a_device_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)

    def unblock():  # if the reader ever waits on the FIFO, give it an end of file after 5 s
        time.sleep(5)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # nobody is reading: the FIFO was refused, as it should be

    threading.Thread(target=unblock, daemon=True).start()
    with pytest.raises(ValueError, match="pipe.png.* is a FIFO"):
        load_image(fifo)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ValueError, match="character device"):
            load_image("/dev/zero")


@pytest.mark.parametrize("shape", [(0, 0, 3), (0, 40, 3), (40, 0, 1)])
def test_an_empty_image_is_a_value_error(shape):
    with pytest.raises(ValueError, match="empty"):
        preprocess(np.ones(shape))


def test_iou_is_exact_for_huge_finite_boxes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        assert iou([0, 0, 1e308, 1e308], [0, 0, 1e308, 1e308]) == 1.0
        assert iou([-1e308, -1e308, 1e308, 1e308], [0, 0, 1e308, 1e308]) == 0.25
        assert iou([0, 0, 1e308, 1e308], [0, 0, 1e308 / 2, 1e308]) == pytest.approx(0.5, rel=1e-15)
        tiny = 2.0**-1070  # a subnormal number
        assert iou([0, 0, tiny, tiny], [0, 0, tiny / 2, tiny]) == 0.5


# -- the second pass: files that used to give a silent wrong answer or a confusing one --------
def test_nan_pixels_an_empty_file_and_an_unread_format_are_named(tmp_path):
    f = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    f[3, 4] = np.nan
    Image.fromarray(f).save(tmp_path / "nan.tif")  # used to load as an all-black photo
    with pytest.raises(ValueError, match="NaN"):
        load_image(tmp_path / "nan.tif")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.png.*an empty file"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "drawing.eps").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n")
    with pytest.raises(ValueError, match="not a format numpycam reads"):  # never handed to Ghostscript
        load_image(tmp_path / "drawing.eps")


def test_palette_transparency_cmyk_and_a_png_named_jpg_read_as_their_rgb(tmp_path):
    a = np.zeros((40, 40, 3), dtype=np.uint8)
    a[:, :20] = (255, 0, 0)
    p = Image.fromarray(a).convert("P", palette=Image.Palette.ADAPTIVE, colors=2)
    black = p.getpixel((30, 0))
    p.save(tmp_path / "pal.png", transparency=black)  # the black half is transparent: white
    np.testing.assert_allclose(load_image(tmp_path / "pal.png")[0, [0, 30]], [[1, 0, 0], [1, 1, 1]], atol=1e-6)
    Image.fromarray(a).save(tmp_path / "named.jpg", format="PNG")  # the content decides, not the name
    np.testing.assert_array_equal(load_image(tmp_path / "named.jpg"), a / 255.0)
    Image.fromarray(a).convert("CMYK").save(tmp_path / "cmyk.tif")
    np.testing.assert_allclose(load_image(tmp_path / "cmyk.tif")[0, [0, 30]], [[1, 0, 0], [0, 0, 0]], atol=1e-6)
