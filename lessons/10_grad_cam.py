# %% [markdown]
# # Lesson 10 — Grad-CAM
#
# Post section: **Gradient-weighted CAM (Grad-CAM)** (Generalized CAM's equations and the
# Grad-CAM figures), in "CNN visualization: CAM and Grad-CAM 설명". Paper: Selvaraju et al.,
# "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
# ICCV 2017, Eqs. 1 and 2.
#
# $$a_k^c = \frac{1}{Z} \sum_i \sum_j \frac{\partial S^c}{\partial f_k(i, j)}$$
#
# $$L^c_{Grad\text{-}CAM}(i, j) = \mathrm{ReLU}\Big(\sum_k a_k^c f_k(i, j)\Big)$$
#
# Three steps on any network: (1) one backward pass from the score S^c (before softmax) down to
# the chosen layer gives a gradient map ∂S^c/∂f_k for every channel; its average over the Z
# positions is the channel weight a_k^c, the mean influence of map k on class c (lesson 9).
# (2) Weight the maps and add them up, as in CAM. (3) Keep the positive part: positions that
# push the score of c up.
#
# First on the conventional CNN, `fc_cnn`, which has no GAP and so no CAM (lesson 8); then one
# map per class on scenes of several objects, with the multi-label model `gap_multi`.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes
from numpycam.data.multi import multi_object_scenes
from numpycam.evaluation.own_object import own_class_counts, per_class_maps
from numpycam.methods.base import one_hot
from numpycam.viz.gallery import per_class_figure
from numpycam.viz.summaries import grad_cam_summary_figure

OUT = viz.figures_dir()
model = nc.pretrained("fc")
layer = "relu3"  # the last conv layer's output, 32 maps of 16 x 16

data = shapes(16, seed=123)
ok = model.predict(data.images) == data.labels  # pick among correctly classified images
i = int(np.flatnonzero((data.labels == CLASSES.index("square")) & ok)[0])
x, c = data.images[i : i + 1], int(data.labels[i])

# %% [markdown]
# ## The post's summary, drawn from the network
#
# The post's Grad-CAM figure, with this network's own numbers: the gradient maps
# ∂S^c/∂f_k, their means a_k^c, the maps f_k, the weighted maps a_k^c f_k, their sum over all
# K channels, the ReLU, and the result upsampled over the image.

# %%
fig = grad_cam_summary_figure(model, x, c, layer, class_names=CLASSES)
print("wrote", viz.save(fig, OUT / "10_grad_cam_summary.png"))

# %% [markdown]
# **Look for** in `10_grad_cam_summary.png` (seed 123, the first square `fc_cnn` gets right):
# read it left to right as the equation. Each a_k^c f_k (fourth column) is small and sits where
# f_k fires; only their sum over all 32 channels makes the patch on the square, and the ReLU
# keeps its positive part. The next cells redo each step by hand.

# %% [markdown]
# ## Step 1: the gradient maps and their averages, by hand

# %%
model.forward(x)
f = model.activation(layer)[0]  # (K, h, w)
g = model.backward(one_hot(np.array([c]), model.num_classes), until=layer, param_grads=False)[0]
a = g.mean(axis=(1, 2))  # (K,): a_k^c = (1/Z) sum_ij dS^c/df_k(i, j)

e = nc.grad_cam(model, x, c, layer=layer, details=True)
before = nc.grad_cam(model, x, c, layer=layer, relu=False)[0]  # sum_k a_k^c f_k, signed
# The worked number: the library's weight of the top channel is the mean of its gradient map.
k0 = int(np.argmax(np.abs(a)))  # the channel with the largest weight
print(f"a_{k0}^c = mean of dS^c/df_{k0} = {g[k0].mean():.6f}; library: {e.weights[0, k0]:.6f}")
assert np.isclose(e.weights[0, k0], g[k0].mean(), rtol=1e-5, atol=1e-9)
assert np.allclose(e.maps[0], np.maximum(before, 0))  # step 3 is the ReLU

# %% [markdown]
# Which channels to show? Averaging the weighted sum over the Z positions gives
# mean_ij sum_k a_k^c f_k(i, j) = sum_k a_k^c F_k, with F_k the mean of f_k: the bar of
# channel k below, a_k^c F_k, is what that channel adds to the map on average. The five
# columns are the five tallest bars (by size, up or down).

# %%
F = f.mean(axis=(1, 2))  # (K,) the mean of each map
share = a * F  # (K,) a_k^c F_k: channel k's part of the mean of sum_k a_k^c f_k
assert np.isclose(share.sum(), before.mean(), rtol=1e-4, atol=1e-7)  # the bars add up to that mean
fig, axes = viz.figure_grid(3, 5, title=f"Grad-CAM on fc_cnn at {layer}, class '{CLASSES[c]}'")
# the bars of all K channels; the five largest |a_k^c F_k| are red and shown above, largest first
top = viz.bars(axes[2, 1], share, None, "a_k^c F_k for all K (red: the 5 above)", top=5)
gmax, fmax = float(np.abs(g[top]).max()), float(f[top].max())
for col, k in enumerate(top):
    viz.heatmap(axes[0, col], g[k], f"dS^c/df_{k},  a = {a[k]:+.3g}", vmin=-gmax, vmax=gmax,
                colorbar=col == 4)
    viz.heatmap(axes[1, col], f[k], f"f_{k},  F = {F[k]:.3g}", vmin=0, vmax=fmax, colorbar=col == 4)
