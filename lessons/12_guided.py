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
# **Look for** in `12_guided_grad_cam.png` (the first circle, square and triangle that
# `gap_cnn` classifies correctly): our shapes are flat patches of colour, so guided backprop
# does not draw clean edges here; it covers each shape with fine, pixel-level speckle (most
# of the disc, the square, the triangle's top corners and a streak down to its bottom
# corner), and it also marks some clutter: a patch left of the circle, patches beside the
# square, the stroke beside the triangle and a strip along the bottom of its image.
# Multiplying by Grad-CAM removes the clutter and keeps the fine detail only where Grad-CAM
# is high: the disc, the square (whose Grad-CAM is a blob over its middle), and the
# triangle's two top corners (where its Grad-CAM has two blobs, lesson 6), with a fainter
# trace towards its bottom corner. Every map here is for the true class, so the figure does
# not test how class-specific guided backprop is.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

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
# **Try this:** write `guided_relu_backward`, `guided_grad_cam` yourself, in plain NumPy: section
# "Lesson 12" of `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only guided_relu_backward guided_grad_cam`.
