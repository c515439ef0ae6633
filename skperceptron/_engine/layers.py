"""Layers: each one's forward map and backward map, side by side.

A network is a sequence of layers (``network.Network.layers``): a dense layer, then its
activation, for every weight layer; a hidden layer may add batch normalization between
the two and dropout after its activation. Each layer has::

    forward(params, A, out, mode)                       -> its output, from its input A
    backward(params, A, output, dOut, grads, out, mode) -> dJ/dA, from dJ/d(its output)

``forward`` writes into ``out`` (a buffer of the fit's workspace, or None for a new
array) or overwrites its input in place. The outputs of all layers, kept by
``network.forward``, are the cache of the backward pass: ``backward`` reads what it
needs there, a dense layer its input ``A`` and an activation its own ``output``.

The parameters stay one flat vector (``network.Parameters``), so that an optimizer or
L-BFGS updates them all in one pass; a layer with parameters knows the index of its
views into it. A layer has no state of its own between calls: everything a fit changes
is in the parameters, the gradients and the workspace.

``mode`` is None when predicting; in training it is a ``TrainingPass``, which tells
dropout where to draw its masks and batch normalization how to weight its batch
statistics, and keeps what their backward passes need (``saved``).
"""

import numpy as np
import scipy.sparse as sp

from .._utils.kernels import compiled, jit


class TrainingPass:
    """A forward pass in training mode, and what it leaves for the backward pass.

    ``rng`` draws dropout masks; with ``hold`` a layer that already has a mask keeps
    it (the gradient check varies the weights under fixed masks). ``sample_weight``
    (the batch's, or None) weights the batch statistics of batch normalization, and
    ``momentum`` (None: leave them) moves its running statistics towards them.
    """

    def __init__(self, rng=None, sample_weight=None, momentum=None, hold=False):
        self.rng, self.momentum, self.hold = rng, momentum, hold
        self.sample_weight = sample_weight
        self.saved = {}  # layer -> what its backward pass reads


def matmul(A, W, out=None):
    """A @ W into ``out`` (a new array when out is None); A may be scipy.sparse, and so
    may W when predicting (the single layer's ``sparsify``)."""
    if out is None:
        Z = A @ W
        return Z.toarray() if sp.issparse(Z) else Z
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


class Dense:
    """Z = A @ W + b: each unit's weighted sum of the previous layer's outputs.

    ``index`` is the layer's position among the weight layers: its weights are
    ``params.coefs[index]`` (n_in, n_out) and its biases ``params.intercepts[index]``.
    The first layer's input is X, whose gradient nobody needs (``input_gradient``; nor
    does the input of the lowest layer that trains). A frozen layer (``trains``
    False) computes no gradient of its own and leaves those in ``grads`` as they are.
    """

    writes_new_output = True

    def __init__(self, index, n_in, n_out, *, fit_intercept=True, input_gradient=True,
                 trains=True):
        self.index, self.n_in, self.n_out = index, n_in, n_out
        self.fit_intercept = fit_intercept
        self.input_gradient = input_gradient
        self.trains = trains

    def forward(self, params, A, out=None, mode=None):
        Z = matmul(A, params.coefs[self.index], out)  # (n_samples, n_out)
        Z += params.intercepts[self.index]
        return Z

    def backward(self, params, A, output, dZ, grads, out=None, mode=None):
        """Fill this layer's gradients; return dJ/dA (None for the first layer).

        dJ/dW = A^T @ dZ      # (n_in, n_out): the input times the gradient at Z
        dJ/db = sum of dZ     # (n_out,)
        dJ/dA = dZ @ W^T      # (n_samples, n_in): the global gradient one layer down
        """
        i = self.index
        if not self.trains:
            pass
        elif self.fit_intercept:
            matmul(A.T, dZ, grads.coefs[i])
            np.sum(dZ, axis=0, out=grads.intercepts[i])
        else:
            matmul(A.T, dZ, grads.coefs[i])
            grads.intercepts[i].fill(0)
        if not self.input_gradient:
            return None
        return matmul(dZ, params.coefs[i].T, out)

    def __repr__(self):
        return f"Dense({self.n_in} -> {self.n_out})"


