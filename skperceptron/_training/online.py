"""Epochs of a single layer one sample at a time: the perceptron rule, the delta rule.

Rosenblatt's perceptron, the hinge, Widrow and Hoff's delta rule (squared error),
Huber, absolute error and the logistic neuron (binary log-loss, or softmax over
classes): for a single layer trained with ``batch_size=1`` and plain SGD at a constant
rate, ``OnlineEpochs`` runs each epoch as one compiled loop over the samples
(``online_loops``) instead of a mini-batch of one per step. Two things only such a fit
has are kept in an ``OnlineState`` that goes from epoch to epoch and from call to call
(``partial_fit``, a warm start), and that a saved model keeps:

- averaged SGD (``Averaging``): the loop trains running weights, and the model's
  weights are their average over the steps from a given sample on;
- the cumulative L1 penalty's debts (``L1Debts``): u, the total shrinkage a weight
  could have received, per unit, and q, the signed shrinkage each weight did receive
  (``_engine/penalty``).

``reference_epoch`` is the same epoch in plain numpy, through the loss and activation
objects, one sample at a time: the tests check the loops against it.
"""

from dataclasses import dataclass, replace

import numpy as np

from .._engine.losses import online_rule
from .plan import OnlineRule
from .._engine.network import Parameters, output_gradient
from .._engine.penalty import cumulative_l1, penalty_value
from .._utils.kernels import compiled, plain
from .._utils.speed import EpochOrders
from .epochs import (EpochStats, at_fixed_point, data_loss, net_inputs_checked, overflows_on,
                     row_norm_bound)
from .history import History
from .online_loops import online_epoch, online_epoch_sparse

#: Whether one unit without penalty or average takes the CSR loop written out for it
#: (``online_loops``); ``benchmarks/bench.py`` switches it off to time the general one.
SPECIALISED_LOOPS = True


@dataclass
class Averaging:
    """Averaged SGD: the running weights the loop trains (``coef`` (n_features,
    n_outputs), ``intercept``), the float64 sums of the weights after each step averaged
    so far, the sample (1-based, counted across epochs and calls) from which the
    average starts, and the samples seen."""

    coef: np.ndarray
    intercept: np.ndarray
    sum_coef: np.ndarray
    sum_intercept: np.ndarray
    start: int
    seen: int = 0

    @classmethod
    def starting(cls, params, start):
        """An average from sample ``start`` on, of running weights that start at
        ``params``."""
        W, b = params.coefs[0], params.intercepts[0]
        return cls(W.copy(), b.copy(), np.zeros(W.shape), np.zeros(b.shape), int(start))

    @property
    def n_steps(self):
        """The number of steps in the average: samples seen from the start on."""
        return max(self.seen - self.start + 1, 0)

    def publish(self, params):
        """Write the averaged weights into ``params`` (the running ones before the
        average has started, as scikit-learn's SGD reports them)."""
        if self.n_steps == 0:
            params.coefs[0][...] = self.coef
            params.intercepts[0][...] = self.intercept
        else:
            params.coefs[0][...] = self.sum_coef / self.n_steps
            params.intercepts[0][...] = self.sum_intercept / self.n_steps

    def copy(self):
        return replace(self, coef=self.coef.copy(), intercept=self.intercept.copy(),
                       sum_coef=self.sum_coef.copy(), sum_intercept=self.sum_intercept.copy())


@dataclass
class L1Debts:
    """The cumulative L1 penalty's state: ``total`` (u, one per unit) and ``applied``
    (q, laid out as the weights), float64."""

    total: np.ndarray
    applied: np.ndarray

    @classmethod
    def zero(cls, shape):
        return cls(np.zeros(shape[1]), np.zeros(shape))

    def copy(self):
        return L1Debts(np.array(self.total, dtype=np.float64),
                       np.array(self.applied, dtype=np.float64))


