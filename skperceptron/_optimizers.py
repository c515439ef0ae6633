"""Weight updates: stochastic gradient descent and Adam over the flat parameter vector.

Each optimizer's ``step(theta, grad)`` updates ``theta`` in place from the gradient of the
current mini-batch. Working on the whole flat vector (one array for all layers) turns
the update into one fused pass (``_kernels``) instead of a Python loop over layers.

Learning-rate schedules are pure functions of the training time ``t`` (the number of
samples seen), in the spirit of ``lr = get_lr(t)``.
"""

import numpy as np

from ._kernels import adam_step, momentum_step, sgd_step


def constant_schedule(learning_rate_init, t, power_t=0.5):
    """lr(t) = lr_0."""
    return learning_rate_init


def invscaling_schedule(learning_rate_init, t, power_t=0.5):
    """lr(t) = lr_0 / (t + 1) ** power_t, t = samples seen at the end of the last epoch."""
    return learning_rate_init / (t + 1) ** power_t


SCHEDULES = {
    "constant": constant_schedule,
    "invscaling": invscaling_schedule,
    # 'adaptive' starts constant; the training loop divides the rate by 5 on plateaus.
    "adaptive": constant_schedule,
}


class SGD:
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

    def step(self, theta, grad):
        typ = theta.dtype.type
        if self.velocity is None:
            sgd_step(theta, grad, typ(self.learning_rate))
        else:
            momentum_step(
                theta, grad, self.velocity, typ(self.learning_rate), typ(self.momentum),
                self.nesterov,
            )

    def end_epoch(self, t):
        """Update the learning rate from the schedule; ``t`` = samples seen so far."""
        if self.schedule == "invscaling":
            self.learning_rate = invscaling_schedule(
                self.learning_rate_init, t, self.power_t
            )

    def reduce_learning_rate(self):
        """On a plateau under 'adaptive': divide the rate by 5. False if it cannot."""
        if self.schedule != "adaptive":
            return False
        if self.learning_rate <= self.min_adaptive_learning_rate:
            return False
        self.learning_rate /= 5.0
        return True


class Adam:
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

    def step(self, theta, grad):
        self.n_steps += 1
        k = self.n_steps
        typ = theta.dtype.type
        lr_k = self.learning_rate_init * np.sqrt(1 - self.beta_2**k) / (1 - self.beta_1**k)
        adam_step(
            theta, grad, self.m, self.v, typ(lr_k), typ(self.beta_1), typ(1 - self.beta_1),
            typ(self.beta_2), typ(1 - self.beta_2), typ(self.epsilon),
        )
        self.learning_rate = lr_k

    def end_epoch(self, t):
        pass

    def reduce_learning_rate(self):
        return False
