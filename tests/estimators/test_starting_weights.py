"""Starting weights of your own: partial_fit and a warm start continue from them.

A user may assign ``coefs_`` and ``intercepts_`` to any estimator, fitted or not; the
next ``partial_fit``, or ``fit`` with ``warm_start=True``, starts from them. The oracles
here: one SGD step written out by hand, a perceptron's textbook trace in exact binary
fractions, and the continuation of a fitted model from the same weights.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor

# The same operations in the same order give the same numbers; the tolerance only
# allows a BLAS to sum a product in another order for differently aligned buffers.
SAME = dict(rtol=1e-12, atol=1e-14)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------- (a) one step by hand


def test_one_sgd_step_of_a_logistic_network_matches_the_hand_computed_update():
    x = np.array([1.0, 0.5, -1.0])  # one sample, three features
    y = 1.0
    W1 = np.array([[0.2, -0.3], [0.4, 0.1], [-0.5, 0.2]])  # (3, 2)
    b1 = np.array([0.1, -0.2])
    W2 = np.array([[0.7], [-0.6]])  # (2, 1)
    b2 = np.array([0.05])
    lr = 0.5

    # Forward pass, unit by unit.
    z1 = [x[0] * W1[0, j] + x[1] * W1[1, j] + x[2] * W1[2, j] + b1[j] for j in (0, 1)]
    h = [_sigmoid(z) for z in z1]
    z2 = h[0] * W2[0, 0] + h[1] * W2[1, 0] + b2[0]
    p = _sigmoid(z2)
    # Log-loss with a logistic output: dL/dz2 = p - y (mean over a batch of one).
    d2 = p - y
    dW2 = [h[0] * d2, h[1] * d2]
    db2 = d2
    # Back through the hidden layer: dL/dz1_j = d2 * W2_j * h_j (1 - h_j).
    d1 = [d2 * W2[j, 0] * h[j] * (1.0 - h[j]) for j in (0, 1)]
    dW1 = [[x[i] * d1[j] for j in (0, 1)] for i in range(3)]
    expected_W1 = W1 - lr * np.array(dW1)
    expected_b1 = b1 - lr * np.array(d1)
    expected_W2 = W2 - lr * np.array(dW2).reshape(2, 1)
    expected_b2 = b2 - lr * db2

    clf = MLPClassifier(hidden_layer_sizes=(2,), activation="logistic", solver="sgd",
                        momentum=0, alpha=0, batch_size=1, learning_rate_init=lr,
                        shuffle=False)
    clf.coefs_ = [W1.copy(), W2.copy()]
    clf.intercepts_ = [b1.copy(), b2.copy()]
    clf.partial_fit(x.reshape(1, -1), [1], classes=[0, 1])

    assert_allclose(clf.coefs_[0], expected_W1, **SAME)
    assert_allclose(clf.intercepts_[0], expected_b1, **SAME)
    assert_allclose(clf.coefs_[1], expected_W2, **SAME)
    assert_allclose(clf.intercepts_[1], expected_b2, **SAME)
    assert_allclose(clf.loss_, -np.log(p), **SAME)  # the loss before the step
    assert clf.t_ == 1 and clf.n_features_in_ == 3
    assert_array_equal(clf.classes_, [0, 1])


# ------------------------------------------------------- (b) a textbook perceptron trace

# The perceptron learning AND from w = (1/4, -1/2), b = 1/2 with eta = 1/4, visiting
# (0,0), (0,1), (1,0), (1,1) in this order; on a mistake (s z <= 0, s = +1 for class 1
# and -1 for class 0) w += eta s x and b += eta s. Traced by hand: epoch 1 corrects
# (0,0) (b to 1/4), (1,0) (w1 to 0, b to 0) and (1,1) (w to (1/4, -1/4), b to 1/4), and
# so on until epoch 10; epoch 11 makes no mistake. Every value is a multiple of 1/4,
# exact in binary floating point, so the comparison is exact.
AND_TRACE = [  # (w1, w2, b) after each epoch
    (0.25, -0.25, 0.25),
    (0.25, 0.0, 0.0),
    (0.25, 0.25, -0.25),
    (0.5, 0.25, -0.25),
    (0.5, 0.25, -0.5),
    (0.5, 0.5, -0.5),
    (0.75, 0.5, -0.5),
    (0.75, 0.5, -0.75),
    (0.75, 0.75, -0.75),
    (0.75, 0.5, -1.0),
    (0.75, 0.5, -1.0),
]
X_AND = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0, 0, 0, 1])


def _and_perceptron(**params):
    clf = PerceptronClassifier(eta0=0.25, shuffle=False, tol=None, **params)
    clf.coefs_ = [np.array([[0.25], [-0.5]])]
    clf.intercepts_ = [np.array([0.5])]
    return clf


def test_perceptron_learning_and_follows_the_textbook_trace_epoch_by_epoch():
    clf = _and_perceptron()
    trace = []
    for epoch in range(len(AND_TRACE)):
        clf.partial_fit(X_AND, Y_AND, classes=[0, 1] if epoch == 0 else None)
        trace.append((*clf.coefs_[0].ravel(), *clf.intercepts_[0]))
    assert trace == AND_TRACE
    assert_array_equal(clf.predict(X_AND), Y_AND)


def test_perceptron_fit_from_the_textbook_start_converges_where_the_trace_ends():
    clf = _and_perceptron(warm_start=True, max_iter=100).fit(X_AND, Y_AND)
    assert clf.stop_reason_ == "converged"
    assert clf.n_iter_ == len(AND_TRACE)  # ten epochs with mistakes, one without
    assert (*clf.coefs_[0].ravel(), *clf.intercepts_[0]) == AND_TRACE[-1]


# ------------------------------------------------------------ (c) bad starting weights

X3 = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 2.0, 0.0], [3.0, 1.0, 1.0]])
Y3 = np.array([0, 1, 0, 1])


def _mlp_with(coefs, intercepts=None):
    clf = MLPClassifier(hidden_layer_sizes=(2,), solver="sgd", max_iter=2, random_state=0)
    clf.coefs_ = coefs
    clf.intercepts_ = [np.zeros(2), np.zeros(1)] if intercepts is None else intercepts
    return clf


BAD_COEFS = {
    "shape": ([np.ones((3, 2)), np.ones((3, 1))], ValueError,
              r"coefs_\[1\] has shape \(3, 1\); the network needs \(2, 1\); coefs_ must "
              r"be 2 arrays of shapes \[\(3, 2\), \(2, 1\)\]"),
    "features": ([np.ones((4, 2)), np.ones((2, 1))], ValueError,
                 r"coefs_\[0\] has shape \(4, 2\); the network needs \(3, 2\)"),
    "layers": ([np.ones((3, 2))], ValueError,
               r"coefs_ has 1 arrays; the network has 2 layers: coefs_ must be 2 arrays "
               r"of shapes \[\(3, 2\), \(2, 1\)\]"),
    "complex": ([np.ones((3, 2)), np.ones((2, 1), dtype=complex)], TypeError,
                r"coefs_\[1\] has dtype complex128; starting weights must be real numbers"),
    "object": ([np.ones((3, 2)), np.array([[1], [None]], dtype=object)], TypeError,
               r"coefs_\[1\] has dtype object; starting weights must be real"),
    "bool": ([np.ones((3, 2), dtype=bool), np.ones((2, 1))], TypeError,
             r"coefs_\[0\] has dtype bool; starting weights must be real"),
    "strings": ([np.full((3, 2), "1"), np.ones((2, 1))], TypeError,
                r"coefs_\[0\] has dtype <U1; starting weights must be real"),
    "nan": ([np.ones((3, 2)), np.array([[1.0], [np.nan]])], ValueError,
            r"coefs_\[1\] has non-finite values \(NaN or infinity\)"),
    "inf": ([np.full((3, 2), -np.inf), np.ones((2, 1))], ValueError,
            r"coefs_\[0\] has non-finite values"),
    "not a list": (np.ones((3, 2)), TypeError,
                   r"coefs_ must be a list of arrays, one per layer, not ndarray"),
}


def _state(est):
    return {key: value for key, value in est.__dict__.items()}


def _assert_unchanged(est, before):
    assert est.__dict__.keys() == before.keys()
    for key, value in before.items():
        assert est.__dict__[key] is value, key


@pytest.mark.parametrize("case", list(BAD_COEFS), ids=list(BAD_COEFS))
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_bad_starting_weights_are_refused_by_layer_and_change_nothing(case, how):
    coefs, error, match = BAD_COEFS[case]
    clf = _mlp_with(coefs)
    before = _state(clf)
    with pytest.raises(error, match=match):
        if how == "partial_fit":
            clf.partial_fit(X3, Y3, classes=[0, 1])
        else:
            clf.set_params(warm_start=True)
            before = _state(clf)
            clf.fit(X3, Y3)
    _assert_unchanged(clf, before)
    assert not hasattr(clf, "n_features_in_") and not hasattr(clf, "classes_")


@pytest.mark.parametrize(
    "intercepts, match",
    [
        ([np.zeros(2), np.zeros(2)], r"intercepts_\[1\] has shape \(2,\); the network needs \(1,\)"),
        ([np.zeros((2, 1)), np.zeros(1)], r"intercepts_\[0\] has shape \(2, 1\); the network needs \(2,\)"),
        ([np.zeros(2)], r"intercepts_ has 1 arrays; the network has 2 layers"),
        (None, r"intercepts_ is not set; intercepts_ must be 2 arrays of shapes \[\(2,\), \(1,\)\]"),
    ],
)
def test_bad_or_missing_intercepts_are_refused_by_layer(intercepts, match):
    clf = _mlp_with([np.ones((3, 2)), np.ones((2, 1))], intercepts or [])
    if intercepts is None:
        del clf.intercepts_
    before = _state(clf)
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X3, Y3, classes=[0, 1])
    _assert_unchanged(clf, before)


def test_weights_beyond_float32_are_refused_for_float32_data():
    clf = _mlp_with([np.full((3, 2), 1e39), np.ones((2, 1))])
    with pytest.raises(ValueError, match=r"coefs_\[0\] has values beyond the range of float32"):
        clf.partial_fit(X3.astype(np.float32), Y3, classes=[0, 1])
    clf.partial_fit(X3, Y3, classes=[0, 1])  # fine in float64 (if useless)


def test_replaced_weights_of_a_fitted_model_are_checked_and_a_failed_fit_keeps_the_model():
    clf = _mlp_with([np.ones((3, 2)), np.ones((2, 1))])
    clf.partial_fit(X3, Y3, classes=[0, 1])
    clf.coefs_ = [np.ones((3, 2)), np.ones((5, 1))]  # the user replaces them badly
    before = _state(clf)
    with pytest.raises(ValueError, match=r"coefs_\[1\] has shape \(5, 1\).*cannot change "
                                         r"the network's shape"):
        clf.partial_fit(X3, Y3)
    _assert_unchanged(clf, before)


def test_integer_weights_become_the_dtype_of_the_data_and_are_not_changed_in_place():
    W1, W2 = np.ones((3, 2), dtype=np.int64), np.array([[1], [-1]], dtype=np.int32)
    clf = _mlp_with([W1, W2], [np.zeros(2, dtype=np.int8), np.zeros(1, dtype=np.uint8)])
    clf.partial_fit(X3.astype(np.float32), Y3, classes=[0, 1])
    assert all(a.dtype == np.float32 for a in clf.coefs_ + clf.intercepts_)
    assert_array_equal(W1, 1)  # the user's arrays are copied, never trained
    assert_array_equal(W2, [[1], [-1]])
    assert not np.array_equal(clf.coefs_[1], W2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_assigned_starting_weights_with_batch_norm(digits, flat_weights):
    X, y = digits(400)
    fitted = MLPClassifier((8,), batch_norm=True, max_iter=3, random_state=0).fit(X, y)
    # Weights of one's own without batch normalization's arrays: those start as new.
    fresh = MLPClassifier((8,), batch_norm=True, max_iter=1, warm_start=True)
    fresh.coefs_ = [W.copy() for W in fitted.coefs_]
    fresh.intercepts_ = [b.copy() for b in fitted.intercepts_]
    fresh.fit(X, y)
    assert fresh.n_iter_ == 1 and np.isfinite(flat_weights(fresh)).all()
    # With them, they are checked like the weights: the layer and shapes are named.
    wrong = MLPClassifier((8,), batch_norm=True, warm_start=True)
    wrong.coefs_, wrong.intercepts_ = fitted.coefs_, fitted.intercepts_
    wrong.running_vars_ = [np.ones(7)]
    with pytest.raises(ValueError, match=r"running_vars_\[0\] has shape \(7,\)"):
        wrong.fit(X, y)


# ----------------------------------------------- (d) continuing from assigned weights


def _data(est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    if is_classifier(est):
        # Noisy labels: not linearly separable, so that a perceptron never converges.
        return X, (X[:, 0] + X[:, 1] + rng.normal(size=40) > 0).astype(int)
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3


ESTIMATORS = {
    "perceptron": lambda: PerceptronClassifier(random_state=0),
    "perceptron-log": lambda: PerceptronClassifier(activation="logistic", loss="log_loss",
                                                   eta0=0.1, random_state=0),
    "linear-neuron": lambda: PerceptronRegressor(random_state=0),
    "mlp-clf-sgd": lambda: MLPClassifier((4,), solver="sgd", learning_rate_init=0.1,
                                         random_state=0),
    "mlp-clf-adam": lambda: MLPClassifier((4,), learning_rate_init=0.05, batch_size=8,
                                          random_state=0),
    "mlp-clf-lbfgs": lambda: MLPClassifier((4,), solver="lbfgs", random_state=0),
    "mlp-reg-adam": lambda: MLPRegressor(hidden_layer_sizes=(4,), learning_rate_init=0.05, batch_size=8,
                                         random_state=0),
    "mlp-reg-lbfgs": lambda: MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0),
}
STOCHASTIC = [name for name in ESTIMATORS if "lbfgs" not in name]


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _assign(est, source):
    est.coefs_ = [W.copy() for W in source.coefs_]
    est.intercepts_ = [b.copy() for b in source.intercepts_]
    return est


def _assert_same_weights(a, b):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert_allclose(x, y, **SAME)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_warm_start_from_assigned_weights_continues_as_the_fitted_model_does(name):
    """Each fit makes a fresh optimizer (and L-BFGS state): a fitted model continued by a
    warm start and a new estimator given its weights run the same epochs. The stopping
    rules are kept from firing (max_iter=3 is below their patience), since a fitted
    model also remembers its best loss."""
    est = ESTIMATORS[name]().set_params(max_iter=3, warm_start=True)
    X, y = _data(est)
    fitted = _fit(est, X, y)
    start = _assign(ESTIMATORS[name]().set_params(max_iter=3, warm_start=True), fitted)
    fresh = _fit(ESTIMATORS[name]().set_params(max_iter=3), X, y)
    _fit(fitted, X, y)
    _fit(start, X, y)
    _assert_same_weights(start, fitted)
    assert start.n_iter_ == fitted.n_iter_
    assert_allclose(start.loss_curve_, fitted.loss_curve_[-len(start.loss_curve_):], **SAME)
    assert start.n_features_in_ == 3
    if hasattr(start, "classes_"):
        assert_array_equal(start.classes_, [0, 1])
    # The fit did start from the assigned weights, not from new ones.
    assert not np.allclose(start.coefs_[0], fresh.coefs_[0])


@pytest.mark.parametrize("name", STOCHASTIC)
def test_partial_fit_from_assigned_weights_is_one_warm_start_epoch(name):
    """partial_fit on a new estimator makes a fresh optimizer, as every fit does: one
    pass from assigned weights equals one epoch of a warm start from the same weights
    (the same shuffled order: both draw it first from a new generator of the seed)."""
    est = ESTIMATORS[name]().set_params(max_iter=2)
    X, y = _data(est)
    fitted = _fit(est, X, y)
    one_pass = _assign(ESTIMATORS[name](), fitted)
    classes = {"classes": [0, 1]} if hasattr(fitted, "classes_") else {}
    one_pass.partial_fit(X, y, **classes)
    _fit(fitted.set_params(warm_start=True, max_iter=1), X, y)
    _assert_same_weights(one_pass, fitted)
    assert one_pass.n_iter_ == 1 and one_pass.t_ == len(X)
    assert one_pass.stop_reason_ == "partial_fit"


STATELESS_SGD = {
    "perceptron": ESTIMATORS["perceptron"],
    "linear-neuron": ESTIMATORS["linear-neuron"],
    "mlp-clf-sgd": lambda: MLPClassifier((4,), solver="sgd", momentum=0,
                                         learning_rate_init=0.1, random_state=0),
    "mlp-reg-sgd": lambda: MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", momentum=0,
                                        learning_rate_init=0.01, random_state=0),
}


@pytest.mark.parametrize("name", list(STATELESS_SGD))
def test_partial_fit_continues_from_weights_assigned_to_a_fitted_model(name):
    """Plain SGD at a constant rate keeps no state between steps, so a model whose
    fitted weights are replaced, and a new estimator given the same weights, take the
    same steps in the next partial_fit (a fitted Adam or momentum would remember its
    moments, which a new estimator cannot have)."""
    make = STATELESS_SGD[name]
    X, y = _data(make())
    classes = {"classes": [0, 1]} if is_classifier(make()) else {}
    donor = make().partial_fit(X[:20], y[:20], **classes)
    replaced = make().partial_fit(X[20:], y[20:], **classes)
    _assign(replaced, donor)
    assigned = _assign(make(), donor)
    replaced.partial_fit(X, y)
    assigned.partial_fit(X, y, **classes)
    donor.partial_fit(X, y)
    _assert_same_weights(replaced, donor)
    _assert_same_weights(assigned, donor)
    assert replaced.t_ == 20 + len(X) and assigned.t_ == len(X)


# ------------------------------------------- (e) fitted weights trained where they are
IN_PLACE = {
    "perceptron": ESTIMATORS["perceptron"],
    "mlp-clf-adam": ESTIMATORS["mlp-clf-adam"],
    "mlp-batch-norm": lambda: MLPRegressor(hidden_layer_sizes=(4,), batch_norm=True,
                                           batch_size=8, random_state=0),
}


def _halves(make):
    X, y = _data(make())
    classes = {"classes": [0, 1]} if is_classifier(make()) else {}
    return X, y, classes


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("name", list(IN_PLACE))
def test_partial_fit_trains_the_fitted_weights_where_they_are(name, sparse):
    """A later partial_fit writes into the arrays the last one stored (a wide model's
    call then costs what its rows cost), and takes the same steps as a model whose
    weights went through a copy (unpickled: its arrays are no longer views of one
    vector, so the next call copies them first)."""
    import pickle

    import scipy.sparse as sp

    make = IN_PLACE[name]
    X, y, classes = _halves(make)
    if sparse:
        X = sp.csr_matrix(X)
    model = make().partial_fit(X[:20], y[:20], **classes)
    copied = pickle.loads(pickle.dumps(model))
    arrays = model.coefs_ + model.intercepts_
    before = [a.copy() for a in arrays]
    model.partial_fit(X[20:], y[20:])
    copied.partial_fit(X[20:], y[20:])
    for kept, now in zip(arrays, model.coefs_ + model.intercepts_, strict=True):
        assert np.shares_memory(kept, now)
    assert any(not np.array_equal(a, b) for a, b in zip(arrays, before))
    _assert_same_weights(model, copied)
    assert not np.shares_memory(copied.coefs_[0], model.coefs_[0])


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_a_failure_after_training_in_place_puts_the_weights_back(name, monkeypatch):
    """An error once the pass has moved the weights (here: storing the fit fails)
    leaves the model as it was, values included."""
    import skperceptron._estimator as estimator_module

    make = IN_PLACE[name]
    X, y, classes = _halves(make)
    model = make().partial_fit(X[:20], y[:20], **classes)
    arrays = model.coefs_ + model.intercepts_
    before = [a.copy() for a in arrays]
    state = _state(model)

    def fail(*args):
        assert not all(np.array_equal(a, b) for a, b in zip(arrays, before))  # moved
        raise RuntimeError("storing failed")

    monkeypatch.setattr(estimator_module, "store_fit", fail)
    with pytest.raises(RuntimeError, match="storing failed"):
        model.partial_fit(X[20:], y[20:])
    _assert_unchanged(model, state)
    for a, b in zip(arrays, before):
        assert_array_equal(a, b)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("name", list(IN_PLACE))
def test_fitted_weights_made_non_finite_in_place_are_refused(name, value):
    make = IN_PLACE[name]
    X, y, classes = _halves(make)
    model = make().partial_fit(X[:20], y[:20], **classes)
    model.intercepts_[-1][0] = value
    with pytest.raises(ValueError, match=r"intercepts_\[\d\] has non-finite values"):
        model.partial_fit(X[20:], y[20:])
    with pytest.raises(ValueError, match=r"intercepts_\[\d\] has non-finite values"):
        model.set_params(warm_start=True).fit(X, y)
