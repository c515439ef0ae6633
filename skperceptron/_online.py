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

The loop sums each dot product in float64 in a fixed order (``fixed_order_dot``) where
the mini-batch path asks BLAS, so the two agree to rounding, not to the bit.
"""

import numpy as np

from ._kernels import (
    PREFETCH,
    PREFETCH_AHEAD,
    fixed_order_dot,
    jit,
    prefetch_row,
    prefetch_span,
)
from ._network import output_gradient

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
            prefetch_row(X, order[k + PREFETCH_AHEAD])
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
                 delta=1.0, eps=2.220446049250313e-16, weighted=True):
    """One epoch of per-sample updates of a single linear layer on dense X, in place.

    ``W_t`` (n_outputs, n_features) holds the weights one unit per row, ``b``
    (n_outputs,) the biases, ``X`` dense (n_samples, n_features), ``Y`` (n_samples,
    n_outputs): {0, 1} columns for the classification rules, real targets otherwise.
    ``sample_weight`` has mean 1 (``weighted=False``: all ones). Returns ``(loss,
    all_zero)``: the mean of the weighted per-sample losses plus the L2 term as each
    step saw it, and whether every gradient was exactly zero.
    """
    n_outputs, n_features = W_t.shape
    if n_outputs == 1 and alpha == 0 and rule != SOFTMAX:
        return _one_unit_epoch(W_t[0], b, X, Y, sample_weight, weighted, order, eta, rule,
                               fit_intercept, delta, eps)
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    z = np.empty(n_outputs)  # float64 net inputs of one sample (softmax)
    g = np.empty(n_outputs)  # float64 dl/dz of one sample (softmax)
    # Storing into an array of the weights' dtype rounds the step the same way compiled
    # and in plain Python (numba and numpy promote mixed scalars differently).
    cast = np.empty(1, dtype=W_t.dtype)
    for k in range(n_samples):
        # Shuffled rows are read in random order: without a prefetch every row waits
        # for memory (about 3x slower on 100000 x 100, measured).
        if PREFETCH and k + PREFETCH_AHEAD < n_samples:
            prefetch_row(X, order[k + PREFETCH_AHEAD])
        i = order[k]
        x = X[i]
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
            if alpha != 0:
                total += 0.5 * np.float64(alpha) * fixed_order_dot(w, w)
                for f in range(n_features):
                    w[f] -= eta * (x[f] * step + alpha * w[f])
                all_zero = False
            elif step != 0:
                for f in range(n_features):
                    w[f] -= eta * (x[f] * step)
            if step != 0:
                all_zero = False
                if fit_intercept:
                    b[j] -= eta * step
    return total / n_samples, all_zero


# ------------------------------------------------------------------ sparse rows
# On a CSR row only the non-zero features move: an update costs the row's non-zeros,
# not n_features (a text row has ~100 of 50,000). The L2 term shrinks every weight at
# every step, which would cost n_features again; instead each unit's weights are kept
# as scale_j * v_j and a step multiplies scale_j by (1 - eta alpha): the same
# arithmetic in exact maths, rounded differently. Without L2 the updates are exactly
# those of the dense loop; only each net input is summed in another order.


@jit
def _sparse_net_inputs(values, columns, start, end, W, b, scale, z):
    """z_j = scale_j sum_c values_c W[columns_c, j] + b_j, in float64, in row order."""
    n_outputs = z.shape[0]
    z[:] = 0.0
    for c in range(start, end):
        v = np.float64(values[c])
        row = W[columns[c]]
        for j in range(n_outputs):
            z[j] += v * row[j]
    for j in range(n_outputs):
        z[j] = scale[j] * z[j] + np.float64(b[j])


@jit
def _fold_scale(W, j, scale, squares):
    """Multiply unit j's scale into its weights (v_j <- scale_j v_j, scale_j <- 1)."""
    total = 0.0
    for f in range(W.shape[0]):
        W[f, j] = scale[j] * W[f, j]
        total += np.float64(W[f, j]) * np.float64(W[f, j])
    scale[j] = 1.0
    squares[j] = total


@jit
def _sparse_update(W, values, columns, start, end, steps, moving, n_moving, eta, alpha,
                   scale, squares, factors):
    """The steps of the units ``moving[:n_moving]`` on one sparse row, in one pass.

    Without L2: w_fj <- w_fj - eta (x_f step_j) for the row's features f, as the dense
    loop. With L2: every unit's scale shrinks by (1 - eta alpha) and the moving units'
    v_fj by eta step_j x_f / scale_j, their sums of squares following.
    """
    if alpha != 0:
        for j in range(W.shape[1]):
            scale[j] *= 1.0 - np.float64(eta) * np.float64(alpha)
            factors[j] = np.float64(eta) * np.float64(steps[j]) / scale[j]
    if alpha != 0:
        for c in range(start, end):
            f = columns[c]
            v = np.float64(values[c])
            for m in range(n_moving):
                j = moving[m]
                before = np.float64(W[f, j])
                W[f, j] = before - factors[j] * v
                squares[j] += np.float64(W[f, j]) ** 2 - before * before
    else:
        for c in range(start, end):
            row = W[columns[c]]
            v = values[c]
            for m in range(n_moving):
                j = moving[m]
                row[j] -= eta * (v * steps[j])
    if alpha != 0:
        for j in range(W.shape[1]):
            if scale[j] < 1e-9:  # keep v_j far from overflow and underflow
                _fold_scale(W, j, scale, squares)


