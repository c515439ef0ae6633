"""The shared estimator base: validate -> encode targets -> initialise -> train -> attributes.

``BaseNetwork`` runs every fit of the four estimators. It only orchestrates: the targets
are encoded by ``_targets``, the data prepared by ``_data``, the network built by
``_network``, the stopping criteria by ``_stopping``, the training run by ``_training``
or ``_lbfgs``, the fitted state saved by ``_persistence``, and scikit-learn's
callbacks told of each epoch by ``_callbacks``. A concrete estimator
supplies the hooks listed in the class docstring; ``NetworkClassifier`` and
``NetworkRegressor`` add what differs between predicting labels and values.
"""

import copy
from contextlib import contextmanager
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._engine.activations import get_activation
from ._training.callbacks import CallbacksMixin, start_fit_tasks
from ._utils.compat import Interval, Options, _fit_context, validate_data
from ._training.data import (
    TrainingData,
    check_sample_weight,
    hold_out,
    scaled,
    validation_split,
)
from ._fitted import FittedStateMixin
from ._training.lbfgs import LbfgsSettings, train_lbfgs
from ._engine.network import Network, Parameters, predict_output
from ._engine.penalty import Penalty
from ._persistence import PlainStateMixin
from ._training.stopping import Divergence, SinglePass, stopping_criteria
from ._targets import as_1d_column
from ._utils.speed import SeededPermutations, blas_threads
from ._training.stochastic import StochasticSettings, train_stochastic


class OutputSpec(NamedTuple):
    """The output layer of an estimator's network."""

    activation: str  # the output activation the network trains with
    loss: object  # the loss (a ``_losses.Loss``)
    out_activation: str  # reported as ``out_activation_``: what predictions apply


class _Problem(NamedTuple):
    """Everything a training loop needs, ready to use."""

    network: Network
    loss: object
    params: Parameters
    data: TrainingData
    validation: object  # (X, y, sample_weight) or None
    y: np.ndarray  # targets as given (labels for classifiers), for the validation split


@contextmanager
def _unchanged_on_error(estimator, always=False, copies=()):
    """Put the estimator's attributes back as they were if the block raises.

    A fit that fails on bad input then leaves a fitted model as it was, and an
    unfitted one unfitted. The copy is shallow: fitting replaces attributes rather than
    changing them in place, except those named in ``copies``, copied in full (the
    optimizer that partial_fit continues, when a callback can fail after its steps).
    """
    saved = dict(estimator.__dict__)
    for name in copies:
        if name in saved:
            saved[name] = copy.deepcopy(saved[name])
    try:
        yield
    except BaseException:
        always = True
        raise
    finally:
        if always:
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)


def check_partial_fit(estimator):
    """``partial_fit`` exists for the stochastic solvers only (``available_if``)."""
    if estimator._solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            "lbfgs is not stochastic."
        )
    return True


