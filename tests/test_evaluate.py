"""``numpycam evaluate`` end to end on a CI-sized test set, and the properties it relies on.

Small untrained models keep this fast; every property below holds for any weights.
"""

import json

import numpy as np
import pytest

import numpycam as nc
from numpycam.cli import main
from numpycam.data import shapes
from numpycam.evaluation.evaluate import evaluate
from numpycam.evaluation.plan import ALL_METHODS, gradients_at, has_rule, method_maps, plan
from numpycam.evaluation.table import COLUMNS, format_table
from numpycam.methods.registry import METHODS

KEYS = {k for k, _, _ in COLUMNS} | {"threshold", "n_faithfulness", "steps", "loc_by_threshold",
                                     "same_boxes_as_cam", "same_boxes_as_relu_cam"}


def small_models(seed=0, size=64):
    return {"gap": nc.gap_cnn(widths=(4, 8, 8), seed=seed),
            "fc": nc.fc_cnn(widths=(4, 8, 8), hidden=8, input_size=size, seed=seed)}


@pytest.fixture(scope="module")
def api_rows():
    models = small_models(size=32)
    data = shapes(16, seed=7, size=32)
    return evaluate(models, data, faithfulness_n=3, steps=3, slow_n=3, timing_n=2,
                    batch_size=6), models, data


def test_plan_has_cam_grad_cam_at_every_conv_and_the_family_on_both_models():
    specs = plan(small_models())
    assert ("gap", "cam", "relu3") in specs and not any(s[:2] == ("fc", "cam") for s in specs)
    for model in ("gap", "fc"):
        layers = [s.layer for s in specs if s[:2] == (model, "grad_cam")]
        assert layers == ["relu1", "relu2", "relu3"]
        assert {s.method for s in specs if s.model == model} >= set(ALL_METHODS) - {"cam"}
    with pytest.raises(ValueError, match="unknown methods"):
        plan(small_models(), ["gradcam"])


@pytest.mark.parametrize("name", ["gap", "fc"])
def test_one_shared_pass_gives_the_maps_of_the_public_functions(name):
    """f and g from one forward and one backward, then each method's weight rule, equal the
    method's own function for every layer (so evaluate never computes a different map)."""
    model = small_models(seed=3, size=32)[name].astype(np.float64)
    x = shapes(5, seed=4, size=32).images.astype(np.float64)
    specs = [s for s in plan({name: model}) if has_rule(s.method)]
    scores, fg = gradients_at(model, x, None, sorted({model.index(s.layer) for s in specs}))
    pred = scores.argmax(axis=1)
    for s in specs:
        want = method_maps(model, x, pred, s.method, s.layer)
        got = METHODS[s.method].map_from(*fg[model.index(s.layer)])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=str(s))


def test_api_rows_have_every_key_and_sane_values(api_rows):
    rows, models, data = api_rows
    assert [(r["model"], r["method"], r["layer"]) for r in rows] == list(plan(models))
    for r in rows:
        assert set(r) >= KEYS, KEYS - set(r)
        for key in ("accuracy", "loc_accuracy", "mean_iou", "pointing", "energy"):
            assert 0 <= r[key] <= 1, (r["method"], key)
        # a right prediction's map is the true class's, so top-1 loc counts a subset of gt-known
        assert r["loc_accuracy"] <= r["gt_known"]
        assert r["n"] == (3 if r["method"] == "score_cam" else 16)
        assert r["ms_per_image"] > 0 and r["n_faithfulness"] == 3
    swept = [r for r in rows if r["loc_by_threshold"]]
    assert {(r["model"], r["method"]) for r in swept} == {("gap", "cam"), ("gap", "grad_cam"),
                                                          ("fc", "grad_cam")}
    # the sweep at the evaluation threshold is the loc column
    for r in swept:
        assert r["loc_by_threshold"]["0.2"] == r["loc_accuracy"]


WSOL_KEYS = ("max_box_acc", "max_box_acc_30", "max_box_acc_50", "max_box_acc_70", "pxap")


