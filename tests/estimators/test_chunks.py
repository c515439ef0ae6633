"""Out-of-core training: epochs of partial_fit over chunks of a memory map."""

import json
import os
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import scipy.sparse as sp
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import SGDClassifier

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, fit_chunks
from skperceptron._utils.kernels import compiled

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _memmap(tmp_path, X):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


@pytest.fixture
def classification(standardised_classification):
    return standardised_classification()


@pytest.mark.parametrize(
    "make",
    [
        # The logistic neuron: the step perceptron's last iterate on non-separable data
        # jumps by several points from one epoch to the next, in memory or not. A small
        # step keeps the logistic neuron's last iterate steady (with eta0=0.01 it moves
        # by about 1 point between orders of the same data; with 0.001, 0.4 at most
        # over 8 seeds).
        lambda: PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.001,
                                     random_state=0),
        lambda: MLPClassifier(hidden_layer_sizes=(32,), random_state=0),
    ],
    ids=["logistic-neuron", "mlp"],
)
def test_chunked_training_of_a_memmap_matches_in_memory_accuracy(make, classification,
                                                                 tmp_path):
    X, y = classification
    X_train, X_test, y_train, y_test = X[:5000], X[5000:], y[:5000], y[5000:]
    epochs = 5
    # Chunks of a multiple of the MLP's 200-row batches, so that both take the same
    # number of steps (chunks of 700 would end each in a short batch: 16% more steps).
    chunked = fit_chunks(make(), _memmap(tmp_path, X_train), y_train, chunk_size=1000,
                         epochs=epochs)
    in_memory = make().set_params(max_iter=epochs, tol=0.0).fit(X_train, y_train)
    assert chunked.t_ == epochs * 5000
    # The same number of passes over the same data in another order: accuracy within
    # 1 point (the requirement), on 1000 held-out samples (accuracies are multiples of
    # 1/1000, so 1e-9 only absorbs the rounding of their difference).
    difference = abs(chunked.score(X_test, y_test) - in_memory.score(X_test, y_test))
    assert difference <= 0.01 + 1e-9
    assert chunked.coefs_[0].dtype == np.float32


def test_seeded_chunked_training_is_reproducible_and_order_depends_on_the_seed(
    classification, tmp_path
):
    X, y = classification
    X_map = _memmap(tmp_path, X)
    runs = [
        fit_chunks(PerceptronClassifier(random_state=seed), X_map, y, chunk_size=1000,
                   epochs=2).coef_
        for seed in (0, 0, 1)
    ]
    assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_chunked_regression_passes_sample_weights_on(tmp_path):
    X, y = make_regression(n_samples=2000, n_features=8, noise=0.1, random_state=0)
    y = (y - y.mean()) / y.std()
    X_map = _memmap(tmp_path, X)

    def fit(weights):
        reg = MLPRegressor(hidden_layer_sizes=(16,), random_state=0)
        return fit_chunks(reg, X_map, y, chunk_size=300, epochs=3, sample_weight=weights)

    plain = fit(None)
    # Unit weights rescale to exactly 1: the same arithmetic as no weights.
    for a, b in zip(fit(np.ones(2000)).coefs_, plain.coefs_):
        assert_array_equal(a, b)
    uneven = fit(np.random.RandomState(1).uniform(0.1, 2.0, 2000))
    assert not np.array_equal(uneven.coefs_[0], plain.coefs_[0])
    assert plain.t_ == 3 * 2000


def test_chunk_arguments_are_checked():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=True)
    with pytest.raises(ValueError, match="chunk_size is required unless X is a dask array"):
        fit_chunks(MLPRegressor(), X, y)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=5, epochs=0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fit_chunks(MLPRegressor(), X, y[:5], chunk_size=5)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples.*sample_weight"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=5, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="Expected a 2D array"):
        fit_chunks(MLPRegressor(), np.zeros(10), y, chunk_size=5)
    with pytest.raises(TypeError, match="partial_fit.*solver='sgd' or 'adam'"):
        fit_chunks(MLPRegressor(solver="lbfgs"), X, y, chunk_size=5)


