"""Learning-rate schedules: each against its formula, written out here again, over many
epochs; the warm-up before each; scikit-learn's three schedules unchanged.

The formulas are evaluated in float64 in the same order of operations as the
schedule's, or with a different order where noted; a tolerance of a few ulps (rtol
1e-15 for one multiplication and one power, 1e-14 where cosines and powers of up to
200 epochs enter) covers what a different order can change.
"""

import math

import numpy as np
import pytest

from skperceptron._engine.optimizers import SGD, Adam, AdamW, RMSprop
from skperceptron._engine.schedules import Schedule

LR0 = 0.05
EPOCHS = range(200)


def _rates(schedule, epochs=EPOCHS, base=LR0):
    return np.array([schedule.rate(e, base) for e in epochs])


# ------------------------------------------------------------------ the decays alone
@pytest.mark.parametrize("gamma, period", [(0.1, 10), (0.5, 1), (0.9, 7), (1.0, 3)])
def test_step_divides_by_gamma_every_period(gamma, period):
    rates = _rates(Schedule("step", LR0, gamma, period))
    expected = [LR0 * gamma ** math.floor(e / period) for e in EPOCHS]
    np.testing.assert_allclose(rates, expected, rtol=1e-15, atol=0)
    # Constant within a period, and a jump of exactly gamma at each boundary.
    for e in EPOCHS[1:]:
        if e % period:
            assert rates[e] == rates[e - 1]
        else:
            assert rates[e] == pytest.approx(gamma * rates[e - 1], rel=1e-15)


@pytest.mark.parametrize("gamma", [0.95, 0.5, 1.0])
def test_exponential_multiplies_by_gamma_every_epoch(gamma):
    rates = _rates(Schedule("exponential", LR0, gamma))
    # exp(d log gamma): another route to gamma ** d, equal to rounding (d <= 199).
    expected = [LR0 * math.exp(e * math.log(gamma)) for e in EPOCHS]
    np.testing.assert_allclose(rates, expected, rtol=1e-13, atol=0)
    assert rates[0] == LR0


