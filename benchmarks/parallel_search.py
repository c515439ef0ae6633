"""Grid search in parallel: skperceptron's MLPClassifier under joblib's loky and dask.

``GridSearchCV`` over a ``Pipeline(StandardScaler, MLPClassifier)`` on the digits data
set (all 1797 rows), 8 candidates (alpha x hidden_layer_sizes), 5-fold cross-validation,
Adam, 50 epochs per fit and ``random_state=0``. The same search is timed

- with ``n_jobs=1`` and with ``n_jobs=2`` (joblib's default backend, loky);
- with ``n_jobs=2`` inside ``joblib.parallel_backend("dask")`` on a local dask cluster
  of two single-threaded worker processes (when dask.distributed is installed);
- with scikit-learn's MLPClassifier in place of ours, ``n_jobs=1`` and ``n_jobs=2``.

The cases run in turn within every repeat, the first case rotating from one repeat to
the next, so that changes in machine load hit every case alike; the tables give the
median and the min-max range over the repeats. The speed-up of a parallel case is the
median over the repeats of ``t(n_jobs=1) / t(parallel)``, both times taken in the same
repeat. Before timing, every case runs once untimed with 2 epochs: that starts the loky
and dask worker processes and pays the imports and the loading of compiled kernels in
them. The times include the final refit on all rows, which runs in the main process.

A parallel search must find what the sequential one finds: the script checks that
``best_params_`` and every ``mean_test_score`` are identical for skperceptron whether
it runs with ``n_jobs=1``, ``n_jobs=2`` or on dask (and reports the same comparison for
scikit-learn, for information). It also prints how many BLAS threads are in force in
the main process and, through a tiny task, in the loky and dask workers.

Run from the repository root::

    python benchmarks/parallel_search.py                  # 5 repeats, dask if installed
    python benchmarks/parallel_search.py --quick          # smoke run: 4 candidates, 10 epochs
    python benchmarks/parallel_search.py --no-dask --no-sklearn --repeats 3
"""

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
import warnings
from contextlib import nullcontext

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

import skperceptron
from skperceptron import MLPClassifier

from _report import load_text, print_table  # beside this script

OURS, SKLEARN = "skperceptron", "scikit-learn"
SEQUENTIAL, LOKY, DASK = "n_jobs=1", "n_jobs=2 loky", "n_jobs=2 dask"

FULL = {"grid": {"mlp__alpha": [1e-4, 1e-3, 1e-2, 1e-1],
                 "mlp__hidden_layer_sizes": [(32,), (64,)]},
        "epochs": 50, "repeats": 5}
QUICK = {"grid": {"mlp__alpha": [1e-4, 1e-2], "mlp__hidden_layer_sizes": [(32,), (64,)]},
         "epochs": 10, "repeats": 2}
CV = 5
#: Epochs of the untimed warm-up search of every case.
WARM_UP_EPOCHS = 2


# ------------------------------------------------------------------------- searches
def make_search(library, epochs, grid, n_jobs):
    """The grid search of one case (not fitted).

    ``tol=0`` with ``n_iter_no_change`` above the number of epochs makes every fit run
    every epoch, so that both libraries do the same work whatever their stopping rules.
    """
    estimator = {OURS: MLPClassifier, SKLEARN: SkMLPClassifier}[library](
        solver="adam", learning_rate_init=1e-3, batch_size="auto", max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=0)
    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", estimator)])
    return GridSearchCV(pipeline, grid, cv=CV, n_jobs=n_jobs)


def run_search(library, mode, epochs, grid, X, y):
    """Fit one case's search; returns what is compared between the cases."""
    backend = joblib.parallel_backend("dask") if mode == DASK else nullcontext()
    with backend:
        search = make_search(library, epochs, grid, 1 if mode == SEQUENTIAL else 2)
        search.fit(X, y)
    return {"best_params": search.best_params_, "best_score": search.best_score_,
            "mean_test_score": search.cv_results_["mean_test_score"].copy()}


def time_alternating(cases, repeats):
    """Call each ``name -> callable`` ``repeats`` times, interleaved.

    Repeat r starts with case r (mod the number of cases): ABC BCA CAB ... Returns, per
    case, the list of seconds and the list of results.
    """
    names = list(cases)
    seconds = {name: [] for name in names}
    results = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            start = time.perf_counter()
            results[name].append(cases[name]())
            seconds[name].append(time.perf_counter() - start)
        print(f"  repeat {r + 1}/{repeats} done", flush=True)
    return seconds, results


