"""The single-layer online rules on CSR rows: an update costs the row's non-zeros.

The loops of ``_online`` on sparse rows (``online_epoch_sparse``), never made dense: on
a text row of ~100 non-zeros among 50,000 features an update touches ~100 weights, not
50,000. Three penalties and the average would touch every weight at every step; each
is deferred instead, exactly in maths:

- L2 shrinks every weight by (1 - eta alpha): each unit's weights are kept as
  ``w_j = scale_j v_j`` and a step multiplies ``scale_j`` alone. A step of ``x`` moves
  ``v_j`` by ``eta step_j x / scale_j``.
- L1 by the cumulative rule of ``_online`` (Tsuruoka, Tsujii and Ananiadou, 2009):
  each unit's total ``u`` grows by ``c = eta l1`` per step and each weight pays what
  it owes, ``u + q`` (positive) or ``u - q`` (negative), q its signed shrinkage so
  far. An untouched weight's only smooth update is the L2 scale, which scales u and q
  as it scales the weight: in v units (``w = scale v``) u grows by c / scale_j per
  step, and paying once with the summed u moves the weight as paying step by step
  does (towards zero and no further; a weight at zero pays nothing and a weight does
  not change sign unmoved). So each unit keeps ``U_j`` and each weight ``q_fj`` in v
  units, a row first makes the weights it touches pay, and the scale is folded into
  U_j and q_j with the weights. At the end of the epoch every weight pays and (u, q)
  go back, in w units, to the caller's ``l1_state``: they carry over to the next epoch
  and call.
- The average of the weights after each step (averaged SGD) is kept as
  ``sums + S_j v_j - R_j``: ``S_j`` sums the scales of the steps averaged, and a change
  d of ``v_fj`` adds ``S_j d`` to ``R_fj``; then adding ``w_j`` to the sum is
  ``S_j += scale_j``, O(1). With averaging the scale is folded sooner (below 1e-3,
  against 1e-9): ``S v`` grows as 1 / scale while the sum does not, so that bounds the
  cancellation to 3 digits. Averaging with an L1 term makes every weight pay its
  debt at every step (O(n_features) per step): a lazy payment would change the
  weights of past steps after they entered the average.

Without any of them the updates are exactly those of the dense loop; only each net
input is summed in another order.
"""

import numpy as np

from .._utils.speed import PREFETCH, jit, prefetch_indexed_rows, prefetch_span
from .._engine.penalty import cumulative_l1
from .online import SOFTMAX, _rules, _unit_rule


@jit
def _weights_ahead(W):
    """How many rows ahead to ask for the weight rows a sparse row reads (0: not).

    A weight row of a cache line or more (8 float64 units) is asked for two rows
    ahead: with 20 units on 50,000 x 50,000 with 100 terms a row that took an epoch
    from a median of 356 to 286 ms (paired ratio 0.82 over 11 epochs). A narrower one
    is not: one unit's weights (400 kB there) stay in the cache, and asking cost about
    a third more time.
    """
    return 2 if W.shape[1] * W.itemsize >= 64 else 0


@jit
def _prefetch_sample(values, columns, indptr, Y, sample_weight, i):
    """Ask for what sample i's step reads first: its CSR row, its targets and weight.

    Shuffled rows lie anywhere in memory, and the rows streaming through evict the
    targets and weights from the cache within an epoch: asking for those too took
    the one-unit epoch of 50,000 x 50,000 with 100 terms a row from a median of 47
    to 41 ms, and of 46 to 40 ms in a second run (paired ratios 0.86 and 0.89 over
    23 epochs each)."""
    prefetch_span(values, indptr[i], indptr[i + 1])
    prefetch_span(columns, indptr[i], indptr[i + 1])
    prefetch_span(Y[i], 0, Y.shape[1])
    prefetch_span(sample_weight, i, i + 1)


