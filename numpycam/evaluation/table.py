"""The text table of ``numpycam.evaluation.evaluate``: one line per row, then how each column was made."""

from __future__ import annotations

# key, header, format; fractions are shown as percentages
COLUMNS = (("model", "model", "{}"), ("method", "method", "{}"), ("layer", "layer", "{}"),
           ("n", "n", "{}"), ("accuracy", "acc %", "{:.1%}"), ("loc_accuracy", "loc %", "{:.1%}"),
           ("gt_known", "gt-known %", "{:.1%}"),
           ("mean_iou", "IoU", "{:.3f}"), ("pointing", "point %", "{:.1%}"),
           ("energy", "energy %", "{:.1%}"), ("ms_per_image", "ms/img", "{:.2f}"),
           ("deletion", "del", "{:.3f}"), ("insertion", "ins", "{:.3f}"),
           ("average_drop", "drop %", "{:.1f}"), ("increase", "incr %", "{:.1f}"))


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table, with a footer that says how each column was made."""
    cells = [[h for _, h, _ in COLUMNS]]
    cells += [["-" if r[k] is None else fmt.format(r[k]) for k, _, fmt in COLUMNS] for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                       for j, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    r0 = rows[0]
    n_all = max(r["n"] for r in rows)
    slow = sorted({r["method"] for r in rows if r["n"] < n_all and r["model"] != "baseline"})
    lines += [
        "",
        f"loc: right class and IoU(box, true box) >= 0.5, box = largest 8-connected region of the "
        f"map >= {r0['threshold']:g} x max",
        "     (CAM paper 0.2, Grad-CAM paper 0.15); IoU: mean over all images. Both use the map "
        "of the PREDICTED class.",
        "gt-known: IoU(box, true box) >= 0.5 with the box of the TRUE class's map, right class "
        "or not.",
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
                     f"{min(r['n'] for r in rows if r['method'] in slow)} images.")
    for r in rows:
        if r["same_boxes_as_cam"] is not None:
            lines.append(
                f"same boxes, {r['model']}: Grad-CAM at {r['layer']} = max(CAM, 0) / Z; its box "
                f"equals CAM's on {r['same_boxes_as_cam']:.1%} of {r['n']} images and that of "
                f"max(CAM, 0) on {r['same_boxes_as_relu_cam']:.1%} (CAM's negative cells pull its "
                "upsampled map down next to them; the ReLU removes them before upsampling)")
    return "\n".join(lines)
