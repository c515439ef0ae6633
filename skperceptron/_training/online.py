"""The single-layer online rules: one sample at a time, in one compiled loop.

Rosenblatt's perceptron, the hinge, Widrow and Hoff's delta rule (squared error), Huber,
absolute error and the logistic neuron (binary log-loss, or softmax over classes). For a
single layer trained with ``batch_size=1`` and plain SGD each is the update, for every
sample i in the epoch's order and every output unit j::

    z_j = x_i . w_j + b_j                  # net input, from the weights before this sample
    g_j = dl/dz_j                          # the rule (``_unit_rule``)
    w_j <- w_j - eta (x_i (s_i g_j) + alpha w_j)      # s_i: the sample's weight
    b_j <- b_j - eta (s_i g_j)

which is exactly a mini-batch of one through ``_network`` and ``_optimizers``, but
without a Python round trip per sample (numpy cannot vectorise a loop whose every step
depends on the last). Two forms of each rule live here side by side:

- ``online_epoch`` (dense rows) and ``online_epoch_sparse`` (CSR rows, never made
  dense), the loops that run: compiled by numba when it is installed, plain Python
  otherwise (the same operations, bit for bit);
- ``reference_epoch``, the plain-numpy reference: the same epoch through the loss and
  activation objects of ``_losses`` and ``_activations``, one sample at a time. The
  tests check the loop against it.

Penalty and average (``online_epoch``'s ``l1``, ``l1_state`` and ``averaging``): the
L1 term is taken by the cumulative penalty of Tsuruoka, Tsujii and Ananiadou (2009), as
scikit-learn's SGD does. Each unit keeps ``u``, the total L1 shrinkage a weight could
have received (``u += eta * l1`` after each step), and each weight ``q``, the signed
sum of the shrinkage it did receive; after each step's smooth update a positive
weight moves to ``max(0, w - (u + q))``, a negative one to ``min(0, w + (u - q))``, a
zero one stays, and ``q`` adds the change (``_cumulative_l1``). A weight away from
zero pays its debt at once (the soft threshold); a weight held at zero keeps
accumulating debt, and a weight that changes sign owes what it was refunded on the
other side, so a kick smaller than the debt leaves it at zero: the perceptron's kicks
(~eta |x|) dwarf a per-step threshold, and only the debt makes the model sparse. The
L2 term scales ``u`` and ``q`` as it scales the weights (``(1 - eta alpha)`` per step),
so that the lazy CSR loop applies the same rule exactly. Averaged SGD keeps the sum of
the weights after each step from the sample ``start`` on: ``averaging = (sums, sums_b,
counts)`` with ``counts = [start, samples seen]``. Adding all the weights to ``sums``
at every step would cost a pass even when nothing moved (a correct perceptron step),
so the sum is kept as ``sums + S w - R``: S counts the steps averaged in this call, and
a change d of a weight adds S d to its entry of R; the sum is made plain at the end of
the call. The CSR loops are in ``_online_sparse``.

The loop sums each dot product in float64 in a fixed order (``fixed_order_dot``) where
the mini-batch path asks BLAS, so the two agree to rounding, not to the bit.
"""

import numpy as np

from .._utils.speed import (
    plain,
    PREFETCH,
    PREFETCH_AHEAD,
    fixed_order_dot,
    jit,
    prefetch_row,
    prefetch_span,
)
from .._engine.network import output_gradient
from .._engine.penalty import cumulative_l1
from .._engine.penalty import penalty_value as _penalty_value

PERCEPTRON, HINGE, SQUARED_ERROR, HUBER, ABSOLUTE_ERROR, LOGISTIC, SOFTMAX = range(7)

#: The rule of each (loss name, output activation name) pair that has one.
ONLINE_RULES = {
    ("perceptron", "identity"): PERCEPTRON,
    ("hinge", "identity"): HINGE,
    ("squared_error", "identity"): SQUARED_ERROR,
    ("huber", "identity"): HUBER,
    ("absolute_error", "identity"): ABSOLUTE_ERROR,
    ("log_loss", "logistic"): LOGISTIC,
    ("log_loss", "softmax"): SOFTMAX,
}


def online_rule(loss, output_activation):
    """The rule code of a loss and output activation, or None if no rule applies."""
    return ONLINE_RULES.get((loss.name, output_activation.name))


