# %% [markdown]
# # Lesson 6 — Why the last conv layer
#
# Post section: **Reason for last conv layer**, in "CNN visualization: CAM and Grad-CAM 설명".
# Paper: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
# Gradient-based Localization", ICCV 2017 (Grad-CAM can be asked of any layer).
#
# $$L^c(i, j) = \mathrm{ReLU}\Big(\sum_k a_k^c f_k(i, j)\Big), \qquad a_k^c = \frac{1}{Z} \sum_i \sum_j \frac{\partial S^c}{\partial f_k(i, j)}$$
#
# CAM only exists at the maps that feed GAP; Grad-CAM (lesson 10) gives a map at any conv
# layer, so we can look along the depth of the network. A unit of an early layer sees a small
# patch of the image (its receptive field) and responds to edges and colours: specific, local
# detail. Each 3 × 3 convolution and each 2 × 2 pooling widens the view, so the last layer's
# units see whole objects and respond to parts of a class: broad, semantic evidence. That is
# where a map of "where is class c" makes sense.
#
# **Look for** in `06_layers.png` (the first test image of each class that the model gets
# right; the shipped `gap` model has four conv layers, so there are four depths), and the
# "in box" number over each map, the share of the map inside the true box:
# - relu1 is pixel-sharp. It fills the circle and the square, traces the edges of the
#   triangle and the cross, and also lights up clutter: patches of background texture beside
#   the circle and the square, the strokes beside the triangle and below the cross. 58-78 % of
#   the map is in the box.
# - relu2 draws outlines: rings round the circle and the square (with a small background blob
#   beside the square), short streaks on the lower arms of the cross. For the triangle it is
#   zero everywhere: every position's weighted sum is negative and the ReLU removes it all (an
#   empty map draws as plain blue).
# - relu3 is coarse (16 x 16, each unit sees 18 x 18 pixels) but lands on the object every
#   time (77-83 % in the box): a blob inside the circle and the square, spots on the
#   triangle's corners and on the arms of the cross.
# - relu4, the last conv layer (the one feeding GAP), has the same 16 x 16 grid but each unit
#   sees 26 x 26 pixels. Its maps are smoother, wider blobs: one on the circle, the square and
#   the cross, two on the triangle's top corners. They are still on the object (62-83 % in
#   the box), on average a little less tightly than relu3's, since the wider blobs spill past
#   the box edges: most of all on the triangle, whose two blobs sit on the box's top corners
#   and spill over them (62 %). Even so, for every one of the four classes the last layer
#   keeps more of its map inside the box than relu1 does.
# So the early layers are the precise, local ones and the deep layers the selective ones,
# which is why CAM and Grad-CAM are taken at the last conv layer.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()
model = nc.pretrained("gap")
# every conv layer's ReLU, from the first to the one that feeds GAP (the last conv layer)
layers = [lay.name for lay in model.layers[: model.index("gap")] if isinstance(lay, nc.ReLU)]
last = layers[-1]

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
# The worked number: 3x3 conv (3), pool (4), 3x3 conv (8), pool (10), 3x3 conv (18), 3x3 conv (26).
assert [rf[name] for name in layers] == [3, 8, 18, 26]

# %% [markdown]
# ## Grad-CAM at each depth

# %%
data = shapes(16, seed=123)
# correctly classified only, so every map explains a right answer (the shipped gap model gets
# all 16 images of this set right, so these are simply the first image of each class)
ok = model.predict(data.images) == data.labels
rows = [int(np.flatnonzero((data.labels == c) & ok)[0]) for c in range(len(CLASSES))]
x, c = data.images[rows], data.labels[rows]
maps = {name: nc.grad_cam(model, x, c, layer=name) for name in layers}

fig, axes = viz.figure_grid(len(rows), 1 + len(layers),
                            title="Grad-CAM of the gap model at each depth: pixel-fine -> coarse and on the object")
# share of each map's (positive) total that falls inside the true box, 0 for an all-zero map
in_box = {name: nc.energy_in_box(maps[name], data.boxes[rows], size=x.shape[-1])
          for name in layers}
# the claims at the top of the lesson: the last layer beats relu1 for every class and is a
# little less tight than relu3 on average, and the ranges quoted there (in %, per layer: the
# smallest and largest share over the four classes)
assert (in_box[last] > in_box["relu1"]).all() and in_box[last].mean() < in_box["relu3"].mean()
assert {name: (round(100 * in_box[name].min()), round(100 * in_box[name].max()))
        for name in ("relu1", "relu3", last)} == {"relu1": (58, 78), "relu3": (77, 83),
                                                   last: (62, 83)}
assert in_box["relu2"][CLASSES.index("triangle")] == 0  # the empty relu2 map
for name in layers:
    print(f"{name}: share of the map inside the box {np.round(in_box[name], 2)}")
for r in range(len(rows)):
    viz.show_image(axes[r, 0], x[r], CLASSES[c[r]])
    viz.draw_box(axes[r, 0], data.boxes[rows[r]])
    for col, name in enumerate(layers, start=1):
        h = maps[name].shape[-1]
        title = f"{name}: {h} x {h}, sees {rf[name]} px\n" if r == 0 else ""
        title += (f"in box: {in_box[name][r]:.2f}" if maps[name][r].max() > 0
                  else "all zero after the ReLU")
        viz.overlay(axes[r, col], x[r], maps[name][r], title, colorbar=col == len(layers))
        viz.draw_box(axes[r, col], data.boxes[rows[r]])
print("wrote", viz.save(fig, OUT / "06_layers.png"))