def test_rows_have_the_threshold_free_columns(api_rows):
    rows, _, data = api_rows
    for r in rows:
        for key in WSOL_KEYS:
            assert 0 <= r[key] <= 1, (r["method"], key)
        assert r["max_box_acc_30"] >= r["max_box_acc_50"] >= r["max_box_acc_70"]
        # the maps of the true class with the 20 % rule's single box: one of the boxes the
        # sweep tries at t = 0.2 when the map's minimum is 0 (every ReLU map here)
        if nc.METHODS[r["method"]].relu:
            assert r["max_box_acc_50"] >= r["gt_known"] - 1e-12, r["method"]
        assert r["tau_val"] is None  # no separate split was given


def test_a_separate_split_chooses_tau_and_baselines_score_alike(api_rows):
    from numpycam.evaluation.threshold_free import baseline_rows, format_wsol_table

    _, models, data = api_rows
    val = shapes(8, seed=8, size=32)
    rows = evaluate({"gap": models["gap"]}, data, methods=["grad_cam"], every_layer=(),
                    faithfulness_n=2, steps=2, timing_n=2, val=val, val_name="val8")
    (r,) = rows
    assert r["tau_chosen_on"] == "val8" and 0 <= r["tau_val"] < 1
    j = round(100 * r["tau_val"])
    assert r["box_acc_tau_val"] == r["box_acc_by_tau"]["0.5"][j]  # read on the test set
    base = baseline_rows(data, val=val, val_name="val8")
    assert [b["method"] for b in base] == ["centre_gaussian", "random"]
    for b in base:
        assert set(b) >= set(r) - {"_boxes"} and 0 <= b["pxap"] <= 1
    text = format_wsol_table(rows + base)
    assert "MaxBoxAccV2" in text and "centre_gaussian" in text and "val8" in text


def test_grad_cam_at_cams_layer_gives_the_boxes_of_relu_cam(api_rows):
    """Grad-CAM = max(CAM, 0) / Z on a GAP net and the box rule ignores scale, for any weights.
    (Raw CAM can differ: its negative cells pull the bilinear upsampling below the threshold.)"""
    rows, _, _ = api_rows
    (r,) = [r for r in rows if r["same_boxes_as_cam"] is not None]
    assert (r["model"], r["layer"]) == ("gap", "relu3")
    assert r["same_boxes_as_relu_cam"] == 1.0
    for seed in (1, 2):
        model = nc.gap_cnn(widths=(4, 8, 8), seed=seed)
        x = shapes(12, seed=seed, size=32).images
        c = model.predict(x)
        relu_cam = nc.box_from_map(np.maximum(nc.cam(model, x, c), 0), 0.2, size=32)
        np.testing.assert_array_equal(nc.box_from_map(nc.grad_cam(model, x, c), 0.2, size=32),
                                      relu_cam)


def test_table_has_every_column_and_one_line_per_row(api_rows):
    rows, _, _ = api_rows
    text = format_table(rows)
    lines = text.splitlines()
    assert all(head in lines[0] for _, head, _ in COLUMNS)
    body = lines[2 : 2 + len(rows)]
    assert all(len(line.split()) == len(COLUMNS) for line in body)
    assert "same boxes, gap" in text and "PREDICTED" in text and "TRUE" in text


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    for name, model in small_models().items():
        nc.save(model, folder / f"{name}.npz")
    return folder


