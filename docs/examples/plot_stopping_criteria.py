"""
==================================
Stopping criteria on loss curves
==================================

Training stops after a count of epochs, or once the error falls below a level, or
once it stops improving. The same network is trained here four times on the same
noisy data, each time ending by another criterion, and ``stop_reason_`` names the one
that fired:

- ``max_iter``: a fixed budget of epochs;
- ``training_loss_plateau``: more than ``n_iter_no_change`` epochs in a row without the
  training loss improving by ``tol`` (the default rule);
- ``validation_score_plateau``: with ``early_stopping=True``, the same rule on the
  accuracy of a validation set held out of the training data, after which the weights
  of the best validation epoch are put back;
- ``loss_threshold``: the training loss is at or below a level.

The rules are written out in :ref:`maths-stopping-rules`; :ref:`path-stopping` places
them in the course.
"""

# %%
# Four fits, four criteria
# ------------------------
# A tenth of the samples get a random label (``flip_y=0.1``), so a network that drives
# its training loss to zero has learned some of that noise. The test set is held out
# first and used only for the last column.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from skperceptron import LossCurveDisplay, MLPClassifier

X, y = make_classification(n_samples=1500, n_features=20, n_informative=6, flip_y=0.1,
                           random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y,
                                                    random_state=0)
network = dict(hidden_layer_sizes=(64,), learning_rate_init=0.01, random_state=0)
criteria = {
    # n_iter_no_change=np.inf turns the plateau rule off: only the budget is left.
    "max_iter=40": dict(max_iter=40, n_iter_no_change=np.inf),
    "plateau (tol=1e-4)": dict(max_iter=500),
    "early stopping": dict(max_iter=500, early_stopping=True, validation_fraction=0.2),
    "loss_threshold=0.2": dict(max_iter=500, loss_threshold=0.2),
}
fitted, warned = {}, {}
print(f"{'criterion':18}  {'n_iter_':>7}  {'stop_reason_':24}  {'last loss':>9}  "
      f"{'train acc.':>10}  {'test acc.':>9}")
for name, params in criteria.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MLPClassifier(**network, **params).fit(X_train, y_train)
    fitted[name] = clf
    warned[name] = sorted({type(w.message).__name__ for w in caught})
    print(f"{name:18}  {clf.n_iter_:7d}  {clf.stop_reason_:24}  {clf.loss_curve_[-1]:9.3f}  "
          f"{clf.score(X_train, y_train):10.3f}  {clf.score(X_test, y_test):9.3f}")
print()
for name, categories in warned.items():
    print(f"{name}: {', '.join(categories) or 'no warning'}")

# %%
# Only the fixed budget warns (a :exc:`~sklearn.exceptions.ConvergenceWarning`): every
# other criterion is a decision to stop, not a budget running out. The plateau rule
# lets the network run longest, down to the lowest training loss; it classifies every
# training sample right, the randomly labelled ones included, and has the lowest test
# accuracy of the four.
#
# The three fits without a validation set start from the same weights and see the
# samples in the same order, so they follow one path and differ only in where they
# leave it:
path = fitted["plateau (tol=1e-4)"].loss_curve_
for name in ("max_iter=40", "loss_threshold=0.2"):
    curve = fitted[name].loss_curve_
    print(f"{name}: its {len(curve)} epoch losses equal the plateau fit's first "
          f"{len(curve)}: {np.array_equal(curve, path[:len(curve)])}")

# %%
# What early stopping watched
# ---------------------------
# The early-stopping fit trains on 80% of the training data and scores the other 20%
# after every epoch (``validation_scores_``, accuracy); it also records the loss on
# them (``validation_loss_curve_``). An epoch improves when its score is at least the
# best so far plus ``tol``; after more than ``n_iter_no_change`` (10) epochs without
# one, training stops and the weights of the best epoch are put back
# (:ref:`maths-early-stopping`).
early = fitted["early stopping"]
scores = np.array(early.validation_scores_)
validation_loss = np.array(early.validation_loss_curve_)
best_epoch = int(np.argmax(scores)) + 1
print(f"best validation accuracy {early.best_validation_score_:.3f}, first at epoch "
      f"{best_epoch} of {early.n_iter_}")
print(f"epochs scoring as much: {(np.flatnonzero(scores == scores.max()) + 1).tolist()}")
print(f"validation loss: lowest {validation_loss.min():.3f} at epoch "
      f"{int(np.argmin(validation_loss)) + 1}, last {validation_loss[-1]:.3f}")
print(f"training loss: at epoch {best_epoch} {early.loss_curve_[best_epoch - 1]:.3f}, "
      f"last {early.loss_curve_[-1]:.3f}")

# %%
# A later epoch that only equals the best score is no improvement. The training loss
# keeps falling while the validation loss, past its lowest point, rises again: from
# there on the network gets better at the training data only.
#
# :class:`~skperceptron.LossCurveDisplay` draws each fit's ``loss_curve_``, and the
# validation loss as a dashed line when there is one; passing the first display's axes
# puts every fit on the same axes. The right panel is what the early-stopping rule
# looked at.
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
display = None
# The longest fit first, so that the shorter curves lying on its path are drawn on top.
for name, clf in sorted(fitted.items(), key=lambda item: -item[1].n_iter_):
    # A marker on each curve's last epoch: where that criterion stopped.
    display = LossCurveDisplay.from_estimator(
        clf, ax=left if display is None else display.ax_, name=name, marker="o",
        markevery=[-1],
    )
left.axhline(0.2, color="0.5", linestyle=":", label="loss_threshold = 0.2")
left.set(yscale="log", title="Loss per epoch, four stopping criteria")
left.legend(fontsize="small")

epochs = np.arange(1, len(scores) + 1)
right.plot(epochs, scores, marker="o", label="validation accuracy")
right.axvline(best_epoch, color="0.5", linestyle=":", label=f"best epoch ({best_epoch})")
right.set(xlabel="Epoch", ylabel="accuracy on the validation set",
          title="Early stopping: the score it watched")
right.legend()
plt.show()
