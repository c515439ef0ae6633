"""Interruption, reproducibility, concurrency and memory of repeated partial_fit."""

import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits, load_diabetes
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor
from skperceptron import fit_chunks
from skperceptron._engine import network as _network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _diabetes(n=200):
    X, y = load_diabetes(return_X_y=True)
    return X[:n], (y[:n] - y.mean()) / y.std()


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


def _data_for(estimator):
    if isinstance(estimator, (MLPRegressor, PerceptronRegressor)):
        return _diabetes()
    return _digits()


def _params(estimator):
    return [a.copy() for a in estimator.coefs_ + estimator.intercepts_]


# ---------------------------------------------------------------- interruption
class _Interrupt:
    """A loss_and_gradients that raises KeyboardInterrupt on its n-th call."""

    def __init__(self, after):
        self.after, self.calls = after, 0
        self.original = _network.loss_and_gradients

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return self.original(*args, **kwargs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_interrupted_fit_keeps_the_weights_of_the_last_completed_epoch(solver, monkeypatch):
    X, y = _digits()
    # batch_size=100: three batches per epoch, interrupted in the middle of epoch 3.
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=100, random_state=0,
                  shuffle=False)
    reference = MLPClassifier(max_iter=2, **kwargs).fit(X, y)
    monkeypatch.setattr("skperceptron._training.stochastic.loss_and_gradients", _Interrupt(after=7))
    with pytest.warns(UserWarning, match="interrupted in epoch 3.*last completed epoch"):
        clf = MLPClassifier(max_iter=10, **kwargs).fit(X, y)
    assert clf.stop_reason_ == "interrupted"
    assert clf.n_iter_ == 2
    for a, b in zip(_params(clf), _params(reference)):
        assert_array_equal(a, b)
    # The estimator is usable: it predicts and can go on training.
    assert clf.predict(X).shape == y.shape
    monkeypatch.undo()
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1


def _lbfgs_stopped_by(monkeypatch, evaluation, warning, match):
    """An L-BFGS fit whose ``loss_and_gradients`` is ``evaluation`` (failing from its
    13th call on), checked to keep the weights L-BFGS reached after ``n_iter_``
    iterations, the same as a fit with that budget."""
    X, y = _diabetes()
    kwargs = dict(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
    monkeypatch.setattr("skperceptron._training.lbfgs.loss_and_gradients", evaluation)
    with pytest.warns(warning, match=match):
        reg = MLPRegressor(max_iter=100, **kwargs).fit(X, y)
    monkeypatch.undo()
    assert 0 < reg.n_iter_ < 12
    assert all(np.isfinite(p).all() for p in _params(reg))
    reference = MLPRegressor(max_iter=reg.n_iter_, **kwargs).fit(X, y)
    for a, b in zip(_params(reg), _params(reference)):
        assert_array_equal(a, b)
    return reg


def test_interrupted_lbfgs_keeps_the_last_completed_iteration(monkeypatch):
    reg = _lbfgs_stopped_by(monkeypatch, _Interrupt(after=12), UserWarning,
                            "interrupted after .* L-BFGS iterations")
    assert reg.stop_reason_ == "interrupted"


class _Overflow(_Interrupt):
    """A loss_and_gradients whose objective is infinite from its n-th call on."""

    def __call__(self, *args, **kwargs):
        self.calls += 1
        value, outputs = self.original(*args, **kwargs)
        return (np.inf if self.calls > self.after else value), outputs


def test_diverged_lbfgs_keeps_the_last_iteration_with_a_finite_objective(monkeypatch):
    reg = _lbfgs_stopped_by(monkeypatch, _Overflow(after=12), ConvergenceWarning,
                            "diverged in L-BFGS iteration")
    assert reg.stop_reason_ == "diverged"
    assert len(reg.loss_curve_) == reg.n_iter_ == reg.gradient_norms_.shape[0]
    assert np.isfinite(reg.loss_curve_).all() and reg.loss_ == reg.loss_curve_[-1]


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_same_seed_gives_bit_identical_weights_across_fits_clones_and_pickles(estimator):
    X, y = _data_for(estimator)
    first = clone(estimator).fit(X, y)
    second = clone(estimator).fit(X, y)
    via_pickle = pickle.loads(pickle.dumps(clone(estimator))).fit(X, y)
    refit = pickle.loads(pickle.dumps(first)).fit(X, y)
    for other in (second, via_pickle, refit):
        for a, b in zip(_params(first), _params(other)):
            assert_array_equal(a, b)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_different_seeds_give_different_weights(estimator):
    X, y = _data_for(estimator)
    a = clone(estimator).set_params(random_state=1).fit(X, y)
    b = clone(estimator).set_params(random_state=2).fit(X, y)
    assert any(not np.array_equal(p, q) for p, q in zip(_params(a), _params(b)))


def test_the_global_numpy_random_state_is_neither_used_nor_changed():
    X, y = _digits()
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    PerceptronClassifier(max_iter=5, random_state=0).fit(X, y)
    assert_array_equal(np.random.get_state()[1], before)
    # Reseeding the global generator changes nothing in a seeded fit.
    np.random.seed(999)
    second = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    for a, b in zip(_params(first), _params(second)):
        assert_array_equal(a, b)


def test_floating_point_error_state_is_restored_after_divergence():
    X, y = _diabetes()
    before = np.geterr()
    with pytest.warns(ConvergenceWarning, match="diverged"):
        MLPRegressor(solver="sgd", learning_rate_init=1e6, momentum=0.999,
                     max_iter=20, random_state=0).fit(X, y * 1e6)
    assert np.geterr() == before


# ---------------------------------------------------------------- concurrency
def test_predict_from_eight_threads_equals_serial_predictions():
    X, y = _digits(600)
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
def test_fits_in_parallel_threads_equal_serial_fits(make):
    X, y = _digits()
    serial = [_params(make(seed).fit(X, y)) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda seed: _params(make(seed).fit(X, y)), range(4)))
    for a, b in zip(serial, parallel):
        for p, q in zip(a, b):
            assert_array_equal(p, q)


# ---------------------------------------------------------------- memory
def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"),
                    reason="needs /proc to read the resident set size")
def test_a_thousand_partial_fits_do_not_grow_memory():
    X, y = _digits(200)
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
def test_warnings_point_at_the_line_of_the_users_call(fit):
    # However deep in the package a warning arises, it names the user's line: here.
    X, y = _digits()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(X, y)
    assert caught
    assert {w.filename for w in caught} == {__file__}
