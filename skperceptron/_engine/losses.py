"""Loss functions: each one's value and its gradient with respect to the network output.

A loss compares targets ``Y`` (n_samples, n_outputs) with the network output ``P`` of the
same shape. Its value is the mean over samples of the per-sample loss, each sample's loss
summed over the outputs and multiplied by its sample weight::

    value = sum_i w_i * l(y_i, p_i) / n_samples

The estimators rescale sample weights to average 1 over the training set, so that with
full-batch training this is the weighted average ``sum w l / sum w`` and with mini-batches
each batch is an unbiased estimate of it. ``gradient`` returns d value / dP, already
including ``w_i / n_samples``.

When the output activation is the loss's *canonical link* (``link``), the chain rule
through the activation collapses: for logistic + binary log-loss, softmax + log-loss,
identity + squared error and exp + Poisson deviance, dL/dZ = w (P - Y) / n exactly.
``link_gradient`` returns that form, which is cheaper and better conditioned than
multiplying dL/dP by the activation's derivative (for a saturated sigmoid both factors
would be extreme, but their product is bounded).

Beside each loss that a single layer can train one sample at a time, its *rule*: the
same loss for one unit and one sample, ``(l, dl/dz)`` at the unit's net input z, as a
function on numbers (``perceptron_rule``, ...). The compiled per-sample loops of
``_training.online_loops`` call them (through ``unit_rule``, by the code in the
loss's ``rule``); the arrays above are their plain-numpy reference, and the tests
check that the two agree.
"""

import numpy as np
from scipy.special import xlogy

from .._utils.kernels import jit

#: The codes of the per-sample rules (``Loss.rule``), as the compiled loops take them.
PERCEPTRON, HINGE, SQUARED_ERROR, HUBER, ABSOLUTE_ERROR, LOGISTIC, SOFTMAX = range(7)


def _sample_scale(sample_weight, n_samples, dtype):
    """Per-sample factor w_i / n as a column, or the scalar 1 / n."""
    if sample_weight is None:
        return dtype.type(1.0 / n_samples)
    return (np.asarray(sample_weight, dtype=dtype) / dtype.type(n_samples))[:, None]


class Loss:
    """Base class. Subclasses define ``pointwise`` and ``pointwise_gradient``."""

    name = ""
    #: Output activation under which dL/dZ = w (P - Y) / n, or None.
    link = None
    #: True when the matching output can be read as class probabilities.
    gives_probabilities = False
    #: True when the loss is defined on raw scores and targets given as {0, 1} columns.
    on_scores = False
    #: The code of its per-sample rule, and the output activation the rule assumes;
    #: None for a loss without one.
    rule = None
    rule_output = "identity"

    def pointwise(self, Y, P):
        """Per-sample loss, summed over outputs: shape (n_samples,)."""
        raise NotImplementedError

    def pointwise_gradient(self, Y, P):
        """d l(y_i, p_i) / d p_i for every sample: shape (n_samples, n_outputs)."""
        raise NotImplementedError

    def value(self, Y, P, sample_weight=None):
        """Mean over samples of ``w_i * l(y_i, p_i)``, as a Python float."""
        losses = self.pointwise(Y, P).astype(np.float64, copy=False)
        if sample_weight is None:
            return float(losses.mean())
        return float(np.dot(losses, sample_weight) / losses.shape[0])

    def gradient(self, Y, P, sample_weight=None):
        """d value / dP: shape (n_samples, n_outputs)."""
        scale = _sample_scale(sample_weight, P.shape[0], P.dtype)
        return self.pointwise_gradient(Y, P) * scale

    def link_gradient(self, Y, P, sample_weight=None, out=None):
        """d value / dZ when the output activation is ``self.link``: w (P - Y) / n."""
        if self.link is None:
            raise TypeError(f"the {self.name} loss has no canonical link")
        scale = _sample_scale(sample_weight, P.shape[0], P.dtype)
        out = np.subtract(P, Y, out=out)
        out *= scale
        return out

    def __repr__(self):
        return f"<loss {self.name!r}>"


class SquaredError(Loss):
    """l = 1/2 sum_j (p_j - y_j)^2, dl/dp = p - y. Canonical link: identity."""

    name = "squared_error"
    link = "identity"
    rule = SQUARED_ERROR

    def pointwise(self, Y, P):
        R = P - Y
        return 0.5 * np.einsum("ij,ij->i", R, R)

    def pointwise_gradient(self, Y, P):
        return P - Y


