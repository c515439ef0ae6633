"""Optimizers: one and two steps computed by hand, learning-rate schedules, the
'adaptive' reduction, and float32 updates."""

import numpy as np
import pytest

from skperceptron._engine.optimizers import SGD, Adam
from skperceptron._engine.schedules import Schedule, invscaling_rate

THETA0 = np.array([1.0, -2.0, 0.5, 0.0])
G1 = np.array([2.0, 0.0, -1.0, 4.0])
G2 = np.array([1.0, -3.0, 0.5, 4.0])


def _run(optimizer, grads, dtype=np.float64):
    theta = THETA0.astype(dtype)
    history = []
    for g in grads:
        assert optimizer.step(theta, g.astype(dtype)) is None  # updates in place
        history.append(theta.copy())
    return history


# --------------------------------------------------------------------- SGD
def test_plain_sgd_moves_against_the_gradient():
    first, second = _run(SGD(4, np.float64, learning_rate_init=0.1, momentum=0.0), [G1, G2])
    np.testing.assert_allclose(first, [0.8, -2.0, 0.6, -0.4], rtol=1e-15)
    np.testing.assert_allclose(second, [0.7, -1.7, 0.55, -0.8], rtol=1e-15)


def test_momentum_accumulates_a_velocity():
    # v1 = -lr g1; theta1 = theta0 + v1; v2 = mu v1 - lr g2; theta2 = theta1 + v2.
    sgd = SGD(4, np.float64, learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=False)
    first, second = _run(sgd, [G1, G2])
    v1 = np.array([-0.2, 0.0, 0.1, -0.4])
    np.testing.assert_allclose(first, THETA0 + v1, rtol=1e-15)
    v2 = np.array([-0.28, 0.3, 0.04, -0.76])
    np.testing.assert_allclose(sgd.velocity, v2, rtol=1e-14)
    np.testing.assert_allclose(second, THETA0 + v1 + v2, rtol=1e-14)


def test_nesterov_momentum_looks_one_velocity_ahead():
    # theta_k = theta_{k-1} + mu v_k - lr g_k with the same velocities as above.
    sgd = SGD(4, np.float64, learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=True)
    first, second = _run(sgd, [G1, G2])
    v1 = np.array([-0.2, 0.0, 0.1, -0.4])
    v2 = np.array([-0.28, 0.3, 0.04, -0.76])
    theta1 = THETA0 + 0.9 * v1 - 0.1 * G1  # [0.62, -2.0, 0.69, -0.76]
    np.testing.assert_allclose(first, [0.62, -2.0, 0.69, -0.76], rtol=1e-14)
    np.testing.assert_allclose(second, theta1 + 0.9 * v2 - 0.1 * G2, rtol=1e-14, atol=1e-15)


def test_nesterov_without_momentum_is_plain_sgd():
    plain = _run(SGD(4, np.float64, learning_rate_init=0.1, momentum=0.0), [G1, G2])
    nesterov = _run(
        SGD(4, np.float64, learning_rate_init=0.1, momentum=0.0, nesterovs_momentum=True),
        [G1, G2],
    )
    np.testing.assert_array_equal(plain[-1], nesterov[-1])


# --------------------------------------------------------------------- schedules
def test_schedule_functions():
    assert Schedule("constant", 0.1).rate(12345, 0.1) == 0.1
    assert invscaling_rate(0.1, 99, power_t=0.5) == pytest.approx(0.01)
    assert invscaling_rate(0.1, 7, power_t=1.0) == pytest.approx(0.1 / 8)
    assert invscaling_rate(0.1, 0, power_t=0.5) == pytest.approx(0.1)


def test_invscaling_updates_the_rate_at_the_end_of_each_epoch():
    sgd = SGD(
        4, np.float64, learning_rate_init=0.1, learning_rate="invscaling", momentum=0.0,
        power_t=0.5,
    )
    sgd.end_epoch(99)  # 99 samples seen: 0.1 / sqrt(100)
    assert sgd.learning_rate == pytest.approx(0.01)
    (theta,) = _run(sgd, [G1])
    np.testing.assert_allclose(theta, THETA0 - 0.01 * G1, rtol=1e-15)
    sgd.end_epoch(399)  # computed from the initial rate, not compounded
    assert sgd.learning_rate == pytest.approx(0.005)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate_at_the_end_of_an_epoch(schedule):
    sgd = SGD(4, np.float64, learning_rate_init=0.1, learning_rate=schedule)
    sgd.end_epoch(1000)
    assert sgd.learning_rate == 0.1