def test_cli_quick_prints_the_table_and_writes_the_figures(weights, tmp_path, capsys, one_blas_thread):
    out = tmp_path / "figs"
    assert main(["evaluate", "--quick", "--weights", str(weights), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for _, head, _ in COLUMNS:
        assert head in text
    assert (out / "evaluate_threshold.png").stat().st_size > 1000
    assert (out / "evaluate_box_acc.png").stat().st_size > 1000
    assert "MaxBoxAccV2" in text and "PxAP" in text and "centre_gaussian" in text
    for method in ALL_METHODS:
        assert (out / f"evaluate_boxes_{method}.png").stat().st_size > 1000, method


def test_cli_json_parses_and_has_every_key(weights, tmp_path, capsys, one_blas_thread):
    argv = ["evaluate", "--quick", "--json", "--no-figures", "--weights", str(weights),
            "--methods", "cam", "grad_cam", "eigen_cam", "--out", str(tmp_path)]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["n"] == 16 and doc["figures"] == []
    assert len(doc["rows"]) == 1 + 3 + 1 + 3 + 1
    for r in doc["rows"] + doc["baselines"]:
        assert set(r) >= KEYS | set(WSOL_KEYS)
    assert [b["method"] for b in doc["baselines"]] == ["centre_gaussian", "random"]
    assert not list(tmp_path.iterdir())


def test_cli_reports_a_size_the_fc_model_cannot_take(weights, capsys, one_blas_thread):
    argv = ["evaluate", "--quick", "--size", "32", "--no-figures", "--weights", str(weights)]
    assert main(argv) == 1
    assert "cannot take these 32 x 32 images" in capsys.readouterr().err


def test_a_method_added_to_the_registry_appears_in_the_plan_and_the_table(monkeypatch):
    """Adding a method is one registry entry: one with a weight rule (computed in the shared
    pass) and one without (run through its function) both get their rows."""
    import numpycam.evaluation.plan as ev
    from numpycam.methods.base import from_rule
    from numpycam.methods.registry import METHODS, Method, Paper

    def ones(f, g):  # every channel weight 1: the map is sum_k f_k
        return np.ones(f.shape[:2], dtype=f.dtype)

    def summed(model, x, c, layer=None):  # the same map, from its own forward pass
        model.forward(x)
        return model.activation(layer).sum(axis=1)

    paper = Paper("no paper", "nobody", 2026)
    rule = Method("sum_rule", "Sum", from_rule("sum_rule", ones, relu=False, doc="sum_k f_k"),
                  ones, "gradients", False, "1", paper)
    plain = Method("sum_plain", "Sum too", summed, None, "activations", False, "1", paper)
    monkeypatch.setitem(METHODS, "sum_rule", rule)
    monkeypatch.setitem(METHODS, "sum_plain", plain)
    assert ev.ALL_METHODS[-2:] == ("sum_rule", "sum_plain")
    models = small_models(size=32)
    rows = evaluate(models, shapes(8, seed=7, size=32), methods=["cam", "sum_rule", "sum_plain"],
                    faithfulness_n=2, steps=2, slow_n=2, timing_n=2, batch_size=4)
    assert [(r["model"], r["method"]) for r in rows] == [
        ("gap", "cam"), ("gap", "sum_rule"), ("gap", "sum_plain"),
        ("fc", "sum_rule"), ("fc", "sum_plain")]
    gap_rows = {r["method"]: r for r in rows if r["model"] == "gap"}
    for key in ("loc_accuracy", "mean_iou", "pointing", "energy"):  # the same map both ways
        assert gap_rows["sum_rule"][key] == gap_rows["sum_plain"][key], key
    body = format_table(rows).splitlines()[2:2 + len(rows)]
    assert [line.split()[:3] for line in body if "sum_" in line] == [
        ["gap", "sum_rule", "relu3"], ["gap", "sum_plain", "relu3"],
        ["fc", "sum_rule", "relu3"], ["fc", "sum_plain", "relu3"]]


def test_box_figures_use_the_threshold_chosen_on_the_separate_split():
    from numpycam.viz.localize import boxes_figure

    models, data = small_models(size=32), shapes(4, seed=7, size=32)
    papers = boxes_figure(models, data, "grad_cam", k=2)
    chosen = boxes_figure(models, data, "grad_cam", k=2, chosen={"gap": (0.3, "shapes(n=5, seed=11)")})
    assert "chosen on" not in papers.get_suptitle()
    assert "t chosen on shapes(n=5, seed=11), not on these images" in chosen.get_suptitle()
    labels = [ax.get_ylabel() for ax in chosen.axes if ax.get_ylabel()]
    assert any("t = 0.30 (normalised)" in s for s in labels)  # the gap row
    assert any("t = 0.2 x max" in s for s in labels)  # fc had no chosen t: the papers' rule
