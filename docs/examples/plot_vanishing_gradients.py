"""
===============================================
Vanishing gradients: logistic, relu, batch norm
===============================================

On its way back through a logistic layer the gradient is multiplied by the local
derivative ``a (1 - a)``, at most 1/4, and by the layer's weights
(``dA_prev = dZ W^T``). Through many such layers it shrinks. The course notes on neural
networks that this site's learning path follows (from one neuron's forward pass,
backpropagation by the chain rule and stopping criteria to the perceptron, XOR and
vanishing gradients, see :doc:`/path`) put the consequence in one sentence: in a deep
logistic network, the layers near the output change a lot, those near the input little
(:ref:`path-vanishing`; the bound behind it is derived in :ref:`tutorial-vanishing`).

Here three :class:`~skperceptron.MLPClassifier` networks with six hidden layers learn
the digits from the same starting weights: logistic units, relu units (local
derivative 1 for an active unit), and logistic units after batch normalization
(:ref:`maths-batch-norm`). Every fitted estimator records ``gradient_norms_``: per
epoch and weight layer, the norm of ``dJ/dW`` averaged over the epoch's steps.
"""

# %%
# Three networks, the same starting weights
# -----------------------------------------
# The starting weights are drawn once (uniform, Glorot's limit
# ``sqrt(6 / (fan_in + fan_out))``, biases 0, see :ref:`maths-initial-weights`) and
# assigned to ``coefs_`` and ``intercepts_`` of each estimator before it is fitted with
# ``warm_start=True``, which makes ``fit`` start from them. Plain SGD (``momentum=0``)
# without a penalty (``alpha=0``) makes the change of a layer's weights in one step the
# learning rate times its gradient.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skperceptron import GradientNormDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

hidden = (32,) * 6
sizes = [X.shape[1], *hidden, 10]  # units from the input to the output
rng = np.random.default_rng(0)
start_coefs = [rng.uniform(-1, 1, (n_in, n_out)) * np.sqrt(6 / (n_in + n_out))
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
start_intercepts = [np.zeros(n_out) for n_out in sizes[1:]]

NETWORKS = {
    "logistic": dict(activation="logistic"),
    "relu": dict(activation="relu"),
    "logistic + batch norm": dict(activation="logistic", batch_norm=True),
}
fitted = {}
for name, params in NETWORKS.items():
    clf = MLPClassifier(hidden_layer_sizes=hidden, solver="sgd", momentum=0, alpha=0,
                        learning_rate_init=0.1, max_iter=30, warm_start=True,
                        random_state=0, **params)
    clf.coefs_ = [W.copy() for W in start_coefs]
    clf.intercepts_ = [b.copy() for b in start_intercepts]
    with warnings.catch_warnings():
        # The networks that keep learning use up their 30 epochs: a ConvergenceWarning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    fitted[name] = clf
    print(f"{name:22} {clf.n_iter_:2d} epochs ({clf.stop_reason_}), "
          f"test accuracy {clf.score(X_test, y_test):.2f}")

# %%
# The logistic network stops on a plateau of its training loss at chance level (ten
# classes: 0.10): it barely learns. The other two learn the digits.
#
# The gradients of the first epoch
# --------------------------------
# The table lists each weight layer's gradient norm in the first epoch, from the input
# (W1) to the output (W7), and the ratio of the input layer's to the output layer's.
names = list(fitted)
widths = [max(len(name), 8) + 3 for name in names]


def print_table(rows):
    """Rows of (label, one number per network) under a header of the networks' names."""
    print("layer " + "".join(f"{name:>{w}}" for name, w in zip(names, widths)))
    for label, values in rows:
        print(f"{label:6}" + "".join(f"{v:>{w}.2e}" for v, w in zip(values, widths)))


first_epoch = [clf.gradient_norms_[0] for clf in fitted.values()]
rows = [(f"W{layer + 1}", [g[layer] for g in first_epoch]) for layer in range(len(sizes) - 1)]
print_table([*rows, ("W1/W7", [g[0] / g[-1] for g in first_epoch])])

# %%
# In the logistic network the gradient shrinks layer after layer from the output down,
# and the input layer's is more than a thousand times smaller than the output layer's.
# With relu, and with batch normalization in front of the logistic units (whose
# backward pass divides each unit's gradient by the standard deviation of its net input
# over the batch), the layers' gradients stay of the same order.
#
# Over the whole training the picture stays the same.
# :class:`~skperceptron.GradientNormDisplay` draws one line per weight layer, on a log
# scale:
fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), sharey=True, layout="constrained")
for ax, (name, clf) in zip(axes, fitted.items()):
    display = GradientNormDisplay.from_estimator(clf, ax=ax, name=name)
    ax.get_legend().remove()
legend = fig.legend(handles=display.lines_, loc="outside lower center", ncols=4,
                    fontsize="small")

# %%
# How much each layer changed
# ---------------------------
# Here each step moves a layer's weights by the learning rate times its gradient, so
# the gradients' sizes become the sizes of the changes. The relative change of each
# layer over the whole fit, ``||W_end - W_start|| / ||W_start||``:
changes = {
    name: [np.linalg.norm(end - start) / np.linalg.norm(start)
           for start, end in zip(start_coefs, clf.coefs_)]
    for name, clf in fitted.items()
}
print_table([(f"W{layer + 1}", [changes[n][layer] for n in names])
             for layer in range(len(sizes) - 1)])

# %%
# This is the notes' sentence in numbers: in the logistic network the layers near the
# output changed a lot, those near the input hardly at all, so the features the first
# layers compute stay close to random ones.
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
positions = np.arange(1, len(sizes))
for offset, name in zip((-0.27, 0, 0.27), names):
    ax.bar(positions + offset, changes[name], width=0.27, label=name)
ax.set_yscale("log")
ax.set_xticks(positions, [f"W{i}" for i in positions])
ax.set(xlabel="weight layer (input to output)",
       ylabel="||W_end - W_start|| / ||W_start||", title="Relative change of each layer")
fig.legend(loc="outside right upper")
plt.show()
