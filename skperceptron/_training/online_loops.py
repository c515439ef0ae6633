"""The compiled per-sample loops of a single layer: one rule, two ways to read a row.

For every sample i in the epoch's order and every unit j, each loop makes the update::

    z_j = x_i . w_j + b_j                  # net input, from the weights before this sample
    l, g_j = rule(y_ij, z_j)               # the loss's rule: dl/dz_j (``_engine/losses``)
    w_j <- w_j - eta (x_i (s_i g_j) + alpha w_j)      # s_i: the sample's weight
    b_j <- b_j - eta (s_i g_j)

then the L1 term's cumulative step and, for averaged SGD, the weights' running sum.
That is exactly a mini-batch of one through the network and the optimizer, without a
Python round trip per sample (numpy cannot vectorise a loop whose every step depends on
the last). The rule, the L2 gradient (``penalised``) and the L1 step
(``cumulative_l1``) are those of ``_engine``, compiled into the loops. The loops
differ only in how they read a row, and so how they keep the weights:

- ``online_epoch``: a dense row touches every weight at every step, so the L2 term and
  the L1 step are applied to each weight as it is updated. The weights are laid out a
  unit per row (``W_t``), each net input one dot product (``fixed_order_dot``);
- ``online_epoch_sparse`` and ``csr_epoch``: a CSR row touches its non-zeros only, and
  an update costs them, not the number of features. What would touch every weight is
  deferred, exactly in maths: each unit's weights are kept as ``w_j = scale_j v_j``
  (the L2 term multiplies ``scale_j`` alone); the L1 debts of a weight are paid when a
  row next reads it (u and q stay in w units, the threshold in v units is (u + q) /
  scale_j, and one payment with the summed u moves the weight as paying step by step
  does, as in scikit-learn's ``l1penalty``); and the average's sum is kept as ``sums +
  S_j v_j - R_j`` (``S_j`` sums the scales of the steps averaged, and a change d of
  ``v_fj`` adds ``S_j d`` to ``R_fj``). At the end of the epoch every weight pays and
  the scales are folded in; with averaging the scale is folded sooner (below 1e-3,
  against 1e-9), since ``S v`` grows as 1 / scale while the sum does not, and every
  weight pays at every step (a lazy payment would change the weights of past steps
  after they entered the average);
- ``csr_one_unit_epoch``: one unit without penalty or average (binary text
  classification), written out: the general CSR loop's bookkeeping per unit makes
  that fit measurably slower (W7 of ``benchmarks/bench.py`` times it both ways;
  ``benchmarks/README.md``). ``online_epoch_sparse`` chooses it unless
  ``specialised`` is False; the updates are the same. (On dense rows the general loop
  serves one unit as well: written out for one unit, it was not 10% faster on W4.)

The cumulative L1 rule's debts (u, q) are float64 and carried from call to call
(``OnlineState``). As in scikit-learn's SGD, the L2 term shrinks the weights but not
the debts: u keeps growing by c a step, so a weight held at zero owes ever more and
elastic net gives as many zeros as scikit-learn's. Averaged SGD keeps the sum of the weights after each step from the sample
``start`` on: ``counts = [start, samples seen]``. Adding all the weights to the sum at
every step would cost a pass even when nothing moved, so in the dense loop too the sum
is kept as ``sums + S w - R`` and made plain at the end of the call.

Each dot product is summed in float64 in a fixed order where the mini-batch path asks
BLAS, so the loops agree with it to rounding, not to the bit; compiled and plain Python
agree to the bit (a step is rounded to the weights' dtype through ``cast``: numba and
numpy promote mixed scalars differently).
"""

import numpy as np

from .._engine.losses import SOFTMAX, softmax_rule, unit_rule
from .._engine.penalty import cumulative_l1, l2_value, penalised
from .._utils.kernels import jit
from .._utils.speed import (
    PREFETCH,
    PREFETCH_AHEAD,
    prefetch_csr_ahead,
    prefetch_csr_sample,
    prefetch_dense_sample,
    weight_rows_ahead,
)


