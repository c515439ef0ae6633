"""
=====================================
Learning-rate schedules and warm-up
=====================================

A stochastic solver takes steps of a size set by the learning rate. A large rate makes
fast progress at first and then keeps jumping around the minimum, or worse; a small
one settles but takes longer to get there. A **schedule** starts large and lowers the
rate as training goes on. ``learning_rate`` chooses one, for every stochastic solver
of :class:`~skperceptron.MLPClassifier` and :class:`~skperceptron.MLPRegressor`:

- ``"constant"``: ``learning_rate_init`` throughout;
- ``"step"``: multiplied by ``decay_rate`` every ``decay_epochs`` epochs;
- ``"exponential"``: multiplied by ``decay_rate`` every epoch;
- ``"cosine"``: half a cosine from ``learning_rate_init`` down to 0;

and ``warmup_epochs`` puts a straight ramp up to the first rate before any of them.
Every fit records the rate each epoch trained with in ``learning_rates_``. The formulas
are in :ref:`maths-schedules`.
"""

# %%
# Five schedules at a large rate
# ------------------------------
# The digits (8x8 images, 10 classes), scaled feature by feature on the training part;
# a hidden layer of 64 relu units; SGD with Nesterov momentum 0.9, batches of 32, a
# peak rate of 0.2, and 30 epochs for every schedule (``n_iter_no_change=np.inf``
# switches off the plateau rule, so every fit runs its 30 epochs). The step schedule
# multiplies the rate by 0.3 every 10 epochs, the exponential one by 0.85 every epoch,
# the cosine spans the 30 epochs; the last fit puts 5 epochs of warm-up before its
# cosine, which then spans the remaining 25.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skperceptron import LossCurveDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

SCHEDULES = {
    "constant": {},
    "step": dict(learning_rate="step", decay_rate=0.3, decay_epochs=10),
    "exponential": dict(learning_rate="exponential", decay_rate=0.85),
    "cosine": dict(learning_rate="cosine"),
    "cosine, warm-up 5": dict(learning_rate="cosine", warmup_epochs=5),
}


def fit(schedule, rate, seed):
    """The network above with one schedule, peak rate ``rate``, fitted for 30 epochs."""
    clf = MLPClassifier(hidden_layer_sizes=(64,), solver="sgd", momentum=0.9,
                        batch_size=32, learning_rate_init=rate, max_iter=30,
                        n_iter_no_change=np.inf, random_state=seed,
                        **SCHEDULES[schedule])
    with warnings.catch_warnings():
        # Running the 30 epochs is the plan (a ConvergenceWarning says so), and a fit
        # that diverges says so with another; stop_reason_ tells them apart below.
        warnings.simplefilter("ignore")
        return clf.fit(X_train, y_train)


large = {name: fit(name, 0.2, seed=0) for name in SCHEDULES}
print(f"{'schedule':18}{'rate: ep. 1':>12}{'ep. 6':>8}{'ep. 30':>8}{'highest loss':>14}"
      f"{'last loss':>11}{'test acc.':>11}")
for name, clf in large.items():
    rates = clf.learning_rates_
    print(f"{name:18}{rates[0]:>12.4f}{rates[5]:>8.4f}{rates[-1]:>8.4f}"
          f"{max(clf.loss_curve_):>14.4g}{clf.loss_curve_[-1]:>11.4g}"
          f"{clf.score(X_test, y_test):>11.3f}")

# %%
# At this rate the constant schedule does not settle: its epoch loss climbs into the
# thousands and ends there, and its test accuracy is the lowest of the five. Every
# schedule that lowers the rate ends with a training loss below 0.2 and a higher test
# accuracy. The exponential schedule, which lowers the rate from the second epoch on,
# has the lowest peak loss of the four without warm-up; the step and cosine
# schedules keep a rate near 0.2 for the first epochs and their loss jumps up there
# before coming down.
#
# The epoch loss includes the L2 penalty, ``alpha / 2`` times the sum of the squared
# weights over the batch size (:ref:`maths-objective`). The weights grow during the
# large early steps, and by the last epoch that penalty is most of the loss, while
# the gradient of the data term (``gradient_norm_curve_``, which leaves the penalty
# out) has nearly vanished:
print(f"{'schedule':18}{'last loss':>11}{'penalty, batch of 32':>22}"
      f"{'data gradient':>15}")
for name, clf in large.items():
    penalty = clf.alpha / 2 * sum(np.sum(W**2) for W in clf.coefs_) / 32
    print(f"{name:18}{clf.loss_curve_[-1]:>11.4g}{penalty:>22.4g}"
          f"{clf.gradient_norm_curve_[-1]:>15.3g}")

