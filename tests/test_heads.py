"""A GAP head at an earlier layer (numpycam.train.heads): the post's way to a CAM away from the end.

The identities: the tuned network is the original network's layers up to the cut (the same
objects) followed by GAP + Dense, so its scores are the head applied to the stored maps; CAM of
the tuned network is taken at the cut layer and still satisfies mean(L_CAM) + b_c = S^c; training
the head moves the head's parameters only.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import close, seeds

import numpycam as nc
from numpycam.train.heads import stored_maps


def small(seed: int):
    model = nc.gap_cnn(widths=(4, 6, 8), seed=seed).astype(np.float64)
    rng = np.random.default_rng(seed)
    return model, rng.random((6, 3, 16, 16)), rng.integers(0, 4, 6)


@given(seeds, st.sampled_from(["conv1", "relu1", "pool1", "relu2", "pool2"]))
def test_the_tuned_network_is_the_head_on_the_stored_maps(seed, layer):
    model, x, c = small(seed)
    tuned = nc.gap_head_at(model, layer, seed=seed)
    assert tuned.names[:-2] == model.names[: model.index(layer) + 1]
    assert all(a is b for a, b in zip(tuned.layers[:-2], model.layers, strict=False))  # shared
    f = stored_maps(tuned, x, batch_size=4)  # two batches
    model.forward(x)
    close(f, model.activation(layer))  # the maps at the cut, unchanged by the cut
    W, b = tuned["fc"].W, tuned["fc"].b
    close(tuned.forward(x), f.mean(axis=(2, 3)) @ W.T + b)  # S^c = sum_k w_k^c F_k + b_c
    e = nc.cam(tuned, x, c, details=True)
    assert e.layer == model.names[model.index(layer)]
    close(e.maps.mean(axis=(1, 2)) + b[c], e.scores[np.arange(len(c)), c])


@given(seeds)
def test_fit_head_trains_the_head_only_and_lowers_the_loss(seed):
    model, x, _ = small(seed)
    x = np.repeat(x, 4, axis=0)
    y = np.arange(len(x)) % 4
    tuned = nc.gap_head_at(model, "relu2", seed=seed)
    before = {f"{lay.name}/{p}": getattr(lay, p).copy() for lay, p in model.parameters()}
    W0 = tuned["fc"].W.copy()
    history = nc.fit_head(tuned, x, y, epochs=30, lr=0.05, batch_size=8)
    after = {f"{lay.name}/{p}": getattr(lay, p) for lay, p in model.parameters()}
    assert all(np.array_equal(before[k], after[k]) for k in before)  # the donor is untouched
    assert not np.array_equal(W0, tuned["fc"].W)
    assert history["loss"][-1] < history["loss"][0]


def test_bad_layers_are_refused_with_the_layers_that_would_do():
    model, x, c = small(0)
    with pytest.raises(KeyError, match="conv1"):
        nc.gap_head_at(model, "conv9")
    for layer in ("gap", "fc"):
        with pytest.raises(ValueError, match="feature maps"):
            nc.gap_head_at(model, layer)
    with pytest.raises(ValueError, match="no conv layer"):
        nc.gap_head_at(model, "center")
    with pytest.raises(ValueError, match="feature maps"):
        nc.gap_head_at(nc.fc_cnn(seed=0), "flatten")
    with pytest.raises(ValueError, match="gap_head_at"):
        nc.fit_head(model.__class__(model.layers[:3]), x, c)
    with pytest.raises(TypeError, match="Sequential"):
        nc.gap_head_at("gap", "relu2")


def test_cam_at_another_layer_names_both_ways_out():
    model, x, c = small(0)
    with pytest.raises(ValueError, match="feed GAP and the final Dense") as err:
        nc.cam(model, x, c, layer="relu1")
    assert "grad_cam(model, x, c, layer='relu1')" in str(err.value)
    assert "gap_head_at(model, 'relu1')" in str(err.value)
    with pytest.raises(ValueError, match="gap_head_at"):
        nc.cam(nc.fc_cnn(seed=0), np.zeros((1, 3, 64, 64), np.float32), 0)
    # and the message's recipe works
    tuned = nc.gap_head_at(model, "relu1")
    assert nc.cam(tuned, x, c).shape == nc.grad_cam(model, x, c, layer="relu1").shape
