"""How training stops: the criteria, an interruption, and divergence.

The stopping criteria are checked on hand-made sequences of epochs. A fit interrupted
(KeyboardInterrupt) keeps the weights of its last completed epoch or iteration; a fit
that diverges stops, warns with advice in the estimator's own parameters, and keeps
finite weights, whatever the solver.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor
from skperceptron._engine import network as _network
from skperceptron._training.stopping import (
    Divergence,
    EpochRecord,
    FixedPoint,
    LossThreshold,
    MaxIterations,
    NoImprovement,
)

# The fits below that stop on their iteration budget warn; only how they stop matters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _losses(values, fixed_point=False):
    return [
        EpochRecord(epoch, loss, fixed_point=fixed_point)
        for epoch, loss in enumerate(values, 1)
    ]


def _scores(values):
    return [EpochRecord(epoch, 1.0, validation_score=s) for epoch, s in enumerate(values, 1)]


def _decisions(criterion, records):
    return [criterion.observe(r) for r in records]


def test_max_iterations_fires_at_the_last_epoch():
    criterion = MaxIterations(3)
    assert _decisions(criterion, _losses([5, 4, 3, 2])) == [False, False, True, True]
    assert criterion.reason == "max_iter"


def test_loss_threshold_fires_at_or_below_the_threshold():
    criterion = LossThreshold(0.5)
    assert _decisions(criterion, _losses([2.0, 0.51, 0.5, 0.1])) == [False, False, True, True]
    assert criterion.reason == "loss_threshold"
    # A zero threshold waits for an exact zero loss at a fixed point.
    assert _decisions(LossThreshold(0.0), _losses([1e-300, 0.0], fixed_point=True)) == [
        False,
        True,
    ]


def test_loss_threshold_ignores_a_zero_loss_that_still_moved_the_weights():
    # The perceptron criterion is 0 on boundary samples that are still updated on.
    records = [EpochRecord(1, 0.0), EpochRecord(2, 0.0, fixed_point=True)]
    assert _decisions(LossThreshold(0.0), records) == [False, True]
    assert _decisions(LossThreshold(0.1), records) == [False, True]


def test_fixed_point_fires_only_on_a_fixed_point_epoch():
    criterion = FixedPoint()
    records = [EpochRecord(1, 0.0), EpochRecord(2, 0.0, fixed_point=True)]
    assert _decisions(criterion, records) == [False, True]
    assert criterion.reason == "converged"


def test_training_loss_plateau_counts_epochs_without_improvement_by_tol():
    criterion = NoImprovement(tol=0.1, patience=3, monitor="loss")
    assert criterion.reason == "training_loss_plateau"
    # 10 improves on inf; 9.95 and 9.91 are within tol of the best (count 1, 2);
    # 9.7 beats the best 9.91 by more than tol (count 0); then three epochs that do not
    # beat the best by tol: 9.65, 9.9 and 9.61.
    decisions = _decisions(criterion, _losses([10.0, 9.95, 9.91, 9.7, 9.65, 9.9, 9.61]))
    assert decisions == [False, False, False, False, False, False, True]
    assert criterion.best == 9.61  # the best tracks the lowest loss, improvement or not


def test_training_loss_improvement_is_measured_against_the_best_not_the_last():
    # Each epoch is lower than the previous one by 0.06 < tol: no improvement counted.
    criterion = NoImprovement(tol=0.1, patience=3, monitor="loss")
    decisions = _decisions(criterion, _losses([1.0, 0.94, 0.88, 0.82]))
    assert decisions == [False, False, False, True]


def test_training_loss_exactly_tol_below_the_best_is_no_improvement():
    # Improvement needs loss < best - tol (strictly); values exact in binary.
    criterion = NoImprovement(tol=0.25, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 0.75])) == [False, True]
    criterion = NoImprovement(tol=0.25, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 0.5])) == [False, False]


def test_zero_tol_and_patience_one_stops_at_the_first_non_decrease():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([3.0, 2.0, 2.0])) == [False, False, True]


def test_validation_score_plateau_counts_epochs_without_improvement_by_tol():
    criterion = NoImprovement(tol=0.01, patience=2, monitor="validation_score")
    assert criterion.reason == "validation_score_plateau"
    # 0.5 improves on -inf; 0.505 < 0.5 + tol (count 1); 0.52 improves (count 0);
    # 0.525 and 0.4 do not (count 1, 2).
    decisions = _decisions(criterion, _scores([0.5, 0.505, 0.52, 0.525, 0.4]))
    assert decisions == [False, False, False, False, True]
    assert criterion.best == 0.525


def test_validation_score_exactly_tol_above_the_best_improves():
    # Improvement is score >= best + tol; values exact in binary.
    criterion = NoImprovement(tol=0.25, patience=1, monitor="validation_score")
    assert _decisions(criterion, _scores([0.25, 0.5, 0.625])) == [False, False, True]


def test_reset_restarts_the_count_but_keeps_the_best():
    criterion = NoImprovement(tol=0.0, patience=2, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 2.0])) == [False, False]
    assert criterion.count == 1
    criterion.reset()
    assert criterion.count == 0 and criterion.best == 1.0
    # 1.5 is worse than the kept best 1.0, not an improvement over a forgotten one.
    assert _decisions(criterion, _losses([1.5, 1.2])) == [False, True]


def test_best_can_be_carried_over_from_an_earlier_fit():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="loss", best=0.5)
    assert criterion.observe(EpochRecord(1, 0.7))
    criterion = NoImprovement(tol=0.0, patience=1, monitor="validation_score", best=0.9)
    assert criterion.observe(EpochRecord(1, 1.0, validation_score=0.8))


def test_zero_loss_epochs_that_still_moved_the_weights_are_skipped():
    # A perceptron epoch with every sample on the boundary has loss 0 but updates:
    # it neither improves nor counts against patience.
    criterion = NoImprovement(tol=0.1, patience=2, monitor="loss")
    assert not criterion.observe(EpochRecord(1, 1.0))
    assert not criterion.observe(EpochRecord(2, 1.0))  # count 1
    for epoch in range(3, 10):
        assert not criterion.observe(EpochRecord(epoch, 0.0, fixed_point=False))
    assert criterion.count == 1 and criterion.best == 1.0
    assert criterion.observe(EpochRecord(10, 1.0))  # count 2


def test_zero_loss_fixed_point_epochs_are_counted():
    criterion = NoImprovement(tol=0.1, patience=2, monitor="loss")
    records = _losses([0.0, 0.0, 0.0], fixed_point=True)
    assert _decisions(criterion, records) == [False, False, True]
    assert criterion.best == 0.0


def test_zero_training_loss_does_not_silence_validation_monitoring():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="validation_score")
    records = [EpochRecord(1, 0.0, 0.8), EpochRecord(2, 0.0, 0.7)]
    assert _decisions(criterion, records) == [False, True]


@pytest.mark.parametrize("monitor, start", [("loss", np.inf), ("validation_score", -np.inf)])
def test_default_best_is_the_worst_possible(monitor, start):
    assert NoImprovement(tol=1e-4, patience=10, monitor=monitor).best == start


# ----------------------------------------------------------------- Divergence
def test_divergence_fires_on_a_non_finite_loss():
    criterion = Divergence()
    assert criterion.observe(EpochRecord(1, np.nan, start_loss=1.0))
    assert Divergence().observe(EpochRecord(1, np.inf))


def test_divergence_fires_when_the_loss_grows_past_the_factor_of_the_first_loss():
    criterion = Divergence(factor=100.0)
    # The reference is the first batch's loss at the starting weights (2.0).
    assert not criterion.observe(EpochRecord(1, 5.0, start_loss=2.0))
    assert not criterion.observe(EpochRecord(2, 200.0, start_loss=4.0))  # exactly 100x
    assert criterion.observe(EpochRecord(3, 200.1, start_loss=150.0))
    assert criterion.reason == "diverged"


def test_divergence_takes_the_first_nonzero_loss_as_reference():
    # At zero weights the perceptron criterion is 0: that cannot serve as a scale.
    criterion = Divergence(factor=10.0)
    assert not criterion.observe(EpochRecord(1, 0.0, start_loss=0.0))
    assert criterion.reference is None
    assert not criterion.observe(EpochRecord(2, 3.0, start_loss=0.0))
    assert criterion.reference == 3.0
    assert not criterion.observe(EpochRecord(3, 30.0))
    assert criterion.observe(EpochRecord(4, 31.0))


# ---------------------------------------------------------------- interruption
class _Interrupt:
    """A loss_and_gradients that raises KeyboardInterrupt on its n-th call."""

    def __init__(self, after):
        self.after, self.calls = after, 0
        self.original = _network.loss_and_gradients

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return self.original(*args, **kwargs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_interrupted_fit_keeps_the_weights_of_the_last_completed_epoch(solver, monkeypatch,
                                                                     digits, weight_arrays):
    X, y = digits()
    # batch_size=100: three batches per epoch, interrupted in the middle of epoch 3.
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=100, random_state=0,
                  shuffle=False)
    reference = MLPClassifier(max_iter=2, **kwargs).fit(X, y)
    monkeypatch.setattr("skperceptron._training.stochastic.loss_and_gradients", _Interrupt(after=7))
    with pytest.warns(UserWarning, match="^Training interrupted by user. It stopped in epoch 3.*last completed epoch"):
        clf = MLPClassifier(max_iter=10, **kwargs).fit(X, y)
    assert clf.stop_reason_ == "interrupted"
    assert clf.n_iter_ == 2
    for a, b in zip(weight_arrays(clf), weight_arrays(reference)):
        assert_array_equal(a, b)
    # The estimator is usable: it predicts and can go on training.
    assert clf.predict(X).shape == y.shape
    monkeypatch.undo()
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1


@pytest.fixture
def lbfgs_stopped_by(diabetes_as_loaded, weight_arrays):
    """``lbfgs_stopped_by(monkeypatch, evaluation, warning, match)``: an L-BFGS fit whose
    ``loss_and_gradients`` is ``evaluation`` (failing from its 13th call on), checked to
    keep the weights L-BFGS reached after ``n_iter_`` iterations, the same as a fit with
    that budget."""

    def fit(monkeypatch, evaluation, warning, match):
        X, y = diabetes_as_loaded()
        kwargs = dict(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
        monkeypatch.setattr("skperceptron._training.lbfgs.loss_and_gradients", evaluation)
        with pytest.warns(warning, match=match):
            reg = MLPRegressor(max_iter=100, **kwargs).fit(X, y)
        monkeypatch.undo()
        assert 0 < reg.n_iter_ < 12
        assert all(np.isfinite(p).all() for p in weight_arrays(reg))
        reference = MLPRegressor(max_iter=reg.n_iter_, **kwargs).fit(X, y)
        for a, b in zip(weight_arrays(reg), weight_arrays(reference)):
            assert_array_equal(a, b)
        return reg

    return fit


def test_interrupted_lbfgs_keeps_the_last_completed_iteration(monkeypatch, lbfgs_stopped_by):
    reg = lbfgs_stopped_by(monkeypatch, _Interrupt(after=12), UserWarning,
                           "^Training interrupted by user. It stopped after .* L-BFGS "
                           "iterations")
    assert reg.stop_reason_ == "interrupted"


class _Overflow(_Interrupt):
    """A loss_and_gradients whose objective is infinite from its n-th call on."""

    def __call__(self, *args, **kwargs):
        self.calls += 1
        value, outputs = self.original(*args, **kwargs)
        return (np.inf if self.calls > self.after else value), outputs


def test_diverged_lbfgs_keeps_the_last_iteration_with_a_finite_objective(monkeypatch,
                                                                        lbfgs_stopped_by):
    reg = lbfgs_stopped_by(monkeypatch, _Overflow(after=12), ConvergenceWarning,
                           "diverged in L-BFGS iteration")
    assert reg.stop_reason_ == "diverged"
    assert len(reg.loss_curve_) == reg.n_iter_ == reg.gradient_norms_.shape[0]
    assert np.isfinite(reg.loss_curve_).all() and reg.loss_ == reg.loss_curve_[-1]


# ---------------------------------------------------------------- divergence of a fit
def _fit_expecting_divergence(est, X, y):
    """Fit ``est`` where training blows up. Returns the divergence warnings raised.

    Numpy's RuntimeWarnings (overflow, invalid value) are turned into errors: they must
    not escape to the user. Returns None when fit refused with a ValueError instead.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert re.search(r"diverg|non-finite|infinit", str(exc)), str(exc)
            return None
        _assert_finite_model(est, X)
    return [
        w for w in caught
        if issubclass(w.category, ConvergenceWarning) and "diverge" in str(w.message)
    ]


