"""The diagrams say what the models compute: every shape, weight and gradient written on a
figure is read back from its text and compared with a forward / backward pass of the model."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import numpycam as nc
from numpycam.nn.gradcheck import numerical_gradient
from numpycam.viz.architecture import architecture_figure, shape_text
from numpycam.viz.network import NEGATIVE, POSITIVE, draw_network, network_figure
from numpycam.viz.summaries import cam_summary_figure, grad_cam_summary_figure

NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def texts(fig: Figure, prefix: str) -> dict[str, str]:
    """gid -> string of every text artist whose gid starts with ``prefix``."""
    found = {t.get_gid(): t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
             if (t.get_gid() or "").startswith(prefix)}
    fig.canvas.draw()  # the figure also renders, with no layout error
    return found


def last_number(s: str) -> float:
    return float(NUMBER.findall(s)[-1])


@pytest.fixture(scope="module")
def models():
    return {"conventional": nc.pretrained("fc"), "CAM": nc.pretrained("gap")}


@pytest.fixture(scope="module")
def image():
    d = nc.data.shapes(4, seed=11)
    return d.images[:1], int(d.labels[0])


def test_architecture_shapes_are_those_of_a_forward_pass(models):
    fig = architecture_figure(models)
    shown = texts(fig, "shape:")
    for title, model in models.items():
        model.forward(np.random.default_rng(0).random((3, 3, 64, 64), dtype=np.float32))
        mine = {g: s for g, s in shown.items() if g.startswith(f"shape:{title}:")}
        assert mine.pop(f"shape:{title}:input") == "(N, 3, 64, 64)"
        for gid, s in mine.items():
            layer = gid.split(":")[-1]
            real = model.activation(layer).shape  # N = 3 here, written as N
            assert s == "(N, " + ", ".join(map(str, real[1:])) + ")", gid
        # one shape per box, and the last box gives the scores (N, classes)
        assert mine[f"shape:{title}:{model.names[-1]}"] == f"(N, {model.num_classes})"
        assert any(model.names[i] in g for g in mine for i in range(1, 5))


def test_architecture_heads_and_their_parameter_counts(models):
    fig = architecture_figure(models)
    heads = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
             if "head =" in t.get_text()]
    fc, gap = models["conventional"], models["CAM"]
    want_fc = sum(fc[n].W.size + fc[n].b.size for n in ("fc1", "fc2"))
    want_gap = gap["fc"].W.size + gap["fc"].b.size  # K * M + M
    assert any("Flatten + Dense + Dense" in h and f"{want_fc:,} parameters" in h for h in heads)
    assert any("GAP + Dense" in h and f"{want_gap:,} parameters" in h for h in heads)


@settings(max_examples=6)
@given(widths=st.lists(st.integers(1, 6), min_size=1, max_size=3), side=st.integers(8, 24))
def test_architecture_of_any_gap_network_and_input_size(widths, side):
    model = nc.gap_cnn(widths=tuple(widths))
    shown = texts(architecture_figure({"m": model}, input_shape=(3, side, side)), "shape:")
    model.forward(np.zeros((1, 3, side, side), np.float32))
    assert shown.pop("shape:m:input") == f"(N, 3, {side}, {side})"
    for gid, s in shown.items():
        assert s == shape_text(model.activation(gid.split(":")[-1]).shape)
    assert shown["shape:m:gap"] == f"(N, {widths[-1]})"


def test_shape_text_writes_the_batch_as_n():
    assert shape_text((7, 64, 16, 16)) == "(N, 64, 16, 16)" and shape_text((1, 4)) == "(N, 4)"


def test_cam_summary_prints_the_model_weights_of_the_largest_terms(models, image):
    gap, (x, c) = models["CAM"], image
    fig = cam_summary_figure(gap, x, c, k=3)
    shown = texts(fig, "w:")
    gap.forward(x)
    F = gap.activation("gap")[0]  # (K,) the GAP outputs
    W = gap["fc"].W
    top = set(np.argsort(-np.abs(W[c] * F))[:3].tolist())
    assert {int(g[2:]) for g in shown} == top
    for gid, s in shown.items():
        assert last_number(s) == pytest.approx(float(f"{W[c, int(gid[2:])]:.3g}"), abs=1e-12)


def test_grad_cam_summary_prints_a_equal_to_the_library_and_to_w_over_z(models, image):
    gap, (x, c) = models["CAM"], image
    fig = grad_cam_summary_figure(gap, x, c, k=4)
    shown = texts(fig, "a:")
    ex = nc.grad_cam(gap, x, c, details=True)
    Z = ex.f.shape[2] * ex.f.shape[3]
    assert len(shown) == 4
    for gid, s in shown.items():
        j = int(gid[2:])
        printed = last_number(s)
        assert printed == float(f"{ex.weights[0, j]:.3g}")
        # at the maps that feed GAP, a_k^c = w_k^c / Z (the identity, independent of the code)
        assert printed == pytest.approx(gap["fc"].W[c, j] / Z, rel=6e-3)


def test_grad_cam_summary_at_another_layer_of_any_network(models, image):
    fc, (x, c) = models["conventional"], image
    fig = grad_cam_summary_figure(fc, x, c, "relu2", k=2)
    shown = texts(fig, "a:")
    w = nc.grad_cam(fc, x, c, "relu2", details=True).weights[0]
    assert {int(g[2:]) for g in shown} <= set(range(len(w))) and len(shown) == 2
    assert all(last_number(s) == float(f"{w[int(g[2:])]:.3g}") for g, s in shown.items())


def small_network(rng, hidden: int | None):
    if hidden is None:
        return nc.Sequential([("fc", nc.Dense(3, 2, rng=rng, dtype=np.float64))])
    return nc.Sequential([("fc1", nc.Dense(3, hidden, rng=rng, dtype=np.float64)),
                          ("relu", nc.ReLU()), ("fc2", nc.Dense(hidden, 2, rng=rng,
                                                               dtype=np.float64))])


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), hidden=st.sampled_from([None, 1, 3, 5]),
       k=st.integers(0, 2), c=st.integers(0, 1))
def test_network_edges_signs_paths_and_gradient(seed, hidden, k, c):
    rng = np.random.default_rng(seed)
    model = small_network(rng, hidden)
    x = rng.standard_normal((1, 3))
    fig = Figure()
    drawing = draw_network(fig.subplots(), model, x, c=c, k=k)
    Ws = [lay.W for lay in model.layers if isinstance(lay, nc.Dense)]
    for (l, i, j), line in drawing.edges.items():  # every edge, coloured by its sign
        assert to_rgba(line.get_color()) == to_rgba(POSITIVE if Ws[l][i, j] > 0 else NEGATIVE)
        assert line.get_gid() == f"edge:{l}:{i}:{j}"
    assert len(drawing.edges) == sum(W.size for W in Ws)
    if hidden is None:
        want = [(0, c, k)]
    else:
        want = sorted([(0, h, k) for h in range(hidden)] + [(1, c, h) for h in range(hidden)])
    assert drawing.highlighted == want
    dS = nc.one_hot(np.array([c]), 2)
    model.forward(x)
    backprop = model.backward(dS)[0, k]
    numeric = numerical_gradient(lambda: model.forward(x), x, dS)[0, k]  # nudges x in place
    assert drawing.gradient == pytest.approx(backprop, rel=1e-9, abs=1e-12)
    assert abs(numeric - drawing.gradient) < 1e-7 * max(1.0, abs(drawing.gradient))
    if hidden is not None:  # a path is dashed exactly when its hidden ReLU is off
        z = model.activation("fc1")[0]
        for h in range(hidden):
            assert (drawing.edges[(1, c, h)].get_linestyle() == "--") == (z[h] <= 0)


def test_network_figure_draws_one_panel_per_model():
    rng = np.random.default_rng(3)
    fig = network_figure({"a": small_network(rng, None), "b": small_network(rng, 4)},
                         rng.standard_normal(3), c=0, k=1)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    edges = [[ln for ln in ax.lines if (ln.get_gid() or "").startswith("edge:")] for ax in fig.axes]
    assert [len(e) for e in edges] == [3 * 2, 3 * 4 + 4 * 2]
    fig.canvas.draw()


def test_bad_arguments_say_what_is_wrong(models, image):
    gap, (x, c) = models["CAM"], image
    with pytest.raises(TypeError, match="dict"):
        architecture_figure([gap])
    with pytest.raises(ValueError, match="input_shape"):
        architecture_figure({"g": gap}, input_shape=(64, 64))
    with pytest.raises(ValueError, match="channels"):
        architecture_figure({"g": gap}, input_shape=(1, 64, 64))
    with pytest.raises(TypeError, match="Sequential"):
        architecture_figure({"g": "gap"})
    with pytest.raises(ValueError, match=r"one image as a batch \(1, C, H, W\)"):
        cam_summary_figure(gap, np.concatenate([x, x]), c)
    with pytest.raises(ValueError, match="not a class"):
        cam_summary_figure(gap, x, 9)
    with pytest.raises(TypeError, match="one class index"):
        grad_cam_summary_figure(gap, x, 1.0)
    with pytest.raises(ValueError, match="only K = 64"):
        cam_summary_figure(gap, x, c, k=65)
    with pytest.raises(ValueError, match="k must be >= 1"):
        grad_cam_summary_figure(gap, x, c, k=0)
    with pytest.raises(ValueError, match="GlobalAvgPool2D"):
        cam_summary_figure(models["conventional"], x, c)
    fig = Figure()
    ax = fig.subplots()
    with pytest.raises(ValueError, match="Dense layers"):
        draw_network(ax, gap)
    net = small_network(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="both c"):
        draw_network(ax, net, c=1)
    with pytest.raises(ValueError, match="k = 3 is out of range"):
        draw_network(ax, net, c=1, k=3)
    with pytest.raises(ValueError, match="x has 4 values"):
        draw_network(ax, net, np.zeros(4))


def test_architecture_leaves_batchnorm_statistics_alone():
    rng = np.random.default_rng(0)
    model = nc.Sequential([nc.Conv2D(3, 4, 3, padding=1, rng=rng), nc.BatchNorm2D(4), nc.ReLU(),
                           nc.GlobalAvgPool2D(), nc.Dense(4, 2, rng=rng)])
    bn = model.layers[1]
    before = (bn.running_mean.copy(), bn.running_var.copy())
    shown = texts(architecture_figure({"bn": model}, input_shape=(3, 8, 8)), "shape:")
    assert np.array_equal(bn.running_mean, before[0]) and np.array_equal(bn.running_var, before[1])
    assert model.training  # the mode it was in
    assert shown["shape:bn:relu1"] == "(N, 4, 8, 8)"  # BatchNorm and ReLU joined conv1's box
    assert "shape:bn:bn1" not in shown and "shape:bn:conv1" not in shown
