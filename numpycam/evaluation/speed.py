"""Benchmark: training steps, convolutions and CAM timed against this machine's own matmul.

Absolute times mean little across machines, so every row also measures the speed of one large
float32 matrix product *in the same run*, right before the row, and prints the convolutions'
achieved GFLOP/s as a fraction of it: a convolution is a matmul in disguise, and that ratio says
how much of the machine the NumPy code uses. All times are medians of ``repeats`` runs after a
warm-up run. Pure NumPy; used by ``numpycam bench``.
"""

from __future__ import annotations

import os
import platform
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from numpycam.methods.registry import METHODS
from numpycam.nn.builders import gap_cnn
from numpycam.nn.layers import Conv2D
from numpycam.nn.losses import softmax_cross_entropy
from numpycam.nn.sequential import Sequential


@dataclass
class Row:
    """One benchmark configuration and its measurements (times in ms)."""

    batch: int
    size: int
    step_ms: float  # one training step: forward + loss + backward (no optimiser update)
    images_per_s: float
    ms_per_mpixel: float  # step time per million input pixels: flat when cost is linear
    conv_gflops: float  # achieved by the conv layers' forward + backward inside the step
    conv_share: float  # fraction of the step spent in conv layers
    matmul_gflops: float  # large float32 matmul, measured right before this row
    cam_ms: float  # per image
    grad_cam_ms: float  # per image
    peak_mb: float  # peak of NumPy allocations during one training step (tracemalloc)

    @property
    def ratio(self) -> float:
        return self.conv_gflops / self.matmul_gflops


