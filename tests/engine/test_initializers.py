"""Initializers: shapes, dtypes, reproducibility, the variance of each scheme, and
"auto" reproducing scikit-learn's MLP initial weights draw for draw."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._engine.initializers import INITIALIZERS, initialize_layers, sklearn_uniform

RANDOM = sorted(name for name in INITIALIZERS if name != "zeros")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_shapes_dtypes_and_zero_biases(name, dtype):
    W, b = INITIALIZERS[name](3, 5, np.random.RandomState(0), dtype)
    assert W.shape == (3, 5) and b.shape == (5,)
    assert W.dtype == dtype and b.dtype == dtype
    assert not b.any()


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_weights_other_seed_other_weights(name):
    init = INITIALIZERS[name]
    W1, _ = init(6, 4, np.random.RandomState(42), np.float64)
    W2, _ = init(6, 4, np.random.RandomState(42), np.float64)
    W3, _ = init(6, 4, np.random.RandomState(43), np.float64)
    assert np.array_equal(W1, W2)
    assert not np.array_equal(W1, W3)


@pytest.mark.parametrize("name", RANDOM)
def test_float32_weights_are_the_rounded_float64_draws(name):
    W64, _ = INITIALIZERS[name](6, 4, np.random.RandomState(0), np.float64)
    W32, _ = INITIALIZERS[name](6, 4, np.random.RandomState(0), np.float32)
    assert np.array_equal(W32, W64.astype(np.float32))


def test_zeros_needs_no_generator():
    W, b = INITIALIZERS["zeros"](4, 2, None, np.float32)
    assert W.dtype == np.float32
    assert not W.any() and not b.any()


# Distinct fan-in and fan-out so that the three variances differ.
FAN_IN, FAN_OUT = 400, 2500
VARIANCE = {
    "glorot": 2.0 / (FAN_IN + FAN_OUT),
    "he": 2.0 / FAN_IN,
    "lecun": 1.0 / FAN_IN,
}


@pytest.mark.parametrize("name", RANDOM)
def test_empirical_moments_match_the_scheme(name):
    family, distribution = name.rsplit("_", 1)
    W, _ = INITIALIZERS[name](FAN_IN, FAN_OUT, np.random.RandomState(0), np.float64)
    w = W.ravel()
    n = w.size  # 1e6 draws
    var = VARIANCE[family]
    # The sample variance has relative standard deviation sqrt((kurtosis - 1) / n):
    # 0.0009 (uniform, kurtosis 1.8) to 0.0014 (normal, kurtosis 3) here, so rtol = 1%
    # is over 7 standard deviations, while the three schemes differ by factors >= 2.
    assert w.var() == pytest.approx(var, rel=0.01)
    # The mean is 0 within 6 standard errors sqrt(var / n).
    assert abs(w.mean()) < 6 * np.sqrt(var / n)
    # The kurtosis tells the two distributions apart (its standard error is ~ 0.005).
    kurtosis = np.mean((w - w.mean()) ** 4) / w.var() ** 2
    if distribution == "uniform":
        limit = np.sqrt(3 * var)
        assert np.abs(w).max() <= limit
        # 1e6 draws all below 0.999 * limit would have probability 0.9995^1e6 ~ e^-500.
        assert np.abs(w).max() > 0.999 * limit
        assert kurtosis == pytest.approx(1.8, abs=0.05)
    else:
        assert kurtosis == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize("factor", [2.0, 6.0])
def test_sklearn_uniform_draws_weights_then_biases_within_the_bound(factor):
    fan_in, fan_out = 5, 3
    W, b = sklearn_uniform(fan_in, fan_out, np.random.RandomState(0), factor=factor)
    limit = np.sqrt(factor / (fan_in + fan_out))
    rng = np.random.RandomState(0)
    assert np.array_equal(W, rng.uniform(-limit, limit, (fan_in, fan_out)))
    assert np.array_equal(b, rng.uniform(-limit, limit, fan_out))


@pytest.mark.parametrize("name", RANDOM)
def test_initialize_layers_draws_layer_after_layer_from_one_generator(name):
    units = [4, 6, 3, 2]
    coefs, intercepts = initialize_layers(units, name, np.random.RandomState(7), np.float64)
    rng = np.random.RandomState(7)
    for W, b, fan_in, fan_out in zip(coefs, intercepts, units[:-1], units[1:]):
        W_ref, _ = INITIALIZERS[name](fan_in, fan_out, rng, np.float64)
        assert np.array_equal(W, W_ref)
        assert b.shape == (fan_out,) and not b.any()


@pytest.mark.parametrize("logistic_layers", [(), (0, 1, 2), (1,)])
def test_auto_follows_the_documented_scheme(logistic_layers):
    # Weights then biases, uniform on +-sqrt(factor / (fan_in + fan_out)), layer by
    # layer; factor 2 for the listed layers and 6 for the others.
    units = [5, 7, 4, 3]
    coefs, intercepts = initialize_layers(
        units, "auto", np.random.RandomState(3), np.float64, logistic_layers=logistic_layers
    )
    rng = np.random.RandomState(3)
    for i, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:])):
        bound = np.sqrt((2.0 if i in logistic_layers else 6.0) / (fan_in + fan_out))
        assert np.array_equal(coefs[i], rng.uniform(-bound, bound, (fan_in, fan_out)))
        assert np.array_equal(intercepts[i], rng.uniform(-bound, bound, fan_out))


# scikit-learn's initial weights, read without private API: one epoch of plain SGD with a
# learning rate of 1e-300 adds |lr * gradient| ~ 1e-300, far below half an ulp of any
# weight (~1e-17 for weights ~0.1), so the fitted weights are the initial ones exactly.
FROZEN = dict(solver="sgd", learning_rate_init=1e-300, momentum=0.0, max_iter=1)


def _frozen_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", [(7,), (6, 4), ()], ids=str)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_auto_starts_from_scikit_learns_initial_weights(task, activation, hidden, dtype):
    if task == "regression":
        X, y = make_regression(n_samples=30, n_features=5, n_targets=2, random_state=0)
        ours, theirs = MLPRegressor, SkMLPRegressor
    else:
        X, y = make_classification(
            n_samples=30, n_features=5, n_informative=3,
            n_classes=2 if task == "binary" else 3, random_state=0,
        )
        ours, theirs = MLPClassifier, SkMLPClassifier
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=hidden, activation=activation, random_state=11, **FROZEN)
    reference = _frozen_fit(theirs(**params), X, y)
    fitted = _frozen_fit(ours(**params), X, y)

    # The engine's "auto" initializer alone, with the same generator.
    units = [X.shape[1], *hidden, reference.coefs_[-1].shape[1]]
    logistic = range(len(units) - 1) if activation == "logistic" else ()
    coefs, intercepts = initialize_layers(
        units, "auto", np.random.RandomState(11), dtype, logistic_layers=logistic
    )
    for mine, est, ref in zip(coefs + intercepts, fitted.coefs_ + fitted.intercepts_,
                              reference.coefs_ + reference.intercepts_):
        assert ref.dtype == dtype
        assert np.array_equal(mine, ref)
        assert est.dtype == dtype
        assert np.array_equal(est, ref)
