"""Full-batch training with scipy's L-BFGS-B and the backpropagated gradient.

L-BFGS minimises the same objective J as the stochastic solvers, over the whole
training set at once: it needs J and dJ/dtheta at the points it chooses
(``loss_and_gradients`` on the flat parameter vector, written in place), and decides
itself when it has converged. ``Progress`` keeps what each completed iteration reached,
so that an interruption, a loss threshold, a callback's request to stop or a
divergence ends on it.

Divergence: an iterate whose objective is not finite (inputs or targets so large that
the network's output overflows) ends training, as it ends the stochastic solvers: the
weights of the last iteration with a finite objective (the starting weights if there
was none) are kept, a ConvergenceWarning says so, and ``stop_reason_`` is
``"diverged"``. L-BFGS never accepts a step that raises the objective, so these are also
the weights of the lowest objective it reached.
"""

from dataclasses import dataclass

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from .history import History
from .._engine.layers import TrainingPass
from .._engine.network import Workspace, forward, loss_and_gradients
from .._engine.penalty import add_penalty_gradient
from .stochastic import TrainingResult
from .._utils.speed import all_finite, blas_threads
from .._utils.warnings import warn_user


@dataclass
class LbfgsSettings:
    """How ``train_lbfgs`` runs."""

    max_iter: int
    max_fun: int
    tol: float  # scipy's gtol
    loss_threshold: float | None = None
    verbose: bool = False
    #: The callbacks' tasks (``callbacks.FitTasks``): one per iteration; or None.
    tasks: object = None


class Progress:
    """The last completed iteration (its point and objective), and the loss curve.

    scipy calls ``after_iteration`` once per iteration; raising StopIteration there
    ends the minimisation (the loss threshold, or an iterate that is not finite: then
    ``diverged`` is True and that iterate is not recorded). ``history`` (``history.History``)
    takes a row per iteration: the last evaluation's, when it was at the iterate (the
    point of the accepted line-search step, as a rule), else one more evaluation there.

    With callbacks (``settings.tasks``) an iteration's task begins at its first
    evaluation (``in_tasks``) and ends here on the iterate, ``model(x)`` giving its
    parameters; a request to stop raises StopIteration as the threshold does.
    """

    def __init__(self, x, settings, history=None, evaluate=None, model=None):
        self.x, self.fun = x, np.nan
        self.loss_curve = []
        self.settings = settings
        self.history, self.evaluate = history, evaluate
        self.model, self.callback_stop = model, False
        self.diverged = False

    def in_tasks(self, evaluate):
        """``evaluate`` that first begins the task of an iteration none has begun."""
        tasks = self.settings.tasks

        def evaluate_in_task(theta):
            if not tasks.is_open:
                x = self.x  # where the iteration starts
                tasks.begin(lambda: self.model(x))
            return evaluate(theta)

        return evaluate_in_task

    def after_iteration(self, intermediate_result):
        x, fun = intermediate_result.x, float(intermediate_result.fun)
        if not (np.isfinite(fun) and np.isfinite(x).all()):
            self.diverged = True
            raise StopIteration
        self.x, self.fun = x.copy(), fun
        if self.history is not None:
            if not np.array_equal(self.evaluate.last, self.x):
                self.evaluate(self.x)
            self.history.end_epoch()
        self.loss_curve.append(self.fun)
        if self.settings.verbose:
            print(f"Iteration {len(self.loss_curve)}, loss = {self.fun:.8f}")
        tasks, x = self.settings.tasks, self.x
        if tasks is not None and tasks.end(lambda: self.model(x)):
            self.callback_stop = True
            raise StopIteration
        threshold = self.settings.loss_threshold
        if threshold is not None and self.fun <= threshold:
            raise StopIteration


def objective_and_gradient(network, loss, params, data, alpha, history=None):
    """theta -> (J, dJ/dtheta in float64), for scipy; J is inf where it is not finite.

    theta is the trainable part of the parameters. Batch normalization normalizes with
    the statistics of the whole training set, the batch L-BFGS sees. ``history`` (a
    ``history.History``) observes each evaluation as the epoch's one step: the
    gradient of the data term, before the penalty's is added; the function keeps the
    point in ``last``.
    """
    grads = params.zeros_like()
    frozen = network.frozen_mask()  # their gradient stays 0: L-BFGS never moves them
    workspace = Workspace(network, data.n_samples, params.dtype)
    X, Y, sw = data.X, data.Y, data.sample_weight
    trainable = params.trainable

    def value_and_gradient(theta):
        trainable[...] = theta
        mode = TrainingPass(sample_weight=sw) if network.batch_norm else None
        value, _ = loss_and_gradients(network, loss, params, X, Y, sw, alpha, grads,
                                      workspace, penalty_gradient=False, mode=mode)
        if history is not None:
            value_and_gradient.last = np.array(theta, dtype=np.float64)
            history.start_epoch()
            history.observe(grads, workspace, data.n_samples)
        add_penalty_gradient(grads.weights, params.weights, alpha, 0.0, data.n_samples)
        if frozen is not None:
            grads.trainable[frozen] = 0
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return value, grads.trainable.astype(np.float64)

    value_and_gradient.last = None
    return value_and_gradient


