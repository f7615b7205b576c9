# %% [markdown]
# # Lesson 1 — Weakly supervised learning
#
# Post section: **Weakly Supervised learning**, in "CNN visualization: CAM and Grad-CAM 설명".
# Paper: Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016.
#
# A label can say more or less about an image. For one object in a picture:
#
# - a **class label** says *what* is there: one of M classes;
# - a **box** (x0, y0, x1, y1) says *where*, roughly: four numbers;
# - a **pixel mask** says which pixels are the object: one yes/no per pixel.
#
# Learning is *weakly supervised* when the answer we want is more detailed than the labels we
# trained on: we train with class labels and ask *where*, or train with boxes and ask *which
# pixels*. The post gives both examples; CAM is the first one (a classifier trained on class
# labels alone, whose maps show where it looked).
#
# $$\underbrace{c}_{\text{trained on}} \;\longrightarrow\; \underbrace{L^c_{CAM}(i, j)}_{\text{where}} \;\longrightarrow\; \text{box}, \qquad \underbrace{\text{box}}_{\text{given}} \;\longrightarrow\; \text{mask}(i, j)$$
#
# The shapes data of this course (`numpycam.data.shapes`) keeps all three labels for every
# image. The networks are trained on the class labels only; the boxes and masks are used to
# *score* what the networks find, never to train them.
#
# **Look for** in `01_three_labels.png` (seed 123, the first image of each class): one word per
# image, then four numbers, then a few hundred of the 4096 pixels picked out (the rest
# dimmed). The green box is the tightest box around the mask, so it also holds background:
# most of all for the triangle and the cross, whose corners of the box are empty.
#
# **Look for** in `01_weak_labels.png` (the first image of each class the model gets right):
# the CAM of the class is red on the object and near zero (the grey image) elsewhere, though
# it lights the triangle's corners and the cross's arms rather than the whole shape. The
# white box read off it overlaps the green one; inside the green box, the pixels kept trim
# the empty corners of the circle and the square, but cut holes in the triangle and the cross.

# **Look for** in `01_scene_labels.png` (seed 123, the first three scenes of two or more
# objects): each title gives the scene's weak label, the classes present with no place and no
# order, and the classes `gap_multi` finds with P > 0.5; here the two agree for all three
# scenes. Which shape is the square, and where it is, is not in the label: the CAM of each
# class recovers it (lesson 5).

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes
from numpycam.data.multi import multi_object_scenes
from numpycam.evaluation.boxlabels import box_masks, mask_in_box, mask_iou

OUT = viz.figures_dir()

# %% [markdown]
# ## One image, three labels

# %%
data = shapes(32, seed=123)
N, _, H, W = data.images.shape
print(f"{N} images of {H} x {W}; labels {data.labels.shape}, boxes {data.boxes.shape}, "
      f"masks {data.masks.shape}")
# How the three labels relate, for every image: the box is the tightest box around the mask
# (so the mask lies inside it and touches all four sides), and the class is one of M.
for box, mask in zip(data.boxes, data.masks, strict=True):
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    assert tuple(box) == (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)  # exclusive ends
assert set(data.labels) <= set(range(len(CLASSES)))

# How much each label says, counted in yes/no answers (bits): a class is one of M = 4, a box
# is 4 coordinates of 0..64 each (65 choices), a mask is one bit per pixel.
bits = {"class label": np.log2(len(CLASSES)), "box": 4 * np.log2(H + 1), "pixel mask": H * W}
for name, b in bits.items():
    print(f"{name:>12}: {b:7.1f} bits")
assert bits["class label"] < bits["box"] < bits["pixel mask"]

# the first image of each class, chosen by that rule
first = [int(np.flatnonzero(data.labels == c)[0]) for c in range(len(CLASSES))]
fig, axes = viz.figure_grid(len(first), 3, title="the same images, three labels: weak to detailed")
for r, i in enumerate(first):
    viz.show_image(axes[r, 0], data.images[i], f"class label: '{CLASSES[data.labels[i]]}'")
    viz.show_image(axes[r, 1], data.images[i], f"box {tuple(int(v) for v in data.boxes[i])}")
    viz.draw_box(axes[r, 1], data.boxes[i])
    viz.show_image(axes[r, 2], data.images[i] * (0.2 + 0.8 * data.masks[i]),
                   f"pixel mask: {int(data.masks[i].sum())} of {H * W} pixels")
print("wrote", viz.save(fig, OUT / "01_three_labels.png"))

