"""The CAM family, each method checked against an independent formula.

On a GAP network every gradient method reduces to CAM, because dS^c/df_k(i, j) = w_k^c / Z at
every position; each reduction is proven here on random networks (tests/strategies.py). The
expected values are computed from the Dense weights w_k^c, the GAP output F_k and CAM, never
from the method under test.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import close, gap_networks, seeds

import numpycam as nc
from numpycam.methods import (
    eigen_cam,
    eigen_cam_weights,
    grad_cam_plus_plus,
    grad_cam_plus_plus_weights,
    hires_cam,
    layer_cam,
    score_cam,
    xgrad_cam,
    xgrad_cam_weights,
)
from numpycam.methods.registry import METHODS

any_gap_networks = st.one_of(gap_networks(), gap_networks(relu_after_last=False))


def cam_parts(model, x, c):
    """CAM's explanation, w^c (N, K) and the GAP output F (N, K) of the same forward pass."""
    e = nc.cam(model, x, c, details=True)
    return e, model.layers[-1].W[c], model.activation(len(model.layers) - 2)


# -- reductions to CAM on GAP networks -----------------------------------------------------

@given(any_gap_networks)
def test_hires_cam_is_cam_over_Z(net):
    """g = w_k^c / Z everywhere, so sum_k g_k f_k = (sum_k w_k^c f_k) / Z = L_CAM / Z."""
    model, x, c = net
    e, w, _ = cam_parts(model, x, c)
    h = hires_cam(model, x, c, layer=e.layer, relu=False, details=True)
    close(h.weights, np.broadcast_to(w[:, :, None, None] / e.Z, h.f.shape))
    close(h.maps, e.maps / e.Z)
    close(hires_cam(model, x, c, layer=e.layer), np.maximum(e.maps, 0) / e.Z)


@given(gap_networks())
def test_xgrad_cam_weights_are_grad_cam_weights(net):
    """a_k = sum_ij (f_k / sum f_k) w_k^c / Z = w_k^c / Z: the shares sum to 1."""
    model, x, c = net
    e, w, _ = cam_parts(model, x, c)
    xg = xgrad_cam(model, x, c, layer=e.layer, details=True)
    nonzero = e.f.sum(axis=(2, 3)) != 0  # a channel that is all zero gets weight 0
    close(xg.weights[nonzero], (w / e.Z)[nonzero])
    np.testing.assert_array_equal(xg.weights[~nonzero], 0)
    close(xg.maps, nc.grad_cam(model, x, c, layer=e.layer))


@given(any_gap_networks)
def test_layer_cam_is_relu_of_cam_with_positive_weights_over_Z(net):
    """ReLU(sum_k ReLU(w_k^c / Z) f_k) = ReLU(sum_k ReLU(w_k^c) f_k) / Z."""
    model, x, c = net
    e, w, _ = cam_parts(model, x, c)
    expected = np.maximum(np.einsum("nk,nkij->nij", np.maximum(w, 0), e.f), 0) / e.Z
    close(layer_cam(model, x, c, layer=e.layer), expected)


@given(any_gap_networks)
def test_grad_cam_plus_plus_weights_are_relu_w_over_two_plus_w_F(net):
    """alpha = 1 / (2 + w_k^c F_k), weight = ReLU(w_k^c) / (2 + w_k^c F_k) (see the docstring).

    After a ReLU F >= 0, so the denominator is > 0 wherever w > 0. Without one it can vanish;
    there the test keeps only channels with |2 + w F| > 0.1, away from the pole.
    """
    model, x, c = net
    e, w, F = cam_parts(model, x, c)
    denom = 2 + w * F  # (N, K)
    got = grad_cam_plus_plus(model, x, c, layer=e.layer, details=True)
    expected = np.maximum(w, 0) / np.where(denom != 0, denom, 1)
    keep = (w <= 0) | (np.abs(denom) > 0.1)
    close(got.weights[keep], expected[keep], rtol=1e-9)
    if keep.all():
        close(got.maps, np.maximum(np.einsum("nk,nkij->nij", expected, e.f), 0), rtol=1e-9)
    if isinstance(model.layers[-3], nc.ReLU):
        assert keep.all() and np.all(denom[w > 0] > 0)