@jit
def _one_unit_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta,
                           rule, fit_intercept, delta, eps):
    """``online_epoch_sparse`` for one unit without L2: the same arithmetic, written
    out (binary text classification; the general loop's bookkeeping per unit cost a
    fifth of the epoch)."""
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    cast = np.empty(1, dtype=W.dtype)
    for k in range(n_samples):
        if PREFETCH and k + 1 < n_samples:  # as in online_epoch_sparse
            following = order[k + 1]
            prefetch_span(values, indptr[following], indptr[following + 1])
            prefetch_span(columns, indptr[following], indptr[following + 1])
        i = order[k]
        start, end = indptr[i], indptr[i + 1]
        s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0  # four interleaved sums, as fixed_order_dot's
        stop = start + (end - start) // 4 * 4
        for c in range(start, stop, 4):
            s0 += np.float64(values[c]) * W[columns[c], 0]
            s1 += np.float64(values[c + 1]) * W[columns[c + 1], 0]
            s2 += np.float64(values[c + 2]) * W[columns[c + 2], 0]
            s3 += np.float64(values[c + 3]) * W[columns[c + 3], 0]
        for c in range(stop, end):
            s0 += np.float64(values[c]) * W[columns[c], 0]
        z = 1.0 * ((s0 + s1) + (s2 + s3)) + np.float64(b[0])
        loss, gradient = _unit_rule(rule, Y[i, 0], z, delta, eps)
        w_i = np.float64(sample_weight[i])
        total += w_i * loss
        cast[0] = w_i * gradient
        step = cast[0]
        if step != 0:
            all_zero = False
            for c in range(start, end):
                W[columns[c], 0] -= eta * (values[c] * step)
            if fit_intercept:
                b[0] -= eta * step
    return total / n_samples, all_zero


@jit
def online_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta,
                        alpha, rule, fit_intercept, delta=1.0, eps=2.220446049250313e-16):
    """``online_epoch`` on CSR rows (``values``, ``columns``, ``indptr``), in place.

    ``W`` is (n_features, n_outputs), the layer's own weights: a row's non-zeros then
    read whole rows of W. Returns ``(loss, all_zero)`` as ``online_epoch``; the L2
    part of the loss comes from each unit's running sum of squares.
    """
    n_outputs = W.shape[1]
    if n_outputs == 1 and alpha == 0 and rule != SOFTMAX:
        return _one_unit_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight,
                                      order, eta, rule, fit_intercept, delta, eps)
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    z, g, losses = np.empty(n_outputs), np.empty(n_outputs), np.empty(n_outputs)
    scale, squares, factors = np.ones(n_outputs), np.zeros(n_outputs), np.zeros(n_outputs)
    steps = np.empty(n_outputs, dtype=W.dtype)  # each rounded to the weights' dtype
    moving = np.empty(n_outputs, dtype=np.intp)
    if alpha != 0:
        for j in range(n_outputs):
            _fold_scale(W, j, scale, squares)
    for k in range(n_samples):
        # The next row lies anywhere in memory: ask for it one row ahead (further
        # ahead was slower, measured on 50,000 x 50,000 with 100 terms a row).
        if PREFETCH and k + 1 < n_samples:
            following = order[k + 1]
            prefetch_span(values, indptr[following], indptr[following + 1])
            prefetch_span(columns, indptr[following], indptr[following + 1])
        i = order[k]
        start, end = indptr[i], indptr[i + 1]
        w_i = np.float64(sample_weight[i])
        _sparse_net_inputs(values, columns, start, end, W, b, scale, z)
        _rules(rule, Y[i], z, g, losses, delta, eps)
        n_moving = 0
        for j in range(n_outputs):
            total += w_i * losses[j]
            steps[j] = w_i * g[j]
            if alpha != 0:
                total += 0.5 * np.float64(alpha) * scale[j] * scale[j] * squares[j]
            if steps[j] != 0:
                moving[n_moving] = j
                n_moving += 1
        all_zero = all_zero and alpha == 0 and n_moving == 0
        if n_moving or alpha != 0:
            _sparse_update(W, values, columns, start, end, steps, moving, n_moving, eta,
                           alpha, scale, squares, factors)
        if fit_intercept:
            for m in range(n_moving):
                b[moving[m]] -= eta * steps[moving[m]]
    for j in range(n_outputs):
        if scale[j] != 1.0:
            _fold_scale(W, j, scale, squares)
    return total / n_samples, all_zero


def reference_epoch(network, loss, params, X, Y, sample_weight, order, eta, alpha):
    """The same epoch in plain numpy, through the loss and activation objects.

    Each sample is a mini-batch of one: its net input ``x W + b``, the gradient at the
    net input from ``_network.output_gradient`` (the loss of ``_losses`` through the
    output activation), then plain SGD with the L2 term. Slow; for tests. Updates
    ``params`` in place and returns the epoch's mean objective.
    """
    W, b = params.coefs[0], params.intercepts[0]
    dtype = W.dtype.type
    total = 0.0
    for i in order:
        x, y = X[i : i + 1], Y[i : i + 1]
        sw = None if sample_weight is None else sample_weight[i : i + 1]
        Z = x @ W + b  # (1, n_outputs)
        P = network.output_activation.value(Z)
        total += loss.value(y, P, sw) + 0.5 * alpha * float(np.sum(W * W))
        dZ = output_gradient(network, loss, y, P, sw)  # (1, n_outputs): w_i dl/dz
        W -= dtype(eta) * (x.T @ dZ + dtype(alpha) * W)
        if network.fit_intercept:
            b -= dtype(eta) * dZ[0]
    return total / len(order)
