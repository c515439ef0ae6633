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
"""

import numpy as np
from scipy.special import xlogy


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

    def pointwise(self, Y, P):
        R = P - Y
        return 0.5 * np.einsum("ij,ij->i", R, R)

    def pointwise_gradient(self, Y, P):
        return P - Y


class AbsoluteError(Loss):
    """l = sum_j |p_j - y_j|, dl/dp = sign(p - y) (0 at the kink)."""

    name = "absolute_error"

    def pointwise(self, Y, P):
        return np.abs(P - Y).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return np.sign(P - Y)


class Huber(Loss):
    """Squared near the target, absolute far from it; ``delta`` is where they meet.

    l = 1/2 r^2 if |r| <= delta else delta (|r| - delta / 2),  r = p - y;
    dl/dp = clip(r, -delta, delta).
    """

    name = "huber"

    def __init__(self, delta=1.0):
        self.delta = float(delta)

    def pointwise(self, Y, P):
        R = np.abs(P - Y)
        d = self.delta
        return np.where(R <= d, 0.5 * R * R, d * (R - 0.5 * d)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return np.clip(P - Y, -self.delta, self.delta)


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

    def pointwise(self, Y, P):
        P = _clip_probabilities(P)
        return -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        P = _clip_probabilities(P)
        return (P - Y) / (P * (1 - P))


class LogLoss(Loss):
    """Multinomial cross-entropy: l = -sum_j y_j log p_j, dl/dp = -y / p.

    Canonical link: softmax, under which dl/dz = p - y (the Jacobian of softmax and the
    1/p of the logarithm cancel).
    """

    name = "log_loss"
    link = "softmax"
    gives_probabilities = True

    def pointwise(self, Y, P):
        return -xlogy(Y, _clip_probabilities(P)).sum(axis=1)

    def pointwise_gradient(self, Y, P):
        return -Y / _clip_probabilities(P)


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

    def pointwise(self, Y, Z):
        S = 2 * Y - 1
        return np.maximum(-S * Z, 0).sum(axis=1)

    def pointwise_gradient(self, Y, Z):
        S = 2 * Y - 1
        return np.where(S * Z <= 0, -S, 0).astype(Z.dtype, copy=False)


class Hinge(Loss):
    """Hinge loss on raw scores: l = sum_j max(0, 1 - s_j z_j), s = 2y - 1.

    Like the perceptron criterion, but a sample must clear a margin of 1 to stop
    contributing: dl/dz = -s where s z < 1, 0 otherwise.
    """

    name = "hinge"
    on_scores = True

    def pointwise(self, Y, Z):
        S = 2 * Y - 1
        return np.maximum(1 - S * Z, 0).sum(axis=1)

    def pointwise_gradient(self, Y, Z):
        S = 2 * Y - 1
        return np.where(S * Z < 1, -S, 0).astype(Z.dtype, copy=False)


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


def get_loss(name, **kwargs):
    """Return a new loss object called ``name`` (``huber`` takes ``delta``)."""
    try:
        cls = LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}; expected one of {sorted(LOSSES)}."
        ) from None
    return cls(**kwargs)
