"""Checkpoints: a fit killed and resumed ends bit for bit as the fit not interrupted.

The real thing runs a fit in another process, kills it with SIGKILL in the middle of
an epoch once its checkpoint shows epoch 3 or later, and resumes it here. The rest
resumes from every epoch of short fits in this process, and checks the file (written
atomically, plain data for skops and pickle) and the refusals.
"""

import copy
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skperceptron import (
    Checkpoint,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
    fit_with_checkpoints,
    resume_fit,
)
from skperceptron._training import callbacks as _callbacks
from skperceptron._training import checkpoint as _checkpoint
from skperceptron._utils import compat as _compat
from skperceptron._utils import speed as _speed

needs_callbacks = pytest.mark.skipif(
    _compat.sklearn_callback is None, reason="scikit-learn before 1.9 has no callbacks")

X, y = make_classification(240, 6, n_informative=4, random_state=0)
Xr, yr = make_regression(240, 6, noise=1.0, random_state=0)
yr = yr / yr.std()

#: Settings that use every part of the state a checkpoint saves.
CASES = {
    "adam-cosine-warmup-early-dropout": (MLPClassifier, dict(
        hidden_layer_sizes=(8, 6), solver="adam", learning_rate="cosine", warmup_epochs=3,
        early_stopping=True, n_iter_no_change=4, dropout=0.2, max_iter=14)),
    "sgd-momentum-clipping": (MLPClassifier, dict(
        hidden_layer_sizes=(8,), solver="sgd", momentum=0.9, clip_grad_norm=0.5,
        learning_rate_init=0.05, max_iter=12)),
    "sgd-adaptive-batch-norm": (MLPClassifier, dict(
        hidden_layer_sizes=(8, 6), solver="sgd", learning_rate="adaptive", batch_norm=True,
        tol=1e-2, n_iter_no_change=2, max_iter=25)),
    "rmsprop-frozen-step": (MLPRegressor, dict(
        hidden_layer_sizes=(8, 6), solver="rmsprop", frozen_layers=[0],
        learning_rate="step", decay_epochs=3, max_iter=10)),
    "adamw-clip-value-invscaling": (MLPRegressor, dict(
        hidden_layer_sizes=(7,), solver="adamw", clip_grad_value=0.3, alpha=1e-3,
        max_iter=10)),
    "sgd-invscaling-nesterov-l1": (MLPRegressor, dict(
        hidden_layer_sizes=(7,), solver="sgd", learning_rate="invscaling",
        momentum=0.5, nesterovs_momentum=True, learning_rate_init=0.05, max_iter=10)),
    "perceptron-mini-batches": (PerceptronClassifier, dict(batch_size=16, max_iter=8)),
    "perceptron-per-sample": (PerceptronClassifier, dict(max_iter=8)),
    "averaged-l1-per-sample": (PerceptronClassifier, dict(
        max_iter=8, average=True, penalty="l1", alpha=1e-3)),
    "delta-rule-per-sample-early": (PerceptronRegressor, dict(
        max_iter=10, eta0=0.01, early_stopping=True, n_iter_no_change=2)),
    "delta-rule-mini-batches-early": (PerceptronRegressor, dict(
        batch_size=16, max_iter=10, early_stopping=True, eta0=0.01)),
}

WEIGHTS = ("coefs_", "intercepts_", "batch_norm_scales_", "batch_norm_shifts_",
           "running_means_", "running_vars_")
EQUAL = ("loss_curve_", "n_iter_", "stop_reason_", "learning_rates_", "validation_scores_",
         "validation_loss_curve_", "t_", "best_loss_", "best_validation_score_", "loss_")
ARRAYS = ("gradient_norms_", "saturation_", "gradient_norm_curve_", "clipped_steps_")


