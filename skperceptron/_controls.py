"""The training controls of the multi-layer perceptrons, from their parameters.

The parameters a practitioner brings from PyTorch: a learning-rate schedule with
warm-up (``_engine/schedules``), AdamW and RMSprop (``_engine/optimizers``), gradient
clipping (``_training/clipping``) and frozen layers (``_engine/network``). Each is
checked here, against the others and the solver, before any training, and turned into
what the plan holds (``_mlp.mlp_plan``). Their constraints and documentation are here
too, beside their meaning.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np

from ._engine.optimizers import SGD, Adam, AdamW, RMSprop
from ._engine.schedules import (
    DEFAULT_DECAY_RATE,
    DEFAULT_STEP_PERIOD,
    EPOCH_SCHEDULES,
    SKLEARN_SCHEDULES,
    Schedule,
    checked_factor,
)
from ._training.clipping import Clipping
from ._utils.compat import Interval, StrOptions

CONTROL_CONSTRAINTS = {
    "solver": [StrOptions({"lbfgs", "sgd", "adam", "adamw", "rmsprop"})],
    "learning_rate": [StrOptions({*SKLEARN_SCHEDULES, *EPOCH_SCHEDULES}), callable],
    "decay_rate": [Interval(Real, 0, 1, closed="right"), None],
    "decay_epochs": [Interval(Integral, 1, None, closed="left"), None],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "clip_grad_value": [Interval(Real, 0, None, closed="neither"), None],
    "frozen_layers": ["array-like", None],
}

#: The training controls of the stochastic solvers that L-BFGS has no use for.
_STOCHASTIC_ONLY = "learning-rate schedules, warm-up and gradient clipping"

#: Their documentation, after the MLPs' other parameters (``_docstrings``).
CONTROLS_DOC = """
    decay_rate : float or None, default=None
        The factor of 'step' (default 0.1) and 'exponential' (default 0.95), in
        (0, 1]. Other schedules refuse it.

    decay_epochs : int or None, default=None
        'step': epochs between two decays (default 10). 'cosine': the epochs its half
        cosine spans (default ``max_iter - warmup_epochs``), after which the rate
        stays 0. Other schedules refuse it.

    warmup_epochs : int, default=0
        Epochs of linear warm-up before the schedule: epoch e < W trains at
        ``(e + 1) / (W + 1)`` times the schedule's first rate. Any stochastic solver
        and schedule; it must be shorter than ``max_iter``.

    weight_decay : float or None, default=None
        AdamW's decoupled weight decay lambda: each step first shrinks every weight
        (not the biases) by ``lr * lambda`` of itself. None is 0.01 (PyTorch's
        default) for 'adamw'; the other solvers have none and refuse it (their L2
        term is ``alpha``).

    rho : float, default=0.99
        RMSprop's decay of its running mean of squared gradients, in [0, 1)
        (PyTorch's ``alpha``). Only 'rmsprop' uses it.

    clip_grad_norm : float or None, default=None
        Bound on the global L2 norm of each step's gradient (every trainable
        parameter, the data term's): a larger gradient is scaled by
        ``clip_grad_norm / (norm + 1e-6)``, as PyTorch's ``clip_grad_norm_``. Its
        direction stays. The norms before clipping are recorded in
        ``gradient_norm_curve_``, the clipped steps in ``clipped_steps_``. See
        :ref:`maths-clipping`.

    clip_grad_value : float or None, default=None
        Bound on each entry of each step's gradient, clamped to ``[-v, v]`` (before
        ``clip_grad_norm`` when both are given), as PyTorch's ``clip_grad_value_``.

    frozen_layers : array-like of int or None, default=None
        Weight layers whose weights and biases keep their values (0 is the layer fed
        by X; negative indices count from the output layer, -1 being it): for
        fine-tuning a network whose first layers come from elsewhere (assign them
        to ``coefs_`` and ``intercepts_`` and fit with ``warm_start=True``). Their
        optimizer state is not kept, their gradients are not computed, and the
        backward pass stops at the lowest layer that trains. With batch
        normalization their scale and shift are frozen too; the running statistics
        still follow the batches, as PyTorch's in training mode. At least one layer
        must train.
