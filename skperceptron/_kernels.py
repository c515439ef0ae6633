"""The numba bootstrap and the generic plumbing of the compiled loops.

``pip install "skperceptron[fast]"`` brings numba (set the environment variable
``SKPERCEPTRON_NO_NUMBA=1`` to run without it all the same). ``jit`` compiles a function
when numba is there and leaves it as plain Python otherwise; every compiled loop of the
package is written so that both give the same results, bit for bit: deterministic
arithmetic in a fixed order, with scalars passed in the arrays' own dtype so that float32
stays float32 in both worlds.

The loops themselves live with the concept they compute: the optimizer updates in
``_optimizers``, the single-layer online rules in ``_online``. This module keeps only
what they share: ``jit``, prefetching rows, gathering a shuffled mini-batch, ``y += a x``
and a dot product summed in a fixed order.
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

    def _emit_prefetch(builder, address):
        """A prefetch of the byte at ``address``: read access, keep in all cache levels."""
        byte = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte, int32, int32, int32]),
            "llvm.prefetch.p0i8",
        )
        builder.call(prefetch, [builder.bitcast(address, byte), int32(0), int32(3), int32(1)])

    def _item_pointer(context, builder, signature, args, index):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        return cgutils.get_item_pointer(
            context, builder, array_type, array, index, wraparound=False
        )

    @intrinsic
    def _prefetch(typingctx, rows, i, offset):
        """Ask the processor to start loading byte ``offset`` of row ``i`` of ``rows``."""

        def codegen(context, builder, signature, args):
            zero = context.get_constant(types.intp, 0)
            start = _item_pointer(context, builder, signature, args, [args[1], zero])
            byte = ir.IntType(8).as_pointer()
            _emit_prefetch(builder, builder.gep(builder.bitcast(start, byte), [args[2]]))
            return context.get_dummy_value()

        return types.void(rows, i, offset), codegen

    @intrinsic
    def _prefetch_item(typingctx, array, i):
        """Ask the processor to start loading the cache line of ``array[i]`` (1-d)."""

        def codegen(context, builder, signature, args):
            _emit_prefetch(builder, _item_pointer(context, builder, signature, args, [args[1]]))
            return context.get_dummy_value()

        return types.void(array, i), codegen

else:  # pragma: no cover

    def _prefetch(rows, i, offset):
        pass

    def _prefetch_item(array, i):
        pass


#: Prefetching only pays when compiled; in plain Python it would cost a call per line.
PREFETCH = HAVE_NUMBA
#: How many rows ahead a loop over shuffled rows asks for them.
PREFETCH_AHEAD = 8


@jit
def prefetch_row(X, i):
    """Ask for row ``i`` of ``X``, one cache line at a time (a no-op uncompiled)."""
    for offset in range(0, X.shape[1] * X.itemsize, 64):
        _prefetch(X, i, offset)


@jit
def prefetch_span(array, start, end):
    """Ask for ``array[start:end]`` (1-d), one cache line at a time (a no-op uncompiled)."""
    if PREFETCH:
        for i in range(start, end, max(64 // array.itemsize, 1)):
            _prefetch_item(array, i)


@jit
def prefetch_indexed_rows(W, index, start, end):
    """Ask for the rows ``W[index[start:end]]`` (a sparse row's weights), a cache line
    at a time (a no-op uncompiled)."""
    if PREFETCH:
        width = W.shape[1] * W.itemsize
        for c in range(start, end):
            row = np.intp(index[c])
            for offset in range(0, width, 64):
                _prefetch(W, row, offset)


@jit
def _gather_loop(X, index, out):
    n = index.shape[0]
    for k in range(n):
        if PREFETCH and k + PREFETCH_AHEAD < n:
            prefetch_row(X, index[k + PREFETCH_AHEAD])
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