def assert_same_fit(resumed, reference):
    """Every weight array, curve and count, bit for bit (NaN equal to NaN)."""
    for name in WEIGHTS:
        assert hasattr(resumed, name) == hasattr(reference, name), name
        for a, b in zip(getattr(resumed, name, []), getattr(reference, name, [])):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in EQUAL:
        a, b = getattr(resumed, name), getattr(reference, name)
        assert np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)) or (
            np.array_equal(a, b, equal_nan=True)), (name, a, b)
    for name in ARRAYS:
        assert np.array_equal(getattr(resumed, name), getattr(reference, name),
                              equal_nan=True), name


def _data(cls):
    if cls in (MLPRegressor, PerceptronRegressor):
        return Xr, yr
    return X, y


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)


# ------------------------------------------------------------------ in this process
@pytest.mark.parametrize("case", CASES)
def test_resuming_from_every_epoch_ends_as_the_fit_not_interrupted(case, tmp_path):
    cls, params = CASES[case]
    Xd, yd = _data(cls)
    reference = _fit(cls(random_state=0, **params), Xd, yd)
    assert reference.n_iter_ >= 4
    path = str(tmp_path / "fit-{epoch}.pkl")  # skops: below, slower to write and read
    checkpointed = _quiet(fit_with_checkpoints, cls(random_state=0, **params), Xd, yd,
                          Checkpoint(path))
    assert_same_fit(checkpointed, reference)  # writing changes nothing
    for epoch in range(1, reference.n_iter_ + 1):  # the last: only the stop is left
        resumed = _quiet(resume_fit, path.format(epoch=epoch), Xd, yd)
        assert type(resumed) is cls
        assert_same_fit(resumed, reference)


def test_own_validation_set_weights_float32_and_warm_start(tmp_path):
    """X_val/y_val, sample weights, float32 and a fit that continues a fitted model."""
    X32, w = X.astype(np.float32), np.linspace(0.5, 2.0, X.shape[0])
    params = dict(hidden_layer_sizes=(6,), max_iter=6, random_state=1, warm_start=True,
                  solver="adam", learning_rate="exponential")
    fits = dict(sample_weight=w, X_val=X32[:40], y_val=y[:40])
    reference = _fit(MLPClassifier(**params), X32, y)
    reference = _fit(reference, X32, y, **fits)  # a warm start: the history goes on
    first = _fit(MLPClassifier(**params), X32, y)
    path = str(tmp_path / "c-{epoch}.pkl")
    checkpointed = _quiet(fit_with_checkpoints, first, X32, y, path, **fits)
    assert_same_fit(checkpointed, reference)
    for epoch in (1, 3, 5):
        resumed = _quiet(resume_fit, path.format(epoch=epoch), X32, y, **fits)
        assert_same_fit(resumed, reference)
        assert len(resumed.loss_curve_) == 12


@needs_callbacks
def test_the_callback_writes_the_same_and_the_resumed_fit_keeps_it(tmp_path):
    cls, params = CASES["adam-cosine-warmup-early-dropout"]
    reference = _fit(cls(random_state=0, **params), X, y)
    path = str(tmp_path / "fit-{epoch}.skops")
    estimator = cls(random_state=0, **params).set_callbacks(Checkpoint(path, every=2))
    assert_same_fit(_fit(estimator, X, y), reference)
    written = sorted(os.listdir(tmp_path))
    resumed = _quiet(resume_fit, path.format(epoch=2), X, y)
    assert_same_fit(resumed, reference)
    assert [type(c) for c in resumed._skl_callbacks] == [Checkpoint]
    assert sorted(os.listdir(tmp_path)) == written  # it wrote the same files again


