"""Property-based tests: whatever small input arrives, a fit ends well or says why not.

Hypothesis generates inputs of 1 to 60 samples and 1 to 20 features: float16/32/64,
integer and boolean dtypes; magnitudes from 1e-300 to 1e150 in float64 (from the
smallest subnormal to about the square root of the largest number in float32 and float16),
per matrix, per column or per entry; negative values; constant and duplicated columns
and rows; dense or CSR/CSC/COO; string, boolean, integer and float labels, one class,
many classes, unbalanced classes, multilabel indicators, multi-output regression
targets; sample weights from 1e-320 (subnormal) to 1e300. The parameters are drawn
too: penalties, batch sizes down to one row, and for the MLPs dropout (one rate or one
per hidden layer), batch normalization and the training controls: every solver
(AdamW's weight decay, RMSprop's rho), every learning-rate schedule (a callable of a
few forms, some failing at a drawn epoch), warm-up, decay rates and periods, gradient
clipping by norm and by value (bounds down to 1e-300) and frozen layers (negative
indices, repeats, out of range, all of them).

For every estimator, solver and loss, each example must either

- fit, with finite weights (and batch normalization's scales, shifts and running
  statistics) of the working dtype (float32 for float32 input, float64 for
  everything else) and predictions of the right shape, dtype and label set
  (``predict_proba`` rows are distributions), or
- raise ValueError/TypeError with a message that names what is wrong. Inputs that are
  invalid by construction (one class for the perceptron, negative Poisson targets,
  dropout or batch normalization without a hidden layer, batch normalization on
  batches of one row, dropout or an L1 term with L-BFGS, a warm-up as long as the
  training, a schedule's parameter with another schedule, ...) must be rejected, with
  the specific message; valid inputs must be accepted.

No RuntimeWarning may escape from numpy on the way (ConvergenceWarning is expected:
the fits are stopped after a few epochs).

A second property compares fits: equal sample weights of any size train as no weights.
The tests at the end pin down, as plain examples, inputs that these searches found.

The profiles (``ci`` by default, ``long`` for a deeper search) are in conftest.py.
"""

import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import event, given, note
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor
from skperceptron._engine.activations import HIDDEN_ACTIVATIONS
from skperceptron._engine.initializers import INITIALIZERS

# ----------------------------------------------------------------------------- inputs

#: Decimal exponents of the generated magnitudes: from the smallest subnormals (float32:
#: 1.4e-45, float16: 6e-8) to about the square root of the largest number (float64:
#: 1.8e308, float32: 3.4e38, float16: 65504), so that an input times a weight of the
#: same size is still finite.
FLOAT_EXPONENTS = {"float64": (-300, 150), "float32": (-45, 19), "float16": (-8, 2)}
INT_DTYPES = ("int64", "int32", "int8", "uint8")
X_DTYPES = (*FLOAT_EXPONENTS, *INT_DTYPES, "bool")
SPARSE_FORMATS = ("csr", "csc", "coo")


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _magnitudes(draw, rng, shape, dtype):
    """Positive magnitudes: one scale for all, one per column, or one per entry."""
    lo, hi = FLOAT_EXPONENTS[dtype]
    how = draw(st.sampled_from(["matrix", "columns", "entries"]))
    if how == "matrix":
        return 10.0 ** draw(st.integers(lo, hi))
    if how == "columns":
        return 10.0 ** rng.uniform(lo, hi, size=shape[1])
    return 10.0 ** rng.uniform(lo, hi, size=shape)


def _to_dtype(values, dtype):
    """Cast to a float dtype, clipping to its finite range first (no overflow to inf)."""
    big = np.finfo(dtype).max
    with np.errstate(all="ignore"):  # underflow to subnormals or zero is wanted here
        return np.clip(values, -big, big).astype(dtype)


@st.composite
def dense_values(draw, n, p, dtype):
    """An (n, p) array of ``dtype`` with mixed magnitudes and signs."""
    rng = _rng(draw)
    negative = draw(st.booleans())
    if dtype == "bool":
        X = rng.random((n, p)) < draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    elif dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        high = min(int(info.max), 10 ** draw(st.integers(0, 18)))
        low = max(int(info.min), -high) if negative else 0
        X = rng.integers(low, high, size=(n, p), endpoint=True, dtype=dtype)
    else:
        base = rng.standard_normal((n, p))
        if not negative:
            base = np.abs(base)
        X = _to_dtype(base * _magnitudes(draw, rng, (n, p), dtype), dtype)
        # A few entries chosen by hypothesis itself: its floats favour edge values
        # (subnormals, the extremes of the range, 0, -0).
        hi = 10.0 ** FLOAT_EXPONENTS[dtype][1]
        for i, j, v in draw(
            st.lists(
                st.tuples(
                    st.integers(0, n - 1),
                    st.integers(0, p - 1),
                    st.floats(-hi if negative else 0.0, hi, allow_nan=False),
                ),
                max_size=4,
            )
        ):
            X[i, j] = _to_dtype(np.float64(v), dtype)
    # Constant columns (at 0 or at one of their values), duplicated columns and rows.
    for j in draw(st.lists(st.integers(0, p - 1), max_size=3)):
        X[:, j] = 0 if draw(st.booleans()) else X[draw(st.integers(0, n - 1)), j]
    for src, dst in draw(st.lists(st.tuples(st.integers(0, p - 1), st.integers(0, p - 1)),
                                  max_size=2)):
        X[:, dst] = X[:, src]
    for src, dst in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                  max_size=4)):
        X[dst] = X[src]
    if draw(st.booleans()):  # make it sparse in fact, whatever the container
        X[rng.random((n, p)) < draw(st.sampled_from([0.5, 0.9, 1.0]))] = 0
    return X


