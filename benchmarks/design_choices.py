"""The measurements behind the way the code is written: each choice against its alternative.

Where the package does something the less obvious way for speed (a compiled loop, a
prefetch, a kept buffer, a thread limit), this script times the choice and the simpler
alternative side by side, alternating them in one process, and prints the medians and
their ratio (alternative / choice: above 1, the choice is faster). The code's comments
say what each choice is; the figures live here and in ``benchmarks/README.md``, so that
they can be measured again on any machine. Needs numba (the ``[fast]`` extra).

Run from the repository root::

    python benchmarks/design_choices.py
"""

import statistics
import sys
import time
import types
import warnings

import numba
import numpy as np
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._engine import layers, optimizers
from skperceptron._engine.activations import get_activation
from skperceptron._engine.losses import PERCEPTRON
from skperceptron._engine.penalty import cumulative_l1
from skperceptron._targets import encode_labels, fit_labels
from skperceptron._training import history, lbfgs, online_loops, stochastic
from skperceptron._utils import speed

N_PARAMETERS = 235_146  # workload 1's network, (784, 256, 128, 10)


def alternate(choice, alternative, repeats=15):
    """Seconds of each call of ``choice`` and ``alternative``, called in turn (after one
    untimed call each)."""
    choice(), alternative()
    times = {"choice": [], "alternative": []}
    for r in range(repeats):
        pair = (("choice", choice), ("alternative", alternative))
        for name, call in (pair if r % 2 else pair[::-1]):
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return times["choice"], times["alternative"]


def report(name, choice, alternative, repeats=15):
    """One line: the medians, their ratio, and the range of the paired ratios."""
    ours, other = alternate(choice, alternative, repeats)
    paired = sorted(b / a for a, b in zip(ours, other))
    ours, other = statistics.median(ours), statistics.median(other)
    print(f"{name:66s} {_fmt(ours):>9s} {_fmt(other):>9s} {other / ours:7.2f}x "
          f"({paired[0]:.2f}-{paired[-1]:.2f})", flush=True)


def _fmt(seconds):
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-2 else f"{seconds * 1e3:.1f} ms"


def _variant(function, **replacements):
    """``function`` (compiled) compiled again with some of its globals replaced."""
    py = function.py_func
    namespace = {**py.__globals__, **replacements}
    copy = types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__)
    return numba.njit(nogil=True, error_model="numpy")(copy)


def optimizer_choices():
    rng = np.random.default_rng(0)
    arrays = [rng.random(N_PARAMETERS) for _ in range(4)]
    hyper = (1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8)
    penalised = N_PARAMETERS - 394

    def step(loop):
        return lambda: loop(*arrays, 1e-4 / 200, penalised, *hyper)

    python_errors = numba.njit(nogil=True, error_model="python")(optimizers._adam_loop.py_func)
    report("Adam step: error_model='numpy' (against 'python')",
           step(optimizers._adam_loop), step(python_errors), 200)
    whole = numba.njit(nogil=True, error_model="numpy")(optimizers._adam_rule.py_func)
    report("Adam step: one loop (against a compiled array expression)",
           step(optimizers._adam_loop),
           lambda: whole(arrays[0], arrays[1], arrays[2], arrays[3], *hyper), 200)

    @numba.njit(nogil=True, error_model="numpy")
    def offset_loop(theta, grad, m, v, l2, n_penalised, *hyper):
        for i in range(n_penalised, theta.shape[0]):
            theta[i], m[i], v[i] = optimizers._adam_rule(theta[i], grad[i], m[i], v[i], *hyper)

    report("Adam on the biases: a view from 0 (against a loop from n)",
           step(optimizers._adam_loop), lambda: offset_loop(*arrays, 0.0, 0, *hyper), 200)


