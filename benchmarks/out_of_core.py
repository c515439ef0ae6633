"""Out-of-core training: ``fit_chunks`` on a memory map larger than a memory budget.

The data set, by default 2,000,000 x 100 float32 (800 MB), is written to a ``.npy`` file
chunk by chunk, so that it is never whole in memory; the labels (int8) go to a second,
small ``.npy`` file. The labels come from a fixed random "teacher" network, ``argmax(
tanh(X @ W1) @ W2 + noise)`` over 4 classes, so they can be learnt. The last 20,000
rows are held out for the accuracy and never trained on.

Every measured training runs in a fresh Python process, so that its peak memory is its
own:

- **out-of-core**: opens X with ``np.load(mmap_mode="r")`` and trains with
  ``skperceptron.fit_chunks`` on the training rows, with a chunk size derived from the
  memory budget (see ``chunk_rows``);
- **in-memory**: copies the first 200,000 rows into memory and trains with ``fit`` for
  the same number of epochs, for the throughput a fit reaches without reading a file.

Both report the wall time of the training, samples per second, the peak resident set
(VmHWM of /proc/self/status, restarted from the current RSS just before training), the
peak above the process's baseline, and the accuracy on the held-out rows. The verdict
compares the out-of-core peak with the budget plus the size of the model.

Run from the repository root::

    python benchmarks/out_of_core.py                         # 2,000,000 x 100, 200 MB
    python benchmarks/out_of_core.py --model perceptron --repeats 1
    python benchmarks/out_of_core.py --rows 200000 --budget-mb 40   # a quick run
"""

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

import skperceptron
from skperceptron import MLPClassifier, PerceptronClassifier, fit_chunks
from skperceptron._utils.kernels import compiled

from _report import load_text, print_table  # beside this script

MB = 10**6  # sizes are in decimal megabytes: 2,000,000 x 100 float32 = 800 MB
OUT_OF_CORE, IN_MEMORY = "out-of-core", "in-memory"
#: The teacher: classes, hidden units, and the standard deviation of the noise added to
#: its outputs (which are of order 2), so that a few per cent of the labels are noisy.
N_CLASSES = 4
TEACHER_HIDDEN = 16
TEACHER_NOISE = 0.5
SEED = 0
#: Rows generated at a time (20 MB of float32 at 100 features).
GENERATION_ROWS = 50_000
HELD_OUT = 20_000
#: Rows of the untimed first fit of each child (see ``measure``).
WARM_UP_ROWS = 1000
#: Interval of the thread that samples the resident set during training (seconds).
SAMPLE_SECONDS = 0.002


# ------------------------------------------------------------------------- data
def teacher(n_features):
    """The weights of the network that labels the data."""
    rng = np.random.default_rng(SEED)
    W1 = rng.standard_normal((n_features, TEACHER_HIDDEN)) / np.sqrt(n_features)
    W2 = rng.standard_normal((TEACHER_HIDDEN, N_CLASSES))
    return W1.astype(np.float32), W2.astype(np.float32)


def generate(x_path, y_path, n_rows, n_features):
    """Write X (float32) and y (int8) to ``.npy`` files, GENERATION_ROWS rows at a time.

    Chunk i draws from a generator seeded with (SEED, i), so the data do not depend on
    anything but the sizes. Returns the seconds taken.
    """
    started = time.perf_counter()
    W1, W2 = teacher(n_features)
    y = np.empty(n_rows, dtype=np.int8)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
              "fortran_order": False, "shape": (n_rows, n_features)}
    with open(x_path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for i, start in enumerate(range(0, n_rows, GENERATION_ROWS)):
            stop = min(start + GENERATION_ROWS, n_rows)
            rng = np.random.default_rng([SEED, i])
            X = rng.standard_normal((stop - start, n_features), dtype=np.float32)
            noise = rng.standard_normal((stop - start, N_CLASSES), dtype=np.float32)
            y[start:stop] = np.argmax(np.tanh(X @ W1) @ W2 + TEACHER_NOISE * noise, axis=1)
            f.write(X.data)
    np.save(y_path, y)
    check = np.load(x_path, mmap_mode="r")
    if check.shape != (n_rows, n_features) or check.dtype != np.float32:
        raise RuntimeError(f"{x_path} reads back as {check.shape} {check.dtype}")
    return time.perf_counter() - started


def read_through(path, block=16 * MB):
    """Read a file with plain reads, so that it is in the page cache; returns seconds."""
    started = time.perf_counter()
    buffer = bytearray(block)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buffer):
            pass
    return time.perf_counter() - started


