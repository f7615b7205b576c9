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
# **Look for** in `05_cam_weighted_maps.png` (the first triangle of the seed-123 test set,
# classified correctly): all six channels that move the score most fire on the triangle, but
# not in the same place. Five of them (f_43, f_26, f_11, f_2, f_57) fire across the upper part
# of the shape, strongest towards its two top corners, and have *positive* weights for
# "triangle"; f_8, the channel that moves the score most of all, fires in the middle of the
# shape, with a negative weight. The sum over all 64 channels is strongly positive at the
# triangle's two top corners and negative in its middle: the model's evidence for "triangle"
# is the corners, and a filled middle counts against it.
# The normalised overlay shows two red blobs on the top corners with a cooler hole between
# them; the plain background, where L_CAM is about 0, comes out a middle colour rather than
# the bottom of the scale, because the overlay stretches the map's negative minimum to 0.
# (On the circles and squares of the demo gallery, CAM is instead a blob on the object.)
#
# In `05_cam_per_class.png`: one image, a different map for every class asked about, drawn at
# 64 x 64 on one signed colour scale per row (0 is the middle of the bar) with both objects'
# boxes. Read it with care: the model was trained on one object per image, and on these
# two-object scenes its top score is often a class that is not in the picture (here
# "triangle" in the second scene, well ahead of both present classes; in the first the top
# score is 'cross', which is there). Still, in the second scene the 'circle' map is positive
# on the circle and the 'cross' map on the cross, each negative on the other object: the
# post's picture. In the first scene the 'cross' map is strongly positive on the cross and
# negative on the square, but the 'square' map is only weakly positive on the square, and
# the 'circle' map, for a class that is absent, is also weakly positive there (and strongly
# negative on the cross).
# The line printed at the end counts, over 60 scenes, how often a present class's map puts
# more of its positive part on its own object than on the other one (78 % of the objects;
# both objects of a scene in 57 %; the top score is a class in the scene 73 % of the time).

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes, two_object_scene
from numpycam.scenes import own_object_counts, per_class_maps
from numpycam.viz_gallery import per_class_figure

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
viz.bars(axes[2, 1], contribution, None, "w_k^c F_k, all K (top 6 red)", highlight=top)
viz.heatmap(axes[2, 2], e.maps[0], f"L_CAM = sum of all {len(w)}", signed=True)
viz.heatmap(axes[2, 3], nc.upsample(e.maps[0], 64), "upsampled to 64 x 64", signed=True)
viz.overlay(axes[2, 4], x[0], e.maps[0], "overlay (normalised)")
viz.draw_box(axes[2, 4], data.boxes[i])
viz.text_panel(axes[2, 5], f"S^c = {S:.3f}\n= mean(L_CAM) + b_c\n= {e.maps[0].mean():.3f} "
               f"+ {b:.3f}", "the worked number", monospace=True)
print("wrote", viz.save(fig, OUT / "05_cam_weighted_maps.png"))

# %% [markdown]
# ## One image, one map per class
# The feature maps f_k do not depend on c; only the weights do. Asking for another class
# swaps w^c for another row of the Dense weight matrix. The two-object scenes play the post's
# dog-and-cat picture, where each object's class lights up that object. The first two scenes
# of seed 123 are shown as they come, not chosen.

# %%
scenes = two_object_scene(2, seed=123)
maps, scores = per_class_maps(model, scenes.images, nc.cam)  # (2, M, h, w), (2, M)
fig = per_class_figure(scenes, maps, scores, title="the same image explained for each class "
                       "(CAM at 64 x 64, one signed scale per row)")
print("wrote", viz.save(fig, OUT / "05_cam_per_class.png"))

# %% [markdown]
# The same question over all 60 scenes: for each object, is the positive part of its class's
# CAM larger on its own object (its mask) than on the other object?

# %%
counts = own_object_counts(model, two_object_scene(60, seed=123), nc.cam)
print(counts)
# the numbers quoted at the top of the lesson
assert (round(100 * counts.objects), round(100 * counts.both), round(100 * counts.top_present)) == (78, 57, 73)

# %% [markdown]
# **Try this:** write `cam_sum` yourself, in plain NumPy: section "Lesson 5" of
# `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only cam_sum`.
