"""
=====================================================
Losses compared: outliers, margins and what they cost
=====================================================

The loss decides how much each training sample pulls on the weights: its gradient
is the pull. For regression, the squared error pulls in proportion to the residual,
the absolute error with a constant force, and the Huber loss like the first near the
target and like the second far from it; with outliers in the data, that decides where
the fitted line goes. For classification, the log-loss and the hinge both penalise a
wrong or unsure score, but the hinge stops caring once a sample clears a margin of 1,
while the log-loss never quite reaches zero. Every loss and its gradient is written out
in :ref:`maths-losses`; :ref:`path-losses-activations` places them in the course.
"""

# %%
# A line through data with outliers
# ---------------------------------
# :func:`~sklearn.datasets.make_regression` draws points around a straight line. The
# targets are divided by their standard deviation, so that the Huber loss's
# ``huber_delta=1`` (the residual where it turns from squared to absolute) means one
# standard deviation. Then 20 of the 200 training points, taken among those with
# ``x > 0.5``, are pushed down by 6 to 10: outliers that a careless fit will follow. The
# test points are left clean.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons, make_regression
from sklearn.linear_model import LinearRegression, QuantileRegressor
from sklearn.model_selection import train_test_split

from skperceptron import MLPClassifier, PerceptronRegressor

X, y = make_regression(n_samples=300, n_features=1, noise=10, random_state=0)
y = y / y.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=100, random_state=0)
rng = np.random.RandomState(0)
outliers = rng.choice(np.flatnonzero(X_train[:, 0] > 0.5), size=20, replace=False)
y_train = y_train.copy()
y_train[outliers] -= rng.uniform(6, 10, size=20)

# %%
# One linear neuron per loss
# --------------------------
# :class:`~skperceptron.PerceptronRegressor` is Widrow and Hoff's linear neuron:
# ``z = w x + b`` trained one sample at a time. Each step subtracts ``eta0 * g * x``
# from ``w`` and ``eta0 * g`` from ``b``, where ``g`` is the loss's derivative at the
# residual ``r = z - y``: ``r`` itself for the squared error, ``sign(r)`` for the
# absolute error, ``r`` clipped to ``[-1, 1]`` for the Huber loss
# (:ref:`maths-delta-rule`). A small step (``eta0=0.001``) lets each neuron settle close
# to the minimum of its loss. scikit-learn computes two of those minima exactly, for
# comparison: least squares (:class:`~sklearn.linear_model.LinearRegression`) and least
# absolute deviations (:class:`~sklearn.linear_model.QuantileRegressor` at the median).
LOSSES = ["squared_error", "absolute_error", "huber"]
neurons = {
    loss: PerceptronRegressor(loss=loss, eta0=0.001, random_state=0).fit(X_train, y_train)
    for loss in LOSSES
}
exact = {
    "least squares": LinearRegression().fit(X_train, y_train),
    "least absolute deviations": QuantileRegressor(quantile=0.5, alpha=0).fit(
        X_train, y_train
    ),
}

print(f"{'model':<28}{'slope':>8}{'intercept':>11}{'test MAE':>10}")
for name, model in [*neurons.items(), *exact.items()]:
    slope = np.ravel(model.coef_)[0]
    intercept = np.ravel(model.intercept_)[0]
    mae = np.mean(np.abs(model.predict(X_test) - y_test))
    print(f"{name:<28}{slope:>8.3f}{intercept:>11.3f}{mae:>10.3f}")

# %%
# The squared-error neuron lands close to least squares, and the absolute-error
# neuron close to least absolute deviations: each minimises its own loss. They
# disagree with each other, and the table says which one the clean test points
# favour. Under the squared error, an outlier 8 below the line pulls 8 times harder
# than a point 1 below it, and the 20 outliers together flatten the line. Under the
# absolute error every point pulls with the same force whatever its distance, so the
# 180 ordinary points outvote the 20 outliers. The Huber loss caps each pull at
# ``huber_delta=1``: the outliers still pull, as hard as a point one standard deviation
# away, and its line lies between the other two, nearer the robust one.
fig, ax = plt.subplots(figsize=(7, 4.5))
normal = np.setdiff1d(np.arange(len(y_train)), outliers)
ax.scatter(X_train[normal, 0], y_train[normal], s=12, color="0.6", label="training points")
ax.scatter(X_train[outliers, 0], y_train[outliers], s=30, marker="x", color="k",
           label="outliers")
grid = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)[:, None]
for loss, color in zip(LOSSES, ["tab:red", "tab:blue", "tab:green"]):
    ax.plot(grid[:, 0], neurons[loss].predict(grid), color=color, lw=2, label=loss)
