"""Activation functions: each one's value and its local derivative, side by side.

A layer computes ``Z = A_prev @ W + b`` and then ``A = f(Z)``. During the backward
pass the gradient arriving at ``A`` (the *global* gradient, dL/dA) is turned into the
gradient at ``Z`` by the chain rule::

    dL/dZ = dL/dA * f'(Z)          # element-wise: global x local

Every activation here can express its local derivative ``f'(Z)`` through its own output
``A`` alone (for example ``logistic'(Z) = A * (1 - A)``). The forward pass therefore keeps
only ``A`` for each layer: keeping ``A`` is keeping the local gradient, at no extra memory.

All functions are stable at any magnitude: no overflow warnings and no NaN for |Z| up to
1e4 (and far beyond), in float32 and float64. They preserve the input dtype.

Each activation computes in place (``value_`` overwrites Z with A, ``backward_``
overwrites dL/dA with dL/dZ): the training loop keeps one buffer per layer for the
whole fit instead of allocating new arrays for every mini-batch. ``value`` and
``backward`` are the same computations on a copy.
"""

import numpy as np
from scipy.special import expit


class Activation:
    """Base class: ``value(Z)`` is the forward map, ``derivative(A)`` the local gradient."""

    name = ""

    def value_(self, Z):
        """Overwrite ``Z`` with ``f(Z)`` and return it."""
        raise NotImplementedError

    def derivative(self, A):
        """Return ``f'(Z)`` expressed through the output ``A = f(Z)``."""
        raise NotImplementedError

    def backward_(self, dA, A):
        """Chain rule through this activation, in place: dL/dA becomes dL/dZ."""
        dA *= self.derivative(A)  # (n_samples, n_units): global x local
        return dA

    def value(self, Z):
        """Return ``f(Z)``; ``Z`` is left untouched."""
        return self.value_(Z.copy())

    def backward(self, dA, A):
        """dL/dZ from dL/dA; ``dA`` is left untouched."""
        return self.backward_(dA.copy(), A)

    def __repr__(self):
        return f"<activation {self.name!r}>"


class Identity(Activation):
    """f(z) = z, f'(z) = 1. The output of a regression network."""

    name = "identity"

    def value_(self, Z):
        return Z

    def derivative(self, A):
        return np.ones_like(A)

    def backward_(self, dA, A):
        return dA  # local gradient is 1: the global gradient passes through unchanged


class Step(Activation):
    """Heaviside step f(z) = 1 if z > 0 else 0: the threshold unit of the perceptron.

    Its derivative is 0 wherever it exists, so backpropagation through a step learns
    nothing. The perceptron does not backpropagate through it: Rosenblatt's rule uses the
    error ``step(z) - t`` directly on the net input ``z`` (see ``losses.Perceptron``),
    and the step decides the predicted label (``_targets.decode_labels``).
    """

    name = "step"

    def value_(self, Z):
        np.greater(Z, 0, out=Z, casting="unsafe")
        return Z

    def derivative(self, A):
        return np.zeros_like(A)


class Logistic(Activation):
    """f(z) = 1 / (1 + exp(-z)), f'(z) = f(z) (1 - f(z)).

    ``scipy.special.expit`` never overflows: for z = -1e4 it returns 0 without a warning.
    The derivative is at most 1/4, which is why gradients shrink through deep sigmoid stacks.
    """

    name = "logistic"

    def value_(self, Z):
        return expit(Z, out=Z)

    def derivative(self, A):
        return A * (1 - A)


class Tanh(Activation):
    """f(z) = tanh(z), f'(z) = 1 - tanh(z)^2."""

    name = "tanh"

    def value_(self, Z):
        return np.tanh(Z, out=Z)

    def derivative(self, A):
        return 1 - A * A