# %% [markdown]
# ## Class labels -> where (a preview of lessons 5 and 7)
# The shipped `gap` model was trained on the class labels of other images of this kind
# (`numpycam train`). Asked for the class it predicts, CAM gives a map over the image (lesson
# 5), and keeping the region above 20 % of the map's peak gives a box (lesson 7). Nobody
# showed the network a box; we only use the true box to score it, by the overlap IoU.

# %%
model = nc.pretrained("gap")
pred = model.predict(data.images)
L = nc.cam(model, data.images, pred)  # (N, 16, 16): the map of the class the model predicts
found = nc.box_from_map(L, 0.2, size=H)  # (N, 4)
overlap = nc.iou(found, data.boxes)  # (N,)
right = (pred == data.labels) & (overlap >= 0.5)
print(f"class right and box overlapping the truth (IoU >= 0.5): {right.mean():.0%} of {N} images")
# Labels alone taught the network where the objects are: for most images the class is right
# and the box read off its map overlaps the true box.
assert right.mean() >= 0.7

# %% [markdown]
# ## Boxes -> pixels (a preview of lesson 7)
# The post's second example: given a box, which of its pixels are the object? Inside the
# true box, keep the pixels where the map is at least 20 % of its peak in that box, and
# compare with the true mask.

# %%
pixels = mask_in_box(nc.cam(model, data.images, data.labels), data.boxes, 0.2, size=H)
assert not (pixels & ~box_masks(data.boxes, H)).any()  # never outside the box
scores = mask_iou(pixels, data.masks)
print(f"IoU of the pixels found inside the box with the true mask: mean {scores.mean():.2f}")

show = [int(np.flatnonzero((data.labels == c) & (pred == c))[0]) for c in range(len(CLASSES))]
fig, axes = viz.figure_grid(len(show), 4, title="weak labels in, detailed answers out "
                            "(green: true box, white: box read off the map)")
for r, i in enumerate(show):
    viz.show_image(axes[r, 0], data.images[i], f"weak label: '{CLASSES[data.labels[i]]}'")
    viz.overlay(axes[r, 1], data.images[i], L[i], f"CAM '{CLASSES[pred[i]]}'", colorbar=False)
    viz.show_image(axes[r, 2], data.images[i], f"box from the map: IoU {overlap[i]:.2f}")
    viz.draw_box(axes[r, 2], data.boxes[i])
    viz.draw_box(axes[r, 2], found[i], color=viz.PREDICTED)
    viz.show_image(axes[r, 3], data.images[i] * (0.2 + 0.8 * pixels[i]),
                   f"given the box -> pixels: IoU {scores[i]:.2f}")
    viz.draw_box(axes[r, 3], data.boxes[i])
print("wrote", viz.save(fig, OUT / "01_weak_labels.png"))

# %% [markdown]
# ## Several objects: the weak label is a set
# A scene with several objects has an even weaker label: the *set* of classes present, with
# no position and no count. `gap_multi` (lesson 5) is trained on such labels; its scores give
# one probability per class, P(c present) = sigmoid(S^c).

# %%
scenes = multi_object_scenes(12, seed=123)
multi = nc.pretrained("gap_multi")
P = 1 / (1 + np.exp(-multi.forward(scenes.images)))  # (N, M)
for n in range(len(scenes)):
    # the weak label is exactly the classes of the scene's objects, as a set
    assert set(np.flatnonzero(scenes.labels[n])) == set(scenes.objects[n][scenes.objects[n] >= 0])
shown = np.flatnonzero(scenes.count >= 2)[:3]  # the first three scenes of two or more objects
fig, axes = viz.figure_grid(1, len(shown), title="a scene's weak label: the set of classes present")
for col, n in enumerate(shown):
    label = {CLASSES[c] for c in np.flatnonzero(scenes.labels[n])}
    said = {CLASSES[c] for c in np.flatnonzero(P[n] > 0.5)}
    viz.show_image(axes[0, col], scenes.images[n], f"label: {sorted(label)}\n"
                   f"gap_multi, P > 0.5: {sorted(said)}")
print("wrote", viz.save(fig, OUT / "01_scene_labels.png"))

# %% [markdown]
# **Try this:** change `seed=123` in `shapes(32, seed=123)` to any number: the images change,
# the three labels still agree (the asserts check it), and the boxes read off the maps still
# overlap the truth for most images. Then go on to lesson 2, the network that makes such maps
# possible.