def chunk_rows(budget_bytes, n_features, itemsize, n_classes, y_itemsize=1, copies=1):
    """Rows per chunk of ``fit_chunks`` that keep its data within ``budget_bytes``.

    ``fit_chunks`` holds, for every chunk, the rows read from X (for a memory map: their
    file pages, given back after the chunk) and, only for an estimator that does not
    shuffle rows itself, a shuffled copy (``copies=2``); this library's estimators do
    shuffle (``copies=1``). The rest is small but counted: a row permutation (int64), the
    chunk's labels and their shuffled copy, and inside ``partial_fit`` the one-hot
    targets, which the label binarizer builds as int64 before they are converted to X's
    dtype. At 100 float32 features that rest is 13% of the total; the mini-batch
    buffers (200 rows) and the model are negligible. 10% of the budget is left for the
    pages the kernel maps around a chunk's ends (in folios of up to 2 MiB) and for the
    allocator's own overhead.
    """
    per_row = (copies * n_features * itemsize + 8 + 2 * y_itemsize
               + n_classes * (8 + itemsize))
    return max(1, int(0.9 * budget_bytes) // per_row)


# ------------------------------------------------------------------------- memory
def status_bytes(key):
    """A 'kB' line of /proc/self/status (VmRSS, VmHWM, RssFile, ...) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def reset_peak_rss():
    """Restart the kernel's high-water mark (VmHWM) from the current RSS; True if done."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def statm():
    """(resident bytes, of which file-backed) from /proc/self/statm.

    The second field counts the resident pages of mapped files (and of shared memory,
    which none of these processes uses): libraries' code, and a memory map of X.
    """
    with open("/proc/self/statm") as f:
        fields = f.read().split()
    page = os.sysconf("SC_PAGE_SIZE")
    return int(fields[1]) * page, int(fields[2]) * page


class RssSampler:
    """A thread reading /proc/self/statm: the highest RSS, and how much of it was
    file-backed (pages of mapped files, such as a memory map of X) or anonymous."""

    def __init__(self):
        self.peak = self.file_at_peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self):
        resident, shared = statm()
        if resident > self.peak:
            self.peak, self.file_at_peak = resident, shared

    def _run(self):
        while not self._done.is_set():
            self._read()
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self):
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self._read()


# ------------------------------------------------------------------------- children
def make_estimator(model, epochs):
    """The estimator of both children. ``max_iter``, ``tol`` and early stopping only
    matter to ``fit``: each ``partial_fit`` call of ``fit_chunks`` is one pass."""
    if model == "mlp":
        return MLPClassifier(hidden_layer_sizes=(64,), batch_size=200, solver="adam",
                             random_state=0, max_iter=epochs, tol=0.0,
                             n_iter_no_change=epochs + 1, early_stopping=False)
    return PerceptronClassifier(random_state=0, max_iter=epochs, tol=None,
                                early_stopping=False)


