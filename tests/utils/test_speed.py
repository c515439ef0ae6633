"""The speed devices change nothing but the time a fit takes.

The choice of BLAS threads: deterministic, by the shape of the work, and undone. Epoch
orders drawn ahead and remembered permutations: the generator's own draws. What a later
partial_fit skips (its buffers, its checks on the fast path). The compiled element loops
of the optimizers, the L1 debts and the dropout masks: the same numbers as their numpy
forms.
"""

import os
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController, threadpool_limits

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._engine import optimizers as _optimizers
from skperceptron._engine.activations import get_activation
from skperceptron._engine.network import Network
from skperceptron._utils import speed as _data
from skperceptron._utils import kernels as _kernels
from skperceptron._utils.kernels import HAVE_NUMBA
from skperceptron._utils.speed import (
    EpochOrders,
    SeededPermutations,
    blas_threads,
    many_threads_pay,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


# ---------------------------------------------------------------------- BLAS threads


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


# ------------------------------------------- epoch orders, permutations, buffers
@pytest.mark.parametrize("n", [1, 2, 10, 200])
@pytest.mark.parametrize("seed", [0, 7, 2**31])
def test_seeded_permutations_are_a_fresh_generators_first_draw(seed, n):
    remembered = SeededPermutations(seed)
    for _ in range(2):  # the same each call, as a generator seeded anew each call
        assert_array_equal(remembered.permutation(n),
                           np.random.RandomState(seed).permutation(n))


@pytest.mark.parametrize("ahead", [False, True])
@pytest.mark.parametrize("n", [1, 2, 10, 20_000])
def test_epoch_orders_are_the_generators_permutations(n, ahead):
    """Epoch after epoch the orders are the generator's own permutations, or with
    ``reshuffle`` the previous order shuffled by them (as scikit-learn's MLP and SGD
    shuffle), drawn ahead or not; after ``close`` the generator is where the epochs
    alone left it, and a generator that is not a RandomState is asked for its own."""
    for reshuffle in (False, True):
        ours, reference = np.random.RandomState(3), np.random.RandomState(3)
        orders = EpochOrders(n, ahead=ahead, reshuffle=reshuffle)
        assert orders.ahead == (ahead and n >= _data.DRAW_AHEAD_ROWS
                                and (os.cpu_count() or 1) >= 2)
        expected = np.arange(n)
        for _ in range(4):
            permutation = reference.permutation(n)
            expected = expected[permutation] if reshuffle else permutation
            assert_array_equal(orders(ours), expected)
        orders.close()
        assert ours.randint(2**31) == reference.randint(2**31)  # the streams moved alike
        remembered = SeededPermutations(7)
        permutation = remembered.permutation(n)
        assert_array_equal(orders(remembered),
                           expected[permutation] if reshuffle else permutation)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("max_iter", [3, 60])  # all epochs run; a plateau stops it
def test_fits_do_not_depend_on_drawing_orders_ahead(monkeypatch, sparse, max_iter):
    """The online loop's fit and the user's generator after it are the same whether
    each epoch's order was drawn during the epoch before or at its start."""
    import scipy.sparse as sp
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=12_000, n_features=20, random_state=0)
    X = sp.csr_matrix(X) if sparse else X
    fitted = []
    for rows in (_data.DRAW_AHEAD_ROWS, 10**9):  # ahead, then never
        monkeypatch.setattr(_data, "DRAW_AHEAD_ROWS", rows)
        generator = np.random.RandomState(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = PerceptronClassifier(max_iter=max_iter, random_state=generator).fit(X, y)
        fitted.append((model.coef_, model.n_iter_, model.stop_reason_,
                       generator.randint(2**31)))
    assert_array_equal(fitted[0][0], fitted[1][0])
    assert fitted[0][1:] == fitted[1][1:]
    if max_iter == 60:
        assert fitted[0][1] < 60  # stopped early: a draw ahead was given back


def _stream(estimator, X, y, batch, **kwargs):
    for start in range(0, X.shape[0], batch):
        estimator.partial_fit(X[start:start + batch], y[start:start + batch], **kwargs)
    return estimator


@pytest.mark.parametrize("make", [
    lambda seed: PerceptronClassifier(random_state=seed),
    lambda seed: MLPClassifier((5,), random_state=seed),
])
def test_partial_fit_with_an_integer_seed_equals_one_with_a_fresh_generator_each_call(
    make
):
    # A RandomState instance passed anew to every call is what an integer seed means.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(120, 4)), rng.randint(0, 3, 120)
    seeded = _stream(make(3), X, y, 10, classes=[0, 1, 2])
    fresh = make(3)
    for start in range(0, 120, 10):
        fresh.set_params(random_state=np.random.RandomState(3))
        fresh.partial_fit(X[start:start + 10], y[start:start + 10], classes=[0, 1, 2])
    for a, b in zip(seeded.coefs_ + seeded.intercepts_, fresh.coefs_ + fresh.intercepts_):
        assert_array_equal(a, b)


def test_partial_fit_reuses_its_buffers_and_does_not_save_them():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    reg = MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, random_state=0)
    reg.partial_fit(X[:10], y[:10])
    buffers = reg._buffers.entries["epochs"][1]
    reg.partial_fit(X[10:20], y[10:20])
    assert reg._buffers.entries["epochs"][1] is buffers
    restored = pickle.loads(pickle.dumps(reg))
    assert not hasattr(restored, "_buffers")
    # Continuing from the copy (new buffers) and from the original (kept ones) agree.
    for model in (reg, restored):
        model.partial_fit(X[20:], y[20:])
    assert_array_equal(reg.predict(X), restored.predict(X))