def _assert_finite_model(est, X):
    for array in list(est.coefs_) + list(est.intercepts_):
        assert np.isfinite(array).all()
    assert np.isfinite(est.predict(X).astype(float)).all()
    if hasattr(est, "predict_proba"):
        assert np.isfinite(est.predict_proba(X)).all()
    if hasattr(est, "decision_function"):
        assert np.isfinite(est.decision_function(X)).all()
    if est.loss_ is not None:
        assert np.isfinite(est.loss_)


def _assert_reported_divergence(est, divergence_warnings, lr_name):
    if divergence_warnings is None:  # refused with a clear ValueError
        return
    assert len(divergence_warnings) == 1, (
        f"no divergence reported: stop_reason_={est.stop_reason_!r}, "
        f"loss_curve_={est.loss_curve_}"
    )
    assert f"smaller {lr_name}" in str(divergence_warnings[0].message)
    assert est.stop_reason_ == "diverged"


def test_mlp_classifier_with_huge_momentum_step_reports_divergence():
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier(
        hidden_layer_sizes=(10,), solver="sgd", learning_rate_init=1e3, momentum=0.99,
        max_iter=50, random_state=0,
    )
    caught = _fit_expecting_divergence(est, X, y)
    _assert_reported_divergence(est, caught, "learning_rate_init")


