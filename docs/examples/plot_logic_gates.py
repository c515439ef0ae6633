"""
======================================================
Logic gates: a line for AND, OR and NAND, none for XOR
======================================================

A perceptron (:class:`~skperceptron.PerceptronClassifier`) is one threshold unit: it
predicts 1 when ``w1*x1 + w2*x2 + b > 0`` and 0 otherwise, so the boundary between its
two answers is the line ``w1*x1 + w2*x2 + b = 0``. It learns the truth tables of AND,
OR and NAND, whose ones and zeros a line can separate. It cannot learn XOR, where no
line does. One hidden layer (:class:`~skperceptron.MLPClassifier`) is enough to learn
XOR. The tutorial takes the same path in :ref:`tutorial-and` and :ref:`tutorial-xor`;
the rule is written out in :ref:`maths-perceptron-rule`.
"""

# %%
# The perceptron on four truth tables
# ------------------------------------
# ``tol=None`` switches off the rule that stops on a plateau of the training loss, so
# that training ends either on an epoch without a mistake (``stop_reason_`` is
# ``"converged"``) or when the budget of ``max_iter`` epochs runs out.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from skperceptron import MLPClassifier, PerceptronClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "NAND": np.array([1, 1, 1, 0]),
    "XOR": np.array([0, 1, 1, 0]),
}

perceptrons = {}
print("gate  targets  predicted  right  w1  w2   b  epochs  stop_reason_")
for gate, y in GATES.items():
    clf = PerceptronClassifier(tol=None, max_iter=100, random_state=0)
    with warnings.catch_warnings():
        # XOR uses up its 100 epochs, which scikit-learn reports with a warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    perceptrons[gate] = clf
    (w1, w2), (b,) = clf.coef_[0], clf.intercept_
    predicted = clf.predict(X)
    print(f"{gate:4}  {' '.join(map(str, y))}  {' '.join(map(str, predicted)):9}  "
          f"{np.sum(predicted == y)}/4   {w1:>2g}  {w2:>2g}  {b:>2g}  {clf.n_iter_:>6}  "
          f"{clf.stop_reason_}")

# %%
# AND, OR and NAND end on an epoch without a mistake, every point on the right side
# of the line. XOR spends its whole budget: whatever line the weights describe at the
# end, some points lie on the wrong side, and the next epoch moves the line again. The
# rule keeps the weights of its last update, whatever they score: a line can get 3 of
# XOR's 4 points right (the random lines below find such lines), the last one here
# gets 2.
#
# The shaded half-plane below is where each perceptron predicts 1; a cross marks a
# point it gets wrong.


def draw_gate(ax, clf, gate, y):
    (w1, w2), (b,) = clf.coef_[0], clf.intercept_
    grid = np.linspace(-0.5, 1.5, 201)
    x1, x2 = np.meshgrid(grid, grid)
    ax.contourf(x1, x2, (w1 * x1 + w2 * x2 + b > 0).astype(float),
                levels=[-0.5, 0.5, 1.5], colors=["white", "tab:orange"], alpha=0.25)
    if w2 != 0:
        ax.plot(grid, -(w1 * grid + b) / w2, color="k")
    elif w1 != 0:
        ax.axvline(-b / w1, color="k")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=120, edgecolor="k", zorder=3)
    wrong = clf.predict(X) != y
    ax.scatter(X[wrong, 0], X[wrong, 1], marker="x", color="k", s=250, zorder=4)
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), aspect="equal", xlabel="x1",
           title=f"{gate}: {int(np.sum(~wrong))}/4 right")


fig, axes = plt.subplots(1, 4, figsize=(13, 3.8), sharey=True, layout="constrained")
fig.suptitle("The perceptron's line (blue: target 0, red: target 1)")
axes[0].set_ylabel("x2")
for ax, (gate, y) in zip(axes, GATES.items()):
    draw_gate(ax, perceptrons[gate], gate, y)

