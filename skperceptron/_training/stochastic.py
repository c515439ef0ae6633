"""Mini-batch training: the training data, one epoch of mini-batches, and the epoch loop.

``train_stochastic`` reads the plan (``plan.Plan``: the network, loss, batch rule and
penalty) and runs epochs until a stopping criterion (``stopping``) fires: epochs of
forward pass, backward pass and optimizer step per mini-batch (``MiniBatchEpochs``),
or of a single layer's per-sample rule in one compiled loop (``online.OnlineEpochs``)
when batches are of one sample. After each epoch it records the loss, scores the
validation data and keeps the best weights, prints the log line, and asks the
criteria; each of these is one function below. How it runs (criteria, validation,
shuffling) is a ``Run``. The weights that training may have to return to are kept by
``snapshots.Snapshots``, and a criterion that fires names the one to restore. With
scikit-learn's callbacks set (``run.tasks``, see ``callbacks``) each epoch is a task
begun before it runs and ended once it is recorded, before the criteria are asked.
Between two epochs everything the loop carries is in a ``LoopParts``: a checkpoint
(``run.checkpoint``, see ``checkpoint``) saves it with the epoch's record before the
criteria judge it, and a fit that resumes (``run.resume``) first has them judge that
record, then goes on from the next epoch.
L-BFGS has its own loop in ``lbfgs``.
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .._engine.layers import TrainingPass
from .._engine.network import Workspace, loss_and_gradients
from .._engine.penalty import step_factor
from .._utils.speed import BufferCache, all_finite, blas_threads, gather_rows
from .._utils.warnings import warn_user
from .epochs import EpochStats, at_fixed_point, iter_batches, overflows_on, row_norm_bound
from .history import History
from .online import OnlineEpochs
from .snapshots import Snapshots, StartCopy
from .stopping import (
    Divergence,
    EpochRecord,
    FixedPoint,
    Interrupted,
    MaxIterations,
    NoImprovement,
    SinglePass,
)


@dataclass
class TrainingData:
    """Encoded training arrays: X, targets Y (n_samples, n_outputs), weights or None."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def dense(self):
        return isinstance(self.X, np.ndarray)

    def take(self, index, rows=None):
        """The rows ``index`` (a slice or an array of positions) of X, Y and the weights.

        ``rows`` is a buffer for a shuffled batch of dense X (avoids an allocation).
        """
        sw = None if self.sample_weight is None else self.sample_weight[index]
        if rows is not None and not isinstance(index, slice):
            X = gather_rows(self.X, index, rows[: index.shape[0]])
        else:
            X = self.X[index]
        return X, self.Y[index], sw


@dataclass
class Run:
    """How ``train_stochastic`` runs (what it trains is the plan)."""

    #: Judged after each recorded epoch, in order (``stopping.stopping_criteria``).
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
    #: Draws dropout masks; used only by networks that train differently.
    noise: object = None
    #: A ``speed.BufferCache`` that keeps the buffers for the next call, or None.
    buffers: object = None
    #: The callbacks' tasks (``callbacks.FitTasks``): one per epoch; or None.
    tasks: object = None
    #: The ``StartCopy`` of weights trained in place, which the caller puts back if
    #: the fit fails, or None: a single pass (partial_fit) uses it as its snapshot.
    start: object = None
    #: Saves the loop's state after an epoch, before the criteria judge it
    #: (``checkpoint.CheckpointWriter``: ``epoch_done(parts, record, new_best)``), or None.
    checkpoint: object = None
    #: The state of an interrupted fit to continue from (``checkpoint.Resumption``:
    #: ``restore(parts)`` returns the fields of the saved epoch's record), or None.
    resume: object = None


@dataclass
class TrainingResult:
    """What one call to a training loop did."""

    n_iter: int = 0
    stop_reason: str = ""
    loss: float = np.nan
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    #: (n_epochs, n_weight_layers) and (n_epochs, n_hidden_layers) (see ``history``).
    gradient_norms: np.ndarray | None = None
    saturation: np.ndarray | None = None
    #: (n_epochs,): the mean global gradient norm before clipping, the clipped steps.
    total_norms: np.ndarray | None = None
    clipped: np.ndarray | None = None
    learning_rates: list = field(default_factory=list)  # the rate of each epoch
    best_validation_score: float | None = None
    best_params: np.ndarray | None = None  # flat weights at the best validation score
    n_samples_seen: int = 0


@dataclass
class LoopParts:
    """What the epoch loop carries from one epoch to the next, for a checkpoint."""

    params: object
    optimizer: object
    epochs: object  # its ``order`` and ``history``
    snapshots: Snapshots
    result: TrainingResult
    criteria: list
    guards: list
    generators: list  # the shuffling generator and dropout's, each once


def _loop_parts(params, optimizer, epochs, snapshots, result, settings):
    generators = []
    for rng in (settings.rng, settings.noise):
        if rng is not None and all(rng is not g for g in generators):
            generators.append(rng)
    return LoopParts(params, optimizer, epochs, snapshots, result, settings.criteria,
                     settings.guards, generators)