@dataclass
class OnlineState:
    """What a per-sample fit carries between epochs and calls (see the module)."""

    averaging: Averaging | None = None
    debts: L1Debts | None = None

    @classmethod
    def continuing(cls, previous, params, average_from, l1, fresh):
        """The state this fit starts from: a copy of ``previous`` (so that a failed
        fit leaves the stored one as it was), or new parts where it has none or
        ``fresh`` (a new fit): an average from sample ``average_from`` on (0: none) of
        running weights at ``params``, zero debts with an L1 term. Returns None when
        neither part is needed."""
        previous = cls() if previous is None or fresh else previous
        averaging = None
        if average_from:
            averaging = (Averaging.starting(params, average_from)
                         if previous.averaging is None else previous.averaging.copy())
            averaging.start = int(average_from)
        shape = params.coefs[0].shape
        debts = None
        if l1:
            old = previous.debts
            debts = (L1Debts.zero(shape) if old is None or old.applied.shape != shape
                     else old.copy())
        return None if averaging is None and debts is None else cls(averaging, debts)

    def to_plain(self):
        """The state as plain data (dicts of arrays and numbers), for pickle and skops."""
        averaging = None if self.averaging is None else dict(vars(self.averaging))
        debts = None if self.debts is None else dict(vars(self.debts))
        return {"averaging": averaging, "debts": debts}

    @classmethod
    def from_plain(cls, state):
        """The state from ``to_plain``'s data."""
        averaging, debts = state.get("averaging"), state.get("debts")
        return cls(None if averaging is None else Averaging(**averaging),
                   None if debts is None else L1Debts(**debts))

    @classmethod
    def from_dicts(cls, averaging, debts):
        """The state from the dicts a model saved before this class kept it:
        ``{"coef", "intercept", "sum_coef", "sum_intercept", "counts"}`` and
        ``{"total", "applied"}``, each or both None."""
        if averaging is not None:
            start, seen = (int(c) for c in averaging["counts"])
            averaging = Averaging(averaging["coef"], averaging["intercept"],
                                  averaging["sum_coef"], averaging["sum_intercept"], start,
                                  seen)
        if debts is not None:
            debts = L1Debts(debts["total"], debts["applied"])
        return None if averaging is None and debts is None else cls(averaging, debts)

    def finite(self):
        """The state without its parts that stopped being finite (a diverged fit: a
        later call then starts them anew), or None."""
        averaging, debts = self.averaging, self.debts
        if averaging is not None and not np.isfinite(averaging.coef).all():
            averaging = None
        if debts is not None and not np.isfinite(debts.applied).all():
            debts = None
        return None if averaging is None and debts is None else OnlineState(averaging,
                                                                              debts)


def per_sample_rule(network, loss, plain_sgd, average_from=0):
    """The ``plan.OnlineRule`` of a fit of ``network`` on ``loss``, or None: a single
    layer under plain SGD at a constant rate (``plain_sgd``), whose loss and output
    activation have a per-sample rule (``_engine.losses.online_rule``)."""
    code = online_rule(loss, network.output_activation)
    if network.n_layers != 1 or not plain_sgd or code is None:
        return None
    return OnlineRule(code, int(average_from))