COLUMNS = [
    ("batch", "{:>5d}", "batch"),
    ("size", "{:>4d}", "input"),
    ("step_ms", "{:>9.1f}", "ms/step"),
    ("images_per_s", "{:>7.0f}", "img/s"),
    ("ms_per_mpixel", "{:>7.1f}", "ms/Mpx"),
    ("conv_gflops", "{:>8.1f}", "conv GF/s"),
    ("matmul_gflops", "{:>8.1f}", "matmul GF/s"),
    ("ratio", "{:>6.0%}", "conv/mm"),
    ("conv_share", "{:>6.0%}", "conv %"),
    ("cam_ms", "{:>7.3f}", "CAM ms/img"),
    ("grad_cam_ms", "{:>7.3f}", "Grad-CAM ms/img"),
    ("peak_mb", "{:>7.0f}", "peak MB"),
]


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def matmul_gflops(n: int = 2048, repeats: int = 5, dtype=np.float32) -> float:
    """GFLOP/s of an n x n by n x n product (2 n^3 flops), the machine's practical peak."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    t = median_time(lambda: np.matmul(a, b, out=out), repeats)
    return 2 * n**3 / t / 1e9


def conv_flops(layer: Conv2D, x_shape: tuple, need_dx: bool) -> tuple[int, int]:
    """(forward, backward) multiply-add flops of a conv layer: 2 N H' W' D C HH WW per pass,
    backward = dW (always) + dx (when computed)."""
    N, _, H, W = x_shape
    k, s, p = layer.kernel_size, layer.stride, layer.padding
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    one = 2 * N * Ho * Wo * layer.out_channels * layer.in_channels * k * k
    return one, one * (2 if need_dx else 1)


def training_step(model: Sequential, x: np.ndarray, y: np.ndarray) -> None:
    """What one SGD step computes before the update: forward, loss, backward (no dL/dx)."""
    scores = model.forward(x)
    _, dscores = softmax_cross_entropy(scores, y)
    model.backward(dscores, input_grad=False)


def conv_time(model: Sequential, x: np.ndarray, y: np.ndarray, repeats: int):
    """(seconds, flops) of the conv layers inside one training step (medians over steps).

    Runs :func:`training_step` itself with a clock around each conv layer's forward and
    backward (wrapped on the instances for the duration), so it measures exactly the passes
    the step makes, including which layers compute dx.
    """
    convs = [lay for lay in model.layers if isinstance(lay, Conv2D)]
    clock = {"s": 0.0, "flops": 0}

    def wrap(layer):
        forward, backward = layer.forward, layer.backward

        def timed_forward(inp):
            t0 = time.perf_counter()
            out = forward(inp)
            clock["s"] += time.perf_counter() - t0
            clock["flops"] += conv_flops(layer, inp.shape, False)[0]
            layer._bench_shape = inp.shape
            return out

        def timed_backward(dout, **kwargs):
            t0 = time.perf_counter()
            dx = backward(dout, **kwargs)
            clock["s"] += time.perf_counter() - t0
            clock["flops"] += conv_flops(layer, layer._bench_shape, kwargs.get("need_dx", True))[1]
            return dx

        layer.forward, layer.backward = timed_forward, timed_backward

    seconds, flops = [], 0
    try:
        for lay in convs:
            wrap(lay)
        for rep in range(repeats + 1):  # the first step is the warm-up
            clock["s"], clock["flops"] = 0.0, 0
            training_step(model, x, y)
            if rep:
                seconds.append(clock["s"])
            flops = clock["flops"]
    finally:
        for lay in convs:  # drop the instance attributes: the class methods show through again
            for name in ("forward", "backward", "_bench_shape"):
                lay.__dict__.pop(name, None)
    return float(np.median(seconds)), flops


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak MB of Python/NumPy allocations while ``fn()`` runs (NumPy reports its array
    buffers to tracemalloc; BLAS's internal work space is not included)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    if not was_tracing:
        tracemalloc.stop()
    return (peak - base) / 1e6


def bench_one(batch: int, size: int, *, repeats: int = 5, matmul_n: int = 2048,
              model_factory: Callable[[], Sequential] | None = None, seed: int = 0) -> Row:
    """Measure one (batch, input size) configuration of the default ``gap_cnn`` in float32."""
    model = (model_factory or gap_cnn)()
    rng = np.random.default_rng(seed)
    x = rng.random((batch, model.in_channels or 3, size, size), dtype=np.float32)
    y = rng.integers(0, model.num_classes, batch)
    c = y.copy()

    mm = matmul_gflops(matmul_n, repeats)  # measured side by side with this row
    step = median_time(lambda: training_step(model, x, y), repeats)
    conv_s, flops = conv_time(model, x, y, repeats)
    cam, grad_cam = METHODS["cam"].function, METHODS["grad_cam"].function
    cam_s = median_time(lambda: cam(model, x, c), repeats)
    grad_cam_s = median_time(lambda: grad_cam(model, x, c), repeats)
    peak = peak_memory_mb(lambda: training_step(model, x, y))
    return Row(
        batch=batch, size=size, step_ms=step * 1e3, images_per_s=batch / step,
        ms_per_mpixel=step * 1e3 / (batch * size * size / 1e6),
        conv_gflops=flops / conv_s / 1e9, conv_share=min(1.0, conv_s / step), matmul_gflops=mm,
        cam_ms=cam_s * 1e3 / batch, grad_cam_ms=grad_cam_s * 1e3 / batch, peak_mb=peak,
    )


def default_configs(batches: Iterable[int] = (16, 64, 256), sizes: Iterable[int] = (32, 64, 128),
                    full_grid: bool = False, base_batch: int = 64, base_size: int = 64):
    """(batch, size) pairs: every batch at ``base_size`` and every size at ``base_batch`` (shows
    whether the cost is linear in batch and in pixels), or the full grid."""
    batches, sizes = list(batches), list(sizes)
    if full_grid:
        return [(b, s) for b in batches for s in sizes]
    pairs = [(b, base_size) for b in batches] + [(base_batch, s) for s in sizes]
    return list(dict.fromkeys(pairs))  # drop the duplicate (base_batch, base_size)


def environment(version: str) -> list[str]:
    """Lines describing what the numbers depend on: numpycam ``version``, NumPy, BLAS, cores, load."""
    lines = [f"numpycam {version}, NumPy {np.__version__}, "
             f"Python {platform.python_version()}, {platform.machine()}"]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"BLAS: {blas.get('name')} {blas.get('version', '')}".rstrip())
    except Exception:  # older NumPy: no dict mode
        pass
    cores = os.cpu_count()
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "MKL_NUM_THREADS") if k in os.environ}
    lines.append(f"CPU cores: {cores}" + (f", {threads}" if threads else ""))
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        lines.append(f"load average (1 min) before the run: {load:.2f}")
        if cores and load > 0.5 * cores:
            lines.append("WARNING: other processes are using the CPU; multi-threaded BLAS "
                         "times will be noisy and slow. Ratios measured in this run still "
                         "compare like with like.")
    return lines


def format_table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table, one column per entry of ``COLUMNS``."""
    heads = [h for _, _, h in COLUMNS]
    body = [[fmt.format(getattr(row, key)).strip() for key, fmt, _ in COLUMNS] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(heads)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(heads), line(["-" * w for w in widths])] + [line(r) for r in body])


def run(configs, *, repeats: int = 5, matmul_n: int = 2048,
        progress: Callable[[str], object] | None = None) -> list[Row]:
    """Measure every (batch, size) in ``configs``; ``progress`` gets a line before each."""
    rows = []
    for batch, size in configs:
        if progress:
            progress(f"measuring batch {batch}, input {size}x{size} ...")
        rows.append(bench_one(batch, size, repeats=repeats, matmul_n=matmul_n))
    return rows