@jit
def fixed_order_dot(x, w):
    """x . w in float64, summed in four interleaved partial sums.

    The order is fixed, so compiled and plain Python agree to the last bit (a BLAS dot
    may group its sums differently); four independent chains let the processor overlap
    the additions that one running sum would serialise.
    """
    n = x.shape[0]
    s0 = np.float64(0.0)
    s1 = np.float64(0.0)
    s2 = np.float64(0.0)
    s3 = np.float64(0.0)
    end = n - n % 4
    for f in range(0, end, 4):
        s0 += x[f] * w[f]
        s1 += x[f + 1] * w[f + 1]
        s2 += x[f + 2] * w[f + 2]
        s3 += x[f + 3] * w[f + 3]
    for f in range(end, n):
        s0 += x[f] * w[f]
    return (s0 + s1) + (s2 + s3)


@jit
def _rules(rule, y, z, g, losses, delta, eps):
    """Fill ``g`` with dl/dz and ``losses`` with the loss of each unit, for one sample.

    Softmax couples the units: its whole loss goes to unit 0.
    """
    if rule == SOFTMAX:
        losses[:] = 0.0
        losses[0] = softmax_rule(y, z, g, eps)
        return
    for j in range(z.shape[0]):
        losses[j], g[j] = unit_rule(rule, y[j], z[j], delta, eps)


# ----------------------------------------------------------------- dense rows
@jit
def _dense_step(w, x, eta, step, alpha):
    """Unit j's step on a dense row: w <- w - eta (x step + alpha w)."""
    if alpha != 0:
        for f in range(w.shape[0]):
            w[f] -= eta * penalised(x[f] * step, w[f], alpha)
    elif step != 0:
        for f in range(w.shape[0]):
            w[f] -= eta * (x[f] * step)


@jit
def _dense_tracked_step(w, x, eta, step, alpha, threshold, total, applied, record, j,
                        averaged):
    """``_dense_step``, then the cumulative L1 step with the unit's ``total`` (u, this
    step's included) and the weights' ``applied`` (q), and each change d of a weight
    added as S d to unit j's row of ``record`` (R; ``averaged`` = S)."""
    for f in range(w.shape[0]):
        before = w[f]
        w[f] = before - eta * penalised(x[f] * step, before, alpha)
        if threshold != 0:
            paid, q = cumulative_l1(np.float64(w[f]), applied[f], total)
            w[f] = paid
            applied[f] = q
        if averaged != 0:
            record[j, f] += averaged * (np.float64(w[f]) - np.float64(before))


