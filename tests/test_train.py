"""Training: a CI-sized run learns, divergence stops cleanly, the shipped weights classify."""

import numpy as np
import pytest

import numpycam as nc
from numpycam.train.fit import accuracy, fit


def test_a_short_training_run_beats_chance_by_a_clear_margin():
    # 32 x 32 images without clutter: the smallest version of the task that still needs shape
    # features (colour and position carry no class information), so a run of a few seconds can
    # show learning. Chance is 25 %; on 200 test images a chance-level model lands within
    # 25 +- 3 %, so 40 % is five standard errors above it (this run reaches about 49 %).
    train = nc.data.shapes(480, seed=11, size=32, clutter=0.0, dtype=np.uint8)
    test = nc.data.shapes(200, seed=12, size=32, clutter=0.0, dtype=np.uint8)
    model = nc.gap_cnn(widths=(8, 16, 32), seed=0)
    history = fit(model, train.images, train.labels, epochs=12, batch_size=32, lr=1e-2,
                  test=(test.images, test.labels), log=None)
    assert history["loss"][-1] < history["loss"][0]
    assert accuracy(model, test.images, test.labels) >= 0.40


def test_a_diverging_run_stops_with_a_clear_message_and_finite_weights():
    data = nc.data.shapes(64, seed=3, size=32, dtype=np.uint8)
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        fit(model, data.images, data.labels, epochs=5, lr=1e6, optimizer="sgd", log=None)
    assert all(np.all(np.isfinite(v)) for v in model.state().values())


def test_frozen_layers_stay_fixed_in_fit():
    data = nc.data.shapes(64, seed=4, size=32, dtype=np.uint8)
    model = nc.gap_cnn(widths=(4, 8), seed=0).freeze("conv1", "conv2")
    before = {k: v.copy() for k, v in model.state().items()}
    fit(model, data.images, data.labels, epochs=1, log=None)
    after = model.state()
    assert np.array_equal(before["conv1/W"], after["conv1/W"])
    assert np.array_equal(before["conv2/W"], after["conv2/W"])
    assert not np.array_equal(before["fc/W"], after["fc/W"])


@pytest.mark.parametrize("name", ["gap", "fc"])
def test_the_shipped_weights_classify_a_fresh_test_set(name):
    model = nc.pretrained(name)
    test = nc.data.shapes(600, seed=2026, dtype=np.uint8)  # a seed never used in training
    assert accuracy(model, test.images, test.labels) >= 0.95


def test_history_rows_and_lookup():
    data = nc.data.shapes(32, seed=5, size=32, dtype=np.uint8)
    history = fit(nc.gap_cnn(widths=(4, 8), seed=0), data.images, data.labels, epochs=2, log=None)
    assert len(history) == 2 and "loss" in history and "nope" not in history
    assert history["epoch"] == [1, 2] and history.seconds > 0


def test_the_train_command_runs_both_stages_into_a_folder(tmp_path, capsys):
    # A tiny version of the real recipe: 64 images, one epoch per stage, written to tmp_path
    # (never into the package). The GAP model comes out deepened, as the shipped one is.
    import json

    from numpycam.cli import main

    log = tmp_path / "training_log.json"
    log.write_text(json.dumps({"models": {"fc": {"test_accuracy": 0.5}}}))  # an earlier fc run
    assert main(["train", "--models", "gap", "--n", "64", "--epochs", "1", "--out", str(tmp_path)]) == 0
    model = nc.load(tmp_path / "gap.npz")
    assert model.names[-4:] == ["conv4", "relu4", "gap", "fc"]
    record = json.loads(log.read_text())["models"]
    assert record["fc"] == {"test_accuracy": 0.5} and len(record["gap"]["history"]) == 2
    assert "took" in capsys.readouterr().out