def test_every_and_at_best_choose_the_epochs_written(tmp_path):
    params = dict(hidden_layer_sizes=(6,), max_iter=9, random_state=0, solver="adam")
    path = str(tmp_path / "e{epoch}.pkl")
    _quiet(fit_with_checkpoints, MLPClassifier(**params), X, y, Checkpoint(path, every=4))
    assert sorted(os.listdir(tmp_path)) == ["e4.pkl", "e8.pkl"]
    for name in os.listdir(tmp_path):
        os.unlink(tmp_path / name)
    fitted = _quiet(fit_with_checkpoints, MLPClassifier(**params), X, y,
                    Checkpoint(path, every=100), X_val=X[:50], y_val=y[:50])
    scores = fitted.validation_scores_
    best = [e + 1 for e in range(len(scores)) if scores[e] > max([-np.inf] + scores[:e])]
    assert sorted(os.listdir(tmp_path)) == sorted(f"e{e}.pkl" for e in best)


def test_partial_fit_writes_no_checkpoint(tmp_path):
    estimator = MLPClassifier((5,), random_state=0)
    estimator._checkpoint = Checkpoint(tmp_path / "never.pkl")
    estimator.partial_fit(X, y, classes=[0, 1])
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ the file
def test_the_file_is_plain_data_for_skops_and_pickle(tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "fit.skops"
    _quiet(fit_with_checkpoints, MLPClassifier((5,), max_iter=3, random_state=0), X, y,
           Checkpoint(path))
    assert sio.get_untrusted_types(file=path) == []
    state = sio.load(path, trusted=[])
    assert state["format"] == _checkpoint.FORMAT and state["epoch"] == 3
    pickled = tmp_path / "fit.pkl"
    with open(pickled, "wb") as file:
        pickle.dump(state, file)
    again = pickle.loads(pickled.read_bytes())
    assert np.array_equal(again["loop"]["flat"], state["loop"]["flat"])
    assert_same_fit(_quiet(resume_fit, path, X, y),
                    _fit(MLPClassifier((5,), max_iter=3, random_state=0), X, y))


def test_a_callable_schedule_is_the_one_type_to_trust(tmp_path):
    path = tmp_path / "fit.skops"
    params = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0,
                  learning_rate=_halving)
    _quiet(fit_with_checkpoints, MLPClassifier(**params), X, y, Checkpoint(path, every=2))
    with pytest.raises(ValueError, match="not trusted.*_halving"):
        resume_fit(path, X, y)
    resumed = _quiet(resume_fit, path, X, y, trusted=[_halving])
    assert_same_fit(resumed, _fit(MLPClassifier(**params), X, y))


def _halving(epoch):
    return 0.5**epoch


def test_a_failing_write_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    path = tmp_path / "fit.pkl"
    _quiet(fit_with_checkpoints, MLPClassifier((5,), max_iter=2, random_state=0), X, y,
           Checkpoint(path))
    before = path.read_bytes()

    def half_then_fail(state, file, protocol=None):
        file.write(pickle.dumps(state)[:1000])
        raise OSError("disk full")

    monkeypatch.setattr(_callbacks.pickle, "dump", half_then_fail)
    estimator = MLPClassifier((5,), max_iter=4, random_state=1)
    with pytest.raises(OSError, match="disk full"):
        fit_with_checkpoints(estimator, X, y, Checkpoint(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["fit.pkl"]  # no temporary file left
    assert not hasattr(estimator, "coefs_") and not hasattr(estimator, "_checkpoint")


def test_a_checkpoint_is_replaced_whole_never_rewritten(tmp_path, monkeypatch):
    """Each write goes to a new file in the same folder, then os.replace."""
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(_callbacks.os, "replace",
                        lambda a, b: (replaced.append((os.path.dirname(a), b)),
                                      real_replace(a, b)))
    path = str(tmp_path / "fit.pkl")
    _quiet(fit_with_checkpoints, MLPClassifier((5,), max_iter=3, random_state=0), X, y, path)
    assert replaced == [(str(tmp_path), path)] * 3


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("every, error", [(0, ValueError), (-2, ValueError),
                                          (1.5, TypeError), (True, TypeError),
                                          ("5", TypeError)])
def test_every_must_be_a_positive_integer(every, error):
    with pytest.raises(error, match="every"):
        Checkpoint("fit.pkl", every=every)


def test_a_folder_that_does_not_exist_is_refused_before_training(tmp_path):
    estimator = MLPClassifier((5,), max_iter=2)
    with pytest.raises(ValueError, match="path .*cannot be written"):
        fit_with_checkpoints(estimator, X, y, Checkpoint(tmp_path / "no" / "fit.pkl"))
    assert not hasattr(estimator, "coefs_")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a folder this user cannot write")
def test_a_folder_that_cannot_be_written_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="cannot be written"):
            fit_with_checkpoints(MLPClassifier(), X, y, tmp_path / "fit.pkl")
    finally:
        tmp_path.chmod(0o700)


@needs_callbacks
def test_the_callback_checks_before_training_and_leaves_the_model(tmp_path):
    fitted = _fit(MLPClassifier((5,), max_iter=2, random_state=0), X, y)
    coefs = copy.deepcopy(fitted.coefs_)
    fitted.set_callbacks(Checkpoint(tmp_path / "missing" / "fit.skops"))
    with pytest.raises(ValueError, match="cannot be written"):
        fitted.fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(fitted.coefs_, coefs))


