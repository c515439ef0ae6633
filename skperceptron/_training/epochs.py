"""Epochs: one pass over the training data, cut into mini-batches.

An epoch runner's ``run(rng)`` makes one pass (shuffled by ``rng``, or in order when it
is None) and returns what it measured (``EpochStats``). ``MiniBatchEpochs`` runs the
forward pass, the backward pass and an optimizer step per mini-batch; ``OnlineEpochs``
(``online``) runs the compiled per-sample loop of a single layer when its rule applies.
Both end an epoch with the checks here: whether the weights overflow (``overflows``)
and whether another epoch would move them (``at_fixed_point``).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._engine.network import forward
from .._utils.speed import all_finite


def iter_batches(n_samples, batch_size, order=None):
    """Yield the rows of each mini-batch: slices in order, or consecutive pieces of
    ``order``, an array of the rows in the order of the epoch."""
    if order is None:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


@dataclass
class EpochStats:
    """What an epoch runner measured."""

    loss: float  # mean objective over the epoch's batches, NaN once non-finite
    start_loss: float  # objective of the first batch, at the epoch's starting weights
    all_zero: bool  # every batch's gradient was exactly zero
    #: Whether the weights the runner trains stood still, when it knows (averaging);
    #: None: the training loop compares the weights before and after.
    fixed_point: bool | None = None
    #: Whether the runner found every parameter finite (``overflows_on``'s bound held);
    #: False: not known, the training loop checks.
    finite: bool = False


def data_chunks(data):
    """(X, Y, sample_weight) of the training ``data`` in 32 chunks of rows (of 32 to
    4,096 rows): a pass over the data whose copies of a chunk add little to the fit's
    memory."""
    chunk = min(4096, max(32, data.n_samples // 32))
    for rows in iter_batches(data.n_samples, chunk):
        yield data.take(rows)


def at_fixed_point(network, loss, params, data, alpha, l1):
    """Whether no training sample would move ``params``: another epoch would be a
    fixed point, in any order and with any batch size.

    Only the losses on raw scores (perceptron criterion, hinge) have gradients that
    vanish exactly, on the samples they classify right; for them the gradient at the
    output's net input is zero on every sample (a zero sample weight counts as zero),
    and a penalty moves no weight only when all of them are zero. Networks that train
    differently from how they predict (dropout, batch normalization) are not judged.
    One forward pass over the training data (``data_chunks``). The scores
    are computed as prediction computes them; the compiled per-sample loop sums its dot
    products in another order, so a score within rounding of the boundary could be
    judged differently there.
    """
    if not loss.on_scores or network.trains_differently:
        return False
    if (alpha or l1) and params.weights.any():
        return False
    for X, Y, sw in data_chunks(data):
        scores = forward(network, params, X, apply_output=False, cache=False)[-1]
        if loss.gradient(Y, scores, sw).any():
            return False
    return True


def data_loss(network, loss, params, data):
    """The mean weighted loss ``sum_i w_i l_i / n`` of ``params`` on the training
    ``data``, from a forward pass over its chunks (``data_chunks``)."""
    total = 0.0
    for X, Y, sw in data_chunks(data):
        P = forward(network, params, X, cache=False)[-1]
        total += loss.value(Y, P, sw) * X.shape[0]
    return total / data.n_samples


def overflows(network, loss, params, X, workspace=None):
    """Whether the weights overflow a layer on the batch ``X``.

    The loss of each batch was measured before its step, and a clipped loss (log-loss)
    or a saturating output stays finite while weights grow without bound. So the last
    batch goes forward once more with the weights the epoch ends on: an infinite or NaN
    hidden output, or output-layer net input, means the epoch diverged; infinite raw
    scores of the perceptron and hinge losses are allowed (they still say which side a
    sample is on), NaN ones are not.
    """
    return net_inputs_checked(network, loss, params, X, workspace)[0]


def net_inputs_checked(network, loss, params, X, workspace=None):
    """``(overflows(...), finite)``: ``finite``, every hidden output and output-layer
    net input on ``X`` is finite. For a single layer this shows finite its intercepts
    and every weight that a row of ``X`` stores a value for: an infinite or NaN
    weight makes the net inputs it enters infinite or NaN, even times a stored zero."""
    *hidden, scores = forward(network, params, X, workspace, apply_output=False)[1:]  # A_l, Z_L
    if any(not np.isfinite(A).all() for A in hidden):
        return True, False
    finite = bool(np.isfinite(scores).all())
    if loss.on_scores:  # scores: (n_samples, n_outputs), the output layer's net input
        return (not finite and bool(np.isnan(scores).any())), finite
    return not finite, finite


#: How much of the dtype's largest value a bound on the net inputs may reach before the
#: forward pass is run to see: the bound is computed in float64 with rounding of its own.
_MARGIN = 0.5


def row_norm_bound(X, values=2048):
    """A bound on max_i ||x_i||_2 over the rows of X, in float64: the overflow check
    needs no more (``overflows_on``: a looser bound only sends it to the forward pass
    sooner, which decides).

    Dense X: the largest norm itself, about ``values`` values at a time (no float64
    copy of a whole float32 X). Sparse X: sqrt(k) max|v| over its stored values v,
    where a row stores at most k of them (||x||_2 <= sqrt(k) ||x||_inf); k max|v| if
    repeated entries, which add up, may be stored. Two passes over the stored values
    and a difference of the row pointers, without a copy: a partial_fit on a batch of
    sparse rows pays a few microseconds.
    """
    if sp.issparse(X):
        X = X.tocsr()
        if X.nnz == 0:
            return 0.0
        largest = max(float(X.data.max()), -float(X.data.min()))
        k = int(np.diff(X.indptr).max())
        return largest * (np.sqrt(k) if X.has_canonical_format else k)
    chunk = max(1, values // max(1, X.shape[1]))
    norm = 0.0
    for start in range(0, X.shape[0], chunk):
        rows = np.asarray(X[start : start + chunk], dtype=np.float64)
        norm = max(norm, float(np.sqrt(np.einsum("ij,ij->i", rows, rows).max(initial=0))))
    return norm


def _activation_bound(name, bound):
    """A bound on |f(z)| for |z| <= ``bound`` (elementwise)."""
    if name in ("logistic", "tanh", "softmax", "step"):
        return np.minimum(bound, 1.0) if name == "tanh" else np.ones_like(bound)
    if name == "elu":
        return np.maximum(bound, 1.0)
    if name == "softplus":
        return bound + np.log(2.0)
    if name == "exp":
        return np.exp(np.minimum(bound, np.log(np.finfo(np.float64).max) - 1))
    return bound  # identity, relu, leaky_relu


def net_inputs_bounded(network, params, row_norm, limit):
    """Whether no layer's net input can reach ``limit`` in absolute value on any row
    of norm at most ``row_norm``, as prediction computes it: per unit,
    |z_k| <= ||a||_2 ||W[:, k]||_2 + |b_k| (Cauchy-Schwarz, which bounds every partial
    sum of the product too), carried through batch normalization's running statistics
    and each activation's bound to the next layer."""
    norm, units = row_norm, None
    for layer in network.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            units = (norm * np.sqrt(_squared_column_norms(params.coefs[layer.index]))
                     + np.abs(params.intercepts[layer.index]))
        elif kind == "BatchNorm":
            i = layer.index
            if not (all_finite(params.running_vars[i]) and all_finite(params.running_means[i])):
                return False  # a batch's statistics overflowed: the bound cannot tell
            scale = np.abs(params.norm_scales[i]) / np.sqrt(
                params.running_vars[i].astype(np.float64) + layer.epsilon)
            units = ((units + np.abs(params.running_means[i])) * scale
                     + np.abs(params.norm_shifts[i]))
        elif kind == "Activate":
            if not np.all(units < limit):
                return False
            norm = float(np.sqrt(np.sum(_activation_bound(layer.activation.name, units) ** 2)))
    return True


