# %% [markdown]
# # Lesson 2 — Conventional CNN versus the CAM architecture
#
# Post section: **CNN architecture (conventional VS CAM)**, in "CNN visualization: CAM and
# Grad-CAM 설명". Paper: Zhou et al., "Learning Deep Features for Discriminative
# Localization", CVPR 2016.
#
#     conventional:  f_k -> Flatten -> Dense -> ReLU -> Dense -> S^c
#     CAM:           f_k -> GAP -> F_k -> Dense -> S^c = Σ_k w_k^c F_k + b_c
#
# $$S^c = \sum_k w_k^c F_k + b_c, \qquad F_k = \frac{1}{Z} \sum_i \sum_j f_k(i, j)$$
#
# Both networks begin the same way: conv layers turn the image into K feature maps f_k. They
# differ in the *head*, what turns those maps into class scores. The conventional CNN
# flattens the maps into one long vector and feeds a hidden Dense layer: every position of
# every map gets its own weights, and the hidden ReLU mixes them, so no single number says
# how much map k counts for class c. The CAM architecture averages each map into one number
# F_k (GAP, lesson 3) and adds a single Dense layer. Now the weight w_k^c *is* that number,
# and it is all CAM will need (lesson 5).
#
# **Look for** in `02_architecture.png`: the shaded boxes are the heads. Both bodies are
# conv + ReLU + pool blocks; the arrows shrink the 64 × 64 image to 32 maps of 8 × 8
# (conventional) or 64 maps of 16 × 16 (CAM: its last conv has no pool after it, so its map
# keeps more positions). The conventional head holds 131,396 parameters, almost all in one
# Dense layer from 2,048 flattened numbers; the CAM head holds 260: w_k^c (4 × 64) and 4 b_c.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.data import shapes
from numpycam.viz.architecture import architecture_figure, shape_text

OUT = viz.figures_dir()
fc, gap = nc.pretrained("fc"), nc.pretrained("gap")

# %% [markdown]
# ## The two shipped networks, drawn from their layers
# `architecture_figure` runs each model on a dummy image and writes the shape after each
# block of layers on the arrows, with the batch size written N.

# %%
fig = architecture_figure({"conventional CNN: nc.pretrained('fc')": fc,
                           "CAM architecture: nc.pretrained('gap')": gap})
print("wrote", viz.save(fig, OUT / "02_architecture.png"))

# %% [markdown]
# ## The shapes, from a real batch
# Run a batch of N = 8 images through both and print the shape after each layer. The figure
# drew its shapes from one image (N = 1); only the first number differs.

# %%
x = shapes(8, seed=2).images
for name, model in (("conventional", fc), ("CAM", gap)):
    model.forward(x[:1])
    one = [model.activation(n).shape for n in model.names]
    model.forward(x)
    print(f"{name}:")
    for n, s1 in zip(model.names, one, strict=True):
        print(f"  {n:>8} {str(model.activation(n).shape):>16}")
        # the batch size is the first number of every shape and changes nothing else
        assert model.activation(n).shape == (len(x), *s1[1:])

# %% [markdown]
# ## The heads, counted from the shapes
# The conventional head maps the last maps (K, h, w) through a hidden layer of H units to M
# classes: (K·h·w)·H + H weights and biases, then H·M + M. The CAM head maps K averages to M
# classes: K·M + M. Each count below is computed from the shapes of the forward pass and
# compared with the weight arrays the models hold.

# %%
K_fc, h, w = fc.activation("pool3").shape[1:]  # the maps that get flattened
H, M = fc["fc1"].out_features, fc.num_classes
K = gap.activation("relu4").shape[1]  # the maps f_k that feed GAP
head_fc = (K_fc * h * w) * H + H + H * M + M
head_gap = K * M + M
print(f"conventional head: ({K_fc}*{h}*{w})*{H} + {H} + {H}*{M} + {M} = {head_fc:,} parameters")
print(f"CAM head:          {K}*{M} + {M} = {head_gap} parameters")
assert head_fc == sum(fc[n].W.size + fc[n].b.size for n in ("fc1", "fc2"))
assert head_gap == gap["fc"].W.size + gap["fc"].b.size and gap["fc"].W.shape == (M, K)

# %% [markdown]
# ## GAP + Dense is the equation, nothing more
# Average each map by hand, multiply by w_k^c, add b_c: these are the model's own scores,
# for every image and every class (up to float32 rounding).

# %%
S = gap.forward(x)                           # (N, M)
f = gap.activation("relu4")                  # (N, K, 16, 16), the maps f_k
F = f.mean(axis=(2, 3))                      # (N, K), F_k = (1/Z) Σ_ij f_k(i, j)
S_by_hand = F @ gap["fc"].W.T + gap["fc"].b  # S^c = Σ_k w_k^c F_k + b_c
print("largest difference:", np.abs(S - S_by_hand).max(), "on scores up to", np.abs(S).max())
assert np.allclose(S_by_hand, S, rtol=1e-4, atol=1e-4 * np.abs(S).max())

# %% [markdown]
# ## GAP does not care about the image size
# The averages F_k are K numbers whatever h and w are, so the CAM head works on a 96 × 96
# image too (its maps are 24 × 24). The conventional head expects exactly 2,048 flattened
# numbers and refuses anything else.

# %%
big = shapes(8, seed=3, size=96).images  # (8, 3, 96, 96)
print("CAM network on 96 x 96:", shape_text(gap.forward(big).shape),
      "from maps", shape_text(gap.activation("relu4").shape))
assert gap.forward(big).shape == (len(big), M)
try:
    fc.forward(big)
    raise AssertionError("the conventional head should refuse a 96 x 96 image")
except ValueError as err:
    print("conventional network on 96 x 96:", err)

# %% [markdown]
# **Try this:** draw the networks for another image size,
# `architecture_figure({"CAM": gap}, input_shape=(3, 32, 32))`: every map shrinks to half its
# side, and the CAM head keeps its 260 parameters. Then build a wider conventional network,
# `nc.fc_cnn(hidden=256)`, and count its head: it grows with the hidden layer and with the
# size of the last maps, the CAM head with neither.
#
# **Exercise:** write `conv_forward`, `conv_backward`, `maxpool_forward`, `maxpool_backward`,
# `dense_backward` yourself, in plain NumPy: section "Lesson 2" of
# `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only conv_forward conv_backward maxpool_forward
# maxpool_backward dense_backward`.
