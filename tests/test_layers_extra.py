"""The mobile-CNN layers (BatchNorm2D, DepthwiseConv2D, ZeroPad2D, ReLU6, Block, Residual).

Gradients: float64 central differences projected on a random ``dout`` (never all ones), norm-wise
relative error below 1e-7, as in test_layers.py. The fast depthwise path is compared with the
defining loops, forward and backward.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.nn.gradcheck import numerical_gradient, rel_error
from numpycam.ops import depthwise as dw
from numpycam.ops import depthwise_fast as dwf

TOL = 1e-7
seeds = st.integers(0, 2**32 - 1)


def check_layer(layer, x, rng, params=None, what=""):
    """dx and every parameter gradient of ``layer`` at ``x`` against finite differences."""
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    f = lambda: layer.forward(x)  # noqa: E731
    # A gradient that is nearly zero by chance (BatchNorm's dgamma = sum dout * x_hat over a few
    # numbers can be) has a meaningless relative error; there the test asks the absolute error to
    # stay within the rounding of the central difference itself, ~eps * sum|out * dout| / h.
    floor = 100 * np.finfo(np.float64).eps * np.abs(out * dout).sum() / 1e-6
    pairs = [("x", dx, numerical_gradient(f, x, dout))]
    pairs += [(p, getattr(layer, "d" + p), numerical_gradient(f, getattr(layer, p), dout))
              for p in (layer.param_names if params is None else params)]
    for p, analytic, numeric in pairs:
        err = rel_error(analytic, numeric)
        assert err < TOL or np.linalg.norm(analytic - numeric) < floor, \
            f"{what} d{p}: relative error {err:.2e}, absolute {np.linalg.norm(analytic - numeric):.1e}"


def away_from(rng, shape, points=(0.0, 6.0), margin=1e-3):
    """Normal samples times 4 with no entry within ``margin`` of a kink of ReLU6."""
    x = rng.standard_normal(shape) * 4
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + 2 * margin
    return x


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), seeds)
def test_batchnorm_train_mode_backward(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    # With M = 2 numbers per channel the normalised outputs are +-1 whatever x is: the true
    # gradient is ~eps-small and a relative error means nothing there, so M >= 4.
    h, w = max(h, 2), max(w, 2)
    bn = nc.BatchNorm2D(c, eps=1e-3, dtype=np.float64)
    bn.gamma, bn.beta = rng.standard_normal(c), rng.standard_normal(c)
    x = rng.standard_normal((n, c, h, w)) * 3 + 1
    check_layer(bn, x, rng, what="BatchNorm2D train")


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), seeds)
def test_batchnorm_eval_mode_backward(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    bn = nc.BatchNorm2D(c, dtype=np.float64).eval()
    bn.gamma, bn.beta = rng.standard_normal(c), rng.standard_normal(c)
    bn.running_mean, bn.running_var = rng.standard_normal(c), rng.random(c) + 0.1
    check_layer(bn, rng.standard_normal((n, c, h, w)), rng, what="BatchNorm2D eval")


def test_batchnorm_statistics_and_running_averages():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 6)) * np.array([1, 2, 3])[:, None, None] + 5
    bn = nc.BatchNorm2D(3, eps=1e-5, momentum=0.25, dtype=np.float64)
    out = bn.forward(x)
    # normalised per channel: mean 0, (biased) variance var / (var + eps) ~ 1
    assert np.allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-4)
    M = 4 * 5 * 6
    ref_mean = 0.25 * x.mean(axis=(0, 2, 3))
    ref_var = 0.75 + 0.25 * x.var(axis=(0, 2, 3)) * M / (M - 1)
    assert np.allclose(bn.running_mean, ref_mean) and np.allclose(bn.running_var, ref_var)
    bn.eval()
    before = bn.running_mean.copy()
    y = bn.forward(x)  # eval: the fixed affine map with the running averages, no update
    assert np.array_equal(bn.running_mean, before)
    assert np.allclose(y, (x - ref_mean[:, None, None]) / np.sqrt(ref_var[:, None, None] + 1e-5))


def test_batchnorm_refuses_one_number_per_channel_in_training():
    with pytest.raises(ValueError, match="eval"):
        nc.BatchNorm2D(2).forward(np.ones((1, 2, 1, 1), np.float32))
    assert nc.BatchNorm2D(2).eval().forward(np.ones((1, 2, 1, 1), np.float32)).shape == (1, 2, 1, 1)


dw_cases = st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 5), st.integers(1, 3),
                     st.tuples(*[st.integers(0, 2)] * 4), st.integers(0, 4), st.integers(0, 4), seeds)


@given(dw_cases, st.sampled_from([None, False, True]))
def test_depthwise_fast_path_equals_the_loops(case, channels_last):
    n, c, k, s, pad, eh, ew, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, max(1, k + eh - pad[0] - pad[1]), max(1, k + ew - pad[2] - pad[3])))
    W, b = rng.standard_normal((c, k, k)), rng.standard_normal(c)
    if x.shape[2] + pad[0] + pad[1] < k or x.shape[3] + pad[2] + pad[3] < k:
        return
    out, cache = dwf.depthwise_forward(x, W, b, s, pad, channels_last=channels_last)
    ref, ref_cache = dw.depthwise_forward_naive(x, W, b, s, pad)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(dwf.depthwise_backward(dout, cache), dw.depthwise_backward_naive(dout, ref_cache),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(dw_cases)
def test_depthwise_backward_matches_finite_differences(case):
    n, c, k, s, pad, eh, ew, seed = case
    rng = np.random.default_rng(seed)
    layer = nc.DepthwiseConv2D(c, k, stride=s, padding=pad, rng=rng, dtype=np.float64)
    layer.b = rng.standard_normal(c)
    x = rng.standard_normal((n, c, k + eh, k + ew))
    check_layer(layer, x, rng, what="DepthwiseConv2D")


def test_depthwise_without_bias_and_only_input_gradient():
    rng = np.random.default_rng(1)
    layer = nc.DepthwiseConv2D(3, 3, stride=2, padding=(0, 1, 0, 1), bias=False, dtype=np.float64)
    assert layer.param_names == ("W",) and layer.b is None
    x = rng.standard_normal((2, 3, 8, 8))
    out = layer.forward(x)
    assert out.shape == (2, 3, 4, 4)
    ref, _ = dw.depthwise_forward_naive(x, layer.W, None, 2, (0, 1, 0, 1))
    np.testing.assert_allclose(out, ref, atol=1e-12)
    dx = layer.backward(np.ones_like(out), param_grads=False)
    assert dx.shape == x.shape and layer.dW is None


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 4))
def test_same_padding_gives_ceil_size_over_stride(size, kernel, stride):
    before, after = nc.same_padding(size, kernel, stride)
    assert after - before in (0, 1)  # the odd extra goes after
    out = (size + before + after - kernel) // stride + 1
    assert out == -(-size // stride) or before + after == 0


def test_same_padding_known_values():
    # TensorFlow's rule for the stride-2 layers of EfficientNet at 224: 3x3 -> (0, 1), 5x5 -> (1, 2)
    assert nc.same_padding(224, 3, 2) == (0, 1)
    assert nc.same_padding(112, 5, 2) == (1, 2)
    assert nc.same_padding(56, 5, 1) == (2, 2)
    assert nc.same_padding(7, 1, 1) == (0, 0)


@given(st.tuples(*[st.integers(0, 2)] * 4), st.integers(1, 3), st.integers(1, 4), seeds)
def test_zeropad_forward_and_backward(pad, h, w, seed):
    rng = np.random.default_rng(seed)
    layer = nc.ZeroPad2D(*pad)
    x = rng.standard_normal((2, 2, h, w))
    out = layer.forward(x)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), pad[:2], pad[2:])))
    check_layer(layer, x, rng, what="ZeroPad2D")


@given(st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)), seeds)
def test_relu6_backward_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    check_layer(nc.ReLU6(), away_from(rng, shape), rng, what="ReLU6")


def test_relu6_values_and_guided_rule():
    x = np.array([[-1.0, 0.0, 0.5, 5.9, 6.0, 7.0, 3.0]])
    dout = np.array([[2.0, 2.0, 2.0, -3.0, 2.0, 2.0, 4.0]])
    r = nc.ReLU6()
    np.testing.assert_array_equal(r.forward(x), [[0, 0, 0.5, 5.9, 6, 6, 3]])
    np.testing.assert_array_equal(r.backward(dout), [[0, 0, 2, -3, 0, 0, 4]])
    np.testing.assert_array_equal(r.backward(dout, guided=True), [[0, 0, 2, 0, 0, 0, 4]])


def mbconv(c, expand, name_bn=True):
    """A small inverted-residual body: 1x1 expand, BN, ReLU6, 3x3 depthwise, BN, ReLU6, 1x1 project, BN."""
    rng = np.random.default_rng(3)
    e = c * expand
    return [("expand_conv", nc.Conv2D(c, e, 1, bias=False, rng=rng, dtype=np.float64)),
            ("expand_bn", nc.BatchNorm2D(e, dtype=np.float64)), ("expand_relu", nc.ReLU6()),
            ("depthwise_conv", nc.DepthwiseConv2D(e, 3, padding=1, bias=False, rng=rng, dtype=np.float64)),
            ("depthwise_bn", nc.BatchNorm2D(e, dtype=np.float64)), ("depthwise_relu", nc.ReLU6()),
            ("project_conv", nc.Conv2D(e, c, 1, bias=False, rng=rng, dtype=np.float64)),
            ("project_bn", nc.BatchNorm2D(c, dtype=np.float64))]


def small_net(rng):
    model = nc.Sequential([
        ("stem_pad", nc.ZeroPad2D(0, 1, 0, 1)),
        ("stem_conv", nc.Conv2D(2, 3, 3, stride=2, bias=False, rng=rng, dtype=np.float64)),
        ("stem_bn", nc.BatchNorm2D(3, dtype=np.float64)), ("stem_relu", nc.ReLU6()),
        ("block1", nc.Residual(mbconv(3, 2))),
        ("block2", nc.Block([("inner", nc.Residual(mbconv(3, 1)))])),
        ("gap", nc.GlobalAvgPool2D()), ("fc", nc.Dense(3, 4, rng=rng, dtype=np.float64)),
    ])
    for lay in model.parameters(False):
        layer, p = lay
        setattr(layer, p, rng.standard_normal(getattr(layer, p).shape) * 0.5 + (p == "gamma"))
    for _, layer in model._walk(False):
        if isinstance(layer, nc.BatchNorm2D):
            layer.running_mean = rng.standard_normal(layer.channels) * 0.1
            layer.running_var = rng.random(layer.channels) + 0.5
    return model


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_nested_blocks_whole_model_gradients(mode):
    """Every nested parameter's gradient and dx of a model with Residual blocks inside a Block."""
    rng = np.random.default_rng(7)
    model = small_net(rng).train(mode == "train")
    x = rng.standard_normal((2, 2, 6, 6))
    scores = model.forward(x)
    dS = rng.standard_normal(scores.shape)
    dx = model.backward(dS)
    f = lambda: model.forward(x)  # noqa: E731
    assert rel_error(dx, numerical_gradient(f, x, dS)) < 1e-6
    for layer, p in model.parameters():
        err = rel_error(getattr(layer, "d" + p), numerical_gradient(f, getattr(layer, p), dS))
        assert err < 1e-6, f"{layer.name} d{p}: {err:.2e}"


