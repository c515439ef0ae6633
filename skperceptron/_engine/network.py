"""The network: forward pass, backward pass, and the loss with all its gradients.

A network with layer sizes ``units = [n_features, h_1, ..., h_k, n_outputs]`` has one
weight matrix and one bias vector per pair of consecutive layers. Layer ``l`` computes::

    Z_l = A_{l-1} @ W_l + b_l      # (n_samples, units[l])
    A_l = f_l(Z_l)                 # f_l: a hidden activation, or the output activation

with ``A_0 = X``: as a sequence of layers (``layers``), a ``Dense`` layer computing Z
and an ``Activate`` layer computing A, for each l. Training minimises::

    J = (sum_i w_i loss(y_i, A_L[i]) + alpha / 2 * sum_l ||W_l||^2
         + l1 * sum_l |W_l|) / n_samples

(``alpha`` the L2 strength, ``l1`` the L1 strength: the penalty of ``_engine/penalty``)

Everything here is a pure function of (network, parameters, X, Y, sample_weight): the
optimizers, L-BFGS and the finite-difference check all call ``loss_and_gradients``.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .layers import Activate, BatchNorm, Dense, Dropout
from .penalty import add_penalty_gradient, penalty_value


class Parameters:
    """All weights and biases in one flat vector, with per-layer views into it.

    The flat layout is ``[W_1, ..., W_L, b_1, ..., b_L]`` (each ``W`` in C order). Optimizers
    update the whole vector in one fused operation, L-BFGS reads and writes it without
    packing, and the L2 penalty is one dot product over the leading ``n_coef`` entries.

    With batch normalization (``norm_units``: the width of each normalized layer) the
    vector goes on with the learned scales and shifts, ``[gamma_1, ..., beta_1, ...]``,
    which end the ``trainable`` part that optimizers and L-BFGS see; then the running
    means and variances, fitted state that training sets but no gradient moves. So a
    copy of ``flat`` (the best weights of early stopping) holds all of them.
    """

    #: Whether the vector is the one a fitted estimator's ``coefs_`` and
    #: ``intercepts_`` are views of, trained where it is (``_fitted.stored_parameters``).
    in_place = False

    def __init__(self, layer_units, dtype=np.float64, flat=None, norm_units=()):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.norm_units = tuple(int(u) for u in norm_units)
        pairs = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.n_coef = sum(a * b for a, b in pairs)
        shapes = [(a, b) for a, b in pairs] + [(b,) for _, b in pairs]
        shapes += [(u,) for u in self.norm_units] * 4  # scales, shifts, means, variances
        sizes = [math.prod(shape) for shape in shapes]
        self.n_trainable = sum(sizes) - 2 * sum(self.norm_units)
        if flat is None:
            flat = np.zeros(sum(sizes), dtype=dtype)
        elif flat.shape != (sum(sizes),):
            raise ValueError(f"expected a flat vector of {sum(sizes)} values, got {flat.shape}")
        self.flat = flat
        views, start = [], 0
        for shape, size in zip(shapes, sizes):
            views.append(flat[start : start + size].reshape(shape))
            start += size
        L, k = len(pairs), len(self.norm_units)
        self.coefs, self.intercepts = views[:L], views[L : 2 * L]
        norm = [views[2 * L + j * k : 2 * L + (j + 1) * k] for j in range(4)]
        self.norm_scales, self.norm_shifts, self.running_means, self.running_vars = norm

    @classmethod
    def from_layers(cls, coefs, intercepts, dtype, norm=None):
        """Copy per-layer arrays into a new flat parameter vector.

        ``norm``: (scales, shifts, running means, running variances) of batch
        normalization, four lists of per-layer arrays, or None.
        """
        units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        norm = norm or ([], [], [], [])
        params = cls(units, dtype=dtype, norm_units=[s.shape[0] for s in norm[0]])
        for dst, src in zip(params.arrays(), [*coefs, *intercepts, *(a for n in norm for a in n)]):
            dst[...] = src
        return params

    def arrays(self):
        """Every per-layer view, in the order of the flat vector."""
        return [*self.coefs, *self.intercepts, *self.norm_scales, *self.norm_shifts,
                *self.running_means, *self.running_vars]

    def reset_norm(self):
        """Batch normalization's starting point: the identity (gamma 1, beta 0, and
        running statistics of a standard normal)."""
        for gamma, beta, mean, var in zip(self.norm_scales, self.norm_shifts,
                                          self.running_means, self.running_vars):
            gamma.fill(1)
            beta.fill(0)
            mean.fill(0)
            var.fill(1)

    @property
    def dtype(self):
        return self.flat.dtype

    def zeros_like(self):
        return Parameters(self.layer_units, dtype=self.dtype, norm_units=self.norm_units)

    def copy(self):
        return Parameters(self.layer_units, flat=self.flat.copy(), norm_units=self.norm_units)

    @property
    def weights(self):
        """The weight entries of the flat vector (no biases): what L2 penalises."""
        return self.flat[: self.n_coef]

    @property
    def trainable(self):
        """The entries that gradients move: all but the running statistics."""
        return self.flat[: self.n_trainable]


@dataclass(frozen=True)
class Network:
    """The architecture: layer sizes and the activation of every non-input layer.

    ``layers`` is the network as a sequence of layer objects, built from these: for each
    weight layer a ``Dense`` layer and its ``Activate`` layer, the last one the output;
    with ``batch_norm`` a ``BatchNorm`` between the two in every hidden layer, and a
    ``Dropout`` after a hidden layer's activation where its rate in ``dropout`` (one
    per hidden layer, or empty) is above 0. ``slots[k]`` says where layer k's input
    and output are in the cache of the forward pass (a layer that works in place keeps
    its input's slot).

    ``frozen``: the weight layers (0-based) whose weights, biases and batch
    normalization's scale and shift keep their values. Their gradients are not
    computed, and the backward pass stops at the lowest layer that trains: nothing
    below it needs a gradient.
    """

    layer_units: tuple
    hidden_activations: tuple
    output_activation: object
    fit_intercept: bool = True
    dropout: tuple = ()
    batch_norm: bool = False
    frozen: frozenset = frozenset()
    layers: tuple = field(init=False, repr=False, compare=False)
    slots: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if len(self.hidden_activations) != len(self.layer_units) - 2:
            raise ValueError("need one activation per hidden layer")
        if self.dropout and len(self.dropout) != len(self.hidden_activations):
            raise ValueError("need one dropout rate per hidden layer")
        layers = []
        units = self.layer_units
        lowest = self.lowest_trained
        for i in range(self.n_layers):
            hidden = i < self.n_layers - 1
            # Batch normalization subtracts the batch mean, and with it the bias of the
            # layer before it: that bias's gradient is exactly 0, and what a backward
            # pass computes for it is rounding noise, which Adam (dividing each step by
            # the gradient's size) turns into steps of the full learning rate. So the
            # bias stays where it starts (it is then part of the running mean).
            trains_bias = self.fit_intercept and not (hidden and self.batch_norm)
            trains = i not in self.frozen
            layers.append(Dense(i, units[i], units[i + 1], fit_intercept=trains_bias,
                                input_gradient=i > lowest, trains=trains))
            if hidden and self.batch_norm:
                layers.append(BatchNorm(i, units[i + 1], trains=trains))
            layers.append(Activate(self.activation(i)))
            if hidden and self.dropout and self.dropout[i] > 0:
                layers.append(Dropout(self.dropout[i], units[i + 1]))
        slots, position = [], 0
        for layer in layers:
            output = position + 1 if layer.writes_new_output else position
            slots.append((position, output))
            position = output
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "slots", tuple(slots))

    @property
    def n_layers(self):
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_units) - 1

    @property
    def lowest_trained(self):
        """The lowest weight layer that trains (0 when none is frozen)."""
        return min((i for i in range(self.n_layers) if i not in self.frozen), default=0)

    def frozen_mask(self):
        """A boolean vector over the trainable parameters, True where frozen; None
        when no layer is frozen."""
        if not self.frozen:
            return None
        mask = Parameters(self.layer_units, dtype=bool, norm_units=self.norm_units)
        for i in self.frozen:
            mask.coefs[i][...] = True
            mask.intercepts[i][...] = True
            if self.batch_norm and i < self.n_layers - 1:
                mask.norm_scales[i][...] = True
                mask.norm_shifts[i][...] = True
        return mask.trainable

    def trained_segments(self):
        """The ranges of the trainable vector that train, as ``(slice, n_weights)``
        (``n_weights`` of its first entries are weights, which the penalty and weight
        decay act on); None when every parameter trains."""
        mask = self.frozen_mask()
        if mask is None:
            return None
        n_coef = sum(a * b for a, b in zip(self.layer_units[:-1], self.layer_units[1:]))
        edges = np.flatnonzero(np.diff(np.concatenate([[True], mask, [True]]).astype(int)))
        segments = []
        for start, stop in zip(edges[::2], edges[1::2]):  # runs of False: trained
            segments.append((slice(int(start), int(stop)),
                             max(0, min(int(stop), n_coef) - int(start))))
        return tuple(segments)

    @property
    def norm_units(self):
        """The width of each batch-normalized layer (every hidden layer, or none)."""
        return self.layer_units[1:-1] if self.batch_norm else ()

    @property
    def trains_differently(self):
        """Whether a forward pass in training differs from prediction (dropout, batch
        normalization), so that training passes a ``TrainingPass`` to the layers."""
        return self.batch_norm or any(rate > 0 for rate in self.dropout)

    def activation(self, layer):
        """Activation of weight layer ``layer`` (0-based)."""
        if layer == self.n_layers - 1:
            return self.output_activation
        return self.hidden_activations[layer]


class Workspace:
    """Buffers for one fit, reused by every mini-batch (up to ``max_rows`` samples).

    ``outputs[k]`` receives the output of layer k when the layer writes a new array
    (a dense layer's Z, which its activation then overwrites with A), and
    ``gradients[k]`` the gradient at layer k's input when the layer computes one. The
    gradient at the output layer's net input, dJ/dZ_L, goes to ``output_gradient``.
    A batch of n rows uses the first n rows of each: slices of C-ordered arrays, so
    still contiguous. ``rows`` receives a shuffled batch of dense inputs (``np.take``
    into it instead of allocating a new array per batch).
    """

    def __init__(self, network, max_rows, dtype, n_features=None):
        def buffer(width, needed):
            return np.empty((max_rows, width), dtype=dtype) if needed else None

        self.outputs = [buffer(getattr(layer, "n_out", 0), layer.writes_new_output)
                        for layer in network.layers]
        self.gradients = [buffer(getattr(layer, "n_in", 0),
                                 getattr(layer, "input_gradient", False))
                          for layer in network.layers]
        self.output_gradient = buffer(network.layer_units[-1], True)
        self.rows = None if n_features is None else np.empty((max_rows, n_features), dtype)


def _rows(buffers, k, n_samples):
    """The first n_samples rows of buffer k, or None (no workspace, or no buffer)."""
    if buffers is None or buffers[k] is None:
        return None
    return buffers[k][:n_samples]


def forward(network, params, X, workspace=None, *, apply_output=True, cache=True, mode=None):
    """Forward pass through every layer. Returns ``[X, A_1, ..., A_L]``.

    This list is the cache of the backward pass: each dense layer's weight gradient
    needs its input A_{l-1}, and each local derivative f_l'(Z_l) is a function of the
    output A_l. A layer that works in place (an activation overwriting its Z) replaces
    its input's entry instead of adding one (``Network.slots``). With a ``workspace``
    the outputs are written into its buffers. With ``apply_output=False`` the last
    entry is the output layer's net input Z_L (a classifier's decision function); with
    ``cache=False`` only the last output is kept (prediction). ``mode`` (a
    ``layers.TrainingPass``) makes dropout and batch normalization train.
    """
    n_samples = X.shape[0]
    buffers = None if workspace is None else workspace.outputs
    layers = network.layers if apply_output else network.layers[:-1]
    outputs = [X]
    for k, layer in enumerate(layers):
        A = layer.forward(params, outputs[-1], _rows(buffers, k, n_samples), mode)
        if cache and layer.writes_new_output:
            outputs.append(A)
        else:
            outputs[-1] = A
    return outputs


def predict_output(network, params, X, apply_output=True):
    """The output layer's values for ``X``, without keeping a cache.

    With ``apply_output=False`` the output layer's net input Z_L is returned instead
    (the decision function of a classifier).
    """
    return forward(network, params, X, apply_output=apply_output, cache=False)[-1]


def output_gradient(network, loss, Y, P, sample_weight=None, out=None):
    """dJ/dZ_L, the gradient at the output layer's net input (into ``out`` if given)."""
    activation = network.output_activation
    if loss.link == activation.name:
        # Canonical pairing: the activation's derivative cancels against the loss's,
        # leaving w (P - Y) / n (see ``losses``).
        return loss.link_gradient(Y, P, sample_weight, out=out)
    dP = loss.gradient(Y, P, sample_weight)
    if out is not None:
        out[...] = dP
        dP = out
    return activation.backward_(dP, P)


def backward(network, params, outputs, dZ, grads, workspace=None, mode=None):
    """Backward pass: fill ``grads`` with dJ/dW_l and dJ/db_l for every layer.

    ``dZ`` is dJ/dZ_L at the output layer's net input: the output activation has been
    taken into account with the loss (``output_gradient``). Going down, each layer
    turns the gradient at its output into the gradient at its input, filling its
    parameter gradients on the way::

        dense:       dJ/dW_l = A_{l-1}^T @ dJ/dZ_l,  dJ/db_l = sum of dJ/dZ_l,
                     dJ/dA_{l-1} = dJ/dZ_l @ W_l^T      # the global gradient
        activation:  dJ/dZ_l = dJ/dA_l * f'(Z_l)        # global x local (chain rule)

    The input layer's gradient dJ/dX is never needed and not computed, nor anything
    below the lowest layer that trains (``Network.frozen``). The L2 term is not added
    here (see ``loss_and_gradients``).
    """
    n_samples = dZ.shape[0]
    buffers = None if workspace is None else workspace.gradients
    gradient = dZ
    for k in range(len(network.layers) - 2, -1, -1):  # the output activation is done
        inputs, output = network.slots[k]
        gradient = network.layers[k].backward(params, outputs[inputs], outputs[output],
                                              gradient, grads, _rows(buffers, k, n_samples),
                                              mode)
        if gradient is None:  # the lowest layer that trains: nothing below needs one
            break
    return grads


def loss_and_gradients(
    network, loss, params, X, Y, sample_weight=None, alpha=0.0, grads=None, workspace=None,
    *, penalty_gradient=True, l1=0.0, mode=None,
):
    """The objective J and its gradient with respect to every parameter.

    Returns ``(J, grads)``; ``grads`` is a ``Parameters`` (filled in place when given).
    ``workspace`` (optional) provides the buffers of the forward and backward passes.
    J includes the penalty (``alpha`` L2, ``l1`` L1; ``_engine/penalty``); its gradient
    is added to ``grads`` unless ``penalty_gradient=False``, which leaves the gradient
    of the data term alone: the optimizers add the L2 term's in their own pass over the
    weights and take the L1 term as a cumulative step, and the training history
    records the data gradient. ``mode`` (a ``layers.TrainingPass``) runs the network
    as in training.
    """
    if grads is None:
        grads = params.zeros_like()
    n_samples = X.shape[0]
    outputs = forward(network, params, X, workspace, mode=mode)
    P = outputs[-1]
    value = loss.value(Y, P, sample_weight) + penalty_value(params.weights, alpha, l1,
                                                            n_samples)
    out = None if workspace is None else workspace.output_gradient[:n_samples]
    dZ = output_gradient(network, loss, Y, P, sample_weight, out)
    backward(network, params, outputs, dZ, grads, workspace, mode)
    if penalty_gradient:
        add_penalty_gradient(grads.weights, params.weights, alpha, l1, n_samples)
    return value, grads


def objective(network, loss, params, X, Y, sample_weight=None, alpha=0.0, l1=0.0,
              mode=None):
    """J alone (no backward pass): for monitoring and finite differences."""
    P = forward(network, params, X, mode=mode, cache=False)[-1]
    return loss.value(Y, P, sample_weight) + penalty_value(params.weights, alpha, l1,
                                                           X.shape[0])
