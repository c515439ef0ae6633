"""Optimizers: one and two steps computed by hand, learning-rate schedules, the
'adaptive' reduction, and float32 updates; AdamW and RMSprop by hand (weights and
biases, with and without L2), their compiled and numpy forms, and frozen ranges."""

import numpy as np
import pytest

from skperceptron._engine import optimizers as _optimizers
from skperceptron._engine.optimizers import SGD, Adam, AdamW, RMSprop
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
    "adamw": dict(cls=AdamW, learning_rate_init=0.01, weight_decay=0.1),
    "rmsprop": dict(cls=RMSprop, learning_rate_init=0.01, rho=0.9),
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


# --------------------------------------------------------------------- AdamW, RMSprop
# THETA0's first two entries play the weights (decayed and penalised), the last two the
# biases. The hand computations below follow PyTorch's algorithms as written in its
# documentation (torch.optim.AdamW, torch.optim.RMSprop without momentum, not centred);
# benchmarks/torch_optimizers.py runs PyTorch itself on 200 steps.
N_WEIGHTS = 2


def _steps(optimizer, grads, dtype=np.float64, l2=0.0, n_penalised=N_WEIGHTS):
    theta = THETA0.astype(dtype)
    history = []
    for g in grads:
        optimizer.step(theta, g.astype(dtype), l2, n_penalised)
        history.append(theta.copy())
    return history


def _adamw_by_hand(grads, lr, wd, l2, b1=0.9, b2=0.999, eps=1e-8):
    theta, m, v = THETA0.copy(), np.zeros(4), np.zeros(4)
    weights = np.arange(4) < N_WEIGHTS
    out = []
    for k, g in enumerate(grads, start=1):
        g = g + np.where(weights, l2 * theta, 0.0)  # L2 on the weights, from theta before
        theta = np.where(weights, theta * (1 - lr * wd), theta)  # decoupled decay first
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**k), v / (1 - b2**k)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)  # the textbook form
        out.append((theta, m, v))
    return out


