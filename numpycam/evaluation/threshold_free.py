"""The threshold-free columns of ``numpycam evaluate`` (numpycam.evaluation.wsol), and the two baselines.

For each row, with L_n the map of the TRUE class (the class is given, as in Choe et al. 2020):

    maxboxacc    MaxBoxAccV2 = mean over delta in {0.3, 0.5, 0.7} of max_t BoxAcc(t, delta)
    @0.3 .. @0.7 MaxBoxAcc(delta)
    pxap         pixel average precision of the normalised maps against the masks, pooled
    tau_val      the t that maximises BoxAcc(t, 0.5) on a SEPARATE labelled split (``val``,
                 never the test set), and box_acc_tau_val = BoxAcc(tau_val, 0.5) on the test set:
                 the honest one-threshold score, where the papers fix 20 % of the maximum
    best_tau     {delta: t} chosen on the test set itself (what MaxBoxAcc reports; for reference)
    box_acc_by_tau  {delta: [BoxAcc(t, delta) for t in TAUS]}, for the threshold figure

Baselines ignore the image: ``centre_gaussian`` (numpycam.evaluation.wsol.centre_gaussian, sigma a quarter
of the side) and ``random`` (uniform noise on a grid a quarter of the image side, upsampled like
a method's map). They are scored by every measure that needs no network; the others are None.
"""

from __future__ import annotations

import numpy as np

from numpycam.evaluation.localize import box_from_map, iou
from numpycam.evaluation.pointing import energy_in_box, pointing_game
from numpycam.evaluation.wsol import DELTAS, TAUS, MaxBoxAcc, best_ious, centre_gaussian, pxap, random_maps
from numpycam.methods.postprocess import normalize, upsample

__all__ = ["BASELINES", "WSOL_COLUMNS", "baseline_rows", "format_wsol_table", "native_true_maps",
           "true_map_ious", "wsol_columns"]

BASELINES = ("centre_gaussian", "random")
WSOL_COLUMNS = (("model", "model", "{}"), ("method", "method", "{}"), ("layer", "layer", "{}"),
                ("n", "n", "{}"), ("max_box_acc", "MaxBoxAccV2 %", "{:.1%}"),
                ("max_box_acc_30", "@0.3 %", "{:.1%}"), ("max_box_acc_50", "@0.5 %", "{:.1%}"),
                ("max_box_acc_70", "@0.7 %", "{:.1%}"), ("pxap", "PxAP %", "{:.1%}"),
                ("tau_val", "tau (val)", "{:.2f}"), ("box_acc_tau_val", "BoxAcc@tau %", "{:.1%}"))


def native_true_maps(Lp: np.ndarray, Lt: np.ndarray | None, wrong: np.ndarray) -> np.ndarray:
    """The maps of the true class at the layer's resolution: Lp where the prediction was right,
    Lt (the true class's maps of the wrongly classified images) elsewhere. (B, h, w)."""
    out = Lp.copy()
    if Lt is not None and len(Lt):
        out[wrong] = Lt
    return out


