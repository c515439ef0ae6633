"""
==============================================
One training step by hand, against the library
==============================================

A training step is a forward pass, a loss, a backward pass and an update. Here is one
step of a tiny network, two inputs, two logistic hidden units and one logistic output
(2-2-1), on two samples, written out in numpy; then the library's
:class:`~skperceptron.MLPClassifier` takes the same step from the same weights with
``partial_fit``, and the two sets of numbers are compared. The formulas are derived in
:ref:`maths-forward` and :ref:`maths-backward`, with the numbers of another small
network in :ref:`tutorial-backprop`.
"""

# %%
# The network, the data and the starting weights
# ----------------------------------------------
# Matrices hold one sample per row, as in the course notes this site's learning path
# follows (:doc:`/path`): ``Z = A_prev W + b``, with ``W`` of shape (units in, units
# out).
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit as sigmoid

from skperceptron import MLPClassifier

X = np.array([[1.0, 2.0], [0.0, -1.0]])  # (n, 2): two samples
y = np.array([1, 0])
Y = y.reshape(-1, 1).astype(float)  # (n, 1): the targets as a column
n = X.shape[0]
W1 = np.array([[0.5, -0.3], [0.2, 0.8]])  # (2, 2)
b1 = np.array([0.1, -0.1])  # (2,)
W2 = np.array([[1.0], [-1.5]])  # (2, 1)
b2 = np.array([0.2])  # (1,)
learning_rate = 0.5

# %%
# Forward pass and loss
# ---------------------
# The loss is the mean binary log-loss over the two samples.
Z1 = X @ W1 + b1  # (n, 2)
A1 = sigmoid(Z1)  # (n, 2)
Z2 = A1 @ W2 + b2  # (n, 1)
P = sigmoid(Z2)  # (n, 1)
loss = np.mean(-Y * np.log(P) - (1 - Y) * np.log(1 - P))
print("hidden outputs A1:\n", A1.round(5))
print("P(y=1):", P.ravel().round(5), " loss:", round(loss, 6))

# %%
# Backward pass
# -------------
# For a logistic output with the log-loss the local derivative of the sigmoid,
# ``p (1 - p)``, cancels against the loss's ``(p - y) / (p (1 - p))``
# (:ref:`maths-canonical-pairs`): the gradient at the output's net input is
# ``(P - Y) / n``. Then every layer does the same three products: the weights' gradient
# is the layer's input times the gradient at its output, ``dW = A_prev^T dZ``; the
# bias's is the sum of ``dZ`` over the samples; and the global gradient handed to the
# layer below is ``dA_prev = dZ W^T``, which the sigmoid's local derivative
# ``A (1 - A)`` turns into that layer's ``dZ``.
dZ2 = (P - Y) / n  # (n, 1)
dW2 = A1.T @ dZ2  # (2, n) @ (n, 1) -> (2, 1)
db2 = dZ2.sum(axis=0)  # (1,)
dA1 = dZ2 @ W2.T  # (n, 1) @ (1, 2) -> (n, 2): global gradient at the hidden outputs
dZ1 = dA1 * A1 * (1 - A1)  # (n, 2): global x local, element-wise
dW1 = X.T @ dZ1  # (2, n) @ (n, 2) -> (2, 2)
db1 = dZ1.sum(axis=0)  # (2,)
print("dZ2:", dZ2.ravel().round(5))
print("dA1 = dZ2 W2^T:\n", dA1.round(5))
print("dW1:\n", dW1.round(5))
print("db1:", db1.round(5))
print("dW2:", dW2.ravel().round(5), " db2:", db2.round(5))

# %%
# Update
# ------
# Plain gradient descent: every parameter moves against its gradient, scaled by the
# learning rate.
by_hand = [W1 - learning_rate * dW1, W2 - learning_rate * dW2,
           b1 - learning_rate * db1, b2 - learning_rate * db2]

# %%
# The library's step
# ------------------
# An estimator that was never fitted accepts starting weights assigned to ``coefs_`` and
# ``intercepts_``; ``partial_fit`` then runs one epoch from them. To make that epoch one
# plain gradient step: ``solver="sgd"`` with ``momentum=0`` and a constant learning
# rate, ``alpha=0`` (no penalty), and ``batch_size=2`` so that both samples form a
# single batch (``shuffle=False`` keeps their order).
clf = MLPClassifier(hidden_layer_sizes=(2,), activation="logistic", solver="sgd",
                    learning_rate="constant", learning_rate_init=learning_rate,
                    momentum=0, alpha=0, batch_size=2, shuffle=False)
clf.coefs_ = [W1.copy(), W2.copy()]
clf.intercepts_ = [b1.copy(), b2.copy()]
clf.partial_fit(X, y, classes=[0, 1])
library = [*clf.coefs_, *clf.intercepts_]

names = ["W1", "W2", "b1", "b2"]
for name, mine, theirs in zip(names, by_hand, library):
    print(f"{name} by hand: {mine.ravel().round(6)}")
    print(f"{name} library: {theirs.ravel().round(6)}")
largest = max(np.max(np.abs(mine - theirs)) for mine, theirs in zip(by_hand, library))
print(f"largest difference: {largest:.1e}")
print(f"loss before the step, library: {clf.loss_:.6f}, by hand: {loss:.6f}")

# %%
# The two agree to rounding error (the same operations in floating point, summed
# perhaps in another order). ``loss_`` is the loss the library measured on the batch
# *before* its update, the same number as ours. After the step the loss on these two
# samples is lower:
P_after = clf.predict_proba(X)[:, 1]
loss_after = np.mean(-y * np.log(P_after) - (1 - y) * np.log(1 - P_after))
print(f"loss after the step: {loss_after:.6f} (before: {loss:.6f})")

# %%
# The figure shows the gradient of every parameter, by hand and as the library's step
# implies it, ``(before - after) / learning_rate``.
before = [W1, W2, b1, b2]
labels, hand_grads, library_grads = [], [], []
for name, start, grad, end in zip(names, before, [dW1, dW2, db1, db2], library):
    for index in np.ndindex(start.shape):
        labels.append(f"{name}{list(index)}")
        hand_grads.append(grad[index])
        library_grads.append((start[index] - end[index]) / learning_rate)

fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
positions = np.arange(len(labels))
ax.bar(positions - 0.2, hand_grads, width=0.4, label="by hand (numpy)")
ax.bar(positions + 0.2, library_grads, width=0.4, label="library: (before - after) / lr")
ax.axhline(0, color="k", linewidth=0.8)
ax.set_xticks(positions, labels, rotation=45)
ax.set(ylabel="gradient of the loss", title="One SGD step of a 2-2-1 logistic network")
ax.legend()
plt.show()
