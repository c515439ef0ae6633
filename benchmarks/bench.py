"""Speed of skperceptron against scikit-learn (and PyTorch when it is installed).

Each workload fits the same model with each library, alternating the libraries inside
one process (ours, scikit-learn, torch, then again starting from the next library, ...)
so that machine noise hits all of them alike, and reports the median time over the
repeats. Ratios are ``peer time / our time``: above 1 means skperceptron is faster.

Workloads (see ``benchmarks/README.md`` for the details):

1. MLPClassifier (256, 128), relu, adam, 20000 x 784, 10 classes, 3 epochs, batch 200,
   float64 and float32; peak memory of ``fit`` in a fresh subprocess per library/dtype.
2. The same network at batch 32 on 5000 samples (float64 and float32).
3. digits, (64,), 50 epochs, default batch; also scikit-learn with one BLAS thread.
4. PerceptronClassifier against ``sklearn.linear_model.Perceptron``, 100000 x 100.
5. MLPRegressor with L-BFGS, 5000 x 50, (64,), 100 iterations: time per iteration.
6. ``predict`` latency for one row and ``predict_proba`` throughput on the fitted
   models of workloads 3 and 1 (float64).
7. Sparse, text-shaped data: 50000 x 50000 CSR, density 0.002, binary and 20 classes:
   PerceptronClassifier against ``Perceptron`` and ``SGDClassifier(loss="hinge")``,
   and MLPClassifier (64,) against scikit-learn's MLP.
8. Streaming: ``partial_fit`` over 20000 x 50 in batches of 10 and of 100 rows,
   PerceptronClassifier and MLPClassifier (32,) against scikit-learn's; and
   PerceptronClassifier on hashed text, 10000 x 2^18 in batches of 1000 rows.
9. The cost of the regularisers, of the training controls (a schedule with warm-up,
   clipping, AdamW, RMSprop, a frozen first layer) and of recording the training
   history; one AdamW and RMSprop step against Adam's.
10. The fitted models of workloads 3 and 1 exported to ONNX: onnxruntime's one-row
    latency and 10000-row throughput against our ``predict`` (needs the ``[onnx]``
    extra; reported, no target).
11. A new process: ``import skperceptron`` against ``import sklearn.neural_network``,
    and the first ``MLPClassifier(max_iter=5).fit`` on iris with numba against
    ``SKPERCEPTRON_NO_NUMBA=1``.

Measures:

- Matrix-product share (workloads 1 to 3): the time of exactly the matrix products one
  epoch of the fit performs (forward, backward to the weights and to the hidden
  activations, never to X; the same shapes, dtype and BLAS threads as our fit), timed
  alone between the fits of every round, divided by each library's time per epoch.
  What is left is the work around the products: the optimizer step, gathering the
  batch, activations, losses.
- Peak memory of workload 1's ``fit``: see ``MEMORY_METHOD`` below.
- Final training loss (``loss_``, the last epoch's mean objective including the L2
  term) of every library and its relative difference to scikit-learn's, so that speed
  is never bought with wrong maths.
- Workload 4: bytes of X read per second by our epochs, against the bandwidth of a
  memory copy of the same size measured in the same run.

Run from the repository root::

    python benchmarks/bench.py                           # everything, 5 repeats
    python benchmarks/bench.py --workloads 1,3 --repeats 3 --threads 1
    python benchmarks/bench.py --checkouts /tmp/before /tmp/after --threads 1
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
import sklearn
from _report import cpu_model, load_text, print_table  # beside this script
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skperceptron
from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._training import online  # its switch of the CSR one-unit loop (W7)
from skperceptron._utils.kernels import HAVE_NUMBA, compiled, jit

# numba loaded now, as a long fit loads it (a fresh process runs small fits in numpy
# first): the floors of W4/W7 below call the package's compiled loops from loops of
# their own, which must find numba functions when they are imported.
compiled()
from skperceptron._training.online_loops import fixed_order_dot  # noqa: E402
from skperceptron._utils.speed import (  # noqa: E402  the loops' own prefetching
    PREFETCH_AHEAD,
    prefetch_row,
    prefetch_span,
)

OURS, SKLEARN, TORCH = "skperceptron", "scikit-learn", "torch"
#: Our fit with the CSR one-unit loop switched off (``online.SPECIALISED_LOOPS``), W7.
GENERAL = "ours, general loop"
SKLEARN_1T = "sklearn 1-thread"  # scikit-learn with its BLAS limited to one thread
PRODUCTS = "epoch products"  # the matrix products of one epoch, timed alone

#: A timed comparison stops adding repeats once it has run this long and has at least
#: MIN_REPEATS (the median of 3 still discards one outlier). This keeps a full run
#: within a few minutes when a fit is slow: a workload-4 fit takes ~20 s where the
#: online rule, which visits 10^6 samples one at a time, runs as a Python loop.
BUDGET_SECONDS = 45
MIN_REPEATS = 3
#: Calls of predict(X[:1]) per library, and predict_proba repetitions, in workload 6.
LATENCY_CALLS = 2000
THROUGHPUT_ROWS = 10_000
THROUGHPUT_REPEATS = 20

MLP_COMMON = dict(activation="relu", solver="adam", alpha=1e-4, learning_rate_init=1e-3,
                  beta_1=0.9, beta_2=0.999, epsilon=1e-8, shuffle=True, random_state=0,
                  tol=0.0)


# ------------------------------------------------------------------------- timing
@dataclass
class Timing:
    """Wall-clock times of one library's repeats, and what its last call returned."""

    seconds: list = field(default_factory=list)
    results: list = field(default_factory=list)
    #: CPU time of the process (``time.process_time``) during each call: on one BLAS
    #: thread, what a busy machine moves least.
    cpu: list = field(default_factory=list)

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def cpu_median(self):
        return statistics.median(self.cpu)

    @property
    def result(self):
        return self.results[-1]

    @property
    def spread(self):
        return f"{min(self.seconds):.3f}-{max(self.seconds):.3f}"


def time_alternating(candidates: dict, repeats: int, budget=BUDGET_SECONDS) -> dict:
    """Call each ``name -> callable`` ``repeats`` times, interleaved.

    Fewer rounds when the budget (seconds) runs out, but at least MIN_REPEATS.

    Repeat r starts at library r (mod the number of libraries): AB BA AB ... for two,
    ABC BCA CAB ... for three, so that slow drifts in machine load hit every library
    alike and no library always runs right after the same other one (thread pools still
    spinning after a call would otherwise always slow down the same neighbour).
    """
    names = list(candidates)
    timings = {name: Timing() for name in names}
    started = time.perf_counter()
    for r in range(repeats):
        if r >= MIN_REPEATS and time.perf_counter() - started > budget:
            break
        k = r % len(names)
        for name in names[k:] + names[:k]:
            start, start_cpu = time.perf_counter(), time.process_time()
            result = candidates[name]()
            timings[name].seconds.append(time.perf_counter() - start)
            timings[name].cpu.append(time.process_time() - start_cpu)
            timings[name].results.append(result)
    return timings


def _median_call_seconds(function, calls):
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter()
        function()
        times[i] = time.perf_counter() - start
    return float(np.median(times))