class Activate:
    """A = f(Z), element-wise (softmax: row-wise), computed in place over Z.

    Its backward pass is the chain rule: dJ/dZ = dJ/dA * f'(Z), global times local,
    also in place; f'(Z) is read from the output A (see ``activations``).
    """

    writes_new_output = False

    def __init__(self, activation):
        self.activation = activation

    def forward(self, params, Z, out=None, mode=None):
        return self.activation.value_(Z)  # Z is overwritten by A

    def backward(self, params, Z, A, dA, grads, out=None, mode=None):
        return self.activation.backward_(dA, A)  # dA is overwritten by dJ/dZ

    def __repr__(self):
        return f"Activate({self.activation.name})"


class Dropout:
    """Inverted dropout: in training each unit's output is kept with probability
    1 - rate and then divided by it, or set to 0; when predicting it passes unchanged.

    The mask M (n_samples, n_units) holds 0 or 1 / (1 - rate), so the expected output
    in training equals the output when predicting. Its backward pass is the same
    product, dJ/dA = dJ/dOut * M: a dropped unit passes no gradient back. The output
    is a new array: the activation before it reads its own output in its backward pass.
    """

    writes_new_output = True

    def __init__(self, rate, n_units):
        self.rate, self.n_out = float(rate), n_units

    def forward(self, params, A, out=None, mode=None):
        if mode is None:
            return A
        out = np.empty_like(A) if out is None else out
        mask = mode.saved.get(self) if mode.hold else None
        if mask is not None:
            return np.multiply(A, mask, out=out)
        mask = np.empty_like(A)
        # One seed from the estimator's generator per batch; the mask's bits come from
        # a counter-based generator on it (see ``dropout_mask``).
        seed = np.uint64(mode.rng.randint(np.iinfo(np.int64).max, dtype=np.int64))
        threshold = np.uint64(min(int(self.rate * 2.0**64), 2**64 - 1))
        dropout_mask(A, out, mask, seed, threshold, A.dtype.type(1.0 / (1.0 - self.rate)))
        mode.saved[self] = mask
        return out

    def backward(self, params, A, output, dOut, grads, out=None, mode=None):
        return np.multiply(dOut, mode.saved[self], out=dOut)  # (n_samples, n_units)

    def __repr__(self):
        return f"Dropout({self.rate:g})"


# SplitMix64 (Steele, Lea and Flood, 2014): the k-th random 64-bit integer of a stream
# is a fixed function of (seed, k), computed in any order with integer arithmetic only,
# so the compiled loop and numpy give the same bits, and an order of magnitude faster
# than drawing a float per unit from numpy's generator (``benchmarks/design_choices.py``).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


@jit
def _splitmix(z):
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@jit
def _dropout_loop(A, out, mask, seed, threshold, scale):
    n_samples, n_units = A.shape
    zero = scale * 0
    for i in range(n_samples):
        for j in range(n_units):
            k = np.uint64(i * n_units + j + 1)
            m = scale if _splitmix(seed + k * _GOLDEN) >= threshold else zero
            mask[i, j] = m
            out[i, j] = A[i, j] * m


def dropout_mask(A, out, mask, seed, threshold, scale):
    """Fill ``mask`` with ``scale`` (kept) or 0 (dropped) and ``out`` with ``A * mask``.

    Unit k (in C order) is kept when the k-th SplitMix64 integer of ``seed`` is at
    least ``threshold`` = rate * 2^64: with probability 1 - rate.
    """
    if compiled(A.size):
        _dropout_loop(A, out, mask, seed, threshold, scale)
        return
    with np.errstate(over="ignore"):
        k = np.arange(1, A.size + 1, dtype=np.uint64).reshape(A.shape)
        keep = _splitmix(seed + k * _GOLDEN) >= threshold
    np.multiply(keep, scale, out=mask)
    np.multiply(A, mask, out=out)


