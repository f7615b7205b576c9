# %% [markdown]
# # Lesson 7 — Weakly supervised localisation: from a map to a box
#
# Post sections: **Weakly Supervised learning** and **Class Activation Map (CAM) › Results**,
# in "CNN visualization: CAM and Grad-CAM 설명". Papers: Zhou et al., "Learning Deep Features
# for Discriminative Localization", CVPR 2016 (box protocol, threshold 20 %); Selvaraju et al.,
# "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization", ICCV 2017;
# Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016 (pointing game).
#
# $$\text{keep} = \mathrm{upsample}(L^c) \ge 0.2 \cdot \max L^c, \qquad \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|} \ge 0.5$$
#
#     keep = upsample(L^c) >= 0.2 · max(L^c);   box = bounding box of keep's largest component
#     IoU(A, B) = |A ∩ B| / |A ∪ B|;            a box counts as found when IoU >= 0.5
#
# The networks were trained with one label per image and never saw a box. If their maps
# still point at the objects, the labels alone taught them *where*: that is weak supervision.
# The shapes data set keeps a ground-truth box and mask for every object, used here only to
# score the maps.
#
# Measures (100 test images): *top-1 loc.* (right class AND IoU >= 0.5, the map for the
# predicted class, as in both papers), *GT-known loc.* (IoU >= 0.5 with the map for the true
# class), *mean IoU* (of the predicted class's box, every image), *pointing game* (the map's
# peak lies on the object's mask), *energy in box* (share of the positive map inside the true
# box). A baseline with no network at all (a fixed bump in the image centre) shows what those
# numbers are worth.
#
# The post's other example of weak supervision goes from **box labels to pixel labels**:
# given the box around an object, which of its pixels are the object? The last section keeps
# the pixels of the true box where the map is at least 20 % of its peak inside that box, and
# scores that mask against the true mask, beside the naive answer "the whole box".
#
# **Look for** in `07_localization_table.png` (seed 123): CAM and Grad-CAM of `gap_cnn` find
# the box (IoU >= 0.5) for 94 % of the images and put their peak on the object for 98 %,
# against 13 % and 26 % for the bump that knows nothing. `fc_cnn` classifies as well, and its
# peak lands on the object 87 % of the time, yet its box is right for only 37 %: a good
# classifier need not give a good map, and a map can point at an object without showing its
# size. The two gap_cnn rows agree, as Grad-CAM = ReLU(CAM) / Z says they must (lesson 11).
#
# **Look for** in `07_localization_examples.png` (the first image of each class both models get
# right; maps as a fraction of their peak): the white box read off each map against the green
# true box. gap_cnn's CAM and Grad-CAM are the same blob over most of the object; their boxes
# are about the right size (the triangle's spills left, the cross's is too large). fc_cnn's
# maps are spots on part of the object (the circle's side, the triangle's tip, the square's
# middle), so its boxes are too small, all but the cross's under IoU 0.6.
#
# **Look for** in `07_box_to_pixels.png`: the pixels kept are shown in colour, the rest dimmed.
# Inside the box the map cuts off the corners the circle and the rotated square leave empty,
# which the whole box keeps; on the triangle and the cross it keeps the parts the CAM lights
# (corners, arms) and also empty pixels between them, hardly better than the box. In
# `07_box_to_pixels_iou.png` most points lie above the line y = x (the map helps), with the
# triangles and crosses spread on both sides of it at the left.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes
from numpycam.evaluation.boxlabels import box_masks, mask_in_box, mask_iou
from numpycam.evaluation.evaluate import evaluate

OUT = viz.figures_dir()

# %% [markdown]
# ## The two tools, on numbers you can check by hand

# %%
m = np.zeros((8, 8))
m[2:4, 3:6] = 1.0  # a 2 x 3 blob: rows 2-3, columns 3-5
m[7, 0] = 0.1  # below 20 % of the peak: ignored
assert tuple(nc.box_from_map(m)) == (3, 2, 6, 4)  # (x0, y0, x1, y1), exclusive ends
# The worked number: two 10 x 10 boxes overlapping by half share 50 of 150 pixels.
assert np.isclose(nc.iou([0, 0, 10, 10], [5, 0, 15, 10]), 1 / 3)

# %% [markdown]
# ## Scores for 100 test images
#
# `numpycam.evaluation.evaluate` computes every score above for any method of the registry
# (`nc.METHODS`), the same numbers as `numpycam evaluate`; here CAM and Grad-CAM at the last
# conv layer of each model. Its *mean IoU* is over the boxes of the predicted class, as is
# top-1 loc. The centre bump is no method, so its row is computed here with the same tools.

