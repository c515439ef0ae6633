"""Training loops: mini-batch epochs for SGD/Adam and the perceptron rule, and L-BFGS.

The pieces are kept apart: ``iter_batches`` cuts an epoch into mini-batches,
``run_epoch`` does forward/backward/update over them, the stopping criteria (from
``_stopping``) decide after each epoch, and ``train_stochastic`` ties them together with
validation scoring, best-weight restoring, divergence and interruption handling.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._network import loss_and_gradients
from ._stopping import Divergence, EpochRecord, NoImprovement

# Warnings point at the user's call: a training loop runs five frames below it
# (user -> scikit-learn's fit wrapper -> fit -> _fit -> _train_* -> this loop).
_USER_LEVEL = 6


@dataclass
class TrainingData:
    """Encoded training arrays: X, targets Y (n_samples, n_outputs), weights or None."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    def take(self, index):
        """The rows ``index`` (a slice or an array of positions) of X, Y and the weights."""
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return self.X[index], self.Y[index], sw


@dataclass
class TrainingResult:
    """What one call to a training loop did."""

    n_iter: int = 0
    stop_reason: str = ""
    loss: float = np.nan
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    best_validation_score: float | None = None
    best_params: np.ndarray | None = None  # flat weights at the best validation score
    n_samples_seen: int = 0


def iter_batches(n_samples, batch_size, rng=None):
    """Yield the rows of each mini-batch: slices in order, or shuffled index arrays."""
    if rng is None:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    order = rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


@dataclass
class EpochStats:
    """What ``run_epoch`` measured."""

    loss: float  # mean objective over the epoch's batches, NaN once non-finite
    start_loss: float  # objective of the first batch, at the epoch's starting weights
    all_zero: bool  # every batch's gradient was exactly zero


def run_epoch(network, loss, params, grads, optimizer, data, batches, alpha):
    """One pass over ``batches``: forward, backward and an optimizer step per batch.

    The epoch's loss weights each batch's objective by its size. It stops early, with
    a NaN loss, as soon as a batch's objective is not finite.
    """
    total = 0.0
    start_loss = np.nan
    all_zero = True
    for rows in batches:
        X, Y, sw = data.take(rows)
        value, _ = loss_and_gradients(network, loss, params, X, Y, sw, alpha, grads)
        if np.isnan(start_loss):
            start_loss = value
        if not np.isfinite(value):
            return EpochStats(np.nan, start_loss, False)
        total += value * X.shape[0]
        # Checked only until the first non-zero gradient: one scan per epoch for an MLP.
        all_zero = all_zero and not grads.flat.any()
        optimizer.step(params.flat, grads.flat)
    return EpochStats(total / data.n_samples, start_loss, all_zero)


class _Snapshots:
    """Copies of the weights that training may have to return to.

    ``epoch_start``: at the start of the current epoch (interruption, fixed point);
    ``lowest_loss``: at the end of the epoch with the lowest training loss, or the
    starting weights (divergence); ``best_score``: at the best validation score (early
    stopping restores it).
    """

    def __init__(self, flat, best_score=None):
        self.epoch_start = flat.copy()
        self.lowest_loss = flat.copy()
        self.lowest_loss_value = np.inf
        self.best_score = best_score

    def end_epoch(self, flat, loss):
        self.epoch_start[...] = flat
        if loss < self.lowest_loss_value:
            self.lowest_loss_value = loss
            self.lowest_loss[...] = flat

    def keep_best_score(self, flat):
        if self.best_score is None:
            self.best_score = flat.copy()
        else:
            self.best_score[...] = flat


def _warn_diverged(epoch, hint):
    warnings.warn(
        f"Training diverged in epoch {epoch}: the loss grew without bound or became "
        "NaN or infinite. The weights from the epoch with the lowest training loss "
        f"were kept. Try {hint}.",
        ConvergenceWarning,
        stacklevel=_USER_LEVEL + 1,
    )


