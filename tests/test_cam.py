"""The identities of the post and the papers, proven on random networks, weights and inputs.

Every network here is drawn by hypothesis: its depth, widths, kernels, paddings, pooling, the
number of classes, the input size and all weights (float64, non-zero biases).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import close, gap_networks, seeds

import numpycam as nc
from numpycam.methods.base import feature_layer, score_gradient


@given(gap_networks())
def test_grad_cam_is_cam_over_Z_on_gap_networks(net):
    """Generalized CAM (the post; Grad-CAM paper, Section 3.1). With S^c = sum_k w_k^c F_k + b_c
    and F_k = (1/Z) sum_ij f_k(i, j):

        dS^c/df_k(i, j) = w_k^c * dF_k/df_k(i, j) = w_k^c / Z        for every (i, j)
        a_k^c = (1/Z) sum_ij w_k^c / Z = w_k^c / Z
        L_Grad-CAM^c = ReLU(sum_k (w_k^c / Z) f_k) = ReLU(L_CAM^c) / Z
    """
    model, x, c = net
    e_cam = nc.cam(model, x, c, details=True)
    e_grad = nc.grad_cam(model, x, c, layer=e_cam.layer, details=True)
    Z = e_cam.Z
    close(e_grad.weights, e_cam.weights / Z)
    close(e_grad.maps, np.maximum(e_cam.maps, 0) / Z)
    close(nc.grad_cam(model, x, c, layer=e_cam.layer, relu=False), e_cam.maps / Z)


@given(gap_networks(relu_after_last=False))
def test_identity_holds_when_the_gap_input_is_not_a_relu(net):
    model, x, c = net  # f may be negative here, so the ReLU in Grad-CAM really cuts
    e_cam = nc.cam(model, x, c, details=True)
    close(nc.grad_cam(model, x, c, layer=e_cam.layer), np.maximum(e_cam.maps, 0) / e_cam.Z)


@given(gap_networks())
def test_spatial_mean_of_cam_is_the_score_minus_the_bias(net):
    """mean_ij L_CAM^c = sum_k w_k^c mean_ij f_k = sum_k w_k^c F_k = S^c - b_c."""
    model, x, c = net
    e = nc.cam(model, x, c, details=True)
    S = e.scores[np.arange(len(c)), c]
    close(e.maps.mean(axis=(1, 2)), S - model.layers[-1].b[c])


@given(st.one_of(gap_networks(), st.builds(lambda s: s, seeds)))
def test_grad_cam_weights_are_linear_in_the_score(net):
    """a_k for the score S^c1 - S^c2 is a^c1 - a^c2: backprop is linear in dS."""
    if isinstance(net, int):  # a conventional CNN (no GAP), where gradients vary with position
        rng = np.random.default_rng(net)
        model = nc.fc_cnn(2, 4, widths=(3, 4), hidden=5, input_size=8, seed=net).astype(np.float64)
        x, M = rng.standard_normal((2, 2, 8, 8)), 4
    else:
        model, x, _ = net
        M = model.num_classes
    rng = np.random.default_rng(x.size)
    c1, c2 = rng.integers(0, M, 2)
    layer = feature_layer(model, None)
    d = np.zeros((len(x), M))
    d[:, c1] += 1
    d[:, c2] -= 1
    _, _, g = score_gradient(model, x, d, layer)
    a1 = nc.grad_cam(model, x, int(c1), layer=layer, details=True).weights
    a2 = nc.grad_cam(model, x, int(c2), layer=layer, details=True).weights
    close(g.mean(axis=(2, 3)), a1 - a2)


@st.composite
def any_networks(draw):
    """Either architecture of the post, small, random."""
    seed = draw(seeds)
    if draw(st.booleans()):
        return draw(gap_networks())
    rng = np.random.default_rng(seed)
    model = nc.fc_cnn(2, 3, widths=(2, 3), hidden=4, input_size=8, seed=seed).astype(np.float64)
    n = draw(st.integers(1, 3))
    return model, rng.standard_normal((n, 2, 8, 8)), rng.integers(0, 3, n)


@given(st.integers(1, 3), st.integers(0, 2), seeds)
def test_guided_backprop_is_the_gradient_without_relus(k, n_pool, seed):
    rng = np.random.default_rng(seed)
    layers = [nc.Conv2D(2, 3, k, padding=1, rng=rng, dtype=np.float64)]
    layers += [nc.MaxPool2D(2) for _ in range(n_pool)]
    model = nc.Sequential(layers + [nc.GlobalAvgPool2D(), nc.Dense(3, 3, rng=rng, dtype=np.float64)])
    x = rng.standard_normal((2, 2, 9, 9))
    np.testing.assert_array_equal(nc.guided_backprop(model, x, [0, 2]),
                                  nc.input_gradient(model, x, [0, 2]))


@given(any_networks())
def test_guided_backprop_is_the_gradient_when_all_weights_are_non_negative(net):
    """With w >= 0 every gradient that reaches a ReLU is >= 0, so the guided rule drops nothing."""
    model, x, c = net
    for layer, p in model.parameters():
        setattr(layer, p, np.abs(getattr(layer, p)))
    np.testing.assert_array_equal(nc.guided_backprop(model, x, c), nc.input_gradient(model, x, c))


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=30), seeds)
def test_guided_relu_zeroes_exactly_where_input_or_gradient_is_not_positive(values, seed):
    x = np.array(values)[None]
    dout = np.random.default_rng(seed).standard_normal(x.shape)
    dout[0, ::3] = 0.0
    relu = nc.ReLU()
    relu.forward(x)
    got = relu.backward(dout, guided=True)
    keep = (x > 0) & (dout > 0)
    np.testing.assert_array_equal(got[keep], dout[keep])
    np.testing.assert_array_equal(got[~keep], 0.0)


@given(any_networks())
def test_every_function_gives_the_same_answer_one_by_one_and_as_a_batch(net):
    model, x, c = net
    fns = [nc.grad_cam, nc.guided_backprop, nc.guided_grad_cam, nc.input_gradient]
    if isinstance(model.layers[-2], nc.GlobalAvgPool2D):
        fns.append(nc.cam)
    for fn in fns:
        together = fn(model, x, c)
        alone = np.concatenate([fn(model, x[i : i + 1], int(c[i])) for i in range(len(x))])
        close(together, alone, rtol=1e-12)


def test_guided_grad_cam_is_the_product_of_its_two_parts():
    model = nc.gap_cnn(widths=(4, 8), seed=2).astype(np.float64)
    x = np.random.default_rng(0).random((2, 3, 16, 16))
    L = nc.upsample(nc.grad_cam(model, x, 1), (16, 16))
    np.testing.assert_allclose(nc.guided_grad_cam(model, x, 1),
                               nc.guided_backprop(model, x, 1) * L[:, None])


def test_cam_refuses_a_network_without_a_gap_head_and_points_to_grad_cam():
    model = nc.fc_cnn(seed=0)
    x = np.zeros((1, 3, 64, 64), dtype=np.float32)
    with pytest.raises(ValueError, match="grad_cam"):
        nc.cam(model, x, 0)
    assert nc.grad_cam(model, x, 0).shape == (1, 8, 8)


def test_grad_cam_layer_choice_and_errors():
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    x = np.random.default_rng(0).random((2, 3, 16, 16)).astype(np.float32)
    assert nc.grad_cam(model, x, 0).shape == (2, 8, 8)  # default: relu2, the map fed to GAP
    assert nc.grad_cam(model, x, 0, layer="conv1").shape == (2, 16, 16)
    assert nc.grad_cam(model, x, 0, layer=0).shape == (2, 16, 16)
    with pytest.raises(KeyError, match="conv1"):
        nc.grad_cam(model, x, 0, layer="conv9")
    with pytest.raises(ValueError, match="4-D"):
        nc.grad_cam(model, x, 0, layer="fc")
    with pytest.raises(ValueError, match="out of range"):
        nc.grad_cam(model, x, 4)
    with pytest.raises(ValueError, match="2 images"):
        nc.grad_cam(model, x, [0, 1, 2])


def test_explanations_leave_parameter_gradients_alone():
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    x = np.random.default_rng(0).random((2, 3, 16, 16)).astype(np.float32)
    nc.grad_cam(model, x, 1)
    nc.guided_backprop(model, x, 1)
    assert all(getattr(layer, "d" + p) is None for layer, p in model.parameters())
