"""numpycam against PyTorch on the same network, the same weights and the same data.

    python benchmarks/vs_pytorch.py [--batch 64] [--size 64] [--threads 2] [--repeats 15]

Builds numpycam's default ``gap_cnn`` in PyTorch layer by layer, copies every W and b into it,
checks that both compute the same scores, loss and parameter gradients, then times one training
step (forward + softmax cross-entropy + backward, float32, no optimiser update) of each,
alternating the two so that both see the same machine load, and prints the medians and ratio.
PyTorch is not a dependency of numpycam; without it this script says how to install it and
exits 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


def _threads(argv) -> int:
    """--threads N from the command line (default 2), read before NumPy starts its BLAS."""
    for i, arg in enumerate(argv):
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
    return 2


# Both libraries get the same number of threads: PyTorch by torch.set_num_threads, NumPy's BLAS
# by these variables, which it reads once, at import.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_threads(sys.argv[1:]))

import numpy as np  # noqa: E402

try:  # noqa: E402
    import torch
    from torch import nn
except ImportError:  # optional comparison
    torch = None

import numpycam as nc  # noqa: E402
from numpycam.nn.losses import softmax_cross_entropy  # noqa: E402

INSTALL_HINT = """PyTorch is not installed, so there is nothing to compare with.
Install the CPU build in a separate virtual environment, e.g.

    python3 -m venv torchvenv
    torchvenv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    torchvenv/bin/pip install numpy scipy matplotlib
    torchvenv/bin/pip install -e . --no-deps
    torchvenv/bin/python benchmarks/vs_pytorch.py
"""


class Center(nn.Module if torch else object):
    """numpycam's Center layer: subtract each image's per-channel mean."""

    def forward(self, x):
        return x - x.mean(dim=(2, 3), keepdim=True)


def to_torch(model: nc.Sequential):
    """The same network in PyTorch, with numpycam's weights copied in (float32)."""
    mods = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Center":
            mods.append(Center())
        elif kind == "Conv2D":
            conv = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                             stride=layer.stride, padding=layer.padding)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.asarray(layer.W, np.float32)))
                conv.bias.copy_(torch.from_numpy(np.asarray(layer.b, np.float32)))
            mods.append(conv)
        elif kind == "ReLU":
            mods.append(nn.ReLU())
        elif kind == "MaxPool2D":
            mods.append(nn.MaxPool2d(layer.size, layer.stride))
        elif kind == "GlobalAvgPool2D":
            mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        elif kind == "Flatten":
            mods.append(nn.Flatten())
        elif kind == "Dense":
            lin = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.asarray(layer.W, np.float32)))
                lin.bias.copy_(torch.from_numpy(np.asarray(layer.b, np.float32)))
            mods.append(lin)
        else:
            raise ValueError(f"no PyTorch equivalent written for layer type {kind}")
    return nn.Sequential(*mods)


def numpy_step(model, x, y):
    scores = model.forward(x)
    loss, dscores = softmax_cross_entropy(scores, y)
    model.backward(dscores, input_grad=False)
    return scores, loss


def torch_step(tmodel, tx, ty):
    for p in tmodel.parameters():
        p.grad = None
    scores = tmodel(tx)
    loss = nn.functional.cross_entropy(scores, ty)
    loss.backward()
    return scores, loss


def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def check_same(model, tmodel, x, y, tol: float = 2e-3) -> None:
    """Scores, loss and every parameter gradient agree (float32 round-off apart)."""
    scores, loss = numpy_step(model, x, y)
    tscores, tloss = torch_step(tmodel, torch.from_numpy(x), torch.from_numpy(y))
    checks = [("scores", scores, tscores.detach().numpy()), ("loss", loss, tloss.item())]
    tparams = [m for m in tmodel if isinstance(m, (nn.Conv2d, nn.Linear))]
    nparams = [lay for lay in model.layers if lay.param_names]
    for lay, m in zip(nparams, tparams, strict=True):
        checks += [(f"{lay.name}.dW", lay.dW, m.weight.grad.numpy()),
                   (f"{lay.name}.db", lay.db, m.bias.grad.numpy())]
    worst = max(checks, key=lambda c: rel_err(c[1], c[2]))
    print(f"same results: {len(checks)} arrays compared (scores, loss, every dW and db); "
          f"largest relative difference {rel_err(worst[1], worst[2]):.1e} ({worst[0]})")
    bad = [name for name, a, b in checks if rel_err(a, b) > tol]
    if bad:
        raise SystemExit(f"numpycam and PyTorch disagree on {bad}: not timing different maths")


