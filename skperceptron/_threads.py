"""How many BLAS threads a fit uses: one, unless matrix products dominate its steps.

On a 2-core machine a second OpenBLAS thread pays only where matrix products take most
of the time. After each product OpenBLAS's worker thread keeps spinning for a while, so
during the element-wise work in between (activations, losses, optimizer steps, scipy's
L-BFGS code) it competes with the main thread for the other core, or for the same
physical core when the two are hyperthreads of one. Measured here:

- an L-BFGS fit of a (50, 64, 1) regressor on 5000 samples: 0.25 s with one thread,
  1.05 s with two, although its largest product alone runs 2x faster on two threads;
- a (64,) classifier on the digits: 0.045 s either way on a quiet machine, 2-4x slower
  with two threads once the other core is busy;
- a (784, 256, 128, 10) classifier, batches of 200: 0.85 s with two threads, 1.09 s
  with one (batches of 32: 0.27 s against 0.40 s).

What separates them is how much of a step is matrix products: per sample a step
multiplies each weight once or twice but touches each unit's output a few times, so
``n_weights / n_units`` (about 600 for the third network, 50 to 65 for the first two)
measures it. The choice depends on the network and batch size only, never on timing,
so results stay reproducible (the number of threads can change the last bits of a
product, and those differences grow over training).

Only ever lowers the number of threads: a limit set by the user (threadpoolctl, or an
environment variable such as OMP_NUM_THREADS) stays in force.
"""

import threading
from contextlib import contextmanager

#: Weights per unit above which a step is dominated by its matrix products.
PRODUCT_BOUND = 200
#: ... and multiply-adds per step of the largest product above which a second thread
#: has enough to do (a 200 x 64 x 64 product: 1.0x with two threads, measured).
LARGE_PRODUCT = 1_000_000

_blas_pools = None


def _blas():
    """The BLAS thread pools of the process, found once (about 1 ms) and kept."""
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
    (0.3.31, measured) ignores a request made from another thread to raise it again, so
    a fit in a worker thread that limited it could leave the whole process on one
    thread. Fits run in parallel threads are left as they are: whoever runs them
    already shares the cores out.
    """
    if many_threads_pay(network, rows) or threading.current_thread() is not threading.main_thread():
        yield
        return
    with _blas().limit(limits=1):
        yield
