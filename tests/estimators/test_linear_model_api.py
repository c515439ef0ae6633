"""The single-layer estimators take scikit-learn's linear-model signatures: ``fit``
with ``coef_init`` and ``intercept_init``, ``partial_fit`` with ``classes`` before
``sample_weight``, ``n_jobs``, assignable ``coef_``/``intercept_``, ``sparsify`` and
``densify``; the MLPs keep scikit-learn's MLP signatures."""

import inspect
import pickle
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Perceptron, SGDRegressor
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from skperceptron import (MLPClassifier, MLPRegressor, PerceptronClassifier,
                          PerceptronRegressor)

PAIRS = [(PerceptronClassifier, Perceptron), (PerceptronRegressor, SGDRegressor),
         (MLPClassifier, SkMLPClassifier), (MLPRegressor, SkMLPRegressor)]


def _positional(method):
    return [p.name for p in inspect.signature(method).parameters.values()
            if p.kind == p.POSITIONAL_OR_KEYWORD]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_positional_arguments_are_scikit_learns(ours, theirs, method):
    # Every argument scikit-learn takes positionally, in its order; ours beyond them
    # (X_val, y_val) keyword-only.
    assert _positional(getattr(ours, method)) == _positional(getattr(theirs, method))


@pytest.mark.parametrize("ours, theirs", PAIRS[:2], ids=lambda c: c.__name__)
def test_shared_parameters_take_scikit_learns_defaults_or_say_why(ours, theirs):
    mine, its = ours().get_params(), theirs().get_params()
    differ = {name for name in set(mine) & set(its) if mine[name] != its[name]}
    # PerceptronRegressor is Widrow-Hoff's ADALINE (no penalty, a constant rate of
    # 0.01), not SGDRegressor's defaults (L2, invscaling): its docstring says so.
    expected = set() if ours is PerceptronClassifier else {"penalty"}
    assert differ == expected
    assert "n_jobs" in mine or theirs is SGDRegressor


def _binary():
    return make_classification(n_samples=200, n_features=6, random_state=0)


def test_fit_takes_starting_weights_positionally_as_scikit_learn():
    X, y = _binary()
    one = dict(max_iter=1, tol=None, shuffle=False)
    by_position = PerceptronClassifier(**one).fit(X, y, np.ones(6), 0.5)
    by_name = PerceptronClassifier(**one).fit(X, y, coef_init=np.ones((1, 6)),
                                              intercept_init=[0.5])
    assert_array_equal(by_position.coef_, by_name.coef_)
    # The starting weights are where training starts: after one epoch the weights
    # moved from them by whole multiples of eta0 * x (the perceptron rule).
    untrained = PerceptronClassifier(**one).fit(X, y)
    assert not np.array_equal(by_position.coef_, untrained.coef_)
    with pytest.warns(Warning):
        pass_through = PerceptronClassifier(max_iter=1, tol=None, shuffle=False,
                                            eta0=1e-300).fit(X, y, np.ones(6), 0.5)
    assert_allclose(pass_through.coef_, np.ones((1, 6)))  # steps of 1e-300 * x
    assert_allclose(pass_through.intercept_, [0.5])
    weighted = PerceptronClassifier(**one).fit(X, y, None, None, np.full(200, 2.0))
    assert weighted.n_iter_ == 1


def test_starting_weights_replace_a_warm_start_and_are_checked():
    X, y = _binary()
    clf = PerceptronClassifier(warm_start=True, max_iter=1, tol=None, eta0=1e-300)
    with pytest.warns(Warning):
        clf.fit(X, y)
        clf.fit(X, y, coef_init=np.full(6, 3.0))
    assert_allclose(clf.coef_, np.full((1, 6), 3.0))
    for bad, error, match in [
        (np.ones(5), ValueError, r"coef_init has shape \(5,\).*\(1, 6\)"),
        (np.ones((2, 6)), ValueError, r"coef_init has shape \(2, 6\)"),
        (np.array(["a"] * 6), TypeError, "coef_init has dtype"),
        (np.full(6, np.nan), ValueError, "coef_init has non-finite values"),
    ]:
        with pytest.raises(error, match=match):
            PerceptronClassifier().fit(X, y, coef_init=bad)
    with pytest.raises(ValueError, match=r"intercept_init has shape \(2,\)"):
        PerceptronClassifier().fit(X, y, intercept_init=[1.0, 2.0])
    with pytest.raises(ValueError, match="intercept_init was given with fit_intercept"):
        PerceptronClassifier(fit_intercept=False).fit(X, y, intercept_init=1.0)
    X3, y3 = make_classification(n_samples=150, n_features=6, n_informative=4,
                                 n_classes=3, random_state=0)
    three = PerceptronClassifier(max_iter=1, tol=None, eta0=1e-300)
    with pytest.warns(Warning):
        three.fit(X3, y3, np.arange(18.0).reshape(3, 6), [1.0, 2.0, 3.0])
    # Steps of 1e-300 * x move the weights by less than 1e-290.
    assert_allclose(three.coef_, np.arange(18.0).reshape(3, 6), atol=1e-290)
    assert_allclose(three.intercept_, [1.0, 2.0, 3.0], atol=1e-290)


def test_regressor_fit_takes_sgd_regressors_starting_weights():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    reg = PerceptronRegressor(max_iter=1, tol=None, eta0=1e-300)
    with pytest.warns(Warning):
        reg.fit(X, y, np.array([1.0, 2.0, 3.0, 4.0]), 5.0)
    assert_allclose(reg.coef_, [[1.0, 2.0, 3.0, 4.0]])
    assert_allclose(reg.intercept_, [5.0])