def test_later_partial_fit_checks_labels_on_the_fast_path_too():
    X = np.random.RandomState(0).normal(size=(20, 3))
    clf = PerceptronClassifier().partial_fit(X, np.arange(20) % 2, classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.full(20, 2))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.partial_fit(X, np.linspace(0, 1, 20))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.partial_fit(np.full((20, 3), np.nan), np.arange(20) % 2)
    with pytest.raises(ValueError, match="3 features"):
        clf.partial_fit(X[:, :2], np.arange(20) % 2)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.partial_fit(X, np.arange(19) % 2)


# ---------------------------------------------- compiled and numpy element loops
def _forced(use_compiled):
    """``kernels.compiled`` made to choose the compiled loops (loading numba) or the
    numpy forms, whatever the size."""
    return (lambda size=None: _kernels.compiled()) if use_compiled else (lambda size=None: False)


@needs_numba
@pytest.mark.parametrize("l2, n_penalised", [(0.0, 0), (1e-3, 30)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_kernels_compiled_equal_plain_python(dtype, l2, n_penalised, monkeypatch):
    # Compiled, each step loops over elements; without numba it is one vectorised
    # expression of the same rule.
    rng = np.random.RandomState(0)
    typ = np.dtype(dtype).type
    grad = rng.normal(size=50).astype(dtype)
    compiled = (_optimizers.adam_step, _optimizers.momentum_step, _optimizers.sgd_step)

    outputs = []
    for have_numba in (True, False):
        monkeypatch.setattr(_optimizers, "compiled", _forced(have_numba))
        adam, momentum, sgd = compiled
        theta = np.linspace(-1, 1, 50).astype(dtype)
        m, v, vel = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
        for _ in range(3):
            adam(theta, grad, m, v, typ(1e-3), typ(0.9), typ(0.1), typ(0.999), typ(0.001),
                 typ(1e-8), typ(l2), n_penalised)
            momentum(theta, grad, vel, typ(0.01), typ(0.9), True, typ(l2), n_penalised)
            sgd(theta, grad, typ(0.01), typ(l2), n_penalised)
        outputs.append((theta, m, v, vel))
    for a, b in zip(*outputs):
        assert a.dtype == dtype
        assert_array_equal(a, b)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l1_debts_and_dropout_masks_are_identical_compiled_and_in_numpy(monkeypatch, dtype):
    from skperceptron._engine import layers as _layers
    from skperceptron._engine import penalty as _penalty

    typ = np.dtype(dtype).type
    rng = np.random.RandomState(0)
    A = rng.normal(size=(40, 13)).astype(dtype)
    v = rng.uniform(0, 1e-2, size=50).astype(dtype)
    outputs = []
    for have_numba in (True, False):
        monkeypatch.setattr(_penalty, "compiled", _forced(have_numba))
        monkeypatch.setattr(_layers, "compiled", _forced(have_numba))
        theta = np.linspace(-1, 1, 50).astype(dtype)
        state = np.zeros(40), np.zeros(40)
        _penalty.pay_l1(theta, state, 40, typ(0.3))
        theta[:5] += typ(0.2)  # a kick smaller than the debt of weights at zero
        _penalty.pay_l1(theta, state, 40, typ(1e-3), v, typ(1e-8))
        out, mask = np.empty_like(A), np.empty_like(A)
        _layers.dropout_mask(A, out, mask, np.uint64(7), np.uint64(2**62), typ(4 / 3))
        outputs.append((theta, *state, out, mask))
    for a, b in zip(*outputs):
        assert_array_equal(a, b)
    theta, _, _, out, mask = outputs[0]
    assert (theta[:40] == 0).any() and set(np.unique(mask)) == {0, typ(4 / 3)}


_FIRST_FITS = """
import sys, warnings
import numpy as np
warnings.simplefilter("ignore")
import skperceptron
from skperceptron._utils import kernels
from sklearn.datasets import load_digits, load_iris
from skperceptron import MLPClassifier, PerceptronClassifier
loaded = ["numba" in sys.modules]
X, y = load_iris(return_X_y=True)
MLPClassifier(max_iter=5, random_state=0).fit(X, y)
loaded.append("numba" in sys.modules)
kernels.NUMPY_BUDGET_SECONDS = float(sys.argv[1])
X, y = load_digits(return_X_y=True)
mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=20, batch_size=32,
                    random_state=0).fit(X / 16, y)
loaded.append("numba" in sys.modules)
PerceptronClassifier(max_iter=2).fit(X, y)
loaded.append("numba" in sys.modules)
np.save(sys.argv[2], np.concatenate([W.ravel() for W in mlp.coefs_ + mlp.intercepts_]))
print(loaded)
"""


@needs_numba
def test_numba_loads_when_a_fit_needs_it_and_changes_no_result(tmp_path):
    # A fresh process: importing the package and a small fit leave numba unloaded;
    # a fit whose numpy forms outgrow the budget loads it mid-fit (budget 0.01 s) or
    # not at all (1e9 s), with the same weights bit for bit; the per-sample loops,
    # which have no numpy form, load it.
    import subprocess
    import sys

    outputs = {}
    for budget in ("0.01", "1e9"):
        path = tmp_path / f"{budget}.npy"
        run = subprocess.run([sys.executable, "-c", _FIRST_FITS, budget, str(path)],
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        outputs[budget] = (run.stdout.strip(), np.load(path))
    assert outputs["0.01"][0] == "[False, False, True, True]"
    assert outputs["1e9"][0] == "[False, False, False, True]"
    assert_array_equal(outputs["0.01"][1], outputs["1e9"][1])