def test_the_train_command_trains_models_in_parallel_processes(tmp_path):
    # --jobs 2 trains each model in its own spawned process; the files and the log must be the
    # same kind of result as the in-process run above, with each worker's peak memory recorded.
    import json

    from numpycam.cli import main

    args = ["train", "--n", "32", "--epochs", "1", "--jobs", "2", "--out", str(tmp_path)]
    assert main(args) == 0
    assert nc.load(tmp_path / "gap.npz").names[-4:] == ["conv4", "relu4", "gap", "fc"]
    assert "fc1" in nc.load(tmp_path / "fc.npz").names
    log = json.loads((tmp_path / "training_log.json").read_text())
    assert set(log["models"]) == {"gap", "fc", "gap_multi"} and "2 process" in log["machine"]
    for record in log["models"].values():
        assert 0 <= record["test_accuracy"] <= 1 and record["peak_rss_mb"] > 0
    # gap_multi: gap's two stages, then the multi-label stage, one epoch each
    multi = log["models"]["gap_multi"]
    assert multi["from"] == "gap" and len(multi["history"]) == 3 and multi["multi"]["n"] == 32
    assert 0 <= multi["multi"]["test_map"] <= 1 and "test_map" in multi["history"][-1]
    assert nc.load(tmp_path / "gap_multi.npz").names == nc.load(tmp_path / "gap.npz").names


def test_warmup_scales_the_first_steps_and_is_checked():
    data = nc.data.shapes(16, seed=5, size=32, dtype=np.uint8)
    model = nc.gap_cnn(widths=(4, 8), seed=0)
    # 16 images in batches of 8: two steps, both inside a 4-step warm-up of a constant lr
    history = fit(model, data.images, data.labels, epochs=1, batch_size=8, lr=1e-3,
                  schedule="constant", warmup=4, log=None)
    assert history["lr"] == [pytest.approx(1e-3 * 2 / 4)]
    with pytest.raises(ValueError, match="warmup must be >= 0"):
        fit(model, data.images, data.labels, epochs=1, warmup=-1, log=None)
    for bad in (2.5, True):  # not a number of steps: a type error, like every int option
        with pytest.raises(TypeError, match="warmup must be an int"):
            fit(model, data.images, data.labels, epochs=1, warmup=bad, log=None)


def test_a_failing_model_leaves_the_log_matching_the_weights(tmp_path, monkeypatch, capsys):
    # One process: gap trains, fc fails. The error reaches the caller and the log records gap,
    # whose weights were written, and nothing for fc.
    import json

    from numpycam.cli import main
    from numpycam.train import runner

    real = runner.train_one

    def fc_fails(name, *args, **kwargs):
        if name == "fc":
            raise RuntimeError("fc broke")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runner, "train_one", fc_fails)
    # the command line reports the error in one line, exit 1, never a traceback (issue 15)
    assert main(["train", "--n", "16", "--epochs", "1", "--jobs", "1", "--out", str(tmp_path)]) == 1
    assert "RuntimeError: fc broke" in capsys.readouterr().err
    assert (tmp_path / "gap.npz").is_file() and not (tmp_path / "fc.npz").exists()
    assert set(json.loads((tmp_path / "training_log.json").read_text())["models"]) == {"gap"}


def test_an_error_in_a_worker_process_reaches_the_caller(tmp_path, capsys):
    # gap.npz and fc.npz are folders in --out, so both workers fail to save; the command
    # reports it and exits 1 (an --out that is a file is refused before training, exit 2)
    from numpycam.cli import main

    for name in ("gap.npz", "fc.npz"):
        (tmp_path / name).mkdir()
    args = ["train", "--n", "16", "--epochs", "1", "--jobs", "2", "--out", str(tmp_path)]
    assert main(args) == 1
    assert "numpycam train: error:" in capsys.readouterr().err
    assert (tmp_path / "gap.npz").is_dir() and (tmp_path / "fc.npz").is_dir()


def test_demo_train_trains_every_model_with_the_recipe_defaults(monkeypatch):
    # `numpycam demo --train` calls runner.trained_models, which trains into a temporary folder.
    # Real training takes minutes, so the worker pool is replaced by one that saves small
    # untrained models: what is tested is that every model goes to the pool with no override.
    from numpycam.train import runner

    calls = []

    def fake_pool(names, jobs, out, n, epochs, results):
        calls.append((names, jobs, n, epochs))
        for name in names:
            nc.save(nc.gap_cnn(widths=(4, 8), seed=0), out / f"{name}.npz")
            results[name] = {"test_accuracy": 0.25}

    monkeypatch.setattr(runner, "in_processes", fake_pool)
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 2)
    models = runner.trained_models()
    assert set(models) == {"gap", "fc", "gap_multi"}
    assert calls == [(["gap", "fc", "gap_multi"], 2, None, None)]