def test_the_per_sample_loop_drawing_ahead_resumes_with_its_state(tmp_path, monkeypatch):
    """``EpochOrders`` drawing the next epoch's order during an epoch (from 300 rows
    here, not 10,000: quick without numba too); sparse rows, an average from sample
    500 on and an L1 term."""
    monkeypatch.setattr(_speed, "DRAW_AHEAD_ROWS", 300)
    ahead = []
    real_state = _checkpoint._logical_state
    monkeypatch.setattr(_checkpoint, "_logical_state", lambda rng, orders: (
        ahead.append(orders.pending is not None), real_state(rng, orders))[1])
    Xb, yb = make_classification(400, 8, random_state=0)
    params = dict(max_iter=4, average=500, penalty="elasticnet", alpha=1e-4, tol=None,
                  random_state=0)
    for data in (Xb, sp.csr_matrix(Xb)):
        reference = _fit(PerceptronClassifier(**params), data, yb)
        path = str(tmp_path / "p-{epoch}.pkl")
        _quiet(fit_with_checkpoints, PerceptronClassifier(**params), data, yb, path)
        for epoch in (1, 2, 3):
            resumed = _quiet(resume_fit, path.format(epoch=epoch), data, yb)
            assert_same_fit(resumed, reference)
            # what a later partial_fit continues (the average, the debts) came back too
            reference_more = copy.deepcopy(reference).partial_fit(data[:100], yb[:100])
            assert_same_fit(resumed.partial_fit(data[:100], yb[:100]), reference_more)
    assert any(ahead) or (os.cpu_count() or 1) < 2


def test_lbfgs_and_other_estimators_are_refused(tmp_path):
    estimator = MLPClassifier(solver="lbfgs")
    with pytest.raises(ValueError, match="lbfgs"):
        fit_with_checkpoints(estimator, X, y, tmp_path / "a.pkl")
    assert not hasattr(estimator, "coefs_") and os.listdir(tmp_path) == []
    with pytest.raises(TypeError, match="skperceptron's estimators"):
        fit_with_checkpoints(object(), X, y, tmp_path / "c.pkl")


@pytest.fixture
def checkpoint_file(tmp_path):
    path = tmp_path / "fit.pkl"
    _quiet(fit_with_checkpoints, MLPClassifier((5,), max_iter=3, random_state=0), X, y, path)
    return path


def test_other_data_are_refused(checkpoint_file):
    with pytest.raises(ValueError, match="other data.*other values"):
        resume_fit(checkpoint_file, X + 1e-12, y)
    with pytest.raises(ValueError, match="other data.*shapes"):
        resume_fit(checkpoint_file, X[:-1], y[:-1])
    with pytest.raises(ValueError, match="other data"):
        resume_fit(checkpoint_file, X, y, sample_weight=np.full(len(y), 2.0))
    with pytest.raises(ValueError, match="other data"):
        resume_fit(checkpoint_file, X, 1 - y)


