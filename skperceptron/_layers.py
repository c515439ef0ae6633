"""Layers: each one's forward map and backward map, side by side.

A network is a sequence of layers (``_network.Network.layers``): a dense layer, then its
activation, for every weight layer. Each layer has::

    forward(params, A, out)                       -> its output, from its input A
    backward(params, A, output, dOut, grads, out) -> dJ/dA, from dJ/d(its output)

``forward`` writes into ``out`` (a buffer of the fit's workspace, or None for a new
array) or overwrites its input in place. The outputs of all layers, kept by
``_network.forward``, are the cache of the backward pass: ``backward`` reads what it
needs there, a dense layer its input ``A`` and an activation its own ``output``.

The parameters stay one flat vector (``_network.Parameters``), so that an optimizer or
L-BFGS updates them all in one pass; a layer with parameters knows the index of its
views into it. A layer has no state of its own between calls: everything a fit changes
is in the parameters, the gradients and the workspace.
"""

import numpy as np


def matmul(A, W, out=None):
    """A @ W into ``out`` (a new array when out is None); A may be scipy.sparse."""
    if out is None:
        return A @ W
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


class Dense:
    """Z = A @ W + b: each unit's weighted sum of the previous layer's outputs.

    ``index`` is the layer's position among the weight layers: its weights are
    ``params.coefs[index]`` (n_in, n_out) and its biases ``params.intercepts[index]``.
    The first layer's input is X, whose gradient nobody needs (``input_gradient``).
    """

    writes_new_output = True

    def __init__(self, index, n_in, n_out, *, fit_intercept=True, input_gradient=True):
        self.index, self.n_in, self.n_out = index, n_in, n_out
        self.fit_intercept = fit_intercept
        self.input_gradient = input_gradient

    def forward(self, params, A, out=None):
        Z = matmul(A, params.coefs[self.index], out)  # (n_samples, n_out)
        Z += params.intercepts[self.index]
        return Z

    def backward(self, params, A, output, dZ, grads, out=None):
        """Fill this layer's gradients; return dJ/dA (None for the first layer).

        dJ/dW = A^T @ dZ      # (n_in, n_out): the input times the gradient at Z
        dJ/db = sum of dZ     # (n_out,)
        dJ/dA = dZ @ W^T      # (n_samples, n_in): the global gradient one layer down
        """
        i = self.index
        matmul(A.T, dZ, grads.coefs[i])
        if self.fit_intercept:
            np.sum(dZ, axis=0, out=grads.intercepts[i])
        else:
            grads.intercepts[i].fill(0)
        if not self.input_gradient:
            return None
        return matmul(dZ, params.coefs[i].T, out)

    def __repr__(self):
        return f"Dense({self.n_in} -> {self.n_out})"


class Activate:
    """A = f(Z), element-wise (softmax: row-wise), computed in place over Z.

    Its backward pass is the chain rule: dJ/dZ = dJ/dA * f'(Z), global times local,
    also in place; f'(Z) is read from the output A (see ``_activations``).
    """

    writes_new_output = False

    def __init__(self, activation):
        self.activation = activation

    def forward(self, params, Z, out=None):
        return self.activation.value_(Z)  # Z is overwritten by A

    def backward(self, params, Z, A, dA, grads, out=None):
        return self.activation.backward_(dA, A)  # dA is overwritten by dJ/dZ

    def __repr__(self):
        return f"Activate({self.activation.name})"
