"""The fitted state: the parameters a fit starts from, and the attributes it leaves.

``FittedStateMixin`` gives ``BaseNetwork`` the three ends of a fit that touch the
estimator's attributes: new or reused parameters at the start (``coefs_`` and
``intercepts_``, fitted or assigned by the user, and batch normalization's arrays), the
history reset by a fresh fit, and the attributes stored at the end. Prediction reads
the weights back through ``FittedLayers``.
"""

from typing import NamedTuple

import numpy as np

from ._training.data import check_layer_arrays
from ._engine.initializers import initialize_layers
from ._engine.network import Parameters


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


class FittedStateMixin:
    """Start and end of a fit, on the estimator's attributes (see the module)."""

    def _initial_parameters(self, network, rng, dtype):
        method, logistic_layers = self._weight_init(network)
        coefs, intercepts = initialize_layers(
            network.layer_units, method, rng, dtype, logistic_layers=logistic_layers
        )
        if not network.fit_intercept:
            for b in intercepts:
                b.fill(0)
        params = Parameters(network.layer_units, dtype, norm_units=network.norm_units)
        for dst, src in zip(params.coefs + params.intercepts, coefs + intercepts):
            dst[...] = src
        params.reset_norm()
        return params

    def _reuse_parameters(self, network, dtype, fitted):
        """``coefs_``/``intercepts_`` (fitted or assigned), checked, in a new vector;
        with batch normalization its four lists of per-layer arrays too."""
        units = network.layer_units
        hint = ("warm_start/partial_fit cannot change the network's shape. Set warm_start="
                "False to fit from scratch." if fitted else "Starting weights of your own "
                "must fit the network that the data and the parameters define.")
        if fitted and hasattr(self, NORM_ATTRIBUTES[0]) != network.batch_norm:
            raise ValueError(
                "warm_start/partial_fit cannot add or remove batch normalization: the "
                f"fitted model has batch_norm={not network.batch_norm}. Set "
                "warm_start=False to fit from scratch."
            )
        coefs = check_layer_arrays("coefs_", getattr(self, "coefs_", None),
                                   zip(units[:-1], units[1:]), dtype, hint)
        intercepts = check_layer_arrays("intercepts_", getattr(self, "intercepts_", None),
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
            norm = [check_layer_arrays(name, getattr(self, name, None if fitted else default),
                                       [(u,) for u in network.norm_units], dtype, hint)
                    for name, default in zip(NORM_ATTRIBUTES, defaults)]
        return Parameters.from_layers(coefs, intercepts, dtype, norm)

    def _reset_history(self):
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.gradient_norms_ = None  # set by _store, which knows the number of layers
        self.saturation_ = None
        self.best_validation_score_ = None
        self._best_weights = None
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _model_attributes(self, network, params):
        """The attributes that make a model of ``network`` at the weights ``params``,
        ready to predict with the label encoding, network and loss a fit sets first:
        ``coefs_``, ``intercepts_``, batch normalization's arrays when the network
        has it, and the network's shape and output."""
        attributes = {"coefs_": params.coefs, "intercepts_": params.intercepts}
        if network.batch_norm:
            norm = (params.norm_scales, params.norm_shifts, params.running_means,
                    params.running_vars)
            attributes.update(zip(NORM_ATTRIBUTES, norm))
        attributes["n_layers_"] = network.n_layers + 1
        attributes["n_outputs_"] = network.layer_units[-1]
        attributes["out_activation_"] = self._output_spec().out_activation
        return attributes

    def _store(self, problem, result):
        for name in NORM_ATTRIBUTES:
            if hasattr(self, name):
                delattr(self, name)
        model = self._model_attributes(problem.network, problem.params)
        for name, value in model.items():
            setattr(self, name, value)
        self.n_iter_ = result.n_iter
        self.t_ = self.t_ + result.n_samples_seen
        self.stop_reason_ = result.stop_reason
        self.loss_curve_ = list(self.loss_curve_) + result.loss_curve
        self._store_history(problem.network, result)
        if np.isfinite(result.loss):
            self.loss_ = result.loss
        elif not hasattr(self, "loss_"):
            self.loss_ = None  # diverged before completing an epoch: no finite loss seen
        if self._solver == "lbfgs":
            self.best_loss_ = None
        else:
            self._store_validation(result)

    def _store_history(self, network, result):
        """Append the call's gradient norms and saturation (see ``_history``)."""
        shapes = (network.n_layers, network.n_layers - 1)
        for name, rows, width in zip(("gradient_norms_", "saturation_"),
                                     (result.gradient_norms, result.saturation), shapes):
            before = getattr(self, name, None)
            if before is None or before.shape[1] != width:
                before = np.empty((0, width))
            if rows is None:
                rows = np.empty((0, width))
            setattr(self, name, np.concatenate([before, rows]))

    def _store_validation(self, result):
        monitored_validation = self.early_stopping and result.best_validation_score is not None
        if result.best_params is not None:
            self._best_weights = result.best_params
        if result.validation_scores:
            self.validation_scores_ = list(self.validation_scores_ or []) + result.validation_scores
            self.validation_loss_curve_ = (list(getattr(self, "validation_loss_curve_", None)
                                                or []) + result.validation_loss_curve)
            self.best_validation_score_ = float(np.max(self.validation_scores_))
        if monitored_validation:
            self.best_loss_ = None
        elif self.loss_curve_:
            # The minimum of the whole curve. Unless None (early stopping, L-BFGS), the
            # best loss so far is that of the curve before this call's epochs (a new
            # fit starts both anew): the minimum of the two is the same (NaN included)
            # without reading the whole curve at every partial_fit.
            before = self.best_loss_
            curve = self.loss_curve_ if before is None else [before, *result.loss_curve]
            self.best_loss_ = float(np.min(curve))

    def _fitted_layers(self):
        """The fitted weights, as prediction reads them."""
        return FittedLayers(self.coefs_, self.intercepts_,
                            *(getattr(self, name, []) for name in NORM_ATTRIBUTES))