def true_map_ious(up: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU_n(t) (B, T) of true-class maps already upsampled to the image (numpycam.evaluation.wsol)."""
    return best_ious(normalize(up.astype(np.float64)), boxes)


def wsol_columns(ious: np.ndarray, native: np.ndarray, masks: np.ndarray,
                 val_ious: np.ndarray | None, val_name: str | None) -> dict:
    """The new keys of one row from IoU_n(t) (N, T), the true-class maps (N, h, w), the masks
    (N, H, W) and IoU_n(t) of the same row on the separate split (or None)."""
    r = MaxBoxAcc(ious, TAUS, DELTAS)
    out = {"max_box_acc": float(r), "pxap": pxap(native, masks),
           **{f"max_box_acc_{round(100 * d)}": v for d, v in r.per_delta.items()},
           "best_tau": {str(d): t for d, t in r.best_tau.items()},
           "box_acc_by_tau": {str(d): [float(v) for v in row]
                              for d, row in zip(DELTAS, r.box_acc, strict=True)},
           "tau_val": None, "box_acc_tau_val": None, "tau_chosen_on": None}
    if val_ious is not None:
        tau = MaxBoxAcc(val_ious, TAUS, (0.5,)).best_tau[0.5]
        out.update(tau_val=tau, box_acc_tau_val=r.at(tau, 0.5), tau_chosen_on=val_name)
    return out


def _baseline_maps(name: str, n: int, size: int, seed: int) -> np.ndarray:
    """The baseline's maps (N, h, w) for n images of side ``size``."""
    if name == "centre_gaussian":
        return centre_gaussian(n, size)
    return random_maps(n, max(1, size // 4), seed=seed)


def baseline_rows(data, *, threshold: float = 0.2, val=None, val_name: str | None = None,
                  seed: int = 0) -> list[dict]:
    """One row per baseline with the keys of numpycam.evaluation.evaluate's rows; None where a measure
    needs a network (accuracy, top-1 loc, faithfulness, timing)."""
    size = data.images.shape[-1]
    rows = []
    for name in BASELINES:
        native = _baseline_maps(name, len(data), size, seed)
        up = upsample(native, (size, size))
        boxes = box_from_map(up, threshold)
        val_ious = None
        if val is not None:
            val_ious = true_map_ious(upsample(_baseline_maps(name, len(val), size, seed + 1),
                                              (size, size)), val.boxes)
        row = {"model": "baseline", "method": name, "layer": "-", "n": len(data),
               "threshold": threshold, "accuracy": None, "loc_accuracy": None,
               "gt_known": float(np.mean(iou(boxes, data.boxes) >= 0.5)),
               "mean_iou": float(np.mean(iou(boxes, data.boxes))),
               "pointing": float(np.mean(pointing_game(up, data.masks))),
               "energy": float(np.mean(energy_in_box(up, data.boxes))),
               "ms_per_image": None, "n_faithfulness": 0, "steps": None, "deletion": None,
               "insertion": None, "average_drop": None, "increase": None,
               "loc_by_threshold": None, "same_boxes_as_cam": None, "same_boxes_as_relu_cam": None}
        row.update(wsol_columns(true_map_ious(up, data.boxes), native, data.masks, val_ious,
                                val_name))
        rows.append(row)
    return rows


def format_wsol_table(rows: list[dict]) -> str:
    """The threshold-free columns as an aligned text table, with how they were made."""
    def cell(r, key, fmt):
        return "-" if r.get(key) is None else fmt.format(r[key])

    cells = [[h for _, h, _ in WSOL_COLUMNS]]
    cells += [[cell(r, k, fmt) for k, _, fmt in WSOL_COLUMNS] for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(WSOL_COLUMNS))]
    lines = ["  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                       for j, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    chosen = sorted({r["tau_chosen_on"] for r in rows if r.get("tau_chosen_on")})
    lines += [
        "",
        "Threshold-free (Choe et al. 2020), maps of the TRUE class, min-max normalised: "
        "MaxBoxAccV2 = mean over delta 0.3, 0.5, 0.7 of",
        "     MaxBoxAcc(delta) = max over t in 0, 0.01, .., 0.99 of the share of images with a "
        "box of ANY region of {map >= t} at IoU >= delta;",
        "PxAP: average precision of all pixels of all maps against the object masks.",
        "tau (val): the t that maximises BoxAcc(t, 0.5) on "
        + (", ".join(chosen) if chosen else "no separate split (not given)")
        + ", never on the test set; BoxAcc@tau: BoxAcc(tau, 0.5) on the test set.",
        "Baselines ignore the image: a centred Gaussian (sigma = side / 4) and uniform noise "
        "on a grid of side / 4, upsampled.",
    ]
    return "\n".join(lines)
