"""Weakly supervised localisation and faithfulness of every CAM-family method, on one test set.

Rows are model x method x layer. With x_n a test image, y_n its label, B_n its box, M_n its
mask, c_n = argmax_c S^c(x_n) the predicted class, L^c_n the method's map for class c upsampled
to the image size, t the box threshold (0.2, the CAM paper's; the Grad-CAM paper uses 0.15):

    box_n        box_from_map(L^{c_n}_n, t): largest 8-connected region >= t * max
    loc          mean_n [c_n == y_n and iou(box_n, B_n) >= 0.5]   top-1 localisation (papers)
    mean IoU     mean_n iou(box_n, B_n)                            every image, right or wrong
    pointing     mean_n [argmax L^{y_n}_n lies on M_n]             pointing game, tolerance 0
    energy       mean_n share of max(L^{y_n}_n, 0) inside B_n      energy-based pointing game
    deletion, insertion, average drop, increase: numpycam.metrics on L^{c_n}, first
                 ``faithfulness_n`` images, ``steps`` steps
    ms/img       wall time per image of the method's own function on one batch

Localisation scores the map of the PREDICTED class (a box counts only with the right class);
pointing and energy score the map of the TRUE class (does the map find the object it is asked
about?). f is the output of the ReLU after a conv (non-negative maps, as the papers' f_k); the
family methods explain the last one, which on a GAP model is the map CAM uses.

One forward and one backward pass per batch give f and g = dS^c/df at every explained layer;
each gradient method's map is then its own weight rule (numpycam.family) applied to (f, g).
tests/test_evaluate.py checks that these maps equal those of the public functions. CAM and
Score-CAM run through their public functions; Score-CAM (K forward passes per image) only on
the first ``slow_n`` images.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from numpycam.classmaps import cam, combine, gap_head, grad_cam, grad_cam_weights, one_hot
from numpycam.family import (
    METHODS,
    eigen_weights,
    grad_cam_plus_plus_weights,
    hires_weights,
    layer_cam_weights,
    xgrad_weights,
)
from numpycam.layers import Conv2D, ReLU
from numpycam.localize import box_from_map, energy_in_box, iou, localization_accuracy, pointing_game
from numpycam.maps import upsample
from numpycam.metrics import average_drop_increase, deletion_auc, insertion_auc

ALL_METHODS = ("cam", "grad_cam", *METHODS)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))  # 0.05 .. 0.6, the threshold plot
# method -> (weight_k from (f, g), final ReLU): the rules and defaults of the public functions
RULES = {
    "grad_cam": (grad_cam_weights, True),
    "hires_cam": (hires_weights, True),
    "grad_cam_plus_plus": (grad_cam_plus_plus_weights, True),
    "xgrad_cam": (xgrad_weights, True),
    "layer_cam": (layer_cam_weights, True),
    "eigen_cam": (lambda f, g: eigen_weights(f), False),
}
# key, header, format; fractions are shown as percentages
COLUMNS = (("model", "model", "{}"), ("method", "method", "{}"), ("layer", "layer", "{}"),
           ("n", "n", "{}"), ("accuracy", "acc %", "{:.1%}"), ("loc_accuracy", "loc %", "{:.1%}"),
           ("mean_iou", "IoU", "{:.3f}"), ("pointing", "point %", "{:.1%}"),
           ("energy", "energy %", "{:.1%}"), ("ms_per_image", "ms/img", "{:.2f}"),
           ("deletion", "del", "{:.3f}"), ("insertion", "ins", "{:.3f}"),
           ("average_drop", "drop %", "{:.1f}"), ("increase", "incr %", "{:.1f}"))


class Spec(NamedTuple):
    model: str
    method: str
    layer: str


def conv_relus(model) -> list[str]:
    """Names of the ReLU layers right after a Conv2D: the maps f_k a row can explain."""
    pairs = zip(model.layers[:-1], model.layers[1:], strict=True)
    return [b.name for a, b in pairs if isinstance(a, Conv2D) and isinstance(b, ReLU)]


def plan(models: dict, methods=ALL_METHODS) -> list[Spec]:
    """The rows: CAM on GAP models, Grad-CAM at every conv ReLU, the family at the last one."""
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(ALL_METHODS)}")
    specs = []
    for name, model in models.items():
        relus = conv_relus(model)
        for method in methods:
            if method == "cam":
                try:
                    specs.append(Spec(name, method, model.layers[gap_head(model) - 1].name))
                except ValueError:
                    continue  # no GAP head: CAM does not apply
            elif method == "grad_cam":
                specs += [Spec(name, method, r) for r in relus]
            else:
                specs.append(Spec(name, method, relus[-1]))
    return specs


def explain(model, x, c, method: str, layer: str | None = None) -> np.ndarray:
    """The map (N, h, w) of ``method`` from its public function: cam, grad_cam or METHODS."""
    if method == "cam":
        return cam(model, x, c)
    if method == "grad_cam":
        return grad_cam(model, x, c, layer)
    return METHODS[method](model, x, c, layer)


def gradients_at(model, x, c, layers) -> tuple[np.ndarray, dict]:
    """(S, {i: (f_i, g_i)}): f_i the output of layer i, g_i = dS^c/df_i, for every index in
    ``layers``, from ONE forward and ONE backward pass; ``c=None`` means the predicted class."""
    scores = model.forward(x)  # (N, M)
    c = scores.argmax(axis=1) if c is None else c
    grad, out = one_hot(c, model.num_classes).astype(scores.dtype), {}
    for i in range(len(model.layers) - 1, min(layers) - 1, -1):
        if i in layers:
            out[i] = (model.activation(i), grad)  # grad is dS^c / d(output of layer i)
        if i > min(layers):
            grad = model.layers[i].backward(grad, param_grads=False)
    return scores, out


def rule_map(method: str, f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sum_k weight_k f_k with the method's weight rule, then its ReLU. (N, h, w)."""
    weights_of, relu = RULES[method]
    return combine(f, weights_of(f, g), relu)


