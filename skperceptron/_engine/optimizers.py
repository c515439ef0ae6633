"""Weight updates: SGD, Adam, AdamW and RMSprop over the flat parameter vector.

Each optimizer's ``step(theta, grad)`` updates ``theta`` in place from the gradient of the
current mini-batch. Working on the whole flat vector (one array for all layers) turns
the update into one pass instead of a Python loop over layers.

Each update is written once below as a rule on numbers (``_adam_rule`` and the like).
With numba installed a compiled loop applies it element by element in one pass with no
temporary arrays; without it numpy applies the same rule to the whole vector at once,
about ten passes over the parameters.

The rate of each epoch comes from a schedule (``schedules``), a pure function of the
epoch in the spirit of ``lr = get_lr(it)``, asked when an epoch begins
(``Optimizer.begin_epoch``). Frozen layers (``segments``) are left out of every update
and of the optimizer's state: each step runs over the trainable ranges only.
"""

import numpy as np

from .._utils.kernels import compiled, jit
from .penalty import pay_l1, penalised
from .schedules import Schedule, invscaling_rate

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


@jit
def _adamw_loop(theta, grad, m, v, l2, n_penalised, decay, lr, beta_1, one_minus_beta_1,
                beta_2, one_minus_beta_2, epsilon):
    # The decay applies to the weights (the first n_penalised entries), not the biases,
    # before Adam's step (PyTorch's order); the L2 term reads the weight before it.
    for i in range(n_penalised):
        theta[i], m[i], v[i] = _adam_rule(
            theta[i] * decay, penalised(grad[i], theta[i], l2), m[i], v[i], lr, beta_1,
            one_minus_beta_1, beta_2, one_minus_beta_2, epsilon,
        )
    t, g, m_, v_ = theta[n_penalised:], grad[n_penalised:], m[n_penalised:], v[n_penalised:]
    for i in range(t.shape[0]):  # from 0: see _adam_loop
        t[i], m_[i], v_[i] = _adam_rule(
            t[i], g[i], m_[i], v_[i], lr, beta_1, one_minus_beta_1, beta_2,
            one_minus_beta_2, epsilon,
        )


def adamw_step(theta, grad, m, v, decay, lr, beta_1, one_minus_beta_1, beta_2,
               one_minus_beta_2, epsilon, l2=0.0, n_decayed=0):
    """One AdamW update in place: the first ``n_decayed`` entries (weights) multiplied by
    ``decay`` = 1 - lr * weight_decay and penalised by ``l2``, then Adam's step, whose
    ``lr`` and ``epsilon`` carry the bias corrections (``AdamW``)."""
    hyper = (lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon)
    if compiled(theta.size):
        _adamw_loop(theta, grad, m, v, l2, n_decayed, decay, *hyper)
        return
    g = _penalised_gradient(theta, grad, l2, n_decayed if l2 else 0)
    theta[:n_decayed] *= decay
    theta[:], m[:], v[:] = _adam_rule(theta, g, m, v, *hyper)


@jit
def _rmsprop_rule(theta, g, v, lr, rho, one_minus_rho, epsilon):
    v = rho * v + one_minus_rho * (g * g)
    return theta - lr * g / (np.sqrt(v) + epsilon), v


@jit
def _rmsprop_loop(theta, grad, v, l2, n_penalised, lr, rho, one_minus_rho, epsilon):
    for i in range(n_penalised):
        theta[i], v[i] = _rmsprop_rule(theta[i], penalised(grad[i], theta[i], l2), v[i], lr,
                                       rho, one_minus_rho, epsilon)
    t, g, v_ = theta[n_penalised:], grad[n_penalised:], v[n_penalised:]
    for i in range(t.shape[0]):  # from 0: see _adam_loop
        t[i], v_[i] = _rmsprop_rule(t[i], g[i], v_[i], lr, rho, one_minus_rho, epsilon)


def rmsprop_step(theta, grad, v, lr, rho, one_minus_rho, epsilon, l2=0.0, n_penalised=0):
    """One RMSprop update in place (Tieleman and Hinton, 2012; PyTorch's form)."""
    n_penalised = n_penalised if l2 else 0
    if compiled(theta.size):
        _rmsprop_loop(theta, grad, v, l2, n_penalised, lr, rho, one_minus_rho, epsilon)
    else:
        g = _penalised_gradient(theta, grad, l2, n_penalised)
        theta[:], v[:] = _rmsprop_rule(theta, g, v, lr, rho, one_minus_rho, epsilon)


# ----------------------------------------------------------------- optimizers
def _range(state, part):
    """A state array's entries of the range ``part`` (a slice), all of it when None."""
    return state if part is None else state[part]


