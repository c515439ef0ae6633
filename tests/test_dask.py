"""skperceptron on Dask: searches on a cluster, out-of-core epochs, dask-ml, BLAS threads.

One local cluster of two single-threaded worker processes serves the whole module. The
searches run twice, serially in this process and through joblib's dask backend on the
workers, and must agree exactly: the same folds and seeds give the same fits, and every
fit runs on one BLAS thread in either place (the workers are limited to one, and in this
process a fit of these small networks limits itself), so not even the last bits of a
product can differ.
"""

import logging
import os

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

import dask
import dask.array as da
import joblib
from dask.distributed import Client, LocalCluster, get_client, get_task_stream
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_info

from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
    fit_chunks,
)
from skperceptron._engine.activations import get_activation
from skperceptron._engine.network import Network
from skperceptron._utils.speed import many_threads_pay

pytestmark = [
    pytest.mark.slow,  # a local cluster of two worker processes
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

#: Seconds the cluster may take to start (about 2 on a quiet machine) before the
#: fixture fails instead of waiting for ever.
STARTUP_TIMEOUT = 60
N_WORKERS = 2


@pytest.fixture(scope="module")
def client():
    """A client of a local cluster: 2 worker processes of 1 thread, on the loopback.

    The cluster and the client are closed when the module's tests are done, whether they
    passed or not, and also when starting them fails half-way.
    """
    with LocalCluster(
        host="127.0.0.1",
        n_workers=N_WORKERS,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        # Without the dashboard the scheduler still serves a few HTTP routes, on port
        # 8787 unless told otherwise (with a warning if another cluster has it): any free
        # port on the loopback.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
        # A worker process that has not joined the scheduler by then is given up.
        death_timeout=STARTUP_TIMEOUT,
    ) as cluster, Client(cluster, timeout=STARTUP_TIMEOUT, set_as_default=False) as client:
        # Not the default client: a test uses it inside ``client.as_current()``, and
        # outside that dask runs on its local scheduler.
        client.wait_for_workers(N_WORKERS, timeout=STARTUP_TIMEOUT)
        yield client


def _ran_on_workers(stream, client):
    """The cluster's workers that ran the tasks recorded by ``get_task_stream``."""
    return {task["worker"] for task in stream.data} & set(client.scheduler_info()["workers"])


# ------------------------------------------------------------ searches on the cluster
@pytest.mark.parametrize(
    "estimator, grid, n_rows",
    [
        (
            Pipeline([
                ("scale", StandardScaler()),
                ("mlp", MLPClassifier(max_iter=20, learning_rate_init=0.01, random_state=0)),
            ]),
            {"mlp__alpha": [1e-4, 1e-1], "mlp__hidden_layer_sizes": [(16,), (32,)]},
            600,
        ),
        # The perceptron steps sample by sample, in Python loops where numba is off:
        # fewer rows and epochs keep that run short (2.8 s a search, 0.1 s with numba).
        (
            PerceptronClassifier(penalty="l2", max_iter=5, shuffle=True, random_state=0),
            {"alpha": [0.0, 1e-3], "eta0": [0.1, 1.0]},
            300,
        ),
    ],
    ids=["mlp-pipeline", "perceptron"],
)
def test_grid_search_on_the_cluster_equals_the_serial_search(client, estimator, grid, n_rows):
    X, y = load_digits(return_X_y=True)
    X, y = X[:n_rows], y[:n_rows]
    serial = GridSearchCV(estimator, grid, cv=3, n_jobs=1).fit(X, y)
    with (client.as_current(), get_task_stream(client) as stream,
          joblib.parallel_backend("dask")):
        clustered = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    assert _ran_on_workers(stream, client)

    assert clustered.best_params_ == serial.best_params_
    n_candidates = len(ParameterGrid(grid))
    assert len(serial.cv_results_["params"]) == n_candidates
    for key in ["mean_test_score"] + [f"split{i}_test_score" for i in range(3)]:
        assert np.isfinite(serial.cv_results_[key]).all()
        assert_array_equal(clustered.cv_results_[key], serial.cv_results_[key])
    # Ten classes make chance about 0.1; the best candidates reach 0.87 and 0.92.
    assert serial.best_score_ > 0.8


# ------------------------------------------------------------- epochs over dask blocks
@pytest.fixture(scope="module")
def classification(standardised_classification):
    """Standardized float32 data: 5000 rows to train on, 1000 held out."""
    X, y = standardised_classification()
    return X[:5000], X[5000:], y[:5000], y[5000:]


ESTIMATORS = {
    # The logistic neuron: the step perceptron's last iterate on data that are not
    # separable jumps by several points from one epoch to the next. A small step keeps
    # its last iterate steady: over seeds 0 to 7, blocks of 600 against in memory differ
    # by 0.9 points at most with eta0=0.001, but by up to 1.7 with eta0=0.01.
    "logistic-neuron": lambda: PerceptronClassifier(
        activation="logistic", loss="log_loss", eta0=0.001, random_state=0
    ),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(32,), random_state=0),
}
EPOCHS = 5
#: Rows per dask block: a multiple of the MLP's batches of 200, so that an epoch over the
#: blocks takes as many optimizer steps as one in memory (25). Blocks of 700 would take
#: 29, 4 of them on short batches: after 5 epochs that extra training alone lifts the
#: MLP's held-out accuracy by 0.5 to 2 points over in-memory training (seeds 0 to 5).
BLOCK_ROWS = 600