@jit
def online_epoch(W_t, b, X, Y, sample_weight, order, eta, alpha, rule, fit_intercept,
                 delta=1.0, eps=2.220446049250313e-16, weighted=True, l1=0.0,
                 averaging=None, l1_state=None):
    """One epoch of per-sample updates over dense rows, in place; see the module.

    ``W_t`` (n_outputs, n_features) holds the weights one unit per row, ``b``
    (n_outputs,) the biases, ``X`` (n_samples, n_features), ``Y`` (n_samples,
    n_outputs): {0, 1} columns for the classification rules, real targets otherwise.
    ``sample_weight`` has mean 1 (``weighted=False``: all ones, not read). ``l1`` is
    the L1 strength, taken by the cumulative rule with ``l1_state = (u, q)`` (float64,
    u per unit, q laid out as ``W_t``; updated in place; None: zeros, dropped at the
    end). ``averaging`` is None or ``(sums, sums_b, counts)`` (``sums`` laid out as
    ``W_t``). Returns ``(loss, all_zero)``: the mean of the weighted per-sample losses
    plus the L2 term as each step saw it (with L1, without the penalty: the runner adds
    it at the epoch's end), and whether every gradient was exactly zero.
    """
    n_outputs, n_features = W_t.shape
    if averaging is None:
        sums, sums_b, counts = np.zeros((0, 0)), np.zeros(0), np.zeros(2, np.int64)
    else:
        sums, sums_b, counts = averaging
    if l1_state is None:
        totals, applied = np.zeros(n_outputs), np.zeros(W_t.shape)
    else:
        totals, applied = l1_state
    start, seen = counts[0], counts[1]
    record = np.zeros(sums.shape)  # R of the running sum S w - R, one row per unit
    steps_averaged = 0.0  # S: steps of this call inside the average
    threshold = np.float64(eta * l1)  # c, the step's L1 shrinkage (weights' dtype)
    n_samples = order.shape[0]
    total = 0.0
    all_zero = alpha == 0 and l1 == 0
    z, g = np.empty(n_outputs), np.empty(n_outputs)  # float64, for softmax
    cast = np.empty(1, dtype=W_t.dtype)
    for k in range(n_samples):
        if PREFETCH and k + PREFETCH_AHEAD < n_samples:
            prefetch_dense_sample(X, Y, sample_weight, weighted, order[k + PREFETCH_AHEAD])
        i = order[k]
        x = X[i]
        seen += 1
        w_i = np.float64(sample_weight[i]) if weighted else 1.0
        if rule == SOFTMAX:  # the units share one loss: all net inputs first
            for j in range(n_outputs):
                z[j] = fixed_order_dot(x, W_t[j]) + np.float64(b[j])
            total += w_i * softmax_rule(Y[i], z, g, eps)
        for j in range(n_outputs):
            if rule == SOFTMAX:
                gradient = g[j]
            else:  # each unit on its own, its net input from its weights before the step
                z_j = fixed_order_dot(x, W_t[j]) + np.float64(b[j])
                loss, gradient = unit_rule(rule, Y[i, j], z_j, delta, eps)
                total += w_i * loss
            cast[0] = w_i * gradient
            step = cast[0]
            w = W_t[j]
            if alpha != 0 and l1 == 0:  # with L1 the penalty is measured per epoch
                total += l2_value(alpha, fixed_order_dot(w, w))
            if l1 != 0 or steps_averaged != 0:
                if alpha != 0 or l1 != 0 or step != 0:
                    if l1 != 0:
                        totals[j] = totals[j] + threshold
                    _dense_tracked_step(w, x, eta, step, alpha, threshold, totals[j],
                                        applied[j], record, j, steps_averaged)
            else:
                _dense_step(w, x, eta, step, alpha)
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
def _net_inputs(values, columns, start, end, W, b, scale, z):
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
def _sample_steps(total, w_i, losses, g, steps, moving, alpha, scale, squares):
    """One sample's step of each unit, w_i dl/dz_j, rounded to the weights' dtype in
    ``steps``; the units that move listed in ``moving``. Returns (total + the sample's
    weighted loss and, with ``alpha``, the L2 term of each unit, in unit order, the
    number of units that move)."""
    n_moving = 0
    for j in range(steps.shape[0]):
        total += w_i * losses[j]
        steps[j] = w_i * g[j]
        if alpha != 0:
            total += l2_value(alpha, squares[j], scale[j])
        if steps[j] != 0:
            moving[n_moving] = j
            n_moving += 1
    return total, n_moving


@jit
def _pay(W, f, j, U, q, record, S, scale):
    """Weight (f, j) pays its L1 debt by the cumulative rule: the weight in v units,
    its debts u (``U``) and q in w units, so the threshold in v units is divided by
    the unit's scale."""
    before = W[f, j]
    s = scale[j]
    paid, applied = cumulative_l1(np.float64(before), q[f, j] / s, U[j] / s)
    W[f, j] = paid
    q[f, j] = applied * s
    if S[j] != 0:
        record[f, j] += S[j] * (np.float64(W[f, j]) - np.float64(before))


@jit
def _fold_unit(W, j, scale, U, q, sums, record, S, squares):
    """Bring unit j's weights up to date and plain: the L1 debts paid (when ``q`` is
    kept), the running sum into ``sums`` (when averaging), then the scale, into the
    weights (the debts are in w units already)."""
    lazy, averaged = q.shape[0] > 0, sums.shape[0] > 0
    total = 0.0
    for f in range(W.shape[0]):
        if lazy:
            _pay(W, f, j, U, q, record, S, scale)
        if averaged:
            sums[f, j] += S[j] * np.float64(W[f, j]) - record[f, j]
            record[f, j] = 0.0
        W[f, j] = scale[j] * W[f, j]
        total += np.float64(W[f, j]) * np.float64(W[f, j])
    S[j], scale[j], squares[j] = 0.0, 1.0, total