def _rmsprop_by_hand(grads, lr, rho, l2, eps=1e-8):
    theta, v = THETA0.copy(), np.zeros(4)
    weights = np.arange(4) < N_WEIGHTS
    out = []
    for g in grads:
        g = g + np.where(weights, l2 * theta, 0.0)
        v = rho * v + (1 - rho) * g * g
        theta = theta - lr * g / (np.sqrt(v) + eps)
        out.append((theta, v))
    return out


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_adamw_one_and_two_steps_by_hand(l2):
    lr, wd = 0.01, 0.5
    adamw = AdamW(4, np.float64, learning_rate_init=lr, weight_decay=wd)
    first, second = _steps(adamw, [G1, G2], l2=l2)
    (t1, _, _), (t2, m2, v2) = _adamw_by_hand([G1, G2], lr, wd, l2)
    # PyTorch divides by sqrt(v) / sqrt(1 - b2^k) + eps, the textbook sqrt(v_hat) + eps:
    # the same numbers up to rounding (a few ulps of values of order 1).
    np.testing.assert_allclose(first, t1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(second, t2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(adamw.m, m2, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(adamw.v, v2, rtol=1e-14, atol=1e-16)
    assert adamw.n_steps == 2
    # The first step of Adam moves each entry by about lr sign(g) (0 where g = 0):
    # the weights by that plus lr * wd of themselves, the biases not decayed.
    if not l2:
        step = THETA0 - lr * np.sign(G1)
        np.testing.assert_allclose(first[N_WEIGHTS:], step[N_WEIGHTS:], rtol=1e-6)
        decayed = THETA0 * (1 - lr * wd) - lr * np.sign(G1)
        np.testing.assert_allclose(first[:N_WEIGHTS], decayed[:N_WEIGHTS], rtol=1e-6)


def test_adamw_decays_weights_only_and_nothing_without_a_gradient():
    # Zero gradients: Adam's step is 0 / (0 + eps) = 0, so only the decay moves theta.
    lr, wd = 0.1, 0.2
    adamw = AdamW(4, np.float64, learning_rate_init=lr, weight_decay=wd)
    zeros = np.zeros(4)
    last = _steps(adamw, [zeros, zeros, zeros])[-1]
    expected = THETA0.copy()
    expected[:N_WEIGHTS] *= (1 - lr * wd) ** 3
    np.testing.assert_allclose(last, expected, rtol=1e-15)
    np.testing.assert_array_equal(last[N_WEIGHTS:], THETA0[N_WEIGHTS:])  # the biases
    # weight_decay=0 is Adam but for where eps enters: scikit-learn's Adam adds it to
    # sqrt(v), PyTorch's to sqrt(v_hat), so Adam's eps acts as eps / sqrt(1 - b2^k)
    # (3.2e-7 at k = 1, 2.2e-7 at k = 2). Each step's size lr |m_hat| / sqrt(v_hat) moves
    # by about lr eps' / sqrt(v_hat) <= 0.1 * 3.2e-7 / 0.5: below 1e-7 for two steps.
    plain = _steps(Adam(4, np.float64, learning_rate_init=lr), [G1, G2])[-1]
    nodecay = _steps(AdamW(4, np.float64, learning_rate_init=lr, weight_decay=0.0),
                     [G1, G2])[-1]
    np.testing.assert_allclose(nodecay, plain, rtol=0, atol=1e-7)


def test_adamw_follows_the_rate_of_the_epoch_in_its_decay_and_step():
    adamw = AdamW(4, np.float64, learning_rate_init=0.01, weight_decay=0.5)
    adamw.rate = 0.002  # as begin_epoch sets it
    (first,) = _steps(adamw, [G1])
    ((expected, _, _),) = _adamw_by_hand([G1], 0.002, 0.5, 0.0)
    np.testing.assert_allclose(first, expected, rtol=1e-14)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_rmsprop_one_and_two_steps_by_hand(l2):
    lr, rho = 0.01, 0.9
    rmsprop = RMSprop(4, np.float64, learning_rate_init=lr, rho=rho)
    first, second = _steps(rmsprop, [G1, G2], l2=l2)
    (t1, _), (t2, v2) = _rmsprop_by_hand([G1, G2], lr, rho, l2)
    np.testing.assert_allclose(first, t1, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(second, t2, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(rmsprop.v, v2, rtol=1e-15)
    # No bias correction: the first step is lr g / sqrt(1 - rho) / |g| ~ lr sign(g) / 0.316.
    if not l2:
        np.testing.assert_allclose(first, THETA0 - lr * np.sign(G1) / np.sqrt(1 - rho),
                                   rtol=1e-6)


def test_rmsprop_with_rho_zero_is_sign_descent():
    rmsprop = RMSprop(4, np.float64, learning_rate_init=0.1, rho=0.0)
    first, second = _steps(rmsprop, [G1, G2])
    np.testing.assert_allclose(first, THETA0 - 0.1 * np.sign(G1), rtol=1e-7)
    np.testing.assert_allclose(second, first - 0.1 * np.sign(G2), rtol=1e-7)


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("name", ["adamw", "rmsprop"])
def test_adamw_and_rmsprop_in_float32_follow_the_float64_hand_computation(name, l2):
    if name == "adamw":
        make = lambda dtype: AdamW(4, dtype, learning_rate_init=0.01, weight_decay=0.5)
        expected = [t for t, _, _ in _adamw_by_hand([G1, G2], 0.01, 0.5, l2)]
    else:
        make = lambda dtype: RMSprop(4, dtype, learning_rate_init=0.01, rho=0.9)
        expected = [t for t, _ in _rmsprop_by_hand([G1, G2], 0.01, 0.9, l2)]
    optimizer = make(np.float32)
    got = _steps(optimizer, [G1, G2], dtype=np.float32, l2=l2)
    for theta, want in zip(got, expected):
        assert theta.dtype == np.float32
        # Each entry goes through ~10 float32 operations (eps 6e-8) on values of order 1.
        np.testing.assert_allclose(theta, want, rtol=2e-6, atol=2e-6)
    for state in ("m", "v"):
        if hasattr(optimizer, state):
            assert getattr(optimizer, state).dtype == np.float32


# --------------------------------------------- the compiled loops and the numpy forms
def _forced(use_compiled):
    from skperceptron._utils import kernels

    return (lambda size=None: kernels.compiled()) if use_compiled else (lambda size=None: False)


@pytest.mark.parametrize("l2, n_penalised", [(0.0, 0), (0.0, 30), (1e-3, 30)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adamw_and_rmsprop_compiled_equal_numpy(dtype, l2, n_penalised, monkeypatch):
    from skperceptron._utils.kernels import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba is not installed")
    rng = np.random.RandomState(0)
    grads = rng.normal(size=(3, 50)).astype(dtype)
    outputs = []
    for use_compiled in (True, False):
        monkeypatch.setattr(_optimizers, "compiled", _forced(use_compiled))
        states = []
        for cls, kwargs in ((AdamW, dict(weight_decay=0.1)), (RMSprop, dict(rho=0.9))):
            optimizer = cls(50, dtype, learning_rate_init=1e-2, **kwargs)
            theta = np.linspace(-1, 1, 50).astype(dtype)
            for g in grads:
                optimizer.step(theta, g, l2, n_penalised)
            states += [theta, optimizer.v] + ([optimizer.m] if cls is AdamW else [])
        outputs.append(states)
    for a, b in zip(*outputs):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------- frozen ranges
@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "adamw", "rmsprop"])
def test_frozen_ranges_keep_their_values_and_their_state_at_zero(name):
    kwargs = dict(OPTIMIZERS[name])
    cls = kwargs.pop("cls")
    # 10 entries: weights [0, 6) then biases [6, 10); [2, 4) and [7, 8) frozen.
    segments = ((slice(0, 2), 2), (slice(4, 7), 2), (slice(8, 10), 0))
    optimizer = cls(10, np.float64, **kwargs)
    optimizer.segments = segments
    theta = np.linspace(-1, 1, 10)
    start = theta.copy()
    rng = np.random.RandomState(0)
    for _ in range(5):
        optimizer.step(theta, rng.normal(size=10), 0.1, 6, 0.01)
    frozen = np.zeros(10, bool)
    frozen[2:4] = frozen[7] = True
    np.testing.assert_array_equal(theta[frozen], start[frozen])
    assert np.all(theta[~frozen] != start[~frozen])
    for state in ("velocity", "m", "v", "l1_total", "l1_applied"):
        array = getattr(optimizer, state, None)
        if array is not None:  # the L1 debts cover the 6 weights only
            assert not array[frozen[: array.size]].any(), state
            assert array[~frozen[: array.size]].all(), state