@st.composite
def feature_matrices(draw, n, p):
    """(X as passed to fit, the same values as a dense array)."""
    dtype = draw(st.sampled_from(X_DTYPES))
    dense = draw(dense_values(n, p, dtype))
    # scipy.sparse has no float16.
    container = draw(st.sampled_from(["dense", *SPARSE_FORMATS]))
    if container == "dense" or dtype == "float16":
        return dense, dense
    matrix = draw(st.booleans())
    make = getattr(sp, f"{container}_{'matrix' if matrix else 'array'}")
    return make(dense), dense


@dataclass
class Target:
    y: object
    kind: str  # "multilabel", "labels" or "values"
    #: Regular expressions of the error the fit must raise; empty if y is valid.
    errors: list = field(default_factory=list)
    n_outputs: int = 1


@st.composite
def class_labels(draw, n):
    """Labels of one kind, with a drawn number of classes and class balance."""
    rng = _rng(draw)
    kind = draw(st.sampled_from(["int", "str", "object", "bool", "float", "multilabel"]))
    if kind == "multilabel":
        k = draw(st.integers(2, 5))
        Y = rng.random((n, k)) < draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]))
        Y = Y.astype(draw(st.sampled_from([np.int64, np.bool_])))
        return Target(Y, "multilabel", n_outputs=k)
    how_many = draw(st.sampled_from([*["few"] * 5, *["many"] * 3, "one"]))
    n_classes = {"one": 1, "few": draw(st.integers(2, 4)), "many": draw(st.integers(2, 60))}
    n_classes = n_classes[how_many]
    if kind == "bool":
        values = [False, True][: min(n_classes, 2)]
    elif kind == "int":
        values = draw(st.lists(st.integers(-(2**62), 2**62), min_size=n_classes,
                               max_size=n_classes, unique=True))
    elif kind in ("str", "object"):
        text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=4)
        values = draw(st.lists(text, min_size=n_classes, max_size=n_classes, unique=True))
    else:
        # scikit-learn's type_of_target casts float labels to int64 to see whether they
        # are whole numbers, which warns beyond the int64 range: stay within 2**53.
        floats = st.one_of(
            st.integers(-1000, 1000).map(float), st.floats(-(2.0**53), 2.0**53, allow_nan=False)
        )
        values = draw(st.lists(floats, min_size=n_classes, max_size=n_classes, unique=True))
    # Dirichlet proportions: a small concentration gives very unbalanced classes.
    k = len(values)
    proportions = rng.dirichlet(np.full(k, draw(st.sampled_from([0.05, 1.0, 50.0]))))
    picked = rng.choice(k, size=n, p=proportions / proportions.sum())
    picked[: min(k, n, 2)] = np.arange(min(k, n, 2))  # two classes at least, when possible
    dtype = object if kind == "object" else None
    y = np.array([values[i] for i in picked], dtype=dtype)
    errors = []
    if kind == "float" and not np.all(np.mod(y.astype(float), 1) == 0):
        errors.append("Unknown label type")
    return Target(y, "labels", errors)


@st.composite
def regression_values(draw, n):
    """Real targets, one column or several; their magnitude and sign drawn."""
    rng = _rng(draw)
    n_outputs = draw(st.sampled_from([1, 1, 2, 3]))
    shape = (n,) if n_outputs == 1 else (n, n_outputs)
    dtype = draw(st.sampled_from(["float64", "float32", "float16", "int64", "bool"]))
    if dtype in FLOAT_EXPONENTS:
        lo, hi = FLOAT_EXPONENTS[dtype]
        y = _to_dtype(rng.standard_normal(shape) * 10.0 ** draw(st.integers(lo, hi)), dtype)
    elif dtype == "int64":
        y = rng.integers(-(10**9), 10**9, size=shape)
    else:
        y = rng.random(shape) < 0.5
    if not draw(st.booleans()):  # non-negative first: what the Poisson loss needs
        y = np.abs(y) if dtype != "bool" else y
    if draw(st.booleans()):  # constant target
        y[...] = y.flat[0]
    return Target(y, "values", n_outputs=n_outputs)


@st.composite
def sample_weights(draw, n):
    """None, or float64 weights of a drawn magnitude (down to subnormals), maybe with zeros."""
    how = draw(st.sampled_from([None, None, None, "positive", "zeros", "all_zero"]))
    if how is None:
        return None
    rng = _rng(draw)
    w = rng.random(n) * 10.0 ** draw(st.integers(-320, 300))
    if how == "zeros":
        w[rng.random(n) < 0.5] = 0
    elif how == "all_zero":
        w[:] = 0
    return w


# ---------------------------------------------------------------------- estimators

HIDDEN = sorted(HIDDEN_ACTIVATIONS)
WEIGHT_INITS = sorted(INITIALIZERS)


@dataclass(frozen=True)
class Config:
    cls: type
    fixed: dict

    @property
    def classifier(self):
        return self.cls in (PerceptronClassifier, MLPClassifier)

    @property
    def id(self):
        return "-".join([self.cls.__name__, *(str(v) for v in self.fixed.values())])