def train_stochastic(
    network,
    loss,
    params,
    optimizer,
    data,
    *,
    batch_size,
    alpha,
    criteria,
    rng=None,
    validation=None,
    restore_best=False,
    best_so_far=None,
    single_pass=False,
    verbose=False,
    samples_seen=0,
    divergence_hint="a smaller learning rate",
):
    """Train with mini-batch updates until a stopping criterion fires.

    ``rng`` shuffles the samples each epoch (None keeps their order). ``validation`` is a
    callable ``params -> score`` (higher is better) or None; with ``restore_best`` the
    parameters that scored best are put back at the end, including those of an earlier
    call given as ``best_so_far = (score, flat weights)`` (warm start). ``single_pass`` runs exactly one
    epoch (``partial_fit``). ``samples_seen`` is the training time before this call,
    for learning-rate schedules.
    """
    result = TrainingResult(best_validation_score=None)
    grads = params.zeros_like()
    best_score, best_flat = best_so_far if best_so_far is not None else (-np.inf, None)
    snapshots = _Snapshots(params.flat, None if best_flat is None else best_flat.copy())
    divergence = Divergence()
    epoch = 0
    while True:
        started = time.perf_counter()
        epoch += 1
        batches = iter_batches(data.n_samples, batch_size, rng)
        try:
            stats = run_epoch(network, loss, params, grads, optimizer, data, batches, alpha)
        except KeyboardInterrupt:
            params.flat[...] = snapshots.epoch_start
            warnings.warn(
                f"Training interrupted in epoch {epoch}; the weights of the last "
                "completed epoch were kept.",
                UserWarning,
                stacklevel=_USER_LEVEL,
            )
            result.stop_reason = "interrupted"
            break
        epoch_loss = stats.loss
        if not np.isfinite(params.flat).all():
            epoch_loss = np.nan
        record = EpochRecord(epoch, epoch_loss, start_loss=stats.start_loss)
        if divergence.observe(record):
            params.flat[...] = snapshots.lowest_loss
            _warn_diverged(epoch, divergence_hint)
            result.stop_reason = divergence.reason
            break
        fixed_point = stats.all_zero and np.array_equal(params.flat, snapshots.epoch_start)
        snapshots.end_epoch(params.flat, epoch_loss)
        result.n_iter = epoch
        result.n_samples_seen += data.n_samples
        result.loss = epoch_loss
        result.loss_curve.append(epoch_loss)

        score = None
        if validation is not None:
            score = validation(params)
            result.validation_scores.append(score)
            if score > best_score:
                best_score = score
                if restore_best:
                    snapshots.keep_best_score(params.flat)
            result.best_validation_score = best_score
        if verbose:
            line = f"Iteration {epoch}, loss = {epoch_loss:.8f}"
            if score is not None:
                line += f", validation score = {score:.6f}"
            print(line + f", time = {time.perf_counter() - started:.3f}s")

        optimizer.end_epoch(samples_seen + result.n_samples_seen)
        if single_pass:
            result.stop_reason = "partial_fit"
            break
        record = EpochRecord(epoch, epoch_loss, score, fixed_point, stats.start_loss)
        reason = _first_to_fire(criteria, record, optimizer, verbose)
        if reason:
            result.stop_reason = reason
            break

    if restore_best and snapshots.best_score is not None:
        params.flat[...] = snapshots.best_score
        result.best_params = snapshots.best_score
    if result.stop_reason == "max_iter":
        warnings.warn(
            f"Maximum number of epochs ({result.n_iter}) reached before any other "
            "stopping criterion was met: training has not converged. Increase max_iter "
            "or adjust the learning rate.",
            ConvergenceWarning,
            stacklevel=_USER_LEVEL,
        )
    return result


def _first_to_fire(criteria, record, optimizer, verbose):
    """The reason of the first criterion that stops training, or None.

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
        return criterion.reason
    return None


def train_lbfgs(
    network,
    loss,
    params,
    data,
    *,
    alpha,
    max_iter,
    max_fun,
    tol,
    loss_threshold=None,
    verbose=False,
):
    """Minimise the full-batch objective with scipy's L-BFGS-B and our gradients."""
    result = TrainingResult()
    grads = params.zeros_like()
    X, Y, sw = data.X, data.Y, data.sample_weight

    def value_and_gradient(theta):
        params.flat[...] = theta
        value, _ = loss_and_gradients(network, loss, params, X, Y, sw, alpha, grads)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return value, grads.flat.astype(np.float64)

    def callback(intermediate_result):
        result.loss_curve.append(float(intermediate_result.fun))
        if verbose:
            print(f"Iteration {len(result.loss_curve)}, loss = {intermediate_result.fun:.8f}")
        if loss_threshold is not None and intermediate_result.fun <= loss_threshold:
            raise StopIteration

    outcome = scipy.optimize.minimize(
        value_and_gradient,
        params.flat.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    params.flat[...] = outcome.x
    result.n_iter = int(outcome.nit)
    result.loss = float(outcome.fun)
    result.n_samples_seen = data.n_samples * result.n_iter
    if loss_threshold is not None and result.loss_curve and result.loss_curve[-1] <= loss_threshold:
        result.stop_reason = "loss_threshold"
    elif outcome.status == 0:
        result.stop_reason = "converged"
    elif outcome.nit >= max_iter:
        result.stop_reason = "max_iter"
    elif outcome.nfev >= max_fun:
        result.stop_reason = "max_fun"
    else:
        # L-BFGS-B's line search could not decrease the objective further.
        result.stop_reason = "converged"
    if result.stop_reason in ("max_iter", "max_fun"):
        budget = "iterations" if result.stop_reason == "max_iter" else "function evaluations"
        warnings.warn(
            f"lbfgs stopped after reaching its budget of {budget} "
            f"(max_iter={max_iter}, max_fun={max_fun}) before converging. "
            "Increase the budget or scale the data.",
            ConvergenceWarning,
            stacklevel=_USER_LEVEL,
        )
    return result