class OnlineEpochs:
    """Epochs of the per-sample rule of a single layer, in one compiled loop.

    The same arithmetic as a mini-batch of one sample under plain SGD (see
    ``online_loops``), without a Python round trip per sample. With an average in
    ``state``, the loop trains the running weights kept there and ``params`` receives
    their average after each epoch: what the training loop scores, keeps and stores.
    """

    def __init__(self, plan, params, optimizer, data, state=None):
        network, loss, l1 = plan.network, plan.loss, plan.penalty.l1
        self.params, self.data = params, data
        self.network, self.loss = network, loss
        dtype = params.dtype.type
        self.eta, self.alpha, self.l1 = (dtype(optimizer.learning_rate),
                                         dtype(plan.penalty.l2), dtype(l1))
        self.rule, self.fit_intercept = plan.online.code, network.fit_intercept
        self.delta = float(getattr(loss, "delta", 1.0))  # Huber's
        self.eps = float(np.finfo(params.dtype).eps)  # the log-loss's probability clip
        sw = data.sample_weight
        self.sample_weight = np.ones(data.n_samples, params.dtype) if sw is None else sw
        if data.dense:
            self.X = np.ascontiguousarray(data.X)
        else:  # CSR rows: CSC (or another format) is converted once, here
            self.X = data.X if data.X.format == "csr" else data.X.tocsr()
        state = state or OnlineState()
        self.averaging, self.debts = state.averaging, state.debts if l1 else None
        # Each epoch's order, maybe drawn ahead (``plan.BatchRule.reshuffle``).
        self.orders = EpochOrders(data.n_samples, reshuffle=plan.batch.reshuffle)
        compiled()  # the per-sample loops have no numpy form: numba, when available
        self.row_norm = None  # a bound on the training rows' norms, for the overflow check
        self._written = False  # ``written``, made when first asked
        # No per-sample gradient leaves the compiled loop: the gradient norms are NaN
        # (and a single layer has no hidden layer to saturate).
        self.history = History(network)
        # The weights the loop trains: the running ones of the average, else params.
        averaging = self.averaging
        self.running = params if averaging is None else Parameters.from_layers(
            [averaging.coef], [averaging.intercept], params.dtype)
        if averaging is not None:  # the state follows the running weights
            averaging.coef = self.running.coefs[0]
            averaging.intercept = self.running.intercepts[0]

    @staticmethod
    def applies(plan, batch_size):
        """Whether a fit runs the per-sample loop: a plan with a per-sample rule (a
        single layer under plain SGD at a constant rate, ``plan.OnlineRule``) and
        batches of one sample."""
        return plan.online is not None and batch_size == 1

    def run(self, rng):
        order = np.arange(self.data.n_samples) if rng is None else self.orders(rng)
        W, b = self.running.coefs[0], self.running.intercepts[0]
        loss, all_zero = (self._dense if self.data.dense else self._sparse)(W, b, order)
        if self.l1:  # the penalty at the epoch's end (see ``online_loops``)
            loss += penalty_value(W.astype(np.float64, copy=False).ravel(),
                                  float(self.alpha), float(self.l1))
        overflow, finite = self._overflows() if np.isfinite(loss) else (True, False)
        if overflow:
            loss = np.nan
        if self.averaging is None:
            # Without a penalty only the steps move the weights: none, and none moved.
            fixed_point = bool(all_zero) if not (self.alpha or self.l1) else None
            return EpochStats(float(loss), np.nan, bool(all_zero), finite=finite,
                              fixed_point=fixed_point)
        self.averaging.publish(self.params)
        if np.isfinite(loss):
            # The epoch's loss is the averaged model's, the one the user gets: the
            # running weights' loss levels off epochs before their average stops
            # moving, and a plateau judged on it would stop with an average that still
            # remembers the first epochs' steps.
            W = self.params.coefs[0].astype(np.float64, copy=False).ravel()
            loss = (data_loss(self.network, self.loss, self.params, self.data)
                    + penalty_value(W, float(self.alpha), float(self.l1)))
        # The running weights stood still: a fixed point, though their average moves.
        return EpochStats(float(loss), np.nan, bool(all_zero), fixed_point=bool(all_zero))

    def _overflows(self):
        """Whether the weights the loop trains overflow a net input on a training row,
        and whether they are known finite (``epochs.overflows_on``; the rows' largest
        norms bounded at the first epoch). When the epoch wrote only some weights
        (``written``), the rows' net inputs cost less than the bound's pass over every
        weight; and as the weights started finite (every fit's do), finite net inputs
        show them all finite."""
        if self.written() is not None:
            return net_inputs_checked(self.network, self.loss, self.running, self.X)
        if self.row_norm is None:
            self.row_norm = row_norm_bound(self.X)
        return overflows_on(self.network, self.loss, self.running, self.data, self.row_norm)

    def written(self):
        """The entries of ``params.flat`` an epoch may write, or None (any of them).

        On CSR rows without a penalty or an average, a step moves only the weights of
        the columns the row stores and the intercepts: their positions, when the rows
        store fewer values than an eighth of the weights. Copying and checking those
        then costs less than a pass over all (``snapshots.StartCopy``): taking 20,000
        scattered entries of 2^18 float64 weights took 25 us, copying all 44 us."""
        if self._written is False:
            self._written = None
            if not (self.data.dense or self.averaging is not None or self.alpha or self.l1):
                n_features, n_outputs = self.running.coefs[0].shape
                columns = self.X.indices
                if columns.size * 8 < n_features:
                    weights = columns if n_outputs == 1 else (
                        columns[:, None].astype(np.intp) * n_outputs + np.arange(n_outputs))
                    intercepts = n_features * n_outputs + np.arange(n_outputs)
                    self._written = np.concatenate([weights.ravel(), intercepts])
        return self._written

    def _settings(self):
        return self.eta, self.alpha, self.rule, self.fit_intercept, self.delta, self.eps

    def _counts(self):
        state = self.averaging
        return None if state is None else np.array([state.start, state.seen], np.int64)

    def _dense(self, W, b, order):
        """The epoch on dense rows: each unit's weights a contiguous row for the loop
        (``W_t``, and the average's sums and the debts q laid out alike), copied back."""
        W_t = np.ascontiguousarray(W.T)
        state, debts, counts = self.averaging, self.debts, self._counts()
        averaging = None if state is None else (
            np.ascontiguousarray(state.sum_coef.T), state.sum_intercept, counts)
        owed = None if debts is None else (debts.total, np.ascontiguousarray(debts.applied.T))
        loss, all_zero = online_epoch(W_t, b, self.X, self.data.Y, self.sample_weight, order,
                                      *self._settings(), self.data.sample_weight is not None,
                                      self.l1, averaging, owed)
        W[...] = W_t.T
        if debts is not None:
            debts.applied[...] = owed[1].T
        if state is not None:
            state.sum_coef[...] = averaging[0].T
            state.seen = int(counts[1])
        return loss, all_zero

    def _sparse(self, W, b, order):
        """The epoch on CSR rows, the state laid out as the weights."""
        X, state, debts, counts = self.X, self.averaging, self.debts, self._counts()
        averaging = None if state is None else (state.sum_coef, state.sum_intercept, counts)
        owed = None if debts is None else (debts.total, debts.applied)
        loss, all_zero = online_epoch_sparse(W, b, X.data, X.indices, X.indptr, self.data.Y,
                                             self.sample_weight, order, *self._settings(),
                                             self.l1, averaging, owed, SPECIALISED_LOOPS)
        if state is not None:
            state.seen = int(counts[1])
        return loss, all_zero

    def close(self):
        """The end of training: an order drawn ahead that no epoch used gives its
        draws back to the generator (``EpochOrders.close``)."""
        self.orders.close()

    def at_fixed_point(self):
        """Whether the next epoch would move nothing: the weights the loop trains (the
        running ones, with averaging) are judged (``at_fixed_point``)."""
        return at_fixed_point(self.network, self.loss, self.running, self.data,
                              float(self.alpha), float(self.l1))