class Optimizer:
    """What the optimizers share: the schedule and the epochs begun, the trainable
    ranges, the state of the cumulative L1 step, and the hooks of the training loop.

    A step updates the entries of ``segments``, ``(slice, n_penalised)`` pairs (a range
    of the trainable vector and how many of its first entries are weights), or the
    whole vector when None; the state arrays (moments, velocity, L1 debts) are sliced
    alike, so a frozen range keeps its state too.
    """

    rates = Schedule()  # the rate of each epoch
    epoch = 0  # epochs begun: the schedule's clock (a partial_fit call is one)
    rate = None  # the rate of the current epoch, set by begin_epoch
    segments = None

    def begin_epoch(self):
        """Set and return the rate of the epoch that begins (``schedules.Schedule``)."""
        self.rate = self.rates.rate(self.epoch, self._base_rate())
        self.epoch += 1
        return self.rate

    def _base_rate(self):
        """The rate of scikit-learn's schedules: ``learning_rate_init`` by default."""
        return self.learning_rate_init

    def _current_rate(self):
        return self._base_rate() if self.rate is None else self.rate

    def l1_debts(self, size):
        """(u, q) of the cumulative L1 step (``_engine/penalty``), float64 arrays of
        ``size`` entries kept with the optimizer, zero at its first L1 step."""
        total, applied = getattr(self, "l1_total", None), getattr(self, "l1_applied", None)
        if total is None or total.shape != (size,):
            total, applied = self.l1_total, self.l1_applied = np.zeros(size), np.zeros(size)
        return total, applied

    def step(self, theta, grad, l2=0.0, n_penalised=0, l1=0.0):
        """Update theta in place; the first n_penalised entries also by ``l2 * theta``
        and, with ``l1``, by the cumulative L1 step for ``l1 * |theta|`` (``pay_l1``)."""
        typ = theta.dtype.type
        hyper, l2 = self._hyper(typ), typ(l2)
        if self.segments is None:  # all of it trains: the arrays themselves (``part``
            # None); views of them added a sixth to a step on the digits network
            self._update(None, theta, grad, hyper, l2, n_penalised)
            if l1 and n_penalised:
                self._pay_l1(None, theta, self.l1_debts(n_penalised), n_penalised,
                             typ(l1), hyper, typ)
            return
        for part, n_weights in self.segments:
            n_weights = n_weights if n_penalised else 0
            self._update(part, theta[part], grad[part], hyper, l2, n_weights)
            if l1 and n_weights:
                total, applied = self.l1_debts(n_penalised)
                self._pay_l1(part, theta[part], (total[part], applied[part]), n_weights,
                             typ(l1), hyper, typ)

    def _pay_l1(self, part, theta, debts, n_weights, l1, hyper, typ):
        """The cumulative L1 step on a range, its threshold lr * l1 (n already in l1)."""
        pay_l1(theta, debts, n_weights, typ(self._current_rate()) * l1)

    def to_plain(self):
        """The optimizer as plain data, for a saved model or a checkpoint: its class's
        name, its hyper-parameters, rates, step count and moment arrays (numbers,
        strings, arrays or None) and its schedule as its fields (a callable schedule
        stays the user's function). The trained ranges are set again by every fit."""
        state = {"class": type(self).__name__, **vars(self)}
        state.pop("segments", None)
        if isinstance(state.get("rates"), Schedule):
            state["rates"] = dict(vars(state["rates"]))
        return state

    def load_plain(self, state):
        """Take back the state ``to_plain`` gave (its class's name aside)."""
        state = {name: value for name, value in state.items() if name != "class"}
        if isinstance(state.get("rates"), dict):
            state["rates"] = Schedule(**state["rates"])
        self.__dict__.update(state)

    def end_epoch(self, t):
        """Update scikit-learn's schedule's rate; ``t`` = samples seen so far."""

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
        schedule=None,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)  # scikit-learn's schedules' rate
        self.schedule = learning_rate  # scikit-learn's name, or one of ours
        if schedule is not None:
            self.rates = schedule
        self.momentum = float(momentum)
        self.nesterov = bool(nesterovs_momentum) and self.momentum > 0
        self.power_t = float(power_t)
        self.velocity = np.zeros(size, dtype=dtype) if self.momentum > 0 else None

    def _base_rate(self):
        return self.learning_rate

    def _hyper(self, typ):
        return typ(self._current_rate())

    def _update(self, part, theta, grad, lr, l2, n_weights):
        if self.velocity is None:
            sgd_step(theta, grad, lr, l2, n_weights)
        else:
            momentum_step(theta, grad, _range(self.velocity, part), lr,
                          theta.dtype.type(self.momentum), self.nesterov, l2, n_weights)

    def end_epoch(self, t):
        """Update the learning rate of 'invscaling'; ``t`` = samples seen so far."""
        if self.schedule == "invscaling":
            self.learning_rate = invscaling_rate(self.learning_rate_init, t, self.power_t)

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

    (scikit-learn's form: eps is added to sqrt(v), not to sqrt(v / (1 - b2^k)).)
    """

    def __init__(
        self, size, dtype, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        schedule=None,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        if schedule is not None:
            self.rates = schedule
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.n_steps = 0
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)

    def _hyper(self, typ):
        self.n_steps += 1
        k = self.n_steps
        lr_k = self._current_rate() * np.sqrt(1 - self.beta_2**k) / (1 - self.beta_1**k)
        self.learning_rate = lr_k
        return (typ(lr_k), typ(self.beta_1), typ(1 - self.beta_1), typ(self.beta_2),
                typ(1 - self.beta_2), typ(self.epsilon))

    def _update(self, part, theta, grad, hyper, l2, n_weights):
        adam_step(theta, grad, _range(self.m, part), _range(self.v, part), *hyper, l2,
                  n_weights)

    def _pay_l1(self, part, theta, debts, n_weights, l1, hyper, typ):
        pay_l1(theta, debts, n_weights, hyper[0] * l1, _range(self.v, part),
               typ(self.epsilon))


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay, as
    PyTorch's ``torch.optim.AdamW``::

        theta <- theta (1 - lr lambda)                  # weights only, not biases
        m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  k <- k + 1
        theta <- theta - lr / (1 - b1^k) * m / (sqrt(v) / sqrt(1 - b2^k) + eps)

    The decay shrinks each weight by a fraction of itself, apart from the gradient:
    unlike an L2 term (``alpha``), Adam's per-weight scaling does not weaken it where
    gradients are large. lr is the schedule's rate of the epoch.

    The last line is computed as Adam's, ``lr_k * m / (sqrt(v) + eps_k)`` with
    ``lr_k = lr sqrt(1 - b2^k) / (1 - b1^k)`` and ``eps_k = eps sqrt(1 - b2^k)``: the
    same step (to rounding: PyTorch's own, ``benchmarks/torch_optimizers.py``, 1e-15)
    with one division per parameter instead of two, which made a step 1.3x Adam's.
    """

    def __init__(self, size, dtype, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, weight_decay=0.01, schedule=None):
        super().__init__(size, dtype, learning_rate_init, beta_1, beta_2, epsilon, schedule)
        self.weight_decay = float(weight_decay)

    def _hyper(self, typ):
        self.n_steps += 1
        k, lr = self.n_steps, self._current_rate()
        root = np.sqrt(1 - self.beta_2**k)
        lr_k = lr * root / (1 - self.beta_1**k)
        self.learning_rate = lr_k
        return (typ(1 - lr * self.weight_decay), typ(lr_k), typ(self.beta_1),
                typ(1 - self.beta_1), typ(self.beta_2), typ(1 - self.beta_2),
                typ(self.epsilon * root))

    def _update(self, part, theta, grad, hyper, l2, n_weights):
        adamw_step(theta, grad, _range(self.m, part), _range(self.v, part), *hyper, l2,
                   n_weights)

    def _pay_l1(self, part, theta, debts, n_weights, l1, hyper, typ):
        # Each weight's step is lr_k / (sqrt(v) + eps_k) per unit of m, as Adam's.
        pay_l1(theta, debts, n_weights, hyper[1] * l1, _range(self.v, part), hyper[6])


class RMSprop(Optimizer):
    """RMSprop (Tieleman and Hinton, 2012), as PyTorch's ``torch.optim.RMSprop``
    without momentum, not centred::

        v <- rho v + (1 - rho) g^2
        theta <- theta - lr * g / (sqrt(v) + eps)
    """

    def __init__(self, size, dtype, learning_rate_init=0.001, rho=0.99, epsilon=1e-8,
                 schedule=None):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        if schedule is not None:
            self.rates = schedule
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self.v = np.zeros(size, dtype=dtype)

    def _hyper(self, typ):
        return (typ(self._current_rate()), typ(self.rho), typ(1 - self.rho),
                typ(self.epsilon))

    def _update(self, part, theta, grad, hyper, l2, n_weights):
        rmsprop_step(theta, grad, _range(self.v, part), *hyper, l2, n_weights)

    def _pay_l1(self, part, theta, debts, n_weights, l1, hyper, typ):
        pay_l1(theta, debts, n_weights, hyper[0] * l1, _range(self.v, part),
               typ(self.epsilon))
