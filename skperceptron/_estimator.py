"""The shared estimator: one fit, read top to bottom, from the estimator's plan.

``BaseNetwork._fit`` is every ``fit`` and ``partial_fit`` of the four estimators::

    validate X and y -> learn (or check) the targets -> encode them -> the plan
    -> the starting parameters -> train (epochs, or L-BFGS) -> the fitted attributes

An estimator says once what it trains, in ``_plan`` (``_training.plan``: network,
loss, optimizer, batch rule, penalty, per-sample rule); classifiers and regressors
say what their targets are (``_classifier``, ``_regressor``). The training itself is
in ``_training``, the engine it runs in ``_engine``.
"""

import copy
from contextlib import contextmanager
from functools import partial
from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._engine.network import predict_output
from ._fitted import fitted_layers, model_attributes, reset_history, starting_parameters, store_fit
from ._persistence import plain_state, restored_state
from ._targets import as_1d_column
from ._training.callbacks import register, start_fit_tasks
from ._training.checkpoint import checkpoint_session
from ._training.data import check_sample_weight, hold_out, scaled, validation_split
from ._training.lbfgs import LbfgsSettings, train_lbfgs
from ._training.online import OnlineState
from ._training.snapshots import StartCopy
from ._training.stochastic import Run, TrainingData, train_stochastic
from ._training.stopping import Divergence, SinglePass, stopping_criteria
from ._utils import compat as _compat
from ._utils.compat import Interval, Options, _fit_context, validate_data
from ._utils.speed import BufferCache, SeededPermutations, plain_rows, plain_targets


@contextmanager
def _unchanged_on_error(estimator, always=False, copies=()):
    """Put the estimator's attributes back as they were if the block raises.

    A fit that fails on bad input then leaves a fitted model as it was, and an
    unfitted one unfitted. The copy is shallow: fitting replaces attributes rather than
    changing them in place, except those named in ``copies``, copied in full (the
    optimizer that partial_fit continues, when a callback can fail after its steps),
    the lists a fit appends to (cut back to their lengths), and the arrays the block
    trains in place: it appends to the list it is given what kept their values before
    (``snapshots.StartCopy``), and puts them back.
    """
    saved = dict(estimator.__dict__)
    for name in copies:
        if name in saved:
            saved[name] = copy.deepcopy(saved[name])
    # The history's lists grow in place (``_fitted.extend_record``): their lengths.
    lengths = {name: len(value) for name, value in saved.items() if type(value) is list}
    in_place = []  # StartCopy of the arrays trained where they are
    try:
        yield in_place
    except BaseException:
        always = True
        raise
    finally:
        if always:
            for start in in_place:
                start.restore()
            for name, length in lengths.items():
                del saved[name][length:]
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)


def _check_batch_rows(plan, n_samples):
    """Refuse batch normalization on a training set of one row: every batch would be
    that row alone, which has no batch statistics (its normalized net input is 0, and
    the layers below it learn nothing). PyTorch refuses a training batch of one row.
    (``batch_size=1`` is refused with the other parameters, in ``_mlp.mlp_plan``.)"""
    if plan.network.batch_norm and n_samples == 1:
        raise ValueError(
            "batch_norm=True cannot train on one sample (n_samples=1 in the training "
            "set, after any validation hold-out): a batch of one row has no batch "
            "statistics, so training would teach the layers below batch normalization "
            "nothing. Train on two rows or more, or use batch_norm=False."
        )


def check_partial_fit(estimator):
    """``partial_fit`` exists for the stochastic solvers only (``available_if``)."""
    if estimator._solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            "lbfgs is not stochastic."
        )
    return True


def _callbacks_supported(estimator):
    """``available_if`` check: scikit-learn has its callback API."""
    if _compat.sklearn_callback is None:
        raise AttributeError(
            "set_callbacks needs scikit-learn's callback API (sklearn.callback), "
            f"which scikit-learn 1.9 introduced; scikit-learn {sklearn.__version__} is "
            "installed."
        )
    return True


#: scikit-learn's support of its callbacks (1.9 on), or nothing before.
_CallbackSupport = (() if _compat.sklearn_callback is None
                    else (_compat.sklearn_callback.CallbackSupportMixin,))