def train_stochastic(plan, params, optimizer, data, run, online_state=None):
    """Train with mini-batch (or per-sample) updates until a stopping criterion fires.

    ``plan`` is the estimator's, its penalty for ``data``'s mean-1 sample weights;
    ``online_state`` the ``online.OnlineState`` a per-sample fit continues, or None.
    ``params`` is updated in place and ends on the weights the criterion that fired
    asks for, or on the best-scoring ones with ``run.restore_best``.
    """
    batch_size = plan.batch(data.n_samples)
    epochs = make_epochs(plan, params, optimizer, data, batch_size, run, online_state)
    with blas_threads(plan.network, batch_size):
        return _epochs_until_stop(epochs, params, optimizer, data, run)


def _epochs_until_stop(epochs, params, optimizer, data, settings):
    """The epoch loop of ``train_stochastic`` (``settings`` is its ``Run``)."""
    result = TrainingResult()
    start = settings.start
    if any(isinstance(c, SinglePass) for c in settings.criteria):
        start = start or StartCopy(params.flat)
        start.keep(epochs.written())
        snapshots = Snapshots(params.flat, settings.best_so_far, start)
    else:
        if start is not None:  # put back by the estimator if the fit fails
            start.keep()
        snapshots = Snapshots(params.flat, settings.best_so_far)
    tasks = settings.tasks
    parts = _loop_parts(params, optimizer, epochs, snapshots, result, settings)
    fired = record = None
    try:
        if settings.resume is not None:  # the record of the epoch saved, not yet judged
            record = EpochRecord(**settings.resume.restore(parts))
            fired = _judge(record, settings, optimizer, epochs)
        epoch = 0 if record is None else record.epoch
        while fired is None:
            epoch += 1
            started = time.perf_counter()
            if tasks is not None:
                tasks.begin(params.copy)
            rate = optimizer.begin_epoch()
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
                fixed_point = (stats.all_zero
                               and snapshots.unchanged_since_epoch_start(params.flat))
            _count_epoch(result, record, snapshots, params, data.n_samples)
            result.learning_rates.append(rate)
            epochs.history.end_epoch()
            best_before = snapshots.best_score_value
            score = _validate(settings, params, snapshots, result)
            if settings.verbose:
                _print_epoch(epoch, record.loss, score, started)
            optimizer.end_epoch(settings.samples_seen + result.n_samples_seen)
            stop = tasks is not None and tasks.end(params.copy)
            record = replace(record, validation_score=score, fixed_point=fixed_point,
                             callback_stop=stop)
            if settings.checkpoint is not None:  # the record too: a resumed loop judges it
                settings.checkpoint.epoch_done(parts, record,
                                               snapshots.best_score_value > best_before)
            fired = _judge(record, settings, optimizer, epochs)
    finally:
        epochs.close()  # an epoch's order drawn ahead and not used
    if tasks is not None:
        tasks.abandon()  # the epoch that diverged or was interrupted, if one did
    (result.gradient_norms, result.saturation, result.total_norms,
     result.clipped) = epochs.history.arrays()
    return _finish(fired, record, settings, snapshots, params, result)


def _judge(record, settings, optimizer, epochs):
    """The criterion that stops training after the recorded epoch ``record``, or None
    (a plateau or ``max_iter`` on a fixed point is convergence)."""
    fired = _first_to_fire(settings.criteria, record, optimizer, settings.verbose)
    if fired and _ends_on_fixed_point(fired, epochs, settings):
        fired = FixedPoint()
    return fired


def make_epochs(plan, params, optimizer, data, batch_size, run, online_state=None):
    """The epoch runner for this problem: the compiled online loop when it applies
    (``OnlineEpochs.applies``), mini-batches otherwise. An average in ``online_state``
    needs the online loop."""
    if OnlineEpochs.applies(plan, batch_size):
        return OnlineEpochs(plan, params, optimizer, data, online_state)
    if online_state is not None and online_state.averaging is not None:
        raise ValueError("Averaged SGD needs the per-sample loop: batch_size=1, plain "
                         "SGD with a constant learning rate, a single layer.")
    return MiniBatchEpochs(plan, params, optimizer, data, batch_size, run.noise,
                           run.buffers)