def test_residual_is_x_plus_block_and_sums_both_paths():
    rng = np.random.default_rng(0)
    body = [("scale", nc.DepthwiseConv2D(2, 1, bias=False, dtype=np.float64))]
    res = nc.Residual(body)
    res.body["scale"].W = np.array([[[2.0]], [[-3.0]]])
    x = rng.standard_normal((1, 2, 3, 3))
    np.testing.assert_allclose(res.forward(x), x * np.array([3.0, -2.0])[:, None, None])
    dout = rng.standard_normal(x.shape)
    np.testing.assert_allclose(res.backward(dout), dout * np.array([3.0, -2.0])[:, None, None])
    with pytest.raises(ValueError, match="keep the shape"):
        nc.Residual([nc.DepthwiseConv2D(2, 3)]).forward(x)


def test_state_paths_train_eval_and_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    model = small_net(rng)
    state = model.state()
    assert "block1/expand_conv/W" in state and "block2/inner/project_bn/running_var" in state
    assert "block1/expand_conv/b" not in state  # bias=False
    assert model.training and all(lay.training for _, lay in model._walk(False))
    assert model.eval() is model and not any(lay.training for _, lay in model._walk(False))
    assert model.locate("block2/inner/project_bn").training is False
    x = rng.standard_normal((2, 2, 6, 6))
    before = model.forward(x)
    loaded = nc.load(nc.save(model, tmp_path / "m.npz")).astype(np.float64)
    assert loaded.state().keys() == state.keys()
    assert not loaded.training  # the mode is saved: an eval model loads in eval mode
    np.testing.assert_array_equal(loaded.forward(x), before)
    assert nc.load(nc.save(model.train(), tmp_path / "t.npz")).training
    # a trained-mode forward moves the running averages; eval mode does not
    loaded.train().forward(x)
    assert not np.array_equal(loaded.locate("block1/expand_bn").running_mean,
                              model.locate("block1/expand_bn").running_mean)
    assert "Residual" in repr(loaded) and "project_bn" in repr(loaded)


