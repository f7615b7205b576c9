"""How many threads NumPy's BLAS may use: the environment variables and a limit in-process.

OpenBLAS, OpenMP and MKL read their thread count once, when NumPy loads its BLAS at process
start. ``numpycam train`` starts its worker processes with one thread each; ``--threads N`` of
``bench`` and ``evaluate`` limits the command's own process.
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


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
        from threadpoolctl import threadpool_limits  # optional: not a dependency of numpycam
    except ImportError:
        return None
    return threadpool_limits(limits=n, user_api="blas").restore_original_limits
