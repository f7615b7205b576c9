# %% [markdown]
# # Lesson 5 — Class Activation Map
#
# Post section: **Class Activation Map (CAM)** (the definition after "Fine tuning", and the
# "other case" figure), in "CNN visualization: CAM and Grad-CAM 설명". Paper: Zhou et al.,
# "Learning Deep Features for Discriminative Localization", CVPR 2016, Eq. 2.
#
# $$L^c_{CAM}(i, j) = \sum_k w_k^c f_k(i, j)$$
#
# f_k(i, j) is feature map k of the last conv layer at position (i, j), and w_k^c the weight
# of the Dense layer from channel k to class c. Read it in three steps: scale each map by its
# weight (K weighted maps), add them position by position (one map), then enlarge that map to
# the image size to lay it over the picture.
#
# Why it explains the score: the Dense layer computes S^c = Σ_k w_k^c F_k + b_c with
# F_k = (1/Z) Σ_ij f_k(i, j). Swap the two sums and
#
# $$S^c = \frac{1}{Z} \sum_{i,j} L^c_{CAM}(i, j) + b_c$$
#
# so the score is the average of the CAM plus a bias: each position's share of the score is
# written in the map.
#
# **Look for** in `05_cam_weighted_maps.png` (seed 123, the first triangle the model gets
# right): f_8 fires in the middle of the triangle and has a negative weight, so w_8^c f_8 is a
# blue blob; the five others fire on its corners with positive weights (red). Summed over all
# 64 channels, L_CAM is red on the corners and blue in the middle: the model's evidence for
# "triangle" is the corners, and a filled middle counts against it. The red bars are the six
# largest |w_k^c F_k|, the channels drawn above; f_8's is the long negative one.
#
# **Look for** in `05_cam_summary.png`: the post's CAM summary drawn from the same numbers:
# four maps f_k (never negative: dark to yellow), each times its w_k^c (signed: red or blue),
# the sum over all 64 (red corners, blue middle) and that map over the image. Under the sum,
# its mean plus b_c gives the score S^c, to the digits printed.
#
# **Look for** in `05_cam_per_class.png` (seed 123, the first two scenes with two or more
# objects; object outlines in magenta, each map on its own scale): in the first scene the maps
# of the three present classes are each red on their own object, and the absent 'cross' gets
# S < 0 (P = 0.01) with blue on the square and the triangle. In the second, 'cross' and
# 'square' are red on their own objects, but 'circle', absent, has P = 0.85 and a red patch on
# the square's left edge: a false alarm, and the map shows where it comes from.
#
# The same idea on a real photograph, with a network trained on ImageNet: lesson 14
# (`14_real_photos.py`).

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes
from numpycam.data.multi import multi_object_scenes
from numpycam.evaluation.own_object import own_class_counts, per_class_maps
from numpycam.viz.gallery import per_class_figure
from numpycam.viz.summaries import cam_summary_figure

OUT = viz.figures_dir()
model = nc.pretrained("gap")

# %% [markdown]
# ## The terms of the sum, for one image

# %%
data = shapes(16, seed=123)
ok = model.predict(data.images) == data.labels  # pick among correctly classified images
i = int(np.flatnonzero((data.labels == CLASSES.index("triangle")) & ok)[0])
x, c = data.images[i : i + 1], int(data.labels[i])
e = nc.cam(model, x, c, details=True)
print(e)
f, w, weighted = e.f[0], e.weights[0], e.weighted[0]  # (K, h, w), (K,), (K, h, w)

# The six channels that move the score most: largest |w_k^c F_k|.
contribution = w * f.mean(axis=(1, 2))  # w_k^c F_k, (K,)
top = np.argsort(np.abs(contribution))[::-1][:6]

# %% [markdown]
# The worked number: the mean of the CAM plus the bias is the class score S^c.

# %%
S = e.scores[0, c]
b = model["fc"].b[c]
print(f"S^c = {S:.4f};  mean of L_CAM = {e.maps[0].mean():.4f};  b_c = {b:.4f};  "
      f"sum = {e.maps[0].mean() + b:.4f}")
assert np.isclose(e.maps[0].mean() + b, S, rtol=1e-4, atol=1e-4)
assert np.allclose(weighted.sum(axis=0), e.maps[0], atol=1e-5)  # the pixel-wise sum