def _rewrite(path, **changes):
    state = pickle.loads(path.read_bytes())
    state.update(changes)
    path.write_bytes(pickle.dumps(state))


def test_another_version_or_class_is_refused(checkpoint_file):
    _rewrite(checkpoint_file, version="0.0.1")
    with pytest.raises(ValueError, match="written by skperceptron 0.0.1"):
        resume_fit(checkpoint_file, X, y)
    _rewrite(checkpoint_file, version=_checkpoint._version(),
             estimator="sklearn.neural_network.MLPClassifier")
    with pytest.raises(ValueError, match="not an estimator of skperceptron"):
        resume_fit(checkpoint_file, X, y)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(MLPClassifier()))
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint")
    for path in (model, text, tmp_path / "missing.pkl"):
        with pytest.raises(ValueError, match="checkpoint"):
            resume_fit(path, X, y)
    sio = pytest.importorskip("skops.io")
    saved = tmp_path / "model.skops"
    sio.dump(_fit(MLPClassifier((3,), max_iter=2), X, y), saved)
    with pytest.raises(ValueError, match="not trusted"):
        resume_fit(saved, X, y)


# ------------------------------------------------------------------ killed with SIGKILL
CHILD = """
import sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from sklearn.datasets import make_classification
from skperceptron import Checkpoint, MLPClassifier, fit_with_checkpoints
from skperceptron._training import stochastic

real = stochastic.loss_and_gradients
def slow(*args, **kwargs):  # slower batches, the same numbers: time to kill mid-epoch
    time.sleep(0.004)
    return real(*args, **kwargs)
stochastic.loss_and_gradients = slow
X, y = make_classification(1200, 10, n_informative=6, random_state=0)
estimator = MLPClassifier(**{params!r})
fit_with_checkpoints(estimator, X, y, Checkpoint({path!r}))
print("finished", estimator.n_iter_)
"""

KILLED = {
    "adam-cosine-warmup-early-dropout": dict(
        hidden_layer_sizes=(16, 8), solver="adam", learning_rate="cosine", warmup_epochs=2,
        early_stopping=True, n_iter_no_change=30, dropout=0.1, max_iter=12,
        batch_size=32, random_state=0),
    "sgd-momentum-clipping": dict(
        hidden_layer_sizes=(16,), solver="sgd", momentum=0.9, clip_grad_norm=0.5,
        learning_rate_init=0.05, max_iter=12, batch_size=32, random_state=0),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", KILLED)
def test_a_fit_killed_mid_epoch_resumes_bit_for_bit(case, tmp_path):
    params = KILLED[case]
    path = str(tmp_path / ("fit.skops" if "adam" in case else "fit.pkl"))
    code = textwrap.dedent(CHILD).format(params=params, path=path)
    child = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        epoch = _wait_for_epoch(path, child, 3)
        time.sleep(0.05)  # into the next epoch (each takes about 0.15 s)
        os.kill(child.pid, signal.SIGKILL)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    state = _checkpoint.read_checkpoint(path)
    assert epoch <= state["epoch"] < params["max_iter"]  # killed before the end
    Xk, yk = make_classification(1200, 10, n_informative=6, random_state=0)
    resumed = _quiet(resume_fit, path, Xk, yk)
    reference = _fit(MLPClassifier(**params), Xk, yk)
    assert_same_fit(resumed, reference)
    assert reference.n_iter_ > state["epoch"]


def _wait_for_epoch(path, child, epoch, timeout=120):
    """The epoch of the checkpoint once it shows ``epoch`` or later."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if child.poll() is not None:
            raise AssertionError("the fit ended before it could be killed: "
                                 + child.stderr.read().decode())
        if os.path.exists(path):
            written = _checkpoint.read_checkpoint(path)["epoch"]
            if written >= epoch:
                return written
        time.sleep(0.01)
    raise AssertionError(f"no checkpoint of epoch {epoch} within {timeout} s")
