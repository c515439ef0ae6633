"""Speed devices, behind one seam: what makes the package fast, and nothing else.

Everything here changes how fast a result is computed, never the result itself; the
rest of the package calls these by name:

- compiled loops: ``kernels`` (``jit``, and ``compiled``, which loads numba when a fit
  needs it); every compiled loop of the package is written so that compiled and plain
  Python give the same results, bit for bit;
- prefetching: asking the processor for rows read in a shuffled order ahead of their
  use (``prefetch_row``, ``prefetch_span``, ``prefetch_indexed_rows``), and
  ``gather_rows``, a shuffled mini-batch copied into a reused buffer;
- BLAS threads: ``blas_threads``, one thread unless matrix products dominate a step;
- buffers: ``BufferCache`` hands a ``partial_fit``'s buffers to the next call of the
  same shapes;
- plain inputs: ``plain_rows`` and ``plain_targets`` tell when scikit-learn's input
  validation would return its input unchanged, which a one-row ``predict`` or a later
  ``partial_fit`` on a few rows then skip;
- orders of the rows: ``EpochOrders`` (each epoch's shuffle written into kept arrays,
  drawn during the epoch before on a second core) and ``SeededPermutations`` (a later
  ``partial_fit``'s shuffle remembered rather than seeding a new generator).

Each is measured against the simpler way by ``benchmarks/design_choices.py``; the
figures are in ``benchmarks/README.md`` ("Measured design choices"), not here, where
they would go stale.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn import get_config

from .kernels import HAVE_NUMBA, compiled, jit, placeholder

# ----------------------------------------------------------------- prefetching
@placeholder("prefetch")
def _prefetch(rows, i, offset):
    """Ask the processor to start loading byte ``offset`` of row ``i`` of ``rows`` (a
    numba intrinsic once numba is loaded; a no-op in plain Python)."""


@placeholder("prefetch_item")
def _prefetch_item(array, i):
    """Ask the processor to start loading the cache line of ``array[i]`` (1-d) (a numba
    intrinsic once numba is loaded; a no-op in plain Python)."""


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
def prefetch_dense_sample(X, Y, sample_weight, weighted, i):
    """Ask for what sample i's step of a per-sample loop reads first: its dense row,
    its targets and (when read) its weight. Shuffled rows lie anywhere in memory, and
    the rows streaming through evict the targets and weights from the cache."""
    prefetch_row(X, i)
    prefetch_span(Y[i], 0, Y.shape[1])
    if weighted:
        prefetch_span(sample_weight, i, i + 1)


@jit
def prefetch_csr_sample(values, columns, indptr, Y, sample_weight, i):
    """The same for a CSR row: its values and columns, its targets and weight."""
    prefetch_span(values, indptr[i], indptr[i + 1])
    prefetch_span(columns, indptr[i], indptr[i + 1])
    prefetch_span(Y[i], 0, Y.shape[1])
    prefetch_span(sample_weight, i, i + 1)


@jit
def weight_rows_ahead(W):
    """How many rows ahead a CSR loop asks for the weight rows a row reads (0: not):
    two when a weight row (all units of one feature) spans a cache line or more; a
    narrower one stays in the cache, where asking only costs time."""
    return 2 if W.shape[1] * W.itemsize >= 64 else 0


@jit
def prefetch_csr_ahead(W, values, columns, indptr, Y, sample_weight, order, k, ahead):
    """Ask for what the rows after the k-th of ``order`` read: the sample ``ahead + 1``
    on (``prefetch_csr_sample``) and, with ``ahead`` > 0, the weight rows of the row
    ``ahead`` on (its columns asked for a step earlier)."""
    n = order.shape[0]
    if k + ahead + 1 < n:
        prefetch_csr_sample(values, columns, indptr, Y, sample_weight, order[k + ahead + 1])
    if ahead > 0 and k + ahead < n:
        i = order[k + ahead]
        prefetch_indexed_rows(W, columns, indptr[i], indptr[i + 1])


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
    memory), which ``np.take`` does not.
    """
    if compiled(out.size):
        _gather_loop(X, index, out)
        return out
    return np.take(X, index, axis=0, out=out)


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


# ----------------------------------------------------------------- BLAS threads
# How many BLAS threads a fit uses: one, unless matrix products dominate its steps.
#
# On a 2-core machine a second OpenBLAS thread pays only where matrix products take most
# of the time. After each product OpenBLAS's worker thread keeps spinning for a while, so
# during the element-wise work in between (activations, losses, optimizer steps, scipy's
# L-BFGS code) it competes with the main thread for the other core, or for the same
# physical core when the two are hyperthreads of one. An L-BFGS fit of a (50, 64, 1)
# regressor runs several times faster on one thread, a (64,) classifier on the digits
# no faster on two, and a (784, 256, 128, 10) classifier faster on two
# (``benchmarks/design_choices.py``). What separates them is how much of a step is matrix products: per sample a step
# multiplies each weight once or twice but touches each unit's output a few times, so
# ``n_weights / n_units`` (about 600 for the third network, 50 to 65 for the first two)
# measures it. The choice depends on the network and batch size only, never on timing,
# so results stay reproducible (the number of threads can change the last bits of a
# product, and those differences grow over training).
#
# Only ever lowers the number of threads: a limit set by the user (threadpoolctl, or an
# environment variable such as OMP_NUM_THREADS) stays in force.



