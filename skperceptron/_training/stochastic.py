"""The epoch loop of the stochastic solvers (SGD, Adam, the perceptron rule).

``train_stochastic`` runs epochs (``_epochs``) until a stopping criterion
(``_stopping``) fires. After each epoch it records the loss, scores the validation
data and keeps the best weights, prints the log line, and asks the criteria; each of
these is one function below. The weights that training may have to return to are
kept by ``Snapshots``, and a criterion that fires names the one to restore. With
scikit-learn's callbacks set (``settings.tasks``, see ``_callbacks``) each epoch is a
task begun before it runs and ended once it is recorded, before the criteria are asked.
L-BFGS has its own loop in ``_lbfgs``.
"""

import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .._engine.losses import online_rule
from .epochs import MiniBatchEpochs
from .online import OnlineEpochs
from .stopping import (
    Divergence,
    EpochRecord,
    FixedPoint,
    Interrupted,
    MaxIterations,
    NoImprovement,
)
from .._utils.warnings import warn_user


@dataclass
class StochasticSettings:
    """How ``train_stochastic`` runs."""

    batch_size: int
    alpha: float  # L2 strength for mean-1 sample weights
    #: Judged after each recorded epoch, in order (``_stopping.stopping_criteria``).
    criteria: list
    #: Judged on each epoch before it is recorded: a diverged epoch does not count.
    guards: list = field(default_factory=lambda: [Divergence()])
    rng: object = None  # shuffles the samples each epoch; None keeps their order
    #: ``params -> (score, loss)``, the validation score (higher is better) and mean
    #: loss without the penalty, called after every epoch, or None.
    validation: object = None
    restore_best: bool = False  # end on the weights with the best validation score
    #: (score, flat weights) of an earlier call (warm start), or None.
    best_so_far: tuple | None = None
    verbose: bool = False
    samples_seen: int = 0  # training time before this call, for learning-rate schedules
    #: A dict in which the epoch runner leaves its buffers for the next call, or None.
    cache: dict | None = None
    l1: float = 0.0  # L1 strength for mean-1 sample weights
    #: (rng, momentum): draws dropout masks, moves batch normalization's running
    #: statistics; used only by networks that have these layers.
    training: tuple | None = None
    #: The state of the per-sample loop this call continues (``online.OnlineState``),
    #: or None.
    online_state: object = None
    #: The callbacks' tasks (``_callbacks.FitTasks``): one per epoch; or None.
    tasks: object = None


@dataclass
class TrainingResult:
    """What one call to a training loop did."""

    n_iter: int = 0
    stop_reason: str = ""
    loss: float = np.nan
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    #: (n_epochs, n_weight_layers) and (n_epochs, n_hidden_layers) (see ``_history``).
    gradient_norms: np.ndarray | None = None
    saturation: np.ndarray | None = None
    best_validation_score: float | None = None
    best_params: np.ndarray | None = None  # flat weights at the best validation score
    n_samples_seen: int = 0


class Snapshots:
    """Copies of the weights that training may have to return to.

    ``epoch_start``: at the start of the current epoch (interruption, fixed point);
    ``lowest_loss``: at the start of the epoch with the lowest training loss, the
    weights that loss was measured from (divergence: the end of that same epoch may
    already be the step that diverged); ``best_score``: at the best validation score
    (early stopping restores it), with that score in ``best_score_value``.
    """

    def __init__(self, flat, best_so_far=None):
        self.epoch_start = flat.copy()
        self.lowest_loss = flat.copy()
        self.lowest_loss_value = np.inf
        self.best_score_value, self.best_score = -np.inf, None
        if best_so_far is not None:
            self.best_score_value, self.best_score = best_so_far[0], best_so_far[1].copy()

    def end_epoch(self, flat, loss):
        if loss < self.lowest_loss_value:
            self.lowest_loss_value = loss
            self.lowest_loss[...] = self.epoch_start
        self.epoch_start[...] = flat

    def keep_best_score(self, flat, score):
        self.best_score_value = score
        if self.best_score is None:
            self.best_score = flat.copy()
        else:
            self.best_score[...] = flat