def test_adaptive_divides_by_five_until_the_floor_of_1e_6():
    sgd = SGD(4, np.float64, learning_rate_init=1e-4, learning_rate="adaptive")
    rates = []
    while sgd.reduce_learning_rate():
        rates.append(sgd.learning_rate)
    np.testing.assert_allclose(rates, [2e-5, 4e-6, 8e-7])
    # 8e-7 <= 1e-6: further requests are refused and the rate stays.
    assert not sgd.reduce_learning_rate()
    assert sgd.learning_rate == pytest.approx(8e-7)


def test_adaptive_refuses_at_exactly_the_floor():
    sgd = SGD(4, np.float64, learning_rate_init=1e-6, learning_rate="adaptive")
    assert not sgd.reduce_learning_rate()
    assert sgd.learning_rate == 1e-6


def test_adaptive_reduction_changes_the_step():
    sgd = SGD(4, np.float64, learning_rate_init=0.5, learning_rate="adaptive", momentum=0.0)
    assert sgd.reduce_learning_rate()
    (theta,) = _run(sgd, [G1])
    np.testing.assert_allclose(theta, THETA0 - 0.1 * G1, rtol=1e-15)


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_only_adaptive_reduces_the_rate(schedule):
    sgd = SGD(4, np.float64, learning_rate_init=0.1, learning_rate=schedule)
    assert not sgd.reduce_learning_rate()
    assert sgd.learning_rate == 0.1
    adam = Adam(4, np.float64, learning_rate_init=0.1)
    assert not adam.reduce_learning_rate()


# --------------------------------------------------------------------- Adam
def test_adam_first_step_has_the_size_of_the_learning_rate():
    # With bias correction m1 = g and v1 = g^2, so the first step is
    # lr * g / (|g| + eps / sqrt(1 - beta_2)): about lr * sign(g), and 0 where g = 0.
    lr, b2, eps = 0.01, 0.999, 1e-8
    adam = Adam(4, np.float64, learning_rate_init=lr, beta_2=b2, epsilon=eps)
    (theta,) = _run(adam, [G1])
    expected = THETA0 - lr * G1 / (np.abs(G1) + eps / np.sqrt(1 - b2))
    np.testing.assert_allclose(theta, expected, rtol=1e-13)
    np.testing.assert_allclose(theta, THETA0 - lr * np.sign(G1), rtol=1e-6)


def test_adam_second_step_uses_bias_corrected_moments():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    adam = Adam(4, np.float64, learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    first, second = _run(adam, [G1, G2])
    m = (1 - b1) * G1
    v = (1 - b2) * G1**2
    m = b1 * m + (1 - b1) * G2
    v = b2 * v + (1 - b2) * G2**2
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    # The textbook form divides by sqrt(v_hat) + eps; the implementation folds the
    # correction into the rate, which turns eps into eps / sqrt(1 - b2^2) ~ 2.2e-7: the
    # steps then differ by about lr * |m_hat| / sqrt(v_hat) * 2.2e-7 / sqrt(v_hat) ~ 1.4e-9
    # here (sqrt(v_hat) >= 1.58), hence atol = 1e-8.
    textbook = first - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(second, textbook, rtol=0, atol=1e-8)
    folded = first - lr * np.sqrt(1 - b2**2) / (1 - b1**2) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(second, folded, rtol=1e-13)
    np.testing.assert_allclose(adam.m, m, rtol=1e-14)
    np.testing.assert_allclose(adam.v, v, rtol=1e-14)
    assert adam.n_steps == 2
    assert adam.learning_rate == pytest.approx(lr * np.sqrt(1 - b2**2) / (1 - b1**2))


# --------------------------------------------------------------------- float32
OPTIMIZERS = {
    "sgd": dict(cls=SGD, learning_rate_init=0.1, momentum=0.0),
    "momentum": dict(cls=SGD, learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=False),
    "nesterov": dict(cls=SGD, learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=True),
    "adam": dict(cls=Adam, learning_rate_init=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_parameters_stay_float32(name):
    kwargs = dict(OPTIMIZERS[name])
    cls = kwargs.pop("cls")
    opt32 = cls(4, np.float32, **kwargs)
    theta32 = _run(opt32, [G1, G2, G1], dtype=np.float32)[-1]
    assert theta32.dtype == np.float32
    for state in ("velocity", "m", "v"):
        if getattr(opt32, state, None) is not None:
            assert getattr(opt32, state).dtype == np.float32
    theta64 = _run(cls(4, np.float64, **kwargs), [G1, G2, G1])[-1]
    # Three steps of float32 arithmetic (eps ~ 6e-8) on values of order 1.
    np.testing.assert_allclose(theta32, theta64, rtol=1e-6, atol=1e-6)
