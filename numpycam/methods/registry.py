"""The registry of CAM-family methods: one entry per method, read by everything that needs them all.

``METHODS[name]`` is a :class:`Method`; the dict is in display order (CAM first). Every
``function`` is called alike, ``function(model, x, c, layer=None)`` -> maps (N, h, w), plus the
keywords ``details=True`` (an Explanation), ``batch_size=`` and, except for cam, ``relu=``. The
evaluation (numpycam.evaluation.evaluate), the bench, the lessons and the commands iterate over
this dict, so adding a method means adding its file under numpycam/methods and one entry here.

What a method ``needs`` says what one map costs:

    gap_head        one forward pass, and a network whose maps feed GAP and one Dense (CAM)
    gradients       one forward and one backward pass (f and g = dS^c/df at the layer)
    activations     one forward pass; no class, no gradient (Eigen-CAM)
    forward passes  one forward pass per channel and image, with the image masked (Score-CAM)

``weights`` is the method's weight rule ``(f, g) -> (N, K)`` or per position ``(N, K, h, w)``,
so that ``weighted_sum(f, weights(f, g))``, then the ReLU if ``relu``, is the map; it is None
where the method is not a rule on (f, g): CAM takes the Dense weights w_k^c, Score-CAM needs
masked forward passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from numpycam.methods import (
    eigen_cam,
    eigen_cam_weights,
    grad_cam_plus_plus,
    grad_cam_plus_plus_weights,
    hires_cam,
    hires_cam_weights,
    layer_cam,
    layer_cam_weights,
    score_cam,
    xgrad_cam,
    xgrad_cam_weights,
)
from numpycam.methods.base import weighted_sum
from numpycam.methods.cam import cam
from numpycam.methods.grad_cam import grad_cam, grad_cam_weights

NEEDS = ("gap_head", "gradients", "activations", "forward passes")


class Paper(NamedTuple):
    title: str
    authors: str
    year: int


@dataclass(frozen=True)
class Method:
    """One method: how to call it, its weight rule, its cost, its default ReLU, its paper.

    name      the key in METHODS and the name of the public function, e.g. "grad_cam"
    label     how figures and tables print it, e.g. "Grad-CAM"
    function  ``function(model, x, c, layer=None)`` -> maps (N, h, w); for cam ``layer`` must be
              None or the layer that feeds GAP, the only one where CAM is defined
    weights   the rule (f, g) -> (N, K) or (N, K, h, w), or None (see the module docstring)
    needs     one of NEEDS: what computing a map costs
    relu      whether ``function`` applies a final ReLU by default
    rule      the weight in one line of the post's notation, for tables and help texts
    paper     title, authors, year
    class_specific  False for a method whose map ignores c (Eigen-CAM)
    """

    name: str
    label: str
    function: Callable
    weights: Callable | None
    needs: str
    relu: bool
    rule: str
    paper: Paper
    class_specific: bool = True

    def __post_init__(self):
        if self.needs not in NEEDS:
            raise ValueError(f"method {self.name!r}: needs must be one of {NEEDS}, "
                             f"got {self.needs!r}")

    def map_from(self, f: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The method's map from f (N, K, h, w) and g = dS^c/df: sum_k weight_k f_k with its
        weight rule, then its default ReLU. (N, h, w). For a caller that already has f and g
        (one backward pass shared by several methods or layers); needs a weight rule."""
        if self.weights is None:
            raise ValueError(f"{self.name} has no weight rule on (f, g); call its function")
        L = weighted_sum(f, self.weights(f, g))  # (N, h, w)
        return np.maximum(L, 0) if self.relu else L


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("cam", "CAM", cam, None, "gap_head", False, "w_k^c, the Dense weight",
           Paper("Learning Deep Features for Discriminative Localization",
                 "Zhou, Khosla, Lapedriza, Oliva, Torralba", 2016)),
    Method("grad_cam", "Grad-CAM", grad_cam, grad_cam_weights, "gradients", True,
           "a_k^c = (1/Z) sum_ij g_k(i, j)",
           Paper("Grad-CAM: Visual Explanations from Deep Networks via Gradient-based "
                 "Localization", "Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra", 2017)),
    Method("hires_cam", "HiResCAM", hires_cam, hires_cam_weights, "gradients", True,
           "g_k(i, j), per position",
           Paper("Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional "
                 "neural networks", "Draelos, Carin", 2020)),
    Method("grad_cam_plus_plus", "Grad-CAM++", grad_cam_plus_plus, grad_cam_plus_plus_weights,
           "gradients", True,
           "sum_ij alpha_k(i, j) ReLU(g_k(i, j)), alpha = g^2 / (2 g^2 + sum_ab f_k(a, b) g^3)",
           Paper("Grad-CAM++: Generalized Gradient-Based Visual Explanations for Deep "
                 "Convolutional Networks",
                 "Chattopadhay, Sarkar, Howlader, Balasubramanian", 2018)),
    Method("xgrad_cam", "XGrad-CAM", xgrad_cam, xgrad_cam_weights, "gradients", True,
           "sum_ij (f_k(i, j) / sum_ab f_k(a, b)) g_k(i, j)",
           Paper("Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs",
                 "Fu, Hu, Dong, Guo, Gao, Li", 2020)),
    Method("layer_cam", "LayerCAM", layer_cam, layer_cam_weights, "gradients", True,
           "ReLU(g_k(i, j)), per position",
           Paper("LayerCAM: Exploring Hierarchical Class Activation Maps for Localization",
                 "Jiang, Zhang, Hou, Cheng, Wei", 2021)),
    Method("score_cam", "Score-CAM", score_cam, None, "forward passes", True,
           "softmax_k(S^c(x * normalize(upsample(f_k))) - S^c(0))",
           Paper("Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural "
                 "Networks", "Wang, Wang, Du, Yang, Zhang, Ding, Mardziel, Hu", 2020)),
    Method("eigen_cam", "Eigen-CAM", eigen_cam, eigen_cam_weights, "activations", False,
           "v_k, the first right singular vector of f as a (Z x K) matrix",
           Paper("Eigen-CAM: Class Activation Map using Principal Components",
                 "Muhammad, Yeasin", 2020), class_specific=False),
)}