def epoch_products(X, hidden, n_outputs, batch_size):
    """A callable running the matrix products of one epoch of our fit, and nothing else.

    Per mini-batch: the forward products of every layer, the weight gradient of every
    layer and the gradient at every hidden activation (not at X), each into a reused
    buffer with the same transposes as ``_layers.Dense``, under the BLAS thread limit
    our fit chooses for this network and batch.
    """
    from skperceptron._engine.activations import get_activation
    from skperceptron._engine.network import Network
    from skperceptron._utils.speed import blas_threads

    dtype = X.dtype
    units = [X.shape[1], *hidden, n_outputs]
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(units[:-1], units[1:])]
    As = [X[:batch_size].copy()] + [np.ones((batch_size, u), dtype) for u in units[1:]]
    dZs = [np.ones((batch_size, u), dtype) for u in units[1:]]
    grads = [np.empty_like(W) for W in Ws]
    dAs = [np.empty((batch_size, u), dtype) for u in units[1:-1]]
    network = Network(tuple(units), tuple(get_activation("relu") for _ in hidden),
                      get_activation("identity"))
    n_batches = -(-X.shape[0] // batch_size)

    def one_epoch():
        with blas_threads(network, batch_size):
            for _ in range(n_batches):
                for layer, W in enumerate(Ws):
                    np.matmul(As[layer], W, out=As[layer + 1])
                for layer in range(len(Ws) - 1, -1, -1):
                    np.matmul(As[layer].T, dZs[layer], out=grads[layer])
                    if layer:
                        np.matmul(dZs[layer], Ws[layer].T, out=dAs[layer - 1])

    return one_epoch


# ------------------------------------------------------------------------- tables
def _ratio(peer_seconds, our_seconds):
    return peer_seconds / our_seconds


def _fmt_ratio(value):
    return "" if value is None else f"{value:.2f}x"


def _rel_diff(value, reference):
    if value is None or reference is None or not np.isfinite(reference) or reference == 0:
        return None
    return (value - reference) / abs(reference)


def _fmt_rel(value):
    return "" if value is None else f"{value:+.2%}"


@dataclass
class Target:
    """One line of the summary: what is asked, what was measured, whether it holds."""

    workload: str
    description: str
    measured: str
    met: bool


# ------------------------------------------------------------------------- data
def _standardised(X):
    return StandardScaler().fit_transform(X)


@lru_cache(maxsize=None)
def classification_data(n_samples, dtype_name):
    """make_classification with 784 features and 10 classes, standardised."""
    X, y = make_classification(n_samples=n_samples, n_features=784, n_informative=20,
                               n_classes=10, random_state=0)
    return _standardised(X).astype(dtype_name), y


@lru_cache(maxsize=None)
def digits_data():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y  # pixel values 0..16 -> [0, 1]


@lru_cache(maxsize=None)
def perceptron_data():
    X, y = make_classification(n_samples=100_000, n_features=100, random_state=0)
    return _standardised(X), y


@lru_cache(maxsize=None)
def regression_data():
    X, y = make_regression(n_samples=5000, n_features=50, n_informative=20, noise=1.0,
                           random_state=0)
    return _standardised(X), (y - y.mean()) / y.std()


# ------------------------------------------------------------------------- torch peer
def load_torch():
    """PyTorch, or None when it is not installed."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    return torch


def torch_mlp_fit(torch, X, y, hidden, *, batch_size, epochs, alpha=1e-4, seed=0):
    """The same MLP and Adam in PyTorch; returns an object with ``loss_`` and ``n_iter_``.

    Weights and biases start from scikit-learn's distribution (uniform in +-sqrt(6 /
    (fan_in + fan_out))), not the same numbers. The L2 penalty is added to each batch's
    loss as ``0.5 * alpha * sum ||W||^2 / batch_size`` (scikit-learn's semantics, exact
    also for a last, smaller batch), not through Adam's ``weight_decay``; the loss
    reported is the epoch's batch-size-weighted mean of that objective, as in
    scikit-learn.
    """
    nn = torch.nn
    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        linear = nn.Linear(fan_in, fan_out, dtype=dtype)
        bound = (6.0 / (fan_in + fan_out)) ** 0.5
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            linear.bias.uniform_(-bound, bound, generator=generator)
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])  # no ReLU after the output layer
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    cross_entropy = nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64))
    n_samples = X.shape[0]
    epoch_loss = np.nan
    for _ in range(epochs):
        order = torch.randperm(n_samples, generator=generator)
        total = 0.0
        for start in range(0, n_samples, batch_size):
            rows = order[start : start + batch_size]
            penalty = sum((w * w).sum() for w in weights)
            loss = cross_entropy(model(Xt[rows]), yt[rows])
            loss = loss + 0.5 * alpha * penalty / len(rows)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        epoch_loss = total / n_samples
    return SimpleNamespace(loss_=epoch_loss, n_iter_=epochs)


# ------------------------------------------------------------------------- MLP workloads
def _mlp_candidates(X, y, hidden, batch_size, epochs, torch, extra_sklearn_1t=False):
    kwargs = dict(MLP_COMMON, hidden_layer_sizes=hidden, batch_size=batch_size,
                  max_iter=epochs, n_iter_no_change=epochs + 1)

    def sklearn_1t():
        with threadpool_limits(1, "blas"):
            return SkMLPClassifier(**kwargs).fit(X, y)

    candidates = {
        OURS: lambda: MLPClassifier(**kwargs).fit(X, y),
        SKLEARN: lambda: SkMLPClassifier(**kwargs).fit(X, y),
    }
    if extra_sklearn_1t:
        candidates[SKLEARN_1T] = sklearn_1t
    if torch is not None:
        torch_batch = min(200, len(X)) if batch_size == "auto" else batch_size
        candidates[TORCH] = lambda: torch_mlp_fit(
            torch, X, y, hidden, batch_size=torch_batch, epochs=epochs)
    return candidates


def time_mlp(ctx, X, y, hidden, batch_size, epochs, extra_sklearn_1t=False):
    """Alternate MLP fits and one epoch of their products; returns (timings, seconds of
    the products per epoch)."""
    candidates = _mlp_candidates(X, y, hidden, batch_size, epochs, ctx.torch,
                                 extra_sklearn_1t)
    batch = min(200, len(X)) if batch_size == "auto" else batch_size
    candidates[PRODUCTS] = epoch_products(X, hidden, int(y.max()) + 1, batch)
    timings = time_alternating(candidates, ctx.repeats)
    return timings, timings.pop(PRODUCTS).median


def _mlp_rows(dtype_name, timings, products, epochs):
    """Table rows for one dtype, and per library its ratio, loss difference, product share."""
    ours = timings[OURS].median
    reference_loss = timings[SKLEARN].result.loss_
    rows, stats = [], {}
    for name, timing in timings.items():
        fitted = timing.result
        share = products / (timing.median / epochs)
        ratio = None if name == OURS else _ratio(timing.median, ours)
        rel = None if name == SKLEARN else _rel_diff(fitted.loss_, reference_loss)
        stats[name] = SimpleNamespace(ratio=ratio, loss_rel=rel, share=share,
                                      seconds=timing.median)
        rows.append([dtype_name, name, f"{timing.median:.3f}", timing.spread,
                     len(timing.seconds), _fmt_ratio(ratio), f"{share:.0%}",
                     fitted.n_iter_, f"{fitted.loss_:.6f}", _fmt_rel(rel)])
    return rows, stats


MLP_HEADER = ["dtype", "library", "median s", "min-max s", "runs", "peer/ours",
              "product share", "epochs", "final loss", "vs sklearn"]


def _product_notes(products):
    parts = ", ".join(f"{d} {seconds * 1e3:.1f} ms" for d, seconds in products.items())
    return [f"product share = the matrix products of one epoch timed alone ({parts}) / "
            "the library's time per epoch; the rest is the work around the products"]


def _loss_targets(workload, stats_by_dtype):
    targets = []
    for dtype_name, stats in stats_by_dtype.items():
        rel = stats[OURS].loss_rel
        targets.append(Target(workload, f"final loss within 5% of sklearn ({dtype_name})",
                              _fmt_rel(rel), rel is not None and abs(rel) <= 0.05))
    return targets


def _mlp_by_dtype(ctx, n_samples, batch_size, keep_models=None):
    """Workloads 1 and 2: the (256, 128) network in float64 and float32.

    Returns (table rows, {dtype: per-library stats}, {dtype: product seconds per epoch}).
    """
    hidden, epochs = (256, 128), 3
    rows, stats_by_dtype, products = [], {}, {}
    for dtype_name in ("float64", "float32"):
        X, y = classification_data(n_samples, dtype_name)
        timings, products[dtype_name] = time_mlp(ctx, X, y, hidden, batch_size, epochs)
        if keep_models and dtype_name == "float64":
            ctx.models[keep_models] = {OURS: timings[OURS].result,
                                       SKLEARN: timings[SKLEARN].result, "X": X}
        dtype_rows, stats_by_dtype[dtype_name] = _mlp_rows(
            dtype_name, timings, products[dtype_name], epochs)
        rows += dtype_rows
    return rows, stats_by_dtype, products


def _ratio_target(workload, description, ratio, need):
    return Target(workload, description, _fmt_ratio(ratio), ratio >= need)


def workload_1(ctx):
    n, batch = 20_000, 200
    rows, stats_by_dtype, products = _mlp_by_dtype(ctx, n, batch, keep_models="w1")
    print_table(
        f"W1  MLPClassifier (256, 128) relu adam, {n} x 784, 10 classes, 3 epochs, "
        f"batch {batch}",
        MLP_HEADER, rows,
        [*_product_notes(products),
         "peer/ours = peer median / our median (>1: skperceptron is faster)"])
    memory = fit_memory(ctx)

    targets = []
    for dtype_name, need in (("float64", 1.5), ("float32", 2.0)):
        ratio = stats_by_dtype[dtype_name][SKLEARN].ratio
        targets.append(
            _ratio_target("W1", f">= {need}x sklearn ({dtype_name})", ratio, need))
    for dtype_name, stats in stats_by_dtype.items():
        if TORCH in stats:
            targets.append(_ratio_target("W1", f">= 1.0x torch ({dtype_name})",
                                         stats[TORCH].ratio, 1.0))
    for dtype_name, stats in stats_by_dtype.items():
        share = stats[OURS].share
        targets.append(Target("W1", f">= 85% matrix-product share ({dtype_name})",
                              f"{share:.0%}", share >= 0.85))
    for dtype_name, by_library in memory.items():
        for mode in ("warm", "cold"):
            ours = by_library[OURS][mode]["peak_mb"]
            theirs = by_library[SKLEARN][mode]["peak_mb"]
            targets.append(Target("W1", f"fit memory <= sklearn's ({dtype_name}, {mode})",
                                  f"{ours:.1f} vs {theirs:.1f} MB", ours <= theirs))
    return targets + _loss_targets("W1", stats_by_dtype)


def workload_2(ctx):
    n, batch = 5000, 32
    rows, stats_by_dtype, products = _mlp_by_dtype(ctx, n, batch)
    print_table(
        f"W2  MLPClassifier (256, 128) relu adam, {n} x 784, 10 classes, 3 epochs, "
        f"batch {batch}",
        MLP_HEADER, rows, _product_notes(products))
    stats = stats_by_dtype["float64"]
    targets = [_ratio_target("W2", ">= 2x sklearn (float64)", stats[SKLEARN].ratio, 2.0)]
    if TORCH in stats:
        targets.append(
            _ratio_target("W2", ">= 1.3x torch (float64)", stats[TORCH].ratio, 1.3))
    return targets + _loss_targets("W2", stats_by_dtype)


def workload_3(ctx):
    hidden, epochs = (64,), 50
    X, y = digits_data()
    timings, products = time_mlp(ctx, X, y, hidden, "auto", epochs, extra_sklearn_1t=True)
    ctx.models["w3"] = {OURS: timings[OURS].result, SKLEARN: timings[SKLEARN].result,
                        "X": X}
    rows, stats = _mlp_rows("float64", timings, products, epochs)
    print_table(
        f"W3  MLPClassifier {hidden} relu adam on digits ({X.shape[0]} x {X.shape[1]}, "
        f"scaled to [0, 1]), {epochs} epochs, batch 200",
        MLP_HEADER, rows,
        [*_product_notes({"float64": products}),
         f"'{SKLEARN_1T}': scikit-learn inside threadpool_limits(1, 'blas')"])
    targets = [
        _ratio_target("W3", ">= 1.5x sklearn", stats[SKLEARN].ratio, 1.5),
        _ratio_target("W3", ">= 1.0x sklearn 1-thread", stats[SKLEARN_1T].ratio, 1.0),
    ]
    return targets + _loss_targets("W3", {"float64": stats})


def copy_bandwidth(nbytes):
    """A callable returning bytes per second of a memory copy of ``nbytes`` (read side)."""
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)

    def measure():
        return src.nbytes / _median_call_seconds(lambda: np.copyto(dst, src), 5)

    return measure


def shuffled_dot_floor(X, seed=0):
    """A callable returning the seconds of the least an online epoch does: one dot
    product per row with a weight vector, rows in a fresh shuffled order, asked for
    ahead as the compiled loops ask (no rule, no update). ``X`` dense or CSR; None
    without numba (the loops are not compiled then either).

    An epoch of any per-sample loop reads every row once in such an order, so a peer's
    epoch time over this one bounds the ratio a loop could reach on this machine.
    """
    if not HAVE_NUMBA:
        return None
    rng = np.random.default_rng(seed)
    w = np.ones(X.shape[1])
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        args = (X.data, X.indices, X.indptr)
        run = _csr_dots
    else:
        args = (np.ascontiguousarray(X),)
        run = _dense_dots
    run(*args, w, np.arange(min(X.shape[0], 10)))  # compile

    def measure():
        order = rng.permutation(X.shape[0])
        start = time.perf_counter()
        run(*args, w, order)
        return time.perf_counter() - start

    return measure


@jit
def _dense_dots(X, w, order):
    total = 0.0
    n = order.shape[0]
    for k in range(n):
        if k + PREFETCH_AHEAD < n:
            prefetch_row(X, order[k + PREFETCH_AHEAD])
        total += fixed_order_dot(X[order[k]], w)
    return total


@jit
def _csr_dots(values, columns, indptr, w, order):
    total = 0.0
    n = order.shape[0]
    for k in range(n):
        if k + 1 < n:
            j = order[k + 1]
            prefetch_span(values, indptr[j], indptr[j + 1])
            prefetch_span(columns, indptr[j], indptr[j + 1])
        i = order[k]
        s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
        start, end = indptr[i], indptr[i + 1]
        stop = start + (end - start) // 4 * 4
        for c in range(start, stop, 4):
            s0 += values[c] * w[columns[c]]
            s1 += values[c + 1] * w[columns[c + 1]]
            s2 += values[c + 2] * w[columns[c + 2]]
            s3 += values[c + 3] * w[columns[c + 3]]
        for c in range(stop, end):
            s0 += values[c] * w[columns[c]]
        total += (s0 + s1) + (s2 + s3)
    return total


def general_loop(fit):
    """``fit`` run with the CSR loop written out for one unit switched off, so that the
    general CSR loop is timed on the same problem."""

    def run():
        online.SPECIALISED_LOOPS = False
        try:
            return fit()
        finally:
            online.SPECIALISED_LOOPS = True

    return run


def _general_note(timings):
    """A note line: what the loop written out for one unit gains over the general one."""
    if GENERAL not in timings:
        return []
    general, ours = timings.pop(GENERAL).median, timings[OURS].median
    return [f"the general per-sample loop (one-unit loop switched off) took {general:.3f} s "
            f"median: {general / ours:.2f}x our fit's time"]


def time_with_floor(candidates, X, repeats):
    """``time_alternating`` with the dot-only floor of ``X`` (``shuffled_dot_floor``)
    timed among the candidates: (the timings without it, its median seconds or None)."""
    floor = shuffled_dot_floor(X)
    if floor is not None:
        candidates = {**candidates, "floor": floor}
    timings = time_alternating(candidates, repeats)
    if floor is None:
        return timings, None
    return timings, statistics.median(timings.pop("floor").results)


def _floor_note(floor, peer_seconds, epochs, ours_seconds):
    """A note line on the shuffled-read floor: its epoch time, and the ratio to a peer
    that a loop at the floor would reach."""
    if floor is None:
        return "dot-only floor: not measured (numba is not installed)"
    peer = peer_seconds / epochs
    return (f"dot-only floor (one dot product per row, rows shuffled, asked for ahead; "
            f"median of the repeats in this run): {floor * 1e3:.1f} ms an epoch, our fit "
            f"{ours_seconds / epochs * 1e3:.1f} ms an epoch; a loop at the floor would "
            f"be {peer / floor:.2f}x the peer")


def workload_4(ctx):
    X, y = perceptron_data()
    epochs = 10
    common = dict(eta0=1.0, max_iter=epochs, tol=None, shuffle=True, random_state=0)
    timings, floor = time_with_floor({
        OURS: lambda: PerceptronClassifier(**common).fit(X, y),
        SKLEARN: lambda: SkPerceptron(**common).fit(X, y),
        "copy": copy_bandwidth(X.nbytes),
    }, X, ctx.repeats)
    copy = statistics.median(timings.pop("copy").results)
    ours = timings[OURS].median
    rows = []
    for name, timing in timings.items():
        ratio = None if name == OURS else _ratio(timing.median, ours)
        fitted = timing.result
        read = X.nbytes * epochs / timing.median  # X is read once per epoch
        rows.append([name, f"{timing.median:.3f}", timing.spread, len(timing.seconds),
                     _fmt_ratio(ratio), f"{X.shape[0] * epochs / timing.median:,.0f}",
                     f"{read / 1e9:.2f}", f"{read / copy:.0%}", fitted.n_iter_,
                     f"{fitted.score(X, y):.4f}"])
    print_table(
        f"W4  PerceptronClassifier vs sklearn Perceptron, {X.shape[0]} x {X.shape[1]}, "
        f"binary, {epochs} epochs, eta0=1, online",
        ["library", "median s", "min-max s", "runs", "peer/ours", "samples/s",
         "X GB/s", "of copy", "epochs", "train accuracy"],
        rows,
        [f"X GB/s = bytes of X read per second (X once per epoch); 'of copy' = that over "
         f"the read bandwidth of np.copyto on {X.nbytes / 1e6:.0f} MB measured in the "
         f"same run ({copy / 1e9:.2f} GB/s)",
         _floor_note(floor, timings[SKLEARN].median, epochs, ours)],
        text_columns=1)
    return [_ratio_target("W4", ">= 2x sklearn Perceptron",
                          _ratio(timings[SKLEARN].median, ours), 2.0)]


def workload_5(ctx):
    X, y = regression_data()
    kwargs = dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=100, alpha=1e-4,
                  random_state=0)
    timings = time_alternating({
        OURS: lambda: MLPRegressor(**kwargs).fit(X, y),
        SKLEARN: lambda: SkMLPRegressor(**kwargs).fit(X, y),
    }, ctx.repeats)
    per_iter = {name: t.median / t.result.n_iter_ for name, t in timings.items()}
    reference_loss = timings[SKLEARN].result.loss_
    rows = []
    for name, timing in timings.items():
        fitted = timing.result
        ratio = None if name == OURS else per_iter[name] / per_iter[OURS]
        rel = None if name == SKLEARN else _rel_diff(fitted.loss_, reference_loss)
        rows.append([name, f"{timing.median:.3f}", timing.spread, len(timing.seconds),
                     fitted.n_iter_, f"{per_iter[name] * 1e3:.2f}", _fmt_ratio(ratio),
                     f"{fitted.loss_:.6g}", _fmt_rel(rel)])
    print_table(
        f"W5  MLPRegressor (64,) lbfgs, {X.shape[0]} x {X.shape[1]}, max_iter=100",
        ["library", "median s", "min-max s", "runs", "iterations", "ms/iteration",
         "peer/ours", "final loss", "vs sklearn"],
        rows, ["peer/ours compares time per L-BFGS iteration (time / n_iter_)"],
        text_columns=1)
    return [_ratio_target("W5", ">= 1.3x sklearn per lbfgs iteration",
                          per_iter[SKLEARN] / per_iter[OURS], 1.3)]


def _fitted_for_prediction(ctx, key):
    """The fitted models of workload 3 or 1 (float64), fitting them if not run."""
    if key not in ctx.models:
        if key == "w3":
            X, y = digits_data()
            hidden, batch, epochs = (64,), "auto", 50
        else:
            X, y = classification_data(20_000, "float64")
            hidden, batch, epochs = (256, 128), 200, 3
        candidates = _mlp_candidates(X, y, hidden, batch, epochs, torch=None)
        ctx.models[key] = {name: fit() for name, fit in candidates.items()} | {"X": X}
    return ctx.models[key]


def predict_latency(estimators, row):
    """Median seconds of ``predict(row)`` per estimator, alternating call by call."""
    for model in estimators.values():  # warm up
        for _ in range(20):
            model.predict(row)
    seconds = {name: np.empty(LATENCY_CALLS) for name in estimators}
    for i in range(LATENCY_CALLS):
        for name, model in estimators.items():
            start = time.perf_counter()
            model.predict(row)
            seconds[name][i] = time.perf_counter() - start
    return {name: float(np.median(t)) for name, t in seconds.items()}


def proba_throughput(estimators, X):
    """Rows per second of ``predict_proba(X)`` per estimator (median call, alternating)."""
    for model in estimators.values():  # warm up
        model.predict_proba(X)
    calls = {name: (lambda m=model: m.predict_proba(X))
             for name, model in estimators.items()}
    timings = time_alternating(calls, THROUGHPUT_REPEATS)
    return {name: X.shape[0] / t.median for name, t in timings.items()}


def workload_6(ctx):
    rows, targets = [], []
    for key, label in (("w3", "digits (64,)"), ("w1", "W1 (256, 128) float64")):
        models = _fitted_for_prediction(ctx, key)
        X = models["X"]
        estimators = {OURS: models[OURS], SKLEARN: models[SKLEARN]}
        latency = predict_latency(estimators, X[:1])
        throughput = proba_throughput(estimators, X[np.arange(THROUGHPUT_ROWS) % len(X)])
        lat_ratio = latency[SKLEARN] / latency[OURS]
        thr_ratio = throughput[OURS] / throughput[SKLEARN]
        for name in estimators:
            mine = name == OURS
            rows.append([label, name, f"{latency[name] * 1e6:.1f}",
                         "" if mine else _fmt_ratio(lat_ratio),
                         f"{throughput[name]:,.0f}", "" if mine else _fmt_ratio(thr_ratio)])
        targets += [
            _ratio_target("W6", f">= 1.5x lower predict latency, {label}", lat_ratio, 1.5),
            _ratio_target("W6", f">= 1.5x predict_proba throughput, {label}", thr_ratio,
                          1.5),
        ]
    print_table(
        "W6  prediction on fitted models",
        ["model", "library", "predict(X[:1]) us", "peer/ours", "predict_proba rows/s",
         "ours/peer"],
        rows,
        [f"latency: median of {LATENCY_CALLS} calls per library, alternating call by call",
         f"throughput: {THROUGHPUT_ROWS} rows per call, median of {THROUGHPUT_REPEATS} "
         "calls"])
    return targets


class OnnxPredictor:
    """An onnxruntime session of a classifier exported by ``skl2onnx.to_onnx``, with
    ``predict`` and ``predict_proba`` as the timing helpers of workload 6 call them.
    Both run the whole graph, which computes the labels and the probabilities."""

    def __init__(self, estimator, X, threads):
        import onnxruntime as ort
        from skl2onnx import to_onnx

        import skperceptron.onnx  # noqa: F401  (registers the converters)

        model = to_onnx(estimator, X[:1], options={"zipmap": False})
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model.SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])

    def predict(self, X):
        return self.session.run(None, {"X": X})[0]

    def predict_proba(self, X):
        return self.session.run(None, {"X": X})[1]


def workload_10(ctx):
    """onnxruntime against our ``predict`` on the fitted models of workloads 3 and 1."""
    if importlib.util.find_spec("skl2onnx") is None or \
            importlib.util.find_spec("onnxruntime") is None:
        print("\nW10 skipped: it needs the [onnx] extra (skl2onnx, onnxruntime)")
        return []
    rows = []
    for key, label in (("w3", "digits (64,)"), ("w1", "W1 (256, 128) float64")):
        models = _fitted_for_prediction(ctx, key)
        X, ours = models["X"], models[OURS]
        runtime = OnnxPredictor(ours, X, ctx.threads or ctx.blas_threads)
        batch = X[np.arange(THROUGHPUT_ROWS) % len(X)]
        ours_proba, runtime_proba = ours.predict_proba(batch), runtime.predict_proba(batch)
        agreement = (f"labels {np.mean(runtime.predict(batch) == ours.predict(batch)):.2%}, "
                     f"proba {np.max(np.abs(runtime_proba - ours_proba) / np.maximum(ours_proba, 1e-300)):.1e}")
        estimators = {OURS: ours, "onnxruntime": runtime}
        latency = predict_latency(estimators, X[:1])
        throughput = proba_throughput(estimators, batch)
        for name in estimators:
            mine = name == OURS
            rows.append([label, name, f"{latency[name] * 1e6:.1f}",
                         "" if mine else _fmt_ratio(latency[name] / latency[OURS]),
                         f"{throughput[name]:,.0f}",
                         "" if mine else _fmt_ratio(throughput[OURS] / throughput[name]),
                         "" if mine else agreement])
    print_table(
        "W10  the same models exported to ONNX (double), run by onnxruntime",
        ["model", "runtime", "predict(X[:1]) us", "peer/ours", "predict_proba rows/s",
         "ours/peer", "onnxruntime vs ours"],
        rows,
        [f"one row: median of {LATENCY_CALLS} calls of predict(X[:1]) (onnxruntime: "
         "session.run, labels and probabilities), alternating call by call",
         f"rows/s: {THROUGHPUT_ROWS} rows per call of predict_proba (onnxruntime: "
         f"session.run), median of {THROUGHPUT_REPEATS} calls",
         "agreement on those rows: share of equal labels, largest relative difference "
         "of a probability",
         f"onnxruntime: {ctx.threads or ctx.blas_threads} intra-op thread(s), the "
         "BLAS threads of numpy"])
    return []


# ------------------------------------------------------------------------- sparse, streams
@lru_cache(maxsize=None)
def text_data(n_samples=50_000, n_features=50_000, density=0.002, n_classes=2):
    """Text-shaped CSR data: ~density * n_features terms per row, tf-idf-like values.

    Each row draws its terms uniformly and gives them exponential weights, normalised
    to unit length as TfidfVectorizer does; the labels come from a random linear model
    (the class of highest score), so that the perceptron has something to learn.
    """
    rng = np.random.default_rng(0)
    per_row = int(round(density * n_features))
    columns = rng.integers(0, n_features, size=(n_samples, per_row)).astype(np.int32)
    values = rng.exponential(size=(n_samples, per_row))
    indptr = np.arange(0, n_samples * per_row + 1, per_row)
    X = sp.csr_matrix((values.ravel(), columns.ravel(), indptr),
                      shape=(n_samples, n_features))
    X.sum_duplicates()  # a term drawn twice in a row counts once, with both weights
    X = sp.csr_matrix(X.multiply(1 / np.sqrt(X.multiply(X).sum(axis=1))))
    scores = X @ rng.standard_normal((n_features, max(n_classes, 2)))
    if n_classes == 2:
        y = (scores[:, 0] > np.median(scores[:, 0])).astype(int)
    else:
        y = np.argmax(scores, axis=1)
    return X, y


def _ratio_rows(label, timings, extra=lambda fitted: []):
    ours = timings[OURS].median
    rows = []
    for name, timing in timings.items():
        ratio = None if name == OURS else _ratio(timing.median, ours)
        rows.append([label, name, f"{timing.median:.3f}", timing.spread,
                     len(timing.seconds), _fmt_ratio(ratio), *extra(timing.result)])
    return rows


def workload_7(ctx):
    """Sparse text-shaped data: the perceptron and a (64,) MLP."""
    rows, targets, notes = [], [], []
    for n_classes in (2, 20):
        X, y = text_data(n_classes=n_classes)
        common = dict(max_iter=10, tol=None, random_state=0)
        candidates = {
            OURS: lambda: PerceptronClassifier(**common).fit(X, y),
            SKLEARN: lambda: SkPerceptron(**common).fit(X, y),
            "sklearn SGD hinge": lambda: SGDClassifier(loss="hinge", **common).fit(X, y),
        }
        if n_classes == 2:  # one unit: one dot product a row, the floor's
            candidates[GENERAL] = general_loop(candidates[OURS])
            timings, floor = time_with_floor(candidates, X, ctx.repeats)
            notes += ["2 classes: " + line for line in _general_note(timings)]
            notes.append("2 classes: " + _floor_note(floor, timings[SKLEARN].median, 10,
                                                      timings[OURS].median))
        else:
            timings = time_alternating(candidates, ctx.repeats)
        label = f"Perceptron, {n_classes} classes, 10 epochs"
        rows += _ratio_rows(label, timings, lambda f: [f"{f.score(X, y):.4f}"])
        for peer, name in ((SKLEARN, "Perceptron"), ("sklearn SGD hinge", "SGD hinge")):
            targets.append(_ratio_target(
                "W7", f">= 2x sklearn {name} ({n_classes} classes)",
                _ratio(timings[peer].median, timings[OURS].median), 2.0))
    X, y = text_data(n_classes=20)
    kwargs = dict(MLP_COMMON, hidden_layer_sizes=(64,), max_iter=1, n_iter_no_change=2)
    timings = time_alternating({
        OURS: lambda: MLPClassifier(**kwargs).fit(X, y),
        SKLEARN: lambda: SkMLPClassifier(**kwargs).fit(X, y),
    }, ctx.repeats)
    rows += _ratio_rows("MLP (64,), 20 classes, 1 epoch", timings,
                        lambda f: [f"{f.score(X, y):.4f}"])
    targets.append(_ratio_target("W7", ">= 2x sklearn MLP on sparse input",
                                 _ratio(timings[SKLEARN].median, timings[OURS].median),
                                 2.0))
    print_table(
        f"W7  sparse text-shaped data, {X.shape[0]} x {X.shape[1]} CSR, "
        f"{X.nnz / X.shape[0]:.0f} non-zeros per row",
        ["model", "library", "median s", "min-max s", "runs", "peer/ours",
         "train accuracy"], rows, notes)
    return targets


def _stream(make, X, y, batch_size):
    classes = np.unique(y)

    def run():
        model = make()
        for start in range(0, X.shape[0], batch_size):
            model.partial_fit(X[start:start + batch_size], y[start:start + batch_size],
                              classes=classes)
        return model

    return run


def workload_8(ctx):
    """partial_fit over a stream of small batches."""
    X, y = make_classification(n_samples=20_000, n_features=50, n_informative=10,
                               random_state=0)
    X = _standardised(X)
    rows, targets = [], []
    models = {
        "Perceptron": (lambda: PerceptronClassifier(random_state=0),
                       lambda: SkPerceptron(random_state=0)),
        "MLP (32,)": (lambda: MLPClassifier((32,), random_state=0),
                      lambda: SkMLPClassifier((32,), random_state=0)),
    }
    for batch_size in (10, 100):
        for label, (ours, theirs) in models.items():
            timings = time_alternating({
                OURS: _stream(ours, X, y, batch_size),
                SKLEARN: _stream(theirs, X, y, batch_size),
            }, ctx.repeats)
            calls = -(-X.shape[0] // batch_size)
            rows += _ratio_rows(f"{label}, batches of {batch_size}", timings,
                                lambda f, t=timings: [])
            rows[-2].append(f"{timings[OURS].median / calls * 1e6:.1f}")
            rows[-1].append(f"{timings[SKLEARN].median / calls * 1e6:.1f}")
            targets.append(_ratio_target(
                "W8", f">= 1.5x sklearn, {label}, batches of {batch_size}",
                _ratio(timings[SKLEARN].median, timings[OURS].median), 1.5))
    print_table(
        f"W8  partial_fit over {X.shape[0]} x {X.shape[1]} in small batches",
        ["model", "library", "median s", "min-max s", "runs", "peer/ours",
         "us per call"], rows)
    return targets + _hashed_text_stream(ctx)


def hashed_text(n_docs=10_000, n_features=2**18, seed=0):
    """A generated corpus hashed as scikit-learn's out-of-core example hashes its
    documents: 5 to 40 words a document from a vocabulary of 20,000, two classes
    told apart by which half of the vocabulary their words lean to."""
    from sklearn.feature_extraction.text import HashingVectorizer

    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(20_000)])
    y = rng.integers(0, 2, n_docs)
    docs = []
    for label in y:
        words = rng.integers(0, 20_000, rng.integers(5, 41))
        leaning = rng.random(words.shape[0]) < 0.3
        words[leaning] = words[leaning] % 10_000 + 10_000 * label
        docs.append(" ".join(vocabulary[words]))
    X = HashingVectorizer(n_features=n_features, alternate_sign=False).transform(docs)
    return X.tocsr(), y


def _timed_stream(make, batches, classes):
    """One stream: a new model's partial_fit on each batch (sliced beforehand, as a
    reader of files would hand them over); returns the seconds of each call."""

    def run():
        model, seconds = make(), []
        for X, y in batches:
            start = time.perf_counter()
            model.partial_fit(X, y, classes=classes)
            seconds.append(time.perf_counter() - start)
        return np.array(seconds)

    return run


def _hashed_text_stream(ctx):
    """W8, hashed text: PerceptronClassifier.partial_fit on batches of 1,000 rows of
    2^18 columns; a call's cost should follow the non-zeros, not the columns.

    Timed call by call in alternating streams. The target is a call's cost once the
    model exists (the median of the calls after the first, over every stream); the
    first call, which also makes the 2^18 weights (their fresh memory pages cost
    about as much as the call), and the whole stream are reported beside it."""
    X, y = hashed_text()
    classes = np.unique(y)
    batches = [(X[start:start + 1000], y[start:start + 1000])
               for start in range(0, X.shape[0], 1000)]
    timings = time_alternating({
        OURS: _timed_stream(lambda: PerceptronClassifier(random_state=0), batches, classes),
        SKLEARN: _timed_stream(lambda: SkPerceptron(random_state=0), batches, classes),
    }, max(ctx.repeats, 9))
    calls = {name: np.array(t.results) for name, t in timings.items()}  # (streams, calls)
    later = {name: float(np.median(c[:, 1:])) for name, c in calls.items()}
    first = {name: float(np.median(c[:, 0])) for name, c in calls.items()}
    rows = []
    for name, c in calls.items():
        mine = name == OURS
        rows.append([name, f"{later[name] * 1e3:.3f}",
                     "" if mine else _fmt_ratio(_ratio(later[name], later[OURS])),
                     f"{first[name] * 1e3:.2f}",
                     "" if mine else _fmt_ratio(_ratio(first[name], first[OURS])),
                     f"{timings[name].median * 1e3:.1f}",
                     "" if mine else _fmt_ratio(_ratio(timings[name].median,
                                                       timings[OURS].median)),
                     c.shape[0]])
    print_table(
        f"W8  partial_fit on hashed text: {X.shape[0]} x {X.shape[1]} CSR "
        f"({X.nnz / X.shape[0]:.0f} stored values a row), {len(batches)} batches of 1000",
        ["library", "later call ms", "peer/ours", "first call ms", "peer/ours",
         "stream ms", "peer/ours", "streams"], rows,
        ["later call: the median over every stream of the calls after the first; "
         "first call: the median of the first calls (it makes the weights); stream: "
         "the median stream, all calls"])
    return [_ratio_target("W8", ">= 1.5x sklearn per call, Perceptron on hashed text",
                          _ratio(later[SKLEARN], later[OURS]), 1.5)]


# ------------------------------------------------------------------------- startup
_IMPORT = "import time; t = time.perf_counter(); import {module}; " \
          "print(time.perf_counter() - t)"
_FIRST_FIT = """
import time, warnings
from sklearn.datasets import load_iris
from skperceptron import MLPClassifier
warnings.simplefilter("ignore")
X, y = load_iris(return_X_y=True)
t = time.perf_counter()
MLPClassifier(max_iter=5, random_state=0).fit(X, y)
print(time.perf_counter() - t)
"""


def _fresh_process_seconds(code, env_extra=None):
    """What ``code``, run in a new Python process, prints: a time in seconds."""
    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def workload_11(ctx):
    """A new process: the import, and the first fit on iris, with and without numba."""
    repeats = max(ctx.repeats, 5)
    imports = {name: [] for name in ("sklearn.neural_network", "skperceptron")}
    fits = {name: [] for name in ("with numba", "SKPERCEPTRON_NO_NUMBA=1")}
    for r in range(repeats):  # alternating, as time_alternating does
        for name in (list(imports) if r % 2 == 0 else list(imports)[::-1]):
            imports[name].append(_fresh_process_seconds(_IMPORT.format(module=name)))
        for name in (list(fits) if r % 2 == 0 else list(fits)[::-1]):
            env = {"SKPERCEPTRON_NO_NUMBA": "1"} if name.startswith("SKP") else None
            fits[name].append(_fresh_process_seconds(_FIRST_FIT, env))
    rows = []
    for group in (imports, fits):
        base = statistics.median(next(iter(group.values())))
        for name, seconds in group.items():
            median = statistics.median(seconds)
            rows.append([name, f"{median * 1e3:.0f}",
                         f"{min(seconds) * 1e3:.0f}-{max(seconds) * 1e3:.0f}",
                         len(seconds), f"{median / base:.2f}"])
    print_table("W11  a new process: import, and the first MLPClassifier(max_iter=5) fit "
                "on iris (ms; ratio to the first row of each pair)",
                ["what", "median ms", "min-max ms", "runs", "ratio"], rows)
    import_ratio = (statistics.median(imports["skperceptron"])
                    / statistics.median(imports["sklearn.neural_network"]))
    fit_ratio = (statistics.median(fits["with numba"])
                 / statistics.median(fits["SKPERCEPTRON_NO_NUMBA=1"]))
    return [Target("W11", "import <= 1.2x sklearn.neural_network's", f"{import_ratio:.2f}x",
                   import_ratio <= 1.2),
            Target("W11", "first iris fit <= 2x the plain-numpy first fit",
                   f"{fit_ratio:.2f}x", fit_ratio <= 2.0)]


# ------------------------------------------------------------------------- memory
MEMORY_METHOD = (
    "fit memory: each library and dtype is fitted in a fresh Python process that "
    "loads the data with np.load and imports the library first; 'peak' and 'sampled' "
    "measure a fit that follows a small warm-up fit (50 rows), the 'cold' columns the "
    "first fit of the process (with one-time costs such as loading compiled kernels). "
    "'peak' = the kernel's high-water mark of the resident set (VmHWM in "
    "/proc/self/status, reset to the current RSS just before fit by writing 5 to "
    "/proc/self/clear_refs) after fit - RSS before fit; it cannot miss a short peak "
    "(where the reset is not allowed, 'peak' repeats 'sampled'). (ru_maxrss cannot be "
    "used as is: a child "
    "process inherits its parent's high-water mark across fork and exec.) 'sampled' = "
    "highest RSS read from /proc/self/statm every 1 ms by a thread during fit - RSS "
    "before fit, a cross-check."
)


def _status_bytes(key):
    """A 'kB' line of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak_rss():
    """Restart the kernel's high-water mark from the current RSS (Linux >= 4.0).

    Returns whether that worked.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _memory_probe(library, data_dir, mode):
    """Run in a subprocess: fit workload 1's model once and print the memory as JSON.

    ``mode`` "warm" first fits the same network on 50 rows, so that one-time costs
    (compiling or loading compiled kernels, lazy imports) are paid before measuring.
    """
    X = np.load(os.path.join(data_dir, "X.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    estimator = {OURS: MLPClassifier, SKLEARN: SkMLPClassifier}[library]
    kwargs = dict(MLP_COMMON, hidden_layer_sizes=(256, 128), batch_size=200, max_iter=3,
                  n_iter_no_change=4)
    if mode == "warm":
        compiled()  # numba, which the fit below loads and one on 50 rows would not
        estimator(**kwargs).fit(X[:50].copy(), y[:50])
    model = estimator(**kwargs)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.001)

    reset = _reset_peak_rss()
    before = _rss_bytes()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    model.fit(X, y)
    done.set()
    sampler.join()
    sampled = max(peak[0], _rss_bytes()) - before
    high_water = _status_bytes("VmHWM") - before if reset else sampled
    print(json.dumps({"peak_mb": high_water / 2**20, "sampled_mb": sampled / 2**20}))


def fit_memory(ctx):
    """Peak memory of workload 1's fit per dtype and library, each in a subprocess."""
    results = {}
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        for dtype_name in ("float64", "float32"):
            X, y = classification_data(20_000, dtype_name)
            np.save(os.path.join(data_dir, "X.npy"), X)
            np.save(os.path.join(data_dir, "y.npy"), y)
            results[dtype_name] = {}
            for library in (OURS, SKLEARN):
                cold, warm = (_run_memory_probe(ctx, library, data_dir, mode)
                              for mode in ("cold", "warm"))
                results[dtype_name][library] = {"warm": warm, "cold": cold}
                rows.append([dtype_name, library, f"{warm['peak_mb']:.1f}",
                             f"{warm['sampled_mb']:.1f}", f"{cold['peak_mb']:.1f}",
                             f"{cold['sampled_mb']:.1f}", f"{X.nbytes / 2**20:.1f}"])
    print_table("W1  peak memory of fit (MB)",
                ["dtype", "library", "peak", "sampled", "cold peak", "cold sampled",
                 "size of X"], rows,
                textwrap.wrap(MEMORY_METHOD, 88))
    return results


