"""Stopping criteria: after each epoch, each one looks at what happened and decides.

A criterion's ``observe(record)`` returns True when training should stop; its ``reason``
is then recorded in the estimator's ``stop_reason_``. A criterion also says which
weights training should end on (``restore``: None for the current ones, or a snapshot
the loop keeps, see ``stochastic``) and what to warn the user about (``warning``).
Criteria keep only their own bookkeeping (a best value, a counter): they never print,
touch the weights or the optimizer. The training loop asks them in order and acts on
the first that fires. ``stopping_criteria`` builds the list for an estimator's settings.

Reasons, as found in ``stop_reason_``:

- ``"max_iter"``: the epoch budget is spent (scikit-learn's ConvergenceWarning follows);
- ``"loss_threshold"``: the training loss reached the user's absolute threshold;
- ``"training_loss_plateau"``: the training loss did not improve by ``tol`` for
  ``n_iter_no_change`` epochs;
- ``"validation_score_plateau"``: the same on the validation score (early stopping);
- ``"converged"``: every gradient of an epoch was zero and nothing moved (the perceptron
  rule makes no more mistakes), or the training-loss plateau or ``max_iter`` ended
  training on weights that no sample would move (``stochastic``), or L-BFGS converged;
- ``"diverged"``: the loss became NaN or infinite, or grew 10^4-fold (for L-BFGS: an
  iterate's objective was not finite, ``lbfgs``);
- ``"interrupted"``: KeyboardInterrupt during an epoch (``Interrupted``);
- ``"partial_fit"``: one pass done (``SinglePass``);
- ``"callback"``: a callback of scikit-learn's callback API asked to stop at the end
  of an epoch (``CallbackStop``, asked first);
- and, set by L-BFGS (``lbfgs``): ``"max_fun"``, its function evaluation budget.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch produced, as seen by the stopping criteria."""

    epoch: int  # epochs completed in this call to fit, from 1
    loss: float  # mean training loss over the epoch (NaN if it became non-finite)
    validation_score: float | None = None  # None without a validation set
    fixed_point: bool = False  # every gradient was zero and no parameter moved
    start_loss: float = np.nan  # loss of the epoch's first batch, before its update
    callback_stop: bool = False  # a callback's end-of-epoch hook asked to stop

    @property
    def uninformative_zero(self):
        """A zero loss that still produced updates.

        The perceptron criterion is 0 for a sample exactly on the boundary (z = 0, as
        for every sample at zero weights), yet such a sample counts as a mistake and
        moves the weights. A zero loss then means neither "no mistakes" nor "no
        progress"; FixedPoint ends training once the updates stop.
        """
        return self.loss == 0 and not self.fixed_point


class Criterion:
    """What every criterion has: a reason, the weights to end on, a warning or None."""

    reason = ""
    #: Snapshot of the weights to restore when this criterion fires (None: keep them).
    restore = None

    def observe(self, record):
        raise NotImplementedError

    def warning(self, record):
        """(category, message) for the user when this criterion ended training, or None."""
        return None


class Divergence(Criterion):
    """Stop when the loss is no longer finite, or has grown ``factor``-fold.

    The reference is the first non-zero loss seen: the first batch's loss at the
    starting weights, usually. Healthy training does not multiply it by 10^4; a step
    size that is too large does within a few epochs, long before the weights overflow.
    The weights that gave the lowest training loss are restored: the end of that same
    epoch may already be the step that diverged, so they are the weights the epoch with
    the lowest loss started from (``stochastic``'s ``lowest_loss`` snapshot).

    Divergence is judged on each epoch before it is recorded: a diverged epoch does not
    count in ``n_iter_`` or ``loss_curve_``.
    """

    reason = "diverged"
    restore = "lowest_loss"

    def __init__(self, factor=1e4, hint="a smaller learning rate"):
        self.factor = factor
        self.hint = hint
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

    def warning(self, record):
        return ConvergenceWarning, (
            f"Training diverged in epoch {record.epoch}: the loss grew without bound or "
            "became NaN or infinite. The weights that gave the lowest training loss were "
            f"kept. Try {self.hint}."
        )