def test_the_row_blocks_of_a_dask_array_are_the_default_chunks():
    da = pytest.importorskip("dask.array")
    X, y = make_classification(n_samples=1000, n_features=5, random_state=0)
    seen = []
    clf = PerceptronClassifier(random_state=0)
    fit_partially = clf.partial_fit

    def recording(X_chunk, *args, **kwargs):
        seen.append(X_chunk.shape[0])
        return fit_partially(X_chunk, *args, **kwargs)

    clf.partial_fit = recording
    blocks = (300, 100, 450, 150)
    fit_chunks(clf, da.from_array(X, chunks=(blocks, 5)), y, epochs=2)
    assert sorted(seen) == sorted(2 * blocks)
    assert clf.t_ == 2 * 1000


def _resident_bytes(path):
    """Bytes of the file at ``path`` mapped into this process and resident in memory."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's header line
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1]) * 1024
    return total


@pytest.mark.slow  # a few seconds (a subprocess, a memory map, a parallel search)
@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads Linux's smaps")
@pytest.mark.parametrize(
    "estimator, shuffle",
    [
        (MLPClassifier(hidden_layer_sizes=(8,), random_state=0), True),  # shuffles itself
        (MLPClassifier(hidden_layer_sizes=(8,), random_state=0), False),
        (SGDClassifier(random_state=0), True),  # is given a shuffled copy
    ],
    ids=["shuffling-itself", "in-order", "shuffled-copy"],
)
def test_a_memmap_larger_than_the_budget_keeps_about_one_chunk_in_memory(
    estimator, shuffle, tmp_path
):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, 80))  # 64 MB of float64
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int8)
    path = tmp_path / "X.npy"
    np.save(path, X)
    del X
    X_map = np.load(path, mmap_mode="r")
    chunk_bytes = 10_000 * 80 * 8  # 6.4 MB
    # The kernel maps a file in folios of up to 2 MiB (a huge page), so the pages
    # resident around a chunk may reach up to 2 MiB past either end of it.
    budget = chunk_bytes + 2 * 2**21
    assert path.stat().st_size > 5 * budget
    # The first fit of a process loads compiled code; that is not data: load it first
    # (numba too, which a small fit would not load and the measured one would).
    compiled()
    clone(estimator).partial_fit(X_map[:10], y[:10], classes=[0, 1])
    resident = []
    fit_partially = estimator.partial_fit

    def recording(*args, **kwargs):
        result = fit_partially(*args, **kwargs)
        resident.append(_resident_bytes(path))  # every page of the chunk has been read
        return result

    estimator.partial_fit = recording
    tracemalloc.start()
    try:
        fit_chunks(estimator, X_map, y, chunk_size=10_000, epochs=2, shuffle=shuffle)
        allocated = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(resident) == 2 * 10
    # Without releasing the pages read, the map would end the epoch 64 MB resident.
    assert max(resident) <= budget
    # Memory allocated besides: a shuffled copy of one chunk for the estimator that
    # does not shuffle by itself; otherwise no copy at all, not even one of a byte per
    # value (the boolean array of np.isfinite, chunk_bytes / 8 of float64, which took
    # 0.16-0.17 chunk here): 0.06-0.08 chunk, the labels' encodings and row orders.
    copies = 1 if isinstance(estimator, SGDClassifier) else 0
    assert allocated <= copies * chunk_bytes + chunk_bytes / 8
    assert estimator.score(X_map[:5000], y[:5000]) > 0.9


def test_a_later_partial_fit_checks_finite_inputs_without_a_copy():
    # A later call's check that X and y are finite: np.isfinite would hold a byte per
    # value (a quarter of a float32 chunk of fit_chunks); the sum holds none.
    X, y = make_classification(n_samples=20_000, n_features=400, random_state=0)
    X = X.astype(np.float32)
    estimator = PerceptronClassifier(random_state=0).partial_fit(X[:100], y[:100],
                                                                classes=[0, 1])
    tracemalloc.start()
    estimator.partial_fit(X, y)
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # np.isfinite(X) alone: X.size bytes, 8 MB; what the call holds is 1.5 MB: a few
    # arrays of a row each (the row order, the labels' encoding, 160 kB each) and the
    # overflow check's float64 rows, 65,536 values (512 kB) at a time.
    assert allocated < X.size / 4, allocated
    X[5, 3] = 3e38  # finite values whose float32 sum overflows go through validation
    X[6, 3] = 3e38
    estimator.partial_fit(X, y)
    assert np.isfinite(estimator.coef_).all()


def test_a_later_partial_fit_on_sparse_rows_checks_their_stored_values():
    # A later call takes a CSR or CSC matrix of the fitted width without scikit-learn's
    # validation when its stored values are known finite; anything else goes through.
    X, y = make_classification(n_samples=200, n_features=30, random_state=0)
    X[X < 0.5] = 0.0
    estimator = PerceptronClassifier(random_state=0).partial_fit(
        sp.csr_matrix(X[:100]), y[:100], classes=[0, 1])
    for bad, message in ((np.nan, "Input X contains NaN"),
                         (np.inf, "Input X contains infinity")):
        for form in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
            rows = form(X[100:])
            rows.data[3] = bad
            with pytest.raises(ValueError, match=message):
                estimator.partial_fit(rows, y[100:])
    with pytest.raises(ValueError, match="has 29 features, but PerceptronClassifier is "
                                         "expecting 30 features"):
        estimator.partial_fit(sp.csr_matrix(X[100:, 1:]), y[100:])
    wide = sp.csr_matrix(X[100:].astype(np.float32))
    wide.data[:2] = 3e38  # finite, but the float32 sum overflows: validation decides
    estimator.partial_fit(wide, y[100:])
    assert np.isfinite(estimator.coef_).all()


def test_non_finite_chunks_get_the_estimators_own_errors():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    X[250, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fit_chunks(MLPClassifier(random_state=0), X, y, chunk_size=100, shuffle=False)
    X[250, 2] = 0.0
    values = X[:, 0].copy()
    values[150] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        fit_chunks(MLPRegressor(random_state=0), X, values, chunk_size=100, shuffle=False)
    weights = np.ones(300)
    weights[50] = np.nan
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        fit_chunks(MLPClassifier(random_state=0), X, y, chunk_size=100, shuffle=False,
                   sample_weight=weights)


def test_chunked_training_is_a_sequence_of_partial_fits(classification):
    X, y = classification
    X = X.astype(np.float32)
    chunked = fit_chunks(MLPClassifier(hidden_layer_sizes=(8,), random_state=0), X, y,
                         chunk_size=1000, shuffle=False)
    by_hand = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for start in range(0, X.shape[0], 1000):
        by_hand.partial_fit(X[start:start + 1000], y[start:start + 1000],
                            classes=np.unique(y))
    for a, b in zip(chunked.coefs_ + chunked.intercepts_,
                    by_hand.coefs_ + by_hand.intercepts_):
        assert_array_equal(a, b)


#: A fresh process trains with fit_chunks on a memory map and prints the highest
#: resident set of the training above the process's baseline, as
#: benchmarks/out_of_core.py measures it: the kernel's high-water mark (VmHWM),
#: restarted from the resident set just before training (/proc/self/clear_refs).
_PEAK_OF_FIT_CHUNKS = """
import gc, json, sys, warnings
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from skperceptron import MLPClassifier, PerceptronClassifier, fit_chunks
from skperceptron._utils.kernels import compiled