@pytest.mark.parametrize(
    "scale_X", [1.0, 100.0], ids=["diabetes", "diabetes_times_100"]
)
def test_mlp_regressor_on_huge_targets_with_huge_step_reports_divergence(scale_X):
    X, y = load_diabetes(return_X_y=True)
    X, y = X * scale_X, y + 1e6  # targets around one million, left unscaled
    est = MLPRegressor(
        hidden_layer_sizes=(10,), solver="sgd", learning_rate_init=1e3, max_iter=30,
        random_state=0,
    )
    caught = _fit_expecting_divergence(est, X, y)
    _assert_reported_divergence(est, caught, "learning_rate_init")


@pytest.mark.parametrize("batch_size", [1, 10, "full"])
def test_perceptron_regressor_with_huge_eta0_on_unscaled_data_reports_divergence(batch_size):
    X, y = load_diabetes(return_X_y=True, scaled=False)  # features up to ~300
    est = PerceptronRegressor(eta0=1e3, batch_size=batch_size, max_iter=30, random_state=0)
    caught = _fit_expecting_divergence(est, X, y)
    _assert_reported_divergence(est, caught, "eta0")


def test_perceptron_divergence_advice_names_only_its_own_parameters():
    X, y = load_diabetes(return_X_y=True, scaled=False)
    est = PerceptronRegressor(eta0=1e3, max_iter=30, random_state=0)
    caught = _fit_expecting_divergence(est, X, y)
    assert caught, "expected a divergence warning"
    message = str(caught[0].message)
    assert "eta0" in message
    # Perceptrons have no momentum parameter: advising a smaller one misleads.
    assert "momentum" not in message, message


