"""Dropout, batch normalization and the L1 / elastic-net penalties of the MLPs.

Their gradients are checked in test_gradient_check.py; here: what each does in
training and in prediction, the proximal step, reproducibility, persistence, and the
errors for parameters that cannot be honoured.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._engine.layers import Dropout, TrainingPass
from skperceptron._engine.optimizers import SGD, Adam

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def _flat(estimator):
    return np.concatenate([a.ravel() for a in estimator.coefs_ + estimator.intercepts_])


def _numpy_predict(est, X):
    """The fitted network by hand: dense layers, batch normalization with the running
    statistics, relu; dropout is absent from prediction."""
    A = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        Z = A @ W + b
        if i == len(est.coefs_) - 1:
            return Z
        if est.batch_norm:
            Z = (Z - est.running_means_[i]) / np.sqrt(est.running_vars_[i] + 1e-5)
            Z = Z * est.batch_norm_scales_[i] + est.batch_norm_shifts_[i]
        A = np.maximum(Z, 0)


# --------------------------------------------------------------------- dropout
def test_dropout_mask_keeps_or_scales_each_output():
    rate, shape = 0.3, (2000, 50)
    layer = Dropout(rate, shape[1])
    A = np.random.RandomState(0).uniform(0.5, 1.5, size=shape)
    mode = TrainingPass(np.random.RandomState(1))
    out = layer.forward(None, A, None, mode)
    kept = out != 0
    assert_allclose(out[kept], A[kept] / (1 - rate), rtol=1e-15)
    # The share dropped is binomial(100000, 0.3): its standard error is 0.0014.
    assert abs(1 - kept.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / kept.size)
    # Backward: the same mask, so a dropped unit passes no gradient.
    dA = layer.backward(None, A, out, np.ones(shape), None, None, mode)
    assert_array_equal(dA == 0, ~kept)
    # Predicting, the layer is the identity.
    assert layer.forward(None, A, None, None) is A


def test_dropout_fit_is_reproducible_and_prediction_deterministic(digits):
    X, y = digits
    fits = [MLPClassifier((32,), dropout=0.3, max_iter=5, random_state=3).fit(X, y)
            for _ in range(2)]
    assert_array_equal(_flat(fits[0]), _flat(fits[1]))
    assert_array_equal(fits[0].predict_proba(X), fits[0].predict_proba(X))
    other = MLPClassifier((32,), dropout=0.3, max_iter=5, random_state=4).fit(X, y)
    assert not np.array_equal(_flat(fits[0]), _flat(other))


def test_dropout_changes_training_but_not_the_prediction_rule(digits):
    X, y = digits
    with_dropout = MLPClassifier((32,), dropout=0.5, max_iter=5, random_state=0).fit(X, y)
    without = MLPClassifier((32,), max_iter=5, random_state=0).fit(X, y)
    assert not np.array_equal(_flat(with_dropout), _flat(without))
    # The same weights predict the same with or without dropout: it is not applied.
    without.coefs_ = [W.copy() for W in with_dropout.coefs_]
    without.intercepts_ = [b.copy() for b in with_dropout.intercepts_]
    assert_array_equal(with_dropout.predict_proba(X), without.predict_proba(X))


def test_dropout_per_layer(digits):
    X, y = digits
    est = MLPClassifier((16, 8), dropout=[0.0, 0.5], max_iter=3, random_state=0).fit(X, y)
    assert [type(layer).__name__ for layer in est._net.layers].count("Dropout") == 1


def test_dropout_masks_of_partial_fit_calls_differ(digits):
    # Each later partial_fit takes a new generator for an integer seed; the masks
    # must still differ from call to call, or the same units would always drop.
    X, y = digits
    est = MLPClassifier((16,), dropout=0.5, random_state=0)
    est.partial_fit(X[:100], y[:100], classes=np.unique(y))
    seen = []
    for _ in range(2):
        before = _flat(est)
        est.partial_fit(X[:100], y[:100])
        seen.append(_flat(est) - before)
    assert not np.allclose(seen[0], seen[1])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=-0.1), "dropout"),
        (dict(dropout=[0.1]), "dropout has 1 entries but there are 2 hidden layers"),
        (dict(dropout=[0.1, 1.2]), r"dropout rates must be numbers in \[0, 1\)"),
        (dict(dropout=0.2, solver="lbfgs"), "dropout=0.2 cannot be used with solver='lbfgs'"),
        (dict(penalty="l1", solver="lbfgs"), "penalty='l1' cannot be used with solver='lbfgs'"),
        (dict(penalty="elasticnet", solver="lbfgs"), "penalty='elasticnet' cannot"),
        (dict(penalty="l3"), "penalty"),
        (dict(l1_ratio=1.5), "l1_ratio"),
        (dict(batch_norm_momentum=2.0), "batch_norm_momentum"),
    ],
)
def test_bad_regularisation_parameters_are_refused_and_leave_the_model(digits, params, match):
    X, y = digits
    est = MLPClassifier((8, 4), max_iter=2, random_state=0).fit(X, y)
    before = _flat(est).copy()
    est.set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert_array_equal(_flat(est), before)
    assert est.n_iter_ == 2


# --------------------------------------------------------------------- batch normalization
def test_batch_norm_predicts_with_the_running_statistics(digits):
    X, y = digits
    est = MLPRegressor(hidden_layer_sizes=(16, 8), batch_norm=True, max_iter=5,
                       random_state=0).fit(X, y)
    assert len(est.running_means_) == 2 and est.batch_norm_scales_[1].shape == (8,)
    assert_allclose(est.predict(X), _numpy_predict(est, X).ravel(), rtol=1e-10, atol=1e-12)
    # The running statistics moved from their start (mean 0, variance 1).
    assert not np.allclose(est.running_means_[0], 0)


def test_batch_norm_training_mode_normalizes_each_batch(digits):
    X, y = digits
    est = MLPRegressor(hidden_layer_sizes=(16,), batch_norm=True, max_iter=1,
                       random_state=0).fit(X, y)
    net, params = est._net, est._gradient_problem(X, y)[2]
    dense, norm = net.layers[0], net.layers[1]
    Z = norm.forward(params, dense.forward(params, X), None, TrainingPass())
    # gamma * x + beta with x of mean 0 and variance var / (var + eps) per unit.
    x = (Z - params.norm_shifts[0]) / params.norm_scales[0]
    assert_allclose(x.mean(axis=0), 0, atol=1e-12)
    var = (dense.forward(params, X)).var(axis=0)
    assert_allclose(x.var(axis=0), var / (var + 1e-5), rtol=1e-10)


def test_batch_norm_batch_of_one_row_is_finite_and_keeps_running_statistics():
    X, y = make_regression(n_samples=30, n_features=4, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(5,), batch_norm=True, batch_size=1, max_iter=3,
                       random_state=0)
    est.fit(X, y)
    assert np.isfinite(_flat(est)).all() and np.isfinite(est.predict(X)).all()
    assert_array_equal(est.running_means_[0], 0)
    assert_array_equal(est.running_vars_[0], 1)


def test_batch_norm_statistics_ignore_rows_of_weight_zero():
    X, y = make_regression(n_samples=40, n_features=4, random_state=0)
    junk = np.random.RandomState(1).normal(scale=50, size=(10, 4))
    X_more = np.vstack([X, junk])
    y_more = np.concatenate([y, np.full(10, 1e3)])
    sw = np.concatenate([np.ones(40), np.zeros(10)])
    kw = dict(hidden_layer_sizes=(6,), batch_norm=True, shuffle=False,
              max_iter=20, random_state=0)
    a = MLPRegressor(**kw).fit(X, y)
    b = MLPRegressor(**kw).fit(X_more, y_more, sample_weight=sw)
    # Same loss, same statistics, same steps: equal up to summation order.
    assert_allclose(_flat(a), _flat(b), rtol=1e-9, atol=1e-12)
    assert_allclose(a.running_vars_[0], b.running_vars_[0], rtol=1e-9)


def test_batch_norm_with_lbfgs_uses_the_training_set_statistics(digits):
    X, y = digits
    est = MLPClassifier((8,), batch_norm=True, solver="lbfgs", max_iter=20, random_state=0)
    est.fit(X, y)
    Z = X @ est.coefs_[0] + est.intercepts_[0]
    assert_allclose(est.running_means_[0], Z.mean(axis=0), rtol=1e-10, atol=1e-12)
    assert_allclose(est.running_vars_[0], Z.var(axis=0), rtol=1e-10)


def test_batch_norm_partial_fit_warm_start_and_persistence(digits):
    X, y = digits
    est = MLPClassifier((16,), batch_norm=True, random_state=0)
    for start in range(0, 400, 100):
        est.partial_fit(X[start : start + 100], y[start : start + 100], classes=np.unique(y))
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    for model in (est, loaded):
        model.partial_fit(X[:50], y[:50])
    assert_array_equal(_flat(loaded), _flat(est))
    assert_array_equal(loaded.running_vars_[0], est.running_vars_[0])
    est.set_params(warm_start=True, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="cannot add or remove batch normalization"):
        est.set_params(batch_norm=False).fit(X, y)


def test_batch_norm_with_skops(digits):
    sio = pytest.importorskip("skops.io")
    X, y = digits
    est = MLPClassifier((16,), batch_norm=True, max_iter=3, random_state=0).fit(X, y)
    loaded = sio.loads(sio.dumps(est), trusted=["skperceptron._mlp.MLPClassifier"])
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_early_stopping_restores_the_running_statistics_of_the_best_epoch(digits):
    X, y = digits
    X_val, y_val = X[300:], y[300:]
    est = MLPClassifier((32,), batch_norm=True, early_stopping=True, n_iter_no_change=3,
                        learning_rate_init=0.05, max_iter=40, random_state=0)
    est.fit(X[:300], y[:300], X_val=X_val, y_val=y_val)
    best = int(np.argmax(est.validation_scores_))
    assert best < len(est.validation_scores_) - 1  # the last epoch was not the best
    # The weights and running statistics put back are those that scored best.
    assert est.score(X_val, y_val) == est.best_validation_score_


def test_refit_without_batch_norm_drops_its_attributes(digits):
    X, y = digits
    est = MLPClassifier((8,), batch_norm=True, max_iter=2, random_state=0).fit(X, y)
    est.set_params(batch_norm=False).fit(X, y)
    assert not hasattr(est, "running_means_")


# --------------------------------------------------------------------- L1 and elastic net
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


@pytest.mark.parametrize("solver, lr, alpha", [("sgd", 0.1, 3.0), ("adam", 0.01, 0.1)])
def test_l1_gives_exact_zeros_and_l2_none(digits, solver, lr, alpha):
    X, y = digits
    kw = dict(hidden_layer_sizes=(32,), solver=solver, learning_rate_init=lr, alpha=alpha,
              max_iter=20, random_state=0)
    l1 = MLPClassifier(penalty="l1", **kw).fit(X, y)
    l2 = MLPClassifier(penalty="l2", **kw).fit(X, y)
    zeros = np.mean(np.concatenate([W.ravel() for W in l1.coefs_]) == 0)
    assert zeros > 0.1  # (0.16 and 0.36 when written)
    assert not any((W == 0).any() for W in l2.coefs_)
    assert l1.score(X, y) > 0.95


def test_penalty_names_agree_with_each_other(digits):
    X, y = digits
    def fit(**params):
        params = {"alpha": 0.3, **params}
        return _flat(MLPClassifier((8,), max_iter=5, random_state=0, **params).fit(X, y))

    assert_array_equal(fit(penalty="elasticnet", l1_ratio=0.0), fit(penalty="l2"))
    assert_array_equal(fit(penalty="elasticnet", l1_ratio=1.0), fit(penalty="l1"))
    assert_array_equal(fit(penalty=None), fit(alpha=0.0))
    assert_array_equal(fit(), fit(penalty="l2"))


def test_l1_penalty_enters_the_reported_loss(digits):
    X, y = digits
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


def test_assigned_starting_weights_with_batch_norm(digits):
    X, y = digits
    fitted = MLPClassifier((8,), batch_norm=True, max_iter=3, random_state=0).fit(X, y)
    # Weights of one's own without batch normalization's arrays: those start as new.
    fresh = MLPClassifier((8,), batch_norm=True, max_iter=1, warm_start=True)
    fresh.coefs_ = [W.copy() for W in fitted.coefs_]
    fresh.intercepts_ = [b.copy() for b in fitted.intercepts_]
    fresh.fit(X, y)
    assert fresh.n_iter_ == 1 and np.isfinite(_flat(fresh)).all()
    # With them, they are checked like the weights: the layer and shapes are named.
    wrong = MLPClassifier((8,), batch_norm=True, warm_start=True)
    wrong.coefs_, wrong.intercepts_ = fitted.coefs_, fitted.intercepts_
    wrong.running_vars_ = [np.ones(7)]
    with pytest.raises(ValueError, match=r"running_vars_\[0\] has shape \(7,\)"):
        wrong.fit(X, y)