PERCEPTRON_CLASSIFIERS = [
    Config(PerceptronClassifier, dict(activation=a, loss=loss, batch_size=b))
    for a, loss in [("step", "perceptron"), ("step", "hinge"), ("logistic", "log_loss")]
    for b in (1, "full")
]
PERCEPTRON_REGRESSORS = [
    Config(PerceptronRegressor, dict(loss=loss, batch_size=b))
    for loss in ("squared_error", "absolute_error", "huber")
    for b in (1, "full")
]
SOLVERS = ("lbfgs", "sgd", "adam", "adamw", "rmsprop")
MLP_CLASSIFIERS = [
    Config(MLPClassifier, dict(solver=s, loss=loss))
    for s in SOLVERS
    for loss in ("log_loss", "hinge")
]
MLP_REGRESSORS = [
    Config(MLPRegressor, dict(solver=s, loss=loss))
    for s in SOLVERS
    for loss in ("squared_error", "absolute_error", "huber", "poisson")
]
CONFIGS = PERCEPTRON_CLASSIFIERS + PERCEPTRON_REGRESSORS + MLP_CLASSIFIERS + MLP_REGRESSORS


def dropout_rates(n_hidden):
    """0, one rate in [0, 0.9], or one per hidden layer (a list, tuple or array)."""
    rate = st.floats(0.0, 0.9)
    per_layer = st.lists(rate, min_size=n_hidden, max_size=n_hidden)
    return st.one_of(
        st.just(0.0),
        rate,
        per_layer,
        per_layer.map(tuple),
        per_layer.map(lambda rates: np.array(rates, dtype=float)),
    )


# -------------------------------------------------------------- training controls

EPOCH_SCHEDULES = ("step", "exponential", "cosine")
SCHEDULES = ("constant", "invscaling", "adaptive", *EPOCH_SCHEDULES)


@dataclass(frozen=True)
class Factor:
    """A schedule given as a callable of the schedule's epoch d: ``value`` (halved at
    each epoch when ``halving``) while d < ``fails_at``, then ``failure``: "raise" an
    exception, or return it (NaN, inf, a negative number, a string, a bool, None)."""

    value: object = 1.0
    halving: bool = False
    fails_at: int | None = None
    failure: object = None

    def __call__(self, d):
        if self.fails_at is not None and d >= self.fails_at:
            if self.failure == "raise":
                raise ZeroDivisionError("no rate after the first epochs")
            return self.failure
        return self.value / 2**d if self.halving else self.value

    @property
    def error(self):
        """The fit's message when the schedule reaches ``fails_at``."""
        if self.failure == "raise":
            return r"learning_rate, a callable of the epoch, raised ZeroDivisionError"
        return r"learning_rate, a callable of the epoch, must return a finite number >= 0"


@st.composite
def factors(draw, valid_only):
    value = draw(st.sampled_from([1.0, 0.5, 0.0, 1e3, 2, np.float32(0.5)]))
    halving = draw(st.booleans())
    if valid_only or draw(st.booleans()):
        return Factor(value, halving)
    failure = draw(st.sampled_from(["raise", math.nan, math.inf, -1.0, "fast", True, None]))
    return Factor(value, halving, fails_at=draw(st.integers(0, 4)), failure=failure)


@st.composite
def controls(draw, solver, n_layers, max_iter, valid_only=False):
    """The training controls: each one left out (its default) about half the time.
    L-BFGS draws those of the stochastic solvers rarely, to see them refused; other
    misuses are drawn rarely too, unless ``valid_only``."""
    lbfgs = solver == "lbfgs"

    # (Hypothesis favours the first of a sampled list and small integers: the rare
    # case comes last.)
    def rarely(odds=5):
        return not valid_only and draw(st.sampled_from([*[False] * odds, True]))

    def sometimes():
        return draw(st.booleans())

    params = {}
    if not lbfgs or rarely():
        kind = draw(st.sampled_from([*SCHEDULES, "callable", "callable"]))
        params["learning_rate"] = draw(factors(valid_only)) if kind == "callable" else kind
        kind = params["learning_rate"]
        # A decay's rate and period where they apply, rarely elsewhere.
        if kind in ("step", "exponential") and sometimes() or rarely(odds=11):
            params["decay_rate"] = draw(st.sampled_from([0.1, 0.5, 1.0, 1e-300]))
        if kind in ("step", "cosine") and sometimes() or rarely(odds=11):
            params["decay_epochs"] = draw(st.sampled_from([1, 2, 100]))
        if sometimes():  # shorter than the training, or rarely not
            params["warmup_epochs"] = draw(st.integers(1, max_iter - 1))
            if rarely(odds=11):
                params["warmup_epochs"] = draw(st.integers(max_iter, max_iter + 1))
        if sometimes():
            params["clip_grad_norm"] = draw(st.sampled_from([1e-300, 1e-8, 1.0, 1e3]))
        if sometimes():
            params["clip_grad_value"] = draw(st.sampled_from([1e-300, 1e-3, 1.0]))
        if rarely(odds=19):  # outside their range
            params.update(draw(st.sampled_from([
                dict(clip_grad_norm=0.0), dict(clip_grad_value=-1.0),
                dict(decay_rate=0.0), dict(decay_rate=1.5), dict(rho=1.0),
                dict(warmup_epochs=-1), dict(decay_epochs=0),
            ])))
    if solver == "adamw" and sometimes():
        params["weight_decay"] = draw(st.sampled_from([0.0, 0.01, 1.0, 1e3]))
    elif rarely(odds=11):
        params["weight_decay"] = 0.01
    if solver == "rmsprop" and sometimes():
        params["rho"] = draw(st.sampled_from([0.0, 0.5, 0.9, 0.999]))
    if n_layers > 1 and sometimes() or rarely(odds=11):
        # Weight-layer indices from -n_layers to n_layers - 1 (repeats possible) in a
        # list, a tuple or an array, leaving one layer to train; rarely all of them,
        # one out of range, or not integers.
        layers = draw(st.lists(st.integers(-n_layers, n_layers - 1), max_size=3))
        if {i % n_layers for i in layers} == set(range(n_layers)) and not rarely():
            layers = layers[:1] if n_layers > 1 else []
        if rarely(odds=11):
            layers.append(draw(st.sampled_from([n_layers, -n_layers - 1])))
        how = draw(st.sampled_from(["list", "tuple", "array"]))
        params["frozen_layers"] = {"list": layers, "tuple": tuple(layers),
                                   "array": np.array(layers, dtype=int)}[how]
        if rarely(odds=11):
            params["frozen_layers"] = draw(st.sampled_from([[0.0], [True], [[0]], 0, "0"]))
    return params