def test_frozen_block_hides_its_parameters():
    model = small_net(np.random.default_rng(1))
    n_all = len(model.parameters())
    model.freeze("block1")
    frozen = {lay.name for lay, _ in model.parameters()}
    assert len(model.parameters()) < n_all and "expand_conv" in frozen  # block2's copy stays
    assert model.in_channels == 2


def test_grad_cam_targets_a_block_by_name():
    rng = np.random.default_rng(2)
    model = small_net(rng).eval()
    x = rng.standard_normal((2, 2, 6, 6))
    L = nc.grad_cam(model, x, [0, 1], layer="block1")
    assert L.shape == (2, 3, 3) and np.all(L >= 0)
    # Grad-CAM at the map that feeds GAP equals ReLU(CAM) / Z (the identity of the post)
    g = nc.grad_cam(model, x, [0, 1], layer="block2")
    np.testing.assert_allclose(g, np.maximum(nc.cam(model, x, [0, 1]), 0) / 9, atol=1e-12)


def test_optimiser_keeps_one_state_per_nested_parameter_and_training_lowers_the_loss():
    """Layer names repeat across blocks (expand_conv in block1 and in block2/inner): the
    optimiser's state must be keyed by the full path, or two parameters would share momentum."""
    rng = np.random.default_rng(11)
    model = small_net(rng).train()
    x = rng.standard_normal((8, 2, 6, 6))
    y = rng.integers(0, 4, 8)
    opt = nc.SGD(model, lr=0.05, momentum=0.9)
    losses = []
    for _ in range(30):
        loss, dS = nc.softmax_cross_entropy(model.forward(x), y)
        model.backward(dS)
        opt.step()
        losses.append(loss)
    assert {"block1/expand_conv/W", "block2/inner/expand_conv/W"} <= set(opt.state)
    assert len(opt.state) == len(model.parameters())
    assert losses[-1] < 0.5 * losses[0]


