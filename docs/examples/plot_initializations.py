"""
==============================================================
Weight initializations compared: the spread that decides depth
==============================================================

Before the first update, the starting weights already decide how signals travel:
each layer multiplies its input by a random matrix. If the weights are too small, the
activations shrink from layer to layer, and a deep network starts out all but blind
to its input; too large, and they grow (or saturate tanh and logistic units). The
initializers of ``weight_init`` choose the variance of the weights from the layer's
fan-in ``n_in`` and fan-out ``n_out``: Glorot ``2 / (n_in + n_out)``, He ``2 / n_in``,
LeCun ``1 / n_in``, each drawn uniform or normal; ``'auto'`` is scikit-learn's scheme,
and ``'zeros'`` starts every weight at zero (:ref:`maths-initial-weights` gives the
formulas, :ref:`path-init` places them in the course). This example measures the
spread of the activations layer by layer at the start, then trains one deep network
from each.
"""

# %%
# The spread of the activations before training
# ---------------------------------------------
# A stack of 10 hidden layers of 64 units, fed the standardized digits (64 pixels,
# each with mean 0 and variance 1). ``initialize_layers`` from the private module
# ``skperceptron._engine.initializers`` is the function ``fit`` calls to draw the
# starting weights; the forward pass ``A = f(A W + b)`` is written out, and the
# standard deviation of each layer's output is recorded.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skperceptron import LossCurveDisplay, MLPClassifier
from skperceptron._engine.initializers import initialize_layers

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, random_state=0, stratify=y
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

DEPTH, WIDTH = 10, 64
SCHEMES = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "lecun_uniform", "lecun_normal", "auto", "zeros"]
ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}


def spread(scheme, f):
    """Standard deviation of each hidden layer's output at the starting weights."""
    units = [X_train.shape[1]] + [WIDTH] * DEPTH
    coefs, intercepts = initialize_layers(units, scheme, np.random.RandomState(0),
                                          np.float64)
    A, stds = X_train, []
    for W, b in zip(coefs, intercepts):
        A = f(A @ W + b)  # (n_samples, 64)
        stds.append(A.std())
    return np.array(stds)


spreads = {name: {s: spread(s, f) for s in SCHEMES} for name, f in ACTIVATIONS.items()}
for name in ACTIVATIONS:
    print(f"{name}: standard deviation of the outputs of layers 1, 2, 5 and 10")
    for scheme in SCHEMES:
        stds = spreads[name][scheme]
        print(f"  {scheme:<16}" + "".join(f"{stds[i]:>8.3f}" for i in (0, 1, 4, 9)))

# %%
# With relu, Glorot and LeCun lose about 30% of the spread at every layer: a relu
# unit passes only the positive half of its input and so keeps about half of its
# variance, which shrinks the spread by about ``1/sqrt(2)``. By layer 10 the outputs
# are a few hundredths across. He's variance ``2 / n_in`` doubles LeCun's to pay for
# that half, and the spread holds. With tanh, which is close to the identity near 0,
# Glorot and LeCun shrink more slowly, and He's larger weights hold the spread there
# too. Glorot and LeCun give the same numbers here: with 64 inputs and 64 units in
# every layer, ``2 / (n_in + n_out)`` is ``1 / n_in`` (they differ in the output
# layer, which has 10 units). ``'auto'`` (Glorot's uniform limit, with random biases
# as well) shrinks more slowly than Glorot with zero biases. ``'zeros'`` gives zero
# everywhere: every unit of a layer computes the same thing. Uniform and normal draws
# of one variance stay close to each other next to the gaps between the schemes: the
# variance matters more than the shape of the distribution.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
layers = np.arange(1, DEPTH + 1)
colors = {"glorot": "tab:blue", "he": "tab:red", "lecun": "tab:green",
          "auto": "tab:purple"}
for ax, name in zip(axes, ACTIVATIONS):
    for scheme in SCHEMES[:-1]:  # zeros: a spread of 0 has no place on a log scale
        family = scheme.split("_")[0]
        # Glorot drawn wide and pale: LeCun's line lies on top of it.
        wide = dict(lw=5, alpha=0.4) if family == "glorot" else dict(lw=1.5)
        ax.plot(layers, spreads[name][scheme], color=colors[family],
                linestyle="--" if scheme.endswith("uniform") else "-", marker="o",
                markersize=3, label=scheme, **wide)
    ax.set(xlabel="hidden layer", yscale="log", title=f"{name} layers at the start",
           yticks=[0.01, 0.03, 0.1, 0.3, 1],
           yticklabels=["0.01", "0.03", "0.1", "0.3", "1"])
axes[0].set_ylabel("standard deviation of the layer's output")
axes[1].legend(ncol=2, fontsize="small")
fig.tight_layout()

# %%
# Training a deep relu network from each start
# --------------------------------------------
# The same 10 layers of 64 relu units, now as an :class:`~skperceptron.MLPClassifier`
# trained on the digits by SGD (step 0.01, momentum 0.9) for 20 epochs, from every
# start. Only ``weight_init`` changes. The table shows the training loss after 5 and 20
# epochs (``log 10 = 2.303`` is the loss of answering 1/10 for every digit), the test
# accuracy, and the norms of the first and of the output layer's gradients in the first
# epoch (``gradient_norms_``).
networks = {}
print(f"{'weight_init':<16}{'loss @5':>9}{'loss @20':>10}{'test accuracy':>15}"
      f"{'gradient: first':>17}{'output layer':>14}")
for scheme in SCHEMES:
    clf = MLPClassifier((WIDTH,) * DEPTH, solver="sgd", learning_rate_init=0.01,
                        weight_init=scheme, max_iter=20, n_iter_no_change=20,
                        random_state=0)
    with warnings.catch_warnings():
        # 20 epochs is the budget here, not a problem to warn about.
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
    networks[scheme] = clf
    first_epoch = clf.gradient_norms_[0]
    print(f"{scheme:<16}{clf.loss_curve_[4]:>9.3f}{clf.loss_curve_[-1]:>10.3f}"
          f"{clf.score(X_test, y_test):>15.3f}{first_epoch[0]:>17.4f}"
          f"{first_epoch[-1]:>14.4f}")
print(f"log 10 = {np.log(10):.3f}")
print("digits the 'zeros' network predicts on the test set:",
      np.unique(networks["zeros"].predict(X_test)))
print("every weight gradient of the 'zeros' network is 0 in every epoch:",
      np.all(networks["zeros"].gradient_norms_ == 0))

# %%
# The He starts, whose activations kept their spread, are the only ones whose loss
# falls in the first epochs. The others send a signal that has faded to almost
# nothing by the output layer, so the output hardly depends on the image, and every
# layer's gradient starts many times smaller than with He's start: they spend the 20
# epochs near, or slowly leaving, the loss of guessing. With ``'zeros'`` nothing but
# the output biases ever moves: every hidden unit outputs 0, so no weight receives a
# gradient (the gradient norms are exactly 0), and the network answers the same digit
# for every image. The two He starts, uniform and normal, learn alike.
#
# :class:`~skperceptron.LossCurveDisplay` draws the training loss of every start:
fig, ax = plt.subplots(figsize=(7, 4.5))
for scheme, clf in networks.items():
    family = scheme.split("_")[0]
    LossCurveDisplay.from_estimator(
        clf, ax=ax, name=scheme, color=colors.get(family, "0.4"),
        linestyle="--" if scheme.endswith("uniform") else "-",
    )
ax.set_title("10 relu layers of 64 units, SGD, one curve per start")
ax.legend(ncol=2, fontsize="small")
fig.tight_layout()
plt.show()
