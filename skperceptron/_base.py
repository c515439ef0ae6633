"""The shared estimator base: validate -> encode targets -> initialise -> train -> attributes.

``BaseNetwork`` runs every fit of the four estimators. A concrete estimator supplies a few
hooks (its hidden layers, its output activation and loss, its optimizer, its batch size),
and ``NetworkClassifier`` / ``NetworkRegressor`` add what differs between predicting
labels and predicting values.
"""

import copy
from contextlib import contextmanager
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._activations import get_activation
from ._compat import Interval, Options, _check_sample_weight, _fit_context, validate_data
from ._initializers import initialize_layers
from ._losses import LOSSES, get_loss
from ._network import Network, Parameters, predict_output
from ._optimizers import SGD, Adam
from ._stopping import FixedPoint, LossThreshold, MaxIterations, NoImprovement
from ._threads import blas_threads
from ._training import TrainingData, train_lbfgs, train_stochastic


class _Layers(NamedTuple):
    """Fitted weights seen through the interface of ``Parameters`` (for prediction)."""

    coefs: list
    intercepts: list


class _Problem(NamedTuple):
    """Everything a training loop needs, ready to use."""

    network: Network
    loss: object
    params: Parameters
    data: TrainingData
    alpha: float
    validation: object  # (X, y, sample_weight) or None
    y: np.ndarray  # targets as given (labels for classifiers), for the validation split


def _normalize_sample_weight(sample_weight, dtype):
    """Rescale weights to mean 1, in ``dtype``. Returns (weights or None, n / sum(w)).

    The objective is sum(w l) / n; with mean-1 weights that is the weighted average loss,
    and ``alpha * scale`` keeps the L2 term at alpha / (2 sum(w)) as with raw weights.
    Weights arrive in float64 and are divided by their largest value first, so that
    neither 1e-300 nor 1e300 overflows on the way (or in the cast to float32).
    """
    if sample_weight is None:
        return None, 1.0
    peak = sample_weight.max()
    if not peak > 0:
        raise ValueError("The sample weights sum to zero: there is nothing to learn from.")
    relative = sample_weight / peak  # in [0, 1], the largest exactly 1
    mean = relative.mean()  # at least 1 / n
    with np.errstate(over="ignore"):
        scale = float(np.float64(1.0) / (mean * peak))  # n / sum(w); inf for sum(w) ~ 0
    return (relative / mean).astype(dtype, copy=False), scale


@contextmanager
def _unchanged_on_error(estimator, always=False):
    """Put the estimator's attributes back as they were if the block raises.

    A fit that fails on bad input then leaves a fitted model as it was, and an
    unfitted one unfitted. The copy is shallow: fitting replaces attributes rather than
    changing them in place.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        always = True
        raise
    finally:
        if always:
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)


# ----------------------------------------------------------------- persistence
# A fitted estimator keeps the network, loss and optimizer objects of its last fit. It is
# saved with them as plain data (names, numbers, arrays) and they are rebuilt on loading,
# so that loading a file with ``skops.io.load`` has to trust only the estimator's class.

_LOSS_NAMES = {cls: name for name, cls in LOSSES.items()}
_OPTIMIZERS = {"SGD": SGD, "Adam": Adam}


def _network_state(network):
    return {
        "layer_units": [int(u) for u in network.layer_units],
        "hidden_activations": [a.name for a in network.hidden_activations],
        "output_activation": network.output_activation.name,
        "fit_intercept": bool(network.fit_intercept),
    }


def _network_from_state(state):
    return Network(
        layer_units=tuple(int(u) for u in state["layer_units"]),
        hidden_activations=tuple(get_activation(a) for a in state["hidden_activations"]),
        output_activation=get_activation(state["output_activation"]),
        fit_intercept=bool(state["fit_intercept"]),
    )


def _loss_state(loss):
    return {"name": _LOSS_NAMES[type(loss)], **vars(loss)}  # vars: parameters (huber: delta)


def _optimizer_state(optimizer):
    # Hyper-parameters, learning rate, step count and moment arrays: the optimizer's
    # attributes are all numbers, strings, arrays or None.
    return {"class": type(optimizer).__name__, **vars(optimizer)}


def _optimizer_from_state(state):
    state = dict(state)
    optimizer = object.__new__(_OPTIMIZERS[state.pop("class")])
    optimizer.__dict__.update(state)
    return optimizer


_PLAIN_STATES = {
    "_net": (_network_state, _network_from_state),
    "_loss": (_loss_state, lambda state: get_loss(**state)),
    "_optimizer": (_optimizer_state, _optimizer_from_state),
}


def _column_as_1d(y):
    """A single target column as a 1-d array, with scikit-learn's conversion warning."""
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