class ReLU(Activation):
    """f(z) = max(0, z), f'(z) = 1 if z > 0 else 0 (0 is taken at z = 0)."""

    name = "relu"

    def value_(self, Z):
        return np.maximum(Z, 0, out=Z)

    def derivative(self, A):
        return (A > 0).astype(A.dtype)

    def backward_(self, dA, A):
        # The same product as the base class with a boolean factor: no float array of
        # ones and zeros (faster than masked assignment: ``benchmarks/design_choices.py``).
        return np.multiply(dA, A > 0, out=dA)


class LeakyReLU(Activation):
    """f(z) = z if z > 0 else slope * z, f'(z) = 1 or slope (slope = 0.01)."""

    name = "leaky_relu"
    slope = 0.01

    def value_(self, Z):
        # With 0 < slope < 1, max(z, slope z) is z for z > 0 and slope z otherwise.
        return np.maximum(Z, Z * Z.dtype.type(self.slope), out=Z)

    def derivative(self, A):
        # A has the sign of Z, since the slope is positive.
        return np.where(A > 0, A.dtype.type(1), A.dtype.type(self.slope))


class ELU(Activation):
    """f(z) = z if z > 0 else exp(z) - 1, f'(z) = 1 or exp(z) = f(z) + 1.

    ``expm1`` is evaluated on min(z, 0) only, so a large positive z cannot overflow.
    """

    name = "elu"

    def value_(self, Z):
        negative = Z <= 0
        Z[negative] = np.expm1(Z[negative])
        return Z

    def derivative(self, A):
        return np.where(A > 0, A.dtype.type(1), A + 1)


class Softplus(Activation):
    """f(z) = log(1 + exp(z)), f'(z) = logistic(z) = 1 - exp(-f(z)).

    ``logaddexp(0, z)`` is the overflow-free form of log(1 + exp(z)).
    """

    name = "softplus"

    def value_(self, Z):
        return np.logaddexp(Z.dtype.type(0), Z, out=Z)

    def derivative(self, A):
        # exp(-A) = 1 / (1 + exp(z)), so 1 - exp(-A) = exp(z) / (1 + exp(z)).
        return -np.expm1(-A)


class Exp(Activation):
    """f(z) = exp(z), f'(z) = f(z): the inverse of the log link (Poisson regression).

    z is clipped at log(dtype max) so that f never becomes inf.
    """

    name = "exp"

    def value_(self, Z):
        upper = Z.dtype.type(np.log(np.finfo(Z.dtype).max) - 1)
        np.minimum(Z, upper, out=Z)
        return np.exp(Z, out=Z)

    def derivative(self, A):
        return A.copy()


class Softmax(Activation):
    """f(z)_j = exp(z_j) / sum_k exp(z_k), row-wise: class probabilities.

    Subtracting the row maximum first leaves f unchanged and keeps exp from overflowing.
    The local derivative is a Jacobian per sample, ``diag(a) - a a^T``, not an element-wise
    factor, so ``backward`` applies it directly: dL/dZ = A * (dL/dA - sum_k dL/dA_k A_k).
    """

    name = "softmax"

    def value_(self, Z):
        top = Z.max(axis=1, keepdims=True)
        infinite = np.isinf(top).ravel()
        if infinite.any():
            # The limit of softmax as the largest inputs grow without bound: their
            # classes share the probability (inf - inf would give NaN instead).
            rows = Z[infinite]
            Z[infinite] = rows == top[infinite]
            top[infinite] = 0
        Z -= top
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
        return Z

    def derivative(self, A):
        raise TypeError("softmax has a Jacobian, not an element-wise derivative")

    def backward_(self, dA, A):
        dA -= np.sum(dA * A, axis=1, keepdims=True)
        dA *= A
        return dA  # (n_samples, n_classes)


ACTIVATIONS = {
    act.name: act
    for act in (
        Identity(),
        Step(),
        Logistic(),
        Tanh(),
        ReLU(),
        LeakyReLU(),
        ELU(),
        Softplus(),
        Exp(),
        Softmax(),
    )
}

#: Activations a hidden layer may use (those with a useful derivative).
HIDDEN_ACTIVATIONS = frozenset(
    {"identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus"}
)


def get_activation(name):
    """Return the activation object called ``name``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}."
        ) from None
