"""Stopping criteria: after each epoch, each one looks at what happened and decides.

A criterion's ``observe(record)`` returns True when training should stop; its ``reason``
is then recorded in the estimator's ``stop_reason_``. Criteria keep only their own
bookkeeping (a best value, a counter): they never print, touch the weights or the
optimizer. The training loop asks them in order and acts on the first that fires.

Reasons, as found in ``stop_reason_``:

- ``"max_iter"``: the epoch budget is spent (scikit-learn's ConvergenceWarning follows);
- ``"loss_threshold"``: the training loss reached the user's absolute threshold;
- ``"training_loss_plateau"``: the training loss did not improve by ``tol`` for
  ``n_iter_no_change`` epochs;
- ``"validation_score_plateau"``: the same on the validation score (early stopping);
- ``"converged"``: every gradient of an epoch was zero and nothing moved (the perceptron
  rule makes no more mistakes), or L-BFGS converged;
- ``"diverged"``: the loss became NaN or infinite, or grew 10^4-fold;
- and, set by the training loop itself: ``"interrupted"``, ``"max_fun"`` (L-BFGS
  function budget), ``"partial_fit"`` (one pass done).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch produced, as seen by the stopping criteria."""

    epoch: int  # epochs completed in this call to fit, from 1
    loss: float  # mean training loss over the epoch (NaN if it became non-finite)
    validation_score: float | None = None  # None without a validation set
    fixed_point: bool = False  # every gradient was zero and no parameter moved
    start_loss: float = np.nan  # loss of the epoch's first batch, before its update

    @property
    def uninformative_zero(self):
        """A zero loss that still produced updates.

        The perceptron criterion is 0 for a sample exactly on the boundary (z = 0, as
        for every sample at zero weights), yet such a sample counts as a mistake and
        moves the weights. A zero loss then means neither "no mistakes" nor "no
        progress"; FixedPoint ends training once the updates stop.
        """
        return self.loss == 0 and not self.fixed_point


class Divergence:
    """Stop when the loss is no longer finite, or has grown ``factor``-fold.

    The reference is the first non-zero loss seen: the first batch's loss at the
    starting weights, usually. Healthy training does not multiply it by 10^4; a step
    size that is too large does within a few epochs, long before the weights overflow.
    """

    reason = "diverged"

    def __init__(self, factor=1e4):
        self.factor = factor
        self.reference = None

    def observe(self, record):
        if not np.isfinite(record.loss):
            return True
        if self.reference is None:
            for value in (record.start_loss, record.loss):
                if np.isfinite(value) and value > 0:
                    self.reference = value
                    break
        return self.reference is not None and record.loss > self.factor * self.reference


class MaxIterations:
    reason = "max_iter"

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def observe(self, record):
        return record.epoch >= self.max_iter


class LossThreshold:
    """Stop as soon as the training loss is at or below an absolute threshold."""

    reason = "loss_threshold"

    def __init__(self, threshold):
        self.threshold = threshold

    def observe(self, record):
        if record.uninformative_zero:
            return False
        return record.loss <= self.threshold


class NoImprovement:
    """Stop after ``patience`` consecutive epochs that do not improve the best by ``tol``.

    ``monitor="loss"`` watches the training loss (lower is better: an epoch improves when
    loss < best - tol); ``monitor="validation_score"`` the validation score (higher is
    better: improves when score >= best + tol). The best value is kept across
    ``reset()``, which only restarts the count (used when 'adaptive' SGD lowers its rate).
    """

    def __init__(self, tol, patience, monitor="loss", best=None):
        self.tol = tol
        self.patience = patience
        self.monitor = monitor
        self.reason = (
            "training_loss_plateau" if monitor == "loss" else "validation_score_plateau"
        )
        if best is None:
            best = np.inf if monitor == "loss" else -np.inf
        self.best = best
        self.count = 0

    def observe(self, record):
        if self.monitor == "loss" and record.uninformative_zero:
            return False
        if self.monitor == "loss":
            value = record.loss
            improved = value < self.best - self.tol
            self.best = min(self.best, value)
        else:
            value = record.validation_score
            improved = value >= self.best + self.tol
            self.best = max(self.best, value)
        self.count = 0 if improved else self.count + 1
        return self.count >= self.patience

    def reset(self):
        self.count = 0


class FixedPoint:
    """Stop when every gradient of an epoch was exactly zero and no parameter moved.

    Further epochs would compute the same zero updates again: for the perceptron rule
    (batch_size=1) this is the moment no training sample is misclassified any more.
    Comparing the weights alone would not do: on XOR the perceptron's updates can
    cancel over an epoch and bring the weights back where they started.
    """

    reason = "converged"

    def observe(self, record):
        return record.fixed_point
