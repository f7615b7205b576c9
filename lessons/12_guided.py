# %% [markdown]
# # Lesson 12 — Guided Backpropagation and Guided Grad-CAM
#
# Post section: **Gradient-weighted CAM (Grad-CAM) › Result** (panels (b) and (c) of the
# Grad-CAM figure), in "CNN visualization: CAM and Grad-CAM 설명". Papers: Springenberg et al.,
# "Striving for Simplicity: The All Convolutional Net", 2015 (guided backpropagation);
# Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
# Localization", ICCV 2017, Section 3 (Guided Grad-CAM).
#
# $$\text{ReLU, backward:}\quad \frac{\partial L}{\partial z} = g \cdot \mathbf{1}[z > 0]$$
#
# $$\text{guided rule:}\quad \frac{\partial L}{\partial z} = g \cdot \mathbf{1}[z > 0] \cdot \mathbf{1}[g > 0]$$
#
# $$\text{Guided Grad-CAM:}\quad G^c(x) = \mathrm{GB}^c(x) \odot \mathrm{upsample}(L^c_{Grad\text{-}CAM})$$
#
# In plain text:
#
#     ReLU, backward:        ∂L/∂z = g · 1[z > 0]
#     guided rule:           ∂L/∂z = g · 1[z > 0] · 1[g > 0]
#     Guided Grad-CAM:       G^c(x) = guided_backprop^c(x) ⊙ upsample(L_Grad-CAM^c)
#
# z is the ReLU's input in the forward pass and g the gradient arriving from above. Plain
# backprop lets through any gradient where the unit was on; the guided rule also drops the
# negative ones, so only evidence *for* the class flows back to the pixels. On the papers'
# photographs the result is a sharp, pixel-level picture of edges, but hardly
# class-specific. Grad-CAM is the opposite:
# coarse (16 × 16 here) but class-specific. Their element-wise product keeps the fine detail
# only where Grad-CAM says the class is.
#
# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes
from numpycam.data.multi import multi_object_scenes

OUT = viz.figures_dir()

# %% [markdown]
# ## The ReLU rule on five numbers

# %%
z = np.array([[-2.0, -1.0, 0.5, 1.0, 3.0]])  # what went into the ReLU
g = np.array([[1.0, -1.0, 2.0, -3.0, 0.5]])  # the gradient coming back from above
relu = nc.ReLU()
relu.forward(z)
plain, guided = relu.backward(g), relu.backward(g, guided=True)
print("plain :", plain[0], "\nguided:", guided[0])
# The worked number: only positions 2 and 4 have both z > 0 and g > 0.
assert np.array_equal(guided[0], [0, 0, 2.0, 0, 0.5])
assert np.array_equal(plain[0], [0, 0, 2.0, -3.0, 0.5])

fig, axes = viz.figure_grid(1, 1, size=4.6, height=2.6, title="the guided ReLU rule")
viz.heatmap(axes[0, 0], np.concatenate([z, g, plain, guided]), None, signed=True, annotate=True,
            fmt="{:g}", ylabels=["z (forward input)", "g (from above)", "plain: g 1[z>0]",
                                 "guided: also 1[g>0]"])
print("wrote", viz.save(fig, OUT / "12_guided_relu_rule.png"))

# %% [markdown]
# **Look for** in `12_guided_relu_rule.png`: the plain rule (third row) keeps g wherever z > 0,
# including the -3 in the fourth column; the guided rule (last row) zeroes it too, because it
# is negative. Only the two columns where both z and g are positive pass.

# %% [markdown]
# ## The three images, side by side

# %%
model = nc.pretrained("gap")
data = shapes(16, seed=123)
# correctly classified only, so every map explains a right answer (with the shipped weights
# gap_cnn gets all 16 images of this set right, so these are simply the first of each class)
ok = model.predict(data.images) == data.labels
rows = [int(np.flatnonzero((data.labels == c) & ok)[0]) for c in range(3)]
x, c = data.images[rows], data.labels[rows]
L = nc.grad_cam(model, x, c)  # (N, 16, 16)
gb = nc.guided_backprop(model, x, c)  # (N, 3, 64, 64)
ggc = nc.guided_grad_cam(model, x, c)  # (N, 3, 64, 64)
assert np.allclose(ggc, gb * nc.upsample(L, 64)[:, None])  # the product, nothing more

fig, axes = viz.figure_grid(len(rows), 4, title="Grad-CAM x guided backprop = Guided Grad-CAM")
for r in range(len(rows)):
    top = r == 0
    viz.show_image(axes[r, 0], x[r], CLASSES[c[r]])
    viz.draw_box(axes[r, 0], data.boxes[rows[r]])
    viz.overlay(axes[r, 1], x[r], L[r], "Grad-CAM (class-specific)" if top else None)
    viz.draw_box(axes[r, 1], data.boxes[rows[r]])
    viz.show_gradient(axes[r, 2], gb[r], "guided backprop (fine)" if top else None)
    viz.show_gradient(axes[r, 3], ggc[r], "Guided Grad-CAM (both)" if top else None)
print("wrote", viz.save(fig, OUT / "12_guided_grad_cam.png"))

# %% [markdown]
# **Look for** in `12_guided_grad_cam.png` (seed 123, the first circle, square and triangle
# `gap_cnn` gets right): on flat patches of colour guided backprop draws no clean edges but a
# pixel-level speckle over each shape (signed: summed over the colour channels, the first
# conv's weights have both signs), plus a few marks on the clutter. Multiplying by Grad-CAM
# keeps the speckle only where Grad-CAM is high and removes the clutter. Every map here is for
# the true class, so this figure cannot say how class-specific guided backprop is: next section.