@jit
def _unit_rule(rule, y, z, delta, eps):
    """(loss, dl/dz) of one unit for one sample, each the loss of ``_losses`` it names.

    ``y`` is the unit's target ({0, 1} for the classification rules), ``z`` its net
    input; ``delta`` is Huber's, ``eps`` the probability clip of the log-loss.
    """
    if rule == SQUARED_ERROR:  # SquaredError: l = r^2 / 2, dl/dz = r
        r = z - y
        return 0.5 * r * r, r
    if rule == HUBER:  # Huber: squared within delta, absolute beyond; dl/dz = clip(r)
        r = z - y
        if abs(r) <= delta:
            return 0.5 * r * r, r
        return delta * (abs(r) - 0.5 * delta), delta if r > 0 else -delta
    if rule == ABSOLUTE_ERROR:  # AbsoluteError: l = |r|, dl/dz = sign(r)
        r = z - y
        return abs(r), 1.0 if r > 0 else (-1.0 if r < 0 else 0.0)
    if rule == LOGISTIC:  # BinaryLogLoss of p = logistic(z): dl/dz = p - y
        p = 1.0 / (1.0 + np.exp(-z))
        clipped = min(max(p, eps), 1.0 - eps)
        loss = -np.log(clipped) if y > 0 else -np.log(1.0 - clipped)
        return loss, p - y
    s = 2 * y - 1  # {0, 1} target as a sign
    margin = s * z
    if rule == PERCEPTRON:  # Perceptron: mistakes (s z <= 0) move the weights
        return max(-margin, 0.0), -s if margin <= 0 else 0.0
    return max(1 - margin, 0.0), -s if margin < 1 else 0.0  # Hinge: within the margin


@jit
def _softmax_rule(y, z, out, eps):
    """LogLoss of p = softmax(z) over all units of one sample: dl/dz_j = p_j - y_j.

    Writes dl/dz into ``out`` (float64) and returns the loss.
    """
    top = z.max()
    total = 0.0
    for j in range(z.shape[0]):
        out[j] = np.exp(z[j] - top)
        total += out[j]
    loss = 0.0
    for j in range(z.shape[0]):
        p = out[j] / total
        if y[j] > 0:
            loss -= y[j] * np.log(min(max(p, eps), 1.0 - eps))
        out[j] = p - y[j]
    return loss


@jit
def _rules(rule, y, z, g, losses, delta, eps):
    """Fill ``g`` with dl/dz and ``losses`` with the loss of each unit, for one sample.

    Softmax couples the units: its whole loss goes to unit 0.
    """
    if rule == SOFTMAX:
        losses[:] = 0.0
        losses[0] = _softmax_rule(y, z, g, eps)
        return
    for j in range(z.shape[0]):
        losses[j], g[j] = _unit_rule(rule, y[j], z[j], delta, eps)


@jit
def _prefetch_sample(X, Y, sample_weight, weighted, i):
    """Ask for sample i's row, targets and (when read) weight, ahead of its step: the
    rows streaming through evict the targets and weights from the cache. On 100,000
    x 100 (paired ratios over the epochs of one run): 3 outputs 0.70, one weighted
    unit 0.87, one unweighted unit 0.96-0.98 (its targets, 800 kB, mostly stay)."""
    prefetch_row(X, i)
    prefetch_span(Y[i], 0, Y.shape[1])
    if weighted:
        prefetch_span(sample_weight, i, i + 1)


@jit
def _one_unit_epoch(w, b, X, Y, sample_weight, weighted, order, eta, rule, fit_intercept,
                    delta, eps):
    """``online_epoch`` for one unit without L2, written out (the classic perceptron).

    The same arithmetic; without sample weights (``weighted`` False) each weight is 1,
    so the weight array is not read (a random access per sample).
    """
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    cast = np.empty(1, dtype=w.dtype)
    for k in range(n_samples):
        if PREFETCH and k + PREFETCH_AHEAD < n_samples:  # as in online_epoch
            _prefetch_sample(X, Y, sample_weight, weighted, order[k + PREFETCH_AHEAD])
        i = order[k]
        x = X[i]
        z = fixed_order_dot(x, w) + np.float64(b[0])
        loss, gradient = _unit_rule(rule, Y[i, 0], z, delta, eps)
        w_i = np.float64(sample_weight[i]) if weighted else 1.0
        total += w_i * loss
        cast[0] = w_i * gradient
        step = cast[0]
        if step != 0:
            all_zero = False
            for f in range(x.shape[0]):
                w[f] -= eta * (x[f] * step)
            if fit_intercept:
                b[0] -= eta * step
    return total / n_samples, all_zero