class _Row:
    """Per-image results of one row, gathered batch by batch."""

    def __init__(self, spec: Spec, sweep: bool, keep: int):
        self.spec, self.sweep, self.keep, self.seconds = spec, sweep, keep, 0.0
        self.boxes, self.hits, self.energy, self.swept, self.kept = [], [], [], [], []
        self.relu_boxes = []  # CAM rows: boxes of max(CAM, 0), for the same-boxes check

    def add(self, Lp, Lt, wrong, boxes, masks, threshold):
        """Score maps of the predicted class Lp (B, h, w), true-class maps Lt of the wrong ones."""
        up = upsample(Lp, masks.shape[1:])  # (B, H, W)
        self.boxes.append(box_from_map(up, threshold))
        if self.spec.method == "cam":
            self.relu_boxes.append(box_from_map(np.maximum(Lp, 0), threshold, masks.shape[1:]))
        if self.sweep:
            self.swept.append(np.stack([box_from_map(up, t) for t in THRESHOLDS]))  # (T, B, 4)
        if Lt is not None and len(Lt):
            up[wrong] = upsample(Lt, masks.shape[1:])  # now the maps of the true class
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
    shared = [s for s in specs if s.method in RULES]
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
            i = model.index(s.layer)
            if s.method in RULES:
                Lp = rule_map(s.method, *fg[i])
                if s.method == "eigen_cam":  # class-agnostic: the true class's map is the same
                    Lt = Lp[wrong]
                else:
                    Lt = rule_map(s.method, *fg_true[i]) if fg_true else None
            elif s.method == "cam":
                Lp, sec = _timed(cam, model, xb, pred[sl])
                rows[s].seconds += sec
                Lt = cam(model, xb[wrong], yb[wrong]) if wrong.any() else None
            else:
                continue  # slow methods below, on the first slow_n images
            rows[s].add(Lp, Lt, wrong, boxes[sl], masks[sl], threshold)
        if progress:
            progress(f"{name}: {sl.stop}/{n} images")
    for s in specs:
        if s.method in RULES or s.method == "cam":
            continue
        for start in range(0, slow_n, batch_size):
            sl = slice(start, min(start + batch_size, slow_n))
            wrong = pred[sl] != y[sl]
            Lp, sec = _timed(explain, model, x[sl], pred[sl], s.method, s.layer)
            rows[s].seconds += sec
            Lt = None
            if wrong.any():
                Lt = explain(model, x[sl][wrong], y[sl][wrong], s.method, s.layer)
            rows[s].add(Lp, Lt, wrong, boxes[sl], masks[sl], threshold)
        if progress:
            progress(f"{name}: {s.method} on {slow_n} images")
    return rows, pred


