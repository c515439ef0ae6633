"""The fitted state: the parameters a fit starts from, and the attributes it leaves.

A fit starts from new parameters (the plan's initializer), or from ``coefs_`` and
``intercepts_`` (fitted, or assigned by the user: ``check_layer_arrays`` checks them)
and batch normalization's arrays; a fresh fit resets the history; at the end it stores
the fitted attributes. Prediction reads the weights back through ``FittedLayers``.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._engine.initializers import initialize_layers
from ._engine.network import Parameters
from ._utils.speed import all_finite


class FittedLayers(NamedTuple):
    """Fitted weights seen through the interface of ``Parameters`` (for prediction)."""

    coefs: list
    intercepts: list
    norm_scales: list = []
    norm_shifts: list = []
    running_means: list = []
    running_vars: list = []

    @property
    def dtype(self):
        return self.coefs[0].dtype


#: Fitted attributes of batch normalization, in the order of ``Parameters.arrays``.
NORM_ATTRIBUTES = ("batch_norm_scales_", "batch_norm_shifts_", "running_means_",
                   "running_vars_")


def starting_parameters(estimator, plan, rng, dtype, reuse, fitted, init=None,
                        in_place=False):
    """The parameters this fit starts from: ``coefs_``/``intercepts_`` when ``reuse``
    (``fitted``: by a fit, else assigned by the user), new ones drawn from ``rng``
    by the plan's initializer otherwise; then a single layer's ``init``, ``(coef_init,
    intercept_init)`` as scikit-learn's linear models take them, replaces what it
    gives.

    With ``in_place``, fitted weights that are still the views of one vector that the
    last fit stored (``stored_parameters``) are trained where they are instead of
    being copied: a ``partial_fit`` on a wide model then costs what its rows cost. The
    caller keeps what it needs to put them back (``Parameters.in_place`` tells).
    """
    if reuse and in_place and init is None:
        params = stored_parameters(estimator, plan.network, dtype)
        if params is not None:
            return params
    if reuse:
        params = _reused_parameters(estimator, plan.network, dtype, fitted)
    else:
        params = _initial_parameters(plan, rng, dtype)
    coef_init, intercept_init = (None, None) if init is None else init
    n_features, n_outputs = plan.network.layer_units[0], plan.network.layer_units[-1]
    if coef_init is not None:
        coef = check_init("coef_init", coef_init, (n_outputs, n_features), dtype)
        params.coefs[0][...] = coef.T
    if intercept_init is not None:
        if not plan.network.fit_intercept:
            raise ValueError(
                "intercept_init was given with fit_intercept=False, which keeps the "
                "intercept at zero. Set fit_intercept=True, or leave intercept_init out."
            )
        params.intercepts[0][...] = check_init("intercept_init", intercept_init,
                                                (n_outputs,), dtype)
    return params


def check_init(name, value, shape, dtype):
    """``coef_init`` or ``intercept_init`` checked against ``shape`` and converted to
    ``dtype``: for one output unit, scikit-learn's shapes ``(n_features,)`` and a
    scalar are taken too."""
    if sp.issparse(value):
        value = value.toarray()
    try:
        if shape[0] == 1 and np.ndim(value) == len(shape) - 1:
            value = np.reshape(value, shape)
    except ValueError:  # ragged nested lists: _check_layer_array says so
        pass
    what = "(n_outputs, n_features)" if len(shape) == 2 else "(n_outputs,)"
    return _check_layer_array(name, value, shape, dtype, f"it must have shape {what}.")


def _initial_parameters(plan, rng, dtype):
    network = plan.network
    params = Parameters(network.layer_units, dtype, norm_units=network.norm_units)
    params.reset_norm()
    if plan.init == "zeros":  # a new vector is zeros: no other copy, nothing drawn
        return params
    coefs, intercepts = initialize_layers(
        network.layer_units, plan.init, rng, dtype, logistic_layers=plan.logistic_layers
    )
    if not network.fit_intercept:
        for b in intercepts:
            b.fill(0)
    for dst, src in zip(params.coefs + params.intercepts, coefs + intercepts):
        dst[...] = src
    return params


def stored_parameters(estimator, network, dtype):
    """The ``Parameters`` whose views ``coefs_``, ``intercepts_`` (and batch
    normalization's arrays) still are, as ``store_fit`` left them, with finite values;
    else None (the weights were assigned, replaced, unpickled, or hold a NaN: the
    checked copy of ``_reused_parameters`` then decides)."""
    coefs = getattr(estimator, "coefs_", None)
    if not isinstance(coefs, list) or not coefs or not isinstance(coefs[0], np.ndarray):
        return None
    flat = coefs[0].base
    if not (isinstance(flat, np.ndarray) and flat.ndim == 1 and flat.dtype == dtype
            and flat.flags.c_contiguous and flat.flags.writeable):
        return None
    try:
        params = Parameters(network.layer_units, dtype, flat=flat,
                            norm_units=network.norm_units)
    except ValueError:  # another size: not this network's vector
        return None
    names = ("coefs_", "intercepts_", *(NORM_ATTRIBUTES if network.batch_norm else ()))
    views = [params.coefs, params.intercepts, params.norm_scales, params.norm_shifts,
             params.running_means, params.running_vars]
    for name, expected in zip(names, views):
        arrays = getattr(estimator, name, None)
        if not isinstance(arrays, list) or len(arrays) != len(expected):
            return None
        for array, view in zip(arrays, expected):
            if not (isinstance(array, np.ndarray) and array.base is flat
                    and array.shape == view.shape and array.strides == view.strides
                    and array.ctypes.data == view.ctypes.data):
                return None
    if network.batch_norm != hasattr(estimator, NORM_ATTRIBUTES[0]):
        return None
    if not all_finite(flat):
        return None
    params.in_place = True
    return params


def _reused_parameters(estimator, network, dtype, fitted):
    """``coefs_``/``intercepts_`` (fitted or assigned), checked, in a new vector;
    with batch normalization its four lists of per-layer arrays too."""
    units = network.layer_units
    hint = ("warm_start/partial_fit cannot change the network's shape. Set warm_start="
            "False to fit from scratch." if fitted else "Starting weights of your own "
            "must fit the network that the data and the parameters define.")
    if fitted and hasattr(estimator, NORM_ATTRIBUTES[0]) != network.batch_norm:
        raise ValueError(
            "warm_start/partial_fit cannot add or remove batch normalization: the "
            f"fitted model has batch_norm={not network.batch_norm}. Set "
            "warm_start=False to fit from scratch."
        )
    coefs = check_layer_arrays("coefs_", getattr(estimator, "coefs_", None),
                               zip(units[:-1], units[1:]), dtype, hint)
    intercepts = check_layer_arrays("intercepts_", getattr(estimator, "intercepts_", None),
                                    [(u,) for u in units[1:]], dtype, hint)
    norm = None
    if network.batch_norm:
        # Starting weights of one's own need not include batch normalization's:
        # those the user leaves out start where a new fit's do (gamma 1, beta 0,
        # running mean 0 and variance 1).
        start = Parameters(units, dtype, norm_units=network.norm_units)
        start.reset_norm()
        defaults = (start.norm_scales, start.norm_shifts, start.running_means,
                    start.running_vars)
        norm = [check_layer_arrays(name, getattr(estimator, name, None if fitted else default),
                                   [(u,) for u in network.norm_units], dtype, hint)
                for name, default in zip(NORM_ATTRIBUTES, defaults)]
    return Parameters.from_layers(coefs, intercepts, dtype, norm)


def reset_history(estimator):
    """A fresh fit's history: no epochs, no samples seen, no validation, no optimizer."""
    estimator.n_iter_ = 0
    estimator.t_ = 0
    estimator.loss_curve_ = []
    estimator.best_loss_ = np.inf
    estimator.validation_scores_ = None
    estimator.validation_loss_curve_ = None
    estimator.gradient_norms_ = None  # set by store_fit, which knows the number of layers
    estimator.saturation_ = None
    estimator.learning_rates_ = []
    estimator.gradient_norm_curve_ = np.empty(0)
    estimator.clipped_steps_ = np.empty(0, np.int64)
    estimator.best_validation_score_ = None
    estimator._best_weights = None
    if hasattr(estimator, "_optimizer"):
        del estimator._optimizer


def model_attributes(plan, params):
    """The attributes that make a model of the plan's network at the weights
    ``params``, ready to predict with the label encoding a fit sets first:
    ``coefs_``, ``intercepts_``, batch normalization's arrays when the network has it,
    and the network's shape and output."""
    network = plan.network
    attributes = {"coefs_": params.coefs, "intercepts_": params.intercepts}
    if network.batch_norm:
        norm = (params.norm_scales, params.norm_shifts, params.running_means,
                params.running_vars)
        attributes.update(zip(NORM_ATTRIBUTES, norm))
    attributes["n_layers_"] = network.n_layers + 1
    attributes["n_outputs_"] = network.layer_units[-1]
    attributes["out_activation_"] = plan.out_activation
    return attributes


def store_fit(estimator, plan, params, result):
    """The fitted attributes after a fit or partial_fit that ran as ``result`` says."""
    for name in NORM_ATTRIBUTES:
        if hasattr(estimator, name):
            delattr(estimator, name)
    for name, value in model_attributes(plan, params).items():
        setattr(estimator, name, value)
    estimator.n_iter_ = result.n_iter
    estimator.t_ = estimator.t_ + result.n_samples_seen
    estimator.stop_reason_ = result.stop_reason
    extend_record(estimator, "loss_curve_", result.loss_curve)
    _store_history(estimator, plan.network, result)
    if np.isfinite(result.loss):
        estimator.loss_ = result.loss
    elif not hasattr(estimator, "loss_"):
        estimator.loss_ = None  # diverged before completing an epoch: no finite loss seen
    if plan.solver == "lbfgs":
        estimator.best_loss_ = None
    else:
        _store_validation(estimator, result)


def _store_history(estimator, network, result):
    """Append the call's records of each epoch (see ``_training.history``): gradient
    norms and saturation, the global norm before clipping, the clipped steps, the
    learning rate. A record kept from a fit of another shape (or none) starts anew."""
    records = (
        ("gradient_norms_", result.gradient_norms, np.empty((0, network.n_layers))),
        ("saturation_", result.saturation, np.empty((0, network.n_layers - 1))),
        ("gradient_norm_curve_", result.total_norms, np.empty(0)),
        ("clipped_steps_", result.clipped, np.empty(0, np.int64)),
    )
    for name, rows, empty in records:
        _append_rows(estimator, name, empty if rows is None else rows, empty)
    rates = result.learning_rates or [np.nan] * len(result.loss_curve)  # L-BFGS: none
    extend_record(estimator, "learning_rates_", rates)


def extend_record(estimator, name, values):
    """Append ``values`` to the list ``estimator.<name>`` in place, as scikit-learn's
    MLP appends to its ``loss_curve_`` (a copy at every call would make a long stream
    of partial_fit calls quadratic); a failed call gives the list back its length
    (``_estimator._unchanged_on_error``)."""
    kept = getattr(estimator, name, None)
    if type(kept) is not list:  # None before a first record, or another sequence
        kept = [] if kept is None else list(kept)
        setattr(estimator, name, kept)
    kept.extend(values)


#: The buffers the per-epoch arrays of the history are views of (``_append_rows``):
#: (the estimator's id, {attribute: (buffer, the view last stored)}); not saved.
RECORD_BUFFERS = "_record_buffers"


def _append_rows(estimator, name, rows, empty):
    """``estimator.<name>`` (one row per epoch so far) with ``rows`` appended.

    The attribute is a view of the first rows of a buffer with room to spare, which
    the next call fills on while the attribute is still the view it stored: a long
    stream of partial_fit calls appends in amortised constant time instead of copying
    the whole record every call. No view ever shows the rows past its end, so one kept
    by the user, or put back after a failed call (the next call then starts a new
    buffer), stays as it was. The buffers belong to one estimator: a shallow copy's
    first append makes its own."""
    before = getattr(estimator, name, None)
    if before is None or before.shape[1:] != empty.shape[1:]:
        before = empty
    rows = np.asarray(rows).astype(empty.dtype, copy=False)
    n, k = before.shape[0], rows.shape[0]
    owner, buffers = estimator.__dict__.get(RECORD_BUFFERS, (None, None))
    if owner != id(estimator):
        buffers = {}
        setattr(estimator, RECORD_BUFFERS, (id(estimator), buffers))
    buffer, stored = buffers.get(name, (None, None))
    if before is not stored or buffer.shape[0] < n + k or buffer.dtype != empty.dtype:
        buffer = np.empty((max(2 * (n + k), 8), *empty.shape[1:]), empty.dtype)
        buffer[:n] = before
    buffer[n:n + k] = rows
    view = buffer[:n + k]
    buffers[name] = (buffer, view)
    setattr(estimator, name, view)


def _store_validation(estimator, result):
    monitored_validation = (estimator.early_stopping
                            and result.best_validation_score is not None)
    if result.best_params is not None:
        estimator._best_weights = result.best_params
    if result.validation_scores:
        extend_record(estimator, "validation_scores_", result.validation_scores)
        extend_record(estimator, "validation_loss_curve_", result.validation_loss_curve)
        estimator.best_validation_score_ = float(np.max(estimator.validation_scores_))
    if monitored_validation:
        estimator.best_loss_ = None
    elif estimator.loss_curve_:
        # The minimum of the whole curve. Unless None (early stopping, L-BFGS), the
        # best loss so far is that of the curve before this call's epochs (a new
        # fit starts both anew): the minimum of the two is the same (NaN included)
        # without reading the whole curve at every partial_fit.
        before = estimator.best_loss_
        curve = estimator.loss_curve_ if before is None else [before, *result.loss_curve]
        estimator.best_loss_ = float(np.min(curve))


def fitted_layers(estimator):
    """The fitted weights, as prediction reads them."""
    return FittedLayers(estimator.coefs_, estimator.intercepts_,
                        *(getattr(estimator, name, []) for name in NORM_ATTRIBUTES))


def check_layer_arrays(name, arrays, shapes, dtype, hint=""):
    """``arrays``, one per layer, checked against ``shapes`` and converted to ``dtype``.

    ``name`` is the attribute the arrays come from (``coefs_``, ``intercepts_``, or any
    other per-layer list of parameters); every error names it, the layer and the shapes
    the network needs, and ends with ``hint``. Real integer or float arrays are
    converted; anything else (bool, complex, object, strings) is a TypeError, and a
    wrong number of layers, a wrong shape or a non-finite value (also after the
    conversion) a ValueError. Returns a new list of arrays.
    """
    shapes = [tuple(shape) for shape in shapes]
    needs = f"{name} must be {len(shapes)} arrays of shapes {shapes}"
    if arrays is None:
        raise ValueError(f"{name} is not set; {needs}. {hint}".rstrip())
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of arrays, one per layer, not "
            f"{type(arrays).__name__}; {needs}. {hint}".rstrip()
        )
    if len(arrays) != len(shapes):
        raise ValueError(
            f"{name} has {len(arrays)} arrays; the network has {len(shapes)} layers: "
            f"{needs}. {hint}".rstrip()
        )
    return [
        _check_layer_array(f"{name}[{i}]", array, shape, dtype, f"{needs}. {hint}".rstrip())
        for i, (array, shape) in enumerate(zip(arrays, shapes))
    ]


def _check_layer_array(name, array, shape, dtype, needs):
    if sp.issparse(array):  # coef_ after sparsify()
        array = array.toarray()
    try:
        array = np.asarray(array)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} is not an array of numbers ({exc}); {needs}") from exc
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} has dtype {array.dtype}; starting weights must be real numbers "
            f"(integer or float); {needs}"
        )
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}; the network needs {shape}; {needs}")
    with np.errstate(over="ignore"):
        converted = array.astype(dtype)  # a copy: the user's array is never trained
    if not all_finite(converted):
        problem = (
            "non-finite values (NaN or infinity)" if not np.isfinite(array).all() else
            f"values beyond the range of {np.dtype(dtype).name}, the dtype of X in "
            "which the network computes"
        )
        raise ValueError(f"{name} has {problem}; {needs}")
    return converted
