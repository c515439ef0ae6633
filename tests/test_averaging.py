"""The L1 and elastic-net penalties and averaged SGD in the perceptrons' online loops.

The dense loop (``_online.online_epoch``) takes the L1 term by the cumulative penalty
(after each step each weight pays the shrinkage it is owed); the sparse loop (``_online_sparse``)
defers each payment until a row touches the weight, and keeps the average as ``sums + S v - R``. Both are checked against the
definitions: a plain Python loop that averages the weights after every step, the
plain-numpy ``reference_epoch``, and each other.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skperceptron import PerceptronClassifier, PerceptronRegressor
from skperceptron._engine import losses
from skperceptron._training import online as _online
from skperceptron._training import online_loops
from skperceptron._engine.activations import get_activation
from skperceptron._utils.speed import HAVE_NUMBA
from skperceptron._engine.losses import get_loss
from skperceptron._engine.network import Network, Parameters

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _sparse(n=120, d=40, density=0.15, seed=0):
    rng = np.random.RandomState(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=rng)
    X.data = X.data * 4 - 2  # both signs, no ties
    return X


def _labels(X, n_classes, seed=1):
    scores = np.asarray(X @ np.random.RandomState(seed).normal(size=(X.shape[1], n_classes)))
    return scores.argmax(axis=1) if n_classes > 2 else (scores[:, 0] > 0).astype(int)


PENALISED = [
    dict(penalty="l1", alpha=0.01),
    dict(penalty="elasticnet", alpha=0.01, l1_ratio=0.5),
    dict(average=True),
    dict(average=7, penalty="l2", alpha=0.01),
    dict(average=True, penalty="elasticnet", alpha=0.01),
    dict(average=True, penalty="l1", alpha=0.01),
]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kwargs", PENALISED, ids=repr)
def test_sparse_loop_gives_the_dense_loops_weights(kwargs, n_classes):
    X = _sparse()
    y = _labels(X, n_classes)
    common = dict(kwargs, loss="hinge", eta0=0.1, max_iter=5, tol=None, random_state=0)
    dense = PerceptronClassifier(**common).fit(X.toarray(), y)
    sparse = PerceptronClassifier(**common).fit(X, y)
    # The same steps in the same order; the sparse loop sums each net input in another
    # order, takes the L2 term through a scale and the L1 thresholds as one sum per
    # weight: agreement to rounding after 600 steps.
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-9, atol=1e-12)
    assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    assert_allclose(sparse._online_state.averaging.coef if "average" in kwargs else 0,
                    dense._online_state.averaging.coef if "average" in kwargs else 0,
                    rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_gives_exact_zeros(penalty, sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)  # 28 features carry nothing
    X = sp.csr_matrix(X) if sparse else X
    # Each hinge step moves a weight by ~eta0 |x| ~ 0.1 and each threshold by
    # eta0 alpha = 0.02: the noise features end at 0 at least as often as not.
    clf = PerceptronClassifier(penalty=penalty, alpha=0.2, l1_ratio=0.9, loss="hinge",
                               eta0=0.1, max_iter=20, random_state=0).fit(X, y)
    assert (clf.coef_ == 0).sum() >= 8
    assert np.all(clf.coef_[0, :2] > 0)
    unpenalised = PerceptronClassifier(loss="hinge", eta0=0.1, max_iter=20,
                                       random_state=0).fit(X, y)
    assert (unpenalised.coef_ == 0).sum() == 0


def _problem(dtype, n=40, d=6, k=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    Y = (rng.rand(n, k) > 0.5).astype(dtype)
    W = rng.normal(scale=0.3, size=(d, k)).astype(dtype)
    b = rng.normal(scale=0.1, size=k).astype(dtype)
    sw = rng.uniform(0.5, 1.5, n).astype(dtype)
    return X, Y, W, b, sw / sw.mean()


def _python(kernel):
    return getattr(kernel, "py_func", kernel)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha, l1, start", [(0.0, 0.02, 0), (0.01, 0.02, 0),
                                              (0.0, 0.0, 1), (0.01, 0.0, 5),
                                              (0.01, 0.02, 3)])
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_compiled_loops_equal_plain_python(layout, alpha, l1, start, dtype):
    X, Y, W0, b0, sw = _problem(dtype)
    Xs = _sparse(n=40, d=6, density=0.4).astype(dtype)
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


@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_dense_l1_loop_matches_the_plain_numpy_reference(alpha):
    X, Y, W, b, sw = _problem(np.float64)
    network = Network((6, 3), (), get_activation("identity"))
    loss = get_loss("hinge")
    params = Parameters.from_layers([W], [b], np.float64)
    reference = params.copy()
    order = np.random.RandomState(1).permutation(40)
    # (u, q), carried over from epoch to epoch
    owed_t = (np.zeros(3), np.zeros((3, 6)))
    owed_reference = (np.zeros(3), np.zeros((6, 3)))
    for _ in range(3):
        W_t = np.ascontiguousarray(params.coefs[0].T)
        value, _ = _online.online_epoch(W_t, params.intercepts[0], X, Y, sw, order, 0.05,
                                        alpha, losses.HINGE, True, 1.0, 1e-16, True, 0.02,
                                        None, owed_t)
        params.coefs[0][...] = W_t.T
        expected = _online.reference_epoch(network, loss, reference, X, Y, sw, order, 0.05,
                                           alpha, l1=0.02, l1_state=owed_reference)
        # Dot products summed in another order (float64 against BLAS): 120 steps.
        assert value == pytest.approx(expected, rel=1e-12)
    assert_allclose(params.flat, reference.flat, rtol=1e-12, atol=1e-14)
    assert_array_equal(params.coefs[0] == 0, reference.coefs[0] == 0)
    assert_allclose(owed_t[0], owed_reference[0], rtol=1e-12)
    assert_allclose(owed_t[1].T, owed_reference[1], rtol=1e-12, atol=1e-14)
    assert (owed_reference[1] != 0).any()


def _perceptron_steps(X, y, eta, epochs, start):
    """The perceptron rule step by step in plain Python, and the mean of the weights
    after each step from sample ``start`` on (the definition of the average)."""
    w, b = np.zeros(X.shape[1]), 0.0
    kept_w, kept_b = [], []
    seen = 0
    for _ in range(epochs):
        for x, label in zip(X, y):
            s = 1.0 if label == 1 else -1.0
            if s * (x @ w + b) <= 0:
                w, b = w + eta * s * x, b + eta * s
            seen += 1
            if seen >= start:
                kept_w.append(w.copy())
                kept_b.append(b)
    if not kept_w:
        return None, None, w, b
    return np.mean(kept_w, axis=0), np.mean(kept_b), w, b


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("average", [True, 1, 25, 150])
def test_averaged_weights_are_the_mean_of_the_weights_after_each_step(average, sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    clf = PerceptronClassifier(average=average, shuffle=False, max_iter=3, tol=None)
    clf.fit(sp.csr_matrix(X) if sparse else X, y)
    mean_w, mean_b, w, b = _perceptron_steps(X, y, 1.0, 3, int(average))
    # 180 steps summed as S w - R instead of one by one: agreement to rounding.
    assert_allclose(clf.coef_[0], mean_w, rtol=1e-12, atol=1e-12)
    assert clf.intercept_[0] == pytest.approx(mean_b, rel=1e-12, abs=1e-12)
    assert_array_equal(clf._online_state.averaging.coef[:, 0], w)  # the running weights, exactly
    assert clf._online_state.averaging.intercept[0] == b


def test_before_averaging_starts_coef_holds_the_running_weights():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = PerceptronClassifier(average=1000, shuffle=False, max_iter=2, tol=None)
    clf.fit(X, y)  # 120 samples seen: averaging has not started
    _, _, w, b = _perceptron_steps(X, y, 1.0, 2, 1000)
    assert_array_equal(clf.coef_[0], w)
    assert clf.intercept_[0] == b


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kwargs", [dict(average=True), dict(average=30),
                                    dict(average=True, penalty="elasticnet", alpha=0.01)],
                         ids=repr)
def test_partial_fit_continues_the_average(kwargs, sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 5))
    y = rng.randint(0, 3, 100)
    X = sp.csr_matrix(X) if sparse else X
    one = PerceptronClassifier(shuffle=False, max_iter=1, tol=None, **kwargs).fit(X, y)
    two = PerceptronClassifier(shuffle=False, **kwargs)
    two.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    two = pickle.loads(pickle.dumps(two))  # the averaging state is saved with the model
    two.partial_fit(X[50:], y[50:])
    # The same steps; the running sum is made plain once more, at the end of the first
    # call: agreement to rounding.
    assert_allclose(two.coef_, one.coef_, rtol=1e-12, atol=1e-13)
    assert_allclose(two.intercept_, one.intercept_, rtol=1e-12, atol=1e-13)
    assert_allclose(two._online_state.averaging.coef, one._online_state.averaging.coef, rtol=1e-12, atol=1e-13)
    assert two.t_ == one.t_ == 100


def test_warm_start_continues_the_average():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    once = PerceptronClassifier(average=True, shuffle=False, max_iter=4, tol=None).fit(X, y)
    twice = PerceptronClassifier(average=True, shuffle=False, max_iter=2, tol=None,
                                 warm_start=True).fit(X, y).fit(X, y)
    assert_allclose(twice.coef_, once.coef_, rtol=1e-12, atol=1e-13)


def test_early_stopping_scores_and_keeps_the_averaged_weights():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    y = (X @ rng.normal(size=6) + 0.5 * rng.normal(size=300) > 0).astype(int)
    clf = PerceptronClassifier(average=True, early_stopping=True, max_iter=30,
                               random_state=0).fit(X, y)
    assert np.array_equal(clf._best_weights[: clf.coef_.size], clf.coefs_[0].ravel())
    assert not np.array_equal(clf.coefs_[0], clf._online_state.averaging.coef)


def test_average_with_mini_batches_is_refused():
    clf = PerceptronClassifier(average=True, batch_size=5)
    with pytest.raises(ValueError, match="average=True .* needs batch_size=1"):
        clf.fit(np.eye(4), [0, 1, 0, 1])


@pytest.mark.parametrize("params, name", [
    (dict(l1_ratio=1.5), "l1_ratio"),
    (dict(l1_ratio=-0.1), "l1_ratio"),
    (dict(penalty="l3"), "penalty"),
    (dict(average=-1), "average"),
    (dict(average=0.5), "average"),
    (dict(average=True, batch_size=2), "average"),
])
@pytest.mark.parametrize("cls", [PerceptronClassifier, PerceptronRegressor])
def test_bad_penalty_or_average_is_refused_and_changes_nothing(cls, params, name):
    X = np.random.RandomState(0).normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    est = cls(max_iter=3, tol=None, random_state=0, average=True).fit(X, y)
    before = {key: (value.copy() if isinstance(value, np.ndarray) else value)
              for key, value in est.__dict__.items() if key != "_online_state"}
    state = {key: np.copy(value) for key, value in vars(est._online_state.averaging).items()}
    est.set_params(**params)
    with pytest.raises(ValueError, match=name):
        est.fit(X, y)
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(est.__dict__[key], value)
    for key, value in state.items():
        assert_array_equal(getattr(est._online_state.averaging, key), value)


def test_penalty_none_ignores_alpha_and_l2_keeps_the_former_meaning():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    y = X @ [1.0, 2.0, 0.0, -1.0]
    common = dict(max_iter=5, tol=None, random_state=0)
    assert_array_equal(PerceptronRegressor(alpha=1.0, **common).fit(X, y).coef_,
                       PerceptronRegressor(alpha=0.0, **common).fit(X, y).coef_)
    penalised = PerceptronRegressor(penalty="l2", alpha=1.0, **common).fit(X, y)
    assert np.linalg.norm(penalised.coef_) < 0.9 * np.linalg.norm(
        PerceptronRegressor(**common).fit(X, y).coef_)


def test_l1_fits_run_in_the_online_loop(epoch_runners):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    PerceptronClassifier(penalty="l1", max_iter=3, tol=None).fit(X, y)
    PerceptronClassifier(penalty="elasticnet", average=True, max_iter=3, tol=None).fit(X, y)
    assert epoch_runners == ["OnlineEpochs", "OnlineEpochs"]


def test_skops_keeps_the_averaging_state(tmp_path):
    sio = pytest.importorskip("skops.io")
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = PerceptronClassifier(average=True, max_iter=3, tol=None, random_state=0)
    clf.fit(X, y)
    sio.dump(clf, tmp_path / "model.skops")
    loaded = sio.load(tmp_path / "model.skops", trusted=[PerceptronClassifier])
    for key, value in vars(clf._online_state.averaging).items():
        assert_array_equal(getattr(loaded._online_state.averaging, key), value)
    assert_array_equal(loaded.partial_fit(X, y).coef_, clf.partial_fit(X, y).coef_)

