"""The options that adopt other libraries' conventions, each against a closed form.

benchmarks/vs_peers.py measures that with these options numpycam's maps match pytorch-grad-cam,
torch-cam and Captum to round-off; here each option is proven on its own, from formulas
written out in the test (the Dense weights w_k^c, the GAP output F_k, hand-made maps), never
from the code under test. The defaults (the papers' maps) are tested in test_family.py.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import close, gap_networks, seeds

import numpycam as nc
from numpycam.methods import eigen_cam, eigen_cam_weights, grad_cam_plus_plus, score_cam
from numpycam.methods.grad_cam_plus_plus import grad_cam_plus_plus_weights
from numpycam.methods.postprocess import upsample

# -- Grad-CAM++ eps (pytorch-grad-cam adds 1e-6) --------------------------------------------

@given(gap_networks(), st.sampled_from([1e-9, 1e-6, 1e-4, 1e-2, 1.0]))
def test_grad_cam_plus_plus_eps_on_a_gap_network(net, eps):
    """g = w/Z everywhere and sum_ab f_k = Z F_k, so alpha = (w^2/Z^2) / (w^2 (2 + w F)/Z^2 + eps)
    and weight = Z alpha ReLU(w)/Z = ReLU(w) w^2 / (w^2 (2 + w F) + eps Z^2).
    After the last ReLU F >= 0, so the denominator is > 0 wherever w > 0."""
    model, x, c = net
    e = nc.cam(model, x, c, details=True)
    w, F = model.layers[-1].W[c], model.activation(len(model.layers) - 2)  # (N, K) each
    expected = np.maximum(w, 0) * w**2 / (w**2 * (2 + w * F) + eps * e.Z**2)
    got = grad_cam_plus_plus(model, x, c, layer=e.layer, eps=eps, details=True)
    close(got.weights, expected, rtol=1e-9)
    close(got.maps, np.maximum(np.einsum("nk,nkij->nij", expected, e.f), 0), rtol=1e-9)


@given(gap_networks())
def test_grad_cam_plus_plus_eps_zero_is_the_paper(net):
    model, x, c = net
    close(grad_cam_plus_plus(model, x, c, eps=0.0), grad_cam_plus_plus(model, x, c), rtol=0)


@pytest.mark.parametrize("eps", [-1e-6, float("nan"), float("inf")])
def test_grad_cam_plus_plus_refuses_a_bad_eps(eps):
    model = nc.gap_cnn(widths=(2, 2), dtype=np.float64)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        grad_cam_plus_plus(model, np.zeros((1, 3, 8, 8)), 0, eps=eps)


def test_eps_changes_the_weights_by_the_share_eps_z2_over_w2():
    """One channel, w = 0.05, F = 0, Z = 64 (an 8 x 8 map): g = 7.8e-4 and the paper's weight
    w / 2 = 0.025; with eps = 1e-6 it is w^3 / (2 w^2 + eps Z^2) = 1.25e-4 / (5e-3 + 4.1e-3),
    45 % smaller. Such channels are ordinary in trained GAP networks (|w| / Z ~ 1e-3)."""
    w, Z = 0.05, 64
    f = np.zeros((1, 1, 8, 8))
    g = np.full(f.shape, w / Z)
    assert grad_cam_plus_plus_weights(f, g).item() == pytest.approx(w / 2, rel=1e-12)
    got = grad_cam_plus_plus_weights(f, g, eps=1e-6).item()
    assert got == pytest.approx(w**3 / (2 * w**2 + 1e-6 * Z**2), rel=1e-12)
    assert got / (w / 2) == pytest.approx(5e-3 / (5e-3 + 4.096e-3), rel=1e-12)  # 0.5497


def test_torch_cam_alpha_g_squared_moves_the_peak():
    """torch-cam 0.5's Grad-CAM++ weights are sum_ij g^2 ReLU(g) (its division is lost), on a GAP
    network Z ReLU(w/Z)^3. Two channels on a 1 x 2 map, f_1 = [1, 0], f_2 = [0, 3],
    w = (1, 0.5): the paper's weights ReLU(w) / (2 + w F) are 1/2.5 and 0.5/2.75, so the map is
    [0.4, 0.545], peak right, as CAM's [1, 1.5]; with w^3 the map is [1, 0.375] (times 1/Z^2),
    peak left."""
    f = np.array([[1.0, 0.0], [0.0, 3.0]]).reshape(1, 2, 1, 2)
    w = np.array([1.0, 0.5])
    g = np.broadcast_to(w[None, :, None, None] / 2, f.shape)  # Z = 2
    paper = np.einsum("nk,nkij->nij", grad_cam_plus_plus_weights(f, g), f)[0, 0]
    close(paper, np.array([1 / 2.5, 1.5 / 2.75]))
    torch_cam = np.einsum("nk,nkij->nij", (g * g * np.maximum(g, 0)).sum(axis=(2, 3)), f)[0, 0]
    close(torch_cam, np.array([1.0, 0.375]) / 4)
    assert paper.argmax() == 1 and torch_cam.argmax() == 0


# -- Eigen-CAM center (pytorch-grad-cam) ----------------------------------------------------

@given(seeds, st.integers(1, 5), st.integers(2, 6))
def test_centred_eigen_cam_of_a_pattern_plus_constants(seed, K, side):
    """f_k(i, j) = u_k p(i, j) + b_k: centring removes b, A - 1 m^T = (p - mean p) u^T, so
    v = u / |u| and the map is |u| (p - mean p), whatever b; u, p, b >= 0 fix the sign (+).
    The uncentred map is not this unless b = 0."""
    rng = np.random.default_rng(seed)
    u, b, p = rng.random(K) + 0.1, 10 * rng.random(K), rng.random((side, side))
    f = (u[:, None, None] * p + b[:, None, None])[None]  # (1, K, h, w)
    v = eigen_cam_weights(f, center=True)
    close(v[0], u / np.linalg.norm(u))
    centred = f - f.mean(axis=(2, 3), keepdims=True)
    close(np.einsum("nk,nkij->nij", v, centred)[0], np.linalg.norm(u) * (p - p.mean()), rtol=1e-9)


@given(gap_networks())
def test_centred_eigen_cam_maps_sum_to_zero_and_are_the_top_direction(net):
    """The centred map (A - 1 m^T) v sums to 0 over positions, and |map|^2 is the largest
    eigenvalue of the centred A^T A (from eigh, not SVD)."""
    model, x, c = net
    e = eigen_cam(model, x, c, center=True, details=True)
    # Where every position holds nearly the same features the centred maps are round-off of the
    # centring itself: the tolerances get a floor at that level, eps times the raw activations.
    raw = np.abs(eigen_cam(model, x, c, details=True).f).sum(axis=(1, 2, 3))  # (N,), uncentred
    floor = 100 * np.finfo(np.float64).eps * raw
    sums = np.abs(e.maps.sum(axis=(1, 2)))
    assert np.all(sums <= 1e-9 * np.abs(e.maps).sum(axis=(1, 2)) + floor), (sums, floor)
    n, k = e.weights.shape
    A = e.f.reshape(n, k, -1).transpose(0, 2, 1)  # (N, Z, K), already centred
    top = np.linalg.eigvalsh(A.transpose(0, 2, 1) @ A)[:, -1]
    energy = (e.maps**2).sum(axis=(1, 2))
    assert np.all(np.abs(energy - top) <= 1e-9 * np.abs(top) + floor**2), (energy, top)
    close(eigen_cam(model, x, c, center=True, relu=True), np.maximum(e.maps, 0), rtol=0)


# -- upsampling conventions ------------------------------------------------------------------

@given(seeds, st.integers(2, 6), st.integers(2, 6), st.integers(2, 20), st.integers(2, 20))
def test_align_corners_keeps_a_linear_map_linear_and_copies_the_corners(seed, h, w, H, W):
    """m(i, j) = a i + b j + d is read at y (h - 1)/(H - 1), x (w - 1)/(W - 1), where bilinear
    interpolation of a linear function is exact: out(y, x) = a y (h-1)/(H-1) + b x (w-1)/(W-1) + d."""
    a, b, d = np.random.default_rng(seed).standard_normal(3)
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    y, x = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    out = upsample(a * i + b * j + d, (H, W), align_corners=True)
    close(out, a * y * (h - 1) / (H - 1) + b * x * (w - 1) / (W - 1) + d)
    close(out[[0, 0, -1, -1], [0, -1, 0, -1]], np.array([d, b * (w - 1) + d, a * (h - 1) + d,
                                                         a * (h - 1) + b * (w - 1) + d]))


@given(seeds, st.integers(1, 5), st.integers(1, 5), st.integers(1, 4))
def test_nearest_by_an_integer_factor_repeats_every_pixel(seed, h, w, s):
    m = np.random.default_rng(seed).standard_normal((2, h, w))
    close(upsample(m, (s * h, s * w), mode="nearest"), np.kron(m, np.ones((1, s, s))), rtol=0)


def test_nearest_by_a_fraction_by_hand():
    """2 -> 3 pixels: sources floor(0 * 2/3) = 0, floor(2/3) = 0, floor(4/3) = 1."""
    close(upsample(np.array([[1.0, 2.0]]), (1, 3), mode="nearest"), np.array([[1.0, 1.0, 2.0]]))
    with pytest.raises(ValueError, match="mode must be"):
        upsample(np.ones((2, 2)), 4, mode="bicubic")


# -- Score-CAM masks (pytorch-grad-cam: align_corners; torch-cam: normalize first) ----------

def _minmax(m):
    lo, hi = m.min(axis=(-2, -1), keepdims=True), m.max(axis=(-2, -1), keepdims=True)
    return np.where(hi > lo, (m - lo) / np.where(hi > lo, hi - lo, 1), 0)


@given(seeds, st.integers(1, 3), st.integers(1, 4), st.integers(3, 9),
       st.sampled_from([(True, False), (False, True), (True, True)]))
def test_score_cam_mask_options_on_a_linear_model(seed, C, K, side, options):
    """conv1x1 stride 2 -> GAP -> Dense: S^c(x') = sum_C a_C mean(x'_C[::2, ::2]) + const, a =
    w^c W_conv, so every masked score is known; the masks are built here by the option's rule."""
    align_corners, normalize_first = options
    rng = np.random.default_rng(seed)
    conv = nc.Conv2D(C, K, 1, stride=2, rng=rng, dtype=np.float64)
    dense = nc.Dense(K, 3, rng=rng, dtype=np.float64)
    model = nc.Sequential([conv, nc.GlobalAvgPool2D(), dense])
    x, c = rng.standard_normal((2, C, side, side)), rng.integers(0, 3, 2)
    e = score_cam(model, x, c, layer=0, align_corners=align_corners,
                  normalize_first=normalize_first, details=True)
    f = np.einsum("kc,ncij->nkij", conv.W[:, :, 0, 0], x[:, :, ::2, ::2]) + conv.b[:, None, None]
    flat = f.reshape(-1, *f.shape[2:])
    if normalize_first:
        masks = upsample(_minmax(flat), side, align_corners=align_corners)
    else:
        masks = _minmax(upsample(flat, side, align_corners=align_corners))
    masks = masks.reshape(2, K, side, side)
    a = np.einsum("nk,kc->nc", dense.W[c], conv.W[:, :, 0, 0])  # (N, C)
    increase = np.einsum("nc,nkc->nk", a, (x[:, None] * masks[:, :, None])[..., ::2, ::2]
                         .mean(axis=(3, 4)))
    close(e.weights, np.exp(increase) / np.exp(increase).sum(axis=1, keepdims=True))


