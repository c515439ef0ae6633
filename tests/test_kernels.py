"""The compiled kernels: the same results with and without numba, and the same
weights as the generic mini-batch path they replace."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skperceptron import PerceptronClassifier, PerceptronRegressor
from skperceptron._engine import losses
from skperceptron._training import online as _online
from skperceptron._engine import optimizers as _optimizers
from skperceptron._utils.speed import HAVE_NUMBA

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


def _python(kernel):
    """The plain-Python function behind a kernel (itself when numba is absent)."""
    return getattr(kernel, "py_func", kernel)


def _data(dtype, n=60, d=7, k=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    Y = (rng.rand(n, k) > 0.5).astype(dtype)
    return X, Y


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule", sorted(losses.ONLINE_RULES.values()))
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_online_epoch_compiled_equals_plain_python(dtype, rule, alpha):
    X, Y = _data(dtype)
    typ = np.dtype(dtype).type
    sw = np.random.RandomState(1).uniform(0.5, 1.5, X.shape[0]).astype(dtype)
    order = np.random.RandomState(2).permutation(X.shape[0])
    results = []
    for kernel in (_online.online_epoch, _python(_online.online_epoch)):
        W_t = np.full((Y.shape[1], X.shape[1]), 0.1, dtype=dtype)
        b = np.zeros(Y.shape[1], dtype=dtype)
        for _ in range(3):
            loss, all_zero = kernel(W_t, b, X, Y, sw, order, typ(0.1), typ(alpha), rule, True)
        results.append((W_t, b, loss, all_zero))
    (W1, b1, l1, z1), (W2, b2, l2, z2) = results
    assert W1.dtype == dtype
    assert_array_equal(W1, W2)
    assert_array_equal(b1, b2)
    assert l1 == pytest.approx(l2, rel=1e-12)
    assert z1 == z2


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
        monkeypatch.setattr(_optimizers, "HAVE_NUMBA", have_numba)
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


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronClassifier(max_iter=5, tol=None, random_state=0),
        PerceptronClassifier(loss="hinge", penalty="l2", alpha=0.01, max_iter=5, tol=None,
                             random_state=0),
        PerceptronRegressor(max_iter=5, tol=None, random_state=0),
        PerceptronRegressor(penalty="l2", alpha=0.001, fit_intercept=False, max_iter=5, tol=None,
                            random_state=0),
    ],
    ids=repr,
)
def test_online_loop_matches_the_generic_mini_batch_path(estimator, monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    if isinstance(estimator, PerceptronClassifier):
        y = rng.randint(0, 3, 80)
    else:
        y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=80)
    sw = rng.uniform(0.5, 2.0, 80)
    fast = estimator.fit(X, y, sample_weight=sw)
    W_fast = fast.coef_.copy()
    b_fast = fast.intercept_.copy()
    monkeypatch.setattr(_online.OnlineEpochs, "applies", staticmethod(lambda *a: False))
    slow = type(estimator)(**estimator.get_params()).fit(X, y, sample_weight=sw)
    # The same operations in the same order, except that the compiled loop sums each
    # dot product in its own fixed order (float64 partial sums) where the mini-batch
    # path asks BLAS: agreement to rounding, accumulated over 5 epochs of 80 updates.
    np.testing.assert_allclose(W_fast, slow.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b_fast, slow.intercept_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-9)


def test_online_loop_is_used_for_the_classic_rules(epoch_runners):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    PerceptronClassifier(max_iter=3, tol=None).fit(X, y)
    PerceptronClassifier(batch_size=5, max_iter=3, tol=None).fit(X, y)
    PerceptronClassifier(activation="logistic", loss="log_loss", max_iter=3).fit(X, y)
    PerceptronClassifier(activation="logistic", loss="log_loss", batch_size=2,
                         max_iter=3).fit(X, y)
    assert epoch_runners == ["OnlineEpochs", "MiniBatchEpochs", "OnlineEpochs",
                             "MiniBatchEpochs"]


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
        monkeypatch.setattr(_penalty, "HAVE_NUMBA", have_numba)
        monkeypatch.setattr(_layers, "HAVE_NUMBA", have_numba)
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