"""


def schedule(estimator):
    """The ``schedules.Schedule`` of the estimator's learning rate, checked: the
    decay's parameters belong to the schedules that use them, the warm-up is shorter
    than the training, and a callable gives a valid factor at the first epoch (each
    later epoch's is checked when it begins)."""
    kind = estimator.learning_rate
    name = "a callable" if callable(kind) else repr(kind)
    if callable(kind):
        checked_factor(kind, 0)
    if kind not in ("step", "exponential") and estimator.decay_rate is not None:
        raise ValueError(f"decay_rate={estimator.decay_rate!r} is the factor of "
                         "learning_rate='step' or 'exponential'; learning_rate is "
                         f"{name}. Remove decay_rate, "
                         "or choose one of those.")
    if kind not in ("step", "cosine") and estimator.decay_epochs is not None:
        raise ValueError(f"decay_epochs={estimator.decay_epochs!r} is the period of "
                         "learning_rate='step' or 'cosine'; learning_rate is "
                         f"{name}. Remove decay_epochs, "
                         "or choose one of those.")
    warmup = estimator.warmup_epochs
    if warmup >= estimator.max_iter:
        raise ValueError(f"warmup_epochs={warmup} is not shorter than the training "
                         f"(max_iter={estimator.max_iter}): the schedule would never "
                         "start. Use fewer warm-up epochs or a larger max_iter.")
    period = estimator.decay_epochs
    if kind == "step" and period is None:
        period = DEFAULT_STEP_PERIOD
    elif kind == "cosine" and period is None:
        period = estimator.max_iter - warmup
    decay_rate = estimator.decay_rate
    if decay_rate is None:
        decay_rate = DEFAULT_DECAY_RATE.get(kind)
    return Schedule(kind, float(estimator.learning_rate_init), decay_rate, period, warmup)


def _check_weight_decay(estimator):
    if estimator.weight_decay is not None and estimator.solver != "adamw":
        raise ValueError(
            f"weight_decay={estimator.weight_decay!r} is AdamW's decoupled weight "
            f"decay, and solver={estimator.solver!r} has none. Use solver='adamw', or "
            "alpha for an L2 penalty."
        )


def optimizer(estimator):
    """``(size, dtype) -> `` a fresh optimizer of the estimator's settings, with its
    schedule; None for L-BFGS."""
    _check_weight_decay(estimator)
    if estimator.solver == "lbfgs":
        return None
    rates = schedule(estimator)
    lr0 = estimator.learning_rate_init
    if estimator.solver == "sgd":
        return partial(SGD, learning_rate_init=lr0, learning_rate=estimator.learning_rate,
                       momentum=estimator.momentum,
                       nesterovs_momentum=estimator.nesterovs_momentum,
                       power_t=estimator.power_t, schedule=rates)
    if estimator.solver == "rmsprop":
        return partial(RMSprop, learning_rate_init=lr0, rho=estimator.rho,
                       epsilon=estimator.epsilon, schedule=rates)
    adam = dict(learning_rate_init=lr0, beta_1=estimator.beta_1, beta_2=estimator.beta_2,
                epsilon=estimator.epsilon, schedule=rates)
    if estimator.solver == "adamw":
        decay = 0.01 if estimator.weight_decay is None else estimator.weight_decay
        return partial(AdamW, weight_decay=decay, **adam)
    return partial(Adam, **adam)


def frozen_layers(estimator, n_layers):
    """The frozen weight layers as a frozenset of indices in [0, n_layers), checked."""
    value = estimator.frozen_layers
    if value is None:
        return frozenset()
    indices = np.asarray(value).ravel() if np.ndim(value) else np.asarray([value])
    if np.ndim(value) > 1 or not all(
            isinstance(i, Integral) and not isinstance(i, bool) for i in indices.tolist()):
        raise ValueError(f"frozen_layers must be a 1-d list of weight-layer indices "
                         f"(integers), got {value!r}.")
    out = [i for i in indices.tolist() if not -n_layers <= i < n_layers]
    if out:
        raise ValueError(f"frozen_layers={value!r} names layer(s) {out} of a network of "
                         f"{n_layers} weight layers (indices 0 to {n_layers - 1}, or "
                         f"-{n_layers} to -1).")
    frozen = frozenset(i % n_layers for i in indices.tolist())
    if len(frozen) == n_layers:
        raise ValueError(f"frozen_layers={value!r} freezes all {n_layers} weight layers: "
                         "nothing would train. Leave at least one out.")
    return frozen


def clipping(estimator):
    """The ``Clipping`` bounds of each step's gradient (L-BFGS refuses them,
    ``check_lbfgs``)."""
    return Clipping(estimator.clip_grad_norm, estimator.clip_grad_value)


def _check_stochastic_controls(estimator):
    """L-BFGS has no learning rate nor steps: refuse the controls of those."""
    used = []
    if callable(estimator.learning_rate) or estimator.learning_rate in EPOCH_SCHEDULES:
        used.append(f"learning_rate={estimator.learning_rate!r}")
    if estimator.warmup_epochs:
        used.append(f"warmup_epochs={estimator.warmup_epochs}")
    for name in ("decay_rate", "decay_epochs", "clip_grad_norm", "clip_grad_value"):
        if getattr(estimator, name) is not None:
            used.append(f"{name}={getattr(estimator, name)!r}")
    if used:
        raise ValueError(f"{', '.join(used)} cannot be used with solver='lbfgs': "
                         f"{_STOCHASTIC_ONLY} act on the steps of a stochastic solver, "
                         "and L-BFGS has no learning rate. Use solver='sgd', 'adam', "
                         "'adamw' or 'rmsprop'.")


def check_lbfgs(estimator, rates):
    """What L-BFGS cannot train: dropout, the L1 term, and the controls of a
    stochastic solver's steps."""
    if estimator.solver != "lbfgs":
        return
    if any(rates):
        raise ValueError(
            f"dropout={estimator.dropout!r} cannot be used with solver='lbfgs': dropout "
            "makes every evaluation of the objective random, and L-BFGS needs a "
            "deterministic one. Use solver='sgd' or 'adam', or dropout=0."
        )
    if estimator.penalty in ("l1", "elasticnet"):
        raise ValueError(
            f"penalty={estimator.penalty!r} cannot be used with solver='lbfgs': the L1 "
            "term is not differentiable at zero, which L-BFGS needs. Use "
            "solver='sgd' or 'adam' (a cumulative L1 penalty), or penalty='l2' or None."
        )
    _check_stochastic_controls(estimator)


def no_hidden_layer(setting, remedy):
    """Dropout and batch normalization act on hidden layers: refuse them without."""
    raise ValueError(f"{setting} acts on hidden layers, and hidden_layer_sizes=() has "
                     f"none: add a hidden layer, or use {remedy}.")


def check_batch_norm(estimator, n_hidden):
    """What batch normalization cannot train: a network without hidden layers, and
    mini-batches of one row (a row alone has no batch statistics: its normalized net
    input is 0, so it teaches the layers below nothing; PyTorch refuses it too)."""
    if not estimator.batch_norm:
        return
    if not n_hidden:
        no_hidden_layer("batch_norm=True", "batch_norm=False")
    if estimator.solver != "lbfgs" and estimator.batch_size == 1:
        raise ValueError(
            "batch_norm=True cannot train with batch_size=1: a batch of one sample has "
            "no batch statistics (its normalized net input is 0), so training would "
            "teach the layers below nothing. Use batch_size >= 2 (or 'auto'), or "
            "batch_norm=False."
        )