class Interrupted(Criterion):
    """Fires when the user interrupted an epoch (KeyboardInterrupt): keep the last whole one."""

    reason = "interrupted"
    restore = "epoch_start"

    def observe(self, record):
        return True

    def warning(self, record):
        return UserWarning, (
            f"Training interrupted by user. It stopped in epoch {record.epoch}; the "
            "weights of the last completed epoch were kept."
        )


class SinglePass(Criterion):
    """Stop after one epoch: ``partial_fit``."""

    reason = "partial_fit"

    def observe(self, record):
        return True


class CallbackStop(Criterion):
    """Stop when a callback asked to at the end of the epoch (``callbacks``).

    The weights stay those of that epoch, the ones the callback saw, as when the
    epoch budget is spent; training stopped by request, so there is no warning.
    """

    reason = "callback"

    def observe(self, record):
        return record.callback_stop


class MaxIterations(Criterion):
    reason = "max_iter"

    #: scikit-learn's words, which its users' warning filters match (``message=``
    #: matches the start): its MLP's, and its linear models' (``words="linear"``).
    WORDS = {
        "mlp": "Stochastic Optimizer: Maximum iterations ({max_iter}) reached and the "
               "optimization hasn't converged yet.",
        "linear": "Maximum number of iteration reached before convergence. Consider "
                  "increasing max_iter to improve the fit.",
    }

    def __init__(self, max_iter, words="mlp"):
        self.max_iter, self.words = max_iter, words

    def observe(self, record):
        return record.epoch >= self.max_iter

    def warning(self, record):
        return ConvergenceWarning, (
            self.WORDS[self.words].format(max_iter=self.max_iter)
            + f" No other stopping criterion was met in {record.epoch} epochs: increase "
            "max_iter or adjust the learning rate."
        )


class LossThreshold(Criterion):
    """Stop as soon as the training loss is at or below an absolute threshold."""

    reason = "loss_threshold"

    def __init__(self, threshold):
        self.threshold = threshold

    def observe(self, record):
        if record.uninformative_zero:
            return False
        return record.loss <= self.threshold


class NoImprovement(Criterion):
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


class FixedPoint(Criterion):
    """Stop when every gradient of an epoch was exactly zero and no parameter moved.

    Further epochs would compute the same zero updates again: for the perceptron rule
    (batch_size=1) this is the moment no training sample is misclassified any more.
    Comparing the weights alone would not do: on XOR the perceptron's updates can
    cancel over an epoch and bring the weights back where they started.
    """

    reason = "converged"

    def observe(self, record):
        return record.fixed_point


def stopping_criteria(*, max_iter, tol, patience, loss_threshold=None,
                      monitor_validation=False, best=None, callbacks=False, words="mlp"):
    """The criteria of a fit, in the order they are asked.

    ``tol=None`` disables the plateau rule. ``patience`` counts the non-improving
    epochs that stop training. ``monitor_validation`` watches the validation score
    instead of the training loss (early stopping); ``best`` is the best value of that
    measure in earlier calls (warm start), or None. With ``callbacks`` a callback's
    request to stop comes first: it names the reason even when another criterion
    would fire on the same epoch. ``words`` chooses scikit-learn's words for the
    warning at ``max_iter`` (``MaxIterations.WORDS``).
    """
    criteria = [CallbackStop()] if callbacks else []
    if loss_threshold is not None:
        criteria.append(LossThreshold(loss_threshold))
    criteria.append(FixedPoint())
    if tol is not None:
        monitor = "validation_score" if monitor_validation else "loss"
        criteria.append(NoImprovement(tol, patience, monitor, best=best))
    criteria.append(MaxIterations(max_iter, words))
    return criteria