def batch_choices():
    X = np.random.default_rng(0).normal(size=(20_000, 784))
    order = np.random.default_rng(1).permutation(20_000)
    out = np.empty((200, 784))

    def epoch(gather):
        return lambda: [gather(X, order[b:b + 200], out) for b in range(0, 20_000, 200)]

    report("an epoch of shuffled batches, 20000 x 784: gather with prefetch (np.take)",
           epoch(speed.gather_rows), epoch(lambda X, i, out: np.take(X, i, 0, out=out)), 30)
    Xc, yc = make_classification(n_samples=20_000, n_features=784, n_informative=20,
                                 n_classes=10, random_state=0)
    Xc = StandardScaler().fit_transform(Xc)

    def fit_with(gather):
        def run():
            stochastic.gather_rows = gather
            try:
                return MLPClassifier((256, 128), max_iter=1, random_state=0).fit(Xc, yc)
            finally:
                stochastic.gather_rows = speed.gather_rows
        return run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report("W1's fit, 1 epoch: the same (np.take)", fit_with(speed.gather_rows),
               fit_with(lambda X, i, out: np.take(X, i, 0, out=out)), 9)
    n = 100_000
    orders, rng_a, rng_b = speed.EpochOrders(n, ahead=False), np.random.RandomState(0), \
        np.random.RandomState(0)
    report("an epoch's order of 100,000 rows: kept arrays (permutation)",
           lambda: orders(rng_a), lambda: rng_b.permutation(n), 50)
    remembered = speed.SeededPermutations(0)
    report("a later partial_fit's order of 10 rows: remembered (a new generator)",
           lambda: remembered.permutation(10),
           lambda: np.random.RandomState(0).permutation(10), 300)
    y, classes = np.arange(10) % 3, np.arange(3)
    binarizer = fit_labels(y)
    checked = np.array(["a", "b", "c"])[y]
    report("encoding 10 integer labels (labels of another dtype, checked)",
           lambda: encode_labels(y, classes, "multiclass", binarizer, np.float64),
           lambda: encode_labels(checked, np.array(["a", "b", "c"]), "multiclass",
                                 fit_labels(checked), np.float64), 300)


def layer_choices():
    rng = np.random.default_rng(0)
    A = np.maximum(rng.normal(size=(200, 256)), 0)
    dA = rng.normal(size=(200, 256))
    relu = get_activation("relu")

    def masked():
        g = dA.copy()
        g[A <= 0] = 0
        return g

    report("relu's backward: a product with A > 0 (masked assignment)",
           lambda: relu.backward_(dA.copy(), A), masked, 300)
    out, mask = np.empty_like(A), np.empty_like(A)
    generator = np.random.RandomState(0)
    report("dropout's mask, 200 x 256: counter-based (numpy's generator)",
           lambda: layers.dropout_mask(A, out, mask, np.uint64(7), np.uint64(2**62), 4 / 3),
           lambda: np.multiply(A, (generator.random_sample(A.shape) >= 0.25) * (4 / 3),
                               out=out), 300)
    report("relu saturation of a (200, 256) batch: counted (A.any(axis=0))",
           lambda: history.saturation(A, "relu"), lambda: 1 - A.any(axis=0).mean(), 300)


def loop_choices():
    X, y = make_classification(n_samples=100_000, n_features=100, random_state=0)
    X = StandardScaler().fit_transform(X)
    Y = (y[:, None] == 1).astype(np.float64)
    sw = np.ones(len(X))
    order = np.random.RandomState(0).permutation(len(X))

    def epoch(loop):
        def run():
            W_t, b = np.zeros((2, 100)), np.zeros(2)
            return loop(W_t, b, X, np.column_stack([Y, 1 - Y]), sw, order, 1.0, 1e-4,
                        PERCEPTRON, True)
        return run

    no_prefetch = _variant(online_loops.online_epoch, PREFETCH=False)
    report("dense per-sample epoch, 100,000 x 100: rows asked for ahead (not)",
           epoch(online_loops.online_epoch), epoch(no_prefetch), 7)
    w, q, u = (np.random.default_rng(k).normal(size=100_000) for k in range(3))

    @numba.njit(nogil=True, error_model="numpy")
    def pay(w, q, u):
        for i in range(w.shape[0]):
            w[i], q[i] = cumulative_l1(w[i], q[i], u[i])

    def where(condition, if_true, if_false):
        return np.where(condition, if_true, if_false)

    with_where = numba.njit(error_model="numpy")(types.FunctionType(
        cumulative_l1.py_func.__code__, {**cumulative_l1.py_func.__globals__,
                                         "select": numba.njit(where)}))

    @numba.njit(nogil=True, error_model="numpy")
    def pay_where(w, q, u):
        for i in range(w.shape[0]):
            a, b = with_where(w[i], q[i], u[i])
            w[i], q[i] = a, b

    report("cumulative L1 step over 100,000 weights: select (np.where)",
           lambda: pay(w.copy(), q.copy(), u), lambda: pay_where(w.copy(), q.copy(), u), 15)