def _control_errors(params):
    """The refusals of the training controls (``skperceptron/_controls.py``): their
    misuses, L-BFGS with those of the stochastic solvers, a schedule's parameter with
    another schedule, a warm-up as long as the training, frozen layers out of range or
    all of them."""
    solver, kind = params["solver"], params.get("learning_rate", "constant")
    warmup = params.get("warmup_epochs", 0)
    norm, value = params.get("clip_grad_norm"), params.get("clip_grad_value")
    errors = []
    for name, ok in [("clip_grad_norm", norm is None or norm > 0),
                     ("clip_grad_value", value is None or value > 0),
                     ("decay_rate", params.get("decay_rate") is None
                      or 0 < params["decay_rate"] <= 1),
                     ("rho", 0 <= params.get("rho", 0.99) < 1),
                     ("warmup_epochs", warmup >= 0),
                     ("decay_epochs", params.get("decay_epochs") is None
                      or params["decay_epochs"] >= 1),
                     ("frozen_layers", isinstance(params.get("frozen_layers", []),
                                                  (list, tuple, np.ndarray)))]:
        if not ok:
            errors.append(rf"The '{name}' parameter of \w+ must be")
    if params.get("weight_decay") is not None and solver != "adamw":
        errors.append(rf"weight_decay=.* is AdamW's decoupled weight decay, and "
                      rf"solver='{solver}' has none")
    if solver == "lbfgs":
        if (callable(kind) or kind in EPOCH_SCHEDULES or warmup or norm is not None
                or value is not None or params.get("decay_rate") is not None
                or params.get("decay_epochs") is not None):
            errors.append(r"cannot be used with solver='lbfgs': learning-rate schedules, "
                          r"warm-up and gradient clipping act on the steps")
    else:
        if params.get("decay_rate") is not None and kind not in ("step", "exponential"):
            errors.append(r"decay_rate=.* is the factor of learning_rate='step' or "
                          r"'exponential'")
        if params.get("decay_epochs") is not None and kind not in ("step", "cosine"):
            errors.append(r"decay_epochs=.* is the period of learning_rate='step' or "
                          r"'cosine'")
        if warmup >= params["max_iter"]:
            errors.append(rf"warmup_epochs={warmup} is not shorter than the training "
                          rf"\(max_iter={params['max_iter']}\)")
        if callable(kind) and kind.fails_at == 0:  # checked before training
            errors.append(kind.error)
    frozen = params.get("frozen_layers")
    if isinstance(frozen, (list, tuple, np.ndarray)):
        n_layers = len(params["hidden_layer_sizes"]) + 1
        indices = list(np.asarray(frozen, dtype=object).ravel())
        if np.ndim(frozen) > 1 or not all(
                isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                for i in indices):
            errors.append("frozen_layers must be a 1-d list of weight-layer indices")
        elif any(not -n_layers <= i < n_layers for i in indices):
            errors.append(r"frozen_layers=.* names layer\(s\) .* of a network of "
                          rf"{n_layers} weight layers")
        elif {i % n_layers for i in indices} == set(range(n_layers)):
            errors.append(rf"frozen_layers=.* freezes all {n_layers} weight layers")
    return errors


def _late_failure(params):
    """(the error, the 0-based epoch of the fit at which a callable schedule that
    passed its check at epoch 0 fails), or None: the fit raises it unless training
    stopped before that epoch."""
    kind = params.get("learning_rate")
    if params.get("solver") == "lbfgs" or not callable(kind) or not kind.fails_at:
        return None
    epoch = params.get("warmup_epochs", 0) + kind.fails_at
    return (kind.error, epoch) if epoch < params["max_iter"] else None


