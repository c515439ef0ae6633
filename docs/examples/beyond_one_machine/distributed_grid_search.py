"""A grid search spread over a Dask cluster
========================================

scikit-learn's searches run their fits through joblib; joblib's ``dask`` backend sends
those fits to the workers of a ``dask.distributed`` cluster instead of local processes.
Nothing in the estimator or the search changes: the same code runs on a laptop and on a
cluster, and gives the same results as ``n_jobs=1`` (each fit is seeded, and every
worker runs it on one BLAS thread).

Run on one machine, with a local cluster of two worker processes::

    python -m pip install -e ".[dask]"
    python docs/examples/beyond_one_machine/distributed_grid_search.py

or on a running cluster: ``--scheduler tcp://scheduler-host:8786``.
"""

import argparse
import time
import warnings

import joblib
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier


def make_search(max_iter):
    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("mlp", MLPClassifier(max_iter=max_iter, random_state=0)),
    ])
    grid = {
        "mlp__hidden_layer_sizes": [(32,), (64,), (64, 32)],
        "mlp__alpha": [1e-4, 1e-2],
    }
    return GridSearchCV(pipeline, grid, cv=5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler; "
                        "by default a local cluster of two worker processes is started")
    parser.add_argument("--max-iter", type=int, default=60, help="epochs per fit")
    args = parser.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    X, y = load_digits(return_X_y=True)
    search = make_search(args.max_iter)
    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        # Two worker processes of one thread each; dask's workers start with one BLAS
        # thread each (OPENBLAS_NUM_THREADS=1), so fits do not compete for the cores.
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=":0", scheduler_kwargs={"dashboard": False})
        client = Client(cluster)
    try:
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers")
        start = time.perf_counter()
        with warnings.catch_warnings():
            # A few candidates stop at max_iter before converging: expected here.
            warnings.simplefilter("ignore", ConvergenceWarning)
            with joblib.parallel_backend("dask"):
                search.fit(X, y)
        elapsed = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    results = search.cv_results_
    print(f"{len(results['params'])} candidates x 5 folds in {elapsed:.1f} s\n")
    print(f"{'hidden layers':<15}{'alpha':>8}{'accuracy':>10}{'std':>8}")
    for params, mean, std in zip(results["params"], results["mean_test_score"],
                                 results["std_test_score"]):
        print(f"{params['mlp__hidden_layer_sizes']!s:<15}{params['mlp__alpha']:>8g}"
              f"{mean:>10.4f}{std:>8.4f}")
    print(f"\nbest: {search.best_params_}  accuracy {search.best_score_:.4f}")
    return search


if __name__ == "__main__":  # worker processes import this file: start nothing then
    main()