#: Weights per unit above which a step is dominated by its matrix products.
PRODUCT_BOUND = 200
#: ... and multiply-adds per step of the largest product above which a second thread
#: has enough to do (a 200 x 64 x 64 product gains nothing from a second one).
LARGE_PRODUCT = 1_000_000

_blas_pools = None


def _blas():
    """The BLAS thread pools of the process, found once (it takes a while) and kept."""
    global _blas_pools
    if _blas_pools is None:
        from threadpoolctl import ThreadpoolController

        _blas_pools = ThreadpoolController().select(user_api="blas")
    return _blas_pools


def many_threads_pay(network, rows):
    """Whether a training step of ``rows`` samples gains from several BLAS threads."""
    units = network.layer_units
    products = [a * b for a, b in zip(units[:-1], units[1:])]
    intensity = sum(products) / sum(units[1:])
    return intensity >= PRODUCT_BOUND and rows * max(products) >= LARGE_PRODUCT


@contextmanager
def blas_threads(network, rows):
    """Run a fit's training on one BLAS thread unless many threads pay (see above).

    Only from the main thread: the thread count is process-wide state, and OpenBLAS
    (0.3.31) ignores a request made from another thread to raise it again, so
    a fit in a worker thread that limited it could leave the whole process on one
    thread. Fits run in parallel threads are left as they are: whoever runs them
    already shares the cores out.
    """
    if many_threads_pay(network, rows) or threading.current_thread() is not threading.main_thread():
        yield
        return
    # threadpoolctl's own ``limit`` gathers every library's full description first
    # (7.5 us a limit and its release, against 2.9 us for this, on two OpenBLAS pools:
    # a few percent of a partial_fit on a few rows). Each pool's thread count is all
    # that needs putting back (None: a library that does not say).
    pools = [(pool, pool.num_threads) for pool in _blas().lib_controllers]
    pools = [(pool, threads) for pool, threads in pools if threads not in (None, 1)]
    for pool, _ in pools:
        pool.set_num_threads(1)
    try:
        yield
    finally:
        for pool, threads in pools:
            pool.set_num_threads(threads)


# ----------------------------------------------------------------- orders of the rows
#: Rows from which the online loop draws each epoch's order during the epoch before
#: it: below, a shuffle is too small a part of an epoch to be worth a thread.
DRAW_AHEAD_ROWS = 10_000

_drawing = None  # (process id, one-thread executor) that draws orders ahead


def _drawer():
    """The one worker thread that draws orders ahead, made anew in a forked process."""
    global _drawing
    if _drawing is None or _drawing[0] != os.getpid():
        _drawing = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="skperceptron"))
    return _drawing[1]


class EpochOrders:
    """Each epoch's order of the rows, ``rng.permutation(n)``, or with ``reshuffle``
    the previous epoch's order (the first epoch's: the rows in order) shuffled by it,
    as scikit-learn's MLP and SGD shuffle (``plan.BatchRule``); the permutations are
    written into arrays kept between epochs, and for a large ``RandomState`` drawn
    during the epoch before.

    The permutations are the generator's own and it moves on as it would, so results
    do not depend on whether a draw was made ahead:

    - a ``RandomState``'s permutation shuffles a new ``arange(n)``; this shuffles a
      kept array reset to ``arange(n)``, the same draws without new memory;
    - with ``ahead`` (at least ``DRAW_AHEAD_ROWS`` rows, called from the main thread,
      two cores or more), the next epoch's permutation is drawn by a worker thread
      while this epoch trains (the shuffle leaves the GIL; the online loop too), into
      the other array. If no epoch comes to use it, ``close`` puts the generator back
      in the state before that draw.
    - another generator draws its own ``permutation(n)``, at the time asked.

    The array returned is valid until the next call. Memory: three arrays of n integers
    for the fit (2.4 MB for 100,000 rows), five with ``reshuffle``, made at the first
    draw from a RandomState (a later ``partial_fit`` draws from a remembered
    permutation instead).
    """

    def __init__(self, n, ahead=True, reshuffle=False):
        self.n, self.reshuffle = n, reshuffle
        self.identity = self.arrays = None  # made when a RandomState first draws
        self.order = self.spare = None  # the last order returned, and the next one's
        self.turn = 0
        self.pending = None  # (future, generator, its state before the draw)
        self.ahead = (ahead and n >= DRAW_AHEAD_ROWS and (os.cpu_count() or 1) >= 2
                      and threading.current_thread() is threading.main_thread())

    def _draw(self, rng, order):
        np.copyto(order, self.identity)
        rng.shuffle(order)
        return order

    def __call__(self, rng):
        permutation = self._permutation(rng)
        return self._shuffled(permutation) if self.reshuffle else permutation

    def _shuffled(self, permutation):
        """The previous order, shuffled by ``permutation`` (the first: itself)."""
        if self.order is None:
            self.order, self.spare = np.array(permutation), np.empty_like(permutation)
        else:
            np.take(self.order, permutation, out=self.spare)
            self.order, self.spare = self.spare, self.order
        return self.order

    def _permutation(self, rng):
        if type(rng) is not np.random.RandomState:
            self.close()
            return rng.permutation(self.n)
        if self.identity is None:
            self.identity = np.arange(self.n)
            self.arrays = [np.empty_like(self.identity), np.empty_like(self.identity)]
        if self.pending is not None and self.pending[1] is rng:
            permutation = self.pending[0].result()
            self.pending = None
        else:
            self.close()
            permutation = self._draw(rng, self.arrays[self.turn])
        self.turn = 1 - self.turn
        if self.ahead:
            state = rng.get_state()
            self.pending = (_drawer().submit(self._draw, rng, self.arrays[self.turn]),
                            rng, state)
        return permutation

    def close(self):
        """Wait for a permutation drawn ahead that no epoch used, and put its generator
        back in the state before it."""
        if self.pending is None:
            return
        future, rng, state = self.pending
        self.pending = None
        try:
            future.result()
        finally:
            rng.set_state(state)


