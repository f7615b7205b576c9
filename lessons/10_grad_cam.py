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
# Here on the conventional CNN, which has no GAP and so no CAM (lesson 8).
#
# **Look for** in `10_grad_cam_steps.png` (the first square of the test set, which `fc_cnn`
# classifies correctly): the gradient maps are speckled, because the 2 × 2 max-pool after
# relu3 passes gradient to one position in four; each a_k^c is the average of one such map,
# a small number (|a_k^c| < 0.04 here). The channels with the largest weights are far from
# busy: f_0, f_25, f_6 and f_11 each fire at only three to six positions, almost all in one
# spot on the square, while f_10, with a small weight, fires weakly nearly everywhere. The
# weighted sum is signed; after the ReLU one compact spot is left, on the upper half of the
# square and strongest near its centre, with only faint specks elsewhere. For this image
# `fc_cnn`'s Grad-CAM points at a small part of the square, not at the whole square.
#
# In `10_grad_cam_per_class.png`: the post's one-map-per-class picture, now on a network
# without GAP, on the two scenes of lesson 5 (maps at 64 x 64, one colour scale per row).
# As with CAM, `fc_cnn` never saw two objects in training, and its top score is a class that
# is absent in both scenes ('triangle', then 'square'). In the first scene the 'square' map
# sits on the square and the 'cross' map's brightest spots are on the cross, but the
# brightest map of the row is the one for 'circle', also on the square, although S for
# 'circle' is -24.48: the ReLU of step 3 throws the negative evidence away, so a bright
# Grad-CAM does not mean the model believes in the class. In the second scene the 'circle'
# map sits on the circle (the 'square' map too, more weakly), and the 'cross' map, with
# S = -54.29, is faint and scattered. Over 60 scenes (the line printed at the end, the same
# count as in lesson 5) a present class's map favours its own object for 70 % of the
# objects, both objects of a scene in 40 %; the top score is a class in the scene 70 % of
# the time.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.classmaps import one_hot
from numpycam.data import CLASSES, shapes, two_object_scene
from numpycam.scenes import own_object_counts, per_class_maps
from numpycam.viz_gallery import per_class_figure

OUT = viz.figures_dir()
model = nc.pretrained("fc")
layer = "relu3"  # the last conv layer's output, 32 maps of 16 x 16

data = shapes(16, seed=123)
ok = model.predict(data.images) == data.labels  # pick among correctly classified images
i = int(np.flatnonzero((data.labels == CLASSES.index("square")) & ok)[0])
x, c = data.images[i : i + 1], int(data.labels[i])

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
top = np.argsort(np.abs(share))[::-1][:5]  # the five largest |a_k^c F_k|
fig, axes = viz.figure_grid(3, 5, title=f"Grad-CAM on fc_cnn at {layer}, class '{CLASSES[c]}'")
gmax, fmax = float(np.abs(g[top]).max()), float(f[top].max())
for col, k in enumerate(top):
    viz.heatmap(axes[0, col], g[k], f"dS^c/df_{k},  a = {a[k]:+.3g}", vmin=-gmax, vmax=gmax,
                colorbar=col == 4)
    viz.heatmap(axes[1, col], f[k], f"f_{k},  F = {F[k]:.3g}", vmin=0, vmax=fmax, colorbar=col == 4)
viz.show_image(axes[2, 0], x[0], f"input: {CLASSES[c]}")
viz.draw_box(axes[2, 0], data.boxes[i])
viz.bars(axes[2, 1], share, None, "a_k^c F_k for all K (the 5 shown above)", highlight=top)
viz.heatmap(axes[2, 2], before, "sum_k a_k^c f_k", signed=True)
viz.heatmap(axes[2, 3], e.maps[0], "after ReLU", vmin=0)
viz.overlay(axes[2, 4], x[0], e.maps[0], "overlay (normalised)")
viz.draw_box(axes[2, 4], data.boxes[i])
print("wrote", viz.save(fig, OUT / "10_grad_cam_steps.png"))

# %% [markdown]
# ## One map per class, without GAP

# %%
scenes = two_object_scene(2, seed=123)
maps, scores = per_class_maps(model, scenes.images, nc.grad_cam, layer=layer)  # (2, M, h, w)
fig = per_class_figure(scenes, maps, scores, label="Grad-CAM", signed=False,
                       title="Grad-CAM of fc_cnn for each class (64 x 64, one scale per row)")
print("wrote", viz.save(fig, OUT / "10_grad_cam_per_class.png"))

# %%
counts = own_object_counts(model, two_object_scene(60, seed=123), nc.grad_cam, layer=layer)
print(counts)
# the numbers quoted at the top of the lesson
assert (round(100 * counts.objects), round(100 * counts.both), round(100 * counts.top_present)) == (70, 40, 70)

# %% [markdown]
# **Try this:** write `grad_cam_weights`, `upsample_bilinear`, `grad_cam_map` yourself, in plain
# NumPy: section "Lesson 10" of `lessons/exercises/exercises.py`. Grade your answers with `numpycam
# check lessons/exercises/exercises.py --only grad_cam_weights upsample_bilinear grad_cam_map`.
