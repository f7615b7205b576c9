# %% [markdown]
# # Lesson 3 — Global Average Pooling
#
# Post section: **Class Activation Map (CAM) › Global Average Pooling (GAP)**, in
# "CNN visualization: CAM and Grad-CAM 설명". Paper: Zhou et al., "Learning Deep Features for
# Discriminative Localization", CVPR 2016.
#
# $$F_k = \frac{1}{Z} \sum_i \sum_j f_k(i, j), \qquad Z = h \cdot w \text{ positions per map}$$
#
# A conv layer hands over K maps f_k, each h × w. GAP replaces every map by one number, its
# average, so K maps become a vector of K numbers. With K = 4 the post's picture turns a
# depth-4 block into a 4-vector; the whole spatial layout is averaged away, which is why the
# post calls it an extreme reduction of dimension.
#
# **Look for** in `03_gap_toy.png`: maps 0 and 2 look nothing alike, yet both average to 2.
# GAP keeps *how much* of a feature there is, not *where*. (CAM will get the *where* back by
# using the maps from before the averaging.)

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()

# %% [markdown]
# ## A depth-4 feature map by hand
# One image (N = 1), K = 4 channels of 3 × 3, so Z = 9.

# %%
f = np.zeros((1, 4, 3, 3))
f[0, 0] = 2                                  # flat: 2 everywhere
f[0, 1, 0, 0] = 9                            # one strong spot in a corner
f[0, 2] = [[1, 2, 3], [1, 2, 3], [1, 2, 3]]  # a left-to-right ramp
f[0, 3] = np.arange(9).reshape(3, 3)         # 0 .. 8
gap = nc.GlobalAvgPool2D()
F = gap.forward(f)  # (1, 4)
print("f has", f[0].size, "numbers; F =", F[0], "has", F.shape[1])

# The worked number: map 3 holds 0 + 1 + ... + 8 = 36 over Z = 9 positions, so F_3 = 4.
assert np.allclose(F[0], [2, 1, 2, 4]) and F[0, 3] == 36 / 9

# %%
fig, axes = viz.figure_grid(1, 5, title="GAP: each 3 x 3 map becomes its average")
for k in range(4):
    viz.heatmap(axes[0, k], f[0, k], f"f_{k}:  F_{k} = {F[0, k]:g}", annotate=True, fmt="{:g}",
                vmin=0, vmax=9, colorbar=k == 3)
viz.bars(axes[0, 4], F[0], [f"F_{k}" for k in range(4)], "the 4-vector F")
print("wrote", viz.save(fig, OUT / "03_gap_toy.png"))

# %% [markdown]
# ## The same step inside the CAM network
# The shipped `gap` model (`gap_cnn` with one more conv block added by `deepen`, four conv
# layers in all) ends with a conv layer of K = 64 maps of 16 × 16 on a 64 × 64 image: 16,384
# numbers, which GAP turns into 64. The Dense layer after it sees only those 64 averages:
#
# $$S^c = \sum_k w_k^c F_k + b_c$$
#
# **Look for** in `03_gap_network.png` (seed 123: the first test image the model gets right, a
# circle): the four maps with the largest averages are each one bright blob on the circle,
# black (zero) elsewhere. Their F_k (about 5 to 7 here) are the red bars; most grey bars are
# much smaller. F_k says "much of this feature", no longer where: the blob could sit
# anywhere in the image and give the same bar.
#
# %%
model = nc.pretrained("gap")
data = shapes(8, seed=123)
i = int(np.flatnonzero(model.predict(data.images) == data.labels)[0])  # first one it gets right
x, pred = data.images[i : i + 1], int(data.labels[i])
model.forward(x)
last = model.names[model.index("gap") - 1]  # the layer feeding GAP: the last conv's ReLU
f_real = model.activation(last)  # (1, 64, 16, 16)
F_real = model.activation("gap")  # (1, 64)
print(f"{last} output {f_real.shape} = {f_real[0].size} numbers -> gap output {F_real.shape}")
assert np.allclose(F_real, f_real.mean(axis=(2, 3)), rtol=1e-5, atol=1e-7)

top = np.argsort(F_real[0])[::-1][:4]
# What the four largest averages are about: each of those maps puts a larger share of its mass
# inside the object's box than the box's share of the image (a map that ignored the object
# would match that share). GAP then throws the position away.
x0, y0, x1, y1 = data.boxes[i]
box_share = (x1 - x0) * (y1 - y0) / x.shape[-1] ** 2
in_box = [float(m[y0:y1, x0:x1].sum() / m.sum()) for m in nc.upsample(f_real[0, top], x.shape[-1])]
print(f"box = {box_share:.0%} of the image; share of each top map inside it:",
      ", ".join(f"{s:.0%}" for s in in_box))
assert min(in_box) > box_share
fig, axes = viz.figure_grid(1, 6, title=f"gap_cnn: 64 maps of 16 x 16 -> 64 numbers "
                            f"(image of a {CLASSES[data.labels[i]]})",
                            width_ratios=[1, 1, 1, 1, 1, 2.2])
viz.show_image(axes[0, 0], x[0], f"input (model says {CLASSES[pred]})")
viz.draw_box(axes[0, 0], data.boxes[i])
hi = float(f_real[0, top].max())  # one colour scale for the four maps
for col, k in enumerate(top, start=1):
    viz.heatmap(axes[0, col], f_real[0, k], f"f_{k}: F_{k} = {F_real[0, k]:.2f}",
                vmin=0, vmax=hi, colorbar=col == 4)
red = viz.bars(axes[0, 5], F_real[0], None, "F_k for k = 0..63 (the 4 largest in red)", top=4,
               ylabel="F_k")
assert set(red) == set(top)  # the red bars are the four maps drawn
print("wrote", viz.save(fig, OUT / "03_gap_network.png"))

# %% [markdown]
# **Try this:** change `seed=123` in `shapes(8, seed=123)`: the image changes, and so do the
# four channels, but their maps stay on the object (the assert checks it) while the bars keep
# no trace of where it is. Then write `gap_forward`, `gap_backward` yourself, in plain
# NumPy: section "Lesson 3" of `lessons/exercises/exercises.py`. Grade your answers with
# `numpycam check lessons/exercises/exercises.py --only gap_forward gap_backward`.