@pytest.mark.parametrize("hidden_layer_sizes", [(), (3,)])
def test_lbfgs_on_overflowing_inputs_reports_divergence_and_keeps_its_start(
        hidden_layer_sizes):
    # Inputs of 1e100: the objective at the starting weights is finite (~1e198), its
    # gradient ~1e199, and L-BFGS's first step overflows the output. As the stochastic
    # solvers do, it stops, warns and keeps the weights whose objective was finite:
    # here the starting ones, assigned below so that the test knows them.
    X = np.array([[1e100], [-1e100], [1.0]])
    y = np.array([1.0, 0.0, 2.0])
    est = MLPRegressor(hidden_layer_sizes=hidden_layer_sizes, solver="lbfgs",
                       warm_start=True, max_iter=20, random_state=0)
    rng = np.random.RandomState(0)
    sizes = (1, *hidden_layer_sizes, 1)
    est.coefs_ = [rng.uniform(-1, 1, (a, b)) for a, b in zip(sizes, sizes[1:])]
    est.intercepts_ = [rng.uniform(-1, 1, b) for b in sizes[1:]]
    start = [a.copy() for a in est.coefs_ + est.intercepts_]
    caught = _fit_expecting_divergence(est, X, y)
    assert caught is not None, "L-BFGS raised instead of stopping as diverged"
    assert len(caught) == 1
    assert "scaling the inputs and targets" in str(caught[0].message)
    assert "learning_rate_init" not in str(caught[0].message)  # L-BFGS has no step size
    assert est.stop_reason_ == "diverged"
    assert est.n_iter_ == 0 and est.loss_curve_ == [] and est.loss_ is None
    for kept, first in zip(est.coefs_ + est.intercepts_, start):
        np.testing.assert_array_equal(kept, first)


