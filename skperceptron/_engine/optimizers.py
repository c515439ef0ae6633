"""Weight updates: stochastic gradient descent and Adam over the flat parameter vector.

Each optimizer's ``step(theta, grad)`` updates ``theta`` in place from the gradient of the
current mini-batch. Working on the whole flat vector (one array for all layers) turns
the update into one pass instead of a Python loop over layers.

Each update is written once below as a rule on numbers (``_adam_rule`` and the like).
With numba installed a compiled loop applies it element by element in one pass with no
temporary arrays; without it numpy applies the same rule to the whole vector at once,
about ten passes over the parameters.

Learning-rate schedules are pure functions of the training time ``t`` (the number of
samples seen), in the spirit of ``lr = get_lr(t)``.
"""

import numpy as np

from .._utils.kernels import compiled, jit
from .penalty import pay_l1, penalised

# ----------------------------------------------------------------- the update rules
# Each rule works the same on one number and on a whole array. Element by element, the
# compiled loop and numpy's whole-array expression perform the same IEEE operations, so
# the results are identical. (A vectorised expression compiled by numba would allocate a
# new array for every assignment, many times slower than the loop:
# ``benchmarks/design_choices.py``.)


# The L2 term enters here, in the same pass: the gradient of alpha / (2 n) ||W||^2 is
# (alpha / n) W for the first ``n_penalised`` entries of the flat vector (the weights;
# biases are not penalised), so each rule sees g = penalised(grad, theta, l2) there
# (``_engine/penalty``). Adding it in a separate pass first cost a read and a write of
# every weight per step.


def _penalised_gradient(theta, grad, l2, n_penalised):
    """grad with the L2 term's gradient added to its first n_penalised entries."""
    if not n_penalised:
        return grad
    g = grad.copy()
    g[:n_penalised] = penalised(grad[:n_penalised], theta[:n_penalised], l2)
    return g


@jit
def _adam_rule(theta, g, m, v, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2,
               epsilon):
    m = beta_1 * m + one_minus_beta_1 * g
    v = beta_2 * v + one_minus_beta_2 * (g * g)
    return theta - lr * m / (np.sqrt(v) + epsilon), m, v


@jit
def _adam_loop(theta, grad, m, v, l2, n_penalised, lr, beta_1, one_minus_beta_1, beta_2,
               one_minus_beta_2, epsilon):
    for i in range(n_penalised):
        theta[i], m[i], v[i] = _adam_rule(
            theta[i], penalised(grad[i], theta[i], l2), m[i], v[i], lr, beta_1, one_minus_beta_1,
            beta_2, one_minus_beta_2, epsilon,
        )
    # The rest (the biases), indexed from 0: a loop starting at n_penalised was not
    # vectorised, several times slower (``benchmarks/design_choices.py``).
    rest = theta.shape[0] - n_penalised
    t, g, m_, v_ = theta[n_penalised:], grad[n_penalised:], m[n_penalised:], v[n_penalised:]
    for i in range(rest):
        t[i], m_[i], v_[i] = _adam_rule(
            t[i], g[i], m_[i], v_[i], lr, beta_1, one_minus_beta_1, beta_2,
            one_minus_beta_2, epsilon,
        )


def adam_step(theta, grad, m, v, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2,
              epsilon, l2=0.0, n_penalised=0):
    """One Adam update in place; ``lr`` already carries the bias correction.

    ``1 - beta`` comes precomputed: numba and numpy would type ``1 - float32`` apart.
    """
    hyper = (lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon)
    n_penalised = n_penalised if l2 else 0
    if compiled(theta.size):
        _adam_loop(theta, grad, m, v, l2, n_penalised, *hyper)
    else:
        g = _penalised_gradient(theta, grad, l2, n_penalised)
        theta[:], m[:], v[:] = _adam_rule(theta, g, m, v, *hyper)


@jit
def _momentum_rule(theta, g, velocity, lr, momentum, nesterov):
    velocity = momentum * velocity - lr * g
    if nesterov:
        return theta + (momentum * velocity - lr * g), velocity
    return theta + velocity, velocity


@jit
def _momentum_loop(theta, grad, velocity, l2, n_penalised, lr, momentum, nesterov):
    for i in range(n_penalised):
        theta[i], velocity[i] = _momentum_rule(
            theta[i], penalised(grad[i], theta[i], l2), velocity[i], lr, momentum, nesterov
        )
    t, g, u = theta[n_penalised:], grad[n_penalised:], velocity[n_penalised:]
    for i in range(t.shape[0]):  # from 0: see _adam_loop
        t[i], u[i] = _momentum_rule(t[i], g[i], u[i], lr, momentum, nesterov)


def momentum_step(theta, grad, velocity, lr, momentum, nesterov, l2=0.0, n_penalised=0):
    """Heavy-ball or Nesterov momentum in place (see ``SGD``)."""
    n_penalised = n_penalised if l2 else 0
    if compiled(theta.size):
        _momentum_loop(theta, grad, velocity, l2, n_penalised, lr, momentum, nesterov)
    else:
        g = _penalised_gradient(theta, grad, l2, n_penalised)
        theta[:], velocity[:] = _momentum_rule(theta, g, velocity, lr, momentum, nesterov)


@jit
def _sgd_loop(theta, grad, l2, n_penalised, lr):
    for i in range(n_penalised):
        theta[i] = theta[i] - lr * penalised(grad[i], theta[i], l2)
    t, g = theta[n_penalised:], grad[n_penalised:]
    for i in range(t.shape[0]):  # from 0: see _adam_loop
        t[i] = t[i] - lr * g[i]


