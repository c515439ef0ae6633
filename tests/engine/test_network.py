"""The network: parameter layout, forward pass against scikit-learn's MLP, and the
backpropagated gradient against finite differences of the objective."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from skperceptron._engine.activations import get_activation
from skperceptron._inspection.gradient_check import finite_difference_gradient
from skperceptron._engine.losses import get_loss
from skperceptron._engine.network import (
    Network,
    Parameters,
    forward,
    loss_and_gradients,
    objective,
    predict_output,
)


# --------------------------------------------------------------------- Parameters
def test_flat_layout_is_all_weights_then_all_biases():
    params = Parameters([3, 4, 2])
    assert params.flat.shape == (3 * 4 + 4 * 2 + 4 + 2,)
    assert params.n_coef == 3 * 4 + 4 * 2
    params.flat[...] = np.arange(params.flat.size)
    np.testing.assert_array_equal(params.coefs[0], np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(params.coefs[1], np.arange(12, 20).reshape(4, 2))
    np.testing.assert_array_equal(params.intercepts[0], [20, 21, 22, 23])
    np.testing.assert_array_equal(params.intercepts[1], [24, 25])
    np.testing.assert_array_equal(params.weights, np.arange(20))


def test_views_share_memory_with_the_flat_vector():
    params = Parameters([3, 4, 2])
    for view in params.coefs + params.intercepts + [params.weights]:
        assert np.shares_memory(view, params.flat)
    params.coefs[1][2, 1] = 5.0
    params.intercepts[0][3] = -1.0
    assert params.flat[12 + 2 * 2 + 1] == 5.0
    assert params.flat[20 + 3] == -1.0
    params.flat *= 2
    assert params.coefs[1][2, 1] == 10.0 and params.intercepts[0][3] == -2.0


def test_from_layers_copies_and_copy_is_independent():
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    intercepts = [rng.normal(size=4), rng.normal(size=2)]
    params = Parameters.from_layers(coefs, intercepts, np.float32)
    assert params.dtype == np.float32 and params.layer_units == (3, 4, 2)
    for mine, src in zip(params.coefs + params.intercepts, coefs + intercepts):
        np.testing.assert_array_equal(mine, src.astype(np.float32))
    coefs[0][0, 0] = 99.0
    assert params.coefs[0][0, 0] != 99.0
    other = params.copy()
    other.flat[0] = -99.0
    assert params.flat[0] != -99.0
    zeros = params.zeros_like()
    assert zeros.dtype == np.float32 and not zeros.flat.any()


def test_wrapping_a_flat_vector_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="expected a flat vector of 26 values"):
        Parameters([3, 4, 2], flat=np.zeros(25))


def test_network_needs_one_activation_per_hidden_layer():
    tanh = get_activation("tanh")
    with pytest.raises(ValueError, match="one activation per hidden layer"):
        Network((3, 4, 5, 2), (tanh,), get_activation("identity"))
    net = Network((3, 4, 5, 2), (tanh, get_activation("relu")), get_activation("identity"))
    assert net.n_layers == 3
    assert [net.activation(i).name for i in range(3)] == ["tanh", "relu", "identity"]


# --------------------------------------------------------------------- forward vs scikit-learn
def _network_of(sk, activation):
    units = [sk.coefs_[0].shape[0]] + [W.shape[1] for W in sk.coefs_]
    hidden = tuple(get_activation(activation) for _ in units[2:])
    return Network(tuple(units), hidden, get_activation(sk.out_activation_))


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _sklearn_problem(task):
    """A fitted scikit-learn MLP (weights away from their start), its output and inputs."""
    if task in ("binary", "multiclass"):
        X, y = make_classification(
            n_samples=40, n_features=5, n_informative=4, n_redundant=0,
            n_classes=2 if task == "binary" else 3, random_state=0,
        )
        return X, y, SkMLPClassifier, lambda sk, X: sk.predict_proba(X)
    if task == "multilabel":
        X, Y = make_multilabel_classification(
            n_samples=40, n_features=5, n_classes=3, random_state=0
        )
        return X, Y, SkMLPClassifier, lambda sk, X: sk.predict_proba(X)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    if task == "poisson":
        y = rng.poisson(np.exp(0.3 * X[:, 0]))
        return X, y, lambda **kw: SkMLPRegressor(loss="poisson", **kw), lambda sk, X: sk.predict(X)
    Y = np.column_stack([X[:, 0] - X[:, 1] ** 2, np.sin(X[:, 2])])
    return X, Y, SkMLPRegressor, lambda sk, X: sk.predict(X)


@pytest.mark.parametrize("hidden", [(6,), (5, 4)], ids=str)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression", "poisson"])
def test_forward_matches_scikit_learn_with_copied_weights(task, activation, hidden):
    X, y, make, sk_output = _sklearn_problem(task)
    sk = _fit_quietly(
        make(hidden_layer_sizes=hidden, activation=activation, solver="lbfgs", max_iter=15,
             random_state=0),
        X, y,
    )
    net = _network_of(sk, activation)
    params = Parameters.from_layers(sk.coefs_, sk.intercepts_, np.float64)
    expected = sk_output(sk, X)
    if task == "binary":
        expected = expected[:, 1:]  # one logistic unit gives P(class 1)
    elif expected.ndim == 1:
        expected = expected[:, None]
    # The same products and element-wise functions in the same order: only the last
    # bits can differ (e.g. a fused operation), hence 1e-12 rather than equality.
    np.testing.assert_allclose(predict_output(net, params, X), expected, rtol=1e-12, atol=1e-14)
    activations = forward(net, params, X)
    assert len(activations) == net.n_layers + 1 and activations[0] is X
    np.testing.assert_allclose(activations[-1], expected, rtol=1e-12, atol=1e-14)


def test_predict_output_without_output_activation_is_the_net_input():
    rng = np.random.RandomState(0)
    net = Network((3, 4, 2), (get_activation("tanh"),), get_activation("softmax"))
    params = Parameters([3, 4, 2])
    params.flat[...] = rng.normal(size=params.flat.size)
    X = rng.normal(size=(5, 3))
    H = np.tanh(X @ params.coefs[0] + params.intercepts[0])
    Z = H @ params.coefs[1] + params.intercepts[1]
    np.testing.assert_allclose(predict_output(net, params, X, apply_output=False), Z, rtol=1e-13)


# --------------------------------------------------------------------- gradients
N_SAMPLES, N_FEATURES = 12, 4
KINKED = {"relu", "leaky_relu", "elu"}


def _targets(loss_name, n_out, rng):
    if loss_name == "log_loss":
        return np.eye(n_out)[rng.randint(0, n_out, N_SAMPLES)]
    if loss_name in ("binary_log_loss", "hinge"):
        return rng.randint(0, 2, size=(N_SAMPLES, n_out)).astype(float)
    if loss_name == "poisson":
        return rng.poisson(1.5, size=(N_SAMPLES, n_out)).astype(float)
    return rng.normal(scale=2.0, size=(N_SAMPLES, n_out))


def _net_inputs(net, params, X):
    """Z_l of every layer, computed directly."""
    Zs, A = [], X
    for layer, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        Z = A @ W + b
        Zs.append(Z)
        A = net.activation(layer).value(Z)
    return Zs, A


def _distance_to_kinks(net, loss, params, X, Y):
    """How close any piecewise-smooth part of the objective is to its kink."""
    Zs, P = _net_inputs(net, params, X)
    distances = [np.inf]
    for Z, act in zip(Zs[:-1], net.hidden_activations):
        if act.name in KINKED:
            distances.append(np.abs(Z).min())
    if loss.name == "hinge":
        distances.append(np.abs((2 * Y - 1) * P - 1).min())
    elif loss.name == "absolute_error":
        distances.append(np.abs(P - Y).min())
    elif loss.name == "huber":
        distances.append(np.abs(np.abs(P - Y) - loss.delta).min())
    return min(distances)


def _random_problem(units, hidden, output, loss_name, fit_intercept=True, seed=0):
    """Random weights and data; seeds are tried until every kink is at least 1e-3 away
    (finite differences of step 1e-6 then never straddle one)."""
    loss = get_loss(loss_name)
    net = Network(
        tuple(units), tuple(get_activation(a) for a in hidden), get_activation(output),
        fit_intercept=fit_intercept,
    )
    for attempt in range(seed, seed + 50):
        rng = np.random.RandomState(attempt)
        params = Parameters(units)
        params.flat[...] = rng.normal(scale=0.7, size=params.flat.size)
        if not fit_intercept:
            for b in params.intercepts:
                b.fill(0)
        X = rng.normal(size=(N_SAMPLES, units[0]))
        Y = _targets(loss_name, units[-1], rng)
        if _distance_to_kinks(net, loss, params, X, Y) > 1e-3:
            return net, loss, params, X, Y
    raise AssertionError("no data away from the kinks")  # pragma: no cover


def _numeric_gradient(net, loss, params, X, Y, sw, alpha, h=1e-6):
    return finite_difference_gradient(net, loss, params, X, Y, sw, alpha, epsilon=h)


def _relative_error(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


ARCHITECTURES = [
    # (layer units, hidden activations, output activation, loss)
    ([N_FEATURES, 6, 3], ["tanh"], "softmax", "log_loss"),
    ([N_FEATURES, 5, 1], ["logistic"], "logistic", "binary_log_loss"),
    ([N_FEATURES, 5, 3], ["softplus"], "logistic", "binary_log_loss"),
    ([N_FEATURES, 5, 4, 2], ["relu", "elu"], "identity", "squared_error"),
    ([N_FEATURES, 3, 3, 3, 2], ["softplus", "leaky_relu", "tanh"], "exp", "poisson"),
    ([N_FEATURES, 5, 2], ["identity"], "identity", "huber"),
    ([N_FEATURES, 5, 2], ["tanh"], "identity", "absolute_error"),
    ([N_FEATURES, 5, 3], ["relu"], "identity", "hinge"),
    # Non-canonical pairs: the gradient goes through the output activation's derivative
    # (logistic) or its Jacobian (softmax) instead of the P - Y shortcut.
    ([N_FEATURES, 2], [], "logistic", "squared_error"),
    ([N_FEATURES, 5, 3], ["logistic"], "softmax", "squared_error"),
]


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    "units, hidden, output, loss_name", ARCHITECTURES,
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else str(v),
)
def test_backprop_gradient_matches_finite_differences(
    units, hidden, output, loss_name, weighted, alpha
):
    net, loss, params, X, Y = _random_problem(units, hidden, output, loss_name)
    sw = np.random.RandomState(99).uniform(0, 3, size=N_SAMPLES) if weighted else None
    value, grads = loss_and_gradients(net, loss, params, X, Y, sw, alpha)
    assert value == pytest.approx(objective(net, loss, params, X, Y, sw, alpha), rel=1e-14)
    numeric = _numeric_gradient(net, loss, params, X, Y, sw, alpha)
    # Central differences with h = 1e-6: truncation ~ h^2 and rounding ~ eps / h, both
    # <= 1e-9 relative; a wrong term in the backward pass gives errors >~ 1e-2.
    assert _relative_error(grads.flat, numeric) < 1e-7


def test_objective_is_weighted_mean_loss_plus_l2_on_weights_only():
    net, loss, params, X, Y = _random_problem(
        [N_FEATURES, 5, 2], ["tanh"], "identity", "squared_error"
    )
    sw = np.random.RandomState(1).uniform(0, 2, size=N_SAMPLES)
    alpha = 0.7
    H = np.tanh(X @ params.coefs[0] + params.intercepts[0])
    P = H @ params.coefs[1] + params.intercepts[1]
    per_sample = 0.5 * ((P - Y) ** 2).sum(axis=1)
    l2 = sum((W**2).sum() for W in params.coefs)  # biases are not penalised
    expected = (np.dot(sw, per_sample) + 0.5 * alpha * l2) / N_SAMPLES
    assert objective(net, loss, params, X, Y, sw, alpha) == pytest.approx(expected, rel=1e-13)
    value, _ = loss_and_gradients(net, loss, params, X, Y, sw, alpha)
    assert value == pytest.approx(expected, rel=1e-13)


def test_l2_penalty_adds_alpha_over_n_times_weights_to_weight_gradients_only():
    net, loss, params, X, Y = _random_problem([N_FEATURES, 5, 3], ["tanh"], "softmax", "log_loss")
    _, plain = loss_and_gradients(net, loss, params, X, Y)
    _, penalised = loss_and_gradients(net, loss, params, X, Y, alpha=0.5)
    n_coef = params.n_coef
    np.testing.assert_allclose(
        penalised.flat[:n_coef] - plain.flat[:n_coef], 0.5 / N_SAMPLES * params.weights, rtol=1e-10
    )
    np.testing.assert_array_equal(penalised.flat[n_coef:], plain.flat[n_coef:])


def test_gradients_are_written_into_the_given_buffer():
    net, loss, params, X, Y = _random_problem(
        [N_FEATURES, 5, 1], ["logistic"], "logistic", "binary_log_loss"
    )
    _, fresh = loss_and_gradients(net, loss, params, X, Y)
    buffer = params.zeros_like()
    buffer.flat[...] = np.nan  # stale content must be overwritten
    _, returned = loss_and_gradients(net, loss, params, X, Y, grads=buffer)
    assert returned is buffer
    np.testing.assert_array_equal(buffer.flat, fresh.flat)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_same_loss_and_gradients_as_dense(fmt):
    net, loss, params, X, Y = _random_problem([N_FEATURES, 5, 3], ["relu"], "softmax", "log_loss")
    X = X * (np.random.RandomState(2).rand(*X.shape) < 0.5)  # half the entries are zero
    sw = np.random.RandomState(3).uniform(0.5, 2, size=N_SAMPLES)
    dense_value, dense = loss_and_gradients(net, loss, params, X, Y, sw, 0.1)
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    sparse_value, sparse = loss_and_gradients(net, loss, params, X_sparse, Y, sw, 0.1)
    assert sparse_value == pytest.approx(dense_value, rel=1e-13)
    np.testing.assert_allclose(sparse.flat, dense.flat, rtol=1e-12, atol=1e-15)
    P = predict_output(net, params, X_sparse)
    assert isinstance(P, np.ndarray)
    np.testing.assert_allclose(P, predict_output(net, params, X), rtol=1e-13)


def test_without_intercept_the_intercept_gradients_are_zero():
    units, hidden = [N_FEATURES, 5, 4, 2], ["tanh", "softplus"]
    net, loss, params, X, Y = _random_problem(
        units, hidden, "identity", "squared_error", fit_intercept=False
    )
    _, grads = loss_and_gradients(net, loss, params, X, Y, alpha=0.2)
    for b in grads.intercepts:
        assert not b.any()
    # The weight gradients are those of the same network with (zero) intercepts.
    with_intercept = Network(net.layer_units, net.hidden_activations, net.output_activation)
    _, reference = loss_and_gradients(with_intercept, loss, params, X, Y, alpha=0.2)
    np.testing.assert_array_equal(grads.weights, reference.weights)
    assert any(b.any() for b in reference.intercepts)


def test_float32_network_stays_float32():
    net, loss, params, X, Y = _random_problem([N_FEATURES, 5, 3], ["tanh"], "softmax", "log_loss")
    params32 = Parameters(params.layer_units, flat=params.flat.astype(np.float32))
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    assert all(A.dtype == np.float32 for A in forward(net, params32, X32))
    sw32 = np.ones(N_SAMPLES, np.float32)
    value, grads = loss_and_gradients(net, loss, params32, X32, Y32, sw32, 0.1)
    assert grads.dtype == np.float32
    _, grads64 = loss_and_gradients(net, loss, params, X, Y, np.ones(N_SAMPLES), 0.1)
    # float32 rounding (eps ~ 6e-8) through two layers.
    np.testing.assert_allclose(grads.flat, grads64.flat, rtol=1e-4, atol=1e-6)