def measure(args):
    """Run in a fresh process: train once in ``args.child`` mode; print JSON results.

    The baseline is the RSS after the imports, the construction of the estimator and an
    untimed fit of a copy of it on WARM_UP_ROWS rows, the same way as the measured one:
    that first fit loads compiled kernels and lazily imported modules, a one-time cost
    of the process (reported as ``warm_up_bytes``: baseline - RSS after the imports and
    the construction) that is no part of the data's memory.
    """
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    estimator = make_estimator(args.model, args.epochs)
    rss_start = status_bytes("VmRSS")
    n_train = args.rows - HELD_OUT
    X_map = np.load(args.path, mmap_mode="r")
    y_warm = np.array(np.load(args.labels, mmap_mode="r")[:WARM_UP_ROWS])
    compiled()  # numba, which a fit of the full data loads and a small one would not
    if args.child == OUT_OF_CORE:
        # On the memory map's own rows, as the measured fit: they are read-only, and
        # numba compiles (or loads from its cache) a kernel for read-only arrays apart
        # from the one for writable copies. Warmed up on a copy, the measured fit would
        # load that kernel, or compile it when the cache is cold (11.6 MB more for the
        # perceptron in a 50 MB run).
        fit_chunks(clone(estimator), X_map[:WARM_UP_ROWS], y_warm,
                   chunk_size=WARM_UP_ROWS // 2, classes=np.arange(N_CLASSES))
    else:
        clone(estimator).fit(np.array(X_map[:WARM_UP_ROWS]), y_warm)
    del y_warm
    gc.collect()
    baseline, baseline_file = statm()
    result = {"mode": args.child, "rss_start": rss_start, "baseline": baseline,
              "baseline_file": baseline_file, "warm_up_bytes": baseline - rss_start}
    if args.child == OUT_OF_CORE:
        chunk = chunk_rows(args.budget_mb * MB, X_map.shape[1], X_map.dtype.itemsize,
                           N_CLASSES)
        y = np.load(args.labels)
        reset = reset_peak_rss()
        with RssSampler() as sampler:
            start = time.perf_counter()
            fit_chunks(estimator, X_map[:n_train], y[:n_train], chunk_size=chunk,
                       epochs=args.epochs)
            seconds = time.perf_counter() - start
            peak = status_bytes("VmHWM")
        result.update(rows=n_train, chunk_size=int(chunk),
                      n_chunks=-(-n_train // chunk))
    else:
        rows = min(args.in_memory_rows, n_train)
        X = np.array(X_map[:rows])
        y = np.array(np.load(args.labels, mmap_mode="r")[:rows])
        # Close the map, whose pages would stay in the RSS, and restart the high-water
        # mark: the peak is the fit's, with its data in memory (counted above baseline).
        del X_map
        gc.collect()
        result["data_loaded"] = status_bytes("VmRSS")
        reset = reset_peak_rss()
        with RssSampler() as sampler:
            start = time.perf_counter()
            estimator.fit(X, y)
            seconds = time.perf_counter() - start
            peak = status_bytes("VmHWM")
        del X
        result.update(rows=rows)
    if not reset:  # VmHWM then includes the start-up; the sampled peak cannot
        peak = sampler.peak
    result.update(
        epochs=args.epochs, seconds=seconds,
        samples_per_second=result["rows"] * args.epochs / seconds,
        peak=peak, peak_above_baseline=peak - baseline, peak_reset=reset,
        sampled_peak=sampler.peak, sampled_file=sampler.file_at_peak,
        model_bytes=int(sum(a.nbytes for a in [*estimator.coefs_, *estimator.intercepts_])),
    )
    X_test = np.array(np.load(args.path, mmap_mode="r")[-HELD_OUT:])
    y_test = np.load(args.labels)[-HELD_OUT:]
    result["accuracy"] = float(estimator.score(X_test, y_test))
    print(json.dumps(result))


def run_child(args, mode, x_path, y_path):
    command = [sys.executable, os.path.abspath(__file__), "--child", mode,
               "--path", x_path, "--labels", y_path, "--rows", str(args.rows),
               "--features", str(args.features), "--epochs", str(args.epochs),
               "--budget-mb", str(args.budget_mb), "--model", args.model,
               "--in-memory-rows", str(args.in_memory_rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {mode} process failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------- report
def _mb(n_bytes):
    return f"{n_bytes / MB:.1f}"


def _note(text):
    print(textwrap.fill(text, 90, initial_indent="  ", subsequent_indent="  ",
                        break_on_hyphens=False))


def _meminfo():
    values = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0]) * 1024
    return values


def _blas_threads():
    blas = [m for m in threadpool_info() if m["user_api"] == "blas"]
    return ", ".join(f"{m['internal_api']} {m['num_threads']}" for m in blas) or "none"


def report(runs, args, file_bytes):
    rows = []
    ooc, mem = runs[OUT_OF_CORE], runs[IN_MEMORY]
    throughput = {mode: statistics.median(r["samples_per_second"] for r in rs)
                  for mode, rs in runs.items()}
    for mode, results in runs.items():
        seconds = [r["seconds"] for r in results]
        speeds = [r["samples_per_second"] for r in results]
        ratio = throughput[mode] / throughput[IN_MEMORY]
        rows.append([mode, f"{results[0]['rows']:,}", args.epochs,
                     f"{statistics.median(seconds):.2f}",
                     f"{min(seconds):.2f}-{max(seconds):.2f}",
                     f"{statistics.median(speeds):,.0f}",
                     f"{min(speeds):,.0f}-{max(speeds):,.0f}",
                     "" if mode == IN_MEMORY else f"{ratio:.2f}",
                     _mb(max(r["peak"] for r in results)),
                     _mb(max(r["peak_above_baseline"] for r in results)),
                     _mb(max(r["baseline"] for r in results)),
                     f"{statistics.median(r['accuracy'] for r in results):.4f}"])
    first = ooc[0]
    print_table(
        f"{args.model}: {args.rows:,} x {args.features} float32 ({_mb(file_bytes)} MB), "
        f"budget {args.budget_mb} MB, chunk {first['chunk_size']:,} rows "
        f"({first['n_chunks']} chunks), {args.repeats} repeat(s)",
        ["mode", "rows", "epochs", "median s", "min-max s", "samples/s", "min-max",
         "ooc/in-mem", "peak RSS MB", "above baseline", "baseline MB", "accuracy"],
        rows,
        [("samples/s = rows x epochs / training time (median, min-max over the repeats); "
          "ooc/in-mem = ratio of the median throughputs"),
         ("peak RSS = VmHWM of the training process, restarted from the current RSS "
          "just before training (largest over the repeats); above baseline = peak - RSS "
          "of the process with numpy, scipy, scikit-learn and skperceptron imported, the "
          f"estimator built and a first fit done on {WARM_UP_ROWS} rows (which loads "
          "compiled kernels: "
          f"{_mb(statistics.median(r['warm_up_bytes'] for r in ooc))} MB here, once per "
          "process); 'in-memory' counts its copy of the rows above its baseline"),
         f"accuracy on the last {HELD_OUT:,} rows, never trained on (median)"],
        text_columns=1, wrap=90)

    model = max(r["model_bytes"] for r in ooc)
    limit = args.budget_mb * MB + model
    above = max(r["peak_above_baseline"] for r in ooc)
    absolute = max(r["peak"] for r in ooc)
    print("\nVerdict (out-of-core)")
    print("=====================")
    print(f"budget {args.budget_mb} MB + model {model:,} bytes = {_mb(limit)} MB")
    print(f"peak RSS above baseline <= budget + model: {'yes' if above <= limit else 'no'} "
          f"({_mb(above)} MB vs {_mb(limit)} MB)   <- the verdict")
    print(f"peak RSS (absolute)     <= budget + model: "
          f"{'yes' if absolute <= limit else 'no'} ({_mb(absolute)} MB vs {_mb(limit)} MB)")
    _note("The verdict uses the peak above the baseline: the budget is for the data and "
          "the training, while the interpreter with its libraries (the baseline, "
          f"{_mb(max(r['baseline'] for r in ooc))} MB) is there whatever the data size.")
    _note(f"RSS after the imports and the construction of the estimator: "
          f"{_mb(max(r['rss_start'] for r in ooc))} MB; the first fit on {WARM_UP_ROWS} "
          f"rows then adds {_mb(max(r['warm_up_bytes'] for r in ooc))} MB (compiled "
          "kernels, lazy imports), which the baseline includes.")
    at_peak = max(ooc, key=lambda r: r["sampled_peak"])
    file_part = at_peak["sampled_file"] - at_peak["baseline_file"]
    anonymous = at_peak["sampled_peak"] - at_peak["sampled_file"] - (
        at_peak["baseline"] - at_peak["baseline_file"])
    chunk_bytes = at_peak["chunk_size"] * args.features * 4
    _note(f"At the sampled peak ({_mb(at_peak['sampled_peak'])} MB, a thread reading "
          f"/proc/self/statm every {SAMPLE_SECONDS * 1000:.0f} ms), file-backed pages had "
          f"grown by {_mb(file_part)} MB above the baseline's (pages of the memory map; "
          f"one chunk is {_mb(chunk_bytes)} MB, the training rows "
          f"{_mb(file_bytes * (args.rows - HELD_OUT) / args.rows)} MB), anonymous memory "
          f"by {_mb(anonymous)} MB.")
    if file_part > 2.5 * chunk_bytes:
        _note("The pages of chunks already used stay mapped and count in the RSS. They "
              "are clean page cache, which the kernel can drop under memory pressure, "
              "but a cgroup memory limit charges them as well.")
    else:
        _note("About one chunk's pages were resident at a time: those of chunks already "
              "used were released.")
    if not all(r["peak_reset"] for r in ooc + mem):
        _note("(the high-water mark could not be reset here: the peaks are those of a "
              f"thread sampling the RSS every {SAMPLE_SECONDS * 1000:.0f} ms)")


# ------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Out-of-core training with fit_chunks on a memory map, against fit "
                    "on data in memory.")
    parser.add_argument("--rows", type=int, default=2_000_000, help="default 2,000,000")
    parser.add_argument("--features", type=int, default=100, help="default 100")
    parser.add_argument("--epochs", type=int, default=1, help="default 1")
    parser.add_argument("--budget-mb", type=int, default=200,
                        help="memory budget for fit_chunks' data, MB = 10^6 bytes "
                             "(default 200); sets the chunk size")
    parser.add_argument("--model", choices=("mlp", "perceptron"), default="mlp",
                        help="MLPClassifier((64,), batch 200, adam) or "
                             "PerceptronClassifier (default mlp)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="training processes per mode, alternating (default 3)")
    parser.add_argument("--in-memory-rows", type=int, default=200_000,
                        help="rows of the in-memory fit (default 200,000)")
    parser.add_argument("--path", default=None,
                        help="the data file to write (default: in a new temporary "
                             "directory); the labels go next to it, *_y.npy")
    parser.add_argument("--keep", action="store_true",
                        help="keep the data files instead of deleting them at the end")
    parser.add_argument("--child", choices=(OUT_OF_CORE, IN_MEMORY), help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("rows", "features", "epochs", "budget_mb", "repeats", "in_memory_rows"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.path))):
        parser.error(f"--path: the directory of {args.path} does not exist")
    if args.rows <= HELD_OUT:
        parser.error(f"--rows must be above the {HELD_OUT:,} held-out rows")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        measure(args)
        return
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    made_dir = None
    if args.path is None:
        made_dir = tempfile.mkdtemp(prefix="skperceptron-out-of-core-")
        x_path, y_path = os.path.join(made_dir, "X.npy"), os.path.join(made_dir, "y.npy")
    else:
        x_path = os.path.abspath(args.path)
        y_path = os.path.splitext(x_path)[0] + "_y.npy"
    file_bytes = args.rows * args.features * 4
    print("Machine and libraries")
    print("=====================")
    print(f"{os.cpu_count()} logical cores; Python {platform.python_version()}, numpy "
          f"{np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
          f"skperceptron {skperceptron.__version__}; BLAS threads: {_blas_threads()}")
    print(f"load average before the run: {load_text()}")
    started = time.perf_counter()
    try:
        print(f"\nwriting {args.rows:,} x {args.features} float32 ({_mb(file_bytes)} MB) to "
              f"{x_path} ...", flush=True)
        seconds = generate(x_path, y_path, args.rows, args.features)
        print(f"written in {seconds:.1f} s")
        seconds = read_through(x_path)
        memory = _meminfo()
        caveat = (
            f"untimed warm-up read of the whole file: {seconds:.2f} s "
            f"({file_bytes / MB / seconds:,.0f} MB/s). The timings below read X from the "
            f"page cache, not from the disk (MemAvailable {_mb(memory['MemAvailable'])} "
            f"MB, Cached {_mb(memory['Cached'])} MB); a first pass over a file that is "
            "not cached, or larger than the free memory, reads from the disk and is "
            "slower.")
        print(textwrap.fill(caveat, 90), flush=True)
        runs = {OUT_OF_CORE: [], IN_MEMORY: []}
        for r in range(args.repeats):
            order = [OUT_OF_CORE, IN_MEMORY] if r % 2 == 0 else [IN_MEMORY, OUT_OF_CORE]
            for mode in order:
                result = run_child(args, mode, x_path, y_path)
                runs[mode].append(result)
                print(f"  repeat {r + 1}: {mode:<11} {result['seconds']:7.2f} s, peak RSS "
                      f"{_mb(result['peak'])} MB ({_mb(result['peak_above_baseline'])} MB "
                      "above baseline)", flush=True)
    finally:
        if not args.keep:
            for path in (x_path, y_path):
                if os.path.exists(path):
                    os.remove(path)
            if made_dir is not None:
                shutil.rmtree(made_dir, ignore_errors=True)
    report(runs, args, file_bytes)
    kept = f"; data kept in {x_path} and {y_path}" if args.keep else ""
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s; load average after "
          f"the run: {load_text()}{kept}")


if __name__ == "__main__":
    main()
