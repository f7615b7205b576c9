# %% [markdown]
# # Lesson 13 — The CAM family side by side
#
# Post section: **Generalized CAM** (its idea carried further: every method below is a weighted
# sum of feature maps), in "CNN visualization: CAM and Grad-CAM 설명". Papers: Zhou et al., CVPR
# 2016 (CAM); Selvaraju et al., ICCV 2017 (Grad-CAM); Draelos & Carin 2020, "Use HiResCAM
# instead of Grad-CAM for faithful explanations of convolutional neural networks"; Chattopadhay
# et al., WACV 2018, "Grad-CAM++"; Fu et al., BMVC 2020, "Axiom-based Grad-CAM" (XGrad-CAM);
# Jiang et al., IEEE TIP 2021, "LayerCAM"; Wang et al., CVPRW 2020, "Score-CAM"; Muhammad &
# Yeasin, IJCNN 2020, "Eigen-CAM".
#
# $$L^c(i, j) = [\mathrm{ReLU}]\, \sum_k \mathrm{weight}_k^c\, f_k(i, j)$$
#
# The methods differ only in the weight: CAM's w_k^c; Grad-CAM's mean gradient a_k^c;
# HiResCAM and LayerCAM keep the gradient per position instead of averaging it; Grad-CAM++ and
# XGrad-CAM average it with position weights; Score-CAM replaces gradients by how much each
# map, used as a mask on the image, raises the score; Eigen-CAM ignores the class and projects
# the maps on their main direction. `numpycam.methods` has the rule of each, one file apiece, and
# `nc.METHODS` lists them all with their rule, cost, default ReLU and paper.
#
# **Look for** (seed 123: the first circle and cross both models get right; each map divided
# by its own largest value). On `gap_cnn` (`13_cam_family_gap.png`) Grad-CAM, HiResCAM and
# XGrad-CAM are one map (lesson 11), and CAM, drawn signed, is its red part plus a faint blue
# rest. The others could differ but hardly do; only Score-CAM's cross is four separate spots.
# On `fc_cnn` (`13_cam_family_fc.png`) the gradient changes from place to place, so the maps
# differ in detail: each marks a small spot in the circle and one near the middle of the cross.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()

data = shapes(16, seed=123)
# two images: Score-CAM costs one forward pass per channel and image (64 x 2 on gap_cnn).
# The first circle and the first cross that both models classify correctly.
ok = ((nc.pretrained("gap").predict(data.images) == data.labels)
      & (nc.pretrained("fc").predict(data.images) == data.labels))
rows = [int(np.flatnonzero((data.labels == CLASSES.index(name)) & ok)[0])
        for name in ("circle", "cross")]
x, c = data.images[rows], data.labels[rows]


def family(model, layer):
    """Every method's maps (N, h, w) for the images x, at ``layer``; CAM where it exists.

    ``nc.METHODS`` is the registry of methods, in display order; each entry's ``function`` is
    called alike, ``function(model, x, c, layer)``.
    """
    maps = {}
    for m in nc.METHODS.values():
        if m.needs == "gap_head":  # CAM: only at the maps that feed GAP, on a GAP network
            try:
                maps[m.label] = m.function(model, x, c)
            except ValueError:
                maps[m.label] = None  # no GAP: CAM is not defined (lesson 8)
        else:
            maps[m.label] = m.function(model, x, c, layer)
    return maps


def figure(maps, title, path):
    fig, axes = viz.figure_grid(len(rows), 1 + len(maps), size=2.0, title=title)
    for r in range(len(rows)):
        viz.show_image(axes[r, 0], x[r], CLASSES[c[r]])
        viz.draw_box(axes[r, 0], data.boxes[rows[r]])
        for col, (name, L) in enumerate(maps.items(), start=1):
            if L is None:
                viz.text_panel(axes[r, col], "not defined:\nno GAP layer", name if r == 0 else None)
                continue
            # methods differ in scale (CAM's values are hundreds, Grad-CAM's below one): each
            # map is divided by its own largest |value|, so one colour bar reads for all
            viz.overlay(axes[r, col], x[r], L[r] / np.abs(L[r]).max(), name if r == 0 else None,
                        colorbar=col == len(maps) or (L < 0).any())
            viz.draw_box(axes[r, col], data.boxes[rows[r]])
    print("wrote", viz.save(fig, path))


# %%
gap = nc.pretrained("gap")
gap_layer = gap.names[gap.index("gap") - 1]  # the maps that feed GAP: the last conv's ReLU
maps_gap = family(gap, gap_layer)
# The worked check: on a GAP network the per-position gradient is w_k^c / Z everywhere, so
# HiResCAM's map and XGrad-CAM's are Grad-CAM's exactly (tests/test_family.py proves this for
# random networks).
for name in ("HiResCAM", "XGrad-CAM"):
    assert np.allclose(maps_gap[name], maps_gap["Grad-CAM"], rtol=1e-4, atol=1e-8), name
# The property: on gap_cnn every method, whatever its weights, puts the map's maximum inside
# the object's box (pointing game, maps upsampled to the 64 x 64 image).
for name, L in maps_gap.items():
    assert np.all(nc.pointing_game(L, data.boxes[rows], size=64)), f"{name}: peak off the object"
figure(maps_gap, f"the CAM family on gap_cnn ({gap_layer}, 16 x 16), each map / its max |value|", OUT / "13_cam_family_gap.png")

# %%
fc = nc.pretrained("fc")
figure(family(fc, "relu3"), "the CAM family on fc_cnn (relu3, 16 x 16), each map / its max |value|",
       OUT / "13_cam_family_fc.png")

# %% [markdown]
# **Try this:** replace `("circle", "cross")` by `("square", "triangle")`: on the triangle the
# methods part ways (with seed 123, Grad-CAM has a blob on each top corner, Eigen-CAM one in the
# middle). Then ask `fc_cnn` about an earlier layer, `family(fc, "relu2")` (32 x 32 maps):
# sharper maps that disagree more; Grad-CAM++ and Eigen-CAM also light up the clutter strokes.
# `numpycam evaluate` scores every method on a thousand images (lesson 15).
