"""Does the Adam step pay on two threads? numba's ``prange`` against the serial loop.

Times one Adam update of 235,146 parameters (workload 1's network) with the package's
serial rule and with the same rule split over two threads by ``numba.prange``, median of
200 calls each. Needs numba. Run from the repository root::

    python benchmarks/parallel_adam.py
"""

import time

import numba
import numpy as np

from skperceptron._engine.optimizers import _adam_loop, _adam_rule

N_PARAMETERS = 235_146


@numba.njit(nogil=True, error_model="numpy", parallel=True)
def _adam_two_threads(theta, grad, m, v, lr, beta_1, one_minus_beta_1, beta_2,
                      one_minus_beta_2, epsilon):
    n = theta.shape[0]
    half = (n + 1) // 2
    for part in numba.prange(2):
        for i in range(part * half, min(n, (part + 1) * half)):
            theta[i], m[i], v[i] = _adam_rule(
                theta[i], grad[i], m[i], v[i], lr, beta_1, one_minus_beta_1, beta_2,
                one_minus_beta_2, epsilon)


def median_us(step, arrays, hyper, calls=200):
    step(*arrays, *hyper)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        step(*arrays, *hyper)
        times.append(time.perf_counter() - start)
    return np.median(times) * 1e6


def main():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        arrays = [rng.random(N_PARAMETERS).astype(dtype) for _ in range(4)]
        hyper = tuple(dtype(h) for h in (1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8))
        serial = median_us(lambda t, g, m, v, *h: _adam_loop(t, g, m, v, dtype(0), 0, *h),
                           arrays, hyper)
        parallel = median_us(_adam_two_threads, arrays, hyper)
        print(f"{np.dtype(dtype).name}: serial {serial:.0f} us, two threads "
              f"{parallel:.0f} us")


if __name__ == "__main__":
    main()
