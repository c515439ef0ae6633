"""
=================================
Fine-tuning with frozen layers
=================================

A network trained on one task has learned, in its hidden layers, features of its
inputs. A second task on the same kind of inputs, with few labels of its own, can
start from those features instead of from random weights: copy the first layers into
a new network, and train only what lies above them. ``frozen_layers`` names the weight
layers that keep their values during ``fit`` (0 is the layer fed by ``X``); the
backward pass then stops at the lowest layer that trains, so each epoch also costs
less (:ref:`maths-frozen-layers`).
"""

# %%
# Two tasks on the digits
# -----------------------
# The digits (8x8 images, pixel values scaled to [0, 1]) are split in two halves.
# Task A, on the first half: which digit, 10 classes. Task B, on the second half:
# is the digit even or odd, two classes, with only a few labelled images to learn
# from; the rest of the second half tests it. First an
# :class:`~skperceptron.MLPClassifier` with one hidden layer of 256 relu units learns
# task A.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skperceptron import MLPClassifier

X, digit = load_digits(return_X_y=True)
X = X / 16.0
X_a, X_b, digit_a, digit_b = train_test_split(X, digit, test_size=0.5, stratify=digit,
                                              random_state=0)
odd_b = digit_b % 2
HIDDEN = (256,)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # 200 epochs may run out: a ConvergenceWarning
    base = MLPClassifier(hidden_layer_sizes=HIDDEN, learning_rate_init=0.01,
                         max_iter=200, random_state=0).fit(X_a, digit_a)
print(f"task A: {len(digit_a)} images, {base.n_iter_} epochs; accuracy on the other "
      f"half's digits {base.score(X_b, digit_b):.3f}")

# %%
# A new network for task B
# ------------------------
# The new network has the same hidden layer and one output unit. Its starting weights
# are assigned to ``coefs_`` and ``intercepts_`` before ``fit`` with
# ``warm_start=True``, which makes ``fit`` start from them: the first layer is a copy
# of the base network's, the output layer is drawn at random (uniform within Glorot's
# limit, :ref:`maths-initial-weights`). ``frozen_layers=[0]`` keeps the copied layer as
# it is, so only the output layer learns: a logistic regression on the 256 features
# of task A. Two references: the same network trained from scratch, and the copied
# start with every layer training (fine-tuning the features too).
COMMON = dict(hidden_layer_sizes=HIDDEN, learning_rate_init=0.01, max_iter=100,
              n_iter_no_change=np.inf)


def network(start, seed):
    """An unfitted network for task B: 'scratch', or the copied first layer, 'frozen'
    or 'all' training."""
    if start == "scratch":
        return MLPClassifier(**COMMON, random_state=seed)
    clf = MLPClassifier(**COMMON, random_state=seed, warm_start=True,
                        frozen_layers=[0] if start == "frozen" else None)
    limit = np.sqrt(6 / (HIDDEN[-1] + 1))
    rng = np.random.default_rng(seed)
    # Copies: a warm-started fit trains the arrays it is given in place.
    clf.coefs_ = [base.coefs_[0].copy(), rng.uniform(-limit, limit, (HIDDEN[-1], 1))]
    clf.intercepts_ = [base.intercepts_[0].copy(), np.zeros(1)]
    return clf


def train(start, n_labels, seed):
    """The network fitted on ``n_labels`` images of task B; its test accuracy."""
    X_train, X_test, y_train, y_test = train_test_split(
        X_b, odd_b, train_size=n_labels, stratify=odd_b, random_state=seed)
    clf = network(start, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 100 epochs run out: that is the plan
        clf.fit(X_train, y_train)
    return clf, clf.score(X_test, y_test)


frozen, _ = train("frozen", 20, seed=0)
tuned, _ = train("all", 20, seed=0)
print("frozen first layer unchanged:",
      np.array_equal(frozen.coefs_[0], base.coefs_[0]),
      np.array_equal(frozen.intercepts_[0], base.intercepts_[0]))
print("fine-tuned first layer unchanged:",
      np.array_equal(tuned.coefs_[0], base.coefs_[0]),
      f"(largest change {np.abs(tuned.coefs_[0] - base.coefs_[0]).max():.3f})")

# %%
# The frozen layer is bit for bit the base network's, biases included; with every
# layer training, the copied layer moves.
#
# Few labels, four draws
# ----------------------
# Each start trained on 20, 50, 100 and 200 labelled images of task B, drawn four
# times (the seed also draws the output layer's starting weights); the test accuracy
# on the rest of the second half.
LABELS = (20, 50, 100, 200)
STARTS = {"scratch": "from scratch", "frozen": "copied, frozen",
          "all": "copied, all training"}
accuracy = {start: np.array([[train(start, n, seed)[1] for seed in range(4)]
                             for n in LABELS]) for start in STARTS}
print(f"{'labels':>6}" + "".join(f"{label:>22}" for label in STARTS.values()))
for row, n in enumerate(LABELS):
    cells = [accuracy[start][row] for start in STARTS]
    print(f"{n:>6}" + "".join(f"{a.mean():>8.3f} ({a.min():.3f}-{a.max():.3f})"
                              for a in cells))
print("(mean test accuracy over the four draws, lowest-highest in brackets)")

# %%
# With 20 labels the frozen copy beats the network trained from scratch on average,
# and its worst draw is above scratch's best: the features learned on task A (which
# digit) serve task B (even or odd), whose answer is a function of the digit. The gap
# narrows as labels are added, and at 200 labels the frozen copy is behind the two
# networks whose every layer trains: its features stay those of task A, while theirs
# adapt to task B. Letting the copied layer train too lies between the two with 20
# and 50 labels.
#
# Time per epoch
# --------------
# The frozen layer's weight gradient is not computed, nor the gradient flowing down
# into it. Each network trains for 20 epochs on the whole second half (899 images),
# from the same start, three times; the fastest time per epoch of the three:


def seconds_per_epoch(start, repeats=3):
    best = np.inf
    for _ in range(repeats):
        clf = network(start, seed=0).set_params(max_iter=20)
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X_b, odd_b)
        best = min(best, (time.perf_counter() - began) / clf.n_iter_)
    return best


per_epoch = {start: seconds_per_epoch(start) for start in ("all", "frozen")}
print(f"every layer training: {1e3 * per_epoch['all']:.2f} ms per epoch; first layer "
      f"frozen: {1e3 * per_epoch['frozen']:.2f} ms "
      f"({1 - per_epoch['frozen'] / per_epoch['all']:.0%} less)")

# %%
# Times on a shared machine vary from run to run; the ratio is the point. The figure:
# left, the mean test accuracy per number of labels, the band spanning the four
# draws; right, the time per epoch.
fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(12, 4.2), width_ratios=(2, 1),
                                      layout="constrained")
for start, label in STARTS.items():
    ax_acc.plot(LABELS, accuracy[start].mean(axis=1), marker="o", label=label)
    ax_acc.fill_between(LABELS, accuracy[start].min(axis=1),
                        accuracy[start].max(axis=1), alpha=0.2)
ax_acc.set(xscale="log", xticks=LABELS, xticklabels=[str(n) for n in LABELS],
           xlabel="labelled images of task B", ylabel="test accuracy (even or odd)",
           title="Task B from few labels")
ax_acc.minorticks_off()
ax_acc.legend()
ax_time.bar(["every layer\ntraining", "first layer\nfrozen"],
            [1e3 * per_epoch["all"], 1e3 * per_epoch["frozen"]], color=["C2", "C1"])
ax_time.set(ylabel="ms per epoch (899 images)", title="Cost of an epoch")
plt.show()