# %%
gap, fc = nc.pretrained("gap"), nc.pretrained("fc")
test = shapes(100, seed=123)
x, y, size = test.images, test.labels, test.images.shape[-1]

rows = evaluate({"gap_cnn": gap, "fc_cnn": fc}, test, methods=["cam", "grad_cam"],
                every_layer=(), faithfulness_n=1, steps=1, timing_n=1, sweep=())
results = {f"{nc.METHODS[r['method']].label}, {r['model']}": r for r in rows}
assert [r["layer"] for r in rows] == ["relu4", "relu4", "relu3"]  # each model's last conv

bump = np.exp(-((np.arange(16) - 7.5) ** 2) / (2 * 2.0**2))
centre = np.repeat(np.outer(bump, bump)[None], len(x), axis=0)  # (N, 16, 16): always the middle
centre_boxes = nc.box_from_map(centre, 0.2, size=size)
pred_gap = gap.predict(x)  # the baseline has no classifier: it borrows gap_cnn's classes
results["centre bump, no net"] = {
    "accuracy": float(np.mean(pred_gap == y)),
    "loc_accuracy": nc.localization_accuracy(centre_boxes, test.boxes, pred_gap, y),
    "gt_known": float(np.mean(nc.iou(centre_boxes, test.boxes) >= 0.5)),
    "mean_iou": float(np.mean(nc.iou(centre_boxes, test.boxes))),
    "pointing": float(np.mean(nc.pointing_game(centre, test.masks))),
    "energy": float(np.mean(nc.energy_in_box(centre, test.boxes, size=size)))}

# %%
header = (f"{'method':<24}{'class acc':>10}{'top-1 loc':>10}{'GT-known':>10}{'mean IoU':>10}"
          f"{'pointing':>10}{'energy':>8}")
lines = [header, "-" * len(header)]
for name, r in results.items():
    lines.append(f"{name:<24}{r['accuracy']:>10.0%}{r['loc_accuracy']:>10.0%}{r['gt_known']:>10.0%}"
                 f"{r['mean_iou']:>10.2f}{r['pointing']:>10.0%}{r['energy']:>8.2f}")
table = "\n".join(lines)
print(table)

cam_gap, grad_gap = results["CAM, gap_cnn"], results["Grad-CAM, gap_cnn"]
grad_fc, bump_row = results["Grad-CAM, fc_cnn"], results["centre bump, no net"]
measures = ("loc_accuracy", "gt_known", "mean_iou", "pointing", "energy")
# What the table teaches, for any seed:
# - labels alone taught gap_cnn where: its CAM box overlaps the truth for most images, and
#   its map is far better than a bump that knows nothing, on boxes and on the peak;
assert cam_gap["gt_known"] >= 0.75
assert cam_gap["gt_known"] > bump_row["gt_known"] + 0.3 and cam_gap["pointing"] > bump_row["pointing"] + 0.3
# - CAM and Grad-CAM of a GAP network are the same map up to ReLU and 1/Z (lesson 11), so
#   their scores agree (not exactly: CAM is upsampled before its ReLU, Grad-CAM after);
assert all(abs(cam_gap[k] - grad_gap[k]) <= 0.03 for k in measures)
# - fc_cnn's map points at the object far more often than its box is right: spots, not shapes.
assert grad_fc["pointing"] > grad_fc["gt_known"] + 0.2 and grad_fc["gt_known"] < cam_gap["gt_known"]

fig, axes = viz.figure_grid(1, 1, size=7.5, height=1.5, title="localisation on 100 test images "
                            "(box threshold 20 % of the peak, IoU >= 0.5)")
viz.text_panel(axes[0, 0], table, monospace=True, fontsize=8)
print("wrote", viz.save(fig, OUT / "07_localization_table.png"))

# %%
explain = {"CAM, gap_cnn": lambda i: nc.cam(gap, x[i], y[i]),
           "Grad-CAM, gap_cnn": lambda i: nc.grad_cam(gap, x[i], y[i]),
           "Grad-CAM, fc_cnn": lambda i: nc.grad_cam(fc, x[i], y[i], layer="relu3")}
names = list(explain)
right = (pred_gap == y) & (fc.predict(x) == y)  # both models classify it right
show = [int(np.flatnonzero((y == c) & right)[0]) for c in range(len(CLASSES))]
maps = {name: f(show) for name, f in explain.items()}  # (4, 16, 16), the true = predicted class
boxes = {name: nc.box_from_map(m, 0.2, size=size) for name, m in maps.items()}  # (4, 4)
fig, axes = viz.figure_grid(len(show), len(names), title="box from map (white) vs truth (green); "
                            "map / its peak, negatives clipped")