def _fit_threads(make, X, y, threads):
    def run():
        with threadpool_limits(threads, "blas"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return make().fit(X, y)
    return run


def thread_choices():
    """BLAS threads: what ``speed.blas_threads`` chooses against the other count, the
    choice's own limit switched off (it only ever lowers the count)."""
    for module in (stochastic, lbfgs):
        module.blas_threads = _no_limit
    try:
        X, y = make_regression(n_samples=5000, n_features=50, n_informative=20, noise=1.0,
                               random_state=0)
        X, y = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
        make = lambda: MLPRegressor(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=100, random_state=0)  # noqa: E731
        report("L-BFGS (50, 64, 1), 5000 rows: 1 BLAS thread (2)",
               _fit_threads(make, X, y, 1), _fit_threads(make, X, y, 2), 5)
        Xd, yd = load_digits(return_X_y=True)
        make = lambda: MLPClassifier((64,), max_iter=50, random_state=0)  # noqa: E731
        report("digits (64,), 50 epochs: 1 BLAS thread (2)",
               _fit_threads(make, Xd / 16, yd, 1), _fit_threads(make, Xd / 16, yd, 2), 5)
        Xc, yc = make_classification(n_samples=20_000, n_features=784, n_informative=20,
                                     n_classes=10, random_state=0)
        Xc = StandardScaler().fit_transform(Xc)
        for batch in (200, 32):
            n = 20_000 if batch == 200 else 5000
            make = lambda: MLPClassifier((256, 128), batch_size=batch, max_iter=1,  # noqa: E731
                                         random_state=0)
            report(f"(784, 256, 128, 10), batch {batch}, 1 epoch: 2 BLAS threads (1)",
                   _fit_threads(make, Xc[:n], yc[:n], 2), _fit_threads(make, Xc[:n], yc[:n], 1),
                   7)
    finally:
        for module in (stochastic, lbfgs):
            module.blas_threads = speed.blas_threads


def _busy_core(seconds):
    """A process that keeps one core busy for ``seconds`` (a user's other work)."""
    import subprocess
    code = f"import time\nt = time.time() + {seconds}\nwhile time.time() < t: pass"
    return subprocess.Popen([sys.executable, "-c", code])


def label_choices():
    """A first partial_fit with ``classes``: the label encoding made from the classes
    alone (``_targets._binarizer_of``), against scikit-learn's checks of the target
    type and ``LabelBinarizer.fit``, on a batch of 1,000 integer labels."""
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils.multiclass import check_classification_targets

    y, classes = np.random.default_rng(0).integers(0, 2, 1000), np.array([0, 1])

    def through_sklearn():
        check_classification_targets(y)
        return LabelBinarizer().fit(np.unique(classes))

    report("labels of a first partial_fit, 1,000 rows: from the classes (sklearn)",
           lambda: fit_labels(y, classes), through_sklearn, 51)


def finite_check_choices():
    """``speed.known_finite``: numpy's sum, against the BLAS dot of the values with
    themselves, on partial_fit's 2^18 weights, with the other core idle and busy (the
    dot runs outside the fit's one-thread limit, on OpenBLAS's threads)."""
    weights = np.random.default_rng(0).random(2**18)
    sum_check = lambda: np.isfinite(np.sum(weights))  # noqa: E731
    dot_check = lambda: np.isfinite(weights @ weights)  # noqa: E731
    report("finite check of 2^18 weights, other core idle: sum (BLAS dot)",
           sum_check, dot_check, 201)
    busy = _busy_core(30)
    try:
        time.sleep(0.5)
        report("finite check of 2^18 weights, other core busy: sum (BLAS dot)",
               sum_check, dot_check, 201)
    finally:
        busy.kill()


class _no_limit:
    def __init__(self, network, rows):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main():
    print(f"numba {numba.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    print(f"{'choice (alternative)':66s} {'choice':>9s} {'other':>9s} {'ratio':>8s} "
          "(paired ratios, min-max)")
    for group in (optimizer_choices, batch_choices, layer_choices, loop_choices,
                  thread_choices, label_choices, finite_check_choices):
        group()


if __name__ == "__main__":
    main()
