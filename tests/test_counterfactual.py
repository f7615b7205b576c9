"""Counterfactual Grad-CAM: the negated gradient's map, ReLU(-CAM) / Z on a GAP network."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from strategies import close, gap_networks

import numpycam as nc


@given(gap_networks())
def test_counterfactual_grad_cam_is_relu_of_minus_cam_over_z(net):
    model, x, c = net
    model.forward(x)
    Z = np.prod(model.activation(-3).shape[2:])  # positions of the maps that feed GAP
    expected = np.maximum(-nc.cam(model, x, c), 0) / Z  # computed from the Dense weights alone
    close(nc.grad_cam(model, x, c, counterfactual=True), expected)


@given(gap_networks())
def test_counterfactual_and_ordinary_maps_split_the_signed_map(net):
    """ReLU(L) - ReLU(-L) = L: the two maps are the positive and negative parts of one sum."""
    model, x, c = net
    signed = nc.grad_cam(model, x, c, relu=False)
    pos, neg = nc.grad_cam(model, x, c), nc.grad_cam(model, x, c, counterfactual=True)
    close(pos - neg, signed)
    assert not np.any((pos > 0) & (neg > 0))  # never both at one position


def test_counterfactual_weights_are_the_negated_gradient_weights():
    model = nc.pretrained("gap")
    x = nc.data.shapes(2, seed=3).images
    e = nc.grad_cam(model, x, [0, 1], details=True)
    ecf = nc.grad_cam(model, x, [0, 1], counterfactual=True, details=True)
    np.testing.assert_array_equal(ecf.weights, -e.weights)