for r, i in enumerate(show):
    for col, name in enumerate(names):
        iou = nc.iou(boxes[name][r], test.boxes[i])
        peak = float(maps[name][r].max()) or 1.0  # the 20 % threshold is relative to it
        viz.overlay(axes[r, col], x[i], np.maximum(maps[name][r], 0) / peak,
                    f"{name}\n{CLASSES[y[i]]}: IoU {iou:.2f}", vmin=0, vmax=1,
                    colorbar=col == len(names) - 1)
        viz.draw_box(axes[r, col], test.boxes[i])
        viz.draw_box(axes[r, col], boxes[name][r], color=viz.PREDICTED)
print("wrote", viz.save(fig, OUT / "07_localization_examples.png"))

# %% [markdown]
# ## Box labels -> pixel labels
#
# Now the box is the label we are given, and the pixels are what we want. For each test image,
# with the CAM of its true class (the box tells us which object, so we know its class):
#
# $$\text{mask}(i, j) = [(i, j) \in \text{box}] \cdot \big[\mathrm{upsample}(L^c)(i, j) \ge 0.2 \cdot \max_{\text{box}} \mathrm{upsample}(L^c)\big]$$
#
# scored by its IoU with the true mask, against the whole box taken as the mask.

# %%
L = nc.cam(gap, x, y)  # (N, 16, 16), the true class of each image
from_map = mask_in_box(L, test.boxes, 0.2, size=size)  # (N, 64, 64) bool
whole_box = box_masks(test.boxes, size)
iou_map, iou_box = mask_iou(from_map, test.masks), mask_iou(whole_box, test.masks)  # (N,)
print(f"{'class':<10}{'whole box':>10}{'map in box':>12}{'map better':>12}")
for k, name in enumerate(CLASSES):
    sel = y == k
    print(f"{name:<10}{iou_box[sel].mean():>10.2f}{iou_map[sel].mean():>12.2f}"
          f"{np.mean(iou_map[sel] > iou_box[sel]):>12.0%}")
print(f"{'all':<10}{iou_box.mean():>10.2f}{iou_map.mean():>12.2f}{np.mean(iou_map > iou_box):>12.0%}")
# The map adds information the box does not have: its mask beats the whole box for most
# images and on average (the worked check; it holds for any seed, by a margin of a few points
# of IoU on the mean, so it is a modest gain).
assert np.mean(iou_map > iou_box) > 0.5 and iou_map.mean() > iou_box.mean()
# Neither is the true mask: the CAM is coarse (16 x 16) and lights the parts that decide the
# class, not the whole object.
assert iou_map.mean() < 0.9

# %%
fig, axes = viz.figure_grid(len(show), 4, title="box label -> pixel label: the map inside the "
                            "true box, thresholded at 20 % of its in-box peak")
for r, i in enumerate(show):
    viz.show_image(axes[r, 0], x[i], f"{CLASSES[y[i]]}: the box label")
    viz.draw_box(axes[r, 0], test.boxes[i])
    viz.overlay(axes[r, 1], x[i], L[i], "CAM of its class", colorbar=False)
    viz.draw_box(axes[r, 1], test.boxes[i])
    for col, (mask, name, score) in enumerate([(from_map[i], "map in box", iou_map[i]),
                                               (whole_box[i], "whole box", iou_box[i])], start=2):
        viz.show_image(axes[r, col], x[i] * (0.25 + 0.75 * mask),
                       f"{name}: IoU {score:.2f} with the true mask")
        viz.draw_box(axes[r, col], test.boxes[i])
print("wrote", viz.save(fig, OUT / "07_box_to_pixels.png"))

fig, axes = viz.figure_grid(1, 1, size=4.2, title="each point is one test image")
viz.scatter(axes[0, 0], iou_box, iou_map, "IoU with the true mask", xlabel="whole box as the mask",
            ylabel="map in box as the mask", slope=1.0, line_label="equal (above: the map helps)")
print("wrote", viz.save(fig, OUT / "07_box_to_pixels_iou.png"))

# %% [markdown]
# **Try this:** change the 0.2 in `mask_in_box(L, test.boxes, 0.2, size=size)`: at 0.5 the
# mask shrinks to the hottest part and loses to the whole box; at 0 it is the box minus the
# pixels where the map is negative. Then write `box_from_map`, `iou`, `pointing_game`
# yourself, in plain NumPy: section "Lesson 7" of `lessons/exercises/exercises.py`. Grade your
# answers with `numpycam check lessons/exercises/exercises.py --only box_from_map iou
# pointing_game`.