def set_running_statistics(network, params, data):
    """Batch normalization's running statistics: those of the whole training set (the
    one batch of L-BFGS), at the final weights."""
    if network.batch_norm:
        mode = TrainingPass(sample_weight=data.sample_weight, momentum=1.0)
        forward(network, params, data.X, mode=mode, cache=False)
        for i, variance in enumerate(params.running_vars):
            if not (all_finite(variance) and all_finite(params.running_means[i])):
                raise ValueError(
                    f"batch_norm=True: the variance of hidden layer {i + 1}'s net input "
                    f"over the training set overflows {params.dtype.name}, so no "
                    "running statistics can normalize it. Scale the inputs (for "
                    "example with StandardScaler), or pass X as float64."
                )


def parameters_at(network, params, data, x):
    """A copy of ``params`` at the point x, as the model would be if L-BFGS ended
    there (running statistics included)."""
    model = params.copy()
    model.trainable[...] = x
    set_running_statistics(network, model, data)
    return model


def train_lbfgs(plan, params, data, settings):
    """Minimise the full-batch objective; ``params`` ends on L-BFGS's answer.

    ``plan`` is the estimator's (``plan.Plan``), its penalty for ``data``'s mean-1
    sample weights; ``settings`` says how L-BFGS runs.
    """
    with blas_threads(plan.network, data.n_samples):
        return _minimise(plan.network, plan.loss, params, data, plan.penalty.l2, settings)


def _minimise(network, loss, params, data, alpha, settings):
    """scipy's L-BFGS-B on the objective and its gradient (``train_lbfgs``)."""
    history = History(network)
    evaluate = objective_and_gradient(network, loss, params, data, alpha, history)
    progress = Progress(params.trainable.astype(np.float64), settings, history, evaluate,
                        model=lambda x: parameters_at(network, params, data, x))
    tasks = settings.tasks
    try:
        outcome = scipy.optimize.minimize(
            evaluate if tasks is None else progress.in_tasks(evaluate),
            progress.x,
            method="L-BFGS-B",
            jac=True,
            callback=progress.after_iteration,
            options={"maxiter": settings.max_iter, "maxfun": settings.max_fun,
                     "gtol": settings.tol},
        )
    except KeyboardInterrupt:
        if tasks is not None:
            tasks.abandon()
        result = _interrupted(params, progress)
        (result.gradient_norms, result.saturation, result.total_norms,
         result.clipped) = history.arrays()
        set_running_statistics(network, params, data)
        return result
    if tasks is not None:
        # Evaluations after the last iteration (a failed line search, a diverged
        # iterate) belong to no completed iteration.
        tasks.abandon()
    if progress.diverged or not (np.isfinite(outcome.fun) and np.isfinite(outcome.x).all()):
        result = _diverged(params, progress)
    else:
        params.trainable[...] = outcome.x
        result = TrainingResult(
            n_iter=int(outcome.nit),
            loss=float(outcome.fun),
            loss_curve=progress.loss_curve,
            stop_reason=_stop_reason(outcome, progress, settings),
        )
    result.n_samples_seen = data.n_samples * result.n_iter
    set_running_statistics(network, params, data)
    (result.gradient_norms, result.saturation, result.total_norms,
     result.clipped) = history.arrays()
    if result.stop_reason in ("max_iter", "max_fun"):
        budget = "iterations" if result.stop_reason == "max_iter" else "function evaluations"
        warn_user(
            f"lbfgs failed to converge after {result.n_iter} iteration(s) "
            f"(status={outcome.status}):\n{outcome.message}\n\nIt reached its budget of "
            f"{budget} (max_iter={settings.max_iter}, max_fun={settings.max_fun}). "
            "Increase the budget or scale the data.",
            ConvergenceWarning,
        )
    return result


def _diverged(params, progress):
    """Keep the last iteration whose objective was finite, and warn."""
    return _keep_last_iteration(
        params, progress, "diverged",
        f"Training diverged in L-BFGS iteration {len(progress.loss_curve) + 1}: the "
        "objective became NaN or infinite. The weights of the last iteration with a "
        "finite objective were kept. Try scaling the inputs and targets.",
        ConvergenceWarning,
    )


def _interrupted(params, progress):
    """Keep the last completed iteration after a KeyboardInterrupt."""
    return _keep_last_iteration(
        params, progress, "interrupted",
        f"Training interrupted by user. It stopped after {len(progress.loss_curve)} "
        "L-BFGS iterations; the weights of the last completed iteration were kept.",
        UserWarning,
    )


def _keep_last_iteration(params, progress, stop_reason, message, category):
    """End on the last completed iteration (``progress``) with a warning."""
    params.trainable[...] = progress.x
    warn_user(message, category)
    return TrainingResult(n_iter=len(progress.loss_curve), loss=progress.fun,
                          loss_curve=progress.loss_curve, stop_reason=stop_reason)


def _stop_reason(outcome, progress, settings):
    if progress.callback_stop:
        return "callback"
    loss_curve = progress.loss_curve
    threshold = settings.loss_threshold
    if threshold is not None and loss_curve and loss_curve[-1] <= threshold:
        return "loss_threshold"
    if outcome.status == 0:
        return "converged"
    if outcome.nit >= settings.max_iter:
        return "max_iter"
    if outcome.nfev >= settings.max_fun:
        return "max_fun"
    # L-BFGS-B's line search could not decrease the objective further.
    return "converged"