class BaseNetwork(*_CallbackSupport, BaseEstimator):
    """Fit machinery shared by the perceptrons and the multi-layer perceptrons.

    Hooks, the only calls from the shared fit into an estimator (see the module):

    - ``_plan(n_features, n_outputs)``: the ``Plan`` of what to train;
    - ``_learn_targets(y, first_pass, classes)``: learn the target set, or check y
      against it on a later pass;
    - ``_encode_targets(y, dtype)``: targets as output columns (a classifier's also
      takes ``name``, the argument an unknown label is reported in: ``y_val``);
    - ``_sample_weight(X, y, sample_weight)``: the weight of each sample in the loss;
    - ``_score_output(P, y, sample_weight)``: the validation score of outputs P.

    Class attributes say the rest: ``_divergence_hint`` (what to try when training
    diverges), ``_patience_offset`` (non-improving epochs beyond ``n_iter_no_change``
    that stop training: scikit-learn's MLP 1, its linear models 0),
    ``_max_iter_words`` (whose words the warning at ``max_iter`` starts with:
    scikit-learn's MLP's or its linear models'), ``_plain_target_kinds`` (the dtype kinds of y a later partial_fit takes without
    scikit-learn's validation, ``speed.plain_targets``) and ``_legacy_parameters``
    (values for parameters a saved file lacks).
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
    _max_iter_words = "mlp"  # scikit-learn's warning at max_iter: its MLP's
    _plain_target_kinds = "f"
    _legacy_parameters: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register(cls)  # a checkpoint may name it

    @property
    def _solver(self):
        """'sgd', 'adam' or 'lbfgs' (the perceptrons: 'sgd')."""
        return getattr(self, "solver", "sgd")

    # ----------------------------------------------------------------- the fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
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

    def _fit(self, X, y, sample_weight=None, X_val=None, y_val=None, *, incremental=False,
             classes=None, init=None):
        # The callbacks' root task begins first: the attributes it leaves are removed by
        # scikit-learn's fit context, after the callbacks' teardown, even on failure.
        tasks = start_fit_tasks(self, X, y, sample_weight, partial=incremental)
        with _unchanged_on_error(self, copies=("_optimizer",) if tasks else ()) as in_place:
            plan, params, data, y, validation = self._prepare(
                X, y, sample_weight, X_val, y_val, incremental=incremental, classes=classes,
                init=init, in_place=True)
            start = None
            if params.in_place:  # the fitted weights train where they are: keep them
                start = StartCopy(params.flat, self._buffer_cache())
                in_place.append(start)
            if tasks is not None:
                tasks.attributes = partial(model_attributes, plan)
            epoch_tasks = None if incremental else tasks  # partial_fit: one task, the root
            # Overflow is detected and reported as divergence; numpy's own warnings
            # about it would only repeat that less clearly.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                if plan.solver == "lbfgs":
                    if start is not None:
                        start.keep()
                    result = self._train_lbfgs(plan, params, data, epoch_tasks)
                else:
                    result = self._train_stochastic(plan, params, data, y, validation,
                                                    incremental, epoch_tasks, start)
            store_fit(self, plan, params, result)
            if tasks is not None:
                tasks.end_fit()
        return self

    def _prepare(self, X, y, sample_weight=None, X_val=None, y_val=None, *,
                 incremental=False, classes=None, init=None, in_place=False):
        """(plan, starting parameters, training data, y, own validation set or None).

        partial_fit and a warm start continue from ``coefs_``/``intercepts_``, fitted
        or assigned by the user. On an estimator never fitted, assigned weights are the
        only state reused: X, y and the classes are validated and learned as by a first
        fit (``first_pass``). ``init``, the single layer's ``(coef_init,
        intercept_init)``, replaces the starting weights it gives. ``in_place``: fitted
        weights may be trained where they are (``_fitted.starting_parameters``).
        """
        reuse = (incremental or self.warm_start) and (
            hasattr(self, "coefs_") or hasattr(self, "intercepts_"))
        fitted = hasattr(self, "_net")  # set by every fit, and kept by pickling
        first_pass = not (reuse and fitted)
        X, y = self._validate_Xy(X, y, reset=first_pass, later=incremental and not first_pass)
        y = as_1d_column(y)
        self._learn_targets(y, first_pass=first_pass, classes=classes)
        data = TrainingData(X, self._encode_targets(y, X.dtype),
                            self._sample_weight(X, y, sample_weight))
        plan = self._plan(X.shape[1], data.Y.shape[1])
        self._rng = self._random_state(later_pass=incremental and not first_pass)
        params = starting_parameters(self, plan, self._rng, X.dtype, reuse, fitted, init,
                                     in_place)
        if first_pass:
            reset_history(self)
        validation = self._validation_data(plan, X, X_val, y_val)
        self._net, self._loss = plan.network, plan.loss
        return plan, params, data, y, validation

    def _train_lbfgs(self, plan, params, data, tasks=None):
        _check_batch_rows(plan, data.n_samples)
        data, penalty = scaled(data, plan.penalty)
        settings = LbfgsSettings(max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                                 loss_threshold=self.loss_threshold, verbose=self.verbose,
                                 tasks=tasks)
        return train_lbfgs(plan.scaled(penalty), params, data, settings)

    def _train_stochastic(self, plan, params, data, y, validation, incremental, tasks=None,
                          start=None):
        # partial_fit: one pass over the data given, no split, no checkpoint.
        session = None if incremental else checkpoint_session(self, data, validation)
        if not incremental:
            data, validation = self._split_validation(plan, data, y, validation)
        _check_batch_rows(plan, data.n_samples)
        data, penalty = scaled(data, plan.penalty)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = plan.optimizer(params.n_trainable, params.dtype)
        self._optimizer.segments = plan.network.trained_segments()
        online = None
        if plan.online is not None:  # a single layer's per-sample state, carried over
            online = self._online_state = OnlineState.continuing(
                getattr(self, "_online_state", None), params, plan.online.average_from,
                penalty.l1, fresh=self.t_ == 0)
        run = self._run(plan, params, validation, incremental, tasks, start)
        if session is not None:  # writing checkpoints, or resuming from one
            run.checkpoint, run.resume = session
        result = train_stochastic(plan.scaled(penalty), params, self._optimizer, data, run,
                                  online)
        if online is not None:  # parts that diverged start anew next time
            self._online_state = online.finite()
        return result

    def _run(self, plan, params, validation, incremental, tasks, start=None):
        """How this stochastic fit runs (``stochastic.Run``); ``start``: the
        ``snapshots.StartCopy`` of weights trained in place, or None."""
        early = self.early_stopping and validation is not None and not incremental
        best_so_far = None
        if early and getattr(self, "_best_weights", None) is not None:
            best_so_far = (self.best_validation_score_, self._best_weights)
        return Run(
            criteria=self._criteria(early, incremental, callbacks=tasks is not None),
            guards=[Divergence(hint=self._divergence_hint)],
            rng=self._rng if self.shuffle else None,
            validation=self._scorer(plan, validation, params.dtype), restore_best=early,
            best_so_far=best_so_far, verbose=self.verbose, samples_seen=self.t_,
            noise=self._noise_rng(incremental) if plan.network.trains_differently else None,
            buffers=self._buffer_cache() if incremental else None, tasks=tasks,
            start=start,
        )

    # ----------------------------------------------------------------- its parts
    def _buffer_cache(self):
        """The buffers one call hands to the next (``speed.BufferCache``)."""
        return self.__dict__.setdefault("_buffers", BufferCache())

    def _validate_Xy(self, X, y, reset, later=False):
        """Validated (X, y); a later partial_fit's plain arrays pass as ``predict``'s X
        does (``speed.plain_rows``, ``speed.plain_targets``)."""
        if later and plain_targets(y, X, self._plain_target_kinds,
                                   getattr(self, "_target_type", None)) and self._plain(X):
            return X, y
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
            dtype=(np.float64, np.float32), y_numeric=not isinstance(self, ClassifierMixin),
            reset=reset,
        )

    def _plain(self, X):
        """Whether ``X`` needs no validation (``speed.plain_rows``)."""
        return plain_rows(X, self.n_features_in_, hasattr(self, "feature_names_in_"))

    def _validate_X(self, X):
        if self._plain(X):
            return X
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )

    def _sample_weight(self, X, y, sample_weight):
        """Validated sample weights (float64), or None when all are 1."""
        return check_sample_weight(sample_weight, X)

    def _random_state(self, later_pass):
        """The random generator of this fit, a new one from ``random_state``.

        A later partial_fit draws from it once, the order of its rows. For an integer
        seed that order depends on the number of rows alone, so it is remembered
        (``SeededPermutations``) instead of seeding a new generator, the largest cost
        of a partial_fit on ten rows.
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

    def _validation_data(self, plan, X, X_val, y_val):
        """A validation set of the user's own, validated, as (X, y, None); or None."""
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        if plan.solver == "lbfgs":
            raise ValueError(
                "X_val/y_val are scored after every epoch of a stochastic solver; "
                "solver='lbfgs' has no epochs. Use solver='sgd' or 'adam'."
            )
        X_val, y_val = self._validate_Xy(X_val, y_val, reset=False)
        y_val = as_1d_column(y_val)
        # Checks that the labels are known, naming y_val in the error.
        named = {"name": "y_val"} if isinstance(self, ClassifierMixin) else {}
        self._encode_targets(y_val, X.dtype, **named)
        return X_val, y_val, None

    def _split_validation(self, plan, data, y, validation):
        """(training data, validation triple or None) for this fit."""
        if validation is not None:
            return data, validation
        if not self.early_stopping:
            return data, None
        stratify = isinstance(self, ClassifierMixin) and y.ndim == 1 and (
            self._stratify_all_classes or plan.network.layer_units[-1] == 1)
        idx_train, idx_val = validation_split(
            y, data.n_samples, self.validation_fraction, self._rng, stratify)
        return hold_out(data, y, idx_train, idx_val)

    def _scorer(self, plan, validation, dtype):
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
        network, loss = plan.network, plan.loss

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
            best=best, callbacks=callbacks, words=self._max_iter_words,
        )

    # ----------------------------------------------------------------- prediction
    def _output(self, X, apply_output=True):
        """Network output for validated X (no cache)."""
        check_is_fitted(self)
        X = self._validate_X(X)
        # Inputs far larger than the training data can overflow a layer to +-inf: the
        # activations and the decision handle infinities, numpy need not warn.
        with np.errstate(over="ignore"):
            return predict_output(self._net, fitted_layers(self), X,
                                  apply_output=apply_output)

    def _gradient_problem(self, X, y, sample_weight=None):
        """(network, loss, params, data, alpha, l1) at the current or initial weights.

        Used by ``check_gradients``: nothing is trained and ``self`` is not changed.
        """
        with _unchanged_on_error(self, always=True):
            # A RandomState instance is drawn from by initialisation: use a copy so that
            # checking leaves it where it was.
            self.random_state = copy.deepcopy(self.random_state)
            plan, params, data, _, _ = self._prepare(X, y, sample_weight,
                                                     incremental=hasattr(self, "coefs_"))
        data, penalty = scaled(data, plan.penalty)
        return plan.network, plan.loss, params, data, penalty.l2, penalty.l1

    # ----------------------------------------------------------------- the rest
    @available_if(_callbacks_supported)
    def set_callbacks(self, *callbacks):
        """Set the callbacks that watch each fit (scikit-learn >= 1.9, experimental).

        Callbacks of ``sklearn.callback``, such as ``ProgressBar`` and
        ``ScoringMonitor``, see each ``fit`` as a task with one subtask per epoch
        (per iteration for ``solver='lbfgs'``), and each ``partial_fit`` call as one
        task. ``ScoringMonitor`` scores the model of every epoch. A callback whose
        epoch-end hook returns True stops training after that epoch, with
        ``stop_reason_ = "callback"`` and the weights of that epoch (the best-scoring
        ones with ``early_stopping=True``); ``partial_fit`` always makes its one pass.
        An exception raised by a callback ends the fit and leaves the estimator as it
        was. ``Pipeline`` and ``GridSearchCV`` pass their callbacks on.

        Parameters
        ----------
        *callbacks : callback instances
            The callbacks, following ``sklearn.callback.FitCallback``; none removes
            them.

        Returns
        -------
        self : object
            The estimator.
        """
        return super().set_callbacks(*callbacks)

    def __getstate__(self):
        return plain_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(restored_state(type(self), state, self._legacy_parameters))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