def reference_epoch(network, loss, params, X, Y, sample_weight, order, eta, alpha,
                    l1=0.0, l1_state=None):
    """The same epoch in plain numpy, through the loss and activation objects.

    Each sample is a mini-batch of one: its net input ``x W + b``, the gradient at the
    net input from ``_engine.network.output_gradient`` (the loss through the output
    activation), then plain SGD with the L2 term and, with ``l1``, the cumulative L1
    rule with ``l1_state = (u, q)`` (float64, u per unit, q laid out as W; None:
    zeros): u grows by ``eta * l1``, and each weight pays (``cumulative_l1``). Slow; for tests. Updates ``params`` and ``l1_state`` in
    place and returns the epoch's mean objective (with ``l1``, without the penalty, as
    the loops).
    """
    W, b = params.coefs[0], params.intercepts[0]
    dtype = W.dtype.type
    threshold = np.float64(dtype(eta) * dtype(l1))
    u, q = (np.zeros(W.shape[1]), np.zeros(W.shape)) if l1_state is None else l1_state
    total = 0.0
    for i in order:
        x, y = X[i : i + 1], Y[i : i + 1]
        sw = None if sample_weight is None else sample_weight[i : i + 1]
        Z = x @ W + b  # (1, n_outputs)
        P = network.output_activation.value(Z)
        total += loss.value(y, P, sw)
        if not l1:
            total += 0.5 * alpha * float(np.sum(W * W))
        dZ = output_gradient(network, loss, y, P, sw)  # (1, n_outputs): w_i dl/dz
        W -= dtype(eta) * (x.T @ dZ + dtype(alpha) * W)
        if l1:
            u += threshold
            after, q[...] = plain(cumulative_l1)(W.astype(np.float64), q, u)
            W[...] = after
        if network.fit_intercept:
            b -= dtype(eta) * dZ[0]
    return total / len(order)
