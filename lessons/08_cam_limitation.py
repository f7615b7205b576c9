# %% [markdown]
# # Lesson 8 — The limitation of CAM
#
# Post section: **Limitation of CAM** (and **CNN architecture for Grad-CAM**), in
# "CNN visualization: CAM and Grad-CAM 설명". Papers: Zhou et al., "Learning Deep Features for
# Discriminative Localization", CVPR 2016; Selvaraju et al., "Grad-CAM: Visual Explanations
# from Deep Networks via Gradient-based Localization", ICCV 2017.
#
# $$L^c_{CAM}(i, j) = \sum_k w_k^c f_k(i, j) \quad\text{needs}\quad S^c = \sum_k w_k^c F_k + b_c$$
#
# The weights w_k^c exist only when the last conv maps go through GAP into a single Dense
# layer. A conventional CNN (Flatten, hidden Dense, ReLU, Dense) has no such number per
# channel, so CAM cannot be computed on it; you would first have to give it a GAP head and
# fine-tune that head (lesson 4), and the map would then exist only at the layer under the
# new head (lesson 6). Grad-CAM takes its channel weights from the gradient instead, which
# every network has.
#
# **Look for** in `08_cam_limitation.png` (seed 123: the first cross both models classify
# right): the conventional CNN's CAM panel holds the library's error message, which names the
# ways out; Grad-CAM fills both rows. On `gap_cnn`, CAM (signed: red) and Grad-CAM (>= 0: dark
# to yellow) have the same shape, hottest at the ends of three arms, and their colour bars
# differ by a factor Z = 256 (lesson 11). On `fc_cnn`, Grad-CAM at its last conv layer is one
# bright spot on the top-right arm and little else.

# %%
import textwrap

import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()
gap, fc = nc.pretrained("gap"), nc.pretrained("fc")

data = shapes(16, seed=123)
ok = (gap.predict(data.images) == data.labels) & (fc.predict(data.images) == data.labels)
i = int(np.flatnonzero((data.labels == CLASSES.index("cross")) & ok)[0])  # right for both
x, c = data.images[i : i + 1], data.labels[i : i + 1]

# %% [markdown]
# ## Asking CAM of the conventional CNN

# %%
try:
    nc.cam(fc, x, c)
    message = None
except ValueError as err:
    message = str(err)
print("nc.cam(fc, x, c) raised ValueError:\n ", message)
# The worked check: it fails, and says why (no GAP) and what to use instead.
assert message is not None and "GlobalAvgPool2D" in message and "grad_cam" in message
assert "gap_head_at" in message

# %% [markdown]
# ## Grad-CAM on both
# On `gap` Grad-CAM's default layer, the last 4-D output, is the one CAM uses: the maps that
# feed GAP (relu4, 16 × 16). On `fc` we ask for the last conv layer's ReLU (relu3, also
# 16 × 16); by default Grad-CAM would take the last 4-D output, pool3 (8 × 8).

# %%
gap_layer = gap.names[gap.index("gap") - 1]  # the layer feeding GAP
fc_layer = fc.names[max(i for i, lay in enumerate(fc.layers) if isinstance(lay, nc.Conv2D)) + 1]
layer_of = {"gap_cnn (GAP + Dense)": gap_layer, "fc_cnn (Flatten + 2 Dense)": fc_layer}
panels = {
    "gap_cnn (GAP + Dense)": (nc.cam(gap, x, c)[0], nc.grad_cam(gap, x, c)[0]),
    "fc_cnn (Flatten + 2 Dense)": (None, nc.grad_cam(fc, x, c, layer=fc_layer)[0]),
}
# On gap_cnn both exist, and Grad-CAM is ReLU(CAM) / Z (lesson 11), for any image.
L_cam, L_grad = panels["gap_cnn (GAP + Dense)"]
assert np.allclose(L_grad, np.maximum(L_cam, 0) / L_cam.size, rtol=1e-4, atol=1e-6)
fig, axes = viz.figure_grid(2, 3, title=f"CAM needs GAP; Grad-CAM does not ('{CLASSES[c[0]]}')")
for r, (name, (L_cam, L_grad)) in enumerate(panels.items()):
    viz.show_image(axes[r, 0], x[0], name)
    viz.draw_box(axes[r, 0], data.boxes[i])
    if L_cam is None:
        viz.text_panel(axes[r, 1], "ValueError:\n" + textwrap.fill(message, 40), "CAM",
                       color="darkred", monospace=True, fontsize=6.5)
    else:
        viz.overlay(axes[r, 1], x[0], L_cam, "CAM")
        viz.draw_box(axes[r, 1], data.boxes[i])
    viz.overlay(axes[r, 2], x[0], L_grad, f"Grad-CAM at {layer_of[name]}")
    viz.draw_box(axes[r, 2], data.boxes[i])
print("wrote", viz.save(fig, OUT / "08_cam_limitation.png"))

# %% [markdown]
# **Try this:** ask `nc.grad_cam(fc, x, c)` without `layer=`: it takes the last 4-D output,
# pool3, and the map is 8 x 8, coarser still. Then follow the error message: lesson 6 puts a
# GAP head on a conv layer and computes a CAM there.
