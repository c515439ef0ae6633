"""The L1 and elastic-net penalties: the cumulative L1 step (Tsuruoka et al., 2009).

Each unit keeps u, the total L1 shrinkage a weight could have received (``eta * l1``
per step), each weight q, the signed shrinkage it did receive; after each step a
positive weight moves to max(0, w - (u + q)), a negative one to min(0, w + (u - q)).
A weight held at zero keeps its debt, so a later kick smaller than the debt leaves it
at zero. Checked by hand, in the mini-batch optimizers (SGD; Adam in its own metric)
and in the perceptrons' online loops (dense, sparse and the plain-numpy reference); on
the exact zeros it gives and the sparsity scikit-learn's Perceptron reaches; in the
reported loss; and across calls. The penalty's gradients are checked in
inspection/test_gradient_check.py.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, PerceptronClassifier, PerceptronRegressor
from skperceptron._engine import losses
from skperceptron._training import online as _online
from skperceptron._training import online_loops
from skperceptron._engine.activations import get_activation
from skperceptron._utils.kernels import HAVE_NUMBA
from skperceptron._engine.losses import get_loss
from skperceptron._engine.network import Network, Parameters
from skperceptron._engine.optimizers import SGD, Adam

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ------------------------------------------------- the mini-batch optimizers' step
def test_soft_threshold_step_by_hand():
    theta = np.array([0.5, -0.05, 0.02, -0.3, 0.04])  # 4 weights, then a bias
    grad = np.array([0.1, 0.0, 0.0, -0.2, 0.5])
    lr, l1 = 0.1, 0.6  # threshold lr * l1 = 0.06 on the weights, none on the bias
    sgd = SGD(5, np.float64, learning_rate_init=lr)
    sgd.step(theta, grad, 0.0, 4, l1)
    # after the gradient step: [0.49, -0.05, 0.02, -0.28 | 0.04 - 0.05]
    assert_allclose(theta, [0.49 - 0.06, 0.0, 0.0, -0.28 + 0.06, -0.01], rtol=1e-14)
    assert theta[1] == 0 and theta[2] == 0


def test_a_weight_at_zero_keeps_its_l1_debt():
    # Cumulative L1: u is what a weight could have received (0.2 a step), q what it
    # did. A weight that reached zero owes u + q, and a later gradient step smaller than
    # that leaves it at zero.
    theta = np.array([0.05, 1.0])  # 1 weight, then a bias
    sgd = SGD(2, np.float64, learning_rate_init=0.1)
    sgd.step(theta, np.zeros(2), 0.0, 1, 2.0)  # u 0.2: w 0.05 -> 0, q -0.05
    owed = lambda: sgd.l1_total[0] + sgd.l1_applied[0]  # noqa: E731
    assert theta[0] == 0 and owed() == pytest.approx(0.15, rel=1e-14)
    sgd.step(theta, np.array([-3.0, 0.0]), 0.0, 1, 2.0)  # kick +0.3 < 0.15 + 0.2 owed
    assert theta[0] == 0 and owed() == pytest.approx(0.05, rel=1e-12)
    sgd.step(theta, np.array([-4.0, 0.0]), 0.0, 1, 2.0)  # kick +0.4 > 0.05 + 0.2 owed
    assert theta[0] == pytest.approx(0.15, rel=1e-12) and owed() == pytest.approx(0, abs=1e-15)
    assert theta[1] == 1.0  # the bias is never penalised


def test_adam_proximal_step_uses_adam_s_metric():
    theta = np.array([0.5, -0.001, 1.0])  # 2 weights, then a bias
    grad = np.array([0.2, 0.1, 0.3])
    adam = Adam(3, np.float64, learning_rate_init=0.01)
    adam.step(theta, grad, 0.0, 2, 0.5)
    lr = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    m, v = 0.1 * grad, 0.001 * grad**2
    expected = np.array([0.5, -0.001, 1.0]) - lr * m / (np.sqrt(v) + 1e-8)
    c = lr * 0.5 / (np.sqrt(v[:2]) + 1e-8)
    expected[:2] = np.sign(expected[:2]) * np.maximum(np.abs(expected[:2]) - c, 0)
    assert_allclose(theta, expected, rtol=1e-14)
    assert theta[1] == 0


# ------------------------------------------------------ the per-sample loops' step
# One unit, two features, no bias, the perceptron rule with eta = 1 and c = eta l1 =
# 0.5; every sample has y = 1, so a mistake (x . w <= 0) adds x to w. Dyadic numbers:
# every value below is exact.
HAND_X = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 0.0]])
HAND_W0 = np.array([0.25, 1.0])
#   sample  kick     u     w before pay   owed u + q     weights      q after
#   A       none     0.5   (0.25, 1)      (0.5, 0.5)     (0, 0.5)     (-0.25, -0.5)
#   B       none     1.0   (0, 0.5)       (-, 0.5)       (0, 0)       (-0.25, -1)
#   C       (1, 0)   1.5   (1, 0)         (1.25, -)      (0, 0)       (-1.25, -1)
#   D       (2, 0)   2.0   (2, 0)         (0.75, -)      (1.25, 0)    (-2, -1)
# At C the kick (1) is smaller than w_0's debt (1.25): w_0 stays at zero, where the
# proximal step (soft threshold by 0.5) would have left it at 0.5.
HAND_W = [(0.0, 0.5), (0.0, 0.0), (0.0, 0.0), (1.25, 0.0)]
HAND_U = [0.5, 1.0, 1.5, 2.0]
HAND_Q = [(-0.25, -0.5), (-0.25, -1.0), (-1.25, -1.0), (-2.0, -1.0)]


def _dense_step(W_t, state, k, X=HAND_X, Y=np.ones((4, 1))):
    b = np.zeros(1)
    _online.online_epoch(W_t, b, X, Y, np.ones(len(X)), np.array([k]), 1.0,
                         0.0, losses.PERCEPTRON, False, 1.0, 1e-16, False, 0.5, None,
                         state)
    return W_t[0], state[0][0], state[1][0]


def _sparse_step(W, state, k, X=HAND_X, Y=np.ones((4, 1))):
    X = sp.csr_matrix(X)
    online_loops.online_epoch_sparse(W, np.zeros(1), X.data, X.indices, X.indptr,
                                       Y, np.ones(X.shape[0]), np.array([k]), 1.0,
                                       0.0, losses.PERCEPTRON, False, 1.0, 1e-16, 0.5,
                                       None, state)
    return W[:, 0], state[0][0], state[1][:, 0]


def _reference_step(params, state, k, X=HAND_X, Y=np.ones((4, 1))):
    network = Network((X.shape[1], 1), (), get_activation("identity"),
                      fit_intercept=False)
    _online.reference_epoch(network, get_loss("perceptron"), params, X, Y, None, [k],
                            1.0, 0.0, l1=0.5, l1_state=state)
    return params.coefs[0][:, 0], state[0][0], state[1][:, 0]


@pytest.mark.parametrize("form", ["dense", "sparse", "reference"])
def test_a_kick_smaller_than_the_debt_leaves_a_weight_at_zero(form):
    if form == "dense":
        state = (HAND_W0[None, :].copy(), (np.zeros(1), np.zeros((1, 2))))
        step = _dense_step
    elif form == "sparse":
        state = (HAND_W0[:, None].copy(), (np.zeros(1), np.zeros((2, 1))))
        step = _sparse_step
    else:
        params = Parameters.from_layers([HAND_W0[:, None].copy()], [np.zeros(1)],
                                        np.float64)
        state = (params, (np.zeros(1), np.zeros((2, 1))))
        step = _reference_step
    for k in range(4):  # one call per sample: the debts carry over from call to call
        w, u, q = step(*state, k)
        assert_array_equal(w, HAND_W[k])
        assert u == HAND_U[k]
        assert_array_equal(q, HAND_Q[k])


@pytest.mark.parametrize("form", ["dense", "sparse", "reference"])
def test_a_weight_that_changes_sign_owes_what_it_was_refunded(form):
    # One feature, w = 0.25, c = 0.5. A: no kick; u = 0.5, w pays 0.25 and stops at 0,
    # q = -0.25. B: a mistake on y = 0 kicks w to -1; u = 1, a negative weight owes
    # u - q = 1.25 >= 1: w = 0, q = 0.75. C: a mistake on y = 1 kicks w to 1; u = 1.5,
    # a positive weight owes u + q = 2.25: w = 0, q = -0.25. (A debt that only grew
    # by c and shrank by what was paid would have left w at -0.25 after B.)
    X, Y = np.array([[1.0], [1.0], [1.0]]), np.array([[1.0], [0.0], [1.0]])
    if form == "dense":
        state, step = (np.array([[0.25]]), (np.zeros(1), np.zeros((1, 1)))), _dense_step
    elif form == "sparse":
        state, step = (np.array([[0.25]]), (np.zeros(1), np.zeros((1, 1)))), _sparse_step
    else:
        params = Parameters.from_layers([np.array([[0.25]])], [np.zeros(1)], np.float64)
        state, step = (params, (np.zeros(1), np.zeros((1, 1)))), _reference_step
    for k, (w, u, q) in enumerate([(0.0, 0.5, -0.25), (0.0, 1.0, 0.75),
                                   (0.0, 1.5, -0.25)]):
        got = step(*state, k, X, Y)  # one call per sample: (w, u, q) carry over
        assert (got[0][0], got[1], got[2][0]) == (w, u, q)


@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_dense_l1_loop_matches_the_plain_numpy_reference(alpha, single_layer_problem):
    X, Y, W, b, sw = single_layer_problem(np.float64)
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


# --------------------------------------------------------------------- exact zeros
def _standardised_problem():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(2000, 100, n_informative=5, n_redundant=0, flip_y=0.01,
                               random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.skipif(not HAVE_NUMBA, reason="20 epochs of 1500 x 100: slow in Python")
def test_l1_zeroes_the_noise_features_as_scikit_learn_does():
    from sklearn.linear_model import Perceptron

    X_train, X_test, y_train, y_test = _standardised_problem()
    ours = PerceptronClassifier(penalty="l1", alpha=1e-3, tol=None, max_iter=20,
                                random_state=0).fit(X_train, y_train)
    theirs = Perceptron(penalty="l1", alpha=1e-3, tol=None, max_iter=20,
                        random_state=0).fit(X_train, y_train)
    # 95 of the 100 features carry nothing: scikit-learn's Perceptron zeroes 72% of
    # the weights here, this rule 73%; the proximal step zeroed none.
    assert np.mean(ours.coef_ == 0) >= 0.3
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.05


def _sparsity(clf):
    """(share of the weights at exactly zero, |w|_1) of a fitted linear model."""
    return np.mean(clf.coef_ == 0), np.abs(clf.coef_).sum()


@pytest.mark.skipif(not HAVE_NUMBA, reason="30 epochs of 1000 x 100: slow in Python")
@pytest.mark.parametrize("layout", ["dense", "csr", "text"])
def test_elastic_net_gives_scikit_learns_zeros_and_norm(layout):
    from sklearn.linear_model import Perceptron

    X, y = make_classification(n_samples=1000, n_features=100, n_informative=10,
                               random_state=0)
    if layout == "csr":
        X = sp.csr_matrix(X)
    elif layout == "text":  # most entries zero: the CSR loop pays its debts lazily
        X = sp.csr_matrix(np.where(np.random.RandomState(1).rand(*X.shape) < 0.8, 0, X))
    for l1_ratio in (0.15, 0.5):
        for alpha in (1e-3, 1e-2):
            ours, theirs = [], []
            for seed in range(5):
                kw = dict(penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, tol=None,
                          max_iter=30, random_state=seed)
                ours.append(_sparsity(PerceptronClassifier(**kw).fit(X, y)))
                theirs.append(_sparsity(Perceptron(**kw).fit(X, y)))
            ours, theirs = np.array(ours), np.array(theirs)
            # Within the run-to-run noise: the means of the five seeds differ by less
            # than three standard errors of their difference.
            error = np.sqrt(ours.var(axis=0, ddof=1) / 5 + theirs.var(axis=0, ddof=1) / 5)
            gap = np.abs(ours.mean(axis=0) - theirs.mean(axis=0))
            assert np.all(gap <= 3 * error), (l1_ratio, alpha, ours.mean(0), theirs.mean(0))


def _paid(w, u, q):
    """The cumulative L1 rule on one weight: (new weight, new q)."""
    after = max(0.0, w - (u + q)) if w > 0 else (min(0.0, w + (u - q)) if w < 0 else w)
    return after, q + (after - w)


@pytest.mark.parametrize("sparse", [False, True])
def test_l2_shrinks_the_weights_but_not_the_l1_debts(sparse):
    # Two samples, one feature, no intercept: the second sample's row is zero, so it
    # only shrinks the weight by L2 and adds to the debt. The debt u grows by eta * l1
    # a step and is never shrunk by the L2 factor, as in scikit-learn's SGD. A dense
    # row touches the weight at every step, which pays after each one; the CSR row of
    # the second sample does not touch it, and the weight pays what it owes in one
    # amount at the end of the epoch (or when a row next reads it).
    X = np.array([[1.0], [0.0]])
    y = np.array([1.0, 0.0])
    eta, l2, l1 = 0.1, 0.5, 0.05
    reg = PerceptronRegressor(penalty="elasticnet", alpha=l2 + l1, l1_ratio=l1 / (l2 + l1),
                              eta0=eta, fit_intercept=False, shuffle=False, tol=None,
                              max_iter=1, weight_init="zeros")
    reg.fit(sp.csr_matrix(X) if sparse else X, y)
    w = eta * 1.0  # the first step: w - eta ((0 * 1 - 1) * 1 + l2 * 0)
    u, q = eta * l1, 0.0
    if not sparse:
        w, q = _paid(w, u, q)
    w *= 1 - eta * l2  # the second step: L2 alone
    u += eta * l1
    w, q = _paid(w, u, q)
    assert reg.coef_[0, 0] == pytest.approx(w, rel=1e-12)
    assert reg._online_state.debts.total[0] == pytest.approx(u, rel=1e-12)
    assert reg._online_state.debts.applied[0, 0] == pytest.approx(q, rel=1e-12)


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


@pytest.mark.parametrize("solver, lr, alpha", [("sgd", 0.1, 3.0), ("adam", 0.01, 0.1)])
def test_l1_gives_exact_zeros_and_l2_none(digits, solver, lr, alpha):
    X, y = digits(400)
    kw = dict(hidden_layer_sizes=(32,), solver=solver, learning_rate_init=lr, alpha=alpha,
              max_iter=20, random_state=0)
    l1 = MLPClassifier(penalty="l1", **kw).fit(X, y)
    l2 = MLPClassifier(penalty="l2", **kw).fit(X, y)
    zeros = np.mean(np.concatenate([W.ravel() for W in l1.coefs_]) == 0)
    assert zeros > 0.1  # (0.16 and 0.36 when written)
    assert not any((W == 0).any() for W in l2.coefs_)
    assert l1.score(X, y) > 0.95


# -------------------------------------------------- the penalty's names and its loss
def test_penalty_names_agree_with_each_other(digits, flat_weights):
    X, y = digits(400)
    def fit(**params):
        params = {"alpha": 0.3, **params}
        return flat_weights(MLPClassifier((8,), max_iter=5, random_state=0, **params).fit(X, y))

    assert_array_equal(fit(penalty="elasticnet", l1_ratio=0.0), fit(penalty="l2"))
    assert_array_equal(fit(penalty="elasticnet", l1_ratio=1.0), fit(penalty="l1"))
    assert_array_equal(fit(penalty=None), fit(alpha=0.0))
    assert_array_equal(fit(), fit(penalty="l2"))


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


def test_l1_penalty_enters_the_reported_loss(digits):
    X, y = digits(400)
    kw = dict(hidden_layer_sizes=(8,), max_iter=1, shuffle=False, batch_size=400,
              random_state=0)
    plain = MLPClassifier(alpha=0.0, **kw)
    plain.fit(X, y)
    start = MLPClassifier(alpha=0.0, **kw)._gradient_problem(X, y)[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        l1 = MLPClassifier(penalty="l1", alpha=2.0, **kw).fit(X, y)
    # One batch: the loss reported is that of the starting weights, plus alpha |W| / n.
    expected = plain.loss_ + 2.0 * np.abs(start.weights).sum() / 400
    assert_allclose(l1.loss_, expected, rtol=1e-12)


def test_l1_fits_run_in_the_online_loop(epoch_runners):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    PerceptronClassifier(penalty="l1", max_iter=3, tol=None).fit(X, y)
    PerceptronClassifier(penalty="elasticnet", average=True, max_iter=3, tol=None).fit(X, y)
    assert epoch_runners == ["OnlineEpochs", "OnlineEpochs"]


# ------------------------------------------------------------- the debts across calls
def _rows(sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 8))
    X[:, 4:] *= 0.1  # weak features: their weights are held at zero with debts
    y = (X[:, :3] @ [1.0, -1.0, 0.5] > 0).astype(int) + (X[:, 0] > 1)
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kwargs", [dict(penalty="l1", alpha=0.05),
                                    dict(penalty="elasticnet", alpha=0.05, l1_ratio=0.5),
                                    dict(penalty="l1", alpha=0.05, average=True)],
                         ids=repr)
def test_the_debts_carry_over_partial_fit_and_pickle(kwargs, sparse):
    X, y = _rows(sparse)
    common = dict(kwargs, shuffle=False, eta0=0.1)
    one = PerceptronClassifier(max_iter=1, tol=None, **common).fit(X, y)
    two = PerceptronClassifier(**common)
    two.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert (two._online_state.debts.applied != 0).any()
    saved = pickle.loads(pickle.dumps(two))  # the L1 state is saved with the model
    for name, array in vars(two._online_state.debts).items():
        assert_array_equal(getattr(saved._online_state.debts, name), array)
    two.partial_fit(X[50:], y[50:])
    saved.partial_fit(X[50:], y[50:])
    assert_array_equal(saved.coef_, two.coef_)
    assert_array_equal(saved._online_state.debts.applied, two._online_state.debts.applied)
    # The same steps; the sparse loop folds its scale and debts once more, at the end
    # of the first call: agreement to rounding.
    assert_allclose(two.coef_, one.coef_, rtol=1e-12, atol=1e-13)
    assert_allclose(two.intercept_, one.intercept_, rtol=1e-12, atol=1e-13)
    for name, array in vars(one._online_state.debts).items():
        assert_allclose(getattr(two._online_state.debts, name), array, rtol=1e-12, atol=1e-13)
    assert (one.coef_ == 0).any()
    # Dropping the debts between the calls (the proximal step's memory) changes the fit.
    forgetful = PerceptronClassifier(**common).partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    forgetful._online_state.debts.total[...] = 0
    forgetful._online_state.debts.applied[...] = 0
    forgetful.partial_fit(X[50:], y[50:])
    assert not np.array_equal(forgetful.coef_, one.coef_)


def test_a_fresh_fit_starts_without_debts_and_old_files_load():
    X, y = _rows(False)
    clf = PerceptronClassifier(penalty="l1", alpha=0.05, eta0=0.1, shuffle=False,
                               max_iter=2, tol=None)
    first = clf.fit(X, y).coef_.copy()
    assert_array_equal(clf.fit(X, y).coef_, first)  # not continued from the last fit
    del clf._online_state  # a model saved before the state existed: it starts at zero
    clf.partial_fit(X, y)
    assert clf._online_state.debts.applied.shape == clf.coefs_[0].shape
    assert PerceptronClassifier(penalty="l2").fit(X, y)._online_state is None


def test_skops_keeps_the_l1_state(tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = _rows(True)
    clf = PerceptronClassifier(penalty="l1", alpha=0.05, max_iter=3, tol=None,
                               random_state=0).fit(X, y)
    sio.dump(clf, tmp_path / "model.skops")
    loaded = sio.load(tmp_path / "model.skops", trusted=[PerceptronClassifier])
    for name, array in vars(clf._online_state.debts).items():
        assert_array_equal(getattr(loaded._online_state.debts, name), array)
    assert_array_equal(loaded.partial_fit(X, y).coef_, clf.partial_fit(X, y).coef_)
