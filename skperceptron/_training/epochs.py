"""Epochs: one pass over the training data, cut into mini-batches or taken one sample at a time.

An epoch runner's ``run(rng)`` makes one pass (shuffled by ``rng``, or in order when it
is None) and returns what it measured (``EpochStats``). ``MiniBatchEpochs`` runs the
forward pass, the backward pass and an optimizer step per mini-batch; ``OnlineEpochs``
runs the compiled per-sample loop of a single layer (``_online``) when its rule applies.
``make_epochs`` chooses between them.
"""

from dataclasses import dataclass

import numpy as np

from .._utils.speed import EpochOrders
from .history import History
from .._engine.layers import TrainingPass
from .._engine.network import Parameters, Workspace, forward, loss_and_gradients
from .._engine.penalty import step_factor
from .online import online_epoch, online_rule, penalty_value
from .online_sparse import online_epoch_sparse


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


class OnlineEpochs:
    """Epochs of the per-sample rule of a single layer, in one compiled loop.

    The same arithmetic as ``MiniBatchEpochs`` with batches of one sample and plain
    SGD (see ``_online``), without a Python round trip per sample. With ``averaging``
    (a state of ``new_averaging``) the loop trains the running weights kept there and
    ``params`` receives their average after each epoch: what the training loop scores,
    keeps and stores. ``l1_state`` (a dict of float64 arrays updated in place, or
    None) holds the cumulative L1 rule's totals ``u`` ("total", one per unit) and
    signed shrinkage ``q`` ("applied", laid out as the weights) (``_online``), carried
    from call to call.
    """

    def __init__(self, params, optimizer, data, alpha, rule, network, loss, l1=0.0,
                 averaging=None, l1_state=None):
        self.params, self.data = params, data
        self.network, self.loss = network, loss
        dtype = params.dtype.type
        self.eta, self.alpha, self.l1 = (dtype(optimizer.learning_rate), dtype(alpha),
                                         dtype(l1))
        self.rule, self.fit_intercept = rule, network.fit_intercept
        self.delta = float(getattr(loss, "delta", 1.0))  # Huber's
        self.eps = float(np.finfo(params.dtype).eps)  # the log-loss's probability clip
        sw = data.sample_weight
        self.sample_weight = np.ones(data.n_samples, params.dtype) if sw is None else sw
        if data.dense:
            self.X = np.ascontiguousarray(data.X)
        else:  # CSR rows: CSC (or another format) is converted once, here
            self.X = data.X if data.X.format == "csr" else data.X.tocsr()
        self.averaging = averaging
        self.l1_state = l1_state if l1 else None
        self.orders = EpochOrders(data.n_samples)  # each epoch's, maybe drawn ahead
        # No per-sample gradient leaves the compiled loop: the gradient norms are NaN
        # (and a single layer has no hidden layer to saturate).
        self.history = History(network)
        # The weights the loop trains: the running ones of the average, else params.
        self.running = params if averaging is None else Parameters.from_layers(
            [averaging["coef"]], [averaging["intercept"]], params.dtype)
        if averaging is not None:  # the state follows the running weights
            averaging["coef"] = self.running.coefs[0]
            averaging["intercept"] = self.running.intercepts[0]

    @staticmethod
    def applies(network, loss, optimizer, data, batch_size):
        return (
            network.n_layers == 1
            and batch_size == 1
            and online_rule(loss, network.output_activation) is not None
            and getattr(optimizer, "velocity", True) is None  # plain SGD, no momentum
            and optimizer.schedule == "constant"
        )

    def run(self, rng):
        n = self.data.n_samples
        order = np.arange(n) if rng is None else self.orders(rng)
        W, b = self.running.coefs[0], self.running.intercepts[0]
        state = self.averaging
        settings = (self.eta, self.alpha, self.rule, self.fit_intercept, self.delta,
                    self.eps)
        if self.data.dense:
            # One contiguous row of weights per unit for the loop; copied back after.
            W_t = np.ascontiguousarray(W.T)
            averaging = None
            if state is not None:
                averaging = (np.ascontiguousarray(state["sum_coef"].T),
                             state["sum_intercept"], state["counts"])
            l1_state = self.l1_state
            if l1_state is not None:  # q laid out as W_t
                l1_state = (l1_state["total"], np.ascontiguousarray(l1_state["applied"].T))
            loss, all_zero = online_epoch(W_t, b, self.X, self.data.Y,
                                          self.sample_weight, order, *settings,
                                          self.data.sample_weight is not None, self.l1,
                                          averaging, l1_state)
            W[...] = W_t.T
            if l1_state is not None:
                self.l1_state["applied"][...] = l1_state[1].T
            if state is not None:
                state["sum_coef"][...] = averaging[0].T
        else:
            X = self.X
            l1_state = None if self.l1_state is None else (
                self.l1_state["total"], self.l1_state["applied"])
            averaging = None if state is None else (
                state["sum_coef"], state["sum_intercept"], state["counts"])
            loss, all_zero = online_epoch_sparse(W, b, X.data, X.indices, X.indptr,
                                                 self.data.Y, self.sample_weight, order,
                                                 *settings, self.l1, averaging,
                                                 l1_state)
        if self.l1:  # the penalty at the epoch's end (see penalty_value)
            loss += penalty_value(W, float(self.alpha), float(self.l1))
        last = self.X[order[-1:]]  # the overflow check of MiniBatchEpochs, on one sample
        if not np.isfinite(loss) or overflows(self.network, self.loss, self.running, last):
            loss = np.nan
        if state is None:
            return EpochStats(float(loss), np.nan, bool(all_zero))
        publish_average(state, self.params)
        # The running weights stood still: a fixed point, though their average moves.
        return EpochStats(float(loss), np.nan, bool(all_zero), fixed_point=bool(all_zero))

    def close(self):
        """The end of training: an order drawn ahead that no epoch used gives its
        draws back to the generator (``EpochOrders.close``)."""
        self.orders.close()

    def at_fixed_point(self):
        """Whether the next epoch would move nothing: the weights the loop trains (the
        running ones, with averaging) are judged (``at_fixed_point``)."""
        return at_fixed_point(self.network, self.loss, self.running, self.data,
                              float(self.alpha), float(self.l1))