@jit
def squared_error_rule(y, z):
    """One unit, one sample: l = r^2 / 2, dl/dz = r (r = z - y): Widrow and Hoff's."""
    r = z - y
    return 0.5 * r * r, r


class AbsoluteError(Loss):
    """l = sum_j |p_j - y_j|, dl/dp = sign(p - y) (0 at the kink)."""

    name = "absolute_error"
    rule = ABSOLUTE_ERROR

    def pointwise(self, Y, P):
        return np.abs(P - Y).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return np.sign(P - Y)


@jit
def absolute_error_rule(y, z):
    """One unit, one sample: l = |r|, dl/dz = sign(r) (0 at the kink)."""
    r = z - y
    return abs(r), 1.0 if r > 0 else (-1.0 if r < 0 else 0.0)


class Huber(Loss):
    """Squared near the target, absolute far from it; ``delta`` is where they meet.

    l = 1/2 r^2 if |r| <= delta else delta (|r| - delta / 2),  r = p - y;
    dl/dp = clip(r, -delta, delta).
    """

    name = "huber"
    rule = HUBER

    def __init__(self, delta=1.0):
        self.delta = float(delta)

    def pointwise(self, Y, P):
        R = np.abs(P - Y)
        d = self.delta
        return np.where(R <= d, 0.5 * R * R, d * (R - 0.5 * d)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return np.clip(P - Y, -self.delta, self.delta)


@jit
def huber_rule(y, z, delta):
    """One unit, one sample: squared within ``delta`` of the target, absolute beyond;
    dl/dz = clip(r, -delta, delta)."""
    r = z - y
    if abs(r) <= delta:
        return 0.5 * r * r, r
    return delta * (abs(r) - 0.5 * delta), delta if r > 0 else -delta


class Poisson(Loss):
    """Half Poisson deviance: l = sum_j y log(y / p) - y + p, dl/dp = 1 - y / p.

    Canonical link: exp. With p = exp(z), dl/dz = p - y. Requires y >= 0 and p > 0; p is
    floored at the smallest positive normal number so that log(p) stays finite.
    """

    name = "poisson"
    link = "exp"

    def pointwise(self, Y, P):
        P = np.maximum(P, np.finfo(P.dtype).tiny)
        return (xlogy(Y, Y) - xlogy(Y, P) - Y + P).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        P = np.maximum(P, np.finfo(P.dtype).tiny)
        return 1 - Y / P


def _clip_probabilities(P):
    # Same floor as scikit-learn: log(eps) bounds one sample's loss at about 36 (float64).
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


class BinaryLogLoss(Loss):
    """Cross-entropy of independent {0, 1} outputs: binary and multilabel classification.

    l = -sum_j y_j log p_j + (1 - y_j) log(1 - p_j), dl/dp = (p - y) / (p (1 - p)).
    Canonical link: logistic, under which dl/dz = p - y.
    """

    name = "log_loss"
    link = "logistic"
    gives_probabilities = True
    rule, rule_output = LOGISTIC, "logistic"

    def pointwise(self, Y, P):
        P = _clip_probabilities(P)
        return -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        P = _clip_probabilities(P)
        return (P - Y) / (P * (1 - P))


@jit
def logistic_rule(y, z, eps):
    """One logistic unit, one sample: the log-loss of p = logistic(z) (p clipped to
    [eps, 1 - eps] in the loss, as above), dl/dz = p - y."""
    p = 1.0 / (1.0 + np.exp(-z))
    clipped = min(max(p, eps), 1.0 - eps)
    loss = -np.log(clipped) if y > 0 else -np.log(1.0 - clipped)
    return loss, p - y


class LogLoss(Loss):
    """Multinomial cross-entropy: l = -sum_j y_j log p_j, dl/dp = -y / p.

    Canonical link: softmax, under which dl/dz = p - y (the Jacobian of softmax and the
    1/p of the logarithm cancel).
    """

    name = "log_loss"
    link = "softmax"
    gives_probabilities = True
    rule, rule_output = SOFTMAX, "softmax"

    def pointwise(self, Y, P):
        return -xlogy(Y, _clip_probabilities(P)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return -Y / _clip_probabilities(P)


@jit
def softmax_rule(y, z, out, eps):
    """All units of one sample: the log-loss of p = softmax(z), dl/dz_j = p_j - y_j.

    Writes dl/dz into ``out`` (float64) and returns the loss.
    """
    top = z.max()
    total = 0.0
    for j in range(z.shape[0]):
        out[j] = np.exp(z[j] - top)
        total += out[j]
    loss = 0.0
    for j in range(z.shape[0]):
        p = out[j] / total
        if y[j] > 0:
            loss -= y[j] * np.log(min(max(p, eps), 1.0 - eps))
        out[j] = p - y[j]
    return loss


class Perceptron(Loss):
    """The perceptron criterion on raw scores z, targets y in {0, 1} read as s = 2y - 1.

    l = sum_j max(0, -s_j z_j): zero for a correctly classified sample, and its gradient
    dl/dz = -s on a mistake (s z <= 0), 0 otherwise. A gradient step on one sample is
    Rosenblatt's rule ``w += eta * s * x`` applied to mistakes only: off the boundary it
    equals ``w += eta * (t - step(z)) * x``, so the step's zero derivative never enters.
    A sample exactly on the boundary (z = 0, as every sample is at zero weights) counts
    as a mistake for either class, although its loss is 0.
    """

    name = "perceptron"
    on_scores = True
    rule = PERCEPTRON

    def pointwise(self, Y, Z):
        S = 2 * Y - 1
        return np.maximum(-S * Z, 0).sum(axis=1)

    def pointwise_gradient(self, Y, Z):
        S = 2 * Y - 1
        return np.where(S * Z <= 0, -S, 0).astype(Z.dtype, copy=False)


@jit
def perceptron_rule(y, z):
    """One unit, one sample: l = max(0, -s z), dl/dz = -s on a mistake (s z <= 0)."""
    s = 2 * y - 1  # {0, 1} target as a sign
    margin = s * z
    return max(-margin, 0.0), -s if margin <= 0 else 0.0


class Hinge(Loss):
    """Hinge loss on raw scores: l = sum_j max(0, 1 - s_j z_j), s = 2y - 1.

    Like the perceptron criterion, but a sample must clear a margin of 1 to stop
    contributing: dl/dz = -s where s z < 1, 0 otherwise.
    """

    name = "hinge"
    on_scores = True
    rule = HINGE

    def pointwise(self, Y, Z):
        S = 2 * Y - 1
        return np.maximum(1 - S * Z, 0).sum(axis=1)

    def pointwise_gradient(self, Y, Z):
        S = 2 * Y - 1
        return np.where(S * Z < 1, -S, 0).astype(Z.dtype, copy=False)


@jit
def hinge_rule(y, z):
    """One unit, one sample: l = max(0, 1 - s z), dl/dz = -s within the margin."""
    s = 2 * y - 1
    margin = s * z
    return max(1 - margin, 0.0), -s if margin < 1 else 0.0


@jit
def unit_rule(rule, y, z, delta, eps):
    """(l, dl/dz) of one unit for one sample under the rule ``rule`` (a code above).

    ``y`` is the unit's target ({0, 1} for the classification rules), ``z`` its net
    input; ``delta`` is Huber's, ``eps`` the probability clip of the log-loss. (Softmax
    couples the units of a sample: ``softmax_rule``.)
    """
    if rule == SQUARED_ERROR:
        return squared_error_rule(y, z)
    if rule == HUBER:
        return huber_rule(y, z, delta)
    if rule == ABSOLUTE_ERROR:
        return absolute_error_rule(y, z)
    if rule == LOGISTIC:
        return logistic_rule(y, z, eps)
    if rule == PERCEPTRON:
        return perceptron_rule(y, z)
    return hinge_rule(y, z)


LOSSES = {
    "squared_error": SquaredError,
    "absolute_error": AbsoluteError,
    "huber": Huber,
    "poisson": Poisson,
    "log_loss": LogLoss,
    "binary_log_loss": BinaryLogLoss,
    "perceptron": Perceptron,
    "hinge": Hinge,
}


#: The rule of each (loss name, output activation name) pair that has one.
ONLINE_RULES = {(cls.name, cls.rule_output): cls.rule for cls in LOSSES.values()
                if cls.rule is not None}


def online_rule(loss, output_activation):
    """The rule code of a loss and output activation, or None if no rule applies."""
    return ONLINE_RULES.get((loss.name, output_activation.name))


def get_loss(name, **kwargs):
    """Return a new loss object called ``name`` (``huber`` takes ``delta``)."""
    try:
        cls = LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}; expected one of {sorted(LOSSES)}."
        ) from None
    return cls(**kwargs)