@st.composite
def parameters(draw, config, n, valid_controls=False):
    """Constructor parameters around ``config.fixed``, for a fit of a few epochs."""
    params = dict(
        config.fixed,
        alpha=draw(st.sampled_from([0.0, 1e-4, 10.0])),
        max_iter=draw(st.integers(2, 5)),
        weight_init=draw(st.sampled_from(WEIGHT_INITS)),
        random_state=draw(st.integers(0, 3)),
        early_stopping=draw(st.sampled_from([False, False, False, False, True])),
    )
    if config.classifier:
        params["class_weight"] = draw(st.sampled_from([None, None, "balanced"]))
    if params["loss"] == "huber":
        params["huber_delta"] = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    if config.cls in (PerceptronClassifier, PerceptronRegressor):
        params.update(
            eta0=draw(st.sampled_from([1e-3, 1.0, 1e3])),
            tol=draw(st.sampled_from([None, 1e-3])),
            fit_intercept=draw(st.booleans()),
            shuffle=draw(st.booleans()),
            penalty=draw(st.sampled_from([None, "l2", "l1", "elasticnet"])),
            l1_ratio=draw(st.floats(0.0, 1.0)),
        )
        if params.get("batch_size", 1) == 1:
            params["average"] = draw(st.sampled_from([False, True, 3]))
        return params
    sizes = draw(st.sampled_from([(), (3,), (4, 2)]))
    activation = draw(st.one_of(
        st.sampled_from(HIDDEN),
        st.lists(st.sampled_from(HIDDEN), min_size=len(sizes), max_size=len(sizes)),
    ))
    params.update(
        hidden_layer_sizes=sizes,
        activation=activation,
        learning_rate_init=draw(st.sampled_from([1e-3, 0.1, 10.0])),
        # Down to one row; beyond the training set too (clipped, with a warning).
        batch_size=draw(st.one_of(st.sampled_from(["auto", 1, min(5, n)]),
                                  st.integers(1, 8))),
        penalty=draw(st.sampled_from([None, "l2", "l1", "elasticnet"])),
        l1_ratio=draw(st.floats(0.0, 1.0)),
        dropout=draw(dropout_rates(len(sizes))),
        batch_norm=draw(st.booleans()),
        batch_norm_momentum=draw(st.one_of(st.sampled_from([0.1, 1.0]),
                                           st.floats(0.0, 1.0, exclude_min=True))),
    )
    if params["weight_init"] == "zeros" or draw(st.booleans()):
        params["weight_init"] = "auto"  # zeros leaves hidden units identical
    if config.fixed["solver"] == "sgd":
        params.update(
            momentum=draw(st.sampled_from([0.0, 0.9])),
            nesterovs_momentum=draw(st.booleans()),
        )
    params.update(draw(controls(config.fixed["solver"], len(sizes) + 1,
                                params["max_iter"], valid_only=valid_controls)))
    return params


def working_dtype(X):
    """The dtype the estimators compute in: float32 stays, everything else is float64."""
    return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)


@dataclass
class Case:
    X: object
    X_dense: np.ndarray
    target: Target
    sample_weight: object
    params: dict
    errors: list  # patterns of which the fit's error must match one; empty: must fit
    allowed: list  # patterns of errors a valid input may still meet
    #: The epoch (0-based) at which a callable schedule fails, None if it never does:
    #: a fit that ends without error must have stopped before it.
    fails_at_epoch: int | None = None


def _stratified_split_errors(y, n):
    """scikit-learn's errors for a stratified hold-out of ceil(0.1 n) >= 2 samples."""
    counts = np.unique(y, return_counts=True)[1]
    n_val = max(math.ceil(0.1 * n), 2)
    if counts.min() < 2:
        return ["The least populated classes in y have only 1 member"]
    if n_val < len(counts):
        return [f"The test_size = {n_val} should be greater or equal to the number of classes"]
    if n - n_val < len(counts):
        return ["The train_size = .* should be greater or equal to the number of classes"]
    return []


def _parameter_errors(params, n_train):
    """The MLP's refusals of parameters that cannot train together, or not on
    ``n_train`` rows (the training set after any validation hold-out)."""
    if "hidden_layer_sizes" not in params:
        return []
    hidden = len(params["hidden_layer_sizes"])
    dropout = np.any(np.asarray(params["dropout"]) > 0)
    lbfgs = params["solver"] == "lbfgs"
    errors = []
    if dropout and not hidden:
        errors.append(r"dropout=.* acts on hidden layers, and hidden_layer_sizes="
                      r"\(\) has none")
    if dropout and lbfgs:
        errors.append(r"dropout=.* cannot be used with solver='lbfgs'")
    if params["penalty"] in ("l1", "elasticnet") and lbfgs:
        errors.append(rf"penalty='{params['penalty']}' cannot be used with solver='lbfgs'")
    if params["batch_norm"]:
        if not hidden:
            errors.append(r"batch_norm=True acts on hidden layers, and hidden_layer_sizes="
                          r"\(\) has none")
        if params["batch_size"] == 1 and not lbfgs:
            errors.append("batch_norm=True cannot train with batch_size=1")
        if n_train == 1:
            errors.append("batch_norm=True cannot train on one sample")
    return errors + _control_errors(params)


@st.composite
def cases(draw, config):
    n = draw(st.integers(1, 60))
    p = draw(st.integers(1, 20))
    X, X_dense = draw(feature_matrices(n, p))
    target = draw(class_labels(n) if config.classifier else regression_values(n))
    sample_weight = draw(sample_weights(n))
    params = draw(parameters(config, n))
    errors = list(target.errors)
    y = target.y
    if target.kind == "labels" and not errors and len(np.unique(y)) < 2:
        if config.cls is PerceptronClassifier:  # as scikit-learn's Perceptron; the MLP fits
            errors.append("The number of classes has to be greater than one; got 1 class")
    dtype = working_dtype(X)
    with np.errstate(over="ignore"):
        y_as_fitted = np.asarray(y, dtype=dtype) if target.kind == "values" else None
    if params.get("loss") == "poisson" and np.any(y_as_fitted < 0):  # -1e-46 is -0 in float32
        errors.append("negative")
    if params.get("class_weight") is not None and target.kind == "multilabel":
        errors.append("class_weight is not supported for multilabel")
    if sample_weight is not None and not sample_weight.any():
        errors.append("Sample weights must contain at least one non-zero")
    # L-BFGS has no epochs to stop early from: it ignores early_stopping.
    early_stopping = params["early_stopping"] and params.get("solver") != "lbfgs"
    n_val = max(math.ceil(0.1 * n), 2) if early_stopping else 0
    if early_stopping and n_val >= n:
        errors.append("validation set is too small")
    elif early_stopping and target.kind == "labels" and (
        config.cls is PerceptronClassifier or len(np.unique(y)) <= 2
    ):  # stratified as scikit-learn's Perceptron, and its MLP for one output unit
        errors += _stratified_split_errors(target.y, n)
    # Dropout and batch normalization need hidden layers, and batch normalization
    # batches of two rows; L-BFGS takes neither dropout nor an L1 term.
    errors += _parameter_errors(params, n - n_val)
    # Training that breaks down on extreme values stops as diverged, it never raises.
    allowed = []
    if early_stopping and sample_weight is not None:
        # The split can leave the training part with only zero weights.
        allowed.append("sample weights sum to zero")
    if target.kind == "values" and not np.isfinite(y_as_fitted).all():
        # Targets beyond float32's range cannot be fitted in float32: saying so is as
        # good as fitting.
        allowed.append(r"\by\b|target")
    late = _late_failure(params)
    if late:
        allowed.append(late[0])
    return Case(X, X_dense, target, sample_weight, params, errors, allowed,
                late[1] if late else None)