viz.show_image(axes[2, 0], x[0], f"input: {CLASSES[c]}")
viz.draw_box(axes[2, 0], data.boxes[i])
viz.heatmap(axes[2, 2], before, "sum_k a_k^c f_k", signed=True)
viz.heatmap(axes[2, 3], e.maps[0], "after ReLU", vmin=0)
viz.overlay(axes[2, 4], x[0], e.maps[0], "overlay")
viz.draw_box(axes[2, 4], data.boxes[i])
print("wrote", viz.save(fig, OUT / "10_grad_cam_steps.png"))

# %% [markdown]
# **Look for** in `10_grad_cam_steps.png` (seed 123: the first square `fc_cnn` gets right): the
# gradient maps (signed: red up, blue down) are a grid of dots, because the 2 x 2 max-pool after
# relu3 sends gradient to one position in four. f_10 fires weakly all over the image, so its
# small weight still adds the most; the other four fire at two to four positions on the square.
# The weighted sum is mostly near zero with one positive patch; after the ReLU one compact spot
# is left inside the square, a small part of it rather than the whole square.

# %% [markdown]
# ## One map per class: the post's "dog and cat" question
#
# The post's first figure asks one picture about two classes and gets a map on each animal.
# For that the network must have learnt that a picture can hold several classes: `gap_multi`
# was trained on scenes of one to three objects, each labelled only with the set of classes
# present (no boxes, no counts), with one sigmoid per class. Its scores S^c are still the
# logits before the sigmoid, so Grad-CAM's equations do not change; P = sigmoid(S^c) > 0.5
# says "class c is in the picture". Each row below is one scene, asked about every class.

# %%
multi = nc.pretrained("gap_multi")
scenes = multi_object_scenes(3, seed=123, min_objects=2)  # three scenes of two or three objects
maps, scores = per_class_maps(multi, scenes.images, nc.grad_cam)  # (3, M, 16, 16), (3, M)
fig = per_class_figure(scenes, maps, scores, label="Grad-CAM", signed=False,
                       title="Grad-CAM of gap_multi for each class (one scale per row)")
print("wrote", viz.save(fig, OUT / "10_grad_cam_per_class.png"))

# %% [markdown]
# **Look for** in `10_grad_cam_per_class.png` (seed 123): in every row each present class's
# map sits on its own outlined object (the circle's as two blobs at its sides), and the
# classes that are absent get dark maps with P near 0. The square in the second row is found
# (P = 0.98) but its map is faint beside the cross's: one scale per row, and S for the cross
# is 29.5 against 4.1.

# %% [markdown]
# The same question to `fc_cnn`, trained on one object per image with a softmax: a class must
# win against the others, and the network never saw two objects together.

# %%
maps_fc, scores_fc = per_class_maps(model, scenes.images, nc.grad_cam, layer=layer)
fig = per_class_figure(scenes, maps_fc, scores_fc, label="Grad-CAM", signed=False, sigmoid=False,
                       title="Grad-CAM of fc_cnn (one object per image in training, no GAP)")
print("wrote", viz.save(fig, OUT / "10_grad_cam_per_class_fc.png"))

# %% [markdown]
# **Look for** in `10_grad_cam_per_class_fc.png` (the same scenes): the single-label network
# answers another question. In the second row the 'circle' map (S = -33.5, no circle there) is
# bright on the square and the triangle, and the 'cross' map lies on the cross with S = -5.8;
# in the third row the cross, present, gets no map at all. Grad-CAM's ReLU keeps only evidence
# *for* a class, so a bright map does not mean the network believes in it: read S beside it.

# %% [markdown]
# Counted over fresh scenes of one to three objects, with the true masks: for each class
# present, does its map put more of its positive mass on its own object than on all the
# scene's other objects together?

# %%
fresh = multi_object_scenes(100, seed=7)
counts = {"gap_multi": own_class_counts(multi, fresh, nc.grad_cam),
          "fc_cnn": own_class_counts(model, fresh, nc.grad_cam, layer=layer)}
for name, n in counts.items():
    print(f"{name:9s} {n}")
# The property: trained on the question, the multi-label model's maps find their own object
# far more often than chance would, and more often than the single-label network's.
assert counts["gap_multi"].objects > 0.9
assert counts["gap_multi"].objects > counts["fc_cnn"].objects + 0.15

# %% [markdown]
# **Look for** in the two printed lines (seed 7): `gap_multi`'s Grad-CAM favours its own
# object for 98.6 % of the objects and gets every class of a scene right in 97 % of the
# scenes; `fc_cnn`'s for 62 % and 44 %. With other seeds we saw 99-100 % against 60-69 %.

# %% [markdown]
# **Try this:** ask for Grad-CAM at an earlier layer of `gap_multi`, e.g.
# `per_class_maps(multi, scenes.images, nc.grad_cam, layer="relu2")` (maps of 32 x 32): finer,
# but more of each map falls on the other objects: with seed 7, `own_class_counts(multi,
# fresh, nc.grad_cam, layer=...)` gives 98.6 % at relu4, 76 % at relu3 and 43 % at relu2.
# Lesson 14 does the same on a photograph (`14_real_photos.py`: a cat and an espresso
# cup, Grad-CAM at five depths of a real ImageNet network). Then write `grad_cam_weights`,
# `upsample_bilinear`, `grad_cam_map` yourself, in plain NumPy: section "Lesson 10" of
# `lessons/exercises/exercises.py`; grade them with `numpycam check
# lessons/exercises/exercises.py --only grad_cam_weights upsample_bilinear grad_cam_map`.
