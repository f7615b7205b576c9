"""Sanity checks for saliency maps: does the map change when the model does?

Adebayo, Gilmer, Muelly, Goodfellow, Hardt, Kim, "Sanity Checks for Saliency Maps" (NeurIPS
2018). A map that explains the model must depend on the model's weights and on the labels it
learnt from. Two tests:

    cascading    re-initialise the parameter layers from the top down, one more each step
                 (fc; fc + conv4; fc + conv4 + conv3; ...), and compute every map again
    independent  re-initialise one parameter layer at a time, the others trained
    data         train the same network on randomly permuted labels (numpycam.evaluation.sanity_data)

and compare each new map L' with the original L of the same image and class c:

    spearman      rank correlation of L and L' over the pixels (scipy.stats.spearmanr)
    spearman_abs  the same on |L| and |L'|
    ssim          structural similarity (:func:`ssim`) of normalize(L) and normalize(L')

Maps are compared at the image size (upsampled), one number per image, averaged. A map that is
constant has no ranks to agree on: its correlation counts as 0 (and scipy is not asked).
Re-initialising draws the weights as the layers' constructors do (He-normal W, zero b).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
from scipy import ndimage, stats

from numpycam.methods.guided import guided_backprop, guided_grad_cam
from numpycam.methods.postprocess import normalize, upsample
from numpycam.methods.registry import METHODS

__all__ = ["INPUT_MAPS", "Randomisation", "cascading", "compare", "independent", "maps_of",
           "parameter_layers", "randomized", "spearman", "ssim"]

# maps in input space (N, C, H, W), summed over the colour channels: not CAM-family methods,
# the registry does not hold them, but the paper's point is about them
INPUT_MAPS = {"guided_backprop": lambda model, x, c: guided_backprop(model, x, c).sum(axis=1),
              "guided_grad_cam": lambda model, x, c: guided_grad_cam(model, x, c).sum(axis=1)}


def parameter_layers(model) -> list[str]:
    """Names of the layers that hold parameters, from input to output."""
    return [layer.name for layer in model.layers if layer.param_names]


def randomized(model, names, seed: int = 0):
    """A copy of ``model`` whose layers ``names`` have fresh random weights (He-normal W, as
    the constructors draw them: std sqrt(2 / fan_in); b = 0); the rest is the trained model."""
    out = copy.deepcopy(model)
    rng = np.random.default_rng(seed)
    for name in names:
        layer = out[name]
        for p in layer.param_names:
            old = getattr(layer, p)
            if p == "W":
                fan_in = int(np.prod(old.shape[1:]))
                new = rng.standard_normal(old.shape) * np.sqrt(2.0 / fan_in)
            else:
                new = np.zeros(old.shape)
            setattr(layer, p, new.astype(old.dtype))
    return out


def maps_of(model, x, c, methods, size) -> dict[str, np.ndarray]:
    """{method: maps (N, H, W) upsampled to ``size``} for registry names and INPUT_MAPS names."""
    out = {}
    for name in methods:
        fn = INPUT_MAPS.get(name)
        m = fn(model, x, c) if fn else METHODS[name].function(model, x, c)
        out[name] = upsample(np.asarray(m, dtype=np.float64), size)
    return out


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps of one shape; 0 if either is constant."""
    a, b = np.ravel(a), np.ravel(b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(stats.spearmanr(a, b).statistic)


def ssim(a: np.ndarray, b: np.ndarray, *, win: int = 7, data_range: float = 1.0) -> float:
    """Structural similarity of two maps (H, W) (Wang, Bovik, Sheikh, Simoncelli 2004, "Image
    Quality Assessment: From Error Visibility to Structural Similarity", Eq. 13):

        SSIM(p) = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2))

    with mu, s^2, s_ab the mean, variance and covariance over the win x win window around p
    (unbiased: times P / (P - 1), P = win^2), C1 = (0.01 L)^2, C2 = (0.03 L)^2, L =
    ``data_range``; the mean of SSIM(p) over the positions whose window lies inside the image
    (borders of (win - 1) / 2 cropped). These are the choices of scikit-image's
    ``structural_similarity`` with its defaults, so the two agree. 1 for identical maps.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 2 or min(a.shape) < win:
        raise ValueError(f"ssim needs two maps (H, W) of one shape, at least {win} x {win}; "
                         f"got {a.shape} and {b.shape}")
    def mean(z):
        return ndimage.uniform_filter(z, size=win, mode="reflect")

    unbiased = win * win / (win * win - 1)
    mu_a, mu_b = mean(a), mean(b)
    var_a = unbiased * (mean(a * a) - mu_a * mu_a)
    var_b = unbiased * (mean(b * b) - mu_b * mu_b)
    cov = unbiased * (mean(a * b) - mu_a * mu_b)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
         / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))
    p = (win - 1) // 2
    return float(s[p:-p, p:-p].mean())


def compare(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """Mean over images of spearman, spearman_abs and ssim of maps (N, H, W) before / after."""
    pairs = list(zip(before, after, strict=True))
    return {"spearman": float(np.mean([spearman(a, b) for a, b in pairs])),
            "spearman_abs": float(np.mean([spearman(np.abs(a), np.abs(b)) for a, b in pairs])),
            "ssim": float(np.mean([ssim(normalize(a), normalize(b)) for a, b in pairs]))}


class Randomisation(NamedTuple):
    """What one randomisation test measured.

    steps    labels of the columns: "original", then what was randomised at each step
    scores   {method: {measure: (S,) array}}, step 0 (the original against itself) included
    maps     {method: (S, H, W)} the maps of the first image at every step, for figures
    """

    steps: list[str]
    scores: dict
    maps: dict


def _run(model, x, c, methods, step_layers, labels, seed) -> Randomisation:
    size = x.shape[2:]
    methods = list(methods if methods is not None else [*METHODS, *INPUT_MAPS])
    base = maps_of(model, x, c, methods, size)
    scores = {m: {k: [v] for k, v in compare(base[m], base[m]).items()} for m in methods}
    firsts = {m: [base[m][0]] for m in methods}
    for names in step_layers:
        now = maps_of(randomized(model, names, seed), x, c, methods, size)
        for m in methods:
            for k, v in compare(base[m], now[m]).items():
                scores[m][k].append(v)
            firsts[m].append(now[m][0])
    return Randomisation(["original", *labels],
                         {m: {k: np.array(v) for k, v in d.items()} for m, d in scores.items()},
                         {m: np.stack(v) for m, v in firsts.items()})


def cascading(model, x, c, methods=None, *, seed: int = 0) -> Randomisation:
    """Re-initialise the parameter layers from the top down, one more at each step.

    x (N, C, H, W), c the classes explained (keep them fixed: the original model's choice);
    ``methods``: registry names and INPUT_MAPS names, by default all of both. Step s has the
    top s parameter layers random; its label is the lowest of them ("up to conv2").
    """
    top_down = parameter_layers(model)[::-1]
    steps = [top_down[: s + 1] for s in range(len(top_down))]
    return _run(model, x, c, methods, steps, [f"up to {t[-1]}" for t in steps], seed)


def independent(model, x, c, methods=None, *, seed: int = 0) -> Randomisation:
    """Re-initialise one parameter layer at a time (top down), every other layer trained."""
    top_down = parameter_layers(model)[::-1]
    return _run(model, x, c, methods, [[n] for n in top_down], [f"only {n}" for n in top_down],
                seed)
