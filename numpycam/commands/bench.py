"""``numpycam bench``: training-step, convolution and CAM speed, measured against this machine's
own matmul speed in the same run (see :mod:`numpycam.evaluation.speed`)."""

from __future__ import annotations

import argparse
import sys

from numpycam import __version__
from numpycam.commands import int_in, thread_count
from numpycam.evaluation import speed as bench


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int_in(1, 1024), nargs="+", default=[16, 64, 256], metavar="N",
                        help="batch sizes (default 16 64 256)")
    parser.add_argument("--size", type=int_in(8, 512, " pixels"), nargs="+", default=[32, 64, 128], metavar="PX",
                        help="input sizes in pixels (default 32 64 128)")
    parser.add_argument("--grid", action="store_true",
                        help="every batch with every size (default: every batch at 64 px and "
                             "every size at batch 64)")
    parser.add_argument("--repeats", type=int_in(1, 1000), default=5,
                        help="timed runs per measurement, after one warm-up; medians are shown "
                             "(default 5)")
    parser.add_argument("--matmul-size", type=int_in(16, 8192), default=2048, metavar="N",
                        help="side of the reference float32 matmul (default 2048)")
    parser.add_argument("--threads", type=thread_count, default=None, metavar="N",
                        help="limit NumPy's BLAS to N threads (with threadpoolctl if installed, "
                             "otherwise by running again with OPENBLAS_NUM_THREADS=N)")
    parser.add_argument("--quick", action="store_true",
                        help="a small fast run: batch 8, input 32, 2 repeats, 512 matmul")


def run(args: argparse.Namespace) -> int:
    if args.quick:
        configs, repeats, mm = [(8, 32)], 2, 512
    else:
        configs = bench.default_configs(args.batch, args.size, full_grid=args.grid)
        repeats, mm = args.repeats, args.matmul_size
    for line in bench.environment(__version__):
        print(line)
    if args.threads is not None:  # numpycam.cli has set the limit before this runs
        print(f"BLAS threads limited to {args.threads}")
    print(f"model: gap_cnn() float32; medians of {repeats} runs after a warm-up; "
          f"matmul: {mm}x{mm} float32, measured before each row\n", flush=True)
    rows = bench.run(configs, repeats=repeats, matmul_n=mm,
                     progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(bench.format_table(rows))
    print("\nms/step: forward + softmax loss + backward (no update); ms/Mpx: per million input "
          "pixels (flat = linear cost);\nconv GF/s: conv layers' forward + backward flops / "
          "their time in the step; conv/mm: that over the matmul GF/s;\nconv %: share of the "
          "step spent in convs; CAM / Grad-CAM: per image, on the whole batch; peak MB: "
          "tracemalloc peak of one step.")
    return 0