# %%
# The constant rate's weights are still growing: the penalty at its last weights is
# above the mean loss of its last epoch, and its data gradient is in the thousands.
# The flat ends of the step and cosine curves in the figure below are their penalty.
#
# What warm-up does at the start
# ------------------------------
# With ``warmup_epochs=5``, epoch ``e`` (counted from 0) of the warm-up trains at
# ``(e + 1) / 6`` of the peak rate; the sixth epoch starts the cosine at the peak.
warm = large["cosine, warm-up 5"]
print("rates of the first 7 epochs:", np.round(warm.learning_rates_[:7], 4))
ramp = [(e + 1) / 6 * 0.2 for e in range(5)]
print("the ramp (e + 1) / 6 * 0.2: ", np.round(ramp, 4))
for name in ("cosine", "cosine, warm-up 5"):
    losses = large[name].loss_curve_
    print(f"{name:18} epoch losses 1-6: {np.round(losses[:6], 3)}")

# %%
# The warm-up's first epoch has a higher loss than the cosine's alone: it moves
# slowly, at a sixth of the rate. The cosine at full rate from the first step has its
# loss rise above 1 by the fifth epoch; the warm-up run reaches the peak rate with
# weights that have already trained for five epochs, and its loss stays below 0.1 from
# the third epoch to the sixth, where the full rate lifts it a little.
#
# Three seeds, two rates
# ----------------------
# One seed is one draw of starting weights and batch order. The same five schedules
# from three seeds, at the peak rate of 0.2 and at a quarter of it, 0.05: the mean,
# lowest and highest test accuracy of the three fits, and the fits that ended with
# ``stop_reason_="diverged"`` (the loss grew 10**4-fold and the fit stopped on its
# best weights, :ref:`maths-after-each-epoch`).
print(f"{'':18}{'peak 0.2: mean':>15}{'min':>7}{'max':>7}"
      f"{'peak 0.05: mean':>17}{'min':>7}{'max':>7}")
diverged = []
for name in SCHEDULES:
    line = f"{name:18}"
    for rate, width in ((0.2, 15), (0.05, 17)):
        fits = [large[name] if (rate, seed) == (0.2, 0) else fit(name, rate, seed)
                for seed in range(3)]
        accuracy = [clf.score(X_test, y_test) for clf in fits]
        line += (f"{np.mean(accuracy):>{width}.3f}{min(accuracy):>7.3f}"
                 f"{max(accuracy):>7.3f}")
        diverged += [f"{name} at {rate}, seed {seed}" for seed, clf in enumerate(fits)
                     if clf.stop_reason_ == "diverged"]
    print(line)
print(f"stop_reason_ 'diverged': {'; '.join(diverged) or 'none'}")
print(f"test samples: {len(y_test)} (one sample is {1 / len(y_test):.4f} of accuracy)")

# %%
# Read from the table: at the peak of 0.2 the constant rate is the worst on every
# measure, and each decaying schedule does better on each of the three seeds; at 0.05
# the five means lie within a few test samples of each other, closer than the spread
# of one schedule over its three seeds. Here a schedule made a rate that was too large
# usable; with a rate that suited the problem it changed little, and no fit at 0.2
# reached the lowest one at 0.05.
#
# The rate and the loss per epoch
# -------------------------------
# Left, the rate each epoch trained with (``learning_rates_``); right, the epoch loss
# (``loss_curve_``, log scale), for the five fits at the peak rate of 0.2 from seed 0.
fig, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
for name, clf in large.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    ax_rate.plot(epochs, clf.learning_rates_, marker=".", label=name)
    ax_loss.plot(epochs, clf.loss_curve_, label=name)
ax_rate.set(xlabel="Epoch", ylabel="learning rate", title="learning_rates_")
ax_loss.set(xlabel="Epoch", ylabel="epoch loss", yscale="log", title="loss_curve_")
ax_rate.legend(fontsize="small")

# %%
# :class:`~skperceptron.LossCurveDisplay` draws one fit's rate beside its loss with
# ``learning_rate=True``, on a second y axis (logarithmic here, as the rates span more
# than a factor of ten); the two cosine fits at the peak of 0.2, with and without
# warm-up, each rate dotted in its fit's colour.
fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
for name in ("cosine", "cosine, warm-up 5"):
    LossCurveDisplay.from_estimator(large[name], ax=ax, name=name, learning_rate=True)
ax.set(yscale="log", title="Loss and learning rate per epoch")
ax.get_legend().set_loc("lower left")
plt.show()