def test_grad_cam_plus_plus_weights_by_hand_at_zero_gradient_and_at_the_pole():
    """f = [-1, -1] (sum -2), g = [1, 2]: the first denominator 2*1 + (-2)*1 = 0 gives alpha 0;
    the second alpha = 4 / (8 - 16) = -1/2, times ReLU(2) = -1. A zero gradient gives 0."""
    f = np.array([-1.0, -1.0]).reshape(1, 1, 1, 2)
    assert grad_cam_plus_plus_weights(f, np.array([1.0, 2.0]).reshape(f.shape)).item() == -1.0
    assert grad_cam_plus_plus_weights(f, np.zeros(f.shape)).item() == 0.0


def test_xgrad_cam_weights_by_hand():
    """f_0 = [1, 3], g_0 = [2, 4]: (1*2 + 3*4) / 4 = 3.5; an all-zero channel gets 0."""
    f = np.array([[1.0, 3.0], [0.0, 0.0]]).reshape(1, 2, 1, 2)
    g = np.array([[2.0, 4.0], [5.0, 6.0]]).reshape(1, 2, 1, 2)
    np.testing.assert_array_equal(xgrad_cam_weights(f, g), [[3.5, 0.0]])


# -- where the methods part: no GAP --------------------------------------------------------

def test_hires_cam_and_grad_cam_differ_without_gap():
    """On fc_cnn the gradient varies with position, so averaging it first changes the map."""
    model = nc.fc_cnn(2, 3, widths=(3, 4), hidden=6, input_size=8, seed=1).astype(np.float64)
    x = np.random.default_rng(1).standard_normal((1, 2, 8, 8))
    h = hires_cam(model, x, 0, relu=False, details=True)
    g = nc.grad_cam(model, x, 0, relu=False)
    assert np.ptp(h.weights, axis=(2, 3)).max() > 0  # the gradient is not constant over (i, j)
    assert np.abs(h.maps - g).max() > 0.1 * np.abs(g).max()


@given(seeds)
def test_hires_cam_sums_to_the_score_when_the_head_has_no_bias(seed):
    """Euler: with no bias after f, S^c is piecewise linear and 1-homogeneous in f (Flatten,
    Dense, ReLU, Dense), so sum_ij sum_k f_k dS^c/df_k = S^c: HiResCAM splits the score
    among the positions. (On a GAP network this is mean_ij L_CAM = S^c - b_c.)"""
    rng = np.random.default_rng(seed)
    model = nc.fc_cnn(2, 3, widths=(3, 4), hidden=6, input_size=8, seed=seed).astype(np.float64)
    for name in ("fc1", "fc2"):
        model[name].b = np.zeros_like(model[name].b)
    x = rng.standard_normal((3, 2, 8, 8))
    c = rng.integers(0, 3, 3)
    e = hires_cam(model, x, c, relu=False, details=True)
    close(e.maps.sum(axis=(1, 2)), e.scores[np.arange(3), c])


# -- Score-CAM ----------------------------------------------------------------------------