@jit
def _catch_up(W, columns, start, end, U, q, record, S, scale):
    """The row's weights pay the L1 debts they owe."""
    for c in range(start, end):
        f = columns[c]
        for j in range(W.shape[1]):
            if W[f, j] != 0:
                _pay(W, f, j, U, q, record, S, scale)


@jit
def _move(W, values, columns, start, end, steps, moving, n_moving, eta, alpha, factors,
          record, S, squares):
    """The moving units' step on the row's weights: v_fj -= factor_j x_f with L2 (in
    v units), w_fj -= eta (x_f step_j) without; the squares of v follow with L2, and
    with averaging each change d of v_fj adds S_j d to ``record``."""
    tracked = record.shape[0] > 0
    if alpha == 0 and not tracked:
        for c in range(start, end):
            row = W[columns[c]]
            v = values[c]
            for m in range(n_moving):
                j = moving[m]
                row[j] -= eta * (v * steps[j])
        return
    for c in range(start, end):
        f, x = columns[c], values[c]
        for m in range(n_moving):
            j = moving[m]
            before = np.float64(W[f, j])
            if alpha != 0:
                W[f, j] = before - factors[j] * np.float64(x)
                squares[j] += np.float64(W[f, j]) ** 2 - before * before
            else:
                W[f, j] = W[f, j] - eta * (x * steps[j])
            if tracked and S[j] != 0:
                record[f, j] += S[j] * (np.float64(W[f, j]) - before)


# ----------------------------------------------------------------- CSR rows
@jit
def online_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta,
                        alpha, rule, fit_intercept, delta=1.0, eps=2.220446049250313e-16,
                        l1=0.0, averaging=None, l1_state=None, specialised=True):
    """``online_epoch`` on CSR rows (``values``, ``columns``, ``indptr``), in place.

    ``W`` is (n_features, n_outputs), the layer's own weights: a row's non-zeros then
    read whole rows of W; ``averaging``'s sums and the q of ``l1_state = (u, q)`` are
    laid out as W. Returns as ``online_epoch``; the L2 part of the loss comes from each
    unit's running sum of squares.
    """
    n_outputs = W.shape[1]
    if averaging is None:
        if specialised and l1 == 0 and alpha == 0 and n_outputs == 1 and rule != SOFTMAX:
            return csr_one_unit_epoch(W, b, values, columns, indptr, Y, sample_weight,
                                      order, eta, rule, fit_intercept, delta, eps)
        sums, sums_b, counts = np.zeros((0, 0)), np.zeros(0), np.zeros(2, np.int64)
    else:
        sums, sums_b, counts = averaging
    if l1_state is None:
        totals, applied = np.zeros(n_outputs), np.zeros(W.shape if l1 != 0 else (0, 0))
    else:
        totals, applied = l1_state
    return csr_epoch(W, b, values, columns, indptr, Y, sample_weight, order, eta, alpha,
                     rule, fit_intercept, delta, eps, l1, sums, sums_b, counts, totals,
                     applied)