class SeededPermutations:
    """``np.random.RandomState(seed).permutation(n)`` for a fresh generator, remembered.

    A fresh generator's first permutation of n items depends on (seed, n) alone: a
    later partial_fit with an integer ``random_state``, which takes a new generator and
    draws once from it, shuffles its rows this way without seeding one (the largest
    cost of a partial_fit on ten rows). It offers nothing else, so that any other use
    fails loudly.
    """

    def __init__(self, seed):
        self.seed = int(seed)

    def permutation(self, n):
        return _first_permutation(self.seed, int(n)).copy()


@lru_cache(maxsize=16)
def _first_permutation(seed, n):
    return np.random.RandomState(seed).permutation(n)


# ----------------------------------------------------------------- buffers
class BufferCache:
    """The buffers of one ``partial_fit`` call, handed to the next call of the same
    shapes (made anew otherwise): on a few rows, making them is a visible part of a
    call, and on a wide model, the fresh pages of a new array cost more than the
    call's rows. One entry per use (``slot``). Not saved with the model."""

    def __init__(self):
        self.entries = {}

    @staticmethod
    def get_or_make(cache, key, make, slot="epochs"):
        """``cache``'s buffers in ``slot`` when they were made for ``key``, else
        ``make()`` (kept there unless ``cache`` is None)."""
        if cache is None:
            return make()
        kept = cache.entries.get(slot)
        if kept is None or kept[0] != key:
            kept = cache.entries[slot] = (key, make())
        return kept[1]


# ----------------------------------------------------------------- plain inputs
def plain_rows(X, n_features, named):
    """Whether scikit-learn's validation would return ``X`` unchanged for a model
    fitted on ``n_features`` features (``named``: with feature names): a float ndarray
    of that width, or a CSR or CSC matrix of one, all finite (``known_finite``; of a
    sparse matrix, its stored values). Anything else (and any error) goes through
    it."""
    if sp.issparse(X):
        values = X.data if X.format in ("csr", "csc") else None
    else:
        values = X if type(X) is np.ndarray else None
    return (
        values is not None
        and X.ndim == 2
        and X.dtype in (np.float64, np.float32)
        and X.shape[0] > 0
        and X.shape[1] == n_features
        and not named
        and (get_config()["assume_finite"] or known_finite(values))
    )


def known_finite(values):
    """Whether every value of the float array ``values`` is finite, found from its sum
    (a NaN or an infinity makes the sum NaN or infinite) without the boolean copy of
    ``np.isfinite``, a byte per value: a quarter of a float32 chunk of ``fit_chunks``.
    False means "not known": a NaN or an infinity, or finite values whose sum
    overflows; the caller then lets scikit-learn's validation decide.

    numpy's sum, not a BLAS dot product of the values with themselves: the dot can
    be three times faster, but it runs outside the fit's one-thread BLAS limit
    (``blas_threads``), and on OpenBLAS's two threads of a 2-core machine whose other
    core is busy it took from 20 us to 8 ms on 2^18 weights, where the sum took
    55-90 us (``benchmarks/design_choices.py``, ``finite_check_choices``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(values)))


def all_finite(values):
    """Whether every value of the float array ``values`` is finite: ``known_finite``
    first (no boolean copy), the elementwise check only when that cannot tell."""
    return known_finite(values) or bool(np.isfinite(values).all())


def plain_targets(y, X, kinds, target_type):
    """Whether a later ``partial_fit`` can take ``y`` as it is: a 1-d ndarray of X's
    rows whose dtype kind is in ``kinds``: finite floats, or integer labels of a
    single-output target (``target_type`` binary or multiclass; the label encoding
    checks them)."""
    if not (type(y) is np.ndarray and y.ndim == 1
            and y.shape[0] == getattr(X, "shape", (None,))[0] and y.dtype.kind in kinds):
        return False
    if y.dtype.kind == "f":
        return known_finite(y)
    return target_type in ("binary", "multiclass")