def _squared_column_norms(W):
    """||W[:, k]||_2^2 for each column, in float64; one column (a single unit, the
    perceptrons') by a dot product, several times faster than einsum's loop on a
    column of a million weights."""
    W = W.astype(np.float64, copy=False)
    if W.shape[1] == 1:
        column = W[:, 0]
        return np.array([column @ column])
    return np.einsum("ij,ij->j", W, W)


def overflows_on(network, loss, params, data, row_norm):
    """Whether the weights overflow a layer on any row of the training ``data`` (whose
    rows' norms are at most ``row_norm``), as prediction computes it: an infinite or NaN
    hidden output or output-layer net input (for the perceptron and hinge losses, NaN
    raw scores only: infinite ones still say which side a sample is on).

    The loss of each batch was measured before its step, and a clipped loss (log-loss)
    or a saturating output stays finite while weights grow without bound; and the
    per-sample loops sum their net inputs in float64, where prediction computes in the
    weights' dtype. So the weights an epoch ends on are judged once more: by a bound on
    every net input (``net_inputs_bounded``, a pass over the weights), and only when
    that bound reaches the dtype's largest value, by a forward pass over the data in
    chunks (``overflows``).

    Returns ``(overflows, bounded)``: ``bounded``, the bound held, also shows every
    parameter finite (a NaN or an infinity makes the bound NaN or infinite), which
    spares the training loop its own check.
    """
    limit = _MARGIN * float(np.finfo(params.dtype).max)
    if net_inputs_bounded(network, params, row_norm, limit):
        return False, True
    for X, _, _ in data_chunks(data):
        if overflows(network, loss, params, X):
            return True, False
    return False, False