@jit
def online_epoch(W_t, b, X, Y, sample_weight, order, eta, alpha, rule, fit_intercept,
                 delta=1.0, eps=2.220446049250313e-16, weighted=True, l1=0.0,
                 averaging=None, l1_state=None):
    """One epoch of per-sample updates of a single linear layer on dense X, in place.

    ``W_t`` (n_outputs, n_features) holds the weights one unit per row, ``b``
    (n_outputs,) the biases, ``X`` dense (n_samples, n_features), ``Y`` (n_samples,
    n_outputs): {0, 1} columns for the classification rules, real targets otherwise.
    ``sample_weight`` has mean 1 (``weighted=False``: all ones). ``l1`` is the L1
    strength, taken by the cumulative rule with ``l1_state = (u, q)`` (float64, u per
    unit, q laid out as ``W_t``; updated in place; None: zeros, dropped at the end).
    ``averaging``
    is None or ``(sums,
    sums_b, counts)`` (see ``_online`` above: ``sums`` laid out as ``W_t``). Returns
    ``(loss, all_zero)``: the mean of the weighted per-sample losses plus the L2 term
    as each step saw it (without L1: see ``penalty_value``), and whether every gradient
    was exactly zero.
    """
    n_outputs, n_features = W_t.shape
    if (n_outputs == 1 and alpha == 0 and l1 == 0 and rule != SOFTMAX
            and averaging is None):
        return _one_unit_epoch(W_t[0], b, X, Y, sample_weight, weighted, order, eta, rule,
                               fit_intercept, delta, eps)
    if averaging is None:
        sums, sums_b, counts = np.zeros((0, 0)), np.zeros(0), np.zeros(2, np.int64)
    else:
        sums, sums_b, counts = averaging
    start, seen = counts[0], counts[1]
    if l1_state is None:
        totals, applied = np.zeros(n_outputs), np.zeros(W_t.shape)
    else:
        totals, applied = l1_state
    record = np.zeros(sums.shape)  # R of the running sum S w - R, one row per unit
    steps_averaged = 0.0  # S: steps of this call inside the average
    threshold = np.float64(eta * l1)  # c, the step's L1 shrinkage (weights' dtype)
    shrink = 1.0 - np.float64(eta) * np.float64(alpha)  # L2's factor, for u and q
    n_samples = order.shape[0]
    total = 0.0
    all_zero = alpha == 0 and l1 == 0
    z = np.empty(n_outputs)  # float64 net inputs of one sample (softmax)
    g = np.empty(n_outputs)  # float64 dl/dz of one sample (softmax)
    # Storing into an array of the weights' dtype rounds the step the same way compiled
    # and in plain Python (numba and numpy promote mixed scalars differently).
    cast = np.empty(1, dtype=W_t.dtype)
    for k in range(n_samples):
        # Shuffled rows are read in random order: without a prefetch every row waits
        # for memory (about 3x slower on 100000 x 100, measured).
        if PREFETCH and k + PREFETCH_AHEAD < n_samples:
            _prefetch_sample(X, Y, sample_weight, True, order[k + PREFETCH_AHEAD])
        i = order[k]
        x = X[i]
        seen += 1
        w_i = np.float64(sample_weight[i])  # float64 sums in both worlds
        if rule == SOFTMAX:  # the units share one loss: all net inputs first
            for j in range(n_outputs):
                z[j] = fixed_order_dot(x, W_t[j]) + np.float64(b[j])
            total += w_i * _softmax_rule(Y[i], z, g, eps)
        for j in range(n_outputs):
            if rule == SOFTMAX:
                gradient = g[j]
            else:  # each unit on its own, its net input from its weights before the step
                z_j = fixed_order_dot(x, W_t[j]) + np.float64(b[j])
                loss, gradient = _unit_rule(rule, Y[i, j], z_j, delta, eps)
                total += w_i * loss
            cast[0] = w_i * gradient
            step = cast[0]
            w = W_t[j]
            # w_j <- w_j - eta (x step + alpha w_j), b_j <- b_j - eta step; a zero step
            # without L2 moves nothing. (Written out here: a call per unit and sample
            # cost 25% of the loop on 100,000 x 100, measured.)
            if alpha != 0 and l1 == 0:  # with L1 the penalty is measured per epoch
                total += 0.5 * np.float64(alpha) * fixed_order_dot(w, w)
            if l1 != 0 or steps_averaged != 0:
                if alpha != 0 or l1 != 0 or step != 0:
                    if l1 != 0:
                        totals[j] = shrink * totals[j] + threshold
                    _l1_update(w, x, eta, step, alpha, threshold, shrink, totals[j],
                               applied[j], record, j, steps_averaged)
            elif alpha != 0:
                for f in range(n_features):
                    w[f] -= eta * (x[f] * step + alpha * w[f])
            elif step != 0:
                for f in range(n_features):
                    w[f] -= eta * (x[f] * step)
            if step != 0:
                all_zero = False
                if fit_intercept:
                    b[j] -= eta * step
        if start > 0 and seen >= start:  # this step's weights enter the average
            steps_averaged += 1.0
            for j in range(n_outputs):
                sums_b[j] += np.float64(b[j])
    if start > 0:  # sums += S w - R: the running sum, made plain
        for j in range(n_outputs):
            for f in range(n_features):
                sums[j, f] += steps_averaged * np.float64(W_t[j, f]) - record[j, f]
        counts[1] = seen
    return total / n_samples, all_zero