def batch_weights(sample_weight, n_samples):
    """Each row's share a_i of the batch statistics, (n_samples, 1), or None if equal.

    Sample weights weight the statistics as they weight the loss: a row of weight 2
    counts as two copies, a row of weight 0 not at all. A batch whose weights are all
    0 has no loss to follow; its statistics are then unweighted.
    """
    if sample_weight is None:
        return None
    total = float(np.sum(sample_weight, dtype=np.float64))
    if not total > 0:
        return None
    return (sample_weight / total).astype(sample_weight.dtype, copy=False)[:, None]


class BatchNorm:
    """Batch normalization of a hidden layer's net input, before its activation.

    In training each unit's net input is standardised over the batch and then scaled
    and shifted by learned parameters (``params.norm_scales`` gamma and
    ``params.norm_shifts`` beta, index ``index``)::

        mu = sum_i a_i z_i,  var = sum_i a_i (z_i - mu)^2      # a_i: 1/n, or weighted
        x_i = (z_i - mu) / sqrt(var + eps),  out_i = gamma x_i + beta

    and the running statistics (``params.running_means``/``running_vars``) move
    towards the batch's by ``momentum``. (The variance is the batch's own, without
    Bessel's n / (n - 1): so a row of weight 2 and two copies of it give the same
    statistics.) When
    predicting, those running statistics replace the batch's. A batch of one row has
    variance 0: its x is 0 and its output beta, and it leaves the running statistics
    unchanged. Works in place over Z.
    """

    writes_new_output = False
    epsilon = 1e-5

    def __init__(self, index, n_units, trains=True):
        self.index, self.n_units = index, n_units
        self.trains = trains  # False: scale and shift frozen, no gradient of their own

    def forward(self, params, Z, out=None, mode=None):
        i = self.index
        gamma, beta = params.norm_scales[i], params.norm_shifts[i]
        if mode is None:  # (z - running mean) gamma / sqrt(running var + eps) + beta
            Z -= params.running_means[i]
            Z *= gamma / np.sqrt(params.running_vars[i] + Z.dtype.type(self.epsilon))
            Z += beta
            return Z
        a = batch_weights(mode.sample_weight, Z.shape[0])
        mu = Z.mean(axis=0) if a is None else a.T @ Z  # (n_units,) or (1, n_units)
        x = Z - mu  # (n_samples, n_units), centred, then standardised in place
        var = np.mean(x * x, axis=0) if a is None else a.T @ (x * x)
        inv_std = 1.0 / np.sqrt(var + Z.dtype.type(self.epsilon))
        x *= inv_std
        mode.saved[self] = (x, inv_std, a)
        if mode.momentum is not None and Z.shape[0] > 1:
            self._update_running(params, mu.ravel(), var.ravel(), mode.momentum)
        np.multiply(x, gamma, out=Z)
        Z += beta
        return Z

    def _update_running(self, params, mu, var, momentum):
        m = params.dtype.type(momentum)
        mean, variance = params.running_means[self.index], params.running_vars[self.index]
        mean *= 1 - m
        mean += m * mu
        variance *= 1 - m
        variance += m * var

    def backward(self, params, Z, output, dOut, grads, out=None, mode=None):
        """dJ/dgamma = sum dOut x, dJ/dbeta = sum dOut, and dJ/dz in place over dOut.

        With g = dOut gamma (the gradient at x), the chain rule through x, mu and var
        (each a function of every z of the batch) gives the local times global form::

            dJ/dz_i = (g_i - a_i sum_j g_j - a_i x_i sum_j g_j x_j) / sqrt(var + eps)
        """
        i = self.index
        x, inv_std, a = mode.saved[self]
        if self.trains:
            np.sum(dOut * x, axis=0, out=grads.norm_scales[i])
            np.sum(dOut, axis=0, out=grads.norm_shifts[i])
        g = np.multiply(dOut, params.norm_scales[i], out=dOut)  # (n_samples, n_units)
        sum_g, sum_gx = g.sum(axis=0), (g * x).sum(axis=0)
        if a is None:
            g -= (sum_g + x * sum_gx) / g.dtype.type(g.shape[0])
        else:
            g -= a * (sum_g + x * sum_gx)
        g *= inv_std
        return g

    def __repr__(self):
        return f"BatchNorm({self.n_units})"