def conv_table(model, tmodel, x, repeats: int) -> None:
    """Each conv layer's forward + backward alone in both libraries, against each one's matmul.

    The inputs are what each conv sees inside the training step, and dx is computed exactly
    where the step computes it (not for the first conv, whose input is the data). The two
    libraries run alternately, layer by layer.
    """
    from numpycam.evaluation.speed import conv_flops, matmul_gflops, median_time
    from numpycam.nn.layers import Conv2D

    model.forward(x)
    inputs = [model.activation(i - 1) if i else x for i, lay in enumerate(model.layers)]
    tconvs = iter([m for m in tmodel if isinstance(m, nn.Conv2d)])  # the same convs, in order
    rows, first = [], True
    for i, lay in enumerate(model.layers):
        if not isinstance(lay, Conv2D):
            continue
        tconv = next(tconvs)
        xin = np.ascontiguousarray(inputs[i])
        need_dx = not first
        first = False
        out = lay.forward(xin)
        g = np.random.default_rng(i).standard_normal(out.shape).astype(np.float32)
        tx = torch.from_numpy(xin).requires_grad_(need_dx)
        tg = torch.from_numpy(g)

        def ours(lay=lay, xin=xin, g=g, need_dx=need_dx):
            lay.forward(xin)
            lay.backward(g, need_dx=need_dx)

        def theirs(tconv=tconv, tx=tx, tg=tg):
            tconv.zero_grad(set_to_none=True)
            tx.grad = None
            tconv(tx).backward(tg)

        ms = {"numpycam": [], "PyTorch": []}
        for _ in range(3):
            ms["numpycam"].append(median_time(ours, max(1, repeats // 3)) * 1e3)
            ms["PyTorch"].append(median_time(theirs, max(1, repeats // 3)) * 1e3)
        flops = sum(conv_flops(lay, xin.shape, need_dx))
        rows.append((lay.name, xin.shape, flops, float(np.median(ms["numpycam"])),
                     float(np.median(ms["PyTorch"]))))
    n = 2048
    ta = torch.from_numpy(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
    mm = {"numpycam": matmul_gflops(n, repeats=5),
          "PyTorch": 2 * n**3 / median_time(lambda: ta @ ta, 5) / 1e9}
    print("\nconvolutions alone, forward + backward (dx where the step needs it), medians:")
    print("  layer  input              GFLOP  numpycam ms  PyTorch ms  ratio")
    for name, shape, flops, ours_ms, theirs_ms in rows:
        print(f"  {name:6s} {str(tuple(shape)):18s} {flops / 1e9:5.2f}  {ours_ms:11.1f}  "
              f"{theirs_ms:10.1f}  {ours_ms / theirs_ms:5.2f}x")
    total = sum(r[2] for r in rows) / 1e9
    for k, name in ((3, "numpycam"), (4, "PyTorch")):
        gfs = total / (sum(r[k] for r in rows) / 1e3)
        print(f"  {name:9s} convs {gfs:6.1f} GFLOP/s = {gfs / mm[name]:4.0%} of its own "
              f"2048x2048 float32 matmul ({mm[name]:.1f} GFLOP/s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for PyTorch and for NumPy's BLAS (default 2)")
    parser.add_argument("--repeats", type=int, default=15, help="timed steps of each (default 15)")
    args = parser.parse_args(argv)
    if torch is None:
        print(INSTALL_HINT)
        return 0
    torch.set_num_threads(args.threads)
    print(f"numpycam {nc.__version__}, NumPy {np.__version__}, PyTorch {torch.__version__}, "
          f"Python {platform.python_version()}, threads: torch {torch.get_num_threads()}, "
          f"NumPy BLAS {os.environ['OPENBLAS_NUM_THREADS']}")

    model = nc.gap_cnn()  # float32
    tmodel = to_torch(model)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 3, args.size, args.size), dtype=np.float32)
    y = rng.integers(0, model.num_classes, args.batch)
    check_same(model, tmodel, x, y)

    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    runs = {"numpycam": lambda: numpy_step(model, x, y),
            "PyTorch": lambda: torch_step(tmodel, tx, ty)}
    times = {name: [] for name in runs}
    for fn in runs.values():  # warm-up
        fn()
        fn()
    for _ in range(args.repeats):
        for name, fn in runs.items():  # alternate, so both see the same load
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {name: float(np.median(ts)) * 1e3 for name, ts in times.items()}
    print(f"\ntraining step, gap_cnn, batch {args.batch}, RGB {args.size}x{args.size}, float32, "
          f"medians of {args.repeats} alternating runs:")
    for name, ms in med.items():
        print(f"  {name:9s} {ms:8.1f} ms   ({args.batch / ms * 1e3:6.0f} images/s)")
    ratio = med["numpycam"] / med["PyTorch"]
    print(f"  ratio numpycam / PyTorch: {ratio:.2f}x")
    conv_table(model, tmodel, x, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