# ---------------------------------------------------------------------- checks

#: What an error message must mention to name the problem: the data, one of its
#: parts, or a parameter of the estimator (added per estimator).
_TOPICS = (
    r"\bX\b|\by\b|class|label|target|sample|feature|input|weight|dtype|"
    r"validation|solver|loss|parameter"
)


def assert_names_the_problem(exc, estimator):
    message = str(exc)
    names = "|".join(re.escape(name) for name in estimator.get_params())
    assert re.search(rf"{_TOPICS}|{names}", message, flags=re.IGNORECASE), (
        f"{type(exc).__name__} does not say what is wrong: {message!r}"
    )


def check_fitted(estimator, case):
    X, target = case.X, case.target
    n = case.X_dense.shape[0]
    dtype = working_dtype(X)
    for array in estimator.coefs_ + estimator.intercepts_:
        assert array.dtype == dtype
        assert np.isfinite(array).all(), "fit returned non-finite weights"
    # One rate, gradient norm and count of clipped steps per recorded epoch: finite
    # rates >= 0 for the stochastic solvers (L-BFGS has none: NaN), no clipped step
    # without a bound.
    n_epochs = len(estimator.loss_curve_)
    rates = np.asarray(estimator.learning_rates_, dtype=float)
    assert rates.shape == estimator.gradient_norm_curve_.shape == (n_epochs,)
    assert estimator.clipped_steps_.shape == (n_epochs,)
    if case.params.get("solver") == "lbfgs":
        assert np.isnan(rates).all()
    else:
        assert np.isfinite(rates).all() and (rates >= 0).all(), rates
    assert (estimator.clipped_steps_ >= 0).all()
    if case.params.get("clip_grad_norm") is None and case.params.get("clip_grad_value") is None:
        assert not estimator.clipped_steps_.any()
    if case.params.get("batch_norm"):
        n_hidden = len(case.params["hidden_layer_sizes"])
        for name in ("batch_norm_scales_", "batch_norm_shifts_", "running_means_",
                     "running_vars_"):
            arrays = getattr(estimator, name)
            assert len(arrays) == n_hidden
            for array in arrays:
                assert array.dtype == dtype
                assert np.isfinite(array).all(), f"fit returned non-finite {name}"
        assert all((v >= 0).all() for v in estimator.running_vars_)

    predictions = estimator.predict(X)
    one_row = estimator.predict(case.X_dense[:1])
    if target.kind == "values":
        shape = (n,) if target.y.ndim == 1 else (n, target.n_outputs)
        assert predictions.shape == shape
        assert one_row.shape == (1, *shape[1:])
        assert predictions.dtype == dtype
        if not case.params["early_stopping"]:
            # Weights that fit the training data cannot predict it as infinite. (Early
            # stopping keeps the weights that scored best on the validation part,
            # which may extrapolate to samples unlike it without bound.)
            assert np.isfinite(predictions).all()
        return

    if target.kind == "multilabel":
        assert predictions.shape == (n, target.n_outputs)
        assert one_row.shape == (1, target.n_outputs)
        assert np.isin(predictions, [0, 1]).all()
    else:
        np.testing.assert_array_equal(estimator.classes_, np.unique(target.y))
        assert predictions.shape == (n,)
        assert one_row.shape == (1,)
        assert predictions.dtype == estimator.classes_.dtype
        assert np.isin(predictions, estimator.classes_).all()
        assert np.isin(one_row, estimator.classes_).all()

    if hasattr(estimator, "decision_function"):
        scores = estimator.decision_function(X)
        k = estimator.coefs_[-1].shape[1]
        assert scores.shape == ((n,) if k == 1 else (n, k))
        assert scores.dtype == dtype

    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        n_columns = target.n_outputs if target.kind == "multilabel" else len(estimator.classes_)
        n_columns = max(n_columns, 2)  # one class: (1 - p, p), as scikit-learn's MLP
        assert proba.shape == (n, n_columns)
        assert proba.dtype == dtype
        assert np.isfinite(proba).all()
        assert ((proba >= 0) & (proba <= 1)).all()
        if target.kind == "labels":
            # A sum of k numbers each rounded to relative eps is off by at most ~k eps.
            tol = 4 * n_columns * np.finfo(dtype).eps
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=tol)
            # Where the most probable class is clear, predict agrees with it.
            top2 = np.sort(proba, axis=1)[:, -2:]
            if len(estimator.classes_) > 1:
                clear = top2[:, 1] - top2[:, 0] > tol
                best = estimator.classes_[np.argmax(proba, axis=1)]
                np.testing.assert_array_equal(predictions[clear], best[clear])


