# %% [markdown]
# # Lesson 9 — The gradient as influence
#
# Post section: **Gradient-weighted CAM (Grad-CAM) › Gradient**, in "CNN visualization: CAM and
# Grad-CAM 설명". Paper: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks
# via Gradient-based Localization", ICCV 2017.
#
# $$\text{no hidden layer:}\quad S^c = \sum_k w_k^c x_k + b_c, \qquad \frac{\partial S^c}{\partial x_k} = w_k^c$$
#
# $$\text{one hidden layer:}\quad z_h = \sum_k W_1[h, k]\, x_k + b_{1,h}, \quad S^c = \sum_h W_2[c, h]\, \mathrm{ReLU}(z_h) + b_{2,c}$$
#
# $$\frac{\partial S^c}{\partial x_k} = \sum_h W_2[c, h] \cdot \mathbf{1}[z_h > 0] \cdot W_1[h, k]$$
#
# In plain text, as the code below writes it:
#
#     no hidden layer:   S^c = Σ_k w_k^c x_k + b_c          ∂S^c/∂x_k = w_k^c
#     one hidden layer:  z_h = Σ_k W1[h, k] x_k + b1_h,  S^c = Σ_h W2[c, h] ReLU(z_h) + b2_c
#                        ∂S^c/∂x_k = Σ_h W2[c, h] · 1[z_h > 0] · W1[h, k]
#
# Without a hidden layer, input k reaches output c along one edge, and the derivative is that
# edge's weight. With a hidden layer there is one path through every hidden unit h; the
# derivative is the sum over paths of the product of the weights along each (a path through a
# ReLU that is off, z_h <= 0, carries nothing). Either way ∂S^c/∂x_k measures how much class
# c's score moves when input k moves: the influence of k on c. Grad-CAM uses exactly this
# number with f_k(i, j) in the place of x_k.
#
# **Look for** in `09_gradient_paths.png`: the middle panel holds one number per path
# (hidden unit h, input k); each column sums to the gradient, and the last panel shows
# backprop, the path sum and finite differences agreeing.

# %%
import numpy as np

import numpycam as nc
from numpycam import viz
from numpycam.gradcheck import numerical_gradient, rel_error

OUT = viz.figures_dir()
rng = np.random.default_rng(6)
K, H, M, c = 3, 4, 2, 1  # inputs, hidden units, classes, the class asked about
x = rng.standard_normal((1, K))  # one input of K numbers, float64 for exact checks
dS = nc.one_hot(np.array([c]), M)  # pick S^c out of the scores

# %% [markdown]
# ## No hidden layer: the gradient is the weight

# %%
linear = nc.Sequential([("fc", nc.Dense(K, M, rng=rng, dtype=np.float64))])
linear.forward(x)
grad = linear.backward(dS)[0]
numeric = numerical_gradient(lambda: linear.forward(x), x, dS)[0]
W = linear["fc"].W
print("w^c      :", W[c])
print("backprop :", grad)
print("numerical:", numeric)
assert np.allclose(grad, W[c]) and rel_error(numeric, W[c]) < 1e-8

# %% [markdown]
# ## One hidden layer: a sum over paths

# %%
mlp = nc.Sequential([("fc1", nc.Dense(K, H, rng=rng, dtype=np.float64)), ("relu", nc.ReLU()),
                     ("fc2", nc.Dense(H, M, rng=rng, dtype=np.float64))])
mlp.forward(x)
z = mlp.activation("fc1")[0]  # (H,), before the ReLU
W1, W2 = mlp["fc1"].W, mlp["fc2"].W
paths = W2[c][:, None] * (z > 0)[:, None] * W1  # (H, K): one product per path h -> k
grad = mlp.backward(dS)[0]
numeric = numerical_gradient(lambda: mlp.forward(x), x, dS)[0]
print("hidden units on:", (z > 0).astype(int), " sum over paths:", paths.sum(axis=0))
print("backprop:", grad, " numerical:", numeric)
# The worked number: for input 0 the gradient is the sum of the first column of `paths`.
assert np.isclose(grad[0], sum(W2[c, h] * W1[h, 0] for h in range(H) if z[h] > 0))
assert rel_error(grad, paths.sum(axis=0)) < 1e-12 and rel_error(numeric, grad) < 1e-8

# %%
fig, axes = viz.figure_grid(1, 3, size=3.2,
                            title="the gradient is the influence of input k on class c")
k_labels = [f"x_{k}" for k in range(K)]
viz.heatmap(axes[0, 0], W, "no hidden layer: w_k^c", signed=True,
            annotate=True, xlabels=k_labels, ylabels=[f"S^{m}" for m in range(M)])
viz.heatmap(axes[0, 1], paths, f"one path per hidden unit (class {c})", signed=True,
            annotate=True, xlabels=k_labels,
            ylabels=[f"h{h} ({'on' if z[h] > 0 else 'off'})" for h in range(H)])
viz.heatmap(axes[0, 2], np.stack([grad, paths.sum(axis=0), numeric]),
            "dS^c/dx_k three ways", signed=True, annotate=True, fmt="{:.4f}", xlabels=k_labels,
            ylabels=["backprop", "sum of paths", "finite diff."])
print("wrote", viz.save(fig, OUT / "09_gradient_paths.png"))

# %% [markdown]
# **Try this:** write `relu_backward`, `softmax_cross_entropy` yourself, in plain NumPy: section
# "Lesson 9" of `lessons/exercises/exercises.py`. Grade your answers with `numpycam check
# lessons/exercises/exercises.py --only relu_backward softmax_cross_entropy`.
