"""
======================================================
The chain rule by hand: local gradient times global
======================================================

Backpropagation is the chain rule applied node by node. Each operation knows only its
*local* gradients (the derivatives of its output with respect to its inputs); the
*global* gradient arriving from above (the derivative of the final result with respect
to the operation's output) is multiplied by them and passed on. Here it is on
``f = (x + y) * z`` with numbers, checked by finite differences, and then the same check
on a real network with :func:`skperceptron.check_gradients`. The rule is derived for a
whole network in :ref:`maths-chain-rule`; :ref:`path-chain-rule` places it in the
course. The names x, y, z and f are the course notes'; the maths page and the tutorial
write the same graph as ``g = (a + b) * c``, because there x is an input, z a net input
and f an activation.
"""

# %%
# Forward: values
# ---------------
# Give the intermediate result a name, ``q = x + y``, so that the expression becomes
# two operations: a sum, then a product.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from skperceptron import MLPClassifier, check_gradients

x, y, z = -2.0, 5.0, -4.0
q = x + y
f = q * z
print(f"forward:  q = x + y = {q:g},  f = q * z = {f:g}")

# %%
# Backward: local times global
# ----------------------------
# Start at the end, where the global gradient is ``df/df = 1``, and walk back. The
# product ``f = q * z`` has local gradients ``df/dq = z`` and ``df/dz = q``; the sum
# ``q = x + y`` has local gradients 1 and 1. Each node multiplies the global gradient
# it receives by its local gradients and passes the products down.
df_df = 1.0
local_q, local_z = z, q  # the product: d(q*z)/dq = z, d(q*z)/dz = q
df_dq = local_q * df_df
df_dz = local_z * df_df
local_x, local_y = 1.0, 1.0  # the sum: d(x+y)/dx = 1, d(x+y)/dy = 1
df_dx = local_x * df_dq
df_dy = local_y * df_dq
print(f"product:  df/dq = local {local_q:g} x global {df_df:g} = {df_dq:g}")
print(f"          df/dz = local {local_z:g} x global {df_df:g} = {df_dz:g}")
print(f"sum:      df/dx = local {local_x:g} x global {df_dq:g} = {df_dx:g}")
print(f"          df/dy = local {local_y:g} x global {df_dq:g} = {df_dy:g}")

# %%
# The sum needed no value of the forward pass (its local gradients are 1), but the
# product did: ``df/dz`` is ``q``. That is why a network keeps the forward pass's
# values, its *cache*, for the backward pass.
#
# The figure draws the graph: forward values above the edges, the gradient of ``f``
# with respect to each value below them.
fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
nodes = {"x": (0, 2.4), "y": (0, 0.9), "z": (0, -0.4), "+": (2.2, 1.65), "*": (4.2, 0.7),
         "f": (5.8, 0.7)}
edges = [("x", "+", x, df_dx), ("y", "+", y, df_dy), ("+", "*", q, df_dq),
         ("z", "*", z, df_dz), ("*", "f", f, df_df)]
for start, end, value, grad in edges:
    (x0, y0), (x1, y1) = nodes[start], nodes[end]
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="->", color="0.4", shrinkA=14, shrinkB=14))
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    ax.text(xm, ym + 0.12, f"{value:g}", color="tab:green", ha="center", fontsize=12)
    ax.text(xm, ym - 0.22, f"{grad:g}", color="tab:red", ha="center", fontsize=12)
for name, (px, py) in nodes.items():
    ax.text(px, py, name, ha="center", va="center", fontsize=13,
            bbox=dict(boxstyle="circle", fc="white", ec="k"))
ax.text(0, -1.0, "green: value (forward)    red: gradient of f (backward)",
        fontsize=10, ha="left")
ax.set(xlim=(-0.5, 6.3), ylim=(-1.2, 2.8))
ax.set_axis_off()

# %%
# Checked by finite differences
# -----------------------------
# Nudge one input by ``h`` each way and watch ``f``: the central difference
# ``(f(v + h) - f(v - h)) / (2 h)`` approximates the derivative without any chain rule.


