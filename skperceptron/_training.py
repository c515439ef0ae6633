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
from ._stopping import EpochRecord, NoImprovement


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


def run_epoch(network, loss, params, grads, optimizer, data, batches, alpha):
    """One pass over ``batches``: forward, backward and an optimizer step per batch.

    Returns ``(loss, all_zero)``: the mean training objective over the epoch (each
    batch's objective weighted by its size), or NaN as soon as a batch's objective is
    not finite; and whether every batch's gradient was exactly zero.
    """
    total = 0.0
    all_zero = True
    for rows in batches:
        X, Y, sw = data.take(rows)
        value, _ = loss_and_gradients(network, loss, params, X, Y, sw, alpha, grads)
        if not np.isfinite(value):
            return np.nan, False
        total += value * X.shape[0]
        # Checked only until the first non-zero gradient: one scan per epoch for an MLP.
        all_zero = all_zero and not grads.flat.any()
        optimizer.step(params.flat, grads.flat)
    return total / data.n_samples, all_zero


def _warn_diverged(epoch, learning_rate_name):
    warnings.warn(
        f"Training diverged in epoch {epoch}: the loss or the weights became NaN or "
        "infinite. The weights from the last finite epoch were kept. Try a smaller "
        f"{learning_rate_name}, scaling the inputs and targets, or a smaller momentum.",
        ConvergenceWarning,
        stacklevel=4,
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
    best_validation_score=-np.inf,
    single_pass=False,
    verbose=False,
    learning_rate_name="learning_rate_init",
):
    """Train with mini-batch updates until a stopping criterion fires.

    ``rng`` shuffles the samples each epoch (None keeps their order). ``validation`` is a
    callable ``params -> score`` (higher is better) or None; with ``restore_best`` the
    parameters that scored best are put back at the end. ``single_pass`` runs exactly one
    epoch (``partial_fit``).
    """
    result = TrainingResult(best_validation_score=None)
    grads = params.zeros_like()
    last_finite = params.flat.copy()
    best_flat = None
    best_score = best_validation_score
    epoch = 0
    while True:
        started = time.perf_counter()
        epoch += 1
        batches = iter_batches(data.n_samples, batch_size, rng)
        try:
            epoch_loss, all_zero = run_epoch(
                network, loss, params, grads, optimizer, data, batches, alpha
            )
        except KeyboardInterrupt:
            params.flat[...] = last_finite
            warnings.warn(
                f"Training interrupted in epoch {epoch}; the weights of the last "
                "completed epoch were kept.",
                UserWarning,
                stacklevel=3,
            )
            result.stop_reason = "interrupted"
            break
        if not (np.isfinite(epoch_loss) and np.isfinite(params.flat).all()):
            params.flat[...] = last_finite
            _warn_diverged(epoch, learning_rate_name)
            result.stop_reason = "diverged"
            break
        fixed_point = all_zero and np.array_equal(params.flat, last_finite)
        last_finite[...] = params.flat
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
                    best_flat = params.flat.copy()
            result.best_validation_score = best_score
        if verbose:
            line = f"Iteration {epoch}, loss = {epoch_loss:.8f}"
            if score is not None:
                line += f", validation score = {score:.6f}"
            print(line + f", time = {time.perf_counter() - started:.3f}s")

        optimizer.end_epoch(result.n_samples_seen)
        if single_pass:
            result.stop_reason = "partial_fit"
            break
        record = EpochRecord(epoch, epoch_loss, score, fixed_point)
        reason = _first_to_fire(criteria, record, optimizer, verbose)
        if reason:
            result.stop_reason = reason
            break

    if restore_best and best_flat is not None:
        params.flat[...] = best_flat
    if result.stop_reason == "max_iter":
        warnings.warn(
            f"Maximum number of epochs ({result.n_iter}) reached before any other "
            "stopping criterion was met: training has not converged. Increase max_iter "
            "or adjust the learning rate.",
            ConvergenceWarning,
            stacklevel=3,
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
            stacklevel=3,
        )
    return result