@pytest.fixture(scope="module")
def in_memory_accuracy(classification):
    """Held-out accuracy of ``fit`` in memory for EPOCHS epochs, by estimator name."""
    X_train, X_test, y_train, y_test = classification
    accuracies = {}

    def accuracy(name):
        if name not in accuracies:
            estimator = ESTIMATORS[name]().set_params(max_iter=EPOCHS, tol=0.0)
            accuracies[name] = estimator.fit(X_train, y_train).score(X_test, y_test)
        return accuracies[name]

    return accuracy


def _check_chunked_fit(name, X, classification, in_memory_accuracy):
    X_train, X_test, y_train, y_test = classification
    estimator = ESTIMATORS[name]()
    # See which rows each partial_fit gets: without chunk_size the dask blocks are the
    # chunks.
    sizes = []
    partial_fit = estimator.partial_fit

    def recording_partial_fit(X_chunk, *args, **kwargs):
        sizes.append(X_chunk.shape[0])
        return partial_fit(X_chunk, *args, **kwargs)

    estimator.partial_fit = recording_partial_fit
    fit_chunks(estimator, X, y_train, epochs=EPOCHS)
    del estimator.partial_fit

    assert sorted(sizes) == sorted(X.chunks[0] * EPOCHS)
    assert estimator.t_ == EPOCHS * X_train.shape[0]
    assert estimator.coefs_[0].dtype == np.float32
    # The same number of passes over the same data in another order: accuracy within 1
    # point of in-memory training, on 1000 held-out samples (accuracies are multiples of
    # 1/1000, so 1e-9 only absorbs the rounding of their difference).
    difference = abs(estimator.score(X_test, y_test) - in_memory_accuracy(name))
    assert difference <= 0.01 + 1e-9


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fit_chunks_over_a_dask_array_with_the_local_scheduler(name, classification,
                                                               in_memory_accuracy):
    X_train = classification[0]
    X = da.from_array(X_train, chunks=(BLOCK_ROWS, -1))
    with pytest.raises(ValueError, match="No global client"):
        get_client()  # so dask computes each chunk on its local scheduler
    _check_chunked_fit(name, X, classification, in_memory_accuracy)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fit_chunks_over_a_dask_array_on_the_cluster(name, client, classification,
                                                     in_memory_accuracy):
    X_train = classification[0]
    # The blocks live on the workers; each chunk is fetched from there when needed.
    X = client.persist(da.from_array(X_train, chunks=(BLOCK_ROWS, -1)))
    with client.as_current(), get_task_stream(client) as stream:
        _check_chunked_fit(name, X, classification, in_memory_accuracy)
    assert _ran_on_workers(stream, client)