# %%
# With the default ``tol`` the plateau rule stops the perceptron one epoch earlier on
# AND and NAND. It watches the epoch loss (the perceptron criterion, recorded in
# ``loss_curve_``): after the 0 of epoch 3, which does not count because mistakes were
# still corrected in it (a point exactly on the line has loss 0 but is updated), the
# loss stays at 0.25 for five epochs, ``n_iter_no_change`` of them, without improving on
# the best by ``tol`` (:ref:`maths-stopping-rules`). Each of those epochs still made a
# mistake and moved the line. The rule does not look at the predictions, but when it
# stops training the fit checks the weights it ends on: here the last update left all
# four points on the right side of the line, none on it, so no point would move it
# again. That is convergence, and ``stop_reason_`` says ``converged``. (With other seeds
# the plateau can stop before the last mistake: on data known to be separable,
# ``tol=None`` is the safe choice.)
for gate in ("AND", "NAND"):
    clf = PerceptronClassifier(random_state=0).fit(X, GATES[gate])
    right = np.sum(clf.predict(X) == GATES[gate])
    print(f"{gate:4}  default tol: {right}/4 right after {clf.n_iter_} epochs: "
          f"{clf.stop_reason_}")
    print(f"      loss_curve_ = {[round(loss, 4) for loss in clf.loss_curve_]}")

# %%
# No line works for XOR
# ---------------------
# Suppose a line did: ``b <= 0`` for (0, 0), ``w2 + b > 0`` for (0, 1) and
# ``w1 + b > 0`` for (1, 0). Adding the last two gives ``w1 + w2 + 2b > 0``, so
# ``w1 + w2 + b > -b >= 0``: the line also puts (1, 1) on the side of 1, against its
# target 0. The same can be seen by trying lines at random: count, for many random
# ``(w1, w2, b)``, how many of the four points each one gets right.
rng = np.random.default_rng(0)
lines = rng.normal(size=(100_000, 3))  # rows (w1, w2, b)
scores = X @ lines[:, :2].T + lines[:, 2]  # (4, n_lines)
for gate, y in GATES.items():
    n_right = np.sum((scores > 0) == y[:, None], axis=0)
    print(f"{gate:4}  best of {lines.shape[0]} random lines: {n_right.max()}/4 right; "
          f"lines with 4/4: {np.mean(n_right == 4):.1%}")

# %%
# A hidden layer learns XOR
# -------------------------
# Four ``tanh`` hidden units map the four points to new coordinates in which one line,
# drawn by the output unit, separates them. In the input plane that line becomes the
# curved boundary below (:class:`~sklearn.inspection.DecisionBoundaryDisplay` colours
# the predicted probability of class 1, the dashed contour is where it equals 1/2).
y = GATES["XOR"]
mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", learning_rate_init=0.05,
                    max_iter=1000, random_state=0).fit(X, y)
proba = mlp.predict_proba(X)[:, 1]
for point, target, p in zip(X, y, proba):
    print(f"x = {point}  target {target}  P(y=1) = {p:.3f}")
print(f"right {np.sum(mlp.predict(X) == y)}/4 after {mlp.n_iter_} epochs: "
      f"{mlp.stop_reason_}")

fig, ax = plt.subplots(figsize=(5.2, 4.4), layout="constrained")
display = DecisionBoundaryDisplay.from_estimator(
    mlp, X, response_method="predict_proba", eps=0.5, grid_resolution=200,
    cmap="coolwarm", alpha=0.6, levels=np.linspace(0, 1, 11), ax=ax, xlabel="x1", ylabel="x2",
)
ax.contour(display.xx0, display.xx1, display.response, levels=[0.5], colors="k",
           linestyles="--")
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=120, edgecolor="k")
ax.set(aspect="equal", title="MLP with 4 tanh units on XOR: P(y=1)")
fig.colorbar(display.surface_, ax=ax)
plt.show()