@jit
def _prefetch_ahead(W, values, columns, indptr, Y, sample_weight, order, k, ahead):
    """Ask for what the rows after the k-th of ``order`` read: the sample ``ahead + 1``
    on (``_prefetch_sample``) and, with ``ahead`` > 0, the weight rows of the row
    ``ahead`` on (its columns asked for a step earlier)."""
    n = order.shape[0]
    if k + ahead + 1 < n:
        _prefetch_sample(values, columns, indptr, Y, sample_weight, order[k + ahead + 1])
    if ahead > 0 and k + ahead < n:
        i = order[k + ahead]
        prefetch_indexed_rows(W, columns, indptr[i], indptr[i + 1])


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
            total += 0.5 * np.float64(alpha) * scale[j] * scale[j] * squares[j]
        if steps[j] != 0:
            moving[n_moving] = j
            n_moving += 1
    return total, n_moving


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
            _prefetch_sample(values, columns, indptr, Y, sample_weight, order[k + 1])
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
                        alpha, rule, fit_intercept, delta=1.0, eps=2.220446049250313e-16,
                        l1=0.0, averaging=None, l1_state=None):
    """``online_epoch`` on CSR rows (``values``, ``columns``, ``indptr``), in place.

    ``W`` is (n_features, n_outputs), the layer's own weights: a row's non-zeros then
    read whole rows of W; ``averaging``'s sums and the q of ``l1_state = (u, q)``
    (float64, updated in place; None: zeros) are laid out as W. Returns ``(loss,
    all_zero)`` as ``online_epoch``; the L2 part of the loss comes from each unit's
    running sum of squares.
    """
    n_outputs = W.shape[1]
    if l1_state is None:
        totals, applied = np.zeros(n_outputs), np.zeros(W.shape if l1 != 0 else (0, 0))
    else:
        totals, applied = l1_state
    if averaging is not None:
        sums, sums_b, counts = averaging
        return _general_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight,
                                     order, eta, alpha, rule, fit_intercept, delta, eps,
                                     l1, sums, sums_b, counts, totals, applied)
    if l1 != 0:
        return _general_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight,
                                     order, eta, alpha, rule, fit_intercept, delta, eps,
                                     l1, np.zeros((0, 0)), np.zeros(0),
                                     np.zeros(2, np.int64), totals, applied)
    if n_outputs == 1 and alpha == 0 and rule != SOFTMAX:
        return _one_unit_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight,
                                      order, eta, rule, fit_intercept, delta, eps)
    return _l2_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta,
                            alpha, rule, fit_intercept, delta, eps)


@jit
def _l2_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta, alpha,
                     rule, fit_intercept, delta, eps):
    """The loop of ``online_epoch_sparse`` without L1 or averaging."""
    n_outputs = W.shape[1]
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
    ahead = _weights_ahead(W)
    for k in range(n_samples):
        if PREFETCH:
            _prefetch_ahead(W, values, columns, indptr, Y, sample_weight, order, k, ahead)
        i = order[k]
        start, end = indptr[i], indptr[i + 1]
        w_i = np.float64(sample_weight[i])
        _sparse_net_inputs(values, columns, start, end, W, b, scale, z)
        _rules(rule, Y[i], z, g, losses, delta, eps)
        total, n_moving = _sample_steps(total, w_i, losses, g, steps, moving, alpha, scale,
                                        squares)
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




@jit
def _pay(W, f, j, U, q, record, S):
    """Weight (f, j) pays its L1 debt by the cumulative rule (``cumulative_l1``)."""
    before = W[f, j]
    paid, applied = cumulative_l1(np.float64(before), q[f, j], U[j])
    W[f, j] = paid
    q[f, j] = applied
    if S[j] != 0:
        record[f, j] += S[j] * (np.float64(W[f, j]) - np.float64(before))


@jit
def _fold_unit(W, j, scale, U, q, sums, record, S, squares):
    """Bring unit j's weights up to date and plain: the L1 debts paid (when ``q`` is
    kept), the running sum into ``sums`` (when averaging), then the scale, into the
    weights, U_j and q_j."""
    lazy, averaged = q.shape[0] > 0, sums.shape[0] > 0
    total = 0.0
    for f in range(W.shape[0]):
        if lazy:
            _pay(W, f, j, U, q, record, S)
            q[f, j] = scale[j] * q[f, j]
        if averaged:
            sums[f, j] += S[j] * np.float64(W[f, j]) - record[f, j]
            record[f, j] = 0.0
        W[f, j] = scale[j] * W[f, j]
        total += np.float64(W[f, j]) * np.float64(W[f, j])
    U[j] = scale[j] * U[j]
    S[j], scale[j], squares[j] = 0.0, 1.0, total


@jit
def _catch_up(W, columns, start, end, U, q, record, S):
    """The row's weights pay the L1 debts they owe."""
    for c in range(start, end):
        f = columns[c]
        for j in range(W.shape[1]):
            if W[f, j] != 0:
                _pay(W, f, j, U, q, record, S)


@jit
def _move(W, values, columns, start, end, steps, moving, n_moving, eta, alpha, factors,
          record, S, squares):
    """The moving units' step on the row's weights (``_sparse_update``), each change d
    of v_fj adding S_j d to ``record`` and its square's change to ``squares``."""
    for c in range(start, end):
        f, x = columns[c], values[c]
        for m in range(n_moving):
            j = moving[m]
            before = W[f, j]
            if alpha != 0:
                W[f, j] = np.float64(before) - factors[j] * np.float64(x)
            else:
                W[f, j] = before - eta * (x * steps[j])
            change = np.float64(W[f, j]) - np.float64(before)
            squares[j] += change * (np.float64(W[f, j]) + np.float64(before))
            if S[j] != 0:
                record[f, j] += S[j] * change


