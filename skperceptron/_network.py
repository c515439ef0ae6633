"""The network: forward pass, backward pass, and the loss with all its gradients.

A network with layer sizes ``units = [n_features, h_1, ..., h_k, n_outputs]`` has one
weight matrix and one bias vector per pair of consecutive layers. Layer ``l`` computes::

    Z_l = A_{l-1} @ W_l + b_l      # (n_samples, units[l])
    A_l = f_l(Z_l)                 # f_l: a hidden activation, or the output activation

with ``A_0 = X``. Training minimises::

    J = (sum_i w_i loss(y_i, A_L[i]) + alpha / 2 * sum_l ||W_l||^2) / n_samples

Everything here is a pure function of (network, parameters, X, Y, sample_weight): the
optimizers, L-BFGS and the finite-difference check all call ``loss_and_gradients``.
"""

from dataclasses import dataclass

import numpy as np

from ._kernels import add_scaled


class Parameters:
    """All weights and biases in one flat vector, with per-layer views into it.

    The flat layout is ``[W_1, ..., W_L, b_1, ..., b_L]`` (each ``W`` in C order). Optimizers
    update the whole vector in one fused operation, L-BFGS reads and writes it without
    packing, and the L2 penalty is one dot product over the leading ``n_coef`` entries.
    """

    def __init__(self, layer_units, dtype=np.float64, flat=None):
        self.layer_units = tuple(int(u) for u in layer_units)
        pairs = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.n_coef = sum(a * b for a, b in pairs)
        size = self.n_coef + sum(b for _, b in pairs)
        if flat is None:
            flat = np.zeros(size, dtype=dtype)
        elif flat.shape != (size,):
            raise ValueError(f"expected a flat vector of {size} values, got {flat.shape}")
        self.flat = flat
        self.coefs, self.intercepts = [], []
        start = 0
        for fan_in, fan_out in pairs:
            self.coefs.append(flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out))
            start += fan_in * fan_out
        for _, fan_out in pairs:
            self.intercepts.append(flat[start : start + fan_out])
            start += fan_out

    @classmethod
    def from_layers(cls, coefs, intercepts, dtype):
        """Copy per-layer arrays into a new flat parameter vector."""
        units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        params = cls(units, dtype=dtype)
        for dst, src in zip(params.coefs + params.intercepts, list(coefs) + list(intercepts)):
            dst[...] = src
        return params

    @property
    def dtype(self):
        return self.flat.dtype

    def zeros_like(self):
        return Parameters(self.layer_units, dtype=self.dtype)

    def copy(self):
        return Parameters(self.layer_units, flat=self.flat.copy())

    @property
    def weights(self):
        """The weight entries of the flat vector (no biases): what L2 penalises."""
        return self.flat[: self.n_coef]


@dataclass(frozen=True)
class Network:
    """The architecture: layer sizes and the activation of every non-input layer."""

    layer_units: tuple
    hidden_activations: tuple
    output_activation: object
    fit_intercept: bool = True

    def __post_init__(self):
        if len(self.hidden_activations) != len(self.layer_units) - 2:
            raise ValueError("need one activation per hidden layer")

    @property
    def n_layers(self):
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_units) - 1

    def activation(self, layer):
        """Activation of weight layer ``layer`` (0-based)."""
        if layer == self.n_layers - 1:
            return self.output_activation
        return self.hidden_activations[layer]


class Workspace:
    """Buffers for one fit, reused by every mini-batch (up to ``max_rows`` samples).

    ``outputs[l]`` holds layer l's output A (written over its net input Z), and
    ``gradients[l]`` the gradient at that layer's net input, dJ/dZ. A batch of n rows
    uses the first n rows of each: slices of C-ordered arrays, so still contiguous.
    ``rows`` receives a shuffled batch of dense inputs (``np.take`` into it instead of
    allocating a new array per batch).
    """

    def __init__(self, network, max_rows, dtype, n_features=None):
        units = network.layer_units
        self.outputs = [np.empty((max_rows, u), dtype=dtype) for u in units[1:]]
        self.gradients = [np.empty((max_rows, u), dtype=dtype) for u in units[1:]]
        self.rows = None if n_features is None else np.empty((max_rows, n_features), dtype)


def _product(A, W, out):
    """A @ W into ``out`` (a new array when out is None); A may be scipy.sparse."""
    if out is None:
        return A @ W
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


