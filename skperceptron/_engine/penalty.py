"""The penalty on the weights: its strengths, its value, its gradient and the L1 step.

Training minimises ``J = (sum_i w_i l_i + alpha / 2 ||W||^2 + l1 |W|) / n`` over the
weights W of every layer (biases are not penalised): ``alpha`` is the L2 strength and
``l1`` the L1 strength (``Penalty``, from scikit-learn's ``penalty``, ``alpha`` and
``l1_ratio``). Everything that touches the penalty calls this module: the mini-batch
path (its value in the epoch's loss; its gradient inside the optimizer's pass; the L1
part as a cumulative step after it), the single-layer online loops (the same value,
gradient and L1 step, one sample at a time) and L-BFGS (value and exact gradient).

- ``l2_value`` and ``penalty_value``: alpha / 2 ||W||^2 (+ l1 |W|), divided by n;
- ``penalised``: a gradient with the L2 term's added, ``g + (alpha / n) w``, the rule
  every optimizer and loop applies to each weight;
- ``cumulative_l1`` and ``pay_l1``: the L1 term taken after each update as the
  cumulative penalty of Tsuruoka, Tsujii and Ananiadou (2009), which scikit-learn's
  SGD uses too (below).

|w| has no gradient at 0, and a gradient step on l1 * sign(w) makes a weight jump around
zero, never land on it. So the L1 term is taken after each update: u is the total
shrinkage a weight could have received (each step adds its threshold c = lr * l1 / n),
q the signed shrinkage it did receive, and::

    w > 0:  w <- max(0, w - (u + q));   w < 0:  w <- min(0, w + (u - q));   q += change.

A weight away from zero moves by c, the soft-thresholding (proximal) step of the L1
term, and stops at 0 rather than cross it. A weight that gradient noise pushes across
zero owes back what it received on the other side, so a push smaller than that debt
leaves it at zero: that is what keeps weights at exactly zero. With an L2 term too
(elastic net), L2 shrinks the weights but not u nor q, as in scikit-learn's SGD: the
debt of a weight held at zero keeps growing. u and q are float64 whatever the weights'
dtype.
"""

from dataclasses import dataclass

import numpy as np

from .._utils.kernels import compiled, jit, select


@dataclass(frozen=True)
class Penalty:
    """The L2 and L1 strengths of the penalty on the weights."""

    l2: float = 0.0
    l1: float = 0.0

    @classmethod
    def of(cls, penalty, alpha, l1_ratio):
        """scikit-learn's ``penalty``, ``alpha`` and ``l1_ratio``: ``alpha * R(W)`` with R
        the squared norm over 2 ('l2'), the absolute sum ('l1'), or ``l1_ratio`` of the
        second plus ``1 - l1_ratio`` of the first ('elasticnet'); None is no penalty."""
        if penalty is None:
            return cls()
        if penalty == "l2":
            return cls(float(alpha), 0.0)
        if penalty == "l1":
            return cls(0.0, float(alpha))
        return cls(float(alpha) * (1.0 - l1_ratio), float(alpha) * l1_ratio)

    def scaled(self, scale):
        """Both strengths times ``scale`` (n / sum(w) for mean-1 sample weights); 0 stays
        0 even where the scale is inf."""
        return Penalty(self.l2 * scale if self.l2 else 0.0,
                       self.l1 * scale if self.l1 else 0.0)


# ----------------------------------------------------------------- value
@jit
def l2_value(alpha, squared_norm, scale=1.0):
    """alpha / 2 ||w||^2 for weights ``scale * v`` with ||v||^2 = ``squared_norm``."""
    return 0.5 * np.float64(alpha) * scale * scale * squared_norm


def penalty_value(weights, l2, l1, n_samples=1):
    """The penalty's share of J, ``(alpha / 2 ||W||^2 + l1 |W|) / n``, as a float.

    ``weights`` is 1-d (the weight entries of the flat parameter vector); the sums run
    in its dtype (the online loops pass float64).
    """
    value = 0.0
    if l2:
        value += l2_value(l2, float(np.dot(weights, weights))) / n_samples
    if l1:
        value += l1 * float(np.abs(weights).sum()) / n_samples
    return value


# ----------------------------------------------------------------- gradient
@jit
def penalised(g, w, factor):
    """g + factor * w: the gradient ``g`` with the L2 term's gradient (alpha / n) w added
    (``factor`` = alpha / n in the weights' dtype). Works on numbers and on arrays."""
    return g + factor * w


def step_factor(strength, n_samples, dtype):
    """A penalty's factor for a step on n samples, strength / n, in the weights' dtype."""
    return np.dtype(dtype).type(strength / n_samples)


@jit
def _add_penalised(g, w, factor):
    for i in range(g.shape[0]):
        g[i] = penalised(g[i], w[i], factor)


def add_penalty_gradient(grad_weights, weights, l2, l1, n_samples):
    """Add the penalty's gradient to the weights' gradient, in place: ``(alpha / n) W``
    and ``(l1 / n) sign(W)``, the latter exact away from W = 0 (L-BFGS refuses L1; the
    gradient check compares it where it is defined)."""
    terms = ((l2, weights), (l1, np.sign(weights) if l1 else None))
    for strength, w in terms:
        if not strength:
            continue
        factor = step_factor(strength, n_samples, weights.dtype)
        if compiled(grad_weights.size):
            _add_penalised(grad_weights, w, factor)
        else:
            grad_weights[...] = penalised(grad_weights, w, factor)


# ----------------------------------------------------------------- the L1 step
@jit
def cumulative_l1(before, applied, total):
    """(new weight, new q) of the cumulative L1 rule for a weight ``before`` (float64)
    that received the signed shrinkage ``applied`` (q) of the ``total`` (u) it could
    have received. Works on numbers (the compiled loops) and on float64 arrays."""
    after = select(before > 0, np.maximum(0.0, before - (total + applied)),
                   select(before < 0, np.minimum(0.0, before + (total - applied)), before))
    return after, applied + (after - before)


@jit
def _cumulative_loop(theta, total, applied, n_penalised, c):
    for i in range(n_penalised):
        total[i] += c
        theta[i], applied[i] = cumulative_l1(np.float64(theta[i]), applied[i], total[i])


@jit
def _adam_cumulative_loop(theta, total, applied, v, n_penalised, c, epsilon):
    for i in range(n_penalised):
        total[i] += c / (np.sqrt(v[i]) + epsilon)
        theta[i], applied[i] = cumulative_l1(np.float64(theta[i]), applied[i], total[i])


def pay_l1(theta, state, n_penalised, c, v=None, epsilon=0.0):
    """The cumulative L1 step on the first n_penalised entries of theta, in place, after
    an optimizer's update.

    ``state`` is (u, q), float64 arrays of n_penalised entries, updated in place; each
    weight's u grows by ``c`` = lr * l1 / n. Adam scales each weight's update by
    1 / (sqrt(v_k) + eps), and so its threshold: ``c / (sqrt(v) + epsilon)``.
    """
    total, applied = state
    if compiled(theta.size):
        if v is None:
            _cumulative_loop(theta, total, applied, n_penalised, c)
        else:
            _adam_cumulative_loop(theta, total, applied, v, n_penalised, c, epsilon)
        return
    total += c if v is None else c / (np.sqrt(v[:n_penalised]) + epsilon)
    after, applied[...] = cumulative_l1(theta[:n_penalised].astype(np.float64), applied,
                                        total)
    theta[:n_penalised] = after
