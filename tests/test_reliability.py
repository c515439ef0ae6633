"""Reproducibility, concurrency, memory of repeated partial_fit, and warnings that point
at the user's line. How an interrupted or diverging fit stops is checked in
training/test_stopping.py.
"""

import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor
from skperceptron import fit_chunks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0),
    MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", early_stopping=True, max_iter=20,
                  random_state=0),
    MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0),
    PerceptronClassifier(max_iter=10, random_state=0),
    PerceptronClassifier(activation="logistic", loss="log_loss", max_iter=10, random_state=0),
    PerceptronRegressor(max_iter=10, random_state=0),
]


@pytest.fixture
def data_for(digits, diabetes_as_loaded):
    """``data_for(estimator)``: the diabetes data for a regressor, the digits otherwise."""

    def load(estimator):
        if isinstance(estimator, (MLPRegressor, PerceptronRegressor)):
            return diabetes_as_loaded()
        return digits()

    return load


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_same_seed_gives_bit_identical_weights_across_fits_clones_and_pickles(
        estimator, data_for, weight_arrays):
    X, y = data_for(estimator)
    first = clone(estimator).fit(X, y)
    second = clone(estimator).fit(X, y)
    via_pickle = pickle.loads(pickle.dumps(clone(estimator))).fit(X, y)
    refit = pickle.loads(pickle.dumps(first)).fit(X, y)
    for other in (second, via_pickle, refit):
        for a, b in zip(weight_arrays(first), weight_arrays(other)):
            assert_array_equal(a, b)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_different_seeds_give_different_weights(estimator, data_for, weight_arrays):
    X, y = data_for(estimator)
    a = clone(estimator).set_params(random_state=1).fit(X, y)
    b = clone(estimator).set_params(random_state=2).fit(X, y)
    assert any(not np.array_equal(p, q) for p, q in zip(weight_arrays(a), weight_arrays(b)))


def test_the_global_numpy_random_state_is_neither_used_nor_changed(digits, weight_arrays):
    X, y = digits()
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    PerceptronClassifier(max_iter=5, random_state=0).fit(X, y)
    assert_array_equal(np.random.get_state()[1], before)
    # Reseeding the global generator changes nothing in a seeded fit.
    np.random.seed(999)
    second = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    for a, b in zip(weight_arrays(first), weight_arrays(second)):
        assert_array_equal(a, b)


# ---------------------------------------------------------------- concurrency
def test_predict_from_eight_threads_equals_serial_predictions(digits):
    X, y = digits(600)
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0).fit(X, y)
    serial = [clf.predict_proba(X[i::8]) for i in range(8)]
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        return [clf.predict_proba(X[i::8]) for _ in range(20)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for i, repeats in enumerate(results):
        for proba in repeats:
            assert_array_equal(proba, serial[i])


@pytest.mark.parametrize("make", [
    lambda seed: MLPClassifier(hidden_layer_sizes=(16,), max_iter=15, random_state=seed),
    lambda seed: PerceptronClassifier(max_iter=10, random_state=seed),
])
def test_fits_in_parallel_threads_equal_serial_fits(make, digits, weight_arrays):
    X, y = digits()
    serial = [weight_arrays(make(seed).fit(X, y)) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda seed: weight_arrays(make(seed).fit(X, y)), range(4)))
    for a, b in zip(serial, parallel):
        for p, q in zip(a, b):
            assert_array_equal(p, q)


# ---------------------------------------------------------------- memory
def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"),
                    reason="needs /proc to read the resident set size")
def test_a_thousand_partial_fits_do_not_grow_memory(digits):
    X, y = digits(200)
    clf = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    for _ in range(50):  # settle allocator pools and caches first
        clf.partial_fit(X, y)
    before = _rss_mb()
    for _ in range(1000):
        clf.partial_fit(X, y)
    growth = _rss_mb() - before
    # The model is 2,400 weights and every buffer is made per call: anything beyond
    # allocator noise (a few MB) would be a leak of about 1 KB or more per call.
    assert growth < 5, f"RSS grew by {growth:.1f} MB over 1000 partial_fit calls"
    assert len(clf.loss_curve_) == 1051


@pytest.mark.parametrize(
    "fit",
    [
        lambda X, y: MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y),
        lambda X, y: MLPClassifier(hidden_layer_sizes=(4,), batch_size=10_000,
                                   max_iter=1).fit(X, y),
        lambda X, y: MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs",
                                   max_iter=1).fit(X, y),
        lambda X, y: PerceptronRegressor(eta0=1e3, max_iter=5).fit(X, y * 1e3),
        lambda X, y: fit_chunks(MLPClassifier(hidden_layer_sizes=(4,), batch_size=1000), X, y,
                                chunk_size=100, epochs=1, classes=np.unique(y)),
    ],
    ids=["max_iter", "batch_size", "lbfgs", "divergence", "fit_chunks"],
)
def test_warnings_point_at_the_line_of_the_users_call(fit, digits):
    # However deep in the package a warning arises, it names the user's line: here.
    X, y = digits()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(X, y)
    assert caught
    assert {w.filename for w in caught} == {__file__}

