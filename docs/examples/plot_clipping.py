"""
===========================================
Gradient clipping rescues a diverging fit
===========================================

Early in training, before the weights fit the data, a mini-batch can produce a gradient
many times larger than later ones, and one step along it at a rate chosen for the
later ones throws the weights far away: the loss explodes, or relu units end up dead
for every input. ``clip_grad_norm=c`` bounds each step: when the global L2 norm of the
step's gradient (all weights and biases together) exceeds ``c``, the gradient is
scaled down to norm ``c``; its direction stays. Every fit records, per epoch, the mean
norm before clipping (``gradient_norm_curve_``) and the number of steps clipped
(``clipped_steps_``). The rule is written out in :ref:`maths-clipping`.
"""

# %%
# A rate too large for the first steps
# ------------------------------------
# Friedman's first regression problem
# (:func:`~sklearn.datasets.make_friedman1`): 10
# features, 5 of which enter a nonlinear target, with noise. An
# :class:`~skperceptron.MLPRegressor` with two hidden layers of 64 relu units, SGD
# with Nesterov momentum 0.9, a rate of 0.05, batches of 32, 60 epochs (the plateau
# rule off), from three seeds, without clipping and with ``clip_grad_norm=10``.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPRegressor

X, y = make_friedman1(n_samples=1200, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


def fit(seed, rate=0.05, **params):
    """The network above, fitted; returns it and the warnings' categories."""
    reg = MLPRegressor(hidden_layer_sizes=(64, 64), solver="sgd", momentum=0.9,
                       learning_rate_init=rate, batch_size=32, max_iter=60,
                       n_iter_no_change=np.inf, random_state=seed, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.fit(X_train, y_train)
    return reg, sorted({type(w.message).__name__ for w in caught})


fits = {}
print(f"{'seed':>4}  {'clip_grad_norm':>14}  {'stop_reason_':>12}  {'n_iter_':>7}  "
      f"{'test R^2':>8}  {'dead units':>10}  warnings")
for seed in range(3):
    for clip in (None, 10.0):
        reg, caught = fits[seed, clip] = fit(seed, clip_grad_norm=clip)
        # saturation_: per epoch and hidden layer, the share of relu units that were
        # zero on every sample of a batch; here the second hidden layer's, last epoch.
        dead = reg.saturation_[-1, 1] if reg.n_iter_ else np.nan
        print(f"{seed:>4}  {clip!s:>14}  {reg.stop_reason_:>12}  {reg.n_iter_:>7}  "
              f"{reg.score(X_test, y_test):>8.3f}  {dead:>10.2f}  {', '.join(caught)}")

# %%
# Without clipping, two fits diverge: the loss grows 10**4-fold (seed 2 in its first
# epoch, seed 0 after 12), training stops with ``stop_reason_="diverged"`` and a
# :class:`~sklearn.exceptions.ConvergenceWarning`, and the weights are put back to
# those at the start of the epoch with the lowest loss (with no epoch recorded, those
# the fit started from: :ref:`maths-after-each-epoch`). Seed 1 runs its 60 epochs,
# but its second hidden layer is dead: every unit outputs 0 on every sample, the
# output is a constant, and the test R^2 is about 0. With the same seeds, rate and
# epochs, each clipped fit runs its 60 epochs to a higher test R^2 (its
# ``ConvergenceWarning`` says only that the 60 epochs ran out). Clipping does not save
# every unit: a third or more of the second layer is dead in the clipped fits too.
#
# How often the bound acted
# -------------------------
# The clipped fit of seed 0: the mean gradient norm of each epoch before clipping and
# the number of its 29 steps (870 training samples in batches of 32) that were clipped.
clipped, _ = fits[0, 10.0]
steps_per_epoch = int(np.ceil(len(y_train) / 32))
print(f"steps per epoch: {steps_per_epoch}")
print("epoch         ", " ".join(f"{e:>5}" for e in range(1, 11)))
norms = clipped.gradient_norm_curve_
print("mean norm     ", " ".join(f"{n:>5.1f}" for n in norms[:10]))
print("clipped steps ", " ".join(f"{c:>5}" for c in clipped.clipped_steps_[:10]))
total = clipped.clipped_steps_.sum()
first = clipped.clipped_steps_[0]
print(f"clipped in all: {total} of {steps_per_epoch * clipped.n_iter_} steps, "
      f"{first} of them in epoch 1")

# %%
# The bound acts mostly at the start: on most steps of the first epoch, whose mean
# norm is more than three times the bound, then on fewer steps each epoch as the norms
# come down; from the sixth epoch on, on a step now and then. Those later epochs train
# almost as unclipped SGD.
#
# A smaller rate instead
# ----------------------
# Clipping is not the only way out: a smaller rate also keeps the first steps short,
# at the price of shorter steps for the whole fit. The same network at a rate of 0.01,
# without clipping:
print(f"{'':26}{'seed 0':>8}{'seed 1':>8}{'seed 2':>8}")
for label, rate, clip in (("rate 0.05, clip 10", 0.05, 10.0),
                          ("rate 0.01, no clipping", 0.01, None)):
    scores = [(fits[seed, clip][0] if rate == 0.05 else fit(seed, rate)[0])
              .score(X_test, y_test) for seed in range(3)]
    print(f"{label:26}" + "".join(f"{s:>8.3f}" for s in scores))

# %%
# On this problem the smaller rate trains too, about as well as clipping on seed 1
# and better on seeds 0 and 2: clipping made the larger rate usable, it did not make
# it better than a smaller one.
#
# The figure: left, the loss per epoch of the three clipped fits, and of seed 0's
# unclipped fit until it diverged (seed 2's diverged before its first epoch ended and
# has no curve); right, the mean gradient norm per epoch of the clipped
# fit (before clipping) with the bound, and the clipped steps per epoch as bars.
fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
for seed in range(3):
    reg = fits[seed, 10.0][0]
    ax_loss.plot(np.arange(1, reg.n_iter_ + 1), reg.loss_curve_,
                 label=f"seed {seed}, clip_grad_norm=10")
unclipped = fits[0, None][0]
ax_loss.plot(np.arange(1, unclipped.n_iter_ + 1), unclipped.loss_curve_, "k--",
             label=f"seed 0, no clipping ({unclipped.stop_reason_})")
ax_loss.set(xlabel="Epoch", ylabel="epoch loss (half the squared error)", yscale="log",
            title="loss_curve_")
ax_loss.legend(fontsize="small")

epochs = np.arange(1, clipped.n_iter_ + 1)
ax_norm.plot(epochs, clipped.gradient_norm_curve_, color="C0", marker=".",
             label="mean norm before clipping")
ax_norm.axhline(10.0, color="0.4", linestyle=":", label="clip_grad_norm = 10")
ax_norm.set(xlabel="Epoch", ylabel="global gradient norm", yscale="log",
            title="gradient_norm_curve_ and clipped_steps_ (seed 0)")
ax_steps = ax_norm.twinx()
ax_steps.bar(epochs, clipped.clipped_steps_, color="C1", alpha=0.4,
             label="clipped steps")
ax_steps.set(ylabel=f"clipped steps (of {steps_per_epoch})", ylim=(0, steps_per_epoch))
handles = ax_norm.get_legend_handles_labels()
more = ax_steps.get_legend_handles_labels()
ax_norm.legend(handles[0] + more[0], handles[1] + more[1], fontsize="small")
plt.show()
