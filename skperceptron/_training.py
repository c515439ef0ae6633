"""Training loops: mini-batch epochs for SGD/Adam and the perceptron rule, and L-BFGS.

The pieces are kept apart: ``iter_batches`` cuts an epoch into mini-batches,
``MiniBatchEpochs`` does forward/backward/update over them (``OnlineEpochs`` is the
compiled per-sample loop of a single layer), the stopping criteria (from ``_stopping``)
decide after each epoch, and ``train_stochastic`` ties them together with validation
scoring, best-weight restoring, divergence and interruption handling.
``_threads.blas_threads`` chooses the number of BLAS threads of a fit.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._kernels import ONLINE_RULES, gather_rows, online_epoch
from ._network import Workspace, forward, loss_and_gradients
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


class MiniBatchEpochs:
    """Epochs of forward pass, backward pass and optimizer step per mini-batch.

    The gradient and every intermediate array live in buffers made once here, for the
    whole fit.
    """

    def __init__(self, network, loss, params, optimizer, data, batch_size, alpha):
        self.network, self.loss, self.params = network, loss, params
        self.optimizer, self.data = optimizer, data
        self.batch_size, self.alpha = batch_size, alpha
        self.grads = params.zeros_like()
        n_features = data.X.shape[1] if data.dense else None
        self.workspace = Workspace(network, batch_size, params.dtype, n_features)

    def run(self, rng):
        """One pass over the data, shuffled by ``rng`` (None keeps the order).

        The epoch's loss weights each batch's objective by its size; it stops early,
        with a NaN loss, as soon as a batch's objective is not finite.
        """
        network, loss, params, grads = self.network, self.loss, self.params, self.grads
        workspace, data = self.workspace, self.data
        total = 0.0
        start_loss = np.nan
        all_zero = True
        for rows in iter_batches(data.n_samples, self.batch_size, rng):
            X, Y, sw = data.take(rows, workspace.rows)
            value, _ = loss_and_gradients(
                network, loss, params, X, Y, sw, self.alpha, grads, workspace
            )
            if np.isnan(start_loss):
                start_loss = value
            if not np.isfinite(value):
                return EpochStats(np.nan, start_loss, False)
            total += value * X.shape[0]
            # Checked until the first non-zero gradient only: one scan per epoch for MLPs.
            all_zero = all_zero and not grads.flat.any()
            self.optimizer.step(params.flat, grads.flat)
        if _overflows(network, loss, params, X, workspace):
            return EpochStats(np.nan, start_loss, False)
        return EpochStats(total / data.n_samples, start_loss, all_zero)


def _overflows(network, loss, params, X, workspace):
    """Whether the weights overflow a layer on the batch ``X``.

    The loss of each batch was measured before its step, and a clipped loss (log-loss)
    or a saturating output stays finite while weights grow without bound. So the last
    batch goes forward once more with the weights the epoch ends on: an infinite or NaN
    hidden output, or output-layer net input, means the epoch diverged; infinite raw
    scores of the perceptron and hinge losses are allowed (they still say which side a
    sample is on), NaN ones are not.
    """
    activations = forward(network, params, X, workspace)
    if any(not np.isfinite(A).all() for A in activations[1:-1]):
        return True
    scores = activations[-2] @ params.coefs[-1]  # (n_samples, n_outputs)
    scores += params.intercepts[-1]
    if loss.on_scores:
        return bool(np.isnan(scores).any())
    return not np.isfinite(scores).all()


class OnlineEpochs:
    """Epochs of the per-sample rule of a single layer, in one compiled loop.

    The same arithmetic as ``MiniBatchEpochs`` with batches of one sample and plain
    SGD (see ``_kernels.online_epoch``), without a Python round trip per sample.
    """

    def __init__(self, params, optimizer, data, alpha, rule, fit_intercept):
        self.params, self.data = params, data
        dtype = params.dtype.type
        self.eta, self.alpha = dtype(optimizer.learning_rate), dtype(alpha)
        self.rule, self.fit_intercept = rule, fit_intercept
        sw = data.sample_weight
        self.sample_weight = np.ones(data.n_samples, params.dtype) if sw is None else sw
        self.X = np.ascontiguousarray(data.X)

    @staticmethod
    def applies(network, loss, optimizer, data, batch_size):
        return (
            network.n_layers == 1
            and batch_size == 1
            and data.dense
            and loss.name in ONLINE_RULES
            and network.output_activation.name == "identity"
            and getattr(optimizer, "velocity", True) is None  # plain SGD, no momentum
            and optimizer.schedule == "constant"
        )

    def run(self, rng):
        n = self.data.n_samples
        order = np.arange(n) if rng is None else rng.permutation(n)
        # One contiguous row of weights per unit for the loop; copied back after.
        W = self.params.coefs[0]
        W_t = np.ascontiguousarray(W.T)
        loss, all_zero = online_epoch(
            W_t, self.params.intercepts[0], self.X, self.data.Y, self.sample_weight,
            order, self.eta, self.alpha, self.rule, self.fit_intercept,
        )
        W[...] = W_t.T
        if not np.isfinite(loss):
            loss = np.nan
        return EpochStats(float(loss), np.nan, bool(all_zero))


def make_epochs(network, loss, params, optimizer, data, batch_size, alpha):
    """The epoch runner for this problem: the compiled online loop when it applies."""
    if OnlineEpochs.applies(network, loss, optimizer, data, batch_size):
        rule = ONLINE_RULES[loss.name]
        return OnlineEpochs(params, optimizer, data, alpha, rule, network.fit_intercept)
    return MiniBatchEpochs(network, loss, params, optimizer, data, batch_size, alpha)


class _Snapshots:
    """Copies of the weights that training may have to return to.

    ``epoch_start``: at the start of the current epoch (interruption, fixed point);
    ``lowest_loss``: at the start of the epoch with the lowest training loss, the
    weights that loss was measured from (divergence: the end of that same epoch may
    already be the step that diverged); ``best_score``: at the best validation score
    (early stopping restores it).
    """

    def __init__(self, flat, best_score=None):
        self.epoch_start = flat.copy()
        self.lowest_loss = flat.copy()
        self.lowest_loss_value = np.inf
        self.best_score = best_score

    def end_epoch(self, flat, loss):
        if loss < self.lowest_loss_value:
            self.lowest_loss_value = loss
            self.lowest_loss[...] = self.epoch_start
        self.epoch_start[...] = flat

    def keep_best_score(self, flat):
        if self.best_score is None:
            self.best_score = flat.copy()
        else:
            self.best_score[...] = flat


def _warn_diverged(epoch, hint):
    warnings.warn(
        f"Training diverged in epoch {epoch}: the loss grew without bound or became "
        "NaN or infinite. The weights that gave the lowest training loss were kept. "
        f"Try {hint}.",
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
    epochs = make_epochs(network, loss, params, optimizer, data, batch_size, alpha)
    best_score, best_flat = best_so_far if best_so_far is not None else (-np.inf, None)
    snapshots = _Snapshots(params.flat, None if best_flat is None else best_flat.copy())
    divergence = Divergence()
    epoch = 0
    while True:
        started = time.perf_counter()
        epoch += 1
        try:
            stats = epochs.run(rng)
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
    workspace = Workspace(network, data.n_samples, params.dtype)

    def value_and_gradient(theta):
        params.flat[...] = theta
        value, _ = loss_and_gradients(
            network, loss, params, X, Y, sw, alpha, grads, workspace
        )
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return value, grads.flat.astype(np.float64)

    last = {"x": params.flat.astype(np.float64), "fun": np.nan}  # last completed iteration

    def callback(intermediate_result):
        last["x"], last["fun"] = intermediate_result.x.copy(), float(intermediate_result.fun)
        result.loss_curve.append(last["fun"])
        if verbose:
            print(f"Iteration {len(result.loss_curve)}, loss = {last['fun']:.8f}")
        if loss_threshold is not None and last["fun"] <= loss_threshold:
            raise StopIteration

    try:
        outcome = scipy.optimize.minimize(
            value_and_gradient,
            last["x"],
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
        )
    except KeyboardInterrupt:
        params.flat[...] = last["x"]
        result.n_iter = len(result.loss_curve)
        result.loss = last["fun"]
        result.stop_reason = "interrupted"
        warnings.warn(
            f"Training interrupted after {result.n_iter} L-BFGS iterations; the "
            "weights of the last completed iteration were kept.",
            UserWarning,
            stacklevel=_USER_LEVEL,
        )
        return result
    params.flat[...] = outcome.x
    result.n_iter = int(outcome.nit)
    result.loss = float(outcome.fun)
    result.n_samples_seen = data.n_samples * result.n_iter
    result.stop_reason = _lbfgs_stop_reason(outcome, result.loss_curve, loss_threshold,
                                            max_iter, max_fun)
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


def _lbfgs_stop_reason(outcome, loss_curve, loss_threshold, max_iter, max_fun):
    if loss_threshold is not None and loss_curve and loss_curve[-1] <= loss_threshold:
        return "loss_threshold"
    if outcome.status == 0:
        return "converged"
    if outcome.nit >= max_iter:
        return "max_iter"
    if outcome.nfev >= max_fun:
        return "max_fun"
    # L-BFGS-B's line search could not decrease the objective further.
    return "converged"