@pytest.mark.parametrize("period", [1, 5, 50, 199])
def test_cosine_falls_from_lr0_to_zero_in_period_epochs_then_stays(period):
    rates = _rates(Schedule("cosine", LR0, None, period))
    expected = [LR0 * 0.5 * (1 + math.cos(math.pi * min(e, period) / period))
                for e in EPOCHS]
    np.testing.assert_allclose(rates, expected, rtol=1e-14, atol=1e-20)
    assert rates[0] == LR0
    assert abs(rates[period]) < 1e-18  # cos(pi) = -1: 0 up to rounding of (1 + cos)
    assert np.all(rates[period:] == rates[period])
    assert np.all(np.diff(rates[: period + 1]) < 0)  # strictly decreasing until T
    if period % 2 == 0:  # the midpoint is lr0 / 2
        assert rates[period // 2] == pytest.approx(LR0 / 2, rel=1e-15)


def test_callable_multiplies_lr0_by_its_factor_of_the_epoch():
    seen = []

    def factor(epoch):
        seen.append(epoch)
        return 1.0 / (1 + epoch) ** 0.5

    rates = _rates(Schedule(factor, LR0))
    np.testing.assert_allclose(rates, [LR0 / math.sqrt(1 + e) for e in EPOCHS], rtol=1e-15)
    assert seen == list(EPOCHS)  # asked once per epoch, with the epoch from 0


def test_callable_may_return_integers_and_numpy_scalars():
    schedule = Schedule(lambda e: np.float32(0.5) if e % 2 else 2, LR0)
    assert _rates(schedule, range(4)).tolist() == [2 * LR0, 0.5 * LR0, 2 * LR0, 0.5 * LR0]


# ------------------------------------------------------------------ warm-up
SCHEDULES = {
    "step": Schedule("step", LR0, 0.5, 4),
    "exponential": Schedule("exponential", LR0, 0.9),
    "cosine": Schedule("cosine", LR0, None, 30),
    "callable": Schedule(lambda d: 1 / (1 + d), LR0),
    "constant": Schedule("constant", LR0),
}


@pytest.mark.parametrize("warmup", [1, 3, 10])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_warmup_climbs_linearly_to_the_schedules_first_rate_then_runs_it(name, warmup):
    plain = SCHEDULES[name]
    warm = Schedule(plain.kind, plain.learning_rate_init, plain.decay_rate, plain.period,
                    warmup)
    rates = _rates(warm)
    first = plain.rate(0, LR0)
    for e in range(warmup):  # lr0 (e + 1) / (W + 1): from lr0 / (W + 1), linearly
        assert rates[e] == pytest.approx(first * (e + 1) / (warmup + 1), rel=1e-15)
    np.testing.assert_allclose(np.diff(rates[:warmup]), first / (warmup + 1), rtol=1e-12)
    # Then the schedule from its own epoch 0: shifted by W, nothing else.
    after = np.array([plain.rate(d, LR0) for d in range(len(EPOCHS) - warmup)])
    np.testing.assert_array_equal(rates[warmup:], after)
    assert rates[warmup - 1] < rates[warmup] == first


def test_warmup_scales_sklearns_base_rate():
    # 'constant' (and the others of scikit-learn) take their rate from the optimizer.
    warm = Schedule("constant", LR0, warmup=4)
    assert [warm.rate(e, 0.2) for e in range(6)] == pytest.approx(
        [0.04, 0.08, 0.12, 0.16, 0.2, 0.2], rel=1e-15)


# ------------------------------------------------------------------ scikit-learn's three
@pytest.mark.parametrize("kind", ["constant", "invscaling", "adaptive"])
def test_sklearns_schedules_return_the_optimizers_rate(kind):
    schedule = Schedule(kind, LR0)
    assert not schedule.by_epoch
    for e, base in [(0, 0.1), (7, 0.003), (1000, 1e-6)]:
        assert schedule.rate(e, base) == base


def test_invscaling_and_adaptive_keep_sklearns_rates_through_begin_epoch():
    sgd = SGD(4, np.float64, learning_rate_init=0.1, learning_rate="invscaling",
              schedule=Schedule("invscaling", 0.1), power_t=0.5)
    assert sgd.begin_epoch() == 0.1
    sgd.end_epoch(99)
    assert sgd.begin_epoch() == pytest.approx(0.01, rel=1e-15)
    sgd = SGD(4, np.float64, learning_rate_init=0.1, learning_rate="adaptive",
              schedule=Schedule("adaptive", 0.1))
    assert sgd.begin_epoch() == 0.1
    assert sgd.reduce_learning_rate()
    assert sgd.begin_epoch() == pytest.approx(0.02, rel=1e-15)


# ------------------------------------------------------------------ the optimizers' clock
OPTIMIZERS = [
    lambda s: SGD(3, np.float64, learning_rate_init=LR0, learning_rate="step", schedule=s),
    lambda s: Adam(3, np.float64, learning_rate_init=LR0, schedule=s),
    lambda s: AdamW(3, np.float64, learning_rate_init=LR0, schedule=s),
    lambda s: RMSprop(3, np.float64, learning_rate_init=LR0, schedule=s),
]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "adam", "adamw", "rmsprop"])
def test_each_epoch_an_optimizer_begins_asks_the_next_rate(make):
    schedule = Schedule("step", LR0, 0.5, 3, warmup=2)
    optimizer = make(schedule)
    got = [optimizer.begin_epoch() for _ in range(12)]
    assert got == [schedule.rate(e, LR0) for e in range(12)]
    assert optimizer.epoch == 12
    assert optimizer.rate == got[-1]


def test_sgds_step_uses_the_rate_of_the_epoch():
    sgd = SGD(2, np.float64, learning_rate_init=1.0, learning_rate="step",
              schedule=Schedule("step", 1.0, 0.5, 1))
    theta = np.array([1.0, 2.0])
    for expected in (0.0, -0.5, -0.75):  # rates 1, 0.5, 0.25 on a gradient of 1
        sgd.begin_epoch()
        sgd.step(theta, np.ones(2))
        assert theta[0] == expected