def test_partial_fit_takes_classes_before_sample_weight():
    X, y = _binary()
    # scikit-learn's Perceptron usage: partial_fit(X, y, np.unique(y)).
    clf = PerceptronClassifier(random_state=0).partial_fit(X[:100], y[:100], np.unique(y))
    assert_array_equal(clf.classes_, [0, 1])
    # A later batch of two rows, as many as there are classes: read as classes (which
    # must match), never as sample weights.
    before = clf.coef_.copy()
    clf.partial_fit(X[100:102], y[100:102], [0, 1])
    by_name = PerceptronClassifier(random_state=0).partial_fit(X[:100], y[:100],
                                                               classes=[0, 1])
    by_name.partial_fit(X[100:102], y[100:102])
    assert_array_equal(clf.coef_, by_name.coef_)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X[:2], y[:2], [0, 5])
    weighted = PerceptronClassifier(random_state=0).partial_fit(
        X, y, [0, 1], np.where(y == 1, 3.0, 1.0))
    plain = PerceptronClassifier(random_state=0).partial_fit(X, y, [0, 1])
    assert not np.array_equal(weighted.coef_, plain.coef_)
    assert before.shape == clf.coef_.shape
    # The MLP keeps scikit-learn's MLP order: sample_weight, then classes.
    mlp = MLPClassifier(hidden_layer_sizes=(3,), random_state=0)
    mlp.partial_fit(X, y, None, [0, 1])
    assert_array_equal(mlp.classes_, [0, 1])


def test_validation_set_is_keyword_only():
    X, y = _binary()
    with pytest.raises(TypeError):
        MLPClassifier().fit(X, y, None, X, y)
    with pytest.raises(TypeError):
        PerceptronClassifier().fit(X, y, None, None, None, X, y)


def test_n_jobs_is_accepted_and_changes_nothing():
    X, y = _binary()
    a = PerceptronClassifier(n_jobs=2).fit(X, y)
    b = PerceptronClassifier().fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    with pytest.raises(ValueError, match="n_jobs"):
        PerceptronClassifier(n_jobs="all").fit(X, y)


def test_coef_and_intercept_write_through_to_the_layers():
    X, y = _binary()
    clf = PerceptronClassifier(random_state=0).fit(X, y)
    clf.coef_ = np.arange(6.0)  # one unit: (n_features,) as scikit-learn allows
    clf.intercept_ = [-1.0]
    assert_array_equal(clf.coefs_[0], np.arange(6.0).reshape(6, 1))
    assert_array_equal(clf.intercepts_[0], [-1.0])
    assert_allclose(clf.decision_function(X), X @ np.arange(6.0) - 1.0)
    with pytest.raises(ValueError, match=r"coef_ has shape \(2, 6\)"):
        clf.coef_ = np.ones((2, 6))
    with pytest.raises(ValueError, match="intercept_ has non-finite"):
        clf.intercept_ = [np.inf]
    # On a new estimator they are a starting point for warm_start, as coefs_ is.
    fresh = PerceptronClassifier(warm_start=True, max_iter=1, tol=None, eta0=1e-300)
    fresh.coef_ = np.full((1, 6), 2.0)
    fresh.intercept_ = 0.25
    with pytest.warns(Warning):
        fresh.fit(X, y)
    assert_allclose(fresh.coef_, np.full((1, 6), 2.0))
    assert_allclose(fresh.intercept_, [0.25])


@pytest.mark.parametrize("Estimator", [PerceptronClassifier, PerceptronRegressor])
def test_sparsify_keeps_predictions_and_densify_undoes_it(Estimator):
    if Estimator is PerceptronClassifier:
        X, y = make_classification(n_samples=300, n_features=40, n_informative=4,
                                   random_state=0)
        kw = dict(penalty="l1", alpha=0.01)
    else:
        X, y = make_regression(n_samples=300, n_features=40, n_informative=4,
                               random_state=0)
        kw = dict(penalty="l1", alpha=1.0, eta0=0.001)
    model = Estimator(max_iter=20, tol=None, random_state=0, **kw)
    with pytest.warns(Warning):
        model.fit(X, y)
    dense = model.coef_.copy()
    assert (dense == 0).mean() > 0.5  # worth sparsifying
    expected = model.predict(X)
    assert model.sparsify() is model
    assert sp.issparse(model.coef_) and model.coef_.format == "csr"
    assert model.coef_.nnz == np.count_nonzero(dense)
    assert_array_equal(model.coef_.toarray(), dense)
    # The sparse product adds the same terms in another order: rounding (a few ulps
    # of the largest term) for the regressor's values, the same labels.
    same = assert_array_equal if Estimator is PerceptronClassifier else partial(
        assert_allclose, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    same(model.predict(X), expected)
    same(model.predict(sp.csr_matrix(X)), expected)
    same(pickle.loads(pickle.dumps(model)).predict(X), expected)
    assert model.densify() is model
    assert isinstance(model.coef_, np.ndarray)
    assert_array_equal(model.coef_, dense)
    # Training again starts from the dense form of sparse weights.
    model.sparsify()
    model.partial_fit(X, y, *([np.unique(y)] if Estimator is PerceptronClassifier else []))
    assert isinstance(model.coef_, np.ndarray)


def test_sparsify_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PerceptronClassifier().sparsify()
    with pytest.raises(NotFittedError):
        PerceptronRegressor().densify()
