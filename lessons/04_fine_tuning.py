# %% [markdown]
# # Lesson 4 — Fine tuning: a GAP head on a trained network
#
# Post section: **Class Activation Map (CAM) › Fine tuning**, in "CNN visualization: CAM and
# Grad-CAM 설명". Paper: Zhou et al., "Learning Deep Features for Discriminative
# Localization", CVPR 2016.
#
# $$S^c = \sum_k w_k^c F_k + b_c, \qquad F_k = \frac{1}{Z} \sum_i \sum_j f_k(i, j)$$
#
# A conventional CNN (lesson 2) has no w_k^c, so CAM cannot be read off it. The post's way
# out: keep the trained conv layers, cut the network after its last conv block, put GAP and
# one new Dense layer there, and train only that new head. The conv layers are *frozen*:
# their weights do not move, so the maps f_k stay the ones the conventional network learnt.
# Only w_k^c and b_c are learnt, and with them the network becomes a CAM network.
#
# **Look for** in `04_fine_tuned_cam.png` (seeds 7 and 123): each row is the first test image
# of its class that the fine-tuned network gets right. Both map columns weigh the *same* maps f_k
# (relu3 of `fc_cnn`): Grad-CAM with a_k^c (never negative: black to yellow), the new head's CAM
# with w_k^c (signed: red above 0, blue below). They mark the same places: the middle of the
# circle, the upper left of the square, one spot on the cross; on the triangle Grad-CAM picks its
# lower edge, CAM a spot inside. The head reaches 94 % test accuracy here, `fc_cnn` 100 %.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import CLASSES, shapes

OUT = viz.figures_dir()
M = len(CLASSES)

# %% [markdown]
# ## Surgery: the conv layers of `fc_cnn`, then GAP and a new Dense
# The conv layers come from a second copy of the trained model (`donor`), so `fc` itself stays
# intact. `freeze` marks them as fixed: training moves only the new Dense layer.

# %%
fc = nc.pretrained("fc")
donor = nc.pretrained("fc")
cut = donor.index("relu3")  # the last conv block, before its pooling and the Dense layers
body = [(layer.name, layer) for layer in donor.layers[: cut + 1]]
K = donor["conv3"].out_channels


def new_head(seed: int) -> nc.Sequential:
    """GAP and a freshly initialised Dense K -> M."""
    return nc.Sequential([("gap", nc.GlobalAvgPool2D()),
                          ("fc", nc.Dense(K, M, rng=np.random.default_rng(seed)))])


head = new_head(seed=0)
tuned = nc.Sequential(body + [("gap", head["gap"]), ("fc", head["fc"])])  # shares head's layers
tuned.freeze(*(name for name, _ in body))
trainable = [f"{layer.name}/{p}" for layer, p in tuned.parameters()]
print("tuned:", " -> ".join(tuned.names), "| trainable:", trainable)
assert trainable == ["fc/W", "fc/b"]  # K * M + M numbers; everything else is frozen

# %% [markdown]
# ## Training only the head
# Frozen layers never change, so each image's maps f_k are the same in every epoch. Instead of
# pushing the images through the frozen convolutions 200 times, we compute f once and train the
# two-layer `head` (GAP, Dense) on it. The Dense layer sees exactly the numbers it would see
# inside `tuned`, so this is the same training, in a fraction of the time. The cell after
# next checks that claim on two epochs.
#
# The averages F_k of `fc_cnn`'s maps are small (nothing in its training asked them to mean
# anything), so the new Dense layer needs large weights to separate the classes: hence a high
# learning rate (0.1) and 200 short epochs (192 images, under a second in all).

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

# %% [markdown]
# **The same training, twice.** Two copies of a fresh head, one trained inside the whole
# network on the images, one alone on the stored maps, same batches (same `seed`), two
# epochs: they end with the same weights, and the frozen conv layers are untouched.

# %%
conv3_before = donor["conv3"].W.copy()
inside, alone = new_head(seed=1), new_head(seed=1)
whole = nc.Sequential(body + [("gap", inside["gap"]), ("fc", inside["fc"])])
whole.freeze(*(name for name, _ in body))
nc.fit(whole, train.images, train.labels, epochs=2, lr=0.1, flip=False, seed=5, log=None)
nc.fit(alone, f_train, train.labels, epochs=2, lr=0.1, flip=False, seed=5, log=None)
print("largest difference between the two heads' w_k^c:",
      np.abs(inside["fc"].W - alone["fc"].W).max())