@given(seeds, st.integers(1, 3), st.integers(1, 4), st.integers(3, 9), st.sampled_from([1, 2]))
def test_score_cam_on_a_linear_model_against_its_closed_form(seed, C, K, side, stride):
    """conv1x1 (stride s) -> GAP -> Dense has S^c(x') = sum_C a_C mean(x'_C[::s, ::s]) + const
    with a = w^c W_conv, so every masked score is known without a forward pass."""
    rng = np.random.default_rng(seed)
    conv = nc.Conv2D(C, K, 1, stride=stride, rng=rng, dtype=np.float64)
    conv.b = rng.standard_normal(K)
    dense = nc.Dense(K, 3, rng=rng, dtype=np.float64)
    dense.b = rng.standard_normal(3)
    model = nc.Sequential([conv, nc.GlobalAvgPool2D(), dense])
    x = rng.standard_normal((2, C, side, side))
    c = rng.integers(0, 3, 2)
    e = score_cam(model, x, c, layer=0, batch_size=3, details=True)

    f = np.einsum("kc,ncij->nkij", conv.W[:, :, 0, 0], x[:, :, ::stride, ::stride])
    f = f + conv.b[:, None, None]  # (N, K, h, w)
    close(e.f, f)
    up = nc.upsample(f.reshape(-1, *f.shape[2:]), side).reshape(2, K, side, side)
    lo, hi = up.min(axis=(2, 3), keepdims=True), up.max(axis=(2, 3), keepdims=True)
    masks = np.where(hi > lo, (up - lo) / np.where(hi > lo, hi - lo, 1), 0)  # (N, K, H, W)
    a = np.einsum("nk,kc->nc", dense.W[c], conv.W[:, :, 0, 0])  # (N, C)
    masked = x[:, None] * masks[:, :, None]  # (N, K, C, H, W)
    increase = np.einsum("nc,nkc->nk", a, masked[..., ::stride, ::stride].mean(axis=(3, 4)))
    alpha = np.exp(increase) / np.exp(increase).sum(axis=1, keepdims=True)
    close(e.weights, alpha)
    close(e.maps, np.maximum(np.einsum("nk,nkij->nij", alpha, f), 0))


@given(gap_networks(), st.integers(1, 7))
def test_score_cam_weights_are_a_distribution_and_batching_changes_nothing(net, batch_size):
    model, x, c = net
    e = score_cam(model, x, c, details=True)
    assert np.all(e.weights > 0)
    close(e.weights.sum(axis=1), np.ones(len(x)))
    close(score_cam(model, x, c, batch_size=batch_size), e.maps, rtol=1e-12)


# -- Eigen-CAM ----------------------------------------------------------------------------

@given(any_gap_networks)
def test_eigen_cam_is_the_projection_with_the_largest_energy(net):
    """v is a unit vector with |A v|^2 = the largest eigenvalue of A^T A (from eigh, not SVD);
    where that eigenvalue is simple the map is A u, u its eigenvector signed so that A u sums
    to >= 0; the map sums to >= 0, and it ignores the class."""
    model, x, c = net
    e = eigen_cam(model, x, c, details=True)
    n, k = e.weights.shape
    f = model.activation(model.index(e.layer))  # the maps, read from the model, not from e
    A = f.reshape(n, k, -1).transpose(0, 2, 1)  # (N, Z, K)
    vals, vecs = np.linalg.eigh(A.transpose(0, 2, 1) @ A)  # ascending eigenvalues
    close(np.linalg.norm(e.weights, axis=1), np.ones(n))
    close((e.maps ** 2).sum(axis=(1, 2)), vals[:, -1], rtol=1e-9)
    u = vecs[:, :, -1]  # (N, K), unit eigenvector of the largest eigenvalue
    expected = np.einsum("nzk,nk->nz", A, u).reshape(e.maps.shape)  # (N, h, w): A u
    expected *= np.where(expected.sum(axis=(1, 2)) < 0, -1, 1)[:, None, None]
    gap = vals[:, -1] - (vals[:, -2] if k > 1 else 0)
    simple = gap > 1e-6 * np.maximum(vals[:, -1], 1e-300)
    # the sign is fixed by the sum unless the map sums to about 0; skip those images too
    signed = np.abs(expected.sum(axis=(1, 2))) > 1e-6 * np.abs(expected).sum(axis=(1, 2))
    ok = simple & signed
    if ok.any():
        close(e.maps[ok], expected[ok], rtol=1e-6)
    assert np.all(np.einsum("nk,nk->n", e.weights, e.f.mean(axis=(2, 3))) >= 0)
    assert np.all(e.maps.sum(axis=(1, 2)) >= -1e-12 * np.abs(e.maps).max(initial=1))
    close(eigen_cam(model, x, (c + 1) % model.num_classes), e.maps, rtol=0)
    np.testing.assert_array_equal(eigen_cam(model, x).shape, e.maps.shape)


