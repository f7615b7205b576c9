"""Weakly supervised localisation and faithfulness of every CAM-family method, on one test set.

Rows are model x method x layer. With x_n a test image, y_n its label, B_n its box, M_n its
mask, c_n = argmax_c S^c(x_n) the predicted class, L^c_n the method's map for class c upsampled
to the image size, t the box threshold (0.2, the CAM paper's; the Grad-CAM paper uses 0.15):

    box_n        box_from_map(L^{c_n}_n, t): largest 8-connected region >= t * max
    loc          mean_n [c_n == y_n and iou(box_n, B_n) >= 0.5]   top-1 localisation (papers)
    gt-known     mean_n [iou(box from L^{y_n}_n, B_n) >= 0.5]      with the TRUE class's map
    mean IoU     mean_n iou(box_n, B_n)                            every image, right or wrong
    pointing     mean_n [argmax L^{y_n}_n lies on M_n]             pointing game, tolerance 0
    energy       mean_n share of max(L^{y_n}_n, 0) inside B_n      energy-based pointing game
    deletion, insertion, average drop, increase: numpycam.evaluation.faithfulness on L^{c_n}, first
                 ``faithfulness_n`` images, ``steps`` steps
    ms/img       wall time per image of the method's own function on one batch

Localisation scores the map of the PREDICTED class (a box counts only with the right class);
pointing and energy score the map of the TRUE class (does the map find the object it is asked
about?). f is the output of the ReLU after a conv (non-negative maps, as the papers' f_k); the
family methods explain the last one, which on a GAP model is the map CAM uses.

The rows and how their maps are made: :mod:`numpycam.evaluation.plan`. One forward and one
backward pass per batch (``gradients_at``) give f and g = dS^c/df at every explained layer;
each method with a weight rule then has its map from (f, g) (``Method.map_from``). Methods without a
rule (CAM, Score-CAM) run through their public functions (``method_maps``); those that need one
forward pass per channel (Score-CAM) only on the first ``slow_n`` images. The table:
:mod:`numpycam.evaluation.table`.
"""

from __future__ import annotations

import time

import numpy as np

from numpycam.evaluation.faithfulness import average_drop_increase, deletion_auc, insertion_auc
from numpycam.evaluation.localize import box_from_map, iou, localization_accuracy
from numpycam.evaluation.plan import THRESHOLDS, Spec, conv_relus, gradients_at, has_rule, method_maps, plan
from numpycam.evaluation.pointing import energy_in_box, pointing_game
from numpycam.evaluation.threshold_free import native_true_maps, true_map_ious, wsol_columns
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS

__all__ = ["evaluate"]