# ------------------------------------------------------------------------- threads
def _blas_threads():
    """Threads of each BLAS library loaded in this process, e.g. "numpy's openblas 2"."""
    parts = []
    for m in threadpool_info():
        if m["user_api"] == "blas":
            path = m["filepath"]
            owner = next((f"{p}'s " for p in ("numpy", "scipy") if p in path), "")
            parts.append(f"{owner}{m['internal_api']} {m['num_threads']}")
    return ", ".join(parts) or "no BLAS"


def thread_probe(delay):
    """A tiny task: this worker's process id and the BLAS threads in force in it.

    It sleeps ``delay`` seconds, so that the tasks of one batch spread over the workers.
    """
    import threading

    time.sleep(delay)
    env = {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return (os.getpid(), _blas_threads(), threading.current_thread() is threading.main_thread(),
            ", ".join(f"{k}={v}" for k, v in env.items() if v is not None) or "not set")


def probe_workers(mode):
    """Lines describing the BLAS threads of the workers that run tasks under ``mode``."""
    backend = joblib.parallel_backend("dask") if mode == DASK else nullcontext()
    with backend:
        found = joblib.Parallel(n_jobs=2)(joblib.delayed(thread_probe)(0.3) for _ in range(4))
    lines = []
    for pid, blas, main_thread, env in sorted(set(found)):
        where = "its main thread" if main_thread else "a thread other than the main one"
        lines.append(f"{mode} worker pid {pid}: BLAS {blas} (task ran in {where}; "
                     f"environment: {env})")
    return lines


# ------------------------------------------------------------------------- output
def _params_text(params):
    return ", ".join(f"{k.split('__')[-1]}={v}" for k, v in sorted(params.items()))


def _same_results(a, b):
    """(best_params_ equal, mean_test_score equal, largest score difference)."""
    diff = float(np.max(np.abs(a["mean_test_score"] - b["mean_test_score"])))
    return (a["best_params"] == b["best_params"],
            np.array_equal(a["mean_test_score"], b["mean_test_score"]), diff)


def report_identity(results):
    """Compare every run of every case with the first sequential run of its library.

    Returns whether skperceptron's runs all agree exactly.
    """
    print("\nSame results with and without parallelism")
    print("=========================================")
    ours_identical = True
    for library in (OURS, SKLEARN):
        reference_key = (library, SEQUENTIAL)
        if reference_key not in results:
            continue
        reference = results[reference_key][0]
        for (lib, mode), runs in results.items():
            if lib != library:
                continue
            checks = [_same_results(reference, run) for run in runs]
            params_ok = all(c[0] for c in checks)
            scores_ok = all(c[1] for c in checks)
            largest = max(c[2] for c in checks)
            if library == OURS:
                ours_identical &= params_ok and scores_ok
            print(f"{library} {mode}, {len(runs)} run(s), against the first {SEQUENTIAL} run: "
                  f"best_params_ identical: {'yes' if params_ok else 'NO'}; "
                  f"mean_test_score identical: {'yes' if scores_ok else 'NO'} "
                  f"(largest difference {largest:.3g})")
    verdict = "yes" if ours_identical else "NO"
    print(f"skperceptron: every parallel run identical to n_jobs=1: {verdict}")
    if (SKLEARN, SEQUENTIAL) in results:
        print("(scikit-learn is shown for information: its main process multiplies "
              "matrices on every BLAS thread, its workers on one, which may change the last "
              "bits)")
    return ours_identical


def report_times(seconds, results, n_candidates, epochs):
    rows = []
    for (library, mode), times in seconds.items():
        speedup, spread = "", ""
        reference = seconds.get((library, SEQUENTIAL))
        if mode != SEQUENTIAL and reference is not None:
            ratios = [t1 / t for t1, t in zip(reference, times)]
            speedup = f"{statistics.median(ratios):.2f}x"
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        last = results[(library, mode)][-1]
        rows.append([library, mode, f"{statistics.median(times):.2f}",
                     f"{min(times):.2f}-{max(times):.2f}", len(times), speedup, spread,
                     f"{last['best_score']:.4f}", _params_text(last["best_params"])])
    print_table(
        f"GridSearchCV on digits (1797 x 64): {n_candidates} candidates x {CV} folds "
        f"+ refit, {epochs} epochs each",
        ["library", "mode", "median s", "min-max s", "runs", "speed-up", "speed-up min-max",
         "best score", "best parameters"],
        rows,
        [("speed-up = median over the repeats of t(n_jobs=1) / t(this case), both from "
          "the same repeat"),
         "best score = mean cross-validated accuracy of the best candidate (last run)"])


# ------------------------------------------------------------------------- main
def _n_candidates(grid):
    return int(np.prod([len(values) for values in grid.values()]))


def _dask_available():
    return (importlib.util.find_spec("dask") is not None
            and importlib.util.find_spec("distributed") is not None)


def start_dask():
    """A local cluster of two single-threaded worker processes and a client on it."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=":0",
                           scheduler_kwargs={"dashboard": False})
    return cluster, Client(cluster)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time a grid search of MLPClassifier with n_jobs=1, loky and dask.")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"timed searches per case (default {FULL['repeats']}; "
                             f"{QUICK['repeats']} with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {_n_candidates(QUICK['grid'])} candidates, "
                             f"{QUICK['epochs']} epochs")
    parser.add_argument("--dask", action=argparse.BooleanOptionalAction, default=None,
                        help="also run the search on a local dask cluster (default: yes "
                             "when dask.distributed is installed)")
    parser.add_argument("--no-sklearn", action="store_true",
                        help="leave scikit-learn's MLPClassifier out")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.repeats is None:
        args.repeats = settings["repeats"]
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.dask is None:
        args.dask = _dask_available()
    elif args.dask and not _dask_available():
        parser.error("--dask needs dask and distributed (pip install 'dask[distributed]')")
    args.grid, args.epochs = settings["grid"], settings["epochs"]
    return args


def main(argv=None):
    args = parse_args(argv)
    # Also in force in the workers: scikit-learn's joblib wrapper passes the warning
    # filters of the main process on to every task.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    n_candidates = _n_candidates(args.grid)
    libraries = [OURS] if args.no_sklearn else [OURS, SKLEARN]
    modes = [SEQUENTIAL, LOKY] + ([DASK] if args.dask else [])
    keys = [(library, mode) for library in libraries for mode in modes
            if not (library == SKLEARN and mode == DASK)]

    print("Machine and libraries")
    print("=====================")
    print(f"{os.cpu_count()} logical cores; Python {platform.python_version()}, numpy "
          f"{np.__version__}, scikit-learn {sklearn.__version__}, joblib "
          f"{joblib.__version__}, skperceptron {skperceptron.__version__}")
    if args.dask:
        import dask
        import distributed

        print(f"dask {dask.__version__}, distributed {distributed.__version__}")
    print(f"load average before the run: {load_text()}")
    print(f"repeats: {args.repeats}; cases: " + "; ".join(f"{lib} {m}" for lib, m in keys))

    cluster = client = None
    started = time.perf_counter()
    try:
        if args.dask:
            cluster, client = start_dask()
        print("\nBLAS threads")
        print("============")
        print(f"main process: BLAS {_blas_threads()}")
        print("  (skperceptron's fit of these small networks uses one of them when it runs "
              "in a main thread, by its own rule; scikit-learn's uses them all)")
        for mode in modes[1:]:
            for line in probe_workers(mode):
                print(line)

        print(f"\nwarm-up: one untimed search per case with {WARM_UP_EPOCHS} epochs "
              "(starts the loky and dask workers, imports and loads compiled kernels "
              "in them)", flush=True)
        for library, mode in keys:
            run_search(library, mode, WARM_UP_EPOCHS, args.grid, X, y)

        cases = {key: (lambda key=key: run_search(*key, args.epochs, args.grid, X, y))
                 for key in keys}
        print("timing", flush=True)
        seconds, results = time_alternating(cases, args.repeats)
    finally:
        if client is not None:
            client.close()
            cluster.close()

    report_times(seconds, results, n_candidates, args.epochs)
    identical = report_identity(results)
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s; load average after "
          f"the run: {load_text()}")
    print("(a load average before the run well above 0, or wide min-max ranges, mean that "
          "other work competed for the processors: rerun on a quiet machine)")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