@given(seeds, st.integers(1, 5), st.integers(1, 6))
def test_eigen_cam_of_rank_one_activations_is_their_spatial_pattern(seed, K, side):
    """f_k(i, j) = u_k s(i, j): A = s u^T, v = u / |u|, A v = |u| s (sign: sum s > 0)."""
    rng = np.random.default_rng(seed)
    u, s = rng.standard_normal(K), rng.standard_normal((side, side))
    s = s if s.sum() > 0 else -s
    f = (u[:, None, None] * s)[None]  # (1, K, h, w)
    v = eigen_cam_weights(f)
    close(np.einsum("nk,nkij->nij", v, f)[0], np.linalg.norm(u) * s)


@given(gap_networks())
def test_eigen_cam_weights_are_non_negative_for_non_negative_maps(net):
    """Perron-Frobenius: f >= 0 and a simple top singular value give v >= 0."""
    model, x, c = net
    e = eigen_cam(model, x, c, details=True)
    n, k = e.weights.shape
    sv = np.linalg.svd(e.f.reshape(n, k, -1), compute_uv=False)  # (N, min(K, Z))
    simple = (sv[:, 0] > 0) if sv.shape[1] == 1 else (sv[:, 0] - sv[:, 1] > 1e-6 * sv[:, 0])
    assert np.all(e.weights[simple] >= -1e-9)


# -- every method -------------------------------------------------------------------------

@given(st.one_of(gap_networks(), gap_networks(relu_after_last=False)))
def test_every_method_gives_the_same_answer_one_by_one_and_as_a_batch(net):
    model, x, c = net
    for fn in (m.function for m in METHODS.values()):
        together = fn(model, x, c)
        alone = np.concatenate([fn(model, x[i : i + 1], int(c[i])) for i in range(len(x))])
        close(together, alone, rtol=1e-12)


FAMILY = [name for name, m in METHODS.items() if m.needs != "gap_head"]  # CAM has one layer


@pytest.mark.parametrize("name", FAMILY)
def test_shapes_layers_relu_and_training_state(name):
    fn = METHODS[name].function
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    x = np.random.default_rng(0).random((2, 3, 16, 16)).astype(np.float32)
    assert fn(model, x, 1).shape == (2, 8, 8)
    assert fn(model, x, [0, 1], layer="conv1").shape == (2, 16, 16)
    e = fn(model, x, 1, layer=1, details=True)
    assert e.layer == "conv1" and e.weights.shape[:2] == (2, 4) and e.maps.dtype == np.float32
    summed = e.weighted.sum(axis=1)  # (N, h, w): sum_k weight_k f_k
    close(np.maximum(summed, 0) if METHODS[name].relu else summed, e.maps, 1e-5)
    assert np.all(fn(model, x, 1, layer=1, relu=True) >= 0)
    assert all(getattr(layer, "d" + p) is None for layer, p in model.parameters())
    with pytest.raises(ValueError, match="out of range"):
        fn(model, x, 4)
    with pytest.raises(ValueError, match="4-D"):
        fn(model, x, 0, layer="fc")


def test_the_registry_describes_each_public_function():
    """Names, default ReLUs and signatures agree with the functions that the registry lists."""
    import inspect

    assert list(METHODS)[:2] == ["cam", "grad_cam"] and set(FAMILY) < set(METHODS)
    for name, m in METHODS.items():
        assert m.function is getattr(nc, name) and m.function.__name__ == name
        params = inspect.signature(m.function).parameters
        assert list(params)[:4] == ["model", "x", "c", "layer"], name
        if "relu" in params:
            assert params["relu"].default is m.relu, name
        else:
            assert not m.relu  # CAM: raw values
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    x = np.random.default_rng(0).random((1, 3, 16, 16)).astype(np.float32)
    close(METHODS["cam"].function(model, x, 1, "relu2"), nc.cam(model, x, 1), rtol=0)
    with pytest.raises(ValueError, match="CAM is defined only at the maps that feed GAP"):
        METHODS["cam"].function(model, x, 1, "conv1")
