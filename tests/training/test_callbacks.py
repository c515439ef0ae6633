"""scikit-learn's callbacks: epochs as tasks with their models; stops, errors, pipelines.

``Recorder`` below logs every hook call with the task's path and the predictions of the
model handed to the hook; the models are checked against fits stopped after as many
epochs by ``max_iter``, which take the same steps.
"""

import copy
import importlib.util
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.base import BaseEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
)
from skperceptron import _estimator
from skperceptron._training import callbacks as _callbacks
from skperceptron._utils import compat as _compat

needs_callbacks = pytest.mark.skipif(
    _compat.sklearn_callback is None, reason="scikit-learn before 1.9 has no callbacks")

X, y = make_classification(40, 4, n_informative=3, n_redundant=0, random_state=0)
Xr, yr = make_regression(40, 4, noise=1.0, random_state=0)
yr = yr / yr.std()


class Recorder:
    """Logs (hook, task path, predictions of the model handed over or None).

    ``stop_at``: the end hook of the task with this id asks to stop (any task name).
    ``fail``: (hook, n) raises RuntimeError at the n-th call of that hook (from 1).
    Meta-estimators pass it on to the estimators they fit (``max_propagation_depth``).
    """

    max_propagation_depth = None

    def __init__(self, stop_at=None, fail=(None, 0)):
        self.calls, self.stop_at, self.fail = [], stop_at, fail
        self.setups = self.teardowns = 0

    def setup(self, estimator, context):
        self.setups += 1

    def teardown(self, estimator, context):
        self.teardowns += 1

    def _record(self, hook, context, X, model):
        path = []
        while context is not None:
            path.insert(0, (context.estimator_name, context.task_name, context.task_id))
            context = context.parent
        if model is not None:  # what the model makes of X (a transformer's output)
            model = model.predict(X) if hasattr(model, "predict") else model.transform(X)
        self.calls.append((hook, tuple(path), model))
        if hook == self.fail[0] and sum(c[0] == hook for c in self.calls) == self.fail[1]:
            raise RuntimeError(f"the callback failed in its {hook} hook")

    def on_fit_task_begin(self, estimator, context, *, X=None, fitted_estimator=None):
        self._record("begin", context, X, fitted_estimator)

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        self._record("end", context, X, fitted_estimator)
        return context.task_id == self.stop_at

    def epochs(self, hook="end"):
        """Predictions of the models handed to ``hook`` of every epoch or iteration."""
        return [p for h, path, p in self.calls
                if h == hook and path[-1][1] in ("epoch", "iteration")]


def _quiet_fit(model, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args)