def f_of(x, y, z):
    return (x + y) * z


h = 1e-6
point = np.array([x, y, z])
for i, (name, backprop) in enumerate(zip("xyz", (df_dx, df_dy, df_dz))):
    step = np.zeros(3)
    step[i] = h
    numeric = (f_of(*(point + step)) - f_of(*(point - step))) / (2 * h)
    print(f"df/d{name}: chain rule {backprop:g}, finite difference {numeric:.8f}")

# %%
# The check catches a wrong backward pass. Swap the product's local gradients by
# mistake (``df/dq = q`` and ``df/dz = z``) and compare the whole gradient with the
# finite differences by the relative error
# ``||g - g_numeric|| / (||g|| + ||g_numeric||)``: below ``1e-9`` for the right
# gradient, of order one for the wrong one.
numeric = np.array([(f_of(*(point + h * e)) - f_of(*(point - h * e))) / (2 * h)
                    for e in np.eye(3)])
right = np.array([df_dx, df_dy, df_dz])
wrong = np.array([q, q, z])  # the swapped local gradients, times the same globals


def relative_error(g, g_numeric):
    return np.linalg.norm(g - g_numeric) / (np.linalg.norm(g) + np.linalg.norm(g_numeric))


print(f"relative error: right gradient {relative_error(right, numeric):.1e}, "
      f"swapped locals {relative_error(wrong, numeric):.2f}")

# %%
# Nudging ``x`` by 0.01 moves ``f`` by -4 times as much, as ``df/dx = -4`` says.
print(f"f(x + 0.01) - f(x) = {f_of(x + 0.01, y, z) - f:.4f}")

# %%
# The same check on a network
# ---------------------------
# A network's backward pass is this walk through every layer (``dZ = dA * f'(Z)``,
# ``dW = A_prev^T dZ``, ``dA_prev = dZ W^T``), and a transposed matrix or a missing
# ``1/n`` would still train, only badly. :func:`~skperceptron.check_gradients`
# compares the backpropagated gradient of the objective ``fit`` minimises with central
# differences of it, parameter by parameter, and returns the same relative error.
# It checks the weights ``fit`` would start from (here of an
# :class:`~skperceptron.MLPClassifier`), or the current weights of a fitted estimator,
# and changes nothing (:ref:`maths-gradient-check`).
X, labels = make_classification(n_samples=50, n_features=4, random_state=0)
clf = MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh", alpha=0.1,
                    random_state=0)
sizes = [4, 5, 3, 1]  # inputs, two hidden layers, one logistic output
n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))  # weights and biases
print(f"{n_params} parameters; relative error at the starting weights: "
      f"{check_gradients(clf, X, labels):.1e}")

# %%
# The step ``h`` matters: the central difference has a truncation error of order
# ``h**2``, and rounding in float64 adds an error of order ``1e-16 / h``. Sweeping ``h``
# shows both regimes, with the best ``h`` in between.
steps = 10.0 ** -np.arange(1, 12)
errors = np.array([check_gradients(clf, X, labels, epsilon=h) for h in steps])
for h, error in zip(steps, errors):
    print(f"h = {h:.0e}: relative error {error:.1e}")
large, small = steps >= 1e-4, steps <= 1e-7
slope_large = np.polyfit(np.log10(steps[large]), np.log10(errors[large]), 1)[0]
slope_small = np.polyfit(np.log10(steps[small]), np.log10(errors[small]), 1)[0]
print(f"log-log slope for h >= 1e-4: {slope_large:.2f} (truncation, h**2)")
print(f"log-log slope for h <= 1e-7: {slope_small:.2f} (rounding, 1/h)")

fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
ax.loglog(steps, errors, "o-")
ax.axvline(1e-6, color="0.6", linestyle=":", label="default h = 1e-6")
ax.set(xlabel="finite-difference step h", ylabel="relative error",
       title="check_gradients on a 4-5-3-1 tanh network")
ax.legend()
plt.show()
