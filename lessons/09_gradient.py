# %% [markdown]
# # Lesson 9 — The gradient as influence
#
# Post section: **Gradient-weighted CAM (Grad-CAM) › Gradient**, in "CNN visualization: CAM and
# Grad-CAM 설명". Paper: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks
# via Gradient-based Localization", ICCV 2017.
#
# Two small networks, drawn as in the post: **net A** has no hidden layer, **net B** has one
# hidden layer of ReLU units. They are different networks that read the same input x.
#
# $$\text{net A:}\quad S^c = \sum_k w_k^c x_k + b_c, \qquad \frac{\partial S^c}{\partial x_k} = w_k^c$$
#
# $$\text{net B:}\quad z_h = \sum_k W_1[h, k]\, x_k + b_{1,h}, \qquad S^c = \sum_h W_2[c, h]\, \mathrm{ReLU}(z_h) + b_{2,c}$$
#
# $$\frac{\partial S^c}{\partial x_k} = \sum_h W_2[c, h] \cdot \mathbf{1}[z_h > 0] \cdot W_1[h, k]$$
#
# In net A, input k reaches output c along one edge, and the derivative is that edge's weight.
# In net B there is one path through every hidden unit h; the derivative is the sum over the
# paths of the product of the weights along each, and a path through a ReLU that is off for
# this x (z_h <= 0) carries nothing. Either way ∂S^c/∂x_k says how much class c's score moves
# when input k moves a little: the influence of k on c. Grad-CAM uses this number with the
# feature map values f_k(i, j) in the place of x_k (lesson 10).
#
# **Look for** in `09_gradient_paths.png` (seed 6): an edge is as thick as |weight|, red if the
# weight is positive, blue if negative. In net A the highlighted edge x_0 → S^1 has weight +0.53,
# and that is the whole gradient. In net B, h_2 is off for this x (grey, z = -0.78), so its path is
# dashed and carries 0; the products along the other three paths, -0.551, -0.174 and -0.018,
# add up to -0.743. In the table, backprop, the path sums and finite differences agree for
# every input k of both networks.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.nn.gradcheck import numerical_gradient, rel_error
from numpycam.viz.network import draw_network, legend

OUT = viz.figures_dir()
rng = np.random.default_rng(6)
K, H, M = 3, 4, 2  # inputs, hidden units of net B, classes
c, k = 1, 0        # the class and the input the drawing follows
x = rng.standard_normal((1, K))  # one input of K numbers, float64 for exact checks
dS = nc.one_hot(np.array([c]), M)  # backward from S^c alone


def gradients(net):
    """dS^c/dx two ways: the library's backprop, and central finite differences."""
    net.forward(x)
    backprop = net.backward(dS)[0]  # (K,)
    numeric = numerical_gradient(lambda: net.forward(x), x, dS)[0]  # nudges x in place, restores it
    return backprop, numeric


# %% [markdown]
# ## Net A, no hidden layer: the gradient is the weight

# %%
net_a = nc.Sequential([("fc", nc.Dense(K, M, rng=rng, dtype=np.float64))])
grad_a, numeric_a = gradients(net_a)
W = net_a["fc"].W  # (M, K): W[c, k] = w_k^c
print("w^c      :", W[c])
print("backprop :", grad_a)
print("numerical:", numeric_a)
assert np.allclose(grad_a, W[c], rtol=1e-12, atol=0) and rel_error(numeric_a, W[c]) < 1e-7

# %% [markdown]
# ## Net B, one hidden layer: a sum over paths

# %%
net_b = nc.Sequential([("fc1", nc.Dense(K, H, rng=rng, dtype=np.float64)), ("relu", nc.ReLU()),
                       ("fc2", nc.Dense(H, M, rng=rng, dtype=np.float64))])
grad_b, numeric_b = gradients(net_b)
z = net_b.activation("fc1")[0]  # (H,), before the ReLU
W1, W2 = net_b["fc1"].W, net_b["fc2"].W
paths = W2[c][:, None] * (z > 0)[:, None] * W1  # (H, K): path through h from input k
print("hidden units on:", (z > 0).astype(int))
print("sum over paths:", paths.sum(axis=0))
print("backprop      :", grad_b)
print("numerical     :", numeric_b)
assert rel_error(grad_b, paths.sum(axis=0)) < 1e-12 and rel_error(numeric_b, grad_b) < 1e-7

# %% [markdown]
# ## The drawing, and the numbers written on it
# `draw_network` computes the products along the paths from the edge weights it draws; those
# numbers are checked here against backprop and finite differences.

# %%
fig, axes = viz.figure_grid(1, 3, size=4.0, height=4.6, width_ratios=[1, 1.25, 0.9],
                            title=f"dS^{c}/dx_{k}: the influence of input {k} on class {c}")
drawn_a = draw_network(axes[0, 0], net_a, x, c=c, k=k, title="net A: no hidden layer")
drawn_b = draw_network(axes[0, 1], net_b, x, c=c, k=k, title=f"net B: {H} hidden ReLU units")
legend(fig)
for drawn, grad, numeric in ((drawn_a, grad_a, numeric_a), (drawn_b, grad_b, numeric_b)):
    assert np.isclose(drawn.gradient, grad[k], rtol=1e-12, atol=1e-15)
    assert abs(drawn.gradient - numeric[k]) < 1e-7 * max(1.0, abs(grad[k]))
# a path through an "off" unit carries nothing: the open paths alone give the gradient
assert all(is_open == (z[h] > 0) for (h,), _, is_open in drawn_b.paths)

rows = [f"{'':>7} {'backprop':>9} {'paths':>9} {'finite d.':>9}"]
for name, grad, path_sum, numeric in (("A", grad_a, W[c], numeric_a),
                                      ("B", grad_b, paths.sum(axis=0), numeric_b)):
    rows += [f"{name}  x_{j}  {grad[j]:+9.4f} {path_sum[j]:+9.4f} {numeric[j]:+9.4f}"
             for j in range(K)]
viz.text_panel(axes[0, 2], "\n".join(rows), f"dS^{c}/dx_k, every k, three ways",
               monospace=True, fontsize=8.5)
print("wrote", viz.save(fig, OUT / "09_gradient_paths.png"))

# %% [markdown]
# **Try this:** follow another input or class, e.g. `c, k = 0, 2`, and read the new paths off
# the drawing; or change the seed in `default_rng(6)`: other hidden units switch on and off,
# and the dashed paths move with them, while the three columns of the table keep agreeing.
#
# **Exercise:** write `relu_backward`, `softmax_cross_entropy` yourself, in plain NumPy:
# section "Lesson 9" of `lessons/exercises/exercises.py`. Grade your answers with `numpycam
# check lessons/exercises/exercises.py --only relu_backward softmax_cross_entropy`.