@given(seeds, st.sampled_from([(True, False), (False, True), (True, True)]), st.integers(1, 3))
def test_score_cam_mask_options_reach_every_batch(seed, options, batch_size):
    """More images than ``batch_size``: every batch uses the options (before the methods were
    split into files, the batches after a split quietly used the default masks)."""
    align_corners, normalize_first = options
    rng = np.random.default_rng(seed)
    model = nc.Sequential([nc.Conv2D(2, 3, 1, stride=2, rng=rng, dtype=np.float64),
                           nc.GlobalAvgPool2D(), nc.Dense(3, 3, rng=rng, dtype=np.float64)])
    x, c = rng.standard_normal((4, 2, 7, 7)), rng.integers(0, 3, 4)
    kw = {"layer": 0, "align_corners": align_corners, "normalize_first": normalize_first}
    close(score_cam(model, x, c, batch_size=batch_size, **kw), score_cam(model, x, c, **kw),
          rtol=1e-12)


@given(seeds, st.integers(1, 3), st.integers(1, 4), st.integers(2, 8))
def test_score_cam_mask_options_do_nothing_at_the_input_size(seed, C, K, side):
    """At a layer as large as the input no upsampling happens, so both options are no-ops."""
    rng = np.random.default_rng(seed)
    model = nc.Sequential([nc.Conv2D(C, K, 3, padding=1, rng=rng, dtype=np.float64), nc.ReLU(),
                           nc.GlobalAvgPool2D(), nc.Dense(K, 2, rng=rng, dtype=np.float64)])
    x, c = rng.standard_normal((2, C, side, side)), rng.integers(0, 2, 2)
    ref = score_cam(model, x, c, layer=1)
    for kw in ({"align_corners": True}, {"normalize_first": True}):
        close(score_cam(model, x, c, layer=1, **kw), ref, rtol=1e-12)
