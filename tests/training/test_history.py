"""The training history: validation loss, gradient norms and saturation per epoch."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._training.history import saturation
from skperceptron._engine.network import loss_and_gradients

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(200, 6, n_informative=4, random_state=0)


def _norms_at(model, X, y):
    """The per-layer norms of dJ/dW, without the penalty, at the weights the estimator
    starts from (unfitted) or ends on (fitted), over the whole of (X, y)."""
    network, loss, params, data, _, _ = model._gradient_problem(X, y)
    _, grads = loss_and_gradients(network, loss, params, data.X, data.Y,
                                  data.sample_weight, 0.0)
    return np.array([np.linalg.norm(g) for g in grads.coefs])


@pytest.mark.parametrize("model, n_layers, n_hidden", [
    (MLPClassifier((5, 3), solver="sgd", max_iter=4), 3, 2),
    (MLPClassifier((5,), solver="adam", max_iter=4), 2, 1),
    (MLPClassifier((5, 3), solver="lbfgs", max_iter=4), 3, 2),
    (PerceptronClassifier(max_iter=4), 1, 0),  # the compiled per-sample loop
    (PerceptronClassifier(max_iter=4, batch_size=16), 1, 0),
])
def test_shapes_for_every_solver(model, n_layers, n_hidden):
    model.set_params(random_state=0).fit(X, y)
    n_epochs = len(model.loss_curve_)
    assert model.gradient_norms_.shape == (n_epochs, n_layers)
    assert model.saturation_.shape == (n_epochs, n_hidden)
    assert model.validation_loss_curve_ is None and model.validation_scores_ is None
    online = isinstance(model, PerceptronClassifier) and model.batch_size == 1
    assert np.isnan(model.gradient_norms_).all() == online
    if not online:
        assert np.isfinite(model.gradient_norms_).all()
        assert (model.gradient_norms_ >= 0).all()


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_full_batch_epoch_norms_are_the_starting_gradient(alpha):
    # One full-batch step in order: the one gradient is that of the starting weights,
    # and the penalty's share is left out of it.
    model = MLPClassifier((7, 4), solver="sgd", batch_size=len(X), max_iter=1,
                          shuffle=False, alpha=alpha, random_state=3)
    expected = _norms_at(model, X, y)
    model.fit(X, y)
    np.testing.assert_allclose(model.gradient_norms_[0], expected, rtol=1e-10)


def test_lbfgs_norms_are_at_the_iterate_without_penalty():
    model = MLPClassifier((6,), solver="lbfgs", max_iter=1, alpha=2.0,
                          random_state=0).fit(X, y)
    np.testing.assert_allclose(model.gradient_norms_[-1], _norms_at(model, X, y),
                               rtol=1e-8)


def test_validation_loss_is_the_loss_of_the_validation_predictions():
    X_val, y_val = X[:50], y[:50]
    model = MLPClassifier((5,), solver="sgd", max_iter=3, random_state=0)
    model.fit(X[50:], y[50:], X_val=X_val, y_val=y_val)
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == 3
    expected = log_loss(y_val, model.predict_proba(X_val))
    assert model.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-9)


def test_validation_loss_of_regressor_and_early_stopping():
    target = X @ np.arange(6.0)
    model = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, early_stopping=True, random_state=0,
                         n_iter_no_change=100).fit(X, target)
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == 5
    assert np.isfinite(model.validation_loss_curve_).all()
    # Squared error as the estimator trains with it (half the mean square).
    X_val, y_val = X[:40], target[:40]
    model = MLPRegressor(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, target, X_val=X_val,
                                                             y_val=y_val)
    expected = 0.5 * np.mean((model.predict(X_val) - y_val) ** 2)
    assert model.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-9)


def _with_weights(model, scale, bias=0.0):
    rng = np.random.default_rng(0)
    units = [X.shape[1], *model.hidden_layer_sizes, 1]
    model.coefs_ = [scale * rng.standard_normal((a, b)) for a, b in zip(units[:-1], units[1:])]
    model.intercepts_ = [np.full(b, bias) for b in units[1:]]
    return model.fit(X, y)


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_saturation_of_large_and_small_weights(activation):
    def model():
        return MLPClassifier((20,), activation=activation, solver="sgd", max_iter=1,
                             learning_rate_init=1e-9, warm_start=True, random_state=0)
    assert _with_weights(model(), 100.0).saturation_[0, 0] > 0.9
    assert _with_weights(model(), 1e-3).saturation_[0, 0] == 0.0


def test_saturation_of_dead_relu_units_and_other_activations():
    dead = MLPClassifier((8, 4), solver="sgd", max_iter=1, warm_start=True,
                         random_state=0)
    dead = _with_weights(dead, 0.1, bias=-1e3)
    np.testing.assert_array_equal(dead.saturation_[0], [1.0, 1.0])
    assert dead.gradient_norms_[0, 0] == 0.0  # no gradient through dead units
    other = MLPClassifier((4,), activation="identity", max_iter=2, random_state=0).fit(X, y)
    assert np.isnan(other.saturation_).all()


def test_appended_across_partial_fit_and_warm_start_and_reset_by_fit():
    model = MLPClassifier((5,), random_state=0)
    for _ in range(3):
        model.partial_fit(X, y, classes=[0, 1])
    assert model.gradient_norms_.shape == (3, 2) and model.saturation_.shape == (3, 1)
    assert model.validation_loss_curve_ is None
    warm = MLPClassifier((5,), max_iter=2, warm_start=True, random_state=0)
    warm.fit(X, y, X_val=X[:20], y_val=y[:20])
    first = warm.gradient_norms_.copy()
    warm.fit(X, y, X_val=X[:20], y_val=y[:20])
    assert warm.gradient_norms_.shape == (4, 2) and len(warm.validation_loss_curve_) == 4
    np.testing.assert_array_equal(warm.gradient_norms_[:2], first)
    warm.set_params(warm_start=False).fit(X, y)
    assert warm.gradient_norms_.shape == (2, 2) and len(warm.loss_curve_) == 2
    assert warm.validation_loss_curve_ is None


def test_pickle_round_trip():
    model = MLPClassifier((5,), max_iter=3, early_stopping=True, random_state=0,
                          n_iter_no_change=50).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    for name in ("gradient_norms_", "saturation_"):
        np.testing.assert_array_equal(getattr(again, name), getattr(model, name))
    assert again.validation_loss_curve_ == model.validation_loss_curve_
    assert len(model.validation_loss_curve_) == 3


@pytest.mark.parametrize("n_dead", [0, 3, 40])  # none, few (gathered), many (whole batch)
def test_relu_saturation_counts_the_units_zero_for_the_whole_batch(n_dead):
    rng = np.random.default_rng(0)
    A = np.maximum(rng.standard_normal((50, 64)), 0.0)
    A[:, :n_dead] = 0.0
    A[:, 60:] = 0.0
    A[45, 60] = 0.5  # a unit that fires only late in the batch is alive
    A[9, 61] = 1e-300  # however little
    expected = (n_dead + 2) / 64  # units 62 and 63 are dead too
    assert saturation(A, "relu") == expected


# ------------------------------------------------ a long stream of partial_fit calls
_RECORDS = ("gradient_norms_", "saturation_", "gradient_norm_curve_", "clipped_steps_")
_LISTS = ("loss_curve_", "learning_rates_")


def _history(model):
    return ({name: getattr(model, name).copy() for name in _RECORDS}
            | {name: list(getattr(model, name)) for name in _LISTS})


def _assert_history(model, expected):
    for name in _RECORDS:
        np.testing.assert_array_equal(getattr(model, name), expected[name])
    for name in _LISTS:
        assert getattr(model, name) == expected[name]


@pytest.mark.parametrize("model", [PerceptronClassifier(random_state=0),
                                   MLPClassifier((4,), batch_size=20, random_state=0)])
def test_a_long_stream_appends_its_history_without_copying_it_each_call(model):
    """The per-epoch records grow in buffers with room to spare: 300 calls reallocate
    them a handful of times (doubling), not 300; every call's record is the previous
    one and the call's epoch; a record read earlier is not changed by later calls."""
    bases, kept = set(), None
    for call in range(300):
        start = (call * 20) % 180
        before = _history(model) if call else None
        model.partial_fit(X[start:start + 20], y[start:start + 20], classes=[0, 1])
        bases.add(id(model.gradient_norms_.base))
        if call == 10:
            kept = (model.gradient_norms_, model.gradient_norms_.copy())
        if before is not None:
            for name in _RECORDS:
                np.testing.assert_array_equal(getattr(model, name)[:-1], before[name])
            for name in _LISTS:
                assert getattr(model, name)[:-1] == before[name]
    assert len(model.loss_curve_) == model.gradient_norms_.shape[0] == 300
    assert len(bases) <= 8  # 2 * (n + 1) each time: 8, 18, 38, 78, 158, 318 rows
    np.testing.assert_array_equal(kept[0], kept[1])


