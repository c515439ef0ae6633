"""The cumulative L1 penalty of the perceptrons' online loops (Tsuruoka et al., 2009).

Each unit keeps u, the total L1 shrinkage a weight could have received (``eta * l1``
per step), each weight q, the signed shrinkage it did receive; after each step a
positive weight moves to max(0, w - (u + q)), a negative one to min(0, w + (u - q)).
A weight held at zero keeps its debt, so a later kick smaller than the debt leaves it
at zero. Checked by hand on a few samples, on the sparsity scikit-learn's Perceptron
reaches, and across calls.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skperceptron import PerceptronClassifier
from skperceptron._engine import losses
from skperceptron._training import online as _online
from skperceptron._training import online_loops
from skperceptron._engine.activations import get_activation
from skperceptron._utils.speed import HAVE_NUMBA
from skperceptron._engine.losses import get_loss
from skperceptron._engine.network import Network, Parameters

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

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