def test_logistic_perceptron_on_extreme_inputs_stays_finite():
    X, y = load_iris(return_X_y=True)
    est = PerceptronClassifier(
        activation="logistic", loss="log_loss", eta0=1e6, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X * 1e100, y)
        _assert_finite_model(est, X * 1e100)
    np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0)


def test_floating_point_error_state_is_restored_after_divergence(diabetes_as_loaded):
    X, y = diabetes_as_loaded()
    before = np.geterr()
    with pytest.warns(ConvergenceWarning, match="diverged"):
        MLPRegressor(solver="sgd", learning_rate_init=1e6, momentum=0.999,
                     max_iter=20, random_state=0).fit(X, y * 1e6)
    assert np.geterr() == before


# The overflow of a net input in the weights' dtype: found by a generated input, where
# the CSR loop (which sums its net inputs in float64) kept training weights whose
# float32 predictions on the training data were infinite, while the dense loop stopped.
_HUGE_ROWS = np.array([[5e17], [5e18], [0.0]], dtype=np.float32)
_OVERFLOWING = [
    (PerceptronRegressor, dict(loss=loss)) for loss in ("squared_error", "huber",
                                                        "absolute_error")
] + [
    (PerceptronClassifier, dict(loss=loss)) for loss in ("perceptron", "hinge")
] + [
    (PerceptronClassifier, dict(activation="logistic", loss="log_loss")),
]


@pytest.mark.parametrize("width", [1, 100], ids=["narrow", "wide"])
@pytest.mark.parametrize("layout", ["csr", "csc", "coo"])
@pytest.mark.parametrize("cls, kwargs", _OVERFLOWING,
                         ids=[f"{c.__name__}-{k.get('loss')}" for c, k in _OVERFLOWING])