def fit_and_check(config, case):
    """Fit on the case; check the fitted model or the error. Returns the outcome."""
    estimator = config.cls(**case.params)
    note(f"X: {type(case.X).__name__} {case.X.dtype} {case.X_dense.shape}; "
         f"y: {case.target.kind} {np.asarray(case.target.y).dtype}; params: {case.params}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # scikit-learn's hint for many classes among few samples (they are meant here),
        # and the notice that a batch is larger than what early stopping left to train on.
        warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
        warnings.filterwarnings("ignore", "Got `?batch_size`? ", UserWarning)
        try:
            estimator.fit(case.X, case.target.y, sample_weight=case.sample_weight)
        except (ValueError, TypeError) as exc:
            assert_names_the_problem(exc, estimator)
            # An invalid input must be rejected for (one of) its faults, or for a
            # fault of the data that the estimator found first; a valid one only for
            # such a fault ("refused").
            matched = [p for p in case.errors + case.allowed if re.search(p, str(exc))]
            assert matched, f"unexpected {type(exc).__name__}: {exc}"
            return f"{'rejected' if case.errors else 'refused'}: {matched[0]}"
        assert not case.errors, f"fit accepted an input that should fail with {case.errors}"
        if case.fails_at_epoch is not None:
            assert len(estimator.loss_curve_) <= case.fails_at_epoch, (
                f"the schedule fails at epoch {case.fails_at_epoch}, and training went "
                f"on to {len(estimator.loss_curve_)} epochs without saying so")
        check_fitted(estimator, case)
    return "fitted"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.id)
@given(data=st.data())
def test_any_input_fits_cleanly_or_is_rejected_clearly(config, data, examples_run):
    case = data.draw(cases(config), label="case")
    examples_run["tried"] += 1
    outcome = fit_and_check(config, case)
    event(outcome)
    examples_run[outcome.split(":")[0]] += 1
    if ":" in outcome:
        examples_run[outcome] += 1  # the reason too


@st.composite
def plain_cases(draw, config):
    """Well-scaled data and parameters without regularisation, for a comparison of fits."""
    rng = _rng(draw)
    n, p = draw(st.integers(2, 30)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = rng.standard_normal((n, p)).astype(dtype)
    if config.classifier:
        y = np.arange(n) % draw(st.integers(2, 3))
    else:
        y = rng.standard_normal(n)
        y = np.abs(y) if config.fixed["loss"] == "poisson" else y
    params = draw(parameters(config, n, valid_controls=True))
    params.update(alpha=0.0, early_stopping=False)
    params.pop("class_weight", None)
    if "hidden_layer_sizes" in params:
        hidden, lbfgs = params["hidden_layer_sizes"], params["solver"] == "lbfgs"
        # Nothing that the MLP refuses by design (see _parameter_errors).
        if not hidden or lbfgs:
            params["dropout"] = 0.0
        if lbfgs and params["penalty"] in ("l1", "elasticnet"):
            params["penalty"] = None
        if not hidden or (params["batch_size"] == 1 and not lbfgs):
            params["batch_norm"] = False
    assert not _parameter_errors(params, n)
    return X, y, params


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.id)
@given(data=st.data())
def test_equal_sample_weights_of_any_size_train_as_no_weights(config, data, examples_run):
    # Only the weights' ratios matter (without an L2 term, whose strength is relative to
    # their sum): all equal, from a subnormal 1e-320 to 1e300, they must give the fit
    # without weights. The weights are rescaled to mean 1, exactly 1.0 here, so the
    # arithmetic is the same; 1e-6 leaves room for a different order of summation.
    X, y, params = data.draw(plain_cases(config), label="case")
    weight = 10.0 ** data.draw(st.integers(-320, 300), label="log10(weight)")
    examples_run["tried"] += 1
    plain = fit_quietly(config.cls(**params), X, y)
    weighted = fit_quietly(config.cls(**params), X, y, sample_weight=np.full(len(y), weight))
    examples_run["fitted"] += 1
    assert weighted.n_iter_ == plain.n_iter_
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


# --------------------------------------------------- inputs the search above has found


def fit_quietly(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A batch larger than the training set is clipped to it, with a notice.
        warnings.filterwarnings("ignore", "Got `?batch_size`? ", UserWarning)
        return estimator.fit(X, y, **kwargs)


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronRegressor(batch_size=1, max_iter=3, tol=None, fit_intercept=False),
        PerceptronRegressor(batch_size="full", max_iter=3, tol=None, fit_intercept=False),
        MLPRegressor(hidden_layer_sizes=(), solver="sgd", momentum=0.0, max_iter=3,
                     weight_init="zeros", shuffle=False),
    ],
    ids=["online", "full-batch", "mlp-sgd"],
)
def test_weights_kept_after_divergence_have_the_lowest_recorded_loss(estimator):
    # From zero weights the first epoch's loss is 1/2 (prediction 0, target 1); its step
    # takes w to 1e-2 * 1e200 (1e-3 for the MLP), whose prediction overflows: the first
    # epoch's final weights already fail the overflow check, so that epoch is not
    # recorded. Training stops as diverged and must keep weights whose loss it saw
    # finite: no worse than the starting weights' 1/2, nor than any recorded epoch.
    X, y = np.array([[1e200]]), np.array([1.0])
    fit_quietly(estimator, X, y)
    assert estimator.stop_reason_ == "diverged"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        prediction = estimator.predict(X)
    assert np.isfinite(prediction).all()
    with np.errstate(over="ignore"):
        kept_loss = 0.5 * np.square(prediction[0] - y[0])
    assert kept_loss <= min([0.5, *estimator.loss_curve_])