class _Row:
    """Per-image results of one row, gathered batch by batch."""

    def __init__(self, spec: Spec, sweep: bool, keep: int):
        self.spec, self.sweep, self.keep, self.seconds = spec, sweep, keep, 0.0
        self.boxes, self.hits, self.energy, self.swept, self.kept = [], [], [], [], []
        self.true_boxes = []  # boxes of the true class's maps, for GT-known localisation
        self.relu_boxes = []  # CAM rows: boxes of max(CAM, 0), for the same-boxes check
        self.ious, self.native = [], []  # true-class maps: IoU_n(t) and the maps (numpycam.evaluation.wsol)

    def add(self, Lp, Lt, wrong, boxes, masks, threshold):
        """Score maps of the predicted class Lp (B, h, w), true-class maps Lt of the wrong ones."""
        up = upsample(Lp, masks.shape[1:])  # (B, H, W)
        self.boxes.append(box_from_map(up, threshold))
        if self.spec.method == "cam":
            self.relu_boxes.append(box_from_map(np.maximum(Lp, 0), threshold, masks.shape[1:]))
        if self.sweep:
            self.swept.append(np.stack([box_from_map(up, t) for t in THRESHOLDS]))  # (T, B, 4)
        true_boxes = self.boxes[-1].copy()
        if Lt is not None and len(Lt):
            up[wrong] = upsample(Lt, masks.shape[1:])  # now the maps of the true class
            true_boxes[wrong] = box_from_map(up[wrong], threshold)
        self.true_boxes.append(true_boxes)
        self.ious.append(true_map_ious(up, boxes))
        self.native.append(native_true_maps(Lp, Lt, wrong))
        self.hits.append(pointing_game(up, masks))
        self.energy.append(energy_in_box(up, boxes))
        if sum(len(k) for k in self.kept) < self.keep:
            self.kept.append(Lp)


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def _compute(model, name, specs, x, y, boxes, masks, threshold, n_keep, slow_n, batch_size,
             sweep, progress):
    """Run every row of one model over the test set; returns ({spec: _Row}, predictions)."""
    n = len(x)
    rows = {s: _Row(s, s.method in sweep and s.layer == conv_relus(model)[-1], n_keep)
            for s in specs}
    shared = [s for s in specs if has_rule(s.method)]
    layers = sorted({model.index(s.layer) for s in shared})
    pred = np.empty(n, dtype=np.int64)
    for start in range(0, n, batch_size):
        sl = slice(start, min(start + batch_size, n))
        xb, yb = x[sl], y[sl]
        if layers:
            (scores, fg), sec = _timed(gradients_at, model, xb, None, layers)
        else:
            scores = model.forward(xb)
        pred[sl] = scores.argmax(axis=1)
        wrong = pred[sl] != yb
        fg_true = {}
        if wrong.any() and layers:  # the maps of the true class, where it was not predicted
            fg_true = gradients_at(model, xb[wrong], yb[wrong], layers)[1]
        for s in specs:
            i, m = model.index(s.layer), METHODS[s.method]
            if m.weights is not None:
                Lp = m.map_from(*fg[i])
                if not m.class_specific:  # the true class's map is the same
                    Lt = Lp[wrong]
                else:
                    Lt = m.map_from(*fg_true[i]) if fg_true else None
            elif m.needs != "forward passes":  # e.g. CAM: its own function, as fast
                Lp, sec = _timed(method_maps, model, xb, pred[sl], s.method, s.layer)
                rows[s].seconds += sec
                Lt = method_maps(model, xb[wrong], yb[wrong], s.method, s.layer) if wrong.any() else None
            else:
                continue  # slow methods below, on the first slow_n images
            rows[s].add(Lp, Lt, wrong, boxes[sl], masks[sl], threshold)
        if progress:
            progress(f"{name}: {sl.stop}/{n} images")
    for s in specs:
        if METHODS[s.method].needs != "forward passes":
            continue
        for start in range(0, slow_n, batch_size):
            sl = slice(start, min(start + batch_size, slow_n))
            wrong = pred[sl] != y[sl]
            Lp, sec = _timed(method_maps, model, x[sl], pred[sl], s.method, s.layer)
            rows[s].seconds += sec
            Lt = None
            if wrong.any():
                Lt = method_maps(model, x[sl][wrong], y[sl][wrong], s.method, s.layer)
            rows[s].add(Lp, Lt, wrong, boxes[sl], masks[sl], threshold)
        if progress:
            progress(f"{name}: {s.method} on {slow_n} images")
    return rows, pred