ax.set(xlabel="x", ylabel="y (in standard deviations)",
       title="One linear neuron per loss, on data with 20 outliers")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# Classification losses as functions of the margin
# ------------------------------------------------
# A classifier's score ``z`` is right when it has the sign ``s`` of the class
# (``s = +1`` or ``-1``), and the product ``s z``, the *margin*, measures how right. The
# losses the library offers for classification are functions of it: the perceptron
# criterion ``max(0, -s z)`` (:class:`~skperceptron.PerceptronClassifier`), the hinge
# ``max(0, 1 - s z)`` and the log-loss of the logistic output, ``log(1 + exp(-s z))``.
# They stand in for the count of mistakes (the 0-1 loss), which training cannot use: its
# slope is zero wherever it is defined. All three are convex in the score, and far on
# the wrong side each grows linearly: its slope tells a mistake which way to move. The
# hinge is exactly zero from a margin of 1 on; the log-loss is positive everywhere.
margin = np.linspace(-3, 4, 701)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(margin, (margin <= 0).astype(float), color="0.5", label="0-1 (mistakes)")
ax.plot(margin, np.maximum(0, -margin), label="perceptron: max(0, -sz)")
ax.plot(margin, np.maximum(0, 1 - margin), label="hinge: max(0, 1 - sz)")
ax.plot(margin, np.logaddexp(0, -margin), label="log-loss: log(1 + exp(-sz))")
ax.set(xlabel="margin s z", ylabel="loss", ylim=(-0.1, 3.5),
       title="Classification losses of one score")
ax.legend()
fig.tight_layout()

# %%
# Log-loss and hinge on the same network
# --------------------------------------
# Two :class:`~skperceptron.MLPClassifier` with one hidden layer of 20 relu units,
# trained by L-BFGS (:ref:`maths-lbfgs`) on the two moons
# (:func:`~sklearn.datasets.make_moons`), one with ``loss="log_loss"`` (the default) and
# one with ``loss="hinge"``. The estimators do not return the raw score for a network,
# so the forward pass is written out below from ``coefs_`` and ``intercepts_``; its sign
# agrees with ``predict``.
X, y = make_moons(n_samples=400, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)


def score(clf, X):
    """The output unit's net input z: relu hidden layers, then a linear output."""
    A = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
    return (A @ clf.coefs_[-1] + clf.intercepts_[-1]).ravel()


classifiers = {}
print(f"{'loss':<10}{'test accuracy':>14}{'median margin':>15}{'margin >= 1':>13}"
      f"{'predict_proba':>15}")
for loss in ["log_loss", "hinge"]:
    clf = MLPClassifier((20,), loss=loss, solver="lbfgs", max_iter=300, random_state=0)
    with warnings.catch_warnings():
        # An L-BFGS run that uses all 300 iterations says so with a warning.
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
    classifiers[loss] = clf
    margins = (2 * y_train - 1) * score(clf, X_train)
    assert np.array_equal(score(clf, X_train) > 0, clf.predict(X_train) == 1)
    print(f"{loss:<10}{clf.score(X_test, y_test):>14.3f}{np.median(margins):>15.2f}"
          f"{np.mean(margins >= 1):>13.0%}{str(hasattr(clf, 'predict_proba')):>15}")

# %%
# The two reach about the same test accuracy here; what differs is the scores. Once
# a training sample's margin passes 1, the hinge's gradient on it is zero: the
# samples in the "margin >= 1" column no longer move the hinge network's weights,
# and nothing pushes their margins further. The log-loss still rewards a larger
# margin at any size, every sample keeps pulling, and with almost no penalty
# (``alpha=1e-4``) its median training margin ends larger. In return the log-loss's
# score is a log-odds, so that classifier has ``predict_proba``; the hinge's score has
# no probability meaning, and the hinge classifier only predicts.
#
# The lines below are the scores ``z = -1, 0, 1`` of each network. The samples the
# hinge still learns from are those between the dashed lines or on the wrong side of
# the solid one.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
x0, x1 = np.meshgrid(np.linspace(-2, 3, 301), np.linspace(-1.5, 2, 211))
grid = np.c_[x0.ravel(), x1.ravel()]
for ax, (loss, clf) in zip(axes, classifiers.items()):
    z = score(clf, grid).reshape(x0.shape)
    ax.contourf(x0, x1, z > 0, levels=[-0.5, 0.5, 1.5], colors=["tab:blue", "tab:red"],
                alpha=0.15)
    ax.contour(x0, x1, z, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"])
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="coolwarm", s=12,
               edgecolor="k", linewidth=0.3)
    ax.set(xlabel="x1", title=f"loss={loss!r}: z = -1, 0, 1")
axes[0].set_ylabel("x2")
fig.tight_layout()
plt.show()
