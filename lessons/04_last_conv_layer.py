# %% [markdown]
# # Lesson 4 — Why the last conv layer
#
# Post section: **Reason for last conv layer**, in "CNN visualization: CAM and Grad-CAM 설명".
# Paper: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
# Gradient-based Localization", ICCV 2017 (Grad-CAM can be asked of any layer).
#
#     L^c(i, j) = ReLU(Σ_k a_k^c f_k(i, j)),   a_k^c = (1/Z) Σ_i Σ_j ∂S^c / ∂f_k(i, j)
#
# CAM only exists at the maps that feed GAP; Grad-CAM (lesson 7) gives a map at any conv
# layer, so we can look along the depth of the network. A unit of an early layer sees a small
# patch of the image (its receptive field) and responds to edges and colours: specific, local
# detail. Each 3 × 3 convolution and each 2 × 2 pooling widens the view, so the last layer's
# units see whole objects and respond to parts of a class: broad, semantic evidence. That is
# where a map of "where is class c" makes sense.
#
# **Look for** in `04_layers.png`: relu1 maps pick out edges and clutter all over the image;
# relu3 maps, on a trained model, gather on the object.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()
model = nc.pretrained("gap")
layers = ["relu1", "relu2", "relu3"]

# %% [markdown]
# ## How much of the image one unit sees
# Receptive field r and jump j (pixels between neighbouring units), layer by layer:
# a k × k convolution adds (k - 1) · j to r; a pooling window of size s adds (s - 1) · j and
# multiplies j by its stride.

# %%
rf, r, j = {}, 1, 1
for layer in model.layers:
    if isinstance(layer, nc.Conv2D):
        r += (layer.kernel_size - 1) * j
        j *= layer.stride
    elif isinstance(layer, nc.MaxPool2D):
        r += (layer.size - 1) * j
        j *= layer.stride
    rf[layer.name] = r
for name in layers:
    print(f"{name}: each unit sees {rf[name]} x {rf[name]} pixels")
# The worked number: 3x3 conv (3), pool (4), 3x3 conv (8), pool (10), 3x3 conv (18).
assert [rf[name] for name in layers] == [3, 8, 18]

# %% [markdown]
# ## Grad-CAM at each depth

# %%
data = shapes(16, seed=123)
rows = [int(np.flatnonzero(data.labels == c)[0]) for c in range(len(CLASSES))]
x, c = data.images[rows], data.labels[rows]
maps = {name: nc.grad_cam(model, x, c, layer=name) for name in layers}

fig, axes = viz.figure_grid(len(rows), 1 + len(layers),
                            title="Grad-CAM of gap_cnn at each depth: specific -> broad")
for r in range(len(rows)):
    viz.show_image(axes[r, 0], x[r], CLASSES[c[r]])
    viz.draw_box(axes[r, 0], data.boxes[rows[r]])
    for col, name in enumerate(layers, start=1):
        h = maps[name].shape[-1]
        title = f"{name}: {h} x {h}, sees {rf[name]} px" if r == 0 else None
        viz.overlay(axes[r, col], x[r], maps[name][r], title, colorbar=col == len(layers))
        viz.draw_box(axes[r, col], data.boxes[rows[r]])
print("wrote", viz.save(fig, OUT / "04_layers.png"))
