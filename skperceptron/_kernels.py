"""Hot loops, written once in plain numpy style and compiled by numba when it is installed.

``pip install "skperceptron[fast]"`` brings numba (set the environment variable
``SKPERCEPTRON_NO_NUMBA=1`` to run without it all the same). Without it, these functions
run as ordinary Python over numpy arrays and give the same results, only slower: each kernel
below is deterministic element-wise arithmetic in a fixed order, and scalars are passed
in the arrays' own dtype so that float32 stays float32 in both worlds.

Why these and not more: an optimizer step touches every parameter once per mini-batch.
As separate numpy operations Adam makes about ten passes over the parameter vector with
temporaries; numba fuses each line below into one pass. On a (784, 256, 128, 10) network
at batch 32 the numpy Adam step took about as long as the forward and backward passes
together. The perceptron rule visits samples one at a time, which numpy cannot
vectorise at all.
"""

import os

import numpy as np

try:  # pragma: no cover - exercised by running the suite with and without numba
    if os.environ.get("SKPERCEPTRON_NO_NUMBA"):
        raise ImportError("numba disabled by SKPERCEPTRON_NO_NUMBA")
    import numba

    HAVE_NUMBA = True
    # error_model="numpy": division follows IEEE (inf/nan) as numpy does, instead of
    # a zero test per division that keeps loops from being vectorised (the Adam loop
    # ran 7x slower with it: 630 us against 90 us at 235,000 float64 parameters).
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

    def jit(function):
        return function


if HAVE_NUMBA:
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def _prefetch(typingctx, rows, i, offset):
        """Ask the processor to start loading byte ``offset`` of row ``i`` of ``rows``."""

        def codegen(context, builder, signature, args):
            array_type = signature.args[0]
            array = context.make_array(array_type)(context, builder, args[0])
            zero = context.get_constant(types.intp, 0)
            start = cgutils.get_item_pointer(
                context, builder, array_type, array, [args[1], zero], wraparound=False
            )
            byte = ir.IntType(8).as_pointer()
            address = builder.gep(builder.bitcast(start, byte), [args[2]])
            int32 = ir.IntType(32)
            prefetch = cgutils.get_or_insert_function(
                builder.module,
                ir.FunctionType(ir.VoidType(), [byte, int32, int32, int32]),
                "llvm.prefetch.p0i8",
            )
            # read access, keep in all cache levels, data (not instruction) cache
            builder.call(
                prefetch, [address, int32(0), int32(3), int32(1)]
            )
            return context.get_dummy_value()

        return types.void(rows, i, offset), codegen

else:  # pragma: no cover

    def _prefetch(rows, i, offset):
        pass


#: Prefetching only pays when compiled; in plain Python it would cost a call per line.
PREFETCH = HAVE_NUMBA
#: How many samples ahead the online loop asks for rows.
PREFETCH_AHEAD = 8


@jit
def _prefetch_row(X, i):
    for offset in range(0, X.shape[1] * X.itemsize, 64):
        _prefetch(X, i, offset)


# An optimizer step is written once, as a rule on numbers that works the same on
# whole arrays (``_adam_rule`` and the like). Compiled, a loop applies it element by
# element in one pass, with no temporary arrays; in plain Python numpy applies it to the
# whole vector at once. Element by element both perform the same IEEE operations, so
# the results are identical. (A vectorised expression compiled by numba allocates a
# new array for every assignment: at 235,000 parameters the Adam step then took 1 ms,
# against 0.09 ms for the loop.)


@jit
def _adam_rule(theta, g, m, v, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2,
               epsilon):
    m = beta_1 * m + one_minus_beta_1 * g
    v = beta_2 * v + one_minus_beta_2 * (g * g)
    return theta - lr * m / (np.sqrt(v) + epsilon), m, v


@jit
def _adam_loop(theta, grad, m, v, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2,
               epsilon):
    for i in range(theta.shape[0]):
        theta[i], m[i], v[i] = _adam_rule(
            theta[i], grad[i], m[i], v[i], lr, beta_1, one_minus_beta_1, beta_2,
            one_minus_beta_2, epsilon,
        )


def adam_step(theta, grad, m, v, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2,
              epsilon):
    """One Adam update in place; ``lr`` already carries the bias correction.

    ``1 - beta`` comes precomputed: numba and numpy would type ``1 - float32`` apart.
    """
    hyper = (lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon)
    if HAVE_NUMBA:
        _adam_loop(theta, grad, m, v, *hyper)
    else:
        theta[:], m[:], v[:] = _adam_rule(theta, grad, m, v, *hyper)


@jit
def _momentum_rule(theta, g, velocity, lr, momentum, nesterov):
    velocity = momentum * velocity - lr * g
    if nesterov:
        return theta + (momentum * velocity - lr * g), velocity
    return theta + velocity, velocity


@jit
def _momentum_loop(theta, grad, velocity, lr, momentum, nesterov):
    for i in range(theta.shape[0]):
        theta[i], velocity[i] = _momentum_rule(
            theta[i], grad[i], velocity[i], lr, momentum, nesterov
        )