@jit
def _pay_all(W, U, q, record, S):
    """Every weight pays its L1 debt now (averaging)."""
    for f in range(W.shape[0]):
        for j in range(W.shape[1]):
            _pay(W, f, j, U, q, record, S)


@jit
def _general_epoch_sparse(W, b, values, columns, indptr, Y, sample_weight, order, eta,
                          alpha, rule, fit_intercept, delta, eps, l1, sums, sums_b,
                          counts, totals, applied):
    """The loop of ``online_epoch_sparse`` with L1 (lazy, or at every step when
    averaging) and with averaging: see the module's docstring. ``totals`` and
    ``applied``: the L1 state (u, q) in w units, read at the start, written at the
    end."""
    n_features, n_outputs = W.shape
    averaged = counts[0] > 0
    lazy = l1 != 0 and not averaged
    start, seen = counts[0], counts[1]
    limit = 1e-3 if averaged else 1e-9  # the smallest scale before it is folded
    n_samples = order.shape[0]
    total = 0.0
    all_zero = alpha == 0 and l1 == 0
    z, g, losses = np.empty(n_outputs), np.empty(n_outputs), np.empty(n_outputs)
    scale, squares, factors = np.ones(n_outputs), np.zeros(n_outputs), np.zeros(n_outputs)
    U, S, thresholds = np.zeros(n_outputs), np.zeros(n_outputs), np.zeros(n_outputs)
    q = np.zeros((n_features, n_outputs) if l1 != 0 else (0, 0))
    if l1 != 0:  # scale 1: w units
        for j in range(n_outputs):
            U[j] = totals[j]
            for f in range(n_features):
                q[f, j] = applied[f, j]
    record = np.zeros(sums.shape)
    steps = np.empty(n_outputs, dtype=W.dtype)  # each rounded to the weights' dtype
    moving = np.empty(n_outputs, dtype=np.intp)
    threshold = eta * l1  # c, in the weights' dtype, as the dense loop's
    for j in range(n_outputs):
        _fold_unit(W, j, scale, U, q, sums[:0], record, S, squares)
    ahead = _weights_ahead(W)
    for k in range(n_samples):
        if PREFETCH:  # as in _l2_epoch_sparse
            _prefetch_ahead(W, values, columns, indptr, Y, sample_weight, order, k, ahead)
        i = order[k]
        start_c, end_c = indptr[i], indptr[i + 1]
        seen += 1
        w_i = np.float64(sample_weight[i])
        if lazy:
            _catch_up(W, columns, start_c, end_c, U, q, record, S)
        _sparse_net_inputs(values, columns, start_c, end_c, W, b, scale, z)
        _rules(rule, Y[i], z, g, losses, delta, eps)
        # With L1 the penalty is measured per epoch, not per step.
        total, n_moving = _sample_steps(total, w_i, losses, g, steps, moving,
                                        alpha if l1 == 0 else alpha * 0, scale, squares)
        for j in range(n_outputs):
            if alpha != 0:
                scale[j] *= 1.0 - np.float64(eta) * np.float64(alpha)
                factors[j] = np.float64(eta) * np.float64(steps[j]) / scale[j]
            thresholds[j] = np.float64(threshold) / scale[j]  # c in v units
        all_zero = all_zero and n_moving == 0
        _move(W, values, columns, start_c, end_c, steps, moving, n_moving, eta, alpha,
              factors, record, S, squares)
        if l1 != 0:
            for j in range(n_outputs):
                U[j] += thresholds[j]
            if not lazy:
                _pay_all(W, U, q, record, S)
        if fit_intercept:
            for m in range(n_moving):
                b[moving[m]] -= eta * steps[moving[m]]
        if averaged and seen >= start:  # this step's weights enter the average
            for j in range(n_outputs):
                S[j] += scale[j]
                sums_b[j] += np.float64(b[j])
        for j in range(n_outputs):
            if scale[j] < limit:  # keep v_j far from overflow and underflow
                _fold_unit(W, j, scale, U, q, sums, record, S, squares)
    for j in range(n_outputs):
        _fold_unit(W, j, scale, U, q, sums, record, S, squares)
    if l1 != 0:
        for j in range(n_outputs):
            totals[j] = U[j]
            for f in range(n_features):
                applied[f, j] = q[f, j]
    if averaged:
        counts[1] = seen
    return total / n_samples, all_zero
