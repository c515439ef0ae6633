"""The choice of BLAS threads: deterministic, by the shape of the work, and undone."""

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._engine.activations import get_activation
from skperceptron._engine.network import Network
from skperceptron._utils.speed import blas_threads, many_threads_pay

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _network(units):
    hidden = tuple(get_activation("relu") for _ in units[1:-1])
    return Network(tuple(units), hidden, get_activation("identity"))


@pytest.mark.parametrize(
    "units, rows, expected",
    [
        ((784, 256, 128, 10), 200, True),  # products dominate: ~600 weights per unit
        ((784, 256, 128, 10), 32, True),
        ((64, 64, 10), 200, False),  # the digits: element-wise work is as large
        ((50, 64, 1), 5000, False),  # an L-BFGS regressor: 50 weights per unit
        ((784, 256, 128, 10), 1, False),  # one sample: nothing to share
    ],
)
def test_many_threads_only_where_products_dominate(units, rows, expected):
    assert many_threads_pay(_network(units), rows) is expected


def _blas_threads():
    return [lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers]


def test_blas_limit_is_applied_inside_and_restored_after():
    before = _blas_threads()
    with blas_threads(_network((64, 64, 10)), 200):
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before


def test_fit_and_predict_leave_the_thread_settings_and_error_state_as_they_were():
    before, errstate = _blas_threads(), np.geterr()
    X = np.random.RandomState(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5).fit(X, y)
    clf.predict_proba(X)
    MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5).fit(X, X[:, 1])
    assert _blas_threads() == before
    assert np.geterr() == errstate


def test_a_user_limit_stays_in_force():
    network = _network((784, 256, 128, 10))
    with threadpool_limits(1, user_api="blas"):
        with blas_threads(network, 200):  # would keep all threads: keeps the user's one
            assert all(n == 1 for n in _blas_threads())


def test_fits_in_parallel_threads_restore_the_thread_setting():
    from concurrent.futures import ThreadPoolExecutor

    before = _blas_threads()
    X = np.random.RandomState(0).normal(size=(200, 8))
    y = (X[:, 0] > 0).astype(int)

    def fit(seed):
        return MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=seed).fit(X, y)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(fit, range(16)))
    assert _blas_threads() == before