# -------------------------------------------------------------------------- dask-ml
@pytest.fixture(scope="module")
def digits_blocks():
    """The digits scaled to [0, 1] as dask arrays of 300-row blocks: 1500 rows to train
    on and 297 held out (a stratified split: the last rows of the set are from other
    writers than the first)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, train_size=1500, stratify=y, random_state=0
    )
    return (da.from_array(X_train, chunks=(300, -1)), da.from_array(X_test, chunks=(300, -1)),
            da.from_array(y_train, chunks=300), da.from_array(y_test, chunks=300))


@pytest.mark.parametrize(
    "estimator, passes",
    [
        (PerceptronClassifier(random_state=0), 1),
        # An MLP needs more steps than one pass in batches of 200 gives: batches of 32
        # and three passes.
        (MLPClassifier((32,), batch_size=32, learning_rate_init=0.01, random_state=0), 3),
    ],
    ids=["perceptron", "mlp"],
)
def test_dask_ml_incremental_trains_the_estimator(client, digits_blocks, estimator,
                                                  passes):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X_train, X_test, y_train, y_test = digits_blocks
    incremental = wrappers.Incremental(estimator, scoring="accuracy", random_state=0)
    with client.as_current(), get_task_stream(client) as stream:
        incremental.fit(X_train, y_train, classes=np.arange(10))
        for _ in range(passes - 1):
            incremental.partial_fit(X_train, y_train, classes=np.arange(10))
    assert _ran_on_workers(stream, client)

    fitted = incremental.estimator_
    assert type(fitted) is type(estimator)
    check_is_fitted(fitted)
    assert fitted.t_ == passes * X_train.shape[0]
    # Ten classes make chance about 0.1; these reach 0.88 (the perceptron's last
    # iterate, which moves by a few points from pass to pass) and 0.95.
    assert incremental.score(X_test, y_test) > 0.8


def test_dask_ml_incremental_search_finds_a_good_mlp(client, digits_blocks):
    model_selection = pytest.importorskip("dask_ml.model_selection")
    X_train, _, y_train, _ = digits_blocks
    grid = {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(16,), (32,)]}
    calls = 8
    search = model_selection.IncrementalSearchCV(
        MLPClassifier(batch_size=32, learning_rate_init=0.01, random_state=0),
        grid,
        n_initial_parameters="grid",
        max_iter=calls,
        decay_rate=None,
        random_state=0,
    )
    with client.as_current():
        search.fit(X_train, y_train, classes=np.arange(10))

    assert isinstance(search.best_estimator_, MLPClassifier)
    check_is_fitted(search.best_estimator_)
    assert search.best_params_ in list(ParameterGrid(grid))
    results = search.cv_results_
    assert len(results["params"]) == len(ParameterGrid(grid))
    assert_array_equal(results["partial_fit_calls"], calls)  # no candidate stopped early
    # The best validation score after 8 partial_fit calls of one block each: ten classes
    # make chance about 0.1, and the candidates reach 0.86 to 0.92.
    assert search.best_score_ > 0.8


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronRegressor(eta0=0.001, random_state=0),
        MLPRegressor(hidden_layer_sizes=(16,), batch_size=32, learning_rate_init=0.01, random_state=0),
    ],
    ids=["linear-neuron", "mlp"],
)
def test_dask_ml_incremental_trains_the_regressors(client, estimator):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_regression(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    y = y / y.std()
    X_blocks, y_blocks = da.from_array(X, chunks=(400, -1)), da.from_array(y, chunks=400)
    incremental = wrappers.Incremental(estimator, random_state=0)
    with client.as_current():
        for _ in range(3):
            incremental.partial_fit(X_blocks, y_blocks)
    assert type(incremental.estimator_) is type(estimator)
    assert incremental.estimator_.t_ == 3 * 2000
    # A linear target with noise of 1 against a spread of about 100 before scaling:
    # R2 near 1 is reachable (0.99 and more here); 0.9 leaves room for the last iterate.
    # (Scored in memory: dask-ml's own r2_score on dask arrays fails with this dask,
    # for scikit-learn's SGDRegressor alike: "cannot broadcast shape (nan,)".)
    assert incremental.estimator_.score(X, y) > 0.9


def test_dask_ml_hyperband_search_runs_on_the_perceptron(client, digits_blocks):
    model_selection = pytest.importorskip("dask_ml.model_selection")
    X_train, _, y_train, _ = digits_blocks
    grid = {"eta0": [0.01, 0.1, 1.0], "alpha": [0.0, 1e-4, 1e-2]}
    search = model_selection.HyperbandSearchCV(
        PerceptronClassifier(penalty="l2", random_state=0), grid, max_iter=9, random_state=0
    )
    with client.as_current():
        search.fit(X_train, y_train, classes=np.arange(10))
    assert isinstance(search.best_estimator_, PerceptronClassifier)
    assert search.best_params_ in list(ParameterGrid(grid))
    # Hyperband gives the most partial_fit calls to the best candidates: up to max_iter.
    assert max(search.cv_results_["partial_fit_calls"]) == 9
    # Chance is about 0.1; the perceptron reaches about 0.9 on the digits.
    assert search.best_score_ > 0.8


# ------------------------------------------------------------ BLAS threads in workers
#: A network where products dominate a step: a fit keeps the BLAS threads in force.
LARGE_UNITS = (784, 256, 128, 10)
LARGE_BATCH = 200


def _blas_thread_count():
    return max(info["num_threads"] for info in threadpool_info()
               if info["user_api"] == "blas")


def fit_recording_blas_threads(seed):
    """Fit a large MLP and return (BLAS threads during training, OPENBLAS_NUM_THREADS).

    Runs in a worker process: the thread count is read when the training loop starts,
    inside the fit's own choice of threads.
    """
    from skperceptron import _estimator as _base

    seen = []
    train_stochastic = _base.train_stochastic

    def recording(*args, **kwargs):
        seen.append(_blas_thread_count())
        return train_stochastic(*args, **kwargs)

    rng = np.random.RandomState(seed)
    X, y = rng.normal(size=(400, LARGE_UNITS[0])), rng.randint(0, 10, 400)
    mlp = MLPClassifier(LARGE_UNITS[1:-1], batch_size=LARGE_BATCH, max_iter=1,
                        random_state=seed)
    _base.train_stochastic = recording
    try:
        mlp.fit(X, y)
    finally:
        _base.train_stochastic = train_stochastic
    return seen, os.environ.get("OPENBLAS_NUM_THREADS")


def test_many_threads_pay_for_the_large_network():
    hidden = tuple(get_activation("relu") for _ in LARGE_UNITS[1:-1])
    network = Network(LARGE_UNITS, hidden, get_activation("identity"))
    assert many_threads_pay(network, LARGE_BATCH)


def _check_within_limit(results, limit):
    for seen, worker_limit in results:
        assert worker_limit == limit
        assert len(seen) == 1
        assert seen[0] <= int(worker_limit)


def test_fits_in_loky_workers_stay_within_their_blas_limit():
    n_jobs = 2
    # joblib gives each loky worker cpu_count // n_jobs threads, unless set here already.
    limit = os.environ.get("OPENBLAS_NUM_THREADS", str(max(joblib.cpu_count() // n_jobs, 1)))
    results = joblib.Parallel(n_jobs=n_jobs, backend="loky")(
        joblib.delayed(fit_recording_blas_threads)(seed) for seed in range(n_jobs)
    )
    _check_within_limit(results, limit)


def test_fits_in_dask_workers_stay_within_their_blas_limit(client):
    # The nanny sets this in each worker process before it starts.
    limit = str(dask.config.get("distributed.nanny.pre-spawn-environ")["OPENBLAS_NUM_THREADS"])
    submitted = client.gather(
        [client.submit(fit_recording_blas_threads, seed, pure=False) for seed in range(2)]
    )
    _check_within_limit(submitted, limit)
    with (client.as_current(), get_task_stream(client) as stream,
          joblib.parallel_backend("dask")):
        through_joblib = joblib.Parallel()(
            joblib.delayed(fit_recording_blas_threads)(seed) for seed in range(2)
        )
    assert _ran_on_workers(stream, client)
    _check_within_limit(through_joblib, limit)