@jit
def csr_epoch(W, b, values, columns, indptr, Y, sample_weight, order, eta, alpha, rule,
              fit_intercept, delta, eps, l1, sums, sums_b, counts, totals, applied):
    """The loop of ``online_epoch_sparse``: the average and the L1 debts as
    ``online_epoch``'s, laid out as W (see the module)."""
    n_features, n_outputs = W.shape
    averaged = counts[0] > 0
    lazy = l1 != 0 and not averaged
    deferred = alpha != 0 or l1 != 0 or averaged
    start, seen = counts[0], counts[1]
    limit = 1e-3 if averaged else 1e-9  # the smallest scale before it is folded
    n_samples = order.shape[0]
    total = 0.0
    all_zero = alpha == 0 and l1 == 0
    z, g, losses = np.empty(n_outputs), np.empty(n_outputs), np.empty(n_outputs)
    scale, squares, factors = np.ones(n_outputs), np.zeros(n_outputs), np.zeros(n_outputs)
    U, S = np.zeros(n_outputs), np.zeros(n_outputs)
    q = np.zeros((n_features, n_outputs) if l1 != 0 else (0, 0))
    if l1 != 0:  # the debts, in w units
        U[:] = totals
        q[:, :] = applied
    record = np.zeros(sums.shape if averaged else (0, 0))
    steps = np.empty(n_outputs, dtype=W.dtype)  # each rounded to the weights' dtype
    moving = np.empty(n_outputs, dtype=np.intp)
    threshold = eta * l1  # c, in the weights' dtype, as the dense loop's
    shrink = 1.0 - np.float64(eta) * np.float64(alpha)
    if deferred:
        for j in range(n_outputs):
            _fold_unit(W, j, scale, U, q, sums[:0], record, S, squares)
    ahead = weight_rows_ahead(W)
    for k in range(n_samples):
        if PREFETCH:
            prefetch_csr_ahead(W, values, columns, indptr, Y, sample_weight, order, k, ahead)
        i = order[k]
        row_start, row_end = indptr[i], indptr[i + 1]
        seen += 1
        w_i = np.float64(sample_weight[i])
        if lazy:
            _catch_up(W, columns, row_start, row_end, U, q, record, S, scale)
        _net_inputs(values, columns, row_start, row_end, W, b, scale, z)
        _rules(rule, Y[i], z, g, losses, delta, eps)
        # With L1 the penalty is measured per epoch, not per step.
        total, n_moving = _sample_steps(total, w_i, losses, g, steps, moving,
                                        alpha if l1 == 0 else alpha * 0, scale, squares)
        all_zero = all_zero and n_moving == 0
        if alpha != 0:
            for j in range(n_outputs):
                scale[j] *= shrink
                factors[j] = np.float64(eta) * np.float64(steps[j]) / scale[j]
        if n_moving:
            _move(W, values, columns, row_start, row_end, steps, moving, n_moving, eta,
                  alpha, factors, record, S, squares)
        if l1 != 0:
            for j in range(n_outputs):
                U[j] += np.float64(threshold)
            if not lazy:
                for f in range(n_features):
                    for j in range(n_outputs):
                        _pay(W, f, j, U, q, record, S, scale)
        if fit_intercept:
            for m in range(n_moving):
                b[moving[m]] -= eta * steps[moving[m]]
        if averaged and seen >= start:  # this step's weights enter the average
            for j in range(n_outputs):
                S[j] += scale[j]
                sums_b[j] += np.float64(b[j])
        if alpha != 0:
            for j in range(n_outputs):
                if scale[j] < limit:  # keep v_j far from overflow and underflow
                    _fold_unit(W, j, scale, U, q, sums, record, S, squares)
    if deferred:
        for j in range(n_outputs):
            _fold_unit(W, j, scale, U, q, sums, record, S, squares)
    if l1 != 0:
        totals[:] = U
        applied[:, :] = q
    if averaged:
        counts[1] = seen
    return total / n_samples, all_zero


@jit
def csr_one_unit_epoch(W, b, values, columns, indptr, Y, sample_weight, order, eta, rule,
                       fit_intercept, delta, eps):
    """``csr_epoch`` for one unit without penalty or average: the same updates, the net
    input summed in four interleaved partial sums (as ``fixed_order_dot``)."""
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    cast = np.empty(1, dtype=W.dtype)
    for k in range(n_samples):
        if PREFETCH and k + 1 < n_samples:
            prefetch_csr_sample(values, columns, indptr, Y, sample_weight, order[k + 1])
        i = order[k]
        start, end = indptr[i], indptr[i + 1]
        s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
        stop = start + (end - start) // 4 * 4
        for c in range(start, stop, 4):
            s0 += np.float64(values[c]) * W[columns[c], 0]
            s1 += np.float64(values[c + 1]) * W[columns[c + 1], 0]
            s2 += np.float64(values[c + 2]) * W[columns[c + 2], 0]
            s3 += np.float64(values[c + 3]) * W[columns[c + 3], 0]
        for c in range(stop, end):
            s0 += np.float64(values[c]) * W[columns[c], 0]
        z = 1.0 * ((s0 + s1) + (s2 + s3)) + np.float64(b[0])
        loss, gradient = unit_rule(rule, Y[i, 0], z, delta, eps)
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
