"""Training history measured on the way: gradient norms, clipping and saturation.

A ``History`` is fed by an epoch runner (or L-BFGS) after every step, with the
gradient the step used and the hidden outputs of its forward pass, and averages them
over the epoch's steps. The cost per step is one dot product per weight layer and one
comparison pass per hidden layer's output. It also keeps the global norm of each
step's data gradient (every trainable parameter: what clipping bounds,
``clipping``), its mean per epoch, and how many of the epoch's steps were clipped.
The training loop takes a row per recorded
epoch (``end_epoch``); an epoch that is not recorded (diverged, interrupted) is dropped
with ``start_epoch``.

Saturation of a hidden layer on a batch is the fraction of its units that are:

- logistic: outputs below 0.01 or above 0.99 (the fraction of all outputs);
- tanh: outputs with ``|a| > 0.99`` (the fraction of all outputs);
- relu: zero for every sample of the batch (dead for that batch);

and NaN for any other activation (leaky_relu, elu, softplus, identity, ...), which
has no flat limit of its own to saturate at.
"""

import numpy as np

from .._utils.kernels import compiled, jit
from .._engine.layers import Dense


def hidden_output_slots(network):
    """The workspace buffer (index into ``Workspace.outputs``) of each hidden layer's
    output A_l: that of its dense layer, which batch normalization and the activation
    overwrite in place (dropout writes a buffer of its own, after it)."""
    return [k for k, layer in enumerate(network.layers) if isinstance(layer, Dense)][:-1]


def saturation(A, kind):
    """The saturated fraction of the hidden output ``A`` (see the module); NaN for an
    activation without saturation."""
    if kind == "relu":
        n_alive = _count_alive(A) if compiled(A.size) else np.count_nonzero(_alive(A))
        return 1.0 - n_alive / A.shape[1]
    if kind == "logistic":
        return (np.count_nonzero(A < 0.01) + np.count_nonzero(A > 0.99)) / A.size
    if kind == "tanh":
        return (np.count_nonzero(A < -0.99) + np.count_nonzero(A > 0.99)) / A.size
    return np.nan


def _alive(A, first_rows=8):
    """Which columns of ``A`` have a non-zero: those of the first rows, where most live
    units show already, then only the others over the rest of the batch, which is
    faster than ``A.any(axis=0)`` when most units live; when many columns are still
    unknown after the first rows, ``A.any(axis=0)`` itself."""
    alive = A[:first_rows].any(axis=0)
    unknown = np.flatnonzero(~alive)
    if unknown.size > alive.size // 8:  # many dead or late units: gathering costs more
        return A.any(axis=0)
    if unknown.size:
        alive[unknown] = A[first_rows:, unknown].any(axis=0)
    return alive


@jit
def _count_alive(A, first_rows=8):
    """How many columns of ``A`` have a non-zero (NaN counts, as in ``any``): the first
    rows read whole, where most live relu units show; then, when few columns are left,
    each of those down the batch until its first non-zero, else the remaining rows
    whole: an order of magnitude faster than ``A.any(axis=0)`` on W1's batches
    (``benchmarks/design_choices.py``)."""
    n_rows, n_columns = A.shape
    alive = np.zeros(n_columns, np.bool_)
    n_alive = 0
    head = min(first_rows, n_rows)
    for i in range(head):
        for j in range(n_columns):
            if not alive[j] and A[i, j] != 0:
                alive[j] = True
                n_alive += 1
    if n_columns - n_alive <= n_columns // 8:  # few left: down their columns
        for j in range(n_columns):
            if not alive[j]:
                for i in range(head, n_rows):
                    if A[i, j] != 0:
                        n_alive += 1
                        break
        return n_alive
    for i in range(head, n_rows):
        if n_alive == n_columns:
            break
        for j in range(n_columns):
            if not alive[j] and A[i, j] != 0:
                alive[j] = True
                n_alive += 1
    return n_alive


class History:
    """Per-epoch means of the gradient norms and saturation over the epoch's steps."""

    def __init__(self, network):
        self.n_layers = network.n_layers
        self.kinds = [a.name if a.name in ("relu", "logistic", "tanh") else None
                      for a in network.hidden_activations]
        self.slots = hidden_output_slots(network)
        self.gradient_norms, self.saturation = [], []
        self.total_norms, self.clipped = [], []
        self.start_epoch()

    def start_epoch(self):
        self._norms = np.zeros(self.n_layers)
        self._saturation = np.zeros(len(self.kinds))
        self._total = 0.0
        self._clipped = 0
        self._steps = 0

    def observe(self, grads, workspace, n_rows):
        """One step: the gradients of the data term ``grads`` (the penalty's gradient
        is not in them) and the hidden outputs in ``workspace`` (its first ``n_rows``
        rows). Returns the global L2 norm of the trainable gradient."""
        norms = self._norms
        squares = 0.0
        for i, g in enumerate(grads.coefs):
            flat = g.ravel()
            square = float(np.dot(flat, flat))
            squares += square
            norms[i] += np.sqrt(square)
        rest = grads.flat[grads.n_coef:grads.n_trainable]
        total = np.sqrt(squares + float(np.dot(rest, rest)))
        self._total += total
        for i, (kind, slot) in enumerate(zip(self.kinds, self.slots)):
            if kind is None:
                self._saturation[i] = np.nan
            else:
                self._saturation[i] += saturation(workspace.outputs[slot][:n_rows], kind)
        self._steps += 1
        return total

    def count_clipped(self):
        """The step just observed was clipped."""
        self._clipped += 1

    def end_epoch(self):
        """Record the epoch's row and start the next epoch; a runner that observed no
        step (the compiled online loop) records NaN."""
        steps = self._steps or np.nan
        self.gradient_norms.append(self._norms / steps)
        self.saturation.append(self._saturation / steps)
        self.total_norms.append(self._total / steps)
        self.clipped.append(self._clipped)
        self.start_epoch()

    def arrays(self):
        """(gradient norms (n_epochs, n_layers), saturation (n_epochs, n_hidden),
        global norms (n_epochs,), clipped steps (n_epochs,))."""
        n_epochs = len(self.gradient_norms)
        return (np.array(self.gradient_norms, np.float64).reshape(n_epochs, self.n_layers),
                np.array(self.saturation, np.float64).reshape(n_epochs, len(self.kinds)),
                np.array(self.total_norms, np.float64),
                np.array(self.clipped, np.int64))
