"""Activations: values against closed forms, derivatives against finite differences,
dtype preservation and numerical stability at extreme inputs."""

import warnings

import numpy as np
import pytest

from skperceptron._engine.activations import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    get_activation,
)

# Softmax alone has a Jacobian per sample rather than an element-wise derivative.
ELEMENTWISE = sorted(name for name in ACTIVATIONS if name != "softmax")
ALL = sorted(ACTIVATIONS)

# Central differences with step H: truncation error ~ H^2 |f'''| / 6 ~ 1e-12 and rounding
# error ~ eps |f| / H ~ 1e-10 |f| for the inputs used (|z| <= 4, so |f| <= e^4 ~ 55).
H = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8


def _inputs_away_from_kinks(seed=0, shape=(7, 5)):
    """Moderate inputs with |z| >= 0.1: relu, leaky_relu, elu and step are smooth there."""
    rng = np.random.RandomState(seed)
    Z = rng.uniform(0.1, 4.0, size=shape)
    return Z * rng.choice([-1.0, 1.0], size=shape)


def _central_difference(f, Z):
    """Element-wise numerical derivative of an element-wise map f at Z."""
    return (f(Z + H) - f(Z - H)) / (2 * H)


@pytest.fixture
def strict_floats():
    """Every floating-point warning becomes an error (underflow to 0 excepted: a value
    such as exp(-1e4) = 0 is the correctly rounded result, not a failure)."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name):
    act = get_activation(name)
    Z = _inputs_away_from_kinks()
    numeric = _central_difference(act.value, Z)
    np.testing.assert_allclose(act.derivative(act.value(Z)), numeric, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("name", ALL)
def test_backward_matches_finite_differences_of_weighted_output(name):
    # backward(dA, A) is the gradient of sum(dA * f(Z)) with respect to Z; for softmax
    # this is the Jacobian-vector product, so each entry of Z is perturbed separately.
    act = get_activation(name)
    Z = _inputs_away_from_kinks(seed=1, shape=(4, 3))
    dA = np.random.RandomState(2).normal(size=Z.shape)
    numeric = np.empty_like(Z)
    for idx in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += H
        down[idx] -= H
        numeric[idx] = (np.sum(dA * act.value(up)) - np.sum(dA * act.value(down))) / (2 * H)
    np.testing.assert_allclose(act.backward(dA, act.value(Z)), numeric, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_incoming_gradient_times_local_derivative(name):
    act = get_activation(name)
    A = act.value(_inputs_away_from_kinks(seed=3))
    dA = np.random.RandomState(4).normal(size=A.shape)
    np.testing.assert_allclose(act.backward(dA, A), dA * act.derivative(A), rtol=1e-15)


def test_softmax_backward_is_jacobian_product():
    # Explicit per-sample Jacobian diag(a) - a a^T applied to dA.
    act = get_activation("softmax")
    A = act.value(_inputs_away_from_kinks(seed=5, shape=(6, 4)))
    dA = np.random.RandomState(6).normal(size=A.shape)
    expected = np.stack([(np.diag(a) - np.outer(a, a)) @ g for a, g in zip(A, dA)])
    np.testing.assert_allclose(act.backward(dA, A), expected, rtol=1e-12, atol=1e-15)


def test_softmax_has_no_elementwise_derivative():
    act = get_activation("softmax")
    with pytest.raises(TypeError, match="Jacobian"):
        act.derivative(np.full((2, 3), 1 / 3))


def test_step_derivative_is_zero_everywhere():
    act = get_activation("step")
    Z = np.array([[-1e4, -1.0, 0.0, 1e-300, 1.0, 1e4]])
    A = act.value(Z)
    assert np.array_equal(act.derivative(A), np.zeros_like(Z))
    assert np.array_equal(act.backward(np.ones_like(Z), A), np.zeros_like(Z))


def test_derivative_convention_at_zero():
    # At the kink, relu takes the left derivative 0 and leaky_relu its slope 0.01.
    Z = np.zeros((1, 1))
    assert get_activation("relu").derivative(get_activation("relu").value(Z))[0, 0] == 0
    leaky = get_activation("leaky_relu")
    assert leaky.derivative(leaky.value(Z))[0, 0] == pytest.approx(0.01)


# --------------------------------------------------------------------- values
def _reference(name, Z):
    """Textbook formulas, evaluated on moderate inputs where they are accurate."""
    if name == "identity":
        return Z
    if name == "step":
        return (Z > 0).astype(float)
    if name == "logistic":
        return 1 / (1 + np.exp(-Z))
    if name == "tanh":
        return (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z))
    if name == "relu":
        return np.where(Z > 0, Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    if name == "elu":
        return np.where(Z > 0, Z, np.exp(Z) - 1)
    if name == "softplus":
        return np.log(1 + np.exp(Z))
    if name == "exp":
        return np.exp(Z)
    if name == "softmax":
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ALL)
def test_value_matches_textbook_formula(name):
    Z = np.random.RandomState(7).uniform(-5, 5, size=(8, 3))
    np.testing.assert_allclose(
        get_activation(name).value(Z), _reference(name, Z), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("name", ALL)
def test_value_leaves_input_untouched_and_returns_new_array(name):
    Z = np.random.RandomState(8).normal(size=(5, 3))
    Z0 = Z.copy()
    A = get_activation(name).value(Z)
    assert np.array_equal(Z, Z0)
    A[...] = 123.0
    assert np.array_equal(Z, Z0)


@pytest.mark.parametrize(
    "name, low, high",
    [
        ("logistic", 0.0, 1.0),
        ("tanh", -1.0, 1.0),
        ("relu", 0.0, np.inf),
        ("softplus", 0.0, np.inf),
        ("exp", 0.0, np.inf),
        ("elu", -1.0, np.inf),
        ("step", 0.0, 1.0),
        ("softmax", 0.0, 1.0),
    ],
)
def test_values_stay_in_their_range(name, low, high):
    Z = np.random.RandomState(9).normal(scale=20, size=(50, 4))
    A = get_activation(name).value(Z)
    assert np.all(A >= low) and np.all(A <= high)


def test_step_outputs_only_zero_and_one():
    A = get_activation("step").value(np.array([[-2.0, 0.0, 3.0]]))
    assert np.array_equal(A, [[0.0, 0.0, 1.0]])


def test_softplus_lies_above_relu_and_below_relu_plus_log2():
    Z = np.linspace(-30, 30, 121).reshape(-1, 1)
    A = get_activation("softplus").value(Z)
    relu = np.maximum(Z, 0)
    assert np.all(A >= relu) and np.all(A <= relu + np.log(2) + 1e-15)


def test_softmax_rows_sum_to_one_and_ignore_a_row_shift():
    act = get_activation("softmax")
    Z = np.random.RandomState(10).normal(scale=10, size=(20, 5))
    A = act.value(Z)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(act.value(Z + 1000.0), A, rtol=1e-12, atol=1e-300)


# --------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL)
def test_value_derivative_and_backward_preserve_dtype(name, dtype):
    act = get_activation(name)
    Z = _inputs_away_from_kinks(seed=11, shape=(4, 3)).astype(dtype)
    A = act.value(Z)
    assert A.dtype == dtype
    dA = np.ones_like(A)
    assert act.backward(dA, A).dtype == dtype
    if name in ELEMENTWISE:
        assert act.derivative(A).dtype == dtype


# --------------------------------------------------------------------- stability
EXTREMES = [-1e30, -1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4, 1e30]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL)
def test_extreme_inputs_give_finite_values_and_gradients_without_warnings(
    name, dtype, strict_floats
):
    act = get_activation(name)
    Z = np.array([EXTREMES, EXTREMES[::-1]], dtype=dtype)
    A = act.value(Z)
    assert A.dtype == dtype
    assert np.all(np.isfinite(A))
    dZ = act.backward(np.ones_like(A), A)
    assert np.all(np.isfinite(dZ))
    if name in ELEMENTWISE:
        assert np.all(np.isfinite(act.derivative(A)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_values_are_the_limits(dtype, strict_floats):
    Z = np.array([[-1e4, 1e4]], dtype=dtype)
    assert np.array_equal(get_activation("logistic").value(Z), [[0, 1]])
    assert np.array_equal(get_activation("tanh").value(Z), [[-1, 1]])
    assert np.array_equal(get_activation("softplus").value(Z), [[0, 1e4]])
    assert np.array_equal(get_activation("elu").value(Z), [[-1, 1e4]])
    exp = get_activation("exp").value(Z)
    assert exp[0, 0] == 0
    # Clipped at log(max) - 1 so that the value stays finite: max / e.
    assert exp[0, 1] == pytest.approx(float(np.finfo(dtype).max) / np.e, rel=1e-5)
    # The local derivatives of saturated units vanish instead of becoming NaN.
    A = get_activation("logistic").value(Z)
    assert np.array_equal(get_activation("logistic").derivative(A), [[0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_extreme_rows_sums_to_one(dtype, strict_floats):
    Z = np.array(
        [[1e4, -1e4, 0.0], [1e30, 1e30, -1e30], [-1e30, -1e30, -1e30], [5.0, 5.0, 5.0]],
        dtype=dtype,
    )
    A = get_activation("softmax").value(Z)
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)
    np.testing.assert_allclose(A[0], [1, 0, 0])
    np.testing.assert_allclose(A[1], [0.5, 0.5, 0])
    np.testing.assert_allclose(A[2], [1 / 3] * 3, rtol=1e-6)


# --------------------------------------------------------------------- lookup
def test_get_activation_returns_the_named_object():
    for name, act in ACTIVATIONS.items():
        assert get_activation(name) is act
        assert act.name == name


def test_get_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'sigmoid'.*'logistic'"):
        get_activation("sigmoid")


def test_hidden_activations_are_the_differentiable_element_wise_ones():
    assert HIDDEN_ACTIVATIONS <= set(ACTIVATIONS)
    # step has a zero derivative, softmax and exp are output-only.
    assert not HIDDEN_ACTIVATIONS & {"step", "softmax", "exp"}
    assert {"identity", "logistic", "tanh", "relu"} <= HIDDEN_ACTIVATIONS