ESTIMATORS = [
    (MLPClassifier((5,), solver="sgd", learning_rate_init=0.1, tol=0), X, y),
    (MLPClassifier((5,), solver="lbfgs"), X, y),
    (MLPRegressor(hidden_layer_sizes=(5,), batch_norm=True, learning_rate_init=0.05,
                  tol=0), Xr, yr),
    (MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", batch_norm=True), Xr, yr),
    (PerceptronClassifier(tol=None, average=True), X, y),  # the compiled online loop
    (PerceptronRegressor(tol=None, batch_size=8), Xr, yr),
]
IDS = ["mlp-sgd", "mlp-lbfgs", "mlp-batchnorm", "mlp-lbfgs-batchnorm", "perceptron",
       "linear-neuron"]


@needs_callbacks
@pytest.mark.parametrize("model, X, y", ESTIMATORS, ids=IDS)
def test_each_epoch_hands_over_the_model_of_that_moment(model, X, y):
    recorder = Recorder()
    model = clone(model).set_params(max_iter=3, random_state=0)
    assert model.set_callbacks(recorder) is model
    _quiet_fit(model, X, y)
    assert model.n_iter_ == 3
    name = "iteration" if model._solver == "lbfgs" else "epoch"
    root = (type(model).__name__, "fit", 0)
    assert [(h, path) for h, path, _ in recorder.calls] == [
        ("begin", (root,)),
        *[(h, (root, (root[0], name, k))) for k in range(3) for h in ("begin", "end")],
        ("end", (root,)),
    ]
    assert recorder.setups == recorder.teardowns == 1
    ends, begins = recorder.epochs("end"), recorder.epochs("begin")
    for k in (1, 2, 3):  # the same steps, stopped by max_iter after k epochs
        stopped = _quiet_fit(clone(model).set_callbacks().set_params(max_iter=k), X, y)
        np.testing.assert_array_equal(ends[k - 1], stopped.predict(X))
        if k < 3:  # the next epoch starts where this one ended
            np.testing.assert_array_equal(begins[k], stopped.predict(X))
    np.testing.assert_array_equal(recorder.calls[-1][2], model.predict(X))


@needs_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_scoring_monitor_scores_the_model_of_every_epoch(solver):
    from sklearn.callback import ScoringMonitor

    monitor = ScoringMonitor(scoring="r2")
    model = MLPRegressor(hidden_layer_sizes=(4,), solver=solver, learning_rate_init=0.05,
                         max_iter=3, random_state=0)
    _quiet_fit(model.set_callbacks(monitor), Xr, yr)
    rows = [row for row in monitor.get_logs().data if row["task_name"] != "fit"]
    assert [row["task_id"] for row in rows] == [0, 1, 2]
    for k, row in enumerate(rows, start=1):
        stopped = _quiet_fit(clone(model).set_callbacks().set_params(max_iter=k), Xr, yr)
        assert row["r2"] == stopped.score(Xr, yr)


@needs_callbacks
@pytest.mark.parametrize("model", [
    MLPClassifier((5,), solver="adam", tol=0),
    MLPClassifier((5,), solver="lbfgs"),
    PerceptronClassifier(tol=None),
    # early stopping ends on the best-scoring weights, whatever stopped it
    MLPClassifier((5,), early_stopping=True, n_iter_no_change=50, tol=0),
], ids=["adam", "lbfgs", "perceptron", "early-stopping"])
def test_a_callback_stops_training_on_the_current_weights(model):
    model = clone(model).set_params(max_iter=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a request is no failure
        model.set_callbacks(Recorder(stop_at=1)).fit(X, y)
    assert model.stop_reason_ == "callback"
    assert model.n_iter_ == len(model.loss_curve_) == 2
    stopped = _quiet_fit(clone(model).set_callbacks().set_params(max_iter=2), X, y)
    for ours, theirs in zip(model.coefs_ + model.intercepts_,
                            stopped.coefs_ + stopped.intercepts_):
        np.testing.assert_array_equal(ours, theirs)


@needs_callbacks
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_a_callback_request_names_the_reason_when_max_iter_is_reached_too(solver):
    model = MLPClassifier((3,), solver=solver, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.set_callbacks(Recorder(stop_at=1)).fit(X, y)
    assert model.stop_reason_ == "callback"
    assert model.n_iter_ == 2


@needs_callbacks
def test_a_diverged_epoch_ends_as_an_empty_task():
    recorder = Recorder()
    model = MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.3,
                         max_iter=20, random_state=0).set_callbacks(recorder)
    _quiet_fit(model, Xr, yr * 10)
    assert model.stop_reason_ == "diverged" and model.n_iter_ >= 1  # after whole epochs
    begins, ends = recorder.epochs("begin"), recorder.epochs("end")
    assert len(begins) == len(ends) == model.n_iter_ + 1  # every task begun is ended
    assert ends[-1] is None  # the diverged epoch hands over no model
    assert all(p is not None for p in ends[:-1])


@needs_callbacks
@pytest.mark.parametrize("model, X, y", [
    (MLPClassifier((5,), solver="adam"), X, y),
    (PerceptronRegressor(), Xr, yr),
], ids=["mlp", "linear-neuron"])
def test_a_partial_fit_call_is_one_task(model, X, y):
    from sklearn.callback import ScoringMonitor

    scoring = "accuracy" if is_classifier(model) else "r2"
    recorder, monitor = Recorder(stop_at=0), ScoringMonitor(scoring=scoring)
    model = clone(model).set_params(random_state=0).set_callbacks(recorder, monitor)
    twin = clone(model).set_callbacks()
    kwargs = {"classes": np.unique(y)} if is_classifier(model) else {}
    for call in range(2):
        recorder.calls.clear()
        model.partial_fit(X, y, **kwargs)
        twin.partial_fit(X, y, **kwargs)
        root = (type(model).__name__, "partial_fit", 0)
        assert [(h, path) for h, path, _ in recorder.calls] == [("begin", (root,)),
                                                                ("end", (root,))]
        np.testing.assert_array_equal(recorder.calls[-1][2], model.predict(X))
        # the end hook's request to stop changes nothing: the one pass is made
        assert model.stop_reason_ == "partial_fit"
        np.testing.assert_array_equal(model.coefs_[0], twin.coefs_[0])
    logs = monitor.get_logs(select="all")
    assert len(logs) == 2  # one run per call, one score each
    assert [len(log.data) for log in logs] == [1, 1]
    assert logs[-1].data[0][scoring] == model.score(X, y)


@needs_callbacks
def test_pipeline_passes_its_callbacks_to_the_network():
    from sklearn.callback import ProgressBar

    recorder = Recorder()
    pipe = make_pipeline(StandardScaler(), MLPClassifier((4,), max_iter=3, random_state=0))
    _quiet_fit(pipe.set_callbacks(recorder, ProgressBar()), X, y)
    network = pipe[-1]
    epochs = [(path, p) for h, path, p in recorder.calls
              if h == "end" and path[-1][1] == "epoch"]
    assert [path for path, _ in epochs] == [
        (("Pipeline", "fit", 0), ("MLPClassifier", "fit", 1),
         ("MLPClassifier", "epoch", k)) for k in range(3)]
    # the last epoch's model is the fitted network, on the scaled X the pipeline passed
    np.testing.assert_array_equal(epochs[-1][1], network.predict(pipe[0].transform(X)))
    assert not hasattr(network, "_skl_callbacks")  # lent for the fit only


@needs_callbacks
def test_grid_search_passes_its_callbacks_to_every_fit():
    from sklearn.callback import ProgressBar, ScoringMonitor

    recorder, monitor = Recorder(), ScoringMonitor(scoring="accuracy")
    network = MLPClassifier((4,), max_iter=2, random_state=0).set_callbacks(monitor)
    search = GridSearchCV(network, {"alpha": [1e-4, 1e-1]}, cv=2)
    _quiet_fit(search.set_callbacks(recorder, ProgressBar()), X, y)
    fits = 2 * 2 + 1  # candidates x splits, and the refit
    epochs = recorder.epochs()
    assert len(epochs) == 2 * fits
    assert all(p is not None for p in epochs)
    np.testing.assert_array_equal(epochs[-1], search.best_estimator_.predict(X))
    # the network's own callback scores the epochs of every fit of the search
    rows = monitor.get_logs().data
    assert sum(row["task_name"] == "epoch" for row in rows) == 2 * fits


def _state(model):
    """A deep copy of the estimator's attributes, except its callbacks, partial_fit's
    scratch buffers (whose contents every use overwrites; the next fit shows it) and
    the buffers of the history, whose rows past the attributes' views no view shows
    (the history attributes themselves are compared)."""
    return copy.deepcopy({k: v for k, v in vars(model).items()
                          if k not in ("_skl_callbacks", "_buffers", "_record_buffers")})


def _assert_same(a, b):
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(), b.get_state())
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _assert_same(u, v)
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b)
        _assert_same(vars(a), vars(b))
    else:
        assert a == b or (a != a and b != b)  # NaN equals NaN here


