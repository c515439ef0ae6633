"""Learning-rate schedules: the rate of each epoch, a pure function of the epoch.

An optimizer asks its ``Schedule`` for the rate of every epoch it begins
(``Schedule.rate(epoch, base)``), and the fit records it (``learning_rates_``).
``epoch`` counts the epochs of the optimizer from 0 (a ``partial_fit`` call is one
epoch); ``base`` is the rate of scikit-learn's three schedules, which keep their own
state in the optimizer:

- 'constant': ``learning_rate_init`` throughout;
- 'invscaling': ``learning_rate_init / (t + 1) ** power_t`` with t the samples seen at
  the end of the last epoch (``invscaling_rate``);
- 'adaptive': ``learning_rate_init``, divided by 5 on each plateau of the loss.

scikit-learn applies 'invscaling' and 'adaptive' to ``solver='sgd'`` only (Adam keeps
``learning_rate_init``), and so do we. The schedules below apply to every stochastic
solver. With W = ``warmup`` epochs of warm-up and ``d = epoch - W`` (the schedule's
own epoch), lr_0 = ``learning_rate_init``::

    step:        lr_0 * gamma ** (d // k)                 gamma = decay_rate, k = period
    exponential: lr_0 * gamma ** d
    cosine:      lr_0 * (1 + cos(pi * min(d, T) / T)) / 2     T = period
    callable f:  lr_0 * f(d)

and during the warm-up (``epoch < W``) the rate of d = 0 times ``(epoch + 1) / (W + 1)``,
a straight line from ``lr_0 / (W + 1)`` up to the schedule's first rate. Each is the
function of a number, tested against its formula (``tests/engine/test_schedules.py``).
"""

import math
from dataclasses import dataclass
from numbers import Real

#: scikit-learn's schedules, whose rate the optimizer keeps (``base``).
SKLEARN_SCHEDULES = ("constant", "invscaling", "adaptive")
#: Schedules that are a function of the epoch alone, for every stochastic solver.
EPOCH_SCHEDULES = ("step", "exponential", "cosine")
#: decay_rate when not given, per schedule (PyTorch's StepLR gamma; a slow exponential).
DEFAULT_DECAY_RATE = {"step": 0.1, "exponential": 0.95}
#: The period of 'step' when not given: epochs between two decays.
DEFAULT_STEP_PERIOD = 10


def invscaling_rate(learning_rate_init, t, power_t=0.5):
    """lr(t) = lr_0 / (t + 1) ** power_t, t = samples seen at the end of the last epoch."""
    return learning_rate_init / (t + 1) ** power_t


def step_decay(lr0, d, gamma, period):
    return lr0 * gamma ** (d // period)


def exponential_decay(lr0, d, gamma):
    return lr0 * gamma**d


def cosine_decay(lr0, d, period):
    return lr0 * (1.0 + math.cos(math.pi * min(d, period) / period)) / 2.0


def warmup_factor(epoch, warmup):
    """(epoch + 1) / (W + 1) in the W warm-up epochs, 1 after."""
    return (epoch + 1) / (warmup + 1) if epoch < warmup else 1.0


@dataclass(frozen=True)
class Schedule:
    """The rate of each epoch (see the module). ``kind`` is a schedule's name or a
    callable of the epoch; ``learning_rate_init`` lr_0; ``decay_rate`` gamma;
    ``period`` the epochs between two steps of 'step', or T of 'cosine'."""

    kind: object = "constant"
    learning_rate_init: float = 0.001
    decay_rate: float | None = None
    period: int | None = None
    warmup: int = 0

    @property
    def by_epoch(self):
        """Whether the rate is this schedule's, not scikit-learn's ``base``."""
        return self.kind not in SKLEARN_SCHEDULES

    def rate(self, epoch, base):
        """The learning rate of epoch ``epoch`` (0-based); ``base`` that of
        scikit-learn's schedules, kept by the optimizer."""
        if not self.by_epoch:
            value = base
        else:
            value = self.decayed(max(epoch - self.warmup, 0))
        if epoch < self.warmup:
            value = value * warmup_factor(epoch, self.warmup)
        return value

    def decayed(self, d):
        """The rate of the schedule's own epoch d (after the warm-up)."""
        lr0, kind = self.learning_rate_init, self.kind
        if kind == "step":
            return step_decay(lr0, d, self.decay_rate, self.period)
        if kind == "exponential":
            return exponential_decay(lr0, d, self.decay_rate)
        if kind == "cosine":
            return cosine_decay(lr0, d, self.period)
        return lr0 * checked_factor(kind, d)


def checked_factor(function, d):
    """``function(d)``, refused unless a finite real number >= 0."""
    try:
        value = function(d)
    except Exception as exc:  # the user's function: say where it failed
        raise ValueError(
            f"learning_rate, a callable of the epoch, raised {type(exc).__name__} at "
            f"epoch {d}: {exc}"
        ) from exc
    if isinstance(value, bool) or not isinstance(value, Real) or not (
            math.isfinite(value) and value >= 0):
        raise ValueError(
            f"learning_rate, a callable of the epoch, must return a finite number >= 0 "
            f"(the factor of learning_rate_init); at epoch {d} it returned {value!r}."
        )
    return float(value)
