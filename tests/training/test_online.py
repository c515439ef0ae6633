"""The single-layer online rules: the compiled loops against their plain-numpy reference.

``online_epoch`` computes each unit's net input with its own fixed-order dot product and
applies each rule written out per unit; ``reference_epoch`` runs the same epoch through
the network's forward pass and the loss objects of ``_losses``. Both make the same
updates in the same order; they differ only in how each dot product is summed (float64
partial sums against BLAS in the weights' dtype), so they agree to rounding. The loops
also give the weights of the generic mini-batch path they replace, the same results
compiled and as plain Python, and the sparse loop the dense loop's weights.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skperceptron import (
    PerceptronClassifier,
    PerceptronRegressor,
)
from skperceptron._engine import losses
from skperceptron._training import online as _online
from skperceptron._training import online_loops
from skperceptron._engine.activations import get_activation
from skperceptron._utils.kernels import HAVE_NUMBA, compiled
from skperceptron._engine.losses import get_loss
from skperceptron._engine.network import Network, Parameters, forward

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


@pytest.fixture(autouse=True, scope="module")
def _compiled_loops():
    """numba loaded before these tests, which call the loops directly: a kernel runs
    as plain Python until a fit loads numba (``speed.compiled``), and a comparison of
    compiled and plain loops must compare two different things."""
    compiled()

# rule -> (loss, output activation, targets): classification rules take {0, 1} columns.
CASES = {
    "perceptron": ("perceptron", "identity", "labels"),
    "hinge": ("hinge", "identity", "labels"),
    "squared_error": ("squared_error", "identity", "values"),
    "huber": ("huber", "identity", "values"),
    "absolute_error": ("absolute_error", "identity", "values"),
    "logistic": ("binary_log_loss", "logistic", "labels"),
    "softmax": ("log_loss", "softmax", "one_hot"),
}


@pytest.fixture
def problem(single_layer_problem):
    """``problem(case, dtype, n=50, d=6, k=3, seed=0)``: the network, loss, starting
    parameters and data (X, Y, sample weights) of one rule of ``CASES``."""

    def make(case, dtype, n=50, d=6, k=3, seed=0):
        loss_name, output, targets = CASES[case]
        X, Y, W, b, sw = single_layer_problem(dtype, n, d, k, seed, targets)
        loss = get_loss("huber", delta=0.5) if loss_name == "huber" else get_loss(loss_name)
        network = Network((d, k), (), get_activation(output))
        params = Parameters.from_layers([W], [b], dtype)
        return network, loss, params, X, Y, sw

    return make


def _python(kernel):
    """The plain-Python function behind a kernel (itself when numba is absent)."""
    return getattr(kernel, "py_func", kernel)


@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_loop_matches_the_plain_numpy_reference(case, dtype, alpha, problem):
    network, loss, params, X, Y, sw = problem(case, dtype)
    rule = _online.online_rule(loss, network.output_activation)
    assert rule is not None
    order = np.random.RandomState(1).permutation(X.shape[0])
    reference = params.copy()
    eta = 0.05
    typ = np.dtype(dtype).type
    losses = []
    for _ in range(3):
        W_t = np.ascontiguousarray(params.coefs[0].T)
        value, _ = _online.online_epoch(
            W_t, params.intercepts[0], X, Y, sw, order, typ(eta), typ(alpha), rule, True,
            float(getattr(loss, "delta", 1.0)), float(np.finfo(dtype).eps))
        params.coefs[0][...] = W_t.T
        expected = _online.reference_epoch(network, loss, reference, X, Y, sw, order, eta,
                                           alpha)
        losses.append((value, expected))
    # float64: the sums differ in order only, ~1e-16 per operation over 150 updates;
    # float32: each unit's net input is float64 in the loop and float32 in the reference.
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert_allclose(params.flat, reference.flat, rtol=rtol, atol=rtol)
    assert_allclose([a for a, _ in losses], [b for _, b in losses], rtol=rtol)


def test_online_net_inputs_agree_with_the_forward_pass(problem):
    # The loop computes z = x . w + b with its own dot product; the forward pass asks
    # BLAS. The decision and the updates rest on the same numbers, to rounding.
    network, _, params, X, _, _ = problem("squared_error", np.float64)
    Z = forward(network, params, X, apply_output=False)[-1]
    W_t = np.ascontiguousarray(params.coefs[0].T)
    own = np.array([[online_loops.fixed_order_dot(x, w) + b for w, b in
                     zip(W_t, params.intercepts[0])] for x in X])
    assert_allclose(own, Z, rtol=1e-13, atol=1e-15)


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


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronRegressor(loss="huber", huber_delta=0.3, max_iter=5, tol=None,
                            random_state=0),
        PerceptronRegressor(loss="absolute_error", penalty="l2", alpha=0.001, max_iter=5, tol=None,
                            random_state=0),
        PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1, max_iter=5,
                             tol=None, random_state=0),
    ],
    ids=repr,
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_new_online_rules_match_the_generic_mini_batch_path(estimator, n_classes,
                                                            monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    if isinstance(estimator, PerceptronClassifier):
        y = rng.randint(0, n_classes, 80)
    else:
        y = X @ rng.normal(size=(5, n_classes - 1)) + 0.1 * rng.normal(size=(80, 1))
        y = y.ravel() if n_classes == 2 else y
    sw = rng.uniform(0.5, 2.0, 80)
    fast = estimator.fit(X, y, sample_weight=sw)
    monkeypatch.setattr(_online.OnlineEpochs, "applies", staticmethod(lambda *a: False))
    slow = type(estimator)(**estimator.get_params()).fit(X, y, sample_weight=sw)
    # As in test_online_loop_matches_the_generic_mini_batch_path: the same updates,
    # each dot product summed in another order.
    assert_allclose(fast.coef_, slow.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-9, atol=1e-12)
    assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-9)


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
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule", sorted(losses.ONLINE_RULES.values()))
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_online_epoch_compiled_equals_plain_python(dtype, rule, alpha, single_layer_problem):
    X, Y = single_layer_problem(dtype, n=60, d=7)[:2]
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


# ---------------------------------------------------------------------- sparse rows
ESTIMATORS = {
    "perceptron": lambda **kw: PerceptronClassifier(**kw),
    "hinge": lambda **kw: PerceptronClassifier(loss="hinge", **kw),
    "logistic": lambda **kw: PerceptronClassifier(activation="logistic", loss="log_loss",
                                                  eta0=0.1, **kw),
    "squared_error": lambda **kw: PerceptronRegressor(eta0=0.01, **kw),
    "huber": lambda **kw: PerceptronRegressor(loss="huber", eta0=0.01, **kw),
    "absolute_error": lambda **kw: PerceptronRegressor(loss="absolute_error", eta0=0.01,
                                                       **kw),
}


LABELLED = ("perceptron", "hinge", "logistic")  # the classifiers of ESTIMATORS


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_sparse_loop_gives_the_dense_loops_weights(name, n_classes, alpha, sparse_rows,
                                                   linear_targets):
    X = sparse_rows()
    y = linear_targets(X, n_classes, regression=name not in LABELLED)
    kwargs = dict(penalty="l2", alpha=alpha, max_iter=5, tol=None, random_state=0)
    dense = ESTIMATORS[name](**kwargs).fit(X.toarray(), y)
    sparse = ESTIMATORS[name](**kwargs).fit(X, y)
    # The same updates in the same order; each net input is summed in another order
    # (the row's non-zeros against four interleaved sums) and, with alpha, the weights
    # are decayed through a per-unit scale: agreement to rounding after 600 updates.
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-9, atol=1e-12)
    assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    assert sparse.n_iter_ == dense.n_iter_


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_sparse_loop_compiled_equals_plain_python(case, dtype, alpha, problem, sparse_rows):
    network, loss, params, _, Y, sw = problem(case, dtype, n=60, d=30)
    X = sparse_rows(n=60, d=30, dtype=dtype)
    rule = _online.online_rule(loss, network.output_activation)
    order = np.random.RandomState(2).permutation(60)
    typ = np.dtype(dtype).type
    results = []
    for kernel in (online_loops.online_epoch_sparse,
                   online_loops.online_epoch_sparse.py_func):
        W, b = params.coefs[0].copy(), params.intercepts[0].copy()
        for _ in range(3):
            value, all_zero = kernel(W, b, X.data, X.indices, X.indptr, Y, sw, order,
                                     typ(0.05), typ(alpha), rule, True, 0.5,
                                     float(np.finfo(dtype).eps))
        results.append((W, b, value, all_zero))
    (W1, b1, l1, z1), (W2, b2, l2, z2) = results
    assert W1.dtype == dtype
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(b1, b2)
    assert l1 == pytest.approx(l2, rel=1e-12)
    assert z1 == z2


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha, l1, start", [(0.0, 0.02, 0), (0.01, 0.02, 0),
                                              (0.0, 0.0, 1), (0.01, 0.0, 5),
                                              (0.01, 0.02, 3)])
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_compiled_loops_equal_plain_python(layout, alpha, l1, start, dtype,
                                           single_layer_problem, sparse_rows):
    X, Y, W0, b0, sw = single_layer_problem(dtype)
    Xs = sparse_rows(n=40, d=6, density=0.4).astype(dtype)
    typ = np.dtype(dtype).type
    order = np.random.RandomState(2).permutation(40)
    results = []
    for compiled in (True, False):
        W = np.ascontiguousarray(W0.T) if layout == "dense" else W0.copy()
        b = b0.copy()
        owed = (np.zeros(3), np.zeros(W.shape)) if l1 else None  # (u, q)
        averaging = None
        if start:
            averaging = (np.zeros(W.shape), np.zeros(b.shape), np.array([start, 0]))
        for _ in range(3):
            if layout == "dense":
                kernel = _online.online_epoch if compiled else _python(_online.online_epoch)
                out = kernel(W, b, X, Y, sw, order, typ(0.05), typ(alpha), 1, True, 1.0,
                             1e-7, True, typ(l1), averaging, owed)
            else:
                kernel = online_loops.online_epoch_sparse
                kernel = kernel if compiled else _python(kernel)
                out = kernel(W, b, Xs.data, Xs.indices, Xs.indptr, Y, sw, order, typ(0.05),
                             typ(alpha), 1, True, 1.0, 1e-7, typ(l1), averaging, owed)
        results.append((W, b, out, averaging, owed))
    (W1, b1, out1, avg1, owed1), (W2, b2, out2, avg2, owed2) = results
    assert W1.dtype == dtype
    assert_array_equal(W1, W2)
    assert_array_equal(b1, b2)
    assert out1[0] == pytest.approx(out2[0], rel=1e-12)
    if l1:
        for a, b in zip(owed1, owed2):
            assert_array_equal(a, b)
        assert (owed1[1] != 0).any()
    if start:
        for a, b in zip(avg1, avg2):
            assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("fmt", ["csc", "coo"])
def test_csc_and_coo_input_train_as_csr(fmt, sparse_rows, linear_targets):
    X = sparse_rows()
    y = linear_targets(X, 3)
    kwargs = dict(max_iter=5, tol=None, random_state=0)
    csr = PerceptronClassifier(**kwargs).fit(X, y)
    other = PerceptronClassifier(**kwargs).fit(X.asformat(fmt), y)
    np.testing.assert_array_equal(other.coef_, csr.coef_)
    np.testing.assert_array_equal(other.intercept_, csr.intercept_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_classes", [2, 20])
def test_sparse_fit_never_makes_x_dense(n_classes):
    # 20,000 x 20,000 with 40 terms a row (density 0.002): the CSR arrays take 9.7 MB,
    # a dense copy 3.2 GB. The fit's peak of traced memory stays below twice the CSR
    # arrays plus the model (its weights). Without numba the same loop runs as Python,
    # ~1 us per term and class: 1,000 x 2,000 rows with 40 terms, one epoch, show it.
    n, d, per_row = (20_000, 20_000, 40) if HAVE_NUMBA else (1_000, 2_000, 40)
    rng = np.random.default_rng(0)
    columns = np.sort(rng.choice(d, size=(n, per_row)), axis=1)  # repeats are rare
    X = sp.csr_matrix((rng.random(n * per_row), columns.ravel(),
                       np.arange(0, n * per_row + 1, per_row)), shape=(n, d))
    X.sum_duplicates()
    y = rng.integers(0, n_classes, n)
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    model_bytes = (d + 1) * n_classes * 8
    clf = PerceptronClassifier(max_iter=2 if HAVE_NUMBA else 1, tol=None, random_state=0)
    clf.fit(X[:50], y[:50])  # numba loads (or compiles) its kernels on a first call
    tracemalloc.start()
    try:
        clf.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * csr_bytes + model_bytes, (peak, csr_bytes, model_bytes)
    assert clf.score(X, y) > 1 / n_classes