def sgd_step(theta, grad, lr, l2=0.0, n_penalised=0):
    """Plain gradient descent in place: theta <- theta - lr * g."""
    n_penalised = n_penalised if l2 else 0
    if compiled(theta.size):
        _sgd_loop(theta, grad, l2, n_penalised, lr)
    else:
        theta[:] = theta - lr * _penalised_gradient(theta, grad, l2, n_penalised)


# ----------------------------------------------------------------- schedules
def constant_schedule(learning_rate_init, t, power_t=0.5):
    """lr(t) = lr_0."""
    return learning_rate_init


def invscaling_schedule(learning_rate_init, t, power_t=0.5):
    """lr(t) = lr_0 / (t + 1) ** power_t, t = samples seen at the end of the last epoch."""
    return learning_rate_init / (t + 1) ** power_t


#: The learning rate of each schedule after an epoch, as a function of the samples seen.
#: 'adaptive' has none: it stays where it is until a plateau, when the training loop
#: divides it by 5 (``SGD.reduce_learning_rate``).
SCHEDULES = {
    "constant": constant_schedule,
    "invscaling": invscaling_schedule,
    "adaptive": None,
}


# ----------------------------------------------------------------- optimizers
class Optimizer:
    """What the optimizers share: the state of the cumulative L1 step, and the hooks a
    schedule uses at the end of an epoch."""

    def l1_debts(self, size):
        """(u, q) of the cumulative L1 step (``_engine/penalty``), float64 arrays of
        ``size`` entries kept with the optimizer, zero at its first L1 step."""
        total, applied = getattr(self, "l1_total", None), getattr(self, "l1_applied", None)
        if total is None or total.shape != (size,):
            total, applied = self.l1_total, self.l1_applied = np.zeros(size), np.zeros(size)
        return total, applied

    def end_epoch(self, t):
        """Update the learning rate from the schedule; ``t`` = samples seen so far."""

    def reduce_learning_rate(self):
        """On a plateau: lower the rate and return True, or False if there is none."""
        return False


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Plain:     theta <- theta - lr * g
    Momentum:  v <- mu * v - lr * g;  theta <- theta + v
    Nesterov:  v <- mu * v - lr * g;  theta <- theta + mu * v - lr * g
    (the look-ahead form: the step evaluates the velocity once more past the new point).
    """

    #: Below this, 'adaptive' gives up reducing the learning rate and training stops.
    min_adaptive_learning_rate = 1e-6

    def __init__(
        self,
        size,
        dtype,
        learning_rate_init=0.1,
        learning_rate="constant",
        momentum=0.0,
        nesterovs_momentum=False,
        power_t=0.5,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.schedule = learning_rate
        self.momentum = float(momentum)
        self.nesterov = bool(nesterovs_momentum) and self.momentum > 0
        self.power_t = float(power_t)
        self.velocity = np.zeros(size, dtype=dtype) if self.momentum > 0 else None

    def step(self, theta, grad, l2=0.0, n_penalised=0, l1=0.0):
        """Update theta in place; the first n_penalised entries also by ``l2 * theta``
        and, with ``l1``, by the cumulative L1 step for ``l1 * |theta|`` (``pay_l1``)."""
        typ = theta.dtype.type
        self._step(theta, grad, typ, l2, n_penalised)
        if l1:
            pay_l1(theta, self.l1_debts(n_penalised), n_penalised,
                   typ(self.learning_rate) * typ(l1))

    def _step(self, theta, grad, typ, l2, n_penalised):
        if self.velocity is None:
            sgd_step(theta, grad, typ(self.learning_rate), typ(l2), n_penalised)
        else:
            momentum_step(
                theta, grad, self.velocity, typ(self.learning_rate), typ(self.momentum),
                self.nesterov, typ(l2), n_penalised,
            )

    def end_epoch(self, t):
        """Update the learning rate from the schedule; ``t`` = samples seen so far."""
        schedule = SCHEDULES[self.schedule]
        if schedule is not None:
            self.learning_rate = schedule(self.learning_rate_init, t, self.power_t)

    def reduce_learning_rate(self):
        """On a plateau under 'adaptive': divide the rate by 5. False if it cannot."""
        if self.schedule != "adaptive":
            return False
        if self.learning_rate <= self.min_adaptive_learning_rate:
            return False
        self.learning_rate /= 5.0
        return True


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction folded into the step size.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  k <- k + 1
    lr_k = lr * sqrt(1 - b2^k) / (1 - b1^k)
    theta <- theta - lr_k * m / (sqrt(v) + eps)
    """

    def __init__(
        self, size, dtype, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.n_steps = 0
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)

    def step(self, theta, grad, l2=0.0, n_penalised=0, l1=0.0):
        """Update theta in place; the first n_penalised entries also by ``l2 * theta``
        and, with ``l1``, by the cumulative L1 step for ``l1 * |theta|`` (``pay_l1``)."""
        self.n_steps += 1
        k = self.n_steps
        typ = theta.dtype.type
        lr_k = self.learning_rate_init * np.sqrt(1 - self.beta_2**k) / (1 - self.beta_1**k)
        adam_step(
            theta, grad, self.m, self.v, typ(lr_k), typ(self.beta_1), typ(1 - self.beta_1),
            typ(self.beta_2), typ(1 - self.beta_2), typ(self.epsilon), typ(l2), n_penalised,
        )
        self.learning_rate = lr_k
        if l1:
            pay_l1(theta, self.l1_debts(n_penalised), n_penalised,
                   typ(lr_k) * typ(l1), self.v, typ(self.epsilon))

