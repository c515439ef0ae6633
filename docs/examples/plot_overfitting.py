"""
=====================================
Overfitting and three cures, measured
=====================================

A network with thousands of weights, trained on 100 noisy points, can learn
the noise: its training accuracy climbs towards 100% while its accuracy on new points
stalls or falls. This example shows the gap, then tries three classic cures:
an L2 penalty on the weights (``alpha``), early stopping on a validation split, and
dropout (``dropout``), each measured on held-out data, first on one draw of the
training set and then on five. The cures are written out in :ref:`maths-penalties`,
:ref:`maths-early-stopping` and :ref:`maths-dropout`; :ref:`path-overfitting` places
them in the course.
"""

# %%
# A big network on little data
# ----------------------------
# Two noisy moons (:func:`~sklearn.datasets.make_moons`): 100 points to train on, 200
# points to watch while training (the network never learns from them, and no decision
# depends on them), and 1000 to test. An :class:`~skperceptron.MLPClassifier` with two
# hidden layers of 100 relu units, Adam with a step of 0.01, 200 epochs;
# ``n_iter_no_change=200`` switches off the rule that would stop on a plateau of the
# training loss. ``X_val`` and ``y_val`` given to ``fit`` are scored after every epoch:
# ``validation_loss_curve_`` records their loss, beside ``loss_curve_`` for the training
# set (which includes the penalty, tiny at the default ``alpha=1e-4``).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from skperceptron import LossCurveDisplay, MLPClassifier


def draw(seed):
    """100 training points, 200 to watch, 1000 to test, from one draw of the moons."""
    X, y = make_moons(n_samples=1300, noise=0.35, random_state=seed)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=100, random_state=seed
    )
    X_watch, X_test, y_watch, y_test = train_test_split(
        X_rest, y_rest, train_size=200, random_state=seed
    )
    return X_train, y_train, X_watch, y_watch, X_test, y_test


COMMON = dict(hidden_layer_sizes=(100, 100), learning_rate_init=0.01, max_iter=200,
              n_iter_no_change=200)


def fit(seed, X, y, watch=None, **params):
    """An MLPClassifier of COMMON and ``params``, fitted; ``watch`` is (X_val, y_val)."""
    clf = MLPClassifier(**{**COMMON, "random_state": seed, **params})
    X_val, y_val = watch if watch is not None else (None, None)
    with warnings.catch_warnings():
        # The fits that use their 200 epochs say so with a warning: that is the plan.
        warnings.simplefilter("ignore")
        return clf.fit(X, y, X_val=X_val, y_val=y_val)


X_train, y_train, X_watch, y_watch, X_test, y_test = draw(0)
plain = fit(0, X_train, y_train, watch=(X_watch, y_watch))
best = int(np.argmin(plain.validation_loss_curve_))
n_parameters = sum(W.size + b.size for W, b in zip(plain.coefs_, plain.intercepts_))
print(f"weights and biases: {n_parameters} to fit {len(y_train)} points")
print(f"training accuracy {plain.score(X_train, y_train):.3f}, "
      f"test accuracy {plain.score(X_test, y_test):.3f}")
print(f"training loss: {plain.loss_curve_[best]:.3f} at epoch {best + 1}, "
      f"{plain.loss_curve_[-1]:.3f} at epoch {plain.n_iter_}")
print(f"watched loss: lowest {plain.validation_loss_curve_[best]:.3f} at epoch "
      f"{best + 1}, {plain.validation_loss_curve_[-1]:.3f} at epoch {plain.n_iter_}")

# %%
# The training loss keeps falling to the end, while the loss on the watched points
# reaches its lowest early and then climbs: from there on, each epoch fits the
# training points' noise a little better and new points a little worse. The
# training accuracy ends far above the test accuracy.
#
# Three cures
# -----------
# - **L2 penalty**, ``alpha=1``: the objective gains ``alpha / 2`` times the sum of
#   the squared weights (divided by the batch size, as in scikit-learn), which pulls
#   every weight towards 0 at every step and keeps the function smoother.
#   ``alpha=10`` is there too, to show that the penalty is a dial and not a switch.
# - **Early stopping**, ``early_stopping=True``: 20% of the 100 training points are
#   held out (``validation_fraction=0.2``), scored after each epoch, and training
#   stops when their accuracy has not improved for 30 epochs
#   (``n_iter_no_change=30``); the weights of the best epoch are restored. The
#   network then trains on 80 points only.
# - **Dropout**, ``dropout=0.5``: in training, each hidden unit's output is set to 0
#   with probability 0.5 (and the others doubled), afresh for each batch, so that no
#   unit can rely on particular others; prediction uses every unit.
CURES = {
    "no cure": {},
    "alpha=1": dict(alpha=1.0),
    "alpha=10": dict(alpha=10.0),
    "early stopping": dict(early_stopping=True, validation_fraction=0.2,
                           n_iter_no_change=30),
    "dropout=0.5": dict(dropout=0.5),
}
first_draw = {"no cure": plain}
for name, params in CURES.items():
    if name != "no cure":
        # Early stopping decides on its own held-out 20 points: no watched set for it.
        watch = None if "early_stopping" in params else (X_watch, y_watch)
        first_draw[name] = fit(0, X_train, y_train, watch, **params)