def _epoch_record(epoch, stats, params):
    """The epoch as the criteria see it; its loss is NaN once any weight is not finite."""
    finite = stats.finite or all_finite(params.flat)
    epoch_loss = stats.loss if finite else np.nan
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
    training data, once, at the end, decides (``epochs.at_fixed_point``).
    """
    plateau = isinstance(fired, NoImprovement) and fired.monitor == "loss"
    if not (plateau or isinstance(fired, MaxIterations)) or settings.restore_best:
        return False
    return epochs.at_fixed_point()


def _finish(fired, record, settings, snapshots, params, result):
    """Put back the weights the stop asks for, then the best-scoring ones; warn."""
    result.stop_reason = fired.reason
    if fired.restore is not None:
        snapshots.put_back(fired.restore, params.flat)
    if settings.restore_best and snapshots.best_score is not None:
        params.flat[...] = snapshots.best_score
        result.best_params = snapshots.best_score
    warning = fired.warning(record)
    if warning is not None:
        category, message = warning
        warn_user(message, category)
    return result


class MiniBatchEpochs:
    """Epochs of forward pass, backward pass and optimizer step per mini-batch.

    The gradient and every intermediate array live in buffers made once here, for the
    whole fit.
    """

    def __init__(self, plan, params, optimizer, data, batch_size, noise=None, buffers=None):
        network = plan.network
        self.network, self.loss, self.params = network, plan.loss, params
        self.optimizer, self.data, self.batch_size = optimizer, data, batch_size
        self.alpha, self.l1 = plan.penalty.l2, plan.penalty.l1
        self.clipping = plan.clipping
        # (rng, momentum) of dropout and batch normalization, when the network has them.
        self.training = (noise, plan.norm_momentum) if network.trains_differently else None
        n_features = data.X.shape[1] if data.dense else None
        self.history = History(network)  # gradient norms and saturation per epoch
        self.row_norm = None  # a bound on the training rows' norms, for the overflow check
        self.reshuffle = plan.batch.reshuffle
        self.order = None  # the previous epoch's order of the rows; None: in order
        # ``buffers`` (kept by the estimator) hands the buffers of one call to the next
        # one of the same shapes: partial_fit on small batches.
        key = (network.layer_units, network.dropout, network.batch_norm, network.frozen,
               params.dtype, batch_size, n_features)
        self.grads, self.workspace = BufferCache.get_or_make(buffers, key, lambda: (
            params.zeros_like(), Workspace(network, batch_size, params.dtype, n_features)))

    def run(self, rng):
        """One pass over the data, shuffled by ``rng`` (None keeps the order).

        As scikit-learn's MLP, each epoch shuffles the previous epoch's order (the
        first epoch's: the rows in order), ``order[rng.permutation(n)]``: with the
        same generator, the two draw the same batches (``BatchRule.reshuffle``; else
        ``rng.permutation(n)``). Two arrays of n integers, where ``EpochOrders``, made
        to draw ahead, keeps five. The epoch's loss
        weights each batch's objective by its size; it stops early, with a NaN loss, as
        soon as a batch's objective is not finite.
        """
        network, loss, params, grads = self.network, self.loss, self.params, self.grads
        workspace, data = self.workspace, self.data
        total = 0.0
        start_loss = np.nan
        all_zero = True
        alpha, l1, n_coef = self.alpha, self.l1, params.n_coef
        theta, gradient = params.trainable, grads.trainable
        history, clipping = self.history, self.clipping
        history.start_epoch()
        if rng is not None:
            permutation = rng.permutation(data.n_samples)
            self.order = (self.order[permutation] if self.reshuffle and self.order is not None
                          else permutation)
        for rows in iter_batches(data.n_samples, self.batch_size,
                                 None if rng is None else self.order):
            X, Y, sw = data.take(rows, workspace.rows)
            mode = None
            if self.training is not None:
                mode = TrainingPass(self.training[0], sw, self.training[1])
            # The optimizer adds the L2 term's gradient in its own pass over the weights,
            # and takes the L1 term as a cumulative penalty (``pay_l1``).
            value, _ = loss_and_gradients(
                network, loss, params, X, Y, sw, alpha, grads, workspace,
                penalty_gradient=False, l1=l1, mode=mode,
            )
            if np.isnan(start_loss):
                start_loss = value
            if not np.isfinite(value):
                return EpochStats(np.nan, start_loss, False)
            norm = history.observe(grads, workspace, X.shape[0])  # before any change
            if clipping and clipping.apply(gradient, norm):
                history.count_clipped()
            total += value * X.shape[0]
            # Checked until the first non-zero gradient only: one scan per epoch for MLPs.
            all_zero = all_zero and not grads.flat.any() and not (
                (alpha or l1) and params.weights.any())
            l2 = step_factor(alpha, X.shape[0], params.dtype) if alpha else 0.0
            l1_factor = step_factor(l1, X.shape[0], params.dtype) if l1 else 0.0
            self.optimizer.step(theta, gradient, l2, n_coef, l1_factor)
        overflow, finite = self._overflows()
        if overflow:
            return EpochStats(np.nan, start_loss, False)
        return EpochStats(total / data.n_samples, start_loss, all_zero, finite=finite)

    def _overflows(self):
        """Whether the weights the epoch ends on overflow a layer on a training row, as
        prediction computes it, and whether they are known finite
        (``epochs.overflows_on``; the rows' norms are bounded at the first epoch)."""
        if self.row_norm is None:
            self.row_norm = row_norm_bound(self.data.X)
        return overflows_on(self.network, self.loss, self.params, self.data, self.row_norm)

    def close(self):
        """The end of training: nothing to let go of."""

    def written(self):
        """Which entries of the flat vector an epoch may write: all (None); each
        step moves every weight that trains."""
        return None

    def at_fixed_point(self):
        """Whether the next epoch would move nothing (``epochs.at_fixed_point``)."""
        return at_fixed_point(self.network, self.loss, self.params, self.data, self.alpha,
                              self.l1)
