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

from .._engine.network import forward


def iter_batches(n_samples, batch_size, rng=None):
    """Yield the rows of each mini-batch: slices in order, or shuffled index arrays."""
    if rng is None:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
        return
    order = rng.permutation(n_samples)
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


def at_fixed_point(network, loss, params, data, alpha, l1):
    """Whether no training sample would move ``params``: another epoch would be a
    fixed point, in any order and with any batch size.

    Only the losses on raw scores (perceptron criterion, hinge) have gradients that
    vanish exactly, on the samples they classify right; for them the gradient at the
    output's net input is zero on every sample (a zero sample weight counts as zero),
    and a penalty moves no weight only when all of them are zero. Networks that train
    differently from how they predict (dropout, batch normalization) are not judged.
    One forward pass over the training data, in 32 chunks (of 32 to 4,096 rows), so that
    the copies of a chunk's rows and scores add little to the fit's memory. The scores
    are computed as prediction computes them; the compiled per-sample loop sums its dot
    products in another order, so a score within rounding of the boundary could be
    judged differently there.
    """
    if not loss.on_scores or network.trains_differently:
        return False
    if (alpha or l1) and params.weights.any():
        return False
    chunk = min(4096, max(32, data.n_samples // 32))
    for rows in iter_batches(data.n_samples, chunk):
        X, Y, sw = data.take(rows)
        scores = forward(network, params, X, apply_output=False, cache=False)[-1]
        if loss.gradient(Y, scores, sw).any():
            return False
    return True


def overflows(network, loss, params, X, workspace=None):
    """Whether the weights overflow a layer on the batch ``X``.

    The loss of each batch was measured before its step, and a clipped loss (log-loss)
    or a saturating output stays finite while weights grow without bound. So the last
    batch goes forward once more with the weights the epoch ends on: an infinite or NaN
    hidden output, or output-layer net input, means the epoch diverged; infinite raw
    scores of the perceptron and hinge losses are allowed (they still say which side a
    sample is on), NaN ones are not.
    """
    *hidden, scores = forward(network, params, X, workspace, apply_output=False)[1:]  # A_l, Z_L
    if any(not np.isfinite(A).all() for A in hidden):
        return True
    if loss.on_scores:  # scores: (n_samples, n_outputs), the output layer's net input
        return bool(np.isnan(scores).any())
    return not np.isfinite(scores).all()