print(f"{'':<16}{'train acc':>10}{'test acc':>10}{'gap':>8}{'epochs':>8}")
for name, clf in first_draw.items():
    train, test = clf.score(X_train, y_train), clf.score(X_test, y_test)
    print(f"{name:<16}{train:>10.3f}{test:>10.3f}{train - test:>8.3f}{clf.n_iter_:>8}")

# %%
# The decision boundaries show what the numbers measure: without a cure the boundary
# bends around single noisy points; the penalty and dropout keep it smoother; a
# strong penalty flattens it almost to a line; stopping early freezes it before it
# has had time to bend much.
fig, axes = plt.subplots(1, len(first_draw), figsize=(16, 3.6), sharey=True)
x0, x1 = np.meshgrid(np.linspace(-2, 3, 201), np.linspace(-1.7, 2.2, 157))
grid = np.c_[x0.ravel(), x1.ravel()]
for ax, (name, clf) in zip(axes, first_draw.items()):
    proba = clf.predict_proba(grid)[:, 1].reshape(x0.shape)
    ax.contourf(x0, x1, proba, levels=np.linspace(0, 1, 11), cmap="coolwarm",
                alpha=0.5)
    ax.contour(x0, x1, proba, levels=[0.5], colors="k")
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="coolwarm", s=14,
               edgecolor="k", linewidth=0.4)
    ax.set(title=f"{name}\ntest accuracy {clf.score(X_test, y_test):.3f}",
           xlabel="x1")
axes[0].set_ylabel("x2")
fig.tight_layout()

# %%
# The loss curves, training and watched, of the network without a cure (left, drawn
# by :class:`~skperceptron.LossCurveDisplay`: the watched points are its validation
# data) and the watched loss of each cure (right; early stopping watches its own 20
# points, not these, so it has no curve here).
fig, (ax_plain, ax_cures) = plt.subplots(1, 2, figsize=(11, 4))
LossCurveDisplay.from_estimator(plain, ax=ax_plain, name="no cure")
ax_plain.axvline(best + 1, color="0.6", linestyle=":", label="lowest watched loss")
ax_plain.legend()
for name, clf in first_draw.items():
    if clf.validation_loss_curve_ is not None and "early" not in name:
        ax_cures.plot(np.arange(1, clf.n_iter_ + 1), clf.validation_loss_curve_,
                      label=name)
ax_cures.set(xlabel="Epoch", ylabel="watched log-loss", title="each cure",
             ylim=(0, 1.5))
ax_cures.legend()
fig.tight_layout()

# %%
# Five draws of the training set
# ------------------------------
# One draw of 100 points is one roll of the dice: a cure can win or lose on it by
# chance. The same comparison on five draws (the first is the one above), each
# network tested on its draw's 1000 test points, gives the mean test accuracy, the
# mean change against no cure with its standard error over the draws, and on how
# many draws the cure did better and worse.
test_accuracy = {name: [] for name in CURES}
gaps = {name: [] for name in CURES}
for seed in range(5):
    X_train, y_train, _, _, X_test, y_test = draw(seed)
    for name, params in CURES.items():
        clf = first_draw[name] if seed == 0 else fit(seed, X_train, y_train, **params)
        test_accuracy[name].append(clf.score(X_test, y_test))
        gaps[name].append(clf.score(X_train, y_train) - test_accuracy[name][-1])

baseline = np.array(test_accuracy["no cure"])
print(f"{'':<16}{'mean test acc':>14}{'mean gap':>10}{'change':>10}{'+- s.e.':>9}"
      f"{'better':>8}{'worse':>7}")
for name in CURES:
    accuracy = np.array(test_accuracy[name])
    change = accuracy - baseline
    print(f"{name:<16}{accuracy.mean():>14.3f}{np.mean(gaps[name]):>10.3f}"
          f"{change.mean():>+10.3f}{change.std(ddof=1) / np.sqrt(len(change)):>9.3f}"
          f"{np.sum(change > 0):>8}{np.sum(change < 0):>7}")

# %%
# What the five draws say, read from the table: ``alpha=1`` and ``dropout=0.5``
# narrow the gap between training and test accuracy and raise the test accuracy,
# on every draw here. ``alpha=10`` narrows the gap too, but by underfitting: its
# boundary is nearly a straight line, and its mean test accuracy is lower than without
# a cure. Early stopping, on this data, gives no gain: it stops well before the 200
# epochs and narrows the gap, but its mean change in test accuracy is no larger than
# its standard error, and it does better on some draws and worse on others. The 20
# points it holds out are a fifth of a small training set, and a coarse judge of when
# to stop: their accuracy moves in steps of 5%.
plt.show()
