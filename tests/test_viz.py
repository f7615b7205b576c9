"""The plotting module: headless, no pyplot, the core never imports matplotlib."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_core_never_imports_matplotlib():
    assert python("import sys, numpycam; print('matplotlib' in sys.modules)") == "False"


def test_viz_draws_without_pyplot_or_a_backend_switch(tmp_path):
    out = python(
        "import sys, numpy as np; from numpycam import viz\n"
        "fig, axes = viz.figure_grid(1, 2)\n"
        "viz.overlay(axes[0, 0], np.random.rand(3, 32, 32), np.random.rand(4, 4))\n"
        "viz.heatmap(axes[0, 1], np.random.rand(4, 4), 't', annotate=True)\n"
        f"viz.save(fig, {str(tmp_path / 'a.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    assert out == "False"
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_creates_folders_and_returns_the_path(tmp_path):
    from numpycam import viz

    fig, axes = viz.figure_grid(2, 3, title="t")
    assert axes.shape == (2, 3)
    path = viz.save(fig, tmp_path / "deep" / "er" / "x.png")
    assert path == tmp_path / "deep" / "er" / "x.png" and path.stat().st_size > 0


def test_figures_dir(monkeypatch, tmp_path):
    from numpycam import viz

    monkeypatch.setenv("NUMPYCAM_FIGURES", str(tmp_path / "f"))
    assert viz.figures_dir() == tmp_path / "f"
    monkeypatch.delenv("NUMPYCAM_FIGURES")
    (tmp_path / "lessons").mkdir()
    monkeypatch.chdir(tmp_path / "lessons")  # a lesson opened as a notebook runs here
    assert viz.figures_dir() == tmp_path / "figures"
    monkeypatch.chdir(tmp_path)
    assert viz.figures_dir() == tmp_path / "figures"


def test_as_rgb_reads_every_layout_the_same():
    from numpycam import viz

    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (3, 5, 7)).astype(np.uint8)
    want = chw.transpose(1, 2, 0) / 255
    assert np.allclose(viz.as_rgb(chw), want)
    assert np.allclose(viz.as_rgb(chw.astype(np.float32) / 255), want)
    assert np.allclose(viz.as_rgb(chw.transpose(1, 2, 0)), want)
    assert viz.as_rgb(np.zeros((5, 7))).shape == (5, 7, 3)
    with pytest.raises(ValueError, match="expected an image"):
        viz.as_rgb(np.zeros((2, 5, 7)))


def test_box_edges_sit_on_pixel_edges():
    from numpycam import viz

    fig, axes = viz.figure_grid(1, 1)
    viz.draw_box(axes[0, 0], (2, 3, 6, 4), label="x")
    rect = axes[0, 0].patches[0]
    # columns 2..5 and row 3 span x in [1.5, 5.5], y in [2.5, 3.5] in imshow coordinates
    assert (rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()) == (1.5, 2.5, 4, 1)


def test_heatmap_wants_one_map_and_centres_signed_ones():
    from numpycam import viz

    fig, axes = viz.figure_grid(1, 1)
    with pytest.raises(ValueError, match="one map"):
        viz.heatmap(axes[0, 0], np.zeros((2, 3, 3)))
    im = viz.heatmap(axes[0, 0], np.array([[-1.0, 3.0]]), signed=True)
    assert im.get_clim() == (-3.0, 3.0)


def test_curve_draws_one_point_per_value():
    from numpycam import viz

    fig, axes = viz.figure_grid(1, 1)
    viz.curve(axes[0, 0], [3.0, 2.0, 1.5], "loss", ylim=(0, 4))
    (line,) = axes[0, 0].lines
    assert list(line.get_xdata()) == [1, 2, 3] and list(line.get_ydata()) == [3.0, 2.0, 1.5]
    assert axes[0, 0].get_ylim() == (0, 4)


def test_the_demo_draws_every_method_of_the_registry():
    # the demo's list of methods is a pick from numpycam.METHODS: any registered method must draw,
    # once per model it applies to (CAM needs a GAP head, so not the conventional CNN)
    import numpycam as nc
    from numpycam.evaluation.demo import true_class_maps
    from numpycam.viz.gallery import demo_figures

    models = {"gap": nc.gap_cnn(widths=(4, 8, 8), seed=0),
              "fc": nc.fc_cnn(widths=(4, 8, 8), hidden=8, input_size=32, seed=0)}
    data = nc.data.shapes(2, seed=0, size=32)
    scores, runs = true_class_maps(models, data, methods=tuple(nc.METHODS))
    figs = demo_figures(data, scores, runs)
    expected = {f"demo_{m}.png" for m in nc.METHODS}
    expected |= {f"demo_{m}_fc.png" for m in nc.METHODS if nc.METHODS[m].needs != "gap_head"}
    assert set(figs) == expected | {"demo_gallery.png"}


def test_the_demo_maps_explain_the_true_class_at_the_last_conv_relu():
    # what the demo figures draw is what the method computes for each image's true class
    import numpycam as nc
    from numpycam.evaluation.demo import pick, true_class_maps
    from numpycam.evaluation.plan import conv_relus

    models = {"gap": nc.gap_cnn(widths=(4, 8, 8), seed=0),
              "fc": nc.fc_cnn(widths=(4, 8, 8), hidden=8, input_size=32, seed=0)}
    data = nc.data.shapes(12, seed=1, size=32)
    shown = data[pick(data, 5)]
    assert list(shown.labels) == [0, 1, 2, 3, 0]  # cycling through the classes
    scores, runs = true_class_maps(models, shown)
    assert [(r.method, r.model) for r in runs] == [("cam", "gap"), ("grad_cam", "gap"),
                                                    ("grad_cam", "fc")]
    for r in runs:
        model = models[r.model]
        assert r.layer == conv_relus(model)[-1]
        want = nc.METHODS[r.method].function(model, shown.images, shown.labels, layer=r.layer)
        np.testing.assert_allclose(r.maps, want)
        np.testing.assert_allclose(scores[r.model], model.forward(shown.images))
