# %% [markdown]
# # Lesson 11 — Generalized CAM: on a GAP network, Grad-CAM is CAM
#
# Post section: **Generalized CAM**, in "CNN visualization: CAM and Grad-CAM 설명". Paper:
# Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
# Localization", ICCV 2017, Section 3.1.
#
# $$a_k^c = \frac{w_k^c}{Z} \quad\text{so}\quad L^c_{Grad\text{-}CAM} = \frac{\mathrm{ReLU}(L^c_{CAM})}{Z}$$
#
# Derivation, in three lines. With F_k = (1/Z) Σ_ij f_k(i, j) and S^c = Σ_k w_k^c F_k + b_c:
#
# $$\text{1.}\quad \frac{\partial S^c}{\partial f_k(i, j)} = w_k^c \cdot \frac{\partial F_k}{\partial f_k(i, j)} = \frac{w_k^c}{Z} \quad\text{(the same at every } (i, j)\text{)}$$
#
# $$\text{2.}\quad a_k^c = \frac{1}{Z} \sum_{i,j} \frac{w_k^c}{Z} = \frac{w_k^c}{Z} \quad\text{(} Z \text{ equal terms)}$$
#
# $$\text{3.}\quad \mathrm{ReLU}\Big(\sum_k a_k^c f_k\Big) = \frac{1}{Z}\mathrm{ReLU}\Big(\sum_k w_k^c f_k\Big) = \frac{\mathrm{ReLU}(L^c_{CAM})}{Z} \quad (Z > 0)$$
#
# The same three steps in plain text:
#
#     1.  ∂S^c/∂f_k(i, j) = w_k^c · ∂F_k/∂f_k(i, j) = w_k^c / Z        (the same at every (i, j))
#     2.  a_k^c = (1/Z) Σ_ij w_k^c / Z = w_k^c / Z                      (Z equal terms)
#     3.  ReLU(Σ_k a_k^c f_k) = ReLU(Σ_k w_k^c f_k) / Z = ReLU(L_CAM^c) / Z   (Z > 0)
#
# The gradient recovers the Dense weights, up to the constant 1/Z that no normalised map can
# see. That is why the post calls Grad-CAM a generalisation: where CAM is defined, Grad-CAM
# gives the same picture, and it keeps working where CAM is not (lesson 8).
#
# This lesson checks the identity on the shipped model; the property test
# `tests/test_cam.py::test_grad_cam_is_cam_over_Z_on_gap_networks` proves it for random
# weights, shapes and inputs drawn by Hypothesis.
#
# **Look for** in `11_generalized_cam.png` (the first circle of `shapes(16, seed=123)` that
# `gap_cnn` classifies correctly): the 64 points (w_k^c, a_k^c) all sit on the line of slope
# 1/Z. The last panel, the difference, is float32 round-off (about 1e-7 with seed 123, on map
# values up to 0.54). The signed CAM also shows what the ReLU throws away: small negative
# values around the circle's hot spot, most of them below it.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()
model = nc.pretrained("gap")

data = shapes(16, seed=123)
# the first circle the model classifies correctly, so the map explains a right answer
ok = model.predict(data.images) == data.labels
i = int(np.flatnonzero((data.labels == CLASSES.index("circle")) & ok)[0])
x, c = data.images[i : i + 1], data.labels[i : i + 1]

e_cam = nc.cam(model, x, c, details=True)
e_grad = nc.grad_cam(model, x, c, layer=e_cam.layer, details=True)
Z = e_cam.Z
w, a = e_cam.weights[0], e_grad.weights[0]

# %% [markdown]
# ## The numbers

# %%
print(f"layer {e_cam.layer}: maps of {e_cam.f.shape[2]} x {e_cam.f.shape[3]}, Z = {Z}")
print(" k      w_k^c     Z * a_k^c")
for k in range(5):
    print(f"{k:2d}  {w[k]:+.6f}  {Z * a[k]:+.6f}")
# The identity, for whatever image and class: Z = 16 * 16 = 256 positions (the architecture
# fixes it), and Z times every Grad-CAM weight is the Dense weight, up to float32 round-off.
assert Z == 256
assert np.allclose(Z * a, w, rtol=1e-4, atol=1e-6 * np.abs(w).max())
relu_cam_over_Z = np.maximum(e_cam.maps[0], 0) / Z
diff = np.abs(e_grad.maps[0] - relu_cam_over_Z)
print(f"largest |Grad-CAM - ReLU(CAM)/Z| = {diff.max():.2e} (map values up to "
      f"{relu_cam_over_Z.max():.2e})")
assert np.allclose(e_grad.maps[0], relu_cam_over_Z, rtol=1e-4, atol=1e-6 * relu_cam_over_Z.max())

# %%
fig, axes = viz.figure_grid(1, 5, size=2.9, title="Generalized CAM: a_k^c = w_k^c / Z on gap_cnn")
viz.scatter(axes[0, 0], w, a, "one point per channel k", xlabel="w_k^c (Dense weight)",
            ylabel="a_k^c (mean gradient)", slope=1 / Z, line_label=f"a = w / Z,  Z = {Z}")
viz.heatmap(axes[0, 1], e_cam.maps[0], "L_CAM (signed)", signed=True)
viz.heatmap(axes[0, 2], relu_cam_over_Z, "ReLU(L_CAM) / Z", vmin=0)
viz.heatmap(axes[0, 3], e_grad.maps[0], "L_Grad-CAM", vmin=0)
viz.heatmap(axes[0, 4], diff, f"difference (max {diff.max():.1e})", vmin=0)
print("wrote", viz.save(fig, OUT / "11_generalized_cam.png"))

# %% [markdown]
# **Try this:** ask about a class that is *not* in the picture, e.g. `c = np.array([3])` (the
# cross) just before the CAM cell: the maps change, the identity does not (it never used the
# image or the class). Then compare `Z * nc.grad_cam(model, x, c, layer="relu3",
# details=True).weights[0]` with `w`: relu3 also has 64 maps of 16 x 16, but one conv layer
# lies between it and GAP, so its gradient is no longer the same at every position and the
# identity breaks (CAM has no equation there, lesson 8). The exercise for Grad-CAM's weights
# is section "Lesson 10" of `lessons/exercises/exercises.py`.
