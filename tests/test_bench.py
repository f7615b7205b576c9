"""Smoke test of ``numpycam bench``: it runs on a tiny size and prints every column.

No timing assertions: speed depends on the machine (see the README's performance section).
"""

import numpy as np
import pytest

import numpycam as nc
from numpycam.cli import main
from numpycam.evaluation import speed as bench


def test_bench_quick_prints_every_column(capsys):
    assert main(["bench", "--quick"]) == 0
    out = capsys.readouterr().out
    for _, _, head in bench.COLUMNS:
        assert head in out
    table = [line for line in out.splitlines() if line.lstrip().startswith("8 ")]
    assert len(table) == 1 and len(table[0].split()) == len(bench.COLUMNS)


def test_bench_one_measures_positive_finite_numbers():
    row = bench.bench_one(2, 16, repeats=1, matmul_n=64)
    for key, _, _ in bench.COLUMNS:
        value = getattr(row, key)
        assert np.isfinite(value) and value > 0, key


def test_conv_time_counts_the_step_flops_and_unwraps_the_layers():
    model = nc.gap_cnn(widths=(4, 8))
    x = np.random.default_rng(0).random((2, 3, 16, 16), dtype=np.float32)
    seconds, flops = bench.conv_time(model, x, np.array([0, 1]), repeats=1)
    assert seconds > 0 and flops > 0
    assert all("forward" not in lay.__dict__ for lay in model.layers)


def test_default_configs_cover_batches_and_sizes_once():
    pairs = bench.default_configs((16, 64, 256), (32, 64, 128))
    assert pairs == [(16, 64), (64, 64), (256, 64), (64, 32), (64, 128)]
    assert len(bench.default_configs((1, 2), (8, 16), full_grid=True)) == 4


def test_threads_without_threadpoolctl_reruns_the_command_with_the_limit(monkeypatch, capfd):
    # With threadpoolctl missing the BLAS thread count can only be set before NumPy starts, so
    # `--threads 1` runs the same command again in a process whose environment sets it.
    import sys

    from numpycam.blas import THREAD_VARIABLES
    from numpycam.cli import main

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # importing it now fails
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert main(["bench", "--quick", "--threads", "1"]) == 0
    out = capfd.readouterr().out
    assert "BLAS threads limited to 1" in out and "'OPENBLAS_NUM_THREADS': '1'" in out
    assert "batch" in out and "conv GF/s" in out


def test_threads_must_be_positive(capsys):
    from numpycam.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--quick", "--threads", "0"])
    assert exit_info.value.code == 2 and "argument --threads: must be in 1..256, got 0" in capsys.readouterr().err
