"""
===================================================
Activations compared: their shapes and their slopes
===================================================

A hidden unit computes its net input ``z = a_prev @ w + b`` and passes on ``f(z)``.
The activation ``f`` makes the network more than a linear model, and its derivative
``f'`` is the local gradient that backpropagation multiplies into the global gradient
on the way down: where ``f'`` is small, little gradient gets through. This example
draws the seven hidden activations the library offers with their derivatives, then
trains the same :class:`~skperceptron.MLPClassifier` with each on one data set. The
formulas are in :ref:`maths-activations`; :ref:`path-activations` places them in the
course.
"""

# %%
# Each activation and its derivative
# ----------------------------------
# The network's code keeps one object per activation in
# ``skperceptron._engine.activations`` (a private module, read here for its numbers):
# ``value(Z)`` is ``f``, and ``derivative(A)`` is ``f'`` computed from the *output*
# ``A = f(Z)``, which the forward pass has kept anyway (for the logistic,
# ``f' = A (1 - A)``). Central finite differences of ``value`` check each derivative.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_gaussian_quantiles
from sklearn.model_selection import train_test_split

from skperceptron import LossCurveDisplay, MLPClassifier
from skperceptron._engine.activations import ACTIVATIONS

NAMES = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus"]
z = np.linspace(-4, 4, 800)[:, None]  # no grid point at the kinks, z = 0
h = 1e-6

print(f"{'activation':<12}{'f(-4)':>8}{'f(4)':>8}{'slope at 0':>12}{'largest slope':>15}"
      f"{'finite-difference error':>25}")
for name in NAMES:
    act = ACTIVATIONS[name]
    a = act.value(z)
    slope = act.derivative(a)
    at_zero = act.derivative(act.value(np.zeros((1, 1))))[0, 0]
    numeric = (act.value(z + h) - act.value(z - h)) / (2 * h)
    print(f"{name:<12}{a[0, 0]:>8.3f}{a[-1, 0]:>8.3f}{at_zero:>12.3f}{slope.max():>15.3f}"
          f"{np.abs(slope - numeric).max():>25.1e}")

# %%
# The derivatives read from the outputs agree with the finite differences to about
# 1e-9 or better. At ``z = 0`` itself, where relu and leaky_relu have a kink, the
# code takes the slope of the left side. The logistic's slope is never above 0.25:
# in every logistic layer a gradient passes through, the activation's factor is at
# most a quarter (the weights multiply it too, so the whole layer's factor depends
# on them as well): :ref:`sphx_glr_auto_examples_plot_vanishing_gradients.py` follows
# that factor through six layers.
#
# tanh has slope 1 at zero but flattens on both sides, as the logistic does. relu
# has slope exactly 1 for every positive input and 0 for every negative one;
# leaky_relu keeps 0.01 on the negative side, elu and softplus bend smoothly between
# the two.
fig, axes = plt.subplots(2, 4, figsize=(12, 5.5), sharex=True, sharey=True)
for ax, name in zip(axes.flat, NAMES):
    act = ACTIVATIONS[name]
    a = act.value(z)
    ax.plot(z, a, label="f(z)")
    ax.plot(z, act.derivative(a), "--", label="f'(z)")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.set(title=name, ylim=(-1.5, 2.5))
axes.flat[-1].set_axis_off()
axes.flat[0].legend(loc="upper left")
for ax in axes[-1]:
    ax.set_xlabel("z")
fig.suptitle("Each hidden activation (solid) and its local gradient (dashed)")
fig.tight_layout()

# %%
# The same network with each activation
# -------------------------------------
# Three classes in concentric shells around the origin
# (:func:`~sklearn.datasets.make_gaussian_quantiles`): no line separates them, so the
# network has to bend.
# Every network has two hidden layers of 16 units, Adam with a step of 0.01, the same
# random state, and exactly 150 epochs: ``n_iter_no_change=150`` switches off the
# plateau rule, which would otherwise stop a network that learns slowly at its
# first plateau. Only ``activation`` changes. Besides the test accuracy, the table
# shows the training loss after 25 epochs and after all 150, and the norm of the
# first layer's gradient averaged over the first 10 epochs (``gradient_norms_``).
X, y = make_gaussian_quantiles(n_samples=600, n_features=2, n_classes=3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

networks = {}
print(f"{'activation':<12}{'test accuracy':>14}{'loss @25':>10}{'loss @150':>11}"
      f"{'first-layer gradient':>22}")
for name in NAMES:
    clf = MLPClassifier((16, 16), activation=name, learning_rate_init=0.01,
                        max_iter=150, n_iter_no_change=150, random_state=0)
    with warnings.catch_warnings():
        # Reaching max_iter is the plan here, not a problem to warn about.
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
    networks[name] = clf
    print(f"{name:<12}{clf.score(X_test, y_test):>14.3f}{clf.loss_curve_[24]:>10.3f}"
          f"{clf.loss_curve_[-1]:>11.3f}{clf.gradient_norms_[:10, 0].mean():>22.4f}")

# %%
# What the numbers show, on this data and this budget:
#
# - **identity** stays near chance (a third): layers of identity units compose to one
#   linear map, and a linear model cannot draw shells. Its loss hardly moves from
#   the loss of answering one third for every class, printed below.
# - **logistic** learns, but last: its loss after 25 epochs is still close to the
#   identity network's, and its first layer's gradient is tens of times smaller than
#   the others', as the slope of at most 0.25 per layer (and the smaller starting
#   weights scikit-learn's scheme gives logistic layers) predicts.
# - **tanh, relu, leaky_relu, elu and softplus** all end with a test accuracy within
#   a few points of each other. relu and leaky_relu bring the loss down fastest (the
#   lowest loss after 25 epochs); softplus starts slowly, its slope at ``z = 0``
#   being half that of tanh or of relu just above 0 (first table).
#
# The figure shows the same story epoch by epoch: on the left the training loss
# (:class:`~skperceptron.LossCurveDisplay`, one curve per network on the same axes),
# on the right the first layer's gradient norm on a log scale.
print(f"loss of answering 1/3 for every class: log 3 = {np.log(3):.3f}")
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
for name, clf in networks.items():
    LossCurveDisplay.from_estimator(clf, ax=ax_loss, name=name)
    ax_grad.plot(np.arange(1, clf.n_iter_ + 1), clf.gradient_norms_[:, 0], label=name)
ax_loss.set_title("training loss")
ax_grad.set(xlabel="Epoch", ylabel="||dJ/dW_1||", yscale="log",
            title="first layer's gradient norm")
fig.tight_layout()
plt.show()