@jit
def _l1_update(w, x, eta, step, alpha, threshold, shrink, total, applied, record, j,
               steps_averaged):
    """w <- w - eta (x step + alpha w) for unit j, then the cumulative L1 rule with the
    unit's ``total`` (u, this step's included) and the weights' ``applied`` (q, scaled
    by ``shrink`` first). Each change d of a weight adds S d to its entry of
    ``record`` (R)."""
    for f in range(w.shape[0]):
        before = w[f]
        w[f] = before - eta * (x[f] * step + alpha * before)
        if threshold != 0:
            paid, q = cumulative_l1(np.float64(w[f]), shrink * applied[f], total)
            w[f] = paid
            applied[f] = q
        if steps_averaged != 0:
            record[j, f] += steps_averaged * (np.float64(w[f]) - np.float64(before))


def reference_epoch(network, loss, params, X, Y, sample_weight, order, eta, alpha,
                    l1=0.0, l1_state=None):
    """The same epoch in plain numpy, through the loss and activation objects.

    Each sample is a mini-batch of one: its net input ``x W + b``, the gradient at the
    net input from ``_network.output_gradient`` (the loss of ``_losses`` through the
    output activation), then plain SGD with the L2 term and, with ``l1``, the
    cumulative L1 rule with ``l1_state = (u, q)`` (float64, u per unit, q laid out as
    W; None: zeros): u and q scale with the L2 term, u grows by ``eta * l1``, a positive
    weight moves to max(0, w - (u + q)), a negative one to min(0, w + (u - q)), q adds
    the change. Slow; for tests. Updates ``params`` and ``l1_state`` in place and
    returns the epoch's mean objective (with ``l1``, without
    the penalty, as the loops: see ``penalty_value``).
    """
    W, b = params.coefs[0], params.intercepts[0]
    dtype = W.dtype.type
    threshold = np.float64(dtype(eta) * dtype(l1))
    shrink = 1.0 - np.float64(dtype(eta)) * np.float64(dtype(alpha))
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
            u[...] = shrink * u + threshold
            q *= shrink
            after, q[...] = plain(cumulative_l1)(W.astype(np.float64), q, u)
            W[...] = after
        if network.fit_intercept:
            b -= dtype(eta) * dZ[0]
    return total / len(order)


def penalty_value(W, alpha, l1):
    """alpha / 2 ||W||^2 + l1 |W|, in float64: the penalty of one sample's objective.

    With an L1 term the online loops add it once per epoch, at the weights the epoch
    ends on: the lazy L1 step of the sparse loop leaves most weights behind between
    the rows that touch them, so their norm is known only when all are brought up to
    date (at the end of the epoch).
    """
    return _penalty_value(W.astype(np.float64, copy=False).ravel(), alpha, l1)
