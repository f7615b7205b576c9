"""One module per ``numpycam`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``."""

import argparse
import os

# Read by OpenBLAS, OpenMP and MKL once, when NumPy loads its BLAS at process start.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def positive(text: str) -> int:
    """argparse ``type`` for an int >= 1: a bad value is a one-line usage error, exit code 2."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def thread_environment(n: int) -> dict:
    """This process's environment with every BLAS thread variable set to ``n``."""
    return {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(n))}


def limit_blas_threads(n: int):
    """Limit NumPy's BLAS to ``n`` threads in this process: a function that undoes it, or None.

    Works when the process started with the thread variables already set to ``n`` (nothing to
    undo), or when threadpoolctl (optional) is installed and sets the limit now. Without
    threadpoolctl the BLAS fixed its thread count at start: None says the caller has to run
    again in a process started with :func:`thread_environment` (``numpycam.cli`` does that for
    ``--threads``).
    """
    if all(os.environ.get(k) == str(n) for k in THREAD_VARIABLES):
        return lambda: None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=n, user_api="blas").restore_original_limits