class BaseNetwork(PlainStateMixin, FittedStateMixin, CallbacksMixin, BaseEstimator):
    """Fit machinery shared by the perceptrons and the multi-layer perceptrons.

    Hooks a concrete estimator provides:

    - ``_hidden_layers()``: (sizes, activation names) of the hidden layers;
    - ``_output_spec()``: the ``OutputSpec`` (output activation, loss, out_activation_);
    - ``_weight_init(network)``: (initializer name, indices of logistic layers);
    - ``_make_optimizer(size, dtype)``: a fresh ``SGD`` or ``Adam``;
    - ``_batch_size(n_samples)``: samples per update;
    - ``_solver``: property, 'sgd', 'adam' or 'lbfgs';
    - ``_fit_intercept``: property, whether biases are learned;
    - ``_check_params()``: checks across parameters (default: none);
    - ``_penalty_strengths()``, ``_continued_online_state(params, l1)``: the penalty,
      the state of averaged SGD and the online loop's cumulative L1 penalty;
    - ``_training_layers(n_hidden)``: (dropout rates, batch normalization, its
      momentum) of the hidden layers;
    - ``_fit_targets(y, first_pass=, classes=)``: learn or check the target set;
    - ``_encode_targets(y, dtype)``: targets as network output columns;
    - ``_is_plain_y(y)``: whether a later partial_fit's 1-d ndarray y needs no
      validation beyond ``_encode_targets``;
    - ``_sample_weight(X, y, sample_weight)``: the weights of the loss (classifiers
      multiply in class weights);
    - ``_score_output(P, y, sample_weight)``: the validation score of outputs P;
    - ``_divergence_hint``: class attribute, what to try when training diverges;
    - ``_patience_offset``: class attribute, non-improving epochs beyond
      ``n_iter_no_change`` that stop training (scikit-learn's MLP 1, its linear models 0).
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "loss_threshold": [Interval(Real, None, None, closed="neither"), None],
    }

    _divergence_hint = (
        "a smaller learning_rate_init, scaling the inputs and targets, or a smaller "
        "momentum (solver='sgd')"
    )
    _patience_offset = 1

    def _check_params(self):
        """Checks across parameters that the declarative constraints cannot express."""

    def _penalty_strengths(self):
        """The weights' penalty (``_engine.penalty.Penalty``)."""
        return Penalty(float(self.alpha), 0.0)

    def _training_layers(self, n_hidden):
        """(dropout rate per hidden layer or (), batch normalization, its momentum)."""
        return (), False, None

    def _continued_online_state(self, params, l1):
        """The ``OnlineState`` (averaged SGD, the cumulative L1 penalty's debts) this
        stochastic fit continues or starts, or None."""
        return None

    # ----------------------------------------------------------------- validation
    def _validate_Xy(self, X, y, reset):
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
            dtype=(np.float64, np.float32), y_numeric=not isinstance(self, ClassifierMixin),
            reset=reset,
        )

    def _is_plain_X(self, X):
        """Whether scikit-learn's validation would return X unchanged.

        A float ndarray of the fitted width, all finite, for a model fitted without
        feature names. That validation costs about 60 us per call: most of a one-row
        prediction, or of a partial_fit on a few rows. Anything else (and any error)
        goes through it as usual.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (get_config()["assume_finite"] or np.isfinite(X).all())
        )

    def _validate_X(self, X):
        if self._is_plain_X(X):
            return X
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )

    def _validate_more(self, X, y):
        """(X, y) of a later partial_fit: plain arrays pass as ``predict``'s X does."""
        if (
            type(y) is np.ndarray
            and y.ndim == 1
            and y.shape[0] == getattr(X, "shape", (None,))[0]
            and self._is_plain_y(y)
            and self._is_plain_X(X)
        ):
            return X, y
        return self._validate_Xy(X, y, reset=False)

    def _sample_weight(self, X, y, sample_weight):
        """Validated sample weights (float64), or None when all are 1."""
        return check_sample_weight(sample_weight, X)

    # ----------------------------------------------------------------- building
    def _build_network(self, n_features, n_outputs):
        sizes, activations = self._hidden_layers()
        spec = self._output_spec()
        dropout, batch_norm, _ = self._training_layers(len(sizes))
        network = Network(
            layer_units=(n_features, *sizes, n_outputs),
            hidden_activations=tuple(get_activation(a) for a in activations),
            output_activation=get_activation(spec.activation),
            fit_intercept=self._fit_intercept,
            dropout=tuple(dropout),
            batch_norm=batch_norm,
        )
        return network, spec.loss

    def _prepare(self, X, y, sample_weight=None, X_val=None, y_val=None, *,
                 incremental=False, classes=None):
        """Validate and encode everything; initialise or reuse the parameters.

        partial_fit and a warm start continue from ``coefs_``/``intercepts_``, fitted
        or assigned by the user. On an estimator never fitted, assigned weights are the
        only state reused: X, y and the classes are validated and learned as by a first
        fit (``first_pass``).
        """
        self._check_params()
        reuse = (incremental or self.warm_start) and (
            hasattr(self, "coefs_") or hasattr(self, "intercepts_"))
        fitted = hasattr(self, "_net")  # set by every fit, and kept by pickling
        first_pass = not (reuse and fitted)
        if incremental and not first_pass:
            X, y = self._validate_more(X, y)
        else:
            X, y = self._validate_Xy(X, y, reset=first_pass)
        y = as_1d_column(y)
        self._fit_targets(y, first_pass=first_pass, classes=classes)
        Y = self._encode_targets(y, X.dtype)
        sample_weight = self._sample_weight(X, y, sample_weight)
        network, loss = self._build_network(X.shape[1], Y.shape[1])
        self._rng = self._random_state(later_pass=incremental and not first_pass)
        if reuse:
            params = self._reuse_parameters(network, X.dtype, fitted)
        else:
            params = self._initial_parameters(network, self._rng, X.dtype)
        if first_pass:
            self._reset_history()
        validation = self._validation_data(X, X_val, y_val)
        self._net, self._loss = network, loss
        return _Problem(network, loss, params, TrainingData(X, Y, sample_weight),
                        validation, y)

    def _random_state(self, later_pass):
        """The random generator of this fit, a new one from ``random_state``.

        A later partial_fit draws from it once, the order of its rows. For an integer
        seed that order depends on the number of rows alone, so it is remembered
        (``SeededPermutations``) instead of seeding a new generator (about 250 us, the
        largest cost of a partial_fit on ten rows).
        """
        if later_pass and isinstance(self.random_state, Integral):
            return SeededPermutations(self.random_state)
        return check_random_state(self.random_state)

    def _noise_rng(self, incremental):
        """The generator of dropout's masks: the fit's own, except for a later
        partial_fit with an integer seed, whose generator is new at every call (see
        ``_random_state``): one seeded by (seed, samples seen) then gives every call
        masks of its own, still reproducible."""
        if incremental and isinstance(self.random_state, Integral) and self.t_:
            return np.random.RandomState([self.random_state % 2**32, self.t_ % 2**32])
        if isinstance(self._rng, SeededPermutations):
            return check_random_state(self.random_state)
        return self._rng

    def _training(self, network, incremental):
        """(the generator of dropout's masks, batch normalization's momentum) of a
        network that trains differently from how it predicts; else None, without
        making a generator (seeding one took a partial_fit on ten rows from 602 to
        712 us)."""
        if not network.trains_differently:
            return None
        return (self._noise_rng(incremental),
                self._training_layers(network.n_layers - 1)[2])

    def _validation_data(self, X, X_val, y_val):
        """A validation set of the user's own, validated, as (X, y, None); or None."""
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        if self._solver == "lbfgs":
            raise ValueError(
                "X_val/y_val are scored after every epoch of a stochastic solver; "
                "solver='lbfgs' has no epochs. Use solver='sgd' or 'adam'."
            )
        X_val, y_val = self._validate_Xy(X_val, y_val, reset=False)
        y_val = as_1d_column(y_val)
        self._encode_targets(y_val, X.dtype)  # checks that the labels are known
        return X_val, y_val, None

    # ----------------------------------------------------------------- training
    def _fit(self, X, y, sample_weight=None, X_val=None, y_val=None, *, incremental=False,
             classes=None):
        # The callbacks' root task begins first: the attributes it leaves are removed by
        # scikit-learn's fit context, after the callbacks' teardown, even on failure.
        tasks = start_fit_tasks(self, X, y, sample_weight, partial=incremental)
        with _unchanged_on_error(self, copies=("_optimizer",) if tasks else ()):
            problem = self._prepare(
                X, y, sample_weight, X_val, y_val, incremental=incremental, classes=classes
            )
            epoch_tasks = None if incremental else tasks  # partial_fit: one task, the root
            # Overflow is detected and reported as divergence; numpy's own warnings
            # about it would only repeat that less clearly.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                if self._solver == "lbfgs":
                    result = self._train_lbfgs(problem, epoch_tasks)
                else:
                    result = self._train_stochastic(problem, incremental, epoch_tasks)
            self._store(problem, result)
            if tasks is not None:
                tasks.end_fit()
        return self

    def _train_lbfgs(self, problem, tasks=None):
        data, penalty = scaled(problem.data, self._penalty_strengths())
        settings = LbfgsSettings(alpha=penalty.l2, max_iter=self.max_iter, max_fun=self.max_fun,
                                 tol=self.tol, loss_threshold=self.loss_threshold,
                                 verbose=self.verbose, tasks=tasks)
        with blas_threads(problem.network, data.n_samples):
            return train_lbfgs(problem.network, problem.loss, problem.params, data,
                               settings)

    def _split_validation(self, problem):
        """(training data, validation triple or None) for this fit."""
        if problem.validation is not None:
            return problem.data, problem.validation
        if not self.early_stopping:
            return problem.data, None
        y = problem.y
        stratify = isinstance(self, ClassifierMixin) and y.ndim == 1 and (
            self._stratify_all_classes or problem.network.layer_units[-1] == 1)
        idx_train, idx_val = validation_split(
            y, problem.data.n_samples, self.validation_fraction, self._rng, stratify)
        return hold_out(problem.data, y, idx_train, idx_val)

    def _scorer(self, network, loss, validation, dtype):
        """``params -> (validation score, validation loss)`` from one forward pass
        (-inf and NaN for non-finite outputs), or None."""
        if validation is None:
            return None
        X_val, y_val, sw_val = validation
        if sw_val is not None and not sw_val.any():
            # Every validation sample has weight 0: a weighted score would average
            # nothing, so score them alike rather than stop the fit.
            sw_val = None
        Y_val = self._encode_targets(y_val, dtype)

        def score(params):
            P = predict_output(network, params, X_val)
            if not np.isfinite(P).all():
                return -np.inf, np.nan
            return self._score_output(P, y_val, sw_val), loss.value(Y_val, P, sw_val)

        return score

    def _criteria(self, monitor_validation, incremental, callbacks=False):
        if incremental:  # partial_fit: exactly one pass over the data given
            return [SinglePass()]
        best = self.best_validation_score_ if monitor_validation else self.best_loss_
        return stopping_criteria(
            max_iter=self.max_iter, tol=self.tol,
            patience=self.n_iter_no_change + self._patience_offset,
            loss_threshold=self.loss_threshold, monitor_validation=monitor_validation,
            best=best, callbacks=callbacks,
        )

    def _train_stochastic(self, problem, incremental, tasks=None):
        if incremental:  # one pass over the data given: no validation split
            data, validation = problem.data, problem.validation
        else:
            data, validation = self._split_validation(problem)
        data, penalty = scaled(data, self._penalty_strengths())
        alpha, l1 = penalty.l2, penalty.l1
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(
                problem.params.n_trainable, problem.params.dtype
            )
        early = self.early_stopping and validation is not None and not incremental
        best_so_far = None
        if early and getattr(self, "_best_weights", None) is not None:
            best_so_far = (self.best_validation_score_, self._best_weights)
        settings = StochasticSettings(
            batch_size=self._batch_size(data.n_samples), alpha=alpha,
            criteria=self._criteria(early, incremental, callbacks=tasks is not None),
            guards=[Divergence(hint=self._divergence_hint)],
            rng=self._rng if self.shuffle else None,
            validation=self._scorer(problem.network, problem.loss, validation,
                                    problem.params.dtype), restore_best=early,
            best_so_far=best_so_far, verbose=self.verbose, samples_seen=self.t_,
            cache=self.__dict__.setdefault("_buffers", {}) if incremental else None,
            l1=l1, training=self._training(problem.network, incremental),
            online_state=self._continued_online_state(problem.params, l1), tasks=tasks,
        )
        with blas_threads(problem.network, settings.batch_size):
            return train_stochastic(problem.network, problem.loss, problem.params,
                                    self._optimizer, data, settings)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Train the network on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs. float32 inputs give float32 weights and predictions.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels (or a label indicator matrix) for classifiers,
            real values for regressors.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss. Integer weights are equivalent to
            repeating samples when training is full-batch.

        X_val, y_val : array-like, default=None
            A validation set of your own. With ``early_stopping=True`` it replaces the
            held-out ``validation_fraction``; otherwise its score is only recorded in
            ``validation_scores_`` after every epoch. It is not passed through the steps
            of a ``Pipeline``: transform it yourself.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, X_val, y_val)

    # ----------------------------------------------------------------- prediction
    def _output(self, X, apply_output=True):
        """Network output for validated X (no cache)."""
        check_is_fitted(self)
        X = self._validate_X(X)
        layers = self._fitted_layers()
        # Inputs far larger than the training data can overflow a layer to +-inf: the
        # activations and the decision handle infinities, numpy need not warn.
        with np.errstate(over="ignore"):
            return predict_output(self._net, layers, X, apply_output=apply_output)

    def _gradient_problem(self, X, y, sample_weight=None):
        """(network, loss, params, data, alpha, l1) at the current or initial weights.

        Used by ``check_gradients``: nothing is trained and ``self`` is not changed.
        """
        with _unchanged_on_error(self, always=True):
            # A RandomState instance is drawn from by initialisation: use a copy so that
            # checking leaves it where it was.
            self.random_state = copy.deepcopy(self.random_state)
            problem = self._prepare(X, y, sample_weight, incremental=hasattr(self, "coefs_"))
        data, penalty = scaled(problem.data, self._penalty_strengths())
        return problem.network, problem.loss, problem.params, data, penalty.l2, penalty.l1

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