@needs_callbacks
@pytest.mark.parametrize("start, hook, n", [
    ("fit", "begin", 1),  # the root task's begin hook, before anything is done
    ("fit", "end", 2),  # the second epoch's end hook
    ("fit-lbfgs", "end", 2),
    ("warm_start", "end", 3),
    ("warm_start", "end", 5),  # the root task's, once the fit is stored
    ("partial_fit", "end", 1),  # after the pass, the optimizer has moved
], ids=lambda v: str(v))
def test_a_failing_callback_leaves_the_estimator_unchanged(start, hook, n):
    solver = "lbfgs" if start == "fit-lbfgs" else "adam"
    model = MLPClassifier((4,), solver=solver, max_iter=4, random_state=0)
    twin = clone(model)
    if start in ("warm_start", "partial_fit"):
        model.set_params(warm_start=True)
        twin.set_params(warm_start=True)
        _quiet_fit(model, X, y)
        _quiet_fit(twin, X, y)
    recorder = Recorder(fail=(hook, n))
    model.set_callbacks(recorder)
    before = _state(model)
    fit = model.partial_fit if start == "partial_fit" else model.fit
    with pytest.raises(RuntimeError, match=f"failed in its {hook} hook"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit(X, y)
    assert recorder.setups == recorder.teardowns == 1  # torn down all the same
    _assert_same(_state(model), before)
    assert model._skl_callbacks == [recorder]
    # and it goes on as if the failed call never happened
    model.set_callbacks()
    for estimator in (model, twin):
        if start == "partial_fit":
            estimator.partial_fit(X, y)
        else:
            _quiet_fit(estimator, X, y)
    for ours, theirs in zip(model.coefs_, twin.coefs_):
        np.testing.assert_array_equal(ours, theirs)


@needs_callbacks
def test_without_callbacks_nothing_is_begun():
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    assert _callbacks.start_fit_tasks(model, X, y, None, partial=False) is None
    assert not hasattr(model, "_callback_fit_ctx")


def test_without_the_callback_api_set_callbacks_is_absent(monkeypatch):
    recorder = Recorder()
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    expected = _quiet_fit(clone(model), X, y)
    model._skl_callbacks = [recorder]  # as if set where the API existed
    monkeypatch.setattr(_compat, "sklearn_callback", None)
    assert not hasattr(model, "set_callbacks")
    with pytest.raises(AttributeError, match="no attribute 'set_callbacks'") as error:
        model.set_callbacks(recorder)
    assert "scikit-learn 1.9" in str(error.value.__cause__)  # shown with the error
    _quiet_fit(model, X, y)  # fits as before, without calling any hook
    assert recorder.calls == [] and recorder.setups == 0
    np.testing.assert_array_equal(model.coefs_[0], expected.coefs_[0])


def test_without_the_callback_api_the_mixin_is_empty(monkeypatch):
    monkeypatch.setattr(_compat, "sklearn_callback", None)
    # a fresh copy of the module, built as an import would build it without the API
    spec = importlib.util.spec_from_file_location("skperceptron._estimator_probe",
                                                  _estimator.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.BaseNetwork.__bases__ == (BaseEstimator,)
    assert not hasattr(type("Probe", (module.BaseNetwork,), {})(), "set_callbacks")