def momentum_step(theta, grad, velocity, lr, momentum, nesterov):
    """Heavy-ball or Nesterov momentum in place (see ``_optimizers.SGD``)."""
    if HAVE_NUMBA:
        _momentum_loop(theta, grad, velocity, lr, momentum, nesterov)
    else:
        theta[:], velocity[:] = _momentum_rule(theta, grad, velocity, lr, momentum, nesterov)


@jit
def _sgd_loop(theta, grad, lr):
    for i in range(theta.shape[0]):
        theta[i] = theta[i] - lr * grad[i]


def sgd_step(theta, grad, lr):
    """Plain gradient descent in place: theta <- theta - lr * g."""
    if HAVE_NUMBA:
        _sgd_loop(theta, grad, lr)
    else:
        theta[:] = theta - lr * grad


@jit
def _add_scaled_loop(y, a, x):
    for i in range(y.shape[0]):
        y[i] = y[i] + a * x[i]


def add_scaled(y, a, x):
    """y <- y + a x in place (the L2 term of the gradient), without a temporary."""
    if HAVE_NUMBA:
        _add_scaled_loop(y, a, x)
    else:
        y += a * x


@jit
def _gather_loop(X, index, out):
    n = index.shape[0]
    for k in range(n):
        if PREFETCH and k + PREFETCH_AHEAD < n:
            _prefetch_row(X, index[k + PREFETCH_AHEAD])
        out[k, :] = X[index[k], :]


def gather_rows(X, index, out):
    """out[k] = X[index[k]]: a shuffled mini-batch, copied into a reused buffer.

    Compiled, the loop prefetches rows ahead of the copy (the rows are scattered in
    memory): 40 ms against 16 ms over three epochs of 20000 x 784 in batches of 200.
    """
    if HAVE_NUMBA:
        _gather_loop(X, index, out)
        return out
    return np.take(X, index, axis=0, out=out)


# Per-sample rules of the online (batch_size=1) single-layer kernel. Each is the
# gradient of the loss of the same name in _losses with respect to the net input z,
# for one sample; tests check that both paths give the same weights.
PERCEPTRON, HINGE, SQUARED_ERROR = 0, 1, 2
ONLINE_RULES = {"perceptron": PERCEPTRON, "hinge": HINGE, "squared_error": SQUARED_ERROR}


@jit
def _dot(x, w):
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
def online_epoch(W_t, b, X, Y, sample_weight, order, eta, alpha, rule, fit_intercept):
    """One epoch of per-sample updates of a single linear layer, in place.

    ``W_t`` (n_outputs, n_features) holds the weights one unit per row, ``b``
    (n_outputs,) the biases, ``X`` dense (n_samples, n_features), ``Y`` (n_samples,
    n_outputs): {0, 1} columns for the perceptron and hinge rules, real targets for
    squared error. ``sample_weight`` has mean 1. For each sample, in ``order``, and each
    unit j: z_j = x . w_j + b_j, the loss and its gradient g_j = dl/dz_j from the
    weights as they are *before* this sample's update, then
    w_j <- w_j - eta * (x (w_i g_j) + alpha w_j) and b_j <- b_j - eta * (w_i g_j): a
    mini-batch of one through ``_network`` and ``_optimizers``, one unit at a time.

    Returns ``(loss, all_zero)``: the mean of the weighted per-sample losses plus the
    L2 term as each step saw it, and whether every gradient was exactly zero.
    """
    n_outputs, n_features = W_t.shape
    n_samples = order.shape[0]
    total = 0.0
    all_zero = True
    # Storing into an array of the weights' dtype rounds the step the same way compiled
    # and in plain Python (numba and numpy promote mixed scalars differently).
    cast = np.empty(1, dtype=W_t.dtype)
    for k in range(n_samples):
        # Shuffled rows are read in random order: without a prefetch every row waits
        # for memory (about 3x slower on 100000 x 100, measured).
        if PREFETCH and k + PREFETCH_AHEAD < n_samples:
            _prefetch_row(X, order[k + PREFETCH_AHEAD])
        i = order[k]
        x = X[i]
        w_i = sample_weight[i]
        for j in range(n_outputs):
            w = W_t[j]
            z = _dot(x, w) + np.float64(b[j])  # float64 whoever calls _dot
            if rule == SQUARED_ERROR:
                r = z - Y[i, j]
                loss = 0.5 * r * r
                g = r
            else:
                margin = (2 * Y[i, j] - 1) * z
                s = 2 * Y[i, j] - 1
                if rule == PERCEPTRON:
                    loss = max(-margin, 0.0)
                    g = -s if margin <= 0 else 0.0
                else:
                    loss = max(1 - margin, 0.0)
                    g = -s if margin < 1 else 0.0
            total += w_i * loss
            cast[0] = w_i * g
            step = cast[0]
            if alpha != 0:
                total += 0.5 * np.float64(alpha) * _dot(w, w)
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