def _scaled_alpha(alpha, scale):
    """alpha for mean-1 weights: alpha * n / sum(w); 0 stays 0 even where the scale is inf."""
    return alpha * scale if alpha else 0.0


class BaseNetwork(BaseEstimator):
    """Fit machinery shared by the perceptrons and the multi-layer perceptrons.

    Subclasses define ``_hidden_layers``, ``_output_spec``, ``_make_optimizer``,
    ``_batch_size``, ``_weight_init`` and the properties ``_solver``, ``_fit_intercept``.
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

    #: What to try when training diverges, for the warning.
    _divergence_hint = (
        "a smaller learning_rate_init, scaling the inputs and targets, or a smaller "
        "momentum (solver='sgd')"
    )
    #: Stop after this many non-improving epochs beyond n_iter_no_change (see _criteria).
    _patience_offset = 1

    # ----------------------------------------------------------------- validation
    def _check_params(self):
        """Checks across parameters that the declarative constraints cannot express."""

    def _validate_Xy(self, X, y, reset):
        return validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            y_numeric=not isinstance(self, ClassifierMixin),
            reset=reset,
        )

    def _validate_X(self, X):
        # Fast path for the common case that scikit-learn's validation would return
        # unchanged: a float ndarray of the fitted width, all finite, for a model fitted
        # without feature names. That validation costs about 60 us per call, most of a
        # one-row prediction; anything else (and any error) goes through it as usual.
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (get_config()["assume_finite"] or np.isfinite(X).all())
        ):
            return X
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )

    def _sample_weight(self, X, y, sample_weight):
        """Validated sample weights times class weights, or None when all are 1."""
        if sample_weight is not None:
            # float64 whatever X is: weights beyond float32's range are legitimate.
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
            )
            if not sample_weight.any():  # scikit-learn >= 1.9 says so itself
                raise ValueError("Sample weights must contain at least one non-zero number.")
        return sample_weight

    # ----------------------------------------------------------------- building
    def _build_network(self, n_features, n_outputs):
        sizes, activations = self._hidden_layers()
        out_name, loss, _ = self._output_spec()
        return (
            Network(
                layer_units=(n_features, *sizes, n_outputs),
                hidden_activations=tuple(get_activation(a) for a in activations),
                output_activation=get_activation(out_name),
                fit_intercept=self._fit_intercept,
            ),
            loss,
        )

    def _initial_parameters(self, network, rng, dtype):
        method = self._weight_init()
        # scikit-learn's scheme uses its factor 2 for every layer of a logistic network;
        # with one activation per hidden layer, each layer follows the hidden layer it
        # feeds (the output layer follows the last hidden layer).
        hidden = [a.name for a in network.hidden_activations]
        if not hidden:  # no hidden layer: scikit-learn still reads its activation
            hidden = [getattr(self, "activation", None)]
        logistic = {
            i for i in range(network.n_layers) if hidden[min(i, len(hidden) - 1)] == "logistic"
        }
        coefs, intercepts = initialize_layers(
            network.layer_units, method, rng, dtype, logistic_layers=logistic
        )
        if not network.fit_intercept:
            for b in intercepts:
                b.fill(0)
        return Parameters.from_layers(coefs, intercepts, dtype)

    def _prepare(
        self, X, y, sample_weight=None, X_val=None, y_val=None, *, incremental=False,
        classes=None,
    ):
        """Validate and encode everything; initialise or reuse the parameters."""
        self._check_params()
        fitted = hasattr(self, "coefs_")
        first_pass = not fitted or (not self.warm_start and not incremental)
        X, y = self._validate_Xy(X, y, reset=first_pass)
        y = _column_as_1d(y)
        self._fit_targets(y, first_pass=first_pass, classes=classes)
        Y = self._encode_targets(y, X.dtype)
        sample_weight = self._sample_weight(X, y, sample_weight)
        network, loss = self._build_network(X.shape[1], Y.shape[1])
        rng = check_random_state(self.random_state)
        self._rng = rng
        if first_pass:
            params = self._initial_parameters(network, rng, X.dtype)
            self._reset_history()
        else:
            params = self._reuse_parameters(network, X.dtype)
        validation = None
        if X_val is not None or y_val is not None:
            if X_val is None or y_val is None:
                raise ValueError("X_val and y_val must be given together.")
            if self._solver == "lbfgs":
                raise ValueError(
                    "X_val/y_val are scored after every epoch of a stochastic solver; "
                    "solver='lbfgs' has no epochs. Use solver='sgd' or 'adam'."
                )
            X_val, y_val = self._validate_Xy(X_val, y_val, reset=False)
            y_val = _column_as_1d(y_val)
            self._encode_targets(y_val, X.dtype)  # checks that the labels are known
            validation = (X_val, y_val, None)
        self._net, self._loss = network, loss
        return _Problem(
            network,
            loss,
            params,
            TrainingData(X, Y, sample_weight),
            self.alpha,
            validation,
            y,
        )

    def _reuse_parameters(self, network, dtype):
        shapes = [W.shape for W in self.coefs_]
        expected = list(zip(network.layer_units[:-1], network.layer_units[1:]))
        if shapes != expected:
            raise ValueError(
                "warm_start/partial_fit cannot change the network's shape: the fitted "
                f"weights have shapes {shapes}, the parameters now ask for {expected}. "
                "Set warm_start=False to fit from scratch."
            )
        return Parameters.from_layers(self.coefs_, self.intercepts_, dtype)

    def _reset_history(self):
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = None
        self.best_validation_score_ = None
        self._best_weights = None
        for name in ("_optimizer",):
            if hasattr(self, name):
                delattr(self, name)

    # ----------------------------------------------------------------- training
    def _fit(self, X, y, sample_weight=None, X_val=None, y_val=None, *, incremental=False,
             classes=None):
        with _unchanged_on_error(self):
            problem = self._prepare(
                X, y, sample_weight, X_val, y_val, incremental=incremental, classes=classes
            )
            # Overflow is detected and reported as divergence; numpy's own warnings
            # about it would only repeat that less clearly.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                if self._solver == "lbfgs":
                    result = self._train_lbfgs(problem)
                else:
                    result = self._train_stochastic(problem, incremental)
            self._store(problem, result)
        return self

    def _train_lbfgs(self, problem):
        data, scale = self._scaled_data(problem.data)
        with blas_threads(problem.network, data.n_samples):
            result = train_lbfgs(
                problem.network,
                problem.loss,
                problem.params,
                data,
                alpha=_scaled_alpha(problem.alpha, scale),
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                loss_threshold=self.loss_threshold,
                verbose=self.verbose,
            )
        if not np.isfinite(problem.params.flat).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may "
                "contain large values and need to be preprocessed."
            )
        return result

    @staticmethod
    def _scaled_data(data):
        sw, scale = _normalize_sample_weight(data.sample_weight, data.Y.dtype)
        return TrainingData(data.X, data.Y, sw), scale

    def _split_validation(self, problem):
        """(training data, validation triple or None) for this fit."""
        if problem.validation is not None:
            return problem.data, problem.validation
        if not self.early_stopping:
            return problem.data, None
        data, y = problem.data, problem.y
        idx_train, idx_val = self._validation_split(y, data.n_samples)
        X_train, Y_train, sw_train = data.take(idx_train)
        X_val, _, sw_val = data.take(idx_val)
        return TrainingData(X_train, Y_train, sw_train), (X_val, y[idx_val], sw_val)

    def _validation_split(self, y, n_samples):
        """Indices (train, validation) for early stopping.

        The validation set gets ``ceil(validation_fraction * n_samples)`` samples, but
        at least 2 (a score on one sample is 0 or 1 and says little). Single-output
        classification is stratified when every class has 2 members or more and the
        validation set can hold one of each; otherwise the split is plain random.
        """
        n_val = max(int(np.ceil(self.validation_fraction * n_samples)), 2)
        if n_val >= n_samples:
            raise ValueError(
                f"The validation set is too small: {n_samples} samples cannot be split "
                f"into training data and a validation set of {n_val}. Increase "
                "'validation_fraction', add data, or pass X_val and y_val."
            )
        stratify = None
        if isinstance(self, ClassifierMixin) and y.ndim == 1:
            _, counts = np.unique(y, return_counts=True)
            if counts.min() >= 2 and n_val >= counts.shape[0]:
                if n_samples - n_val >= counts.shape[0]:
                    stratify = y
        return train_test_split(
            np.arange(n_samples), test_size=n_val, random_state=self._rng, stratify=stratify
        )

    def _criteria(self, monitor_validation):
        criteria = []
        if self.loss_threshold is not None:
            criteria.append(LossThreshold(self.loss_threshold))
        criteria.append(FixedPoint())
        tol = getattr(self, "tol", None)
        if tol is not None:
            # scikit-learn's MLP stops when the count *exceeds* n_iter_no_change,
            # its linear models when it reaches it: _patience_offset keeps each rule.
            patience = self.n_iter_no_change + self._patience_offset
            if monitor_validation:
                best = self.best_validation_score_
                criteria.append(
                    NoImprovement(tol, patience, "validation_score", best=best)
                )
            else:
                best = self.best_loss_ if self.best_loss_ is not None else np.inf
                criteria.append(NoImprovement(tol, patience, "loss", best=best))
        criteria.append(MaxIterations(self.max_iter))
        return criteria

    def _train_stochastic(self, problem, incremental):
        if incremental:  # one pass over the data given: no validation split
            data, validation = problem.data, problem.validation
        else:
            data, validation = self._split_validation(problem)
        data, scale = self._scaled_data(data)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(
                problem.params.flat.shape[0], problem.params.dtype
            )
        score = None
        if validation is not None:
            X_val, y_val, sw_val = validation
            if sw_val is not None and not sw_val.any():
                # Every validation sample has weight 0: a weighted score would average
                # nothing, so score them alike rather than stop the fit.
                sw_val = None
            network = problem.network

            def score(params):
                P = predict_output(network, params, X_val)
                if not np.isfinite(P).all():
                    return -np.inf
                return self._score_output(P, y_val, sw_val)

        early = self.early_stopping and validation is not None and not incremental
        best_so_far = None
        if early and getattr(self, "_best_weights", None) is not None:
            best_so_far = (self.best_validation_score_, self._best_weights)
        batch_size = self._batch_size(data.n_samples)
        with blas_threads(problem.network, batch_size):
            return train_stochastic(
                problem.network,
                problem.loss,
                problem.params,
                self._optimizer,
                data,
                batch_size=batch_size,
                alpha=_scaled_alpha(problem.alpha, scale),
                criteria=self._criteria(monitor_validation=early),
                rng=self._rng if self.shuffle else None,
                validation=score,
                restore_best=early,
                best_so_far=best_so_far,
                single_pass=incremental,
                verbose=self.verbose,
                samples_seen=self.t_,
                divergence_hint=self._divergence_hint,
            )

    def _store(self, problem, result):
        params = problem.params
        self.coefs_ = params.coefs
        self.intercepts_ = params.intercepts
        self.n_layers_ = problem.network.n_layers + 1
        self.n_outputs_ = problem.network.layer_units[-1]
        self.out_activation_ = self._output_spec()[2]
        self.n_iter_ = result.n_iter
        self.t_ = getattr(self, "t_", 0) + result.n_samples_seen
        self.stop_reason_ = result.stop_reason
        self.loss_curve_ = list(getattr(self, "loss_curve_", [])) + result.loss_curve
        if np.isfinite(result.loss):
            self.loss_ = result.loss
        elif not hasattr(self, "loss_"):
            self.loss_ = None  # diverged before completing an epoch: no finite loss seen
        if self._solver == "lbfgs":
            self.best_loss_ = None
            return
        monitored_validation = self.early_stopping and result.best_validation_score is not None
        if result.best_params is not None:
            self._best_weights = result.best_params
        if result.validation_scores:
            self.validation_scores_ = list(self.validation_scores_ or []) + result.validation_scores
            self.best_validation_score_ = float(np.max(self.validation_scores_))
        if monitored_validation:
            self.best_loss_ = None
        elif self.loss_curve_:
            self.best_loss_ = float(np.min(self.loss_curve_))

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
        layers = _Layers(self.coefs_, self.intercepts_)
        # Inputs far larger than the training data can overflow a layer to +-inf: the
        # activations and the decision handle infinities, numpy need not warn.
        with np.errstate(over="ignore"):
            return predict_output(self._net, layers, X, apply_output=apply_output)

    def _gradient_problem(self, X, y, sample_weight=None):
        """(network, loss, params, data, alpha) at the current or initial weights.

        Used by ``check_gradients``: nothing is trained and ``self`` is not changed.
        """
        with _unchanged_on_error(self, always=True):
            # A RandomState instance is drawn from by initialisation: use a copy so that
            # checking leaves it where it was.
            self.random_state = copy.deepcopy(self.random_state)
            problem = self._prepare(X, y, sample_weight, incremental=hasattr(self, "coefs_"))
        data, scale = self._scaled_data(problem.data)
        return problem.network, problem.loss, problem.params, data, _scaled_alpha(problem.alpha, scale)

    def __getstate__(self):
        """The estimator's attributes as plain data, for pickle, copy and skops.

        The objects of the last fit are stored by name and numbers (see
        ``_PLAIN_STATES``). The random generator of the last fit is not stored: every
        fit and partial_fit takes a new one from ``random_state``.
        """
        state = dict(super().__getstate__())
        state.pop("_rng", None)
        for name, (to_state, _) in _PLAIN_STATES.items():
            if state.get(name) is not None:
                state[name] = to_state(state[name])
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name, (_, from_state) in _PLAIN_STATES.items():
            # (a file written before this form holds the objects: they load as they are)
            if isinstance(state.get(name), dict):
                state[name] = from_state(state[name])
        super().__setstate__(state)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _loss_gives_probabilities(estimator):
    return estimator.loss == "log_loss"


def _check_partial_fit(estimator):
    if estimator._solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            "lbfgs is not stochastic."
        )
    return True


class NetworkClassifier(ClassifierMixin, BaseNetwork):
    """Labels in, labels out: one output unit per class (one in total for two classes)."""

    def _fit_targets(self, y, *, first_pass, classes):
        """Learn (or check) the label set; called on fit and on partial_fit."""
        if first_pass and classes is None:
            check_classification_targets(y)
            binarizer = LabelBinarizer().fit(y)
        elif first_pass:
            check_classification_targets(y)
            if type_of_target(y).startswith("multilabel"):
                binarizer = LabelBinarizer().fit(y)
            else:
                binarizer = LabelBinarizer().fit(np.unique(np.asarray(classes)))
        else:
            if classes is not None and not np.array_equal(
                np.unique(np.asarray(classes)), self.classes_
            ):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the first call to "
                    f"partial_fit, which was {self.classes_!r}."
                )
            if self.warm_start and self._target_type != "multilabel-indicator":
                labels = np.unique(y)
                if not np.array_equal(labels, self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as "
                        f"in the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {labels}."
                    )
            return
        if len(binarizer.classes_) < 2:
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {binarizer.classes_[0]!r}."
            )
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        self._target_type = binarizer.y_type_

    def _encode_targets(self, y, dtype):
        if self._target_type != "multilabel-indicator":
            check_classification_targets(y)
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {np.unique(y)}; unseen: {unseen}."
                )
        if self._target_type in ("binary", "multiclass") and np.ndim(y) == 1:
            # One-hot rows built in the training dtype at once: the label binarizer
            # builds them as int64 first, a copy 2-8 times larger than needed.
            index = np.searchsorted(self.classes_, y)  # every label is a known class
            if len(self.classes_) == 2:
                return (index == 1).astype(dtype)[:, np.newaxis]
            Y = np.zeros((index.shape[0], len(self.classes_)), dtype=dtype)
            Y[np.arange(index.shape[0]), index] = 1
            return Y
        return self._label_binarizer.transform(y).astype(dtype, copy=False)

    def _sample_weight(self, X, y, sample_weight):
        sample_weight = super()._sample_weight(X, y, sample_weight)
        class_weight = getattr(self, "class_weight", None)
        if class_weight is None:
            return sample_weight
        if self._target_type == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel targets.")
        weights = compute_class_weight(class_weight, classes=self.classes_, y=y)
        per_sample = weights[np.searchsorted(self.classes_, y)].astype(np.float64)
        return per_sample if sample_weight is None else sample_weight * per_sample

    @available_if(_check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the network with exactly one pass over (X, y).

        ``max_iter``, ``tol`` and early stopping do not apply: each call is one epoch
        over the data given, with the optimizer's state carried over between calls.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels (or a label indicator matrix for multilabel targets).

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        classes : array-like of shape (n_classes,), default=None
            Every class that can appear in any call. Required on the first call
            (except for multilabel targets); ``y`` need not contain all of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None and not type_of_target(y).startswith("multilabel"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if isinstance(getattr(self, "class_weight", None), str):
            raise ValueError(
                "class_weight='balanced' needs the class frequencies of the whole data "
                "set, which partial_fit does not see. Pass a dict of weights, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _decode(self, P):
        """Labels from the network output: the most active unit, or a threshold."""
        threshold = 0.0 if self._loss.on_scores else 0.5
        if self._target_type == "multilabel-indicator":
            return self._label_binarizer.inverse_transform(P, threshold=threshold)
        if P.shape[1] == 1:
            return self.classes_[(P[:, 0] > threshold).astype(np.intp)]
        return self.classes_[np.argmax(P, axis=1)]

    def _score_output(self, P, y, sample_weight):
        return accuracy_score(y, self._decode(P), sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels for the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels (an indicator matrix for multilabel targets).
        """
        return self._decode(self._output(X))

    @available_if(_loss_gives_probabilities)
    def predict_proba(self, X):
        """Probability of each class for the samples in X.

        Available when ``loss="log_loss"``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        P = self._output(X)
        if P.shape[1] == 1:
            p = P.ravel()
            return np.column_stack([1 - p, p])
        return P

    @available_if(_loss_gives_probabilities)
    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NetworkRegressor(RegressorMixin, BaseNetwork):
    """Real-valued targets, one output unit per target column."""

    def _fit_targets(self, y, *, first_pass, classes):
        pass

    def _encode_targets(self, y, dtype):
        largest = np.abs(y).max() if y.size and y.dtype.kind == "f" else 0
        if largest > np.finfo(dtype).max:
            raise ValueError(
                f"y has values up to {largest:.3g} in absolute value, beyond the range of "
                f"X's dtype {np.dtype(dtype).name}, in which the network computes. Pass X as "
                "float64, or rescale y."
            )
        y = np.asarray(y, dtype=dtype)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        return y.reshape(-1, 1) if y.ndim == 1 else y

    @available_if(_check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with exactly one pass over (X, y).

        ``max_iter``, ``tol`` and early stopping do not apply: each call is one epoch
        over the data given, with the optimizer's state carried over between calls.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _score_output(self, P, y, sample_weight):
        return r2_score(y, P.ravel() if P.shape[1] == 1 else P, sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values for the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        P = self._output(X)
        return P.ravel() if self.n_outputs_ == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