def evaluate(models: dict, data, *, methods=None, threshold: float = 0.2,
             faithfulness_n: int = 100, steps: int = 16, slow_n: int = 100,
             timing_n: int = 16, batch_size: int = 100, sweep=("cam", "grad_cam"),
             every_layer=("grad_cam",), val=None, val_name: str | None = None,
             progress=None) -> list[dict]:
    """One dict per row (see the module docstring and numpycam.evaluation.table.COLUMNS); fractions
    in [0, 1].

    ``models``: name -> Sequential; ``data``: images, labels, boxes, masks (numpycam.data);
    ``methods``: names in numpycam.methods.registry.METHODS, by default every one.
    Methods in ``every_layer`` get a row at every conv ReLU, the others at the last one (see
    :func:`numpycam.evaluation.plan.plan`). Rows of methods in ``sweep`` at the last conv ReLU also get
    ``loc_by_threshold``; Grad-CAM rows at CAM's layer get ``same_boxes_as_cam`` and
    ``same_boxes_as_relu_cam``. Every row also gets the threshold-free columns of
    numpycam.evaluation.threshold_free (MaxBoxAccV2, PxAP, ...); ``val`` (a labelled data set other than
    ``data``, named ``val_name``) chooses each row's one threshold for ``box_acc_tau_val``.
    """
    x, y, gt, masks = data.images, data.labels, data.boxes, data.masks
    n = len(y)
    nf, slow_n, timing_n = min(faithfulness_n, n), min(slow_n, n), min(timing_n, n)
    specs, out = plan(models, methods, every_layer), []
    for name, model in models.items():
        try:
            model.forward(x[:1])
        except ValueError as err:
            raise ValueError(f"model {name!r} cannot take these {x.shape[2]} x {x.shape[3]} "
                             f"images: {err}") from None
        mine = [s for s in specs if s.model == name]
        rows, pred = _compute(model, name, mine, x, y, gt, masks, threshold, nf, slow_n,
                              batch_size, sweep, progress)
        val_ious = {}
        if val is not None:  # the same maps on the separate split, only to choose tau
            vrows, _ = _compute(model, name, mine, val.images, val.labels, val.boxes, val.masks,
                                threshold, 0, min(slow_n, len(val)), batch_size, (), None)
            val_ious = {s: np.concatenate(r.ious) for s, r in vrows.items()}
        for s, r in rows.items():
            boxes = np.concatenate(r.boxes)
            m = len(boxes)
            if has_rule(s.method):  # maps came from the shared pass: time the public function
                r.seconds = _timed(method_maps, model, x[:timing_n], pred[:timing_n], s.method,
                                   s.layer)[1] * m / timing_n
            k = min(nf, m)
            Lp = np.concatenate(r.kept)[:k]
            xf, cf = x[:k], pred[:k]
            drop = average_drop_increase(model, xf, Lp, cf)
            row = {**s._asdict(), "n": m, "threshold": threshold,
                   "accuracy": float(np.mean(pred[:m] == y[:m])),
                   "loc_accuracy": localization_accuracy(boxes, gt[:m], pred[:m], y[:m]),
                   "gt_known": float(np.mean(iou(np.concatenate(r.true_boxes), gt[:m]) >= 0.5)),
                   "mean_iou": float(np.mean(iou(boxes, gt[:m]))),
                   "pointing": float(np.mean(np.concatenate(r.hits))),
                   "energy": float(np.mean(np.concatenate(r.energy))),
                   "ms_per_image": 1000 * r.seconds / m,
                   "n_faithfulness": k, "steps": steps,
                   "deletion": float(np.mean(deletion_auc(model, xf, Lp, cf, steps))),
                   "insertion": float(np.mean(insertion_auc(model, xf, Lp, cf, steps))),
                   "average_drop": drop.average_drop, "increase": drop.increase,
                   "loc_by_threshold": None, "same_boxes_as_cam": None,
                   "same_boxes_as_relu_cam": None, "_boxes": boxes}
            row.update(wsol_columns(np.concatenate(r.ious), np.concatenate(r.native), masks[:m],
                                    val_ious.get(s), val_name))
            if r.sweep:
                swept = np.concatenate(r.swept, axis=1)  # (T, m, 4)
                row["loc_by_threshold"] = {str(t): localization_accuracy(b, gt[:m], pred[:m], y[:m])
                                           for t, b in zip(THRESHOLDS, swept, strict=True)}
            out.append(row)
            if progress:
                progress(f"{name}: {s.method} at {s.layer} scored")
        cam_rows = [r for s, r in rows.items() if s.method == "cam"]
        if cam_rows:
            _same_boxes(out, np.concatenate(cam_rows[0].relu_boxes), name)
    for row in out:
        del row["_boxes"]
    return out


def _same_boxes(rows: list[dict], relu_boxes: np.ndarray, name: str) -> None:
    """Grad-CAM = max(CAM, 0) / Z at CAM's layer of a GAP net: do their boxes agree?"""
    cams = [r for r in rows if r["model"] == name and r["method"] == "cam"]
    for r in rows:
        if cams and r["model"] == name and r["method"] == "grad_cam" \
                and r["layer"] == cams[0]["layer"]:
            r["same_boxes_as_cam"] = float(np.mean(np.all(r["_boxes"] == cams[0]["_boxes"], 1)))
            r["same_boxes_as_relu_cam"] = float(np.mean(np.all(r["_boxes"] == relu_boxes, 1)))
