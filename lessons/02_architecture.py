# %% [markdown]
# # Lesson 2 — Conventional CNN versus the CAM architecture, and fine-tuning
#
# Post sections: **CNN architecture (conventional VS CAM)** and **Fine tuning**, in
# "CNN visualization: CAM and Grad-CAM 설명". Paper: Zhou et al., "Learning Deep Features for
# Discriminative Localization", CVPR 2016.
#
#     conventional:  f_k -> Flatten -> Dense -> ReLU -> Dense -> S^c
#     CAM:           f_k -> GAP -> F_k -> Dense -> S^c = Σ_k w_k^c F_k + b_c
#
# $$S^c = \sum_k w_k^c F_k + b_c$$
#
# A conventional CNN flattens its last maps into one long vector and feeds a hidden layer:
# every position gets its own weights and the hidden ReLU mixes them, so no single number says
# how much map k counts for class c. The CAM architecture cuts the network after its last
# conv layer, averages each map (GAP, lesson 3) and adds one Dense layer: now w_k^c *is* that
# number. To build it from a trained conventional CNN, keep its conv layers, freeze them, and
# train only the new head. That is the fine-tuning step of the post.
#
# **Look for** in `04_fine_tuned_cam.png`: the two right-hand columns use the *same* maps f_k
# (relu3 of the conventional CNN); only the channel weights differ: Grad-CAM's a_k^c against
# the fine-tuned head's w_k^c. With the shipped weights the two often agree, but neither
# covers every object. On the circle both are one broad blob over most of the shape; on the
# square both mark its upper part (`fc_cnn`'s Grad-CAM nearer the middle, the fine-tuned CAM
# the upper-left corner), although the fine-tuned head calls this square a triangle. On the
# triangle they part ways: `fc_cnn`'s Grad-CAM picks spots along its lower-left edge, the
# fine-tuned CAM one spot inside the shape, towards its top-right corner. (CAM is signed and
# the overlay stretches its minimum to 0, so its empty background sits a little above the
# bottom of the colour scale, a lighter blue than Grad-CAM's.) The table and the curves at
# the bottom show that the new head, trained alone on frozen maps, classifies almost as well
# as `fc_cnn` itself (94 % of the test images against 100 %).

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()

# %% [markdown]
# ## The two shipped architectures

# %%
fc = nc.pretrained("fc")
print("conventional:", " -> ".join(fc.names))
print("CAM:         ", " -> ".join(nc.pretrained("gap").names))

# %% [markdown]
# ## Surgery: the conv layers of `fc_cnn`, then GAP and a new Dense
# The conv layers come from a second copy of the trained model, so `fc` itself stays intact.
# `freeze` marks them as fixed: `fit` will move only the new Dense layer.

# %%
donor = nc.pretrained("fc")
cut = donor.index("relu3")  # the last conv block, before its pooling and the Dense layers
K = donor["conv3"].out_channels
head = nc.Sequential([("gap", nc.GlobalAvgPool2D()),
                      ("fc", nc.Dense(K, len(CLASSES), rng=np.random.default_rng(0)))])
tuned = nc.Sequential([(layer.name, layer) for layer in donor.layers[: cut + 1]]
                      + [("gap", head["gap"]), ("fc", head["fc"])])  # head layers are shared
tuned.freeze("conv1", "conv2", "conv3")
trainable = [f"{layer.name}/{p}" for layer, p in tuned.parameters()]
print("tuned:       ", " -> ".join(tuned.names), "| trainable:", trainable)
assert trainable == ["fc/W", "fc/b"]

# %% [markdown]
# ## Training only the head
# Frozen layers never change, so each image's maps f_k are the same in every epoch. Instead of
# pushing the images through the frozen convolutions 200 times, we compute f once and train the
# two-layer `head` (GAP, Dense) on it. The Dense layer sees exactly the numbers it would see
# inside `tuned`, so this is the same training (without left-right flips), in a fraction of
# the time.
#
# The averages F_k of `fc_cnn`'s maps are small (about 0.02 on average: nothing in its training
# asked them to mean anything), so the new Dense layer needs large weights to separate the
# classes. Hence a high learning rate (0.1) and 200 short epochs (192 images, well under a
# second in all); with lr = 0.01 and 30 epochs the head stops near 69 % test accuracy.

