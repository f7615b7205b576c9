"""Sanity checks (Adebayo et al. 2018): the similarity measures and the randomisations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.evaluation import sanity


def test_ssim_of_two_constant_maps_is_the_luminance_term():
    # mu = 1 and 0, no variance: SSIM = (2 * 1 * 0 + C1) / (1 + 0 + C1) * (0 + C2) / (0 + C2)
    c1 = 0.01**2
    assert sanity.ssim(np.ones((9, 9)), np.zeros((9, 9))) == pytest.approx(c1 / (1 + c1))


@given(st.integers(0, 10_000))
def test_ssim_is_one_for_equal_maps_symmetric_and_at_most_one(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.random((2, 12, 10))
    assert sanity.ssim(a, a) == pytest.approx(1.0)
    assert sanity.ssim(a, b) == pytest.approx(sanity.ssim(b, a))
    assert sanity.ssim(a, b) < 1
    assert sanity.ssim(a, 1 - a) < 0  # every local covariance negative


def test_spearman_sees_only_ranks():
    a = np.arange(20.0).reshape(4, 5)
    assert sanity.spearman(a, np.exp(a)) == pytest.approx(1.0)
    assert sanity.spearman(a, -a**3) == pytest.approx(-1.0)
    assert sanity.spearman(a, np.zeros_like(a)) == 0.0  # no ranks: counted as 0


def test_randomized_changes_only_the_layers_named_and_leaves_the_model_alone():
    model = nc.gap_cnn(widths=(4, 8, 8), seed=0)
    before = {k: v.copy() for k, v in model.state().items()}
    out = sanity.randomized(model, ["fc", "conv3"], seed=1)
    for key, value in model.state().items():
        np.testing.assert_array_equal(value, before[key])  # the original is untouched
    for key, value in out.state().items():
        changed = key.split("/")[0] in ("fc", "conv3") and key.endswith("W")  # b stays 0
        assert changed != np.array_equal(value, before[key]), key


@pytest.fixture(scope="module")
def cascade():
    model = nc.gap_cnn(widths=(4, 8, 8), seed=0)
    x = nc.data.shapes(3, seed=5, size=32).images
    return sanity.cascading(model, x, model.predict(x),
                            methods=["cam", "grad_cam", "eigen_cam", "guided_backprop"])


def test_cascading_has_a_step_per_parameter_layer_and_starts_at_one(cascade):
    assert cascade.steps == ["original", "up to fc", "up to conv3", "up to conv2", "up to conv1"]
    for d in cascade.scores.values():
        assert d["spearman"][0] == pytest.approx(1) and d["ssim"][0] == pytest.approx(1)
        assert all(len(v) == 5 for v in d.values())
    assert cascade.maps["cam"].shape == (5, 32, 32)


def test_a_class_free_map_ignores_the_dense_layer_and_cam_does_not(cascade):
    """Eigen-CAM never reads fc, so randomising fc alone leaves it exactly; CAM is w^c f."""
    assert cascade.scores["eigen_cam"]["spearman"][1] == pytest.approx(1.0)
    assert cascade.scores["cam"]["spearman"][1] < 0.99


def test_independent_randomises_one_layer_at_a_time():
    model = nc.gap_cnn(widths=(4, 8, 8), seed=0)
    x = nc.data.shapes(2, seed=5, size=32).images
    r = sanity.independent(model, x, model.predict(x), methods=["eigen_cam"])
    assert r.steps == ["original", "only fc", "only conv3", "only conv2", "only conv1"]
    assert r.scores["eigen_cam"]["spearman"][1] == pytest.approx(1.0)
    assert r.scores["eigen_cam"]["spearman"][2] < 0.99


def test_ssim_refuses_maps_smaller_than_its_window():
    with pytest.raises(ValueError, match="at least 7 x 7"):
        sanity.ssim(np.zeros((5, 5)), np.zeros((5, 5)))
