"""Training on data larger than the memory you give it
===================================================

Three ways to train on rows that are never all in memory at once:

1. a ``numpy.memmap`` of a file and ``skperceptron.fit_chunks``: one chunk of rows is
   read at a time, and its pages are given back before the next;
2. a dask array (here made of blocks that each worker reads from the same file) and
   ``fit_chunks``: one block is computed at a time;
3. the same dask array and ``dask_ml.wrappers.Incremental``, which calls ``partial_fit``
   on each block where the block lives.

Each epoch shuffles the order of the chunks, and the rows within each chunk, with the
estimator's ``random_state``: a seeded run is reproducible. Run on one machine::

    python -m pip install -e ".[dask]"
    # 1,000,000 x 50 float32 in a budget of 200 MB, then a quick run:
    python docs/examples/beyond_one_machine/out_of_core.py
    python docs/examples/beyond_one_machine/out_of_core.py --rows 100000 --budget-mb 8
"""

import argparse
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from skperceptron import MLPClassifier, fit_chunks

N_CLASSES = 4


def write_data(folder, rows, features, seed=0):
    """Write a learnable classification problem to ``X.npy`` and ``y.npy``, in blocks.

    The labels come from a fixed random network (a "teacher") with a little noise, so
    that a student network can learn them; no more than one block is ever in memory.
    """
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((features, 32)) / np.sqrt(features)
    W2 = rng.standard_normal((32, N_CLASSES))
    X = np.lib.format.open_memmap(os.path.join(folder, "X.npy"), mode="w+",
                                  dtype=np.float32, shape=(rows, features))
    y = np.empty(rows, dtype=np.int64)
    block = 100_000
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        X_block = rng.standard_normal((stop - start, features), dtype=np.float32)
        scores = np.tanh(X_block @ W1) @ W2 + 0.3 * rng.standard_normal((stop - start,
                                                                         N_CLASSES))
        X[start:stop] = X_block
        y[start:stop] = scores.argmax(axis=1)
    X.flush()
    del X
    np.save(os.path.join(folder, "y.npy"), y)


def peak_memory_mb():
    """The most memory this process has held so far (its peak resident set), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_estimator():
    return MLPClassifier(hidden_layer_sizes=(64,), batch_size=200, random_state=0)


def train_on_memmap(folder, budget_mb, epochs, test_rows):
    X = np.load(os.path.join(folder, "X.npy"), mmap_mode="r")
    y = np.load(os.path.join(folder, "y.npy"))
    n_train = X.shape[0] - test_rows
    # fit_chunks holds one chunk (this library's estimators shuffle its rows in place).
    row_bytes = X.shape[1] * X.dtype.itemsize
    chunk_size = max(200, int(budget_mb * 2**20 // row_bytes) // 200 * 200)
    # The first fit of a process loads its compiled code (tens of MB with numba): load
    # it before measuring, so that what is measured below is the data's memory.
    make_estimator().partial_fit(X[:200], y[:200], classes=np.arange(N_CLASSES))
    before = peak_memory_mb()
    start = time.perf_counter()
    clf = fit_chunks(make_estimator(), X[:n_train], y[:n_train], chunk_size=chunk_size,
                     epochs=epochs)
    elapsed = time.perf_counter() - start
    accuracy = clf.score(X[n_train:], y[n_train:])
    print(f"1. memmap of {X.nbytes / 2**20:.0f} MB, chunks of {chunk_size} rows "
          f"({chunk_size * row_bytes / 2**20:.0f} MB): {epochs} epochs in {elapsed:.1f} s, "
          f"{n_train * epochs / elapsed:,.0f} samples/s, test accuracy {accuracy:.3f}")
    print(f"   peak memory of this process: {before:.0f} MB before training (Python and "
          f"the libraries), {peak_memory_mb():.0f} MB after (the labels: "
          f"{y.nbytes / 2**20:.0f} MB)")
    return clf


def read_rows(path, start, stop):
    """Rows ``start:stop`` of the ``.npy`` file at ``path``, read where this runs."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array(folder, block_rows, n_rows):
    """The rows ``0:n_rows`` of ``X.npy`` as a dask array of blocks read on demand."""
    import dask
    import dask.array as da

    path = os.path.join(folder, "X.npy")
    X = np.load(path, mmap_mode="r")
    blocks = [
        da.from_delayed(dask.delayed(read_rows)(path, start, min(start + block_rows,
                                                                 n_rows)),
                        shape=(min(start + block_rows, n_rows) - start, X.shape[1]),
                        dtype=X.dtype)
        for start in range(0, n_rows, block_rows)
    ]
    return da.concatenate(blocks)


def train_on_dask(folder, epochs, test_rows, block_rows):
    import dask.array as da
    from dask.distributed import Client, LocalCluster
    from dask_ml.wrappers import Incremental

    y = np.load(os.path.join(folder, "y.npy"))
    X_test = np.load(os.path.join(folder, "X.npy"), mmap_mode="r")[-test_rows:]
    n_train = y.shape[0] - test_rows
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0", scheduler_kwargs={"dashboard": False}
                      ) as cluster, Client(cluster):
        X = dask_array(folder, block_rows, n_train)
        start = time.perf_counter()
        clf = fit_chunks(make_estimator(), X, y[:n_train], epochs=epochs)
        elapsed = time.perf_counter() - start
        print(f"2. dask array of {X.numblocks[0]} blocks, fit_chunks: {epochs} epochs in "
              f"{elapsed:.1f} s, test accuracy {clf.score(X_test, y[-test_rows:]):.3f}")

        y_blocks = da.from_array(y[:n_train], chunks=(X.chunks[0],))
        incremental = Incremental(make_estimator(), scoring="accuracy",
                                  shuffle_blocks=True, random_state=0)
        start = time.perf_counter()
        for _ in range(epochs):  # one call to fit is one pass over the blocks
            incremental.partial_fit(X, y_blocks, classes=np.arange(N_CLASSES))
        elapsed = time.perf_counter() - start
        accuracy = incremental.estimator_.score(X_test, y[-test_rows:])
        print(f"3. dask_ml Incremental: {epochs} epochs in {elapsed:.1f} s, "
              f"test accuracy {accuracy:.3f}")
    return clf, incremental


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--budget-mb", type=float, default=32,
                        help="memory for one chunk of rows")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="only the memmap")
    args = parser.parse_args(argv)
    test_rows = min(20_000, args.rows // 5)

    with tempfile.TemporaryDirectory() as folder:
        # Written in another process, so that this one's peak memory is its training's.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as writer:
            writer.submit(write_data, folder, args.rows, args.features).result()
        results = [train_on_memmap(folder, args.budget_mb, args.epochs, test_rows)]
        if not args.no_dask:
            block_rows = max(200, args.rows // 10)
            results.extend(train_on_dask(folder, args.epochs, test_rows, block_rows))
    return results


if __name__ == "__main__":  # worker processes import this file: start nothing then
    main()