def test_dense_and_sparse_rows_reach_the_same_verdict_on_overflowing_weights(
        cls, kwargs, layout, width):
    """Narrow rows: the sparse check bounds every weight; wide ones (99 empty columns):
    the rows write few weights, and the check runs them forward instead."""
    import scipy.sparse as sp

    rows = np.hstack([_HUGE_ROWS, np.zeros((3, width - 1), np.float32)])
    y = [0.0, 0.0, 1.0] if cls is PerceptronRegressor else [0, 0, 1]
    common = dict(kwargs, batch_size=1, max_iter=2, eta0=1000.0, tol=None,
                  fit_intercept=False, shuffle=False, random_state=0,
                  weight_init="glorot_normal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = cls(**common).fit(rows, y)
        sparse = cls(**common).fit(getattr(sp, f"{layout}_matrix")(rows), y)
    assert sparse.stop_reason_ == dense.stop_reason_
    assert sparse.n_iter_ == dense.n_iter_
    for model in (dense, sparse):
        # No fit ends on weights whose predictions on the training data overflow (raw
        # scores of the perceptron and the hinge may be infinite, never NaN).
        scores = (model.predict(rows) if cls is PerceptronRegressor
                  else model.decision_function(rows))
        if kwargs.get("loss") in ("perceptron", "hinge"):
            assert not np.isnan(scores).any()
        else:
            assert np.isfinite(scores).all()
        assert all(np.isfinite(v) and v <= np.finfo(np.float32).max
                   for v in model.loss_curve_)


@pytest.mark.parametrize("seed", range(5))
def test_row_norm_bound_reads_every_layout_and_empty_rows(seed):
    """Dense rows: their largest norm, chunk by chunk. Sparse rows: a bound between
    that norm and sqrt(k) times it (k: the most values a row stores), also with
    repeated entries, which add up before they square."""
    import scipy.sparse as sp

    from skperceptron._training.epochs import row_norm_bound

    rng = np.random.default_rng(seed)
    # Rows left empty at the start, middle and end, a chunk smaller than the rows.
    A = rng.normal(size=(23, 6)) * (rng.random((23, 6)) < 0.3)
    A[[0, 7, 8, 22]] = 0.0
    norms = np.sqrt((A ** 2).sum(axis=1))
    k = int((A != 0).sum(axis=1).max())
    for X in (A, A.astype(np.float32)):
        for chunk in (1, 3, 4096):
            # float32 rows are squared in float64: relative error of the float32 cast.
            rtol = 1e-7 if X.dtype == np.float32 else 1e-14
            np.testing.assert_allclose(row_norm_bound(X, values=chunk * X.shape[1]),
                                       norms.max(), rtol=rtol)
    for X in (sp.csr_matrix(A), sp.csc_matrix(A), sp.coo_matrix(A),
              sp.csr_matrix(A.astype(np.float32))):
        bound = row_norm_bound(X)
        assert norms.max() * (1 - 1e-7) <= bound <= np.sqrt(k) * norms.max() * (1 + 1e-7)
    # The same rows with each value stored as two halves (not summed): still a bound.
    whole = sp.csr_matrix(A)
    halves = sp.csr_matrix((np.repeat(whole.data / 2, 2), np.repeat(whole.indices, 2),
                            2 * whole.indptr), shape=A.shape)
    np.testing.assert_array_equal(halves.toarray(), A)
    assert not halves.has_canonical_format
    assert row_norm_bound(halves) >= norms.max() * (1 - 1e-7)
    assert row_norm_bound(sp.csr_matrix((4, 3))) == 0.0
    assert row_norm_bound(np.zeros((0, 3))) == 0.0


# Each warning scikit-learn also gives starts with its words, so that the filters of
# its users' scripts (``message=`` matches the start of the text) silence ours too;
# the module of every warning is this package's, so ``module="skperceptron"`` does.
@pytest.mark.parametrize("estimator, start", [
    (MLPClassifier(max_iter=2, random_state=0),
     "Stochastic Optimizer: Maximum iterations (2) reached and the optimization hasn't "
     "converged yet."),
    (PerceptronClassifier(max_iter=1, tol=None),
     "Maximum number of iteration reached before convergence. Consider increasing "
     "max_iter to improve the fit."),
    (PerceptronRegressor(max_iter=1, tol=None),
     "Maximum number of iteration reached before convergence. Consider increasing "
     "max_iter to improve the fit."),
    (MLPClassifier(solver="lbfgs", max_iter=2, random_state=0),
     "lbfgs failed to converge after 2 iteration(s) (status=1):\n"),
    (MLPClassifier(batch_size=500, max_iter=300, random_state=0),
     "Got `batch_size` less than 1 or larger than sample size. It is going to be "
     "clipped"),
], ids=["mlp", "perceptron", "adaline", "lbfgs", "batch_size"])
def test_warnings_start_with_scikit_learns_words(estimator, start):
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    if not is_classifier(estimator):
        y = X @ np.arange(4.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any(m.startswith(start) for m in messages), messages
    assert all(w.filename == __file__ for w in caught)  # the user's line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module="skperceptron")
        clone(estimator).fit(X, y)
    assert caught == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=re.escape(start[:30]))
        clone(estimator).fit(X, y)
    assert not any(str(w.message).startswith(start) for w in caught)


def test_a_partial_fit_that_diverges_or_is_interrupted_keeps_its_starting_weights(
        monkeypatch, weight_arrays):
    # partial_fit keeps one copy of its starting weights (its single epoch reads no
    # other): both guards that restore weights put those back.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    y = X @ np.arange(1.0, 5.0)
    reg = PerceptronRegressor(eta0=1e-3, random_state=0).partial_fit(X, y)
    before = [a.copy() for a in weight_arrays(reg)]
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.set_params(eta0=1e150).partial_fit(X * 1e100, y)
    assert reg.stop_reason_ == "diverged"
    for a, b in zip(weight_arrays(reg), before):
        assert_array_equal(a, b)
    mlp = MLPRegressor(hidden_layer_sizes=(3,), batch_size=10, random_state=0)
    mlp.partial_fit(X, y)
    before = [a.copy() for a in weight_arrays(mlp)]
    monkeypatch.setattr("skperceptron._training.stochastic.loss_and_gradients",
                        _Interrupt(after=2))
    with pytest.warns(UserWarning, match="^Training interrupted by user"):
        mlp.partial_fit(X, y)
    assert mlp.stop_reason_ == "interrupted"
    for a, b in zip(weight_arrays(mlp), before):
        assert_array_equal(a, b)


# Inputs up to 1.5e19 in float32: the variance of a batch-normalized net input
# (about 1e38 and more) overflows float32, and the running variance with it.
_HUGE_X = np.array([[6.27], [2.3e-35], [1.12e10], [4.7e-12], [8.1e-27], [4.1e-19],
                    [8.4e-44], [8.5e-38], [5.9e-3], [3.3e-4], [1.5e-6], [1.5e-22],
                    [1.54e19], [1.3e17]], dtype=np.float32)
_HUGE_Y = np.linspace(0.0, 2.0, 14)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop"])
def test_batch_statistics_that_overflow_stop_as_divergence_with_finite_weights(solver):
    reg = MLPRegressor(hidden_layer_sizes=(3,), activation="elu", solver=solver,
                       batch_norm=True, alpha=0.0,
                       max_iter=2, weight_init="glorot_normal", random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(_HUGE_X, _HUGE_Y)
    assert reg.stop_reason_ == "diverged"
    for name in ("coefs_", "intercepts_", "batch_norm_scales_", "batch_norm_shifts_",
                 "running_means_", "running_vars_"):
        assert all(np.isfinite(a).all() for a in getattr(reg, name)), name


def test_lbfgs_refuses_batch_statistics_that_overflow_and_keeps_the_model():
    reg = MLPRegressor(hidden_layer_sizes=(3,), activation="elu", solver="lbfgs",
                       batch_norm=True,
                       max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="overflows float32.*Scale the inputs"):
        reg.fit(_HUGE_X * 10, _HUGE_Y)
    assert not hasattr(reg, "coefs_")