# %%
fig, axes = viz.figure_grid(3, 6, title=f"CAM for '{CLASSES[c]}': f_k, w_k^c f_k, and their sum")
fmax = float(f[top].max())
wmax = float(np.abs(weighted[top]).max())
for col, k in enumerate(top):
    viz.heatmap(axes[0, col], f[k], f"f_{k}", vmin=0, vmax=fmax, colorbar=col == 5)
    viz.heatmap(axes[1, col], weighted[k], f"w_{k}^c f_{k},  w = {w[k]:+.2f}", vmin=-wmax,
                vmax=wmax, colorbar=col == 5)
viz.show_image(axes[2, 0], x[0], f"input: {CLASSES[c]}")
viz.draw_box(axes[2, 0], data.boxes[i])
red = viz.bars(axes[2, 1], contribution, None, "w_k^c F_k, all K (6 largest |.| red)", top=6)
assert set(red) == set(top)  # the red bars are the six channels drawn above
viz.heatmap(axes[2, 2], e.maps[0], f"L_CAM = sum of all {len(w)}", signed=True)
viz.heatmap(axes[2, 3], nc.upsample(e.maps[0], 64), "upsampled to 64 x 64", signed=True)
viz.overlay(axes[2, 4], x[0], e.maps[0], "over the image")
viz.draw_box(axes[2, 4], data.boxes[i])
viz.text_panel(axes[2, 5], f"S^c = {S:.3f}\n= mean(L_CAM) + b_c\n= {e.maps[0].mean():.3f} "
               f"+ {b:.3f}", "the worked number", monospace=True)
print("wrote", viz.save(fig, OUT / "05_cam_weighted_maps.png"))

# %% [markdown]
# ## The whole computation in one picture
# The post's CAM summary: the maps f_k, each times its weight w_k^c, summed position by
# position into L_CAM, enlarged over the image. Only the few channels with the largest
# |w_k^c F_k| fit on the page; the sum is over all of them.

# %%
fig = cam_summary_figure(model, x, c, k=4, class_names=CLASSES)
print("wrote", viz.save(fig, OUT / "05_cam_summary.png"))

# %% [markdown]
# ## One image, one map per class
# The feature maps f_k do not depend on c; only the weights do. Asking for another class
# swaps w^c for another row of the Dense weight matrix. To play the post's dog-and-cat
# picture we need images with several objects, and a network that was trained on such
# images with a weak label: the *set* of classes present, nothing about where they are or how
# many. That is `gap_multi`: the `gap` architecture, one sigmoid per class
# (P(c present) = sigmoid(S^c), trained with binary cross-entropy), so S^c is still
# Σ_k w_k^c F_k + b_c and CAM is unchanged.

# %%
multi = nc.pretrained("gap_multi")
scenes = multi_object_scenes(40, seed=123)
print(scenes)
# the first two scenes with at least two objects, chosen by that rule
shown = scenes[np.flatnonzero(scenes.count >= 2)[:2]]
maps, scores = per_class_maps(multi, shown.images, nc.cam)  # (2, M, h, w), (2, M)
# The identity holds for every class of every scene: mean of the CAM plus the bias is S^c.
b_multi = multi["fc"].b  # (M,)
assert np.allclose(maps.mean(axis=(2, 3)) + b_multi, scores, rtol=1e-4, atol=1e-3)
fig = per_class_figure(shown, maps, scores, shared=False, title="the same image explained for "
                       "each class (gap_multi, CAM at 64 x 64, each map on its own signed scale)")
print("wrote", viz.save(fig, OUT / "05_cam_per_class.png"))

# %% [markdown]
# The same question over many fresh scenes: for each object, does the positive part of its
# class's CAM put more mass on that object (its mask) than on all the scene's other objects
# together?

# %%
counts = own_class_counts(multi, multi_object_scenes(200, seed=7), nc.cam)
print(counts)
# A present class's map favours its own object for the great majority of objects, whatever
# the seed (99 % with seed 7), and the set of classes present is read off the scores.
assert counts.objects >= 0.9 and counts.mean_ap >= 0.9

# %% [markdown]
# **Try this:** change `seed=123` in `multi_object_scenes(40, seed=123)` to see other scenes,
# or ask `per_class_maps(model, shown.images, nc.cam)` of the single-label `gap` model (trained
# on one object per image): its maps for absent classes are often strong too. Then write
# `cam_sum` yourself, in plain NumPy: section "Lesson 5" of `lessons/exercises/exercises.py`.
# Grade your answers with `numpycam check lessons/exercises/exercises.py --only cam_sum`.