# ------------------------------------------------------------------ averaged SGD
# The state of an average (a dict of arrays, so that pickle and skops save it as it
# is): the running weights "coef" (n_features, n_outputs) and "intercept", the sums of
# the weights after each step averaged so far ("sum_coef", "sum_intercept", float64),
# and "counts" = [the sample at which averaging starts (1-based), samples seen].


def new_averaging(params, start, seen=0):
    """A state that starts averaging at sample ``start`` from the weights ``params``."""
    W, b = params.coefs[0], params.intercepts[0]
    return {"coef": W.copy(), "intercept": b.copy(),
            "sum_coef": np.zeros(W.shape), "sum_intercept": np.zeros(b.shape),
            "counts": np.array([start, seen], dtype=np.int64)}


def averaged_steps(state):
    """The number of steps in the average: samples seen from the start sample on."""
    start, seen = (int(c) for c in state["counts"])
    return max(seen - start + 1, 0)


def publish_average(state, params):
    """Write the averaged weights into ``params`` (the running ones before averaging
    has started, as scikit-learn's SGD reports them)."""
    n_steps = averaged_steps(state)
    if n_steps == 0:
        params.coefs[0][...] = state["coef"]
        params.intercepts[0][...] = state["intercept"]
    else:
        params.coefs[0][...] = state["sum_coef"] / n_steps
        params.intercepts[0][...] = state["sum_intercept"] / n_steps


def make_epochs(network, loss, params, optimizer, data, batch_size, alpha, cache=None,
                l1=0.0, averaging=None, training=None, l1_state=None):
    """The epoch runner for this problem: the compiled online loop when it applies.

    ``averaging`` (a state of ``new_averaging``) needs the online loop; ``training``
    is (rng, momentum) for dropout masks and batch normalization's running statistics;
    ``l1_state`` the state of the online loop's cumulative L1 rule (``OnlineEpochs``).
    """
    if OnlineEpochs.applies(network, loss, optimizer, data, batch_size):
        rule = online_rule(loss, network.output_activation)
        return OnlineEpochs(params, optimizer, data, alpha, rule, network, loss, l1,
                            averaging, l1_state)
    if averaging is not None:
        raise ValueError("Averaged SGD needs the per-sample loop: batch_size=1, plain "
                         "SGD with a constant learning rate, a single layer.")
    return MiniBatchEpochs(network, loss, params, optimizer, data, batch_size, alpha,
                           cache, l1, training)