warnings.simplefilter("ignore", ConvergenceWarning)
x_path, y_path, model, chunk_size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024


X = np.load(x_path, mmap_mode="r")
y = np.load(y_path)
classes = np.unique(y)
estimator = (MLPClassifier(hidden_layer_sizes=(64,), batch_size=200, random_state=0)
             if model == "mlp" else PerceptronClassifier(random_state=0))
# The baseline: the first fit of a process loads (or compiles) its kernels, here for
# the read-only rows of a memory map as in the measured fit, a one-time cost; numba
# first, which the measured fit would load and a small one does not.
compiled()
fit_chunks(clone(estimator), X[:1000], y[:1000], chunk_size=500, classes=classes)
gc.collect()
baseline = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
fit_chunks(estimator, X, y, chunk_size=chunk_size, classes=classes)
print(json.dumps({"peak": status("VmHWM") - baseline,
                  "accuracy": estimator.score(np.asarray(X[:20000]), y[:20000])}))
"""


def _budget_chunk_rows(budget, n_features, itemsize, n_classes):
    """benchmarks/out_of_core.py's ``chunk_rows``: one chunk of X plus what a chunk
    takes per row besides (a row order, the labels and one-hot targets) within 90% of
    the budget."""
    per_row = n_features * itemsize + 8 + 2 + n_classes * (8 + itemsize)
    return int(0.9 * budget) // per_row


@pytest.mark.slow  # about 5 s each: a 236 MB file and a fresh process
@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK),
                    reason="restarts Linux's high-water mark of the resident set")
@pytest.mark.parametrize("model", ["mlp", "perceptron"])
def test_training_on_a_memmap_peaks_within_the_budget_its_chunks_are_sized_for(
    model, tmp_path
):
    # Issue 20: a later partial_fit checked each chunk with np.isfinite, a copy of a
    # byte per value (a quarter of a float32 chunk, 23.6 MB here), and the peak went
    # over the budget: 121.0-125.2 MB (MLP), 124.8-124.9 MB (perceptron). The check is
    # now the chunk's sum (speed.known_finite).
    budget, n_features, n_classes = 120 * 10**6, 100, 4
    chunk = _budget_chunk_rows(budget, n_features, 4, n_classes)
    n_rows = 5 * chunk // 2  # two chunks and a half: 236 MB
    x_path, y_path = tmp_path / "X.npy", tmp_path / "y.npy"
    rng = np.random.default_rng(0)
    y = np.empty(n_rows, dtype=np.int8)
    header = {"descr": "<f4", "fortran_order": False, "shape": (n_rows, n_features)}
    with open(x_path, "wb") as f:  # written a block at a time, never whole in memory
        np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, n_rows, 50_000):
            block = rng.standard_normal((min(50_000, n_rows - start), n_features),
                                        dtype=np.float32)
            y[start:start + block.shape[0]] = np.argmax(block[:, :n_classes], axis=1)
            f.write(block.data)
    np.save(y_path, y)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF_FIT_CHUNKS, str(x_path), str(y_path), model,
         str(chunk)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["peak"] <= budget, f"{result['peak'] / 1e6:.1f} MB"
    assert result["accuracy"] > 0.5  # it did train (chance: 0.25; 0.81-0.98 here)


def test_batch_norm_chunks_of_one_row_join_their_neighbour():
    from skperceptron._chunks import _no_single_rows

    assert _no_single_rows([(0, 4), (4, 8), (8, 9)]) == [(0, 4), (4, 9)]
    assert _no_single_rows([(0, 1), (1, 3), (3, 5)]) == [(0, 3), (3, 5)]
    assert _no_single_rows([(0, 1)]) == [(0, 1)]  # one row in all: partial_fit refuses
    X, y = make_classification(n_samples=201, n_features=5, random_state=0)
    # 201 rows in chunks of 50: the last chunk, one row, trains with the 50 before it.
    clf = fit_chunks(MLPClassifier(hidden_layer_sizes=(4,), batch_norm=True,
                                   batch_size=20, random_state=0), X, y,
                     chunk_size=50, shuffle=False)
    assert clf.t_ == 201
    with pytest.raises(ValueError, match="one row"):
        fit_chunks(MLPClassifier(batch_norm=True, random_state=0), X[:1], y[:1],
                   chunk_size=50, classes=[0, 1])