def test_a_bad_nested_layer_in_a_file_is_a_clear_error(tmp_path):
    import json

    model = nc.Sequential([("block1", nc.Residual([("bn", nc.BatchNorm2D(2))])), ("gap", nc.GlobalAvgPool2D()),
                           ("fc", nc.Dense(2, 2))])
    path = nc.save(model, tmp_path / "m.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(str(arrays["__numpycam__"]))
    header["layers"][0]["config"]["layers"][0]["type"] = "Evil"
    arrays["__numpycam__"] = np.array(json.dumps(header))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="unknown layer type 'Evil'"):
        nc.load(tmp_path / "bad.npz")
    del arrays["block1/bn/running_var"]
    arrays["__numpycam__"] = np.array(json.dumps(json.loads(str(np.load(path)["__numpycam__"]))))
    np.savez(tmp_path / "missing.npz", **arrays)
    with pytest.raises(ValueError, match="running_var"):
        nc.load(tmp_path / "missing.npz")


@given(st.integers(1, 2), st.integers(1, 3), st.integers(2, 5), st.integers(2, 5), st.booleans(), seeds)
def test_residual_block_gradients_for_any_shape(n, c, h, w, training, seed):
    """x + [depthwise 3x3, BN, ReLU6, 1x1 conv](x) inside a Block: dx and every nested gradient."""
    rng = np.random.default_rng(seed)
    body = [("dw", nc.DepthwiseConv2D(c, 3, padding=1, rng=rng, dtype=np.float64)),
            ("bn", nc.BatchNorm2D(c, dtype=np.float64)), ("relu", nc.ReLU6()),
            ("pw", nc.Conv2D(c, c, 1, rng=rng, dtype=np.float64))]
    block = nc.Block([("res", nc.Residual(body))]).train(training)
    inner = block.body["res"].body
    inner["bn"].gamma, inner["bn"].beta = rng.random(c) + 0.5, rng.standard_normal(c)
    inner["bn"].running_var = rng.random(c) + 0.5
    x = rng.standard_normal((n, c, h, w))
    out = block.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = block.backward(dout)
    f = lambda: block.forward(x)  # noqa: E731
    assert rel_error(dx, numerical_gradient(f, x, dout)) < 1e-6
    for layer in inner:
        for p in layer.param_names:
            analytic, numeric = getattr(layer, "d" + p), numerical_gradient(f, getattr(layer, p), dout)
            if training and (layer.name, p) == ("dw", "b"):
                # a per-channel constant before training-mode BN is subtracted again with the
                # batch mean: its true gradient is 0, so only the size of both can be checked
                assert np.abs(analytic).max() < 1e-9 and np.abs(numeric).max() < 1e-6
                continue
            err = rel_error(analytic, numeric)
            assert err < 1e-6, f"{layer.name} d{p}: {err:.2e}"
