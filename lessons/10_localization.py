# %% [markdown]
# # Lesson 10 — Weakly supervised localisation: from a map to a box
#
# Post sections: **Weakly Supervised learning** and **Class Activation Map (CAM) › Results**,
# in "CNN visualization: CAM and Grad-CAM 설명". Papers: Zhou et al., "Learning Deep Features
# for Discriminative Localization", CVPR 2016 (box protocol, threshold 20 %); Selvaraju et al.,
# "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization", ICCV 2017;
# Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016 (pointing game).
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
# class), *mean IoU*, *pointing game* (the map's peak lies on the object's mask), *energy in
# box* (share of the positive map inside the true box). A baseline with no network at all
# (a fixed bump in the image centre) shows what those numbers are worth.
#
# **Look for** in `10_localization_table.png`: the methods against the centre baseline. On
# the shipped `gap` model (four conv layers), CAM and Grad-CAM find the box (IoU >= 0.5) for
# 97 % of the images and put their peak on the object for all 100, against 13 % and 26 % for
# the bump that knows nothing. `fc_cnn` classifies every image right, yet its Grad-CAM finds
# only 31 % of the boxes and points at the object 56 % of the time: a good classifier need
# not give a good map. CAM and Grad-CAM of `gap_cnn` give the same numbers, as expected from
# Grad-CAM = ReLU(CAM) / Z (lesson 8). (They are not computed identically: the library
# upsamples CAM with its negative values and Grad-CAM after its ReLU, so near the edge of the
# kept region the two can differ slightly; here that changes none of the rounded numbers.)
#
# In `10_localization_examples.png` (the first image of each class; every one classified
# correctly by both models): the white box read off each map against the green true box.
# Each map is drawn as a fraction of its own peak with negative values clipped to 0, so the
# colour bar reads directly against the 20 % threshold. On `gap_cnn` CAM and Grad-CAM look
# the same. All four boxes pass IoU 0.5, none tightly: the circle's map is a blob a little
# below and left of the centre, so its box is shifted (IoU 0.66); the square's blob gives a
# box slightly too small (0.76); the cross's map covers the whole cross and its box is a
# little too large (0.73); the triangle's map is two blobs on its top corners, so the box
# covers the upper part and reaches above and left of the truth (0.53, just over the bar).
# `fc_cnn`'s maps sit on part of the outline (the bottom of the circle, the left edge of the
# square, one arm and a spot on the cross), so those boxes are shifted or too small (IoU
# 0.14-0.48); only its triangle, marked along two sides and corners, gets a fitting box (0.71).

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

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
# ## Maps for 100 test images

# %%
gap, fc = nc.pretrained("gap"), nc.pretrained("fc")
test = shapes(100, seed=123)
x, y, size = test.images, test.labels, test.images.shape[-1]

bump = np.exp(-((np.arange(16) - 7.5) ** 2) / (2 * 2.0**2))
centre = np.outer(bump, bump)  # (16, 16): no network, always the middle

methods = {
    "CAM, gap_cnn": lambda c, rows: nc.cam(gap, x[rows], c, details=True),
    "Grad-CAM, gap_cnn": lambda c, rows: nc.grad_cam(gap, x[rows], c, details=True),
    "Grad-CAM, fc_cnn": lambda c, rows: nc.grad_cam(fc, x[rows], c, layer="relu3", details=True),
}
results, rows = {}, np.arange(len(x))
for name, explain in methods.items():
    e = explain(y, rows)  # maps for the true class, and the scores
    pred = e.scores.argmax(axis=1)
    maps_pred = e.maps.copy()  # maps for the predicted class: redo only the misclassified
    wrong = pred != y
    if wrong.any():
        maps_pred[wrong] = explain(pred[wrong], rows[wrong]).maps
    results[name] = (e.maps, maps_pred, pred)
# the baseline has no classifier: it borrows gap_cnn's predicted classes for top-1 loc.
centre_maps = np.repeat(centre[None], len(x), axis=0)
results["centre bump, no net"] = (centre_maps, centre_maps, results["CAM, gap_cnn"][2])

# %%
header = (f"{'method':<24}{'class acc':>10}{'top-1 loc':>10}{'GT-known':>10}{'mean IoU':>10}"
          f"{'pointing':>10}{'energy':>8}")
lines, boxes, stats = [header, "-" * len(header)], {}, {}
for name, (maps_true, maps_pred, pred) in results.items():
    boxes[name] = nc.box_from_map(maps_true, 0.2, size=size)  # (N, 4)
    iou = nc.iou(boxes[name], test.boxes)  # (N,)
    top1 = nc.localization_accuracy(nc.box_from_map(maps_pred, 0.2, size=size), test.boxes, pred, y)
    pointing = nc.pointing_game(maps_true, test.masks).mean()
    energy = nc.energy_in_box(maps_true, test.boxes, size=size).mean()
    stats[name] = (round(100 * top1), round(100 * (iou >= 0.5).mean()), round(100 * pointing))
    lines.append(f"{name:<24}{(pred == y).mean():>10.0%}{top1:>10.0%}{(iou >= 0.5).mean():>10.0%}"
                 f"{iou.mean():>10.2f}{pointing:>10.0%}{energy:>8.2f}")
table = "\n".join(lines)
print(table)
# the numbers quoted at the top of the lesson: (top-1 loc, GT-known loc, pointing game) in %
assert stats == {"CAM, gap_cnn": (97, 97, 100), "Grad-CAM, gap_cnn": (97, 97, 100),
                 "Grad-CAM, fc_cnn": (31, 31, 56), "centre bump, no net": (13, 13, 26)}, stats

fig, axes = viz.figure_grid(1, 1, size=7.5, height=1.5, title="localisation on 100 test images "
                            "(box threshold 20 % of the peak, IoU >= 0.5)")
viz.text_panel(axes[0, 0], table, monospace=True, fontsize=8)
print("wrote", viz.save(fig, OUT / "10_localization_table.png"))

# %%
show = [int(np.flatnonzero(y == c)[0]) for c in range(len(CLASSES))]
names = list(methods)
assert all(results[name][2][i] == y[i] for name in names for i in show)  # all classified right
fig, axes = viz.figure_grid(len(show), len(names), title="box from map (white) vs truth (green); "
                            "map / its peak, negatives clipped")
for r, i in enumerate(show):
    for col, name in enumerate(names):
        maps_true = results[name][0]
        iou = nc.iou(boxes[name][i], test.boxes[i])
        peak = float(maps_true[i].max()) or 1.0  # the 20 % threshold is relative to it
        viz.overlay(axes[r, col], x[i], np.maximum(maps_true[i], 0) / peak,
                    f"{name}\n{CLASSES[y[i]]}: IoU {iou:.2f}", vmin=0, vmax=1,
                    colorbar=col == len(names) - 1)
        viz.draw_box(axes[r, col], test.boxes[i])
        viz.draw_box(axes[r, col], boxes[name][i], color=viz.PREDICTED)
print("wrote", viz.save(fig, OUT / "10_localization_examples.png"))