def test_a_failed_call_gives_the_history_back_its_length(monkeypatch):
    import skperceptron._fitted as fitted

    model = PerceptronClassifier(random_state=0).partial_fit(X[:50], y[:50], classes=[0, 1])
    model.partial_fit(X[50:100], y[50:100])
    expected = _history(model)
    lists = [getattr(model, name) for name in _LISTS]

    def fail(*args):
        assert len(model.loss_curve_) == 3  # appended before the failure
        raise RuntimeError("storing failed")

    monkeypatch.setattr(fitted, "_store_validation", fail)
    with pytest.raises(RuntimeError, match="storing failed"):
        model.partial_fit(X[100:150], y[100:150])
    _assert_history(model, expected)
    assert all(getattr(model, name) is kept for name, kept in zip(_LISTS, lists))
    monkeypatch.undo()
    model.partial_fit(X[100:150], y[100:150])  # and the stream goes on from there
    assert len(model.loss_curve_) == 3
    assert model.gradient_norms_.shape[0] == 3


def test_a_shallow_copy_keeps_a_history_of_its_own():
    import copy

    model = PerceptronClassifier(random_state=0).partial_fit(X[:50], y[:50], classes=[0, 1])
    twin = copy.copy(model)
    model.partial_fit(X[50:100], y[50:100])
    norms = model.gradient_norm_curve_.copy()
    twin.partial_fit(X[100:150], y[100:150])  # appends in buffers of its own
    np.testing.assert_array_equal(model.gradient_norm_curve_, norms)
    assert twin.gradient_norm_curve_.shape == (2,)


def test_the_history_buffers_are_not_saved():
    model = PerceptronClassifier(random_state=0)
    for start in range(0, 200, 20):
        model.partial_fit(X[start:start + 20], y[start:start + 20], classes=[0, 1])
    loaded = pickle.loads(pickle.dumps(model))
    assert "_record_buffers" not in vars(loaded)
    _assert_history(loaded, _history(model))
    loaded.partial_fit(X[:20], y[:20])
    assert len(loaded.loss_curve_) == loaded.gradient_norms_.shape[0] == 11