def evaluate(models: dict, data, *, methods=ALL_METHODS, threshold: float = 0.2,
             faithfulness_n: int = 100, steps: int = 16, slow_n: int = 100,
             timing_n: int = 16, batch_size: int = 100, sweep=("cam", "grad_cam"),
             progress=None) -> list[dict]:
    """One dict per row (see the module docstring and COLUMNS); fractions in [0, 1].

    ``models``: name -> Sequential; ``data``: images, labels, boxes, masks (numpycam.data).
    Rows of methods in ``sweep`` at the last conv ReLU also get ``loc_by_threshold``; Grad-CAM
    rows at CAM's layer get ``same_boxes_as_cam`` and ``same_boxes_as_relu_cam``.
    """
    x, y, gt, masks = data.images, data.labels, data.boxes, data.masks
    n = len(y)
    nf, slow_n, timing_n = min(faithfulness_n, n), min(slow_n, n), min(timing_n, n)
    specs, out = plan(models, methods), []
    for name, model in models.items():
        try:
            model.forward(x[:1])
        except ValueError as err:
            raise ValueError(f"model {name!r} cannot take these {x.shape[2]} x {x.shape[3]} "
                             f"images: {err}") from None
        mine = [s for s in specs if s.model == name]
        rows, pred = _compute(model, name, mine, x, y, gt, masks, threshold, nf, slow_n,
                              batch_size, sweep, progress)
        for s, r in rows.items():
            boxes = np.concatenate(r.boxes)
            m = len(boxes)
            if s.method in RULES:  # maps came from the shared pass: time the public function
                r.seconds = _timed(explain, model, x[:timing_n], pred[:timing_n], s.method,
                                   s.layer)[1] * m / timing_n
            k = min(nf, m)
            Lp = np.concatenate(r.kept)[:k]
            xf, cf = x[:k], pred[:k]
            drop = average_drop_increase(model, xf, Lp, cf)
            row = {**s._asdict(), "n": m, "threshold": threshold,
                   "accuracy": float(np.mean(pred[:m] == y[:m])),
                   "loc_accuracy": localization_accuracy(boxes, gt[:m], pred[:m], y[:m]),
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


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table, with a footer that says how each column was made."""
    cells = [[h for _, h, _ in COLUMNS]]
    cells += [[fmt.format(r[k]) for k, _, fmt in COLUMNS] for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                       for j, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    r0 = rows[0]
    n_all = max(r["n"] for r in rows)
    slow = sorted({r["method"] for r in rows if r["n"] < n_all})
    lines += [
        "",
        f"loc: right class and IoU(box, true box) >= 0.5, box = largest 8-connected region of the "
        f"map >= {r0['threshold']:g} x max",
        "     (CAM paper 0.2, Grad-CAM paper 0.15); IoU: mean over all images. Both use the map "
        "of the PREDICTED class.",
        "point: argmax of the map on the object mask; energy: share of the positive map inside "
        "the true box. Both use the map of the TRUE class.",
        f"del / ins: deletion (lower is better) / insertion (higher is better) AUC of p_c, "
        f"{r0['steps']} steps; drop / incr: average drop % (lower is better) / increase in",
        f"     confidence % (higher is better); all four on the first {r0['n_faithfulness']} "
        "images, maps of the predicted class.",
        "ms/img: the method's own numpycam function, one batch; layers: the ReLU after each "
        "conv, the family at the last one.",
    ]
    if slow:
        lines.append(f"{', '.join(slow)}: slow (K forward passes per image), so only the first "
                     f"{min(r['n'] for r in rows)} images.")
    for r in rows:
        if r["same_boxes_as_cam"] is not None:
            lines.append(
                f"same boxes, {r['model']}: Grad-CAM at {r['layer']} = max(CAM, 0) / Z; its box "
                f"equals CAM's on {r['same_boxes_as_cam']:.1%} of {r['n']} images and that of "
                f"max(CAM, 0) on {r['same_boxes_as_relu_cam']:.1%} (CAM's negative cells pull its "
                "upsampled map down next to them; the ReLU removes them before upsampling)")
    return "\n".join(lines)