@pytest.mark.parametrize("scale", [1e-46, 1e39], ids=["below-float32", "above-float32"])
@pytest.mark.parametrize("cls", [PerceptronRegressor, MLPClassifier], ids=lambda c: c.__name__)
def test_float32_fit_takes_equal_float64_sample_weights_of_any_magnitude(cls, scale):
    # Weights only count relative to each other (without an L2 term): equal weights
    # train as no weights, also where float32 cannot hold them (1e-46 underflows to 0,
    # 1e39 overflows).
    X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
    y = np.array([0, 0, 1, 1])
    params = dict(max_iter=3, random_state=0, alpha=0.0)
    if cls is MLPClassifier:
        params.update(hidden_layer_sizes=(2,), solver="lbfgs")
    plain = fit_quietly(cls(**params), X, y)
    weighted = fit_quietly(cls(**params), X, y, sample_weight=np.full(4, scale))
    # Mean-1 weights may differ from 1 by a rounding: a few float32 ulps over 3 steps.
    for a, b in zip(weighted.coefs_, plain.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_float32_fit_with_targets_beyond_float32_range_is_refused_or_finite():
    X = np.ones((2, 1), dtype=np.float32)
    y = np.array([1e39, 0.0])  # float32 ends at 3.4e38
    reg = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", max_iter=2)
    try:
        fit_quietly(reg, X, y)
    except ValueError as exc:
        assert re.search(r"\by\b|target", str(exc)), str(exc)
    else:
        assert all(np.isfinite(W).all() for W in reg.coefs_ + reg.intercepts_)


@pytest.mark.parametrize(
    "cls", [PerceptronClassifier, PerceptronRegressor, MLPClassifier, MLPRegressor],
    ids=lambda c: c.__name__,
)
def test_subnormal_sample_weights_without_l2_term_train_as_no_weights(cls):
    # 1e-320 is a subnormal: their sum, 4e-320, has no finite reciprocal.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    params = dict(max_iter=3, random_state=0, alpha=0.0)
    if cls in (MLPClassifier, MLPRegressor):
        params.update(hidden_layer_sizes=(2,))
    plain = fit_quietly(cls(**params), X, y)
    weighted = fit_quietly(cls(**params), X, y, sample_weight=np.full(4, 1e-320))
    assert weighted.loss_curve_ == plain.loss_curve_
    for a, b in zip(weighted.coefs_, plain.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "cls", [PerceptronClassifier, PerceptronRegressor, MLPClassifier, MLPRegressor],
    ids=lambda c: c.__name__,
)
def test_early_stopping_when_the_validation_samples_have_zero_weight(cls):
    # Half of the samples have weight 0; a validation split of 2 samples falls among them
    # for about a quarter of the seeds (and the training part always keeps weight).
    # Scoring such a split has nothing to average, which must not end the fit.
    rng = np.random.RandomState(0)
    X = rng.randn(20, 2)
    y = (X[:, 0] > 0).astype(int) if cls in (PerceptronClassifier, MLPClassifier) else X[:, 0]
    sample_weight = np.tile([1.0, 0.0], 10)
    params = dict(early_stopping=True, max_iter=3)
    if cls in (MLPClassifier, MLPRegressor):
        params["hidden_layer_sizes"] = (2,)
    for seed in range(20):
        estimator = fit_quietly(
            cls(random_state=seed, **params), X, y, sample_weight=sample_weight
        )
        assert len(estimator.validation_scores_) == estimator.n_iter_


@pytest.mark.parametrize("batch_size", [1, "full"])
def test_perceptron_trained_on_huge_inputs_predicts_them_without_overflow(batch_size):
    # One mistake sets w = 1e200; then each sample is classified right with a score of
    # +-1e400, which is +-inf in float64. The labels are right, the arithmetic must
    # not spill a RuntimeWarning into the user's code.
    X, y = np.array([[-1e200], [1e200]]), np.array([0, 1])
    clf = fit_quietly(PerceptronClassifier(batch_size=batch_size), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        np.testing.assert_array_equal(clf.predict(X), y)


def test_weights_growing_under_a_saturated_log_loss_do_not_give_nan_probabilities():
    # Inputs of 6e17 through two identity layers: every step multiplies the weights'
    # growth, while the log-loss, clipped at -log(eps), stays constant (so training
    # never sees a divergence); after three epochs the weights are about 1e99 and the
    # output layer's input overflows: inf, or inf - inf = NaN.
    X = np.array([[636961687321454339, 269786713763870410],
                  [40973523936194699, 16527635528529095]])
    y = np.array([0, 1])
    clf = MLPClassifier(hidden_layer_sizes=(4, 2), activation="identity", solver="sgd",
                        momentum=0.0, alpha=0.0, max_iter=3,
                        weight_init="glorot_normal", random_state=0)
    fit_quietly(clf, X, y)
    for rows in (X, X[:1], X[1:]):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            proba = clf.predict_proba(rows)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_training_that_explodes_in_its_last_epoch_keeps_usable_weights():
    # At w = 0 the loss is 0 (a target of 1e-162 squared underflows) but its gradient is
    # not. With one sample of weight 6e-178 the L2 term counts alpha / sum(w) ~ 2e178,
    # and the second step takes w to about -2e161. Divergence is judged against the first
    # non-zero loss, which is already the exploding one, and the weights after the last
    # step are never evaluated: the model would predict 1.3e149 * -2e161 = -inf.
    X, y = np.array([[1.29e149]]), np.array([1e-162])
    reg = PerceptronRegressor(loss="huber", huber_delta=1e-3, penalty="l2", alpha=10.0,
                              batch_size="full",
                              max_iter=2, tol=None, fit_intercept=False)
    fit_quietly(reg, X, y, sample_weight=np.array([6e-178]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        prediction = reg.predict(X)
    assert np.isfinite(prediction).all()