# %% [markdown]
# ## Does the picture depend on the class? One scene, two classes
#
# The point of Guided Grad-CAM: guided backprop alone is sharp but hardly class-specific. Take
# one scene with two objects of different classes and ask about each class in turn, with
# `gap_multi`, the model trained on scenes of several objects whose label is the set of classes
# present (lesson 10). The scene is the first of its seed in which the model finds both classes
# (S^c > 0, a probability above one half). Four pictures per class: the plain input gradient
# ∂S^c/∂x, guided backprop, Grad-CAM and Guided Grad-CAM.

# %%
multi = nc.pretrained("gap_multi")
scenes = multi_object_scenes(12, seed=5, min_objects=2, max_objects=2)  # two objects each
S = multi.forward(scenes.images)  # (N, M) scores before the sigmoid
found = (np.take_along_axis(S, scenes.objects, axis=1) > 0).all(axis=1)  # both classes detected
n = int(np.flatnonzero(found)[0])
pair = scenes.objects[n]  # (2,) the classes of the two objects (always different)
x2 = np.repeat(scenes.images[n : n + 1], 2, axis=0)  # the same scene twice, once per class
pictures = {
    "input gradient dS^c/dx": nc.input_gradient(multi, x2, pair),  # (2, 3, 64, 64)
    "guided backprop": nc.guided_backprop(multi, x2, pair),
    "Guided Grad-CAM": nc.guided_grad_cam(multi, x2, pair),
}
L2 = nc.grad_cam(multi, x2, pair)  # (2, 16, 16)


def alike(g):
    """Correlation of the two classes' pictures (summed over colour channels, as drawn)."""
    a, b = g.sum(axis=1)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


for name, g in pictures.items():
    print(f"{name:24s} correlation between the two classes' pictures {alike(g):+.2f}")
mass = np.abs(pictures["Guided Grad-CAM"]).sum(axis=1)  # (2, 64, 64) |G^c| per pixel
own = [float(nc.energy_in_box(mass[k], scenes.boxes[n, k])) for k in range(2)]
other = [float(nc.energy_in_box(mass[k], scenes.boxes[n, 1 - k])) for k in range(2)]
for k in range(2):
    print(f"Guided Grad-CAM for {CLASSES[pair[k]]!r}: {own[k]:.0%} of its mass in its own "
          f"object's box, {other[k]:.0%} in the other's")
# The idea, as properties: guided backprop looks alike whichever class is asked; Guided
# Grad-CAM does not, and each class's picture lies on its own object.
gb_mass = np.abs(pictures["guided backprop"]).sum(axis=1)  # (2, 64, 64)
gb_own = [float(nc.energy_in_box(gb_mass[k], scenes.boxes[n, k])) for k in range(2)]
print("guided backprop alone: " + ", ".join(f"{gb_own[k]:.0%} in the box of {CLASSES[pair[k]]!r}"
                                            for k in range(2)))
assert alike(pictures["guided backprop"]) > alike(pictures["Guided Grad-CAM"]) + 0.2
assert all(o > 0.5 and o > t for o, t in zip(own, other, strict=True))  # mostly on its own object
assert all(o > g for o, g in zip(own, gb_own, strict=True))  # more so than guided backprop alone

# %%
cols = list(pictures)
top = {name: max(float(np.percentile(np.abs(g.sum(axis=1)[k]), 99.5)) for k in range(2))
       for name, g in pictures.items()}  # one colour scale per column, shared by both classes
fig, axes = viz.figure_grid(2, 5, size=2.3, title="one scene, two classes: which picture changes?")
for k in range(2):
    viz.show_image(axes[k, 0], x2[k], f"asked: '{CLASSES[pair[k]]}', S = {S[n, pair[k]]:+.1f}")
    viz.draw_box(axes[k, 0], scenes.boxes[n, k])
    viz.show_gradient(axes[k, 1], pictures[cols[0]][k], cols[0] if k == 0 else None,
                      vmax=top[cols[0]])
    viz.show_gradient(axes[k, 2], pictures[cols[1]][k], cols[1] if k == 0 else None,
                      vmax=top[cols[1]])
    viz.overlay(axes[k, 3], x2[k], L2[k], "Grad-CAM" if k == 0 else None, vmax=float(L2.max()))
    viz.draw_box(axes[k, 3], scenes.boxes[n, k])
    viz.show_gradient(axes[k, 4], pictures[cols[2]][k], cols[2] if k == 0 else None,
                      vmax=top[cols[2]])
print("wrote", viz.save(fig, OUT / "12_two_classes.png"))

# %% [markdown]
# **Look for** in `12_two_classes.png` (seed 5: a cross and a triangle; one colour scale per
# column). Guided backprop hardly changes with the class: both rows draw the cross's four arms
# most strongly (correlation +0.86 between the rows). The plain gradient does change, but as
# noisy speckle of both signs. Grad-CAM moves from the cross to the triangle, and Guided
# Grad-CAM follows it (correlation +0.03), with 88 % and 93 % of its mass in the asked
# object's box, where guided backprop alone has 47 % and 28 %.

# %% [markdown]
# **Try this:** in a new cell, ask about a class that is not in the scene (with seed 5, the
# square: `sq = [CLASSES.index("square")]`) and draw `nc.guided_backprop(multi, x2[:1], sq)`
# and `nc.guided_grad_cam(multi, x2[:1], sq)` with `viz.show_gradient`. The square's score is
# -6.4; its guided backprop is still a picture of the cross (correlation 0.97 with the cross's
# own), while its Guided Grad-CAM almost vanishes (Grad-CAM finds little for the
# square). Then change `seed=5` to see other pairs. The exercise: write `guided_relu_backward`,
# `guided_grad_cam` yourself, in plain NumPy: section "Lesson 12" of
# `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only guided_relu_backward guided_grad_cam`.
