"""The layers of the MLPs beyond Dense and Activate: dropout and batch normalization.

Their gradients are checked in inspection/test_gradient_check.py; here: what each does
in training and in prediction, reproducibility and persistence. The refusal of their
parameters is checked in estimators/test_validation.py, the L1 and elastic-net
penalties in engine/test_penalty.py.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._engine.layers import Dropout, TrainingPass

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
    X, y = digits(400)
    fits = [MLPClassifier((32,), dropout=0.3, max_iter=5, random_state=3).fit(X, y)
            for _ in range(2)]
    assert_array_equal(_flat(fits[0]), _flat(fits[1]))
    assert_array_equal(fits[0].predict_proba(X), fits[0].predict_proba(X))
    other = MLPClassifier((32,), dropout=0.3, max_iter=5, random_state=4).fit(X, y)
    assert not np.array_equal(_flat(fits[0]), _flat(other))


def test_dropout_changes_training_but_not_the_prediction_rule(digits):
    X, y = digits(400)
    with_dropout = MLPClassifier((32,), dropout=0.5, max_iter=5, random_state=0).fit(X, y)
    without = MLPClassifier((32,), max_iter=5, random_state=0).fit(X, y)
    assert not np.array_equal(_flat(with_dropout), _flat(without))
    # The same weights predict the same with or without dropout: it is not applied.
    without.coefs_ = [W.copy() for W in with_dropout.coefs_]
    without.intercepts_ = [b.copy() for b in with_dropout.intercepts_]
    assert_array_equal(with_dropout.predict_proba(X), without.predict_proba(X))


def test_dropout_per_layer(digits):
    X, y = digits(400)
    est = MLPClassifier((16, 8), dropout=[0.0, 0.5], max_iter=3, random_state=0).fit(X, y)
    assert [type(layer).__name__ for layer in est._net.layers].count("Dropout") == 1


@pytest.mark.parametrize(
    "rates", [(0.0, 0.5), np.array([0.0, 0.5]), np.array([0.0, 0.5], dtype=np.float32)],
    ids=["tuple", "array", "float32 array"])
def test_dropout_rates_may_be_any_1d_array_like(digits, rates):
    X, y = digits(400)
    as_list = MLPClassifier((16, 8), dropout=[0.0, 0.5], max_iter=3, random_state=0)
    other = MLPClassifier((16, 8), dropout=rates, max_iter=3, random_state=0)
    assert_array_equal(_flat(other.fit(X, y)), _flat(as_list.fit(X, y)))
    assert other._net.dropout == (0.0, 0.5)
    # One rate as a 0-d array is one rate.
    one = MLPClassifier((16,), dropout=np.array(0.3), max_iter=2, random_state=0).fit(X, y)
    assert one._net.dropout == (0.3,)


def test_dropout_masks_of_partial_fit_calls_differ(digits):
    # Each later partial_fit takes a new generator for an integer seed; the masks
    # must still differ from call to call, or the same units would always drop.
    X, y = digits(400)
    est = MLPClassifier((16,), dropout=0.5, random_state=0)
    est.partial_fit(X[:100], y[:100], classes=np.unique(y))
    seen = []
    for _ in range(2):
        before = _flat(est)
        est.partial_fit(X[:100], y[:100])
        seen.append(_flat(est) - before)
    assert not np.allclose(seen[0], seen[1])


# --------------------------------------------------------------------- batch normalization
def test_batch_norm_predicts_with_the_running_statistics(digits):
    X, y = digits(400)
    est = MLPRegressor(hidden_layer_sizes=(16, 8), batch_norm=True, max_iter=5,
                       random_state=0).fit(X, y)
    assert len(est.running_means_) == 2 and est.batch_norm_scales_[1].shape == (8,)
    assert_allclose(est.predict(X), _numpy_predict(est, X).ravel(), rtol=1e-10, atol=1e-12)
    # The running statistics moved from their start (mean 0, variance 1).
    assert not np.allclose(est.running_means_[0], 0)


def test_batch_norm_training_mode_normalizes_each_batch(digits):
    X, y = digits(400)
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


def test_batch_norm_last_batch_of_one_row_trains_but_keeps_running_statistics():
    """5 rows in batches of 2: the last batch is one row. Its variance is 0, so its
    normalized net input is 0 and its output the shift beta: it trains beta and the
    layers above (the output layer here) as any batch, while the layer below gets no
    gradient from it and the running statistics stay as the second batch left them.
    Fits whose every batch is one row are refused (estimators/test_validation.py)."""
    X, y = make_regression(n_samples=5, n_features=4, random_state=0)
    kw = dict(hidden_layer_sizes=(5,), batch_norm=True, solver="sgd", momentum=0.0,
              batch_size=2, shuffle=False, alpha=0.0, learning_rate_init=0.01,
              max_iter=1, random_state=0)
    five = MLPRegressor(**kw).fit(X, y)  # batches of rows {0, 1}, {2, 3}, {4}
    four = MLPRegressor(**kw).fit(X[:4], y[:4])  # the first two batches alone
    assert np.isfinite(_flat(five)).all() and np.isfinite(five.predict(X)).all()
    assert_array_equal(five.running_means_[0], four.running_means_[0])
    assert_array_equal(five.running_vars_[0], four.running_vars_[0])
    assert not np.allclose(five.running_means_[0], 0)  # the first two batches moved them
    # No gradient below batch normalization, and none for its scale (x = 0)...
    assert_array_equal(five.coefs_[0], four.coefs_[0])
    assert_array_equal(five.intercepts_[0], four.intercepts_[0])
    assert_array_equal(five.batch_norm_scales_[0], four.batch_norm_scales_[0])
    # ... but its shift and the output layer train on the lone row.
    assert not np.array_equal(five.batch_norm_shifts_[0], four.batch_norm_shifts_[0])
    assert not np.array_equal(five.coefs_[1], four.coefs_[1])
    assert not np.array_equal(five.intercepts_[1], four.intercepts_[1])


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
    for name in ("coefs_", "batch_norm_scales_", "batch_norm_shifts_"):
        for u, v in zip(getattr(a, name), getattr(b, name)):
            assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(a.intercepts_[1], b.intercepts_[1], rtol=1e-9, atol=1e-12)
    assert_allclose(a.running_vars_[0], b.running_vars_[0], rtol=1e-9)
    # Batch normalization subtracts the batch mean, so the hidden layer's bias has no
    # effect and its gradient is zero but for rounding (below 1e-14 here, where the
    # weights' are about 20). Adam moves it all the same, by at most
    # lr * |g| / epsilon = 1e-3 * 1e-14 / 1e-8 = 1e-9 a step, in directions the
    # rounding decides: over 20 steps the bias, and the running mean that carries it,
    # agree to 2e-8 only.
    assert_allclose(a.intercepts_[0], b.intercepts_[0], rtol=0, atol=2e-8)
    assert_allclose(a.running_means_[0], b.running_means_[0], rtol=0, atol=2e-8)


def test_batch_norm_with_lbfgs_uses_the_training_set_statistics(digits):
    X, y = digits(400)
    est = MLPClassifier((8,), batch_norm=True, solver="lbfgs", max_iter=20, random_state=0)
    est.fit(X, y)
    Z = X @ est.coefs_[0] + est.intercepts_[0]
    assert_allclose(est.running_means_[0], Z.mean(axis=0), rtol=1e-10, atol=1e-12)
    assert_allclose(est.running_vars_[0], Z.var(axis=0), rtol=1e-10)


def test_batch_norm_partial_fit_warm_start_and_persistence(digits):
    X, y = digits(400)
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
    X, y = digits(400)
    est = MLPClassifier((16,), batch_norm=True, max_iter=3, random_state=0).fit(X, y)
    loaded = sio.loads(sio.dumps(est), trusted=["skperceptron._mlp.MLPClassifier"])
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_early_stopping_restores_the_running_statistics_of_the_best_epoch(digits):
    X, y = digits(400)
    X_val, y_val = X[300:], y[300:]
    est = MLPClassifier((32,), batch_norm=True, early_stopping=True, n_iter_no_change=3,
                        learning_rate_init=0.05, max_iter=40, random_state=0)
    est.fit(X[:300], y[:300], X_val=X_val, y_val=y_val)
    best = int(np.argmax(est.validation_scores_))
    assert best < len(est.validation_scores_) - 1  # the last epoch was not the best
    # The weights and running statistics put back are those that scored best.
    assert est.score(X_val, y_val) == est.best_validation_score_


def test_refit_without_batch_norm_drops_its_attributes(digits):
    X, y = digits(400)
    est = MLPClassifier((8,), batch_norm=True, max_iter=2, random_state=0).fit(X, y)
    est.set_params(batch_norm=False).fit(X, y)
    assert not hasattr(est, "running_means_")