def _run_memory_probe(ctx, library, data_dir, mode):
    command = [sys.executable, os.path.abspath(__file__),
               "--memory-probe", library, data_dir, mode]
    if ctx.threads is not None:
        command += ["--threads", str(ctx.threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the memory probe of {library} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------- setup
def _numpy_blas():
    blas = [m for m in threadpool_info() if m["user_api"] == "blas"]
    mine = [m for m in blas if "numpy" in m["filepath"]] or blas
    return mine[0] if mine else None


def versions_text(torch_text):
    """One line: the versions of Python and of every library a comparison runs."""
    numba = ("not installed" if importlib.util.find_spec("numba") is None
             else importlib.metadata.version("numba"))
    return (f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, skperceptron {skperceptron.__version__}, "
            f"numba {numba}, torch {torch_text}")


def describe_machine(ctx):
    blas = _numpy_blas()
    blas_text = ("none found" if blas is None else
                 f"{blas['internal_api']} {blas.get('version')} "
                 f"({blas.get('architecture', '?')}, {blas.get('threading_layer', '?')})")
    numba = importlib.util.find_spec("numba")
    numba_text = (f"yes ({importlib.metadata.version('numba')})" if numba is not None
                  else "no")
    torch_text = ctx.torch.__version__ if ctx.torch is not None else "not installed"
    print("Machine and libraries")
    print("=====================")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores")
    print(versions_text(torch_text))
    print(f"numpy's BLAS: {blas_text}; threads: {ctx.blas_threads}"
          + ("" if ctx.threads is None else " (set by --threads)"))
    if ctx.torch is not None:
        print(f"torch threads: {ctx.torch.get_num_threads()}")
    print(f"numba visible to skperceptron: {numba_text}")
    print(f"repeats: {ctx.repeats} per comparison (fewer, but at least {MIN_REPEATS}, once "
          f"a comparison has run {BUDGET_SECONDS} s)")
    print(f"load average before the run: {load_text()}")


def warm_up(ctx):
    """One small untimed fit per library, so that no workload pays for first calls
    (lazy imports, PyTorch's kernel set-up, thread pool start)."""
    X, y = digits_data()
    for fit in _mlp_candidates(X[:400], y[:400], (16,), 50, 2, ctx.torch).values():
        fit()


#: W9's training controls, each fitted beside the plain fit: (settings, the largest
#: time / plain that meets the target, or None to report only).
CONTROLS = {
    "cosine + warmup_epochs=1": (dict(learning_rate="cosine", warmup_epochs=1), 1.03),
    "clip_grad_norm=1": (dict(clip_grad_norm=1.0), 1.03),
    "cosine + warm-up + clip": (dict(learning_rate="cosine", warmup_epochs=1,
                                     clip_grad_norm=1.0), 1.03),
    "solver='adamw'": (dict(solver="adamw"), None),
    "solver='rmsprop'": (dict(solver="rmsprop"), None),
    "frozen_layers=[0]": (dict(frozen_layers=[0]), None),
}


def workload_9(ctx):
    """The cost of the regularisers and of the training controls on W1's shape, each fit
    against the plain one, of recording the training history (the time a plain fit
    spends in it), and of one AdamW and RMSprop step against Adam's."""
    n, batch, epochs = 20_000, 200, 3
    X, y = classification_data(n, "float64")
    kwargs = dict(MLP_COMMON, hidden_layer_sizes=(256, 128), batch_size=batch,
                  max_iter=epochs, n_iter_no_change=epochs + 1)
    variants = {
        "plain": {},
        "dropout=0.2": dict(dropout=0.2),
        "batch_norm": dict(batch_norm=True),
        "batch_norm + dropout=0.2": dict(batch_norm=True, dropout=0.2),
        "penalty='l1'": dict(penalty="l1"),
    }
    candidates = {name: (lambda extra=extra: MLPClassifier(**kwargs, **extra).fit(X, y))
                  for name, extra in variants.items()}
    timings = time_alternating(candidates, ctx.repeats)
    plain = timings["plain"].median
    rows = [[name, f"{t.median:.3f}", t.spread, len(t.seconds), f"{t.median / plain:.2f}x"]
            for name, t in timings.items()]
    print_table(
        f"W9  regularisers, MLPClassifier (256, 128) relu adam, {n} x 784 float64, "
        f"{epochs} epochs, batch {batch}",
        ["configuration", "median s", "min-max s", "runs", "time / plain"], rows)
    limits = {"dropout=0.2": 1.15, "batch_norm": 1.30}
    targets = [Target("W9", f"{name} <= {limit:.2f}x the plain fit",
                      f"{timings[name].median / plain:.2f}x",
                      timings[name].median / plain <= limit)
               for name, limit in limits.items()]
    targets += training_controls(ctx, kwargs, X, y)
    targets += optimizer_steps(ctx, kwargs, X, y)
    shares = [_history_share(MLPClassifier(**kwargs), X, y) for _ in range(3)]
    share = float(np.median(shares))
    print(f"training history: {share:.2%} of the plain fit's time is spent recording it "
          f"(time inside History.observe / fit time; median of 3 fits, "
          f"{min(shares):.2%}-{max(shares):.2%})")
    return targets + [Target("W9", "training history <= 3% of the plain fit",
                             f"{share:.2%}", share <= 0.03)]


def training_controls(ctx, kwargs, X, y):
    """W9's training controls, each fit against the plain one (alternating). All
    ``ctx.repeats`` rounds run, whatever their time: the targets are within 3%."""
    variants = {"plain": {}, **{name: extra for name, (extra, _) in CONTROLS.items()}}
    candidates = {name: (lambda extra=extra: MLPClassifier(**{**kwargs, **extra}).fit(X, y))
                  for name, extra in variants.items()}
    timings = time_alternating(candidates, ctx.repeats, budget=np.inf)
    plain, plain_cpu = timings["plain"].median, timings["plain"].cpu_median
    rows = [[name, f"{t.median:.3f}", t.spread, len(t.seconds), f"{t.median / plain:.3f}x",
             f"{t.cpu_median:.3f}", f"{t.cpu_median / plain_cpu:.3f}x",
             _clipped_share(t.result)]
            for name, t in timings.items()]
    print_table(
        f"W9  training controls on the same fit ({kwargs['max_iter']} epochs)",
        ["configuration", "median s", "min-max s", "runs", "time / plain", "CPU s",
         "CPU / plain", "clipped"],
        rows, ["CPU: the process's CPU time (medians), which other processes' load moves "
               "less than the wall time on one BLAS thread (--threads 1); the targets read "
               "it. clipped: the share of the fit's steps whose gradient was clipped "
               "(clipped_steps_)"], text_columns=1, wrap=88)
    return [Target("W9", f"{name} <= {limit:.2f}x the plain fit (CPU time)",
                   f"{timings[name].cpu_median / plain_cpu:.3f}x",
                   timings[name].cpu_median / plain_cpu <= limit)
            for name, (_, limit) in CONTROLS.items() if limit]


def _clipped_share(fitted):
    """The share of a fit's steps that were clipped, or '' without clipping."""
    if fitted.clip_grad_norm is None and fitted.clip_grad_value is None:
        return ""
    steps = fitted.n_iter_ * -(-fitted.t_ // fitted.n_iter_ // fitted.batch_size)
    return f"{fitted.clipped_steps_.sum() / steps:.0%}"


#: Steps timed per optimizer in a round of ``optimizer_steps``.
STEPS_PER_ROUND = 50


def optimizer_steps(ctx, kwargs, X, y):
    """One optimizer step over W1's parameters (float64 and float32), as a fit takes it
    (the L2 term on the weights), AdamW and RMSprop against Adam: the median time per
    step over rounds of STEPS_PER_ROUND steps, the optimizers alternating."""
    from skperceptron._engine.optimizers import Adam, AdamW, RMSprop

    fitted = MLPClassifier(**{**kwargs, "max_iter": 1}).fit(X[:400], y[:400])
    params = fitted._optimizer.m.size
    n_coef = sum(W.size for W in fitted.coefs_)
    rows, targets = [], []
    for dtype in (np.float64, np.float32):
        rng = np.random.RandomState(0)
        grads = [rng.normal(size=params).astype(dtype) * 1e-2 for _ in range(4)]
        makers = {"adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}

        def steps(make):
            optimizer = make(params, dtype, learning_rate_init=1e-3)
            theta = rng.normal(size=params).astype(dtype)
            l2 = dtype(1e-4 / 200)

            def run():
                for k in range(STEPS_PER_ROUND):
                    optimizer.step(theta, grads[k % 4], l2, n_coef)
            return run

        candidates = {name: steps(make) for name, make in makers.items()}
        for run in candidates.values():
            run()  # compile or load the loops
        timings = time_alternating(candidates, max(ctx.repeats, 5) * 10, budget=np.inf)
        adam = timings["adam"].median / STEPS_PER_ROUND
        for name, timing in timings.items():
            per_step = timing.median / STEPS_PER_ROUND
            rows.append([np.dtype(dtype).name, name, f"{per_step * 1e6:.0f}",
                         f"{timing.median / timings['adam'].median:.3f}x"])
            if name != "adam":
                targets.append(Target(
                    "W9", f"{name} step <= adam's ({np.dtype(dtype).name})",
                    f"{per_step / adam:.3f}x", per_step <= adam * 1.02))
    print_table(f"W9  one optimizer step on W1's {params} parameters ({n_coef} weights, "
                f"L2 on them); numba: {HAVE_NUMBA}",
                ["dtype", "optimizer", "us per step", "time / adam"], rows,
                [f"median over rounds of {STEPS_PER_ROUND} steps, the optimizers "
                 "alternating; 'at most Adam's' is met within 2% (the rounds' noise)"])
    return targets


def _history_share(estimator, X, y):
    """The share of a fit's time spent recording the training history: the time inside
    ``History.observe`` (per step, the gradient norms and the saturation) over the fit's.
    Measured inside one fit, so the machine's noise moves both alike."""
    from skperceptron._training import history as _history

    observe, spent = _history.History.observe, []

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        observe(self, *args, **kwargs)
        spent.append(time.perf_counter() - start)

    _history.History.observe = timed
    try:
        start = time.perf_counter()
        estimator.fit(X, y)
        total = time.perf_counter() - start
    finally:
        _history.History.observe = observe
    return sum(spent) / total


# ------------------------------------------------------------ two checkouts side by side
def load_checkout(root, alias):
    """The skperceptron package of the checkout ``root``, imported in this process
    beside the installed one under the name ``alias``.

    It is imported as ``skperceptron`` (loading numba swaps the kernels in the modules
    of that name: ``kernels._load_numba``) with numba loaded at once, then its modules
    are renamed; the package this script imported keeps its name."""
    import importlib

    ours = {k: sys.modules.pop(k) for k in list(sys.modules)
            if k == "skperceptron" or k.startswith("skperceptron.")}
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module("skperceptron")
        package._utils.kernels.compiled()
        if not package.__file__.startswith(str(root)):
            raise SystemExit(f"{root} has no skperceptron package of its own")
        for key in [k for k in sys.modules
                    if k == "skperceptron" or k.startswith("skperceptron.")]:
            sys.modules[alias + key[len("skperceptron"):]] = sys.modules.pop(key)
    finally:
        sys.path.remove(str(root))
        sys.modules.update(ours)
    return package


def compare_checkouts(roots, rounds):
    """W1-W3 of our MLP from two checkouts (``roots``: before, after) in this process,
    fit by fit alternating (AB BA ...), after a warm-up of each: the median wall and
    CPU time (``time.process_time``, which a busy machine moves less) of each, their
    ratios after / before, and whether the final losses are equal."""
    packages = {"before": load_checkout(roots[0], "skperceptron_before"),
                "after": load_checkout(roots[1], "skperceptron_after")}
    X3, y3 = digits_data()
    for package in packages.values():
        for dtype in ("float64", "float32"):
            package.MLPClassifier(hidden_layer_sizes=(16,), max_iter=2, **MLP_COMMON).fit(
                X3[:400].astype(dtype), y3[:400])
    w1 = dict(hidden_layer_sizes=(256, 128), max_iter=3, n_iter_no_change=4)
    workloads = {
        "W1 float64": (20_000, "float64", dict(w1, batch_size=200), rounds),
        "W1 float32": (20_000, "float32", dict(w1, batch_size=200), rounds),
        "W2 float64": (5000, "float64", dict(w1, batch_size=32), rounds),
        "W2 float32": (5000, "float32", dict(w1, batch_size=32), rounds),
        "W3": (None, None, dict(hidden_layer_sizes=(64,), max_iter=50, n_iter_no_change=51),
               3 * rounds),
    }
    rows = []
    for name, (n, dtype, kwargs, repeats) in workloads.items():
        X, y = digits_data() if n is None else classification_data(n, dtype)
        wall, cpu, losses = ({k: [] for k in packages} for _ in range(3))
        for r in range(repeats):
            for k in (list(packages) if r % 2 == 0 else list(packages)[::-1]):
                start, start_cpu = time.perf_counter(), time.process_time()
                fitted = packages[k].MLPClassifier(**MLP_COMMON, **kwargs).fit(X, y)
                wall[k].append(time.perf_counter() - start)
                cpu[k].append(time.process_time() - start_cpu)
                losses[k].append(fitted.loss_)
        paired = [a / b for a, b in zip(cpu["after"], cpu["before"])]
        med = {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in packages}
        rows.append([name, repeats, f"{med['before'][0]:.3f}", f"{med['after'][0]:.3f}",
                     f"{med['after'][0] / med['before'][0]:.3f}", f"{med['before'][1]:.3f}",
                     f"{med['after'][1]:.3f}", f"{med['after'][1] / med['before'][1]:.3f}",
                     f"{min(paired):.2f}-{max(paired):.2f}",
                     "yes" if losses["before"] == losses["after"] else "no"])
    print_table(f"Our W1-W3 fits, {roots[0]} (before) against {roots[1]} (after)",
                ["workload", "runs", "wall before", "after", "ratio", "CPU before", "after",
                 "ratio", "paired CPU", "same losses"], rows,
                ["medians over the runs, each fit of one checkout followed by the other's "
                 "(AB BA ...); ratio = after / before; paired CPU: the range of after / "
                 "before within each pair"], text_columns=1)


def print_summary(targets, ran):
    print("\nTargets")
    print("=======")
    width = max((len(t.description) for t in targets), default=0)
    for target in targets:
        status = "met" if target.met else "NOT MET"
        print(f"{target.workload:<3} {target.description:<{width}}  "
              f"{target.measured:>20}  {status}")
    skipped = sorted(set(WORKLOADS) - set(ran))
    if skipped:
        print("not run: " + ", ".join(f"W{w}" for w in skipped))
    met = sum(t.met for t in targets)
    print(f"{met} of {len(targets)} targets met")


WORKLOADS = {1: workload_1, 2: workload_2, 3: workload_3, 4: workload_4, 5: workload_5,
             6: workload_6, 7: workload_7, 8: workload_8, 9: workload_9, 10: workload_10,
             11: workload_11}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time skperceptron against scikit-learn and PyTorch.")
    parser.add_argument("--workloads", default=",".join(map(str, WORKLOADS)),
                        help="comma-separated workload numbers (default: all, 1-11)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed fits per library and workload (default: 5; "
                             f"at least {MIN_REPEATS} but fewer once a comparison has run "
                             f"{BUDGET_SECONDS} s)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for every library (default: leave as is)")
    parser.add_argument("--no-torch", action="store_true",
                        help="leave PyTorch out even when it is installed")
    parser.add_argument("--memory-probe", nargs=3, metavar=("LIBRARY", "DATA_DIR", "MODE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--checkouts", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="time our W1-W3 fits from two checkouts of the repository "
                             "(e.g. git worktrees) in one process, alternating, and stop")
    args = parser.parse_args(argv)
    try:
        args.workloads = sorted({int(w) for w in args.workloads.split(",") if w.strip()})
    except ValueError:
        parser.error("--workloads takes numbers separated by commas, e.g. 1,3")
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose among 1-11")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if args.threads is not None:
        # Applies to every BLAS and OpenMP library loaded so far, until restored (never).
        threadpool_limits(limits=args.threads)
    if args.memory_probe:
        _memory_probe(*args.memory_probe)
        return
    if args.checkouts:
        print(f"load average before the run: {load_text()}")
        compare_checkouts(args.checkouts, args.repeats)
        print(f"load average after the run: {load_text()}")
        return
    torch = None if args.no_torch else load_torch()
    blas = _numpy_blas()
    blas_threads = blas["num_threads"] if blas is not None else 1
    if torch is not None:
        torch.set_num_threads(args.threads or blas_threads)
    ctx = SimpleNamespace(repeats=args.repeats, threads=args.threads, torch=torch,
                          blas_threads=blas_threads, models={})
    describe_machine(ctx)
    warm_up(ctx)
    targets = []
    started = time.perf_counter()
    for number in args.workloads:
        targets += WORKLOADS[number](ctx)
    print_summary(targets, args.workloads)
    print(f"total wall time: {time.perf_counter() - started:.0f} s; "
          f"load average after the run: {load_text()}")
    print("(a load average before the run well above 0, or wide min-max ranges, mean "
          "that other work competed for the processors: rerun on a quiet machine)")


if __name__ == "__main__":
    main()