assert np.allclose(inside["fc"].W, alone["fc"].W, atol=1e-4)
assert np.array_equal(donor["conv3"].W, conv3_before)  # frozen means frozen

# %%
history = nc.fit(head, f_train, train.labels, epochs=200, lr=0.1, flip=False, log=None,
                 test=(f_test, test.labels))
print(history)

# The full network `tuned` gives the same scores as the head on the stored maps, for every test
# image: it is the same arithmetic.
S = np.concatenate([tuned.forward(test.images[i : i + 48]) for i in range(0, len(test.images), 48)])
assert np.allclose(S, head.forward(f_test), rtol=1e-5, atol=1e-5 * np.abs(S).max())

acc = {"conventional fc_cnn": nc.accuracy(fc, test.images, test.labels),
       "its conv layers + GAP + new Dense": history["test_acc"][-1],
       "the shipped gap model": nc.accuracy(nc.pretrained("gap"), test.images, test.labels)}
for name, a in acc.items():
    print(f"  test accuracy {a:6.1%}  {name}")
# Fine tuning works: frozen conv layers plus a new GAP + Dense head classify far above chance
# (1/4). The floor holds for any seed tried; the exact number depends on the seeds.
assert acc["its conv layers + GAP + new Dense"] >= 0.75

# %% [markdown]
# ## What CAM now shows
# `nc.cam` works on `tuned` (it ends in GAP and one Dense); on `fc` it does not (lesson 8), so
# for `fc` we use Grad-CAM at the same layer. The new network is a real CAM network: the
# mean of its CAM plus b_c is its score S^c (lesson 5), for every image.

# %%
L_all = nc.cam(tuned, test.images, test.labels, details=True)
means = L_all.maps.mean(axis=(1, 2)) + head["fc"].b[test.labels]
assert np.allclose(means, L_all.scores[np.arange(len(test.labels)), test.labels],
                   rtol=1e-4, atol=1e-4 * np.abs(L_all.scores).max())

pred_tuned = tuned.predict(test.images)
# one row per class: its first test image that the fine-tuned network classifies right
# (or its first image, if it gets none of them right)
rows = [int(next(iter(np.flatnonzero((test.labels == c) & (pred_tuned == c))),
                 np.flatnonzero(test.labels == c)[0])) for c in range(M)]
x, c = test.images[rows], test.labels[rows]
L_grad = nc.grad_cam(fc, x, c, layer="relu3")
L_cam = nc.cam(tuned, x, c)
pred_fc = fc.predict(x)

fig, axes = viz.figure_grid(len(rows) + 1, 3, title="same maps f_k, two ways to weight them")
for r in range(len(rows)):
    viz.show_image(axes[r, 0], x[r], f"{CLASSES[c[r]]}")
    viz.overlay(axes[r, 1], x[r], L_grad[r], f"fc_cnn Grad-CAM (says {CLASSES[pred_fc[r]]})")
    viz.overlay(axes[r, 2], x[r], L_cam[r], f"fine-tuned CAM (says {CLASSES[pred_tuned[rows[r]]]})")
    for col in range(3):
        viz.draw_box(axes[r, col], test.boxes[rows[r]])
table = "\n".join(f"{a:6.1%}  {name}" for name, a in acc.items())
viz.text_panel(axes[-1, 0], f"test accuracy ({len(test.labels)} images)\n\n" + table,
               monospace=True)
viz.curve(axes[-1, 1], history["loss"], "head training loss", ylabel="cross-entropy")
viz.curve(axes[-1, 2], history["test_acc"], "head test accuracy", ylim=(0, 1.02))
print("wrote", viz.save(fig, OUT / "04_fine_tuned_cam.png"))

# %% [markdown]
# **Try this:** train the head with `lr=0.01` and `epochs=30` instead: the loss curve stays
# high and the accuracy stops far lower, because the small averages F_k need large weights.
# Then cut earlier, at `relu2` (K = 32 maps of 32 × 32, `donor["conv2"].out_channels`): the
# head still learns, but from less abstract maps (lesson 6 shows why the last conv layer
# is the usual choice).