def train_stochastic(network, loss, params, optimizer, data, settings):
    """Train with mini-batch (or per-sample) updates until a stopping criterion fires.

    ``params`` is updated in place and ends on the weights the criterion that fired
    asks for, or on the best-scoring ones with ``settings.restore_best``.
    """
    result = TrainingResult()
    epochs = make_epochs(network, loss, params, optimizer, data, settings.batch_size,
                         settings.alpha, settings.cache, settings.l1, settings.online_state,
                         settings.training)
    snapshots = Snapshots(params.flat, settings.best_so_far)
    tasks = settings.tasks
    try:
        for epoch in itertools.count(1):
            started = time.perf_counter()
            if tasks is not None:
                tasks.begin(params.copy)
            try:
                stats = epochs.run(settings.rng)
            except KeyboardInterrupt:
                record, fired = EpochRecord(epoch, np.nan), Interrupted()
                break
            record = _epoch_record(epoch, stats, params)
            fired = _first_to_fire(settings.guards, record, optimizer, settings.verbose)
            if fired:
                break
            fixed_point = stats.fixed_point
            if fixed_point is None:
                fixed_point = stats.all_zero and np.array_equal(params.flat,
                                                                snapshots.epoch_start)
            _count_epoch(result, record, snapshots, params, data.n_samples)
            epochs.history.end_epoch()
            score = _validate(settings, params, snapshots, result)
            if settings.verbose:
                _print_epoch(epoch, record.loss, score, started)
            optimizer.end_epoch(settings.samples_seen + result.n_samples_seen)
            stop = tasks is not None and tasks.end(params.copy)
            record = replace(record, validation_score=score, fixed_point=fixed_point,
                             callback_stop=stop)
            fired = _first_to_fire(settings.criteria, record, optimizer, settings.verbose)
            if fired:
                if _ends_on_fixed_point(fired, epochs, settings):
                    fired = FixedPoint()
                break
    finally:
        epochs.close()  # an epoch's order drawn ahead and not used
    if tasks is not None:
        tasks.abandon()  # the epoch that diverged or was interrupted, if one did
    result.gradient_norms, result.saturation = epochs.history.arrays()
    return _finish(fired, record, settings, snapshots, params, result)


def make_epochs(network, loss, params, optimizer, data, batch_size, alpha, cache=None,
                l1=0.0, online_state=None, training=None):
    """The epoch runner for this problem: the compiled online loop when it applies.

    An average in ``online_state`` needs the online loop; ``training`` is (rng,
    momentum) for dropout masks and batch normalization's running statistics.
    """
    if OnlineEpochs.applies(network, loss, optimizer, batch_size):
        rule = online_rule(loss, network.output_activation)
        return OnlineEpochs(params, optimizer, data, alpha, rule, network, loss, l1,
                            online_state)
    if online_state is not None and online_state.averaging is not None:
        raise ValueError("Averaged SGD needs the per-sample loop: batch_size=1, plain "
                         "SGD with a constant learning rate, a single layer.")
    return MiniBatchEpochs(network, loss, params, optimizer, data, batch_size, alpha,
                           cache, l1, training)


def _epoch_record(epoch, stats, params):
    """The epoch as the criteria see it; its loss is NaN once any weight is not finite."""
    epoch_loss = stats.loss if np.isfinite(params.flat).all() else np.nan
    return EpochRecord(epoch, epoch_loss, start_loss=stats.start_loss)


def _count_epoch(result, record, snapshots, params, n_samples):
    """Record a completed epoch: its loss, the samples seen, the weights it ends on."""
    snapshots.end_epoch(params.flat, record.loss)
    result.n_iter = record.epoch
    result.n_samples_seen += n_samples
    result.loss = record.loss
    result.loss_curve.append(record.loss)


def _validate(settings, params, snapshots, result):
    """Score the validation data, keep the best weights; the score, or None."""
    if settings.validation is None:
        return None
    score, loss = settings.validation(params)
    result.validation_scores.append(score)
    result.validation_loss_curve.append(loss)
    if score > snapshots.best_score_value:
        if settings.restore_best:
            snapshots.keep_best_score(params.flat, score)
        else:
            snapshots.best_score_value = score
    result.best_validation_score = snapshots.best_score_value
    return score


def _print_epoch(epoch, loss, score, started):
    line = f"Iteration {epoch}, loss = {loss:.8f}"
    if score is not None:
        line += f", validation score = {score:.6f}"
    print(line + f", time = {time.perf_counter() - started:.3f}s")


def _first_to_fire(criteria, record, optimizer, verbose):
    """The first criterion that stops training, or None.

    A plateau under SGD's 'adaptive' schedule first lowers the learning rate instead.
    """
    for criterion in criteria:
        if not criterion.observe(record):
            continue
        if isinstance(criterion, NoImprovement) and optimizer.reduce_learning_rate():
            criterion.reset()
            if verbose:
                print(f"No improvement: learning rate set to {optimizer.learning_rate:g}")
            continue
        return criterion
    return None


def _ends_on_fixed_point(fired, epochs, settings):
    """Whether training that a plateau of the training loss or ``max_iter`` ends stops
    on weights that no training sample would move: then it has converged.

    The fixed-point rule sees an epoch without updates only after it has run; the
    epoch a plateau or the budget ends may have made the last mistake and left weights
    that classify every sample right (the perceptron on AND can). One pass over the
    training data, once, at the end, decides (``_epochs.at_fixed_point``).
    """
    plateau = isinstance(fired, NoImprovement) and fired.monitor == "loss"
    if not (plateau or isinstance(fired, MaxIterations)) or settings.restore_best:
        return False
    return epochs.at_fixed_point()


def _finish(fired, record, settings, snapshots, params, result):
    """Put back the weights the stop asks for, then the best-scoring ones; warn."""
    result.stop_reason = fired.reason
    if fired.restore is not None:
        params.flat[...] = getattr(snapshots, fired.restore)
    if settings.restore_best and snapshots.best_score is not None:
        params.flat[...] = snapshots.best_score
        result.best_params = snapshots.best_score
    warning = fired.warning(record)
    if warning is not None:
        category, message = warning
        warn_user(message, category)
    return result
