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

from .history import History
from .._engine.layers import TrainingPass
from .._engine.network import Workspace, forward, loss_and_gradients
from .._engine.penalty import step_factor


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


class MiniBatchEpochs:
    """Epochs of forward pass, backward pass and optimizer step per mini-batch.

    The gradient and every intermediate array live in buffers made once here, for the
    whole fit.
    """

    def __init__(self, network, loss, params, optimizer, data, batch_size, alpha,
                 cache=None, l1=0.0, training=None):
        self.network, self.loss, self.params = network, loss, params
        self.optimizer, self.data = optimizer, data
        self.batch_size, self.alpha, self.l1 = batch_size, alpha, l1
        # (rng, momentum) of dropout and batch normalization, when the network has them.
        self.training = training if network.trains_differently else None
        n_features = data.X.shape[1] if data.dense else None
        self.history = History(network)  # gradient norms and saturation per epoch
        # ``cache`` (a dict kept by the estimator) hands the buffers of one call to
        # the next one of the same shapes: partial_fit on small batches.
        key = (network.layer_units, network.dropout, network.batch_norm, params.dtype,
               batch_size, n_features)
        if cache is not None and cache.get("key") == key:
            self.grads, self.workspace = cache["buffers"]
        else:
            self.grads = params.zeros_like()
            self.workspace = Workspace(network, batch_size, params.dtype, n_features)
            if cache is not None:
                cache.update(key=key, buffers=(self.grads, self.workspace))

    def run(self, rng):
        """One pass over the data, shuffled by ``rng`` (None keeps the order).

        The epoch's loss weights each batch's objective by its size; it stops early,
        with a NaN loss, as soon as a batch's objective is not finite.
        """
        network, loss, params, grads = self.network, self.loss, self.params, self.grads
        workspace, data = self.workspace, self.data
        total = 0.0
        start_loss = np.nan
        all_zero = True
        alpha, l1, n_coef = self.alpha, self.l1, params.n_coef
        theta, gradient = params.trainable, grads.trainable
        history = self.history
        history.start_epoch()
        for rows in iter_batches(data.n_samples, self.batch_size, rng):
            X, Y, sw = data.take(rows, workspace.rows)
            mode = None
            if self.training is not None:
                mode = TrainingPass(self.training[0], sw, self.training[1])
            # The optimizer adds the L2 term's gradient in its own pass over the weights,
            # and takes the L1 term as a cumulative penalty (``pay_l1``).
            value, _ = loss_and_gradients(
                network, loss, params, X, Y, sw, alpha, grads, workspace,
                penalty_gradient=False, l1=l1, mode=mode,
            )
            if np.isnan(start_loss):
                start_loss = value
            if not np.isfinite(value):
                return EpochStats(np.nan, start_loss, False)
            history.observe(grads, workspace, X.shape[0])  # before the step changes them
            total += value * X.shape[0]
            # Checked until the first non-zero gradient only: one scan per epoch for MLPs.
            all_zero = all_zero and not grads.flat.any() and not (
                (alpha or l1) and params.weights.any())
            l2 = step_factor(alpha, X.shape[0], params.dtype) if alpha else 0.0
            l1_factor = step_factor(l1, X.shape[0], params.dtype) if l1 else 0.0
            self.optimizer.step(theta, gradient, l2, n_coef, l1_factor)
        if overflows(network, loss, params, X, workspace):
            return EpochStats(np.nan, start_loss, False)
        return EpochStats(total / data.n_samples, start_loss, all_zero)

    def close(self):
        """The end of training: nothing to let go of."""

    def at_fixed_point(self):
        """Whether the next epoch would move nothing (``at_fixed_point``)."""
        return at_fixed_point(self.network, self.loss, self.params, self.data, self.alpha,
                              self.l1)


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