def forward(network, params, X, workspace=None):
    """Forward pass. Returns ``[X, A_1, ..., A_L]``: every layer's output.

    This list is the cache of the backward pass: each ``A_l`` is what the next layer's
    weight gradient needs, and each local derivative f_l'(Z_l) is a function of ``A_l``.
    With a ``workspace`` the outputs are written into its buffers.
    """
    n_samples = X.shape[0]
    activations = [X]
    A = X
    for layer, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        out = None if workspace is None else workspace.outputs[layer][:n_samples]
        Z = _product(A, W, out)  # (n_samples, units[l]); X may be a scipy.sparse matrix
        Z += b
        A = network.activation(layer).value_(Z)  # Z is overwritten by A
        activations.append(A)
    return activations


def predict_output(network, params, X, apply_output=True):
    """The output layer's values for ``X``, without keeping a cache.

    With ``apply_output=False`` the output layer's net input Z_L is returned instead
    (the decision function of a classifier).
    """
    A = X
    last = network.n_layers - 1
    for layer, (W, b) in enumerate(zip(params.coefs, params.intercepts)):
        Z = A @ W
        Z += b
        if layer == last and not apply_output:
            return Z
        A = network.activation(layer).value_(Z)
    return A


def output_gradient(network, loss, Y, P, sample_weight=None, out=None):
    """dJ/dZ_L, the gradient at the output layer's net input (into ``out`` if given)."""
    activation = network.output_activation
    if loss.link == activation.name:
        # Canonical pairing: the activation's derivative cancels against the loss's,
        # leaving w (P - Y) / n (see _losses).
        return loss.link_gradient(Y, P, sample_weight, out=out)
    dP = loss.gradient(Y, P, sample_weight)
    if out is not None:
        out[...] = dP
        dP = out
    return activation.backward_(dP, P)


def backward(network, params, activations, dZ, grads, workspace=None):
    """Backward pass: fill ``grads`` with dJ/dW_l and dJ/db_l for every layer.

    ``dZ`` is dJ/dZ_L at the output. Going down, each layer turns the gradient at its
    net input into its parameter gradients and into the gradient at its own input::

        dJ/dW_l     = A_{l-1}^T @ dJ/dZ_l            # (units[l-1], units[l])
        dJ/db_l     = sum over samples of dJ/dZ_l     # (units[l],)
        dJ/dA_{l-1} = dJ/dZ_l @ W_l^T                 # (n_samples, units[l-1]): global
        dJ/dZ_{l-1} = dJ/dA_{l-1} * f'(Z_{l-1})       # global x local (chain rule)

    The input layer's gradient dJ/dX is never needed and not computed. The L2 term is
    not added here (see ``loss_and_gradients``).
    """
    n_samples = dZ.shape[0]
    for layer in range(network.n_layers - 1, -1, -1):
        A_prev = activations[layer]
        _product(A_prev.T, dZ, grads.coefs[layer])
        if network.fit_intercept:
            np.sum(dZ, axis=0, out=grads.intercepts[layer])
        else:
            grads.intercepts[layer].fill(0)
        if layer == 0:
            break
        out = None if workspace is None else workspace.gradients[layer - 1][:n_samples]
        dA_prev = _product(dZ, params.coefs[layer].T, out)  # global gradient at A_{l-1}
        dZ = network.activation(layer - 1).backward_(dA_prev, A_prev)
    return grads


def loss_and_gradients(
    network, loss, params, X, Y, sample_weight=None, alpha=0.0, grads=None, workspace=None
):
    """The objective J and its gradient with respect to every parameter.

    Returns ``(J, grads)``; ``grads`` is a ``Parameters`` (filled in place when given).
    ``workspace`` (optional) provides the buffers of the forward and backward passes.
    """
    if grads is None:
        grads = params.zeros_like()
    n_samples = X.shape[0]
    activations = forward(network, params, X, workspace)
    P = activations[-1]
    value = loss.value(Y, P, sample_weight)
    weights = params.weights
    if alpha:
        value += 0.5 * alpha * float(np.dot(weights, weights)) / n_samples
    out = None if workspace is None else workspace.gradients[-1][:n_samples]
    dZ = output_gradient(network, loss, Y, P, sample_weight, out)
    backward(network, params, activations, dZ, grads, workspace)
    if alpha:
        # d/dW of alpha / (2 n) ||W||^2 = (alpha / n) W; biases are not penalised.
        add_scaled(grads.weights, weights.dtype.type(alpha / n_samples), weights)
    return value, grads


def objective(network, loss, params, X, Y, sample_weight=None, alpha=0.0):
    """J alone (no backward pass): for monitoring and finite differences."""
    P = predict_output(network, params, X)
    value = loss.value(Y, P, sample_weight)
    if alpha:
        weights = params.weights
        value += 0.5 * alpha * float(np.dot(weights, weights)) / X.shape[0]
    return value
