"""The weights training returns to: a single pass's start, kept whole or, on sparse
rows of a wide model, only at the entries the pass may write.

The partial copy is right only if an epoch on CSR rows (without penalty or average)
writes nothing else: checked here entry by entry, for one and for several units, with
and without numba's loops; and a pass that diverges or fails must then return every
weight to its start, bit for bit.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skperceptron import PerceptronClassifier, PerceptronRegressor
from skperceptron._training import snapshots
from skperceptron._training.snapshots import StartCopy
from skperceptron._utils.speed import BufferCache


def test_a_start_kept_at_positions_comes_back_with_positions_listed_twice():
    flat = np.arange(10.0)
    start = StartCopy(flat)
    start.restore()  # nothing kept yet: nothing to put back
    assert_array_equal(flat, np.arange(10.0))
    positions = np.array([7, 2, 7, 9, 2])
    start.keep(positions)
    assert start.unchanged()
    flat[[2, 7, 9]] = [-1.0, -2.0, -3.0]
    assert not start.unchanged()
    start.restore()
    assert_array_equal(flat, np.arange(10.0))
    assert start.unchanged()


def test_a_whole_start_reuses_the_buffer_of_the_last_call():
    cache, flat = BufferCache(), np.linspace(0.0, 1.0, 7)
    first = StartCopy(flat, cache)
    first.keep()
    flat[3] = 5.0
    assert not first.unchanged()
    first.restore()
    assert_array_equal(flat, np.linspace(0.0, 1.0, 7))
    second = StartCopy(flat, cache)
    second.keep()
    assert second.values is first.values  # the same buffer, no new pages
    # Another dtype of the same size is another buffer.
    third = StartCopy(flat.astype(np.float32), cache)
    third.keep()
    assert third.values.dtype == np.float32


def _wide_rows(n_rows=30, n_features=4000, per_row=6, seed=0):
    """CSR rows storing a few values each (so few that an epoch's entries are fewer
    than an eighth of the weights), one of them an explicit zero."""
    rng = np.random.default_rng(seed)
    columns = np.concatenate([np.sort(rng.choice(n_features, per_row, replace=False))
                              for _ in range(n_rows)])
    values = rng.normal(size=columns.size) * 3
    values[4] = 0.0
    X = sp.csr_matrix((values, columns, np.arange(0, columns.size + 1, per_row)),
                      shape=(n_rows, n_features))
    return X, rng


_WIDE = {
    "binary": (lambda: PerceptronClassifier(random_state=0), lambda rng, n: rng.integers(0, 2, n)),
    "three classes": (lambda: PerceptronClassifier(random_state=0),
                      lambda rng, n: rng.integers(0, 3, n)),
    "hinge, no intercept": (lambda: PerceptronClassifier(loss="hinge", fit_intercept=False,
                                                         random_state=0),
                            lambda rng, n: rng.integers(0, 2, n)),
    "regressor, two outputs": (lambda: PerceptronRegressor(eta0=1e-3, random_state=0),
                               lambda rng, n: rng.normal(size=(n, 2))),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(_WIDE))
def test_a_pass_on_wide_sparse_rows_writes_only_the_entries_it_keeps(case, dtype, monkeypatch):
    """Every weight outside the kept positions is bit for bit what it was, and the
    pass moved some weights: the partial copy loses nothing."""
    make, targets = _WIDE[case]
    X, rng = _wide_rows()
    X = X.astype(dtype)
    y = targets(rng, X.shape[0])
    kept = []
    keep = StartCopy.keep

    def spy(self, positions=None):
        kept.append(positions)
        keep(self, positions)

    monkeypatch.setattr(snapshots.StartCopy, "keep", spy)
    model = make().partial_fit(X[:10], y[:10], **({"classes": np.unique(y)}
                                                  if case != "regressor, two outputs" else {}))
    flat = model.coefs_[0].base
    before = flat.copy()
    model.partial_fit(X[10:], y[10:])
    positions = kept[-1]
    assert positions is not None  # the partial copy, not the whole vector
    assert model.coefs_[0].base is flat  # trained where it is
    moved = np.flatnonzero(flat != before)
    assert moved.size > 0
    assert np.isin(moved, positions).all()


def test_a_pass_that_diverges_on_wide_sparse_rows_returns_every_weight():
    X, rng = _wide_rows()
    y = rng.normal(size=X.shape[0])
    reg = PerceptronRegressor(eta0=1e-3, random_state=0).partial_fit(X, y)
    before = [a.copy() for a in reg.coefs_ + reg.intercepts_]
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.set_params(eta0=1e150).partial_fit(X * 1e100, y)
    assert reg.stop_reason_ == "diverged"
    for a, b in zip(reg.coefs_ + reg.intercepts_, before, strict=True):
        assert_array_equal(a, b)


def test_a_failure_after_a_pass_on_wide_sparse_rows_puts_every_weight_back(monkeypatch):
    import skperceptron._estimator as estimator_module

    X, rng = _wide_rows()
    y = rng.integers(0, 2, X.shape[0])
    clf = PerceptronClassifier(random_state=0).partial_fit(X[:10], y[:10], classes=[0, 1])
    flat = clf.coefs_[0].base
    before = flat.copy()

    def fail(*args):
        assert not np.array_equal(flat, before)  # the pass moved weights
        raise RuntimeError("storing failed")

    monkeypatch.setattr(estimator_module, "store_fit", fail)
    with pytest.raises(RuntimeError, match="storing failed"):
        clf.partial_fit(X[10:], y[10:])
    assert_array_equal(flat, before)


@pytest.mark.parametrize("case", list(_WIDE))
def test_wide_sparse_passes_end_as_with_a_whole_copy_and_the_bound(case, monkeypatch):
    """The partial copy and the forward overflow check change no result: the same
    calls with ``written`` switched off (the whole start kept, the overflow bound over
    every weight) end on the same weights, losses and stop reasons, call after call."""
    from skperceptron._training.online import OnlineEpochs

    make, targets = _WIDE[case]
    X, rng = _wide_rows(n_rows=60)
    y = targets(rng, X.shape[0])
    extra = {"classes": np.unique(y)} if case != "regressor, two outputs" else {}
    models = {}
    for partial in (True, False):
        with monkeypatch.context() as patch:
            if not partial:
                patch.setattr(OnlineEpochs, "written", lambda self: None)
            model = make()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                for start in (0, 20, 40):
                    model.partial_fit(X[start:start + 20], y[start:start + 20], **extra)
            models[partial] = model
    ours, reference = models[True], models[False]
    for a, b in zip(ours.coefs_ + ours.intercepts_, reference.coefs_ + reference.intercepts_,
                    strict=True):
        assert_array_equal(a, b)
    assert ours.loss_curve_ == reference.loss_curve_
    assert ours.stop_reason_ == reference.stop_reason_


def test_a_pass_on_wide_sparse_rows_checks_overflow_on_its_rows(monkeypatch):
    """The overflow check of such a pass runs the rows forward; the bound, a pass over
    every weight, is not computed (it still is on narrow rows)."""
    from skperceptron._training import epochs

    calls = []
    bound = epochs.net_inputs_bounded

    def spy(*args):
        calls.append(args[1].flat.size)
        return bound(*args)

    monkeypatch.setattr(epochs, "net_inputs_bounded", spy)
    X, rng = _wide_rows()
    y = rng.integers(0, 2, X.shape[0])
    clf = PerceptronClassifier(random_state=0).partial_fit(X[:10], y[:10], classes=[0, 1])
    clf.partial_fit(X[10:], y[10:])
    assert calls == []
    narrow = sp.csr_matrix(X[:, :40].toarray() + 1.0)  # every column stored
    PerceptronClassifier(random_state=0).partial_fit(narrow, y, classes=[0, 1])
    assert calls == [41]