# %%
train, test = shapes(192, seed=7), shapes(96, seed=123)


def features(x):
    """f = the frozen layers' output, batch by batch."""
    out = []
    for i in range(0, len(x), 64):
        tuned.forward(x[i : i + 64])
        out.append(tuned.activation("relu3"))
    return np.concatenate(out)  # (N, K, 16, 16)


f_train, f_test = features(train.images), features(test.images)
history = nc.fit(head, f_train, train.labels, epochs=200, lr=0.1, flip=False, log=None,
                 test=(f_test, test.labels))
print(history)

# The worked check: the full network `tuned` gives the same scores as the head on the stored
# maps, because it is the same arithmetic.
assert np.allclose(tuned.forward(test.images[:8]), head.forward(f_test[:8]), rtol=1e-5, atol=1e-5)

acc = {"conventional fc_cnn": nc.accuracy(fc, test.images, test.labels),
       "its conv layers + GAP + new Dense": history["test_acc"][-1],
       "the shipped gap model": nc.accuracy(nc.pretrained("gap"), test.images, test.labels)}
for name, a in acc.items():
    print(f"  test accuracy {a:6.1%}  {name}")
# Fine-tuning works: the frozen conv layers plus a new GAP + Dense head classify (almost) as
# well as the network they came from.
assert acc["its conv layers + GAP + new Dense"] >= 0.9
# the numbers quoted at the top of the lesson, in %
assert (round(100 * acc["conventional fc_cnn"]), round(100 * acc["its conv layers + GAP + new Dense"])) == (100, 94)

# %% [markdown]
# ## What CAM now shows
# `nc.cam` works on `tuned` (it ends in GAP and one Dense); on `fc` it does not (lesson 8), so
# for `fc` we use Grad-CAM at the same layer.

# %%
rows = [int(np.flatnonzero(test.labels == c)[0]) for c in range(3)]
x, c = test.images[rows], test.labels[rows]
L_grad = nc.grad_cam(fc, x, c, layer="relu3")
L_cam = nc.cam(tuned, x, c)
pred_fc, pred_tuned = fc.predict(x), tuned.predict(x)

fig, axes = viz.figure_grid(len(rows) + 1, 3, title="same maps f_k, two ways to weight them")
for r in range(len(rows)):
    viz.show_image(axes[r, 0], x[r], f"{CLASSES[c[r]]}")
    viz.draw_box(axes[r, 0], test.boxes[rows[r]])
    viz.overlay(axes[r, 1], x[r], L_grad[r], f"fc_cnn Grad-CAM (says {CLASSES[pred_fc[r]]})")
    viz.overlay(axes[r, 2], x[r], L_cam[r], f"fine-tuned CAM (says {CLASSES[pred_tuned[r]]})")
    for col in (1, 2):
        viz.draw_box(axes[r, col], test.boxes[rows[r]])
table = "\n".join(f"{a:6.1%}  {name}" for name, a in acc.items())
viz.text_panel(axes[-1, 0], "test accuracy (96 images)\n\n" + table, monospace=True)
viz.curve(axes[-1, 1], history["loss"], "head training loss", ylabel="cross-entropy")
viz.curve(axes[-1, 2], history["test_acc"], "head test accuracy", ylim=(0, 1.02))
print("wrote", viz.save(fig, OUT / "04_fine_tuned_cam.png"))

# %% [markdown]
# **Try this:** write `conv_forward`, `conv_backward`, `maxpool_forward`, `maxpool_backward`,
# `dense_backward` yourself, in plain NumPy: section "Lesson 2" of
# `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only conv_forward conv_backward maxpool_forward
# maxpool_backward dense_backward`.
