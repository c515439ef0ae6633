"""The estimators inside scikit-learn's tooling: pipelines, searches, clone, pickle."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Perceptron
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
)

# Small budgets keep this file fast; whether training converged is not the point here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


# ----------------------------------------------------------------------------- pipelines

# (ours, reference, split, tolerance). The MLPs start from scikit-learn's own initial
# weights (weight_init="auto") and run the same L-BFGS-B on the same objective, so
# they land on the same solution up to rounding: held-out scores agree closely. The
# single-layer models are compared with the linear model their rule approximates; a
# stochastic rule stopped by a tolerance ends near, not at, that model. The step
# perceptron never settles on iris (versicolor and virginica overlap), so its last
# weights depend on its last mistakes: it gets the widest margin.
PIPELINE_CASES = [
    pytest.param(
        MLPClassifier((8,), solver="lbfgs", alpha=1e-2, max_iter=200, random_state=0),
        SkMLPClassifier((8,), solver="lbfgs", alpha=1e-2, max_iter=200, random_state=0),
        iris_split, 0.01, id="MLPClassifier-iris",
    ),
    pytest.param(
        MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", alpha=1.0, max_iter=200,
                     random_state=0),
        SkMLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", alpha=1.0, max_iter=200,
                       random_state=0),
        diabetes_split, 0.01, id="MLPRegressor-diabetes",
    ),
    pytest.param(
        PerceptronClassifier(random_state=0),
        Perceptron(random_state=0),
        iris_split, 0.15, id="PerceptronClassifier-iris",
    ),
    pytest.param(
        PerceptronClassifier(activation="logistic", loss="log_loss", random_state=0),
        LogisticRegression(),
        iris_split, 0.05, id="PerceptronClassifier-logistic-iris",
    ),
    pytest.param(
        PerceptronRegressor(random_state=0),
        LinearRegression(),
        diabetes_split, 0.05, id="PerceptronRegressor-diabetes",
    ),
]


@pytest.mark.parametrize("estimator, reference, split, tolerance", PIPELINE_CASES)
def test_pipeline_with_scaler_scores_like_reference(estimator, reference, split, tolerance):
    X_train, X_test, y_train, y_test = split()
    ours = make_pipeline(StandardScaler(), estimator).fit(X_train, y_train)
    theirs = make_pipeline(StandardScaler(), reference).fit(X_train, y_train)
    score, expected = ours.score(X_test, y_test), theirs.score(X_test, y_test)
    assert score >= expected - tolerance, (score, expected)
    # The pipeline passed the scaled data on: the final step saw 4 or 10 features.
    assert ours[-1].n_features_in_ == X_train.shape[1]


def test_cross_val_score_equals_manual_folds():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier((5,), solver="lbfgs", max_iter=100, random_state=0),
    )
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    manual = [
        clone(pipe).fit(X[train], y[train]).score(X[test], y[test])
        for train, test in cv.split(X, y)
    ]
    np.testing.assert_array_equal(scores, manual)
    assert scores.min() > 0.8  # three well-separated classes; chance is 1/3


# ----------------------------------------------------------------------------- searches


def _search_results(search, X, y, n_jobs):
    search = clone(search).set_params(n_jobs=n_jobs).fit(X, y)
    return search.cv_results_["mean_test_score"], search.best_params_, search.best_estimator_


@pytest.mark.slow  # a few seconds (a subprocess, a memory map, a parallel search)
@pytest.mark.parametrize(
    "search",
    [
        pytest.param(
            GridSearchCV(
                make_pipeline(
                    StandardScaler(),
                    # adam shuffles: the workers must draw the same batches as one process
                    MLPClassifier(max_iter=30, learning_rate_init=0.01, random_state=0),
                ),
                {
                    "mlpclassifier__alpha": [1e-4, 1.0],
                    "mlpclassifier__hidden_layer_sizes": [(3,), (8,)],
                },
                cv=3,
            ),
            id="pipeline-MLPClassifier",
        ),
        pytest.param(
            GridSearchCV(
                PerceptronClassifier(random_state=0),
                {"eta0": [0.1, 1.0], "batch_size": [1, "full"]},
                cv=3,
            ),
            id="PerceptronClassifier",
        ),
    ],
)
def test_parallel_grid_search_equals_sequential(search):
    X, y = load_iris(return_X_y=True)
    scores_1, best_1, model_1 = _search_results(search, X, y, n_jobs=1)
    scores_2, best_2, model_2 = _search_results(search, X, y, n_jobs=2)
    np.testing.assert_array_equal(scores_1, scores_2)
    assert best_1 == best_2
    np.testing.assert_array_equal(model_1.predict(X), model_2.predict(X))
    # The search compared settings that really differ.
    assert len(np.unique(scores_1)) > 1


# ----------------------------------------------------------------------------- clone, pickle


def _configurations():
    """Every training path: each MLP solver, both perceptron units, both dtypes."""
    cases = []
    for solver in ("lbfgs", "sgd", "adam"):
        cases.append(MLPClassifier((5,), solver=solver, max_iter=20, random_state=0))
        cases.append(
            MLPRegressor(hidden_layer_sizes=(5,), solver=solver, max_iter=20, random_state=0)
        )
    cases += [
        PerceptronClassifier(max_iter=20, random_state=0),
        PerceptronClassifier(activation="logistic", loss="log_loss", max_iter=20,
                             random_state=0),
        PerceptronRegressor(max_iter=20, random_state=0),
    ]
    return [
        pytest.param(est, dtype, id=f"{est!r}-{np.dtype(dtype).name}".replace(" ", ""))
        for est in cases
        for dtype in (np.float64, np.float32)
    ]


@pytest.fixture
def data_for(iris, diabetes):
    """``data_for(estimator, dtype)``: iris for a classifier, all of the diabetes data
    for a regressor, standardised, features of ``dtype``."""

    def load(estimator, dtype):
        X, y = iris() if is_classifier(estimator) else diabetes(442)
        return X.astype(dtype), y

    return load


def _outputs(estimator, X):
    methods = ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    return {m: getattr(estimator, m)(X) for m in methods if hasattr(estimator, m)}


@pytest.mark.parametrize("estimator, dtype", _configurations())
def test_pickle_round_trip_keeps_outputs_bit_identical(estimator, dtype, data_for):
    X, y = data_for(estimator, dtype)
    fitted = clone(estimator).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert all(W.dtype == dtype for W in restored.coefs_)
    before, after = _outputs(fitted, X), _outputs(restored, X)
    assert before.keys() == after.keys()
    for method in before:
        assert before[method].dtype == after[method].dtype
        np.testing.assert_array_equal(before[method], after[method], err_msg=method)
    assert restored.stop_reason_ == fitted.stop_reason_
    assert restored.loss_curve_ == fitted.loss_curve_


@pytest.mark.parametrize("estimator, dtype", _configurations())
def test_clone_and_refit_with_same_random_state_reproduces_weights(
        estimator, dtype, data_for):
    X, y = data_for(estimator, dtype)
    first = clone(estimator).fit(X, y)
    copy = clone(first)
    assert copy.get_params() == first.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    assert not hasattr(copy, "coefs_")
    second = copy.fit(X, y)
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert first.n_iter_ == second.n_iter_
    assert first.loss_curve_ == second.loss_curve_


def test_clone_does_not_share_mutable_parameters():
    est = MLPClassifier(hidden_layer_sizes=[4, 3], activation=["tanh", "relu"])
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    copy.activation[0] = "logistic"
    assert est.activation == ["tanh", "relu"]


# ----------------------------------------------------------------------------- pandas


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier((4,), solver="lbfgs", max_iter=30, random_state=0),
        MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0),
        PerceptronClassifier(max_iter=10, random_state=0),
        PerceptronRegressor(max_iter=10, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_dataframe_feature_names_are_recorded_and_checked(estimator):
    pd = pytest.importorskip("pandas")
    if is_classifier(estimator):
        data = load_iris(as_frame=True)
    else:
        data = load_diabetes(as_frame=True)
    X, y = data.data, data.target
    fitted = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(fitted.feature_names_in_, X.columns)
    from_frame = fitted.predict(X)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = fitted.predict(X.to_numpy())
    np.testing.assert_array_equal(from_frame, from_array)
    # Columns in another order are refused, not silently mismatched.
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        fitted.predict(X[X.columns[::-1]])
    # Fitting on an array and predicting on a frame warns the other way round.
    unnamed = clone(estimator).fit(X.to_numpy(), y)
    assert not hasattr(unnamed, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but"):
        unnamed.predict(pd.DataFrame(X))


# ----------------------------------------------------------------------------- sparse


def _sparse_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = np.where(np.abs(X) > 0.03, X, 0.0)  # about 60 % of the entries stay non-zero
    return sp.csr_matrix(X), (y - y.mean()) / y.std()


@pytest.mark.parametrize(
    "estimator",
    [
        MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0),
        MLPRegressor(
            hidden_layer_sizes=(5,), solver="adam", learning_rate_init=0.01, max_iter=20,
            random_state=0,
        ),
        PerceptronRegressor(max_iter=20, random_state=0),
    ],
    ids=lambda e: f"{type(e).__name__}-{getattr(e, 'solver', 'sgd')}",
)
def test_sparse_csr_in_pipeline_matches_dense(estimator):
    X_sparse, y = _sparse_diabetes()
    sparse_pipe = make_pipeline(MaxAbsScaler(), clone(estimator)).fit(X_sparse, y)
    dense_pipe = make_pipeline(MaxAbsScaler(), clone(estimator)).fit(X_sparse.toarray(), y)
    # Sparse and dense products sum in different orders: each step differs by rounding
    # (~1e-16 relative); over a few dozen optimisation steps that stays far below 1e-8.
    np.testing.assert_allclose(
        sparse_pipe.predict(X_sparse), dense_pipe.predict(X_sparse.toarray()), rtol=1e-8
    )
    assert sparse_pipe.score(X_sparse, y) > 0.2  # learned something (linear fit: ~0.5)


def test_sparse_csr_classification_in_pipeline():
    X, y = load_iris(return_X_y=True)
    X_sparse = sp.csr_matrix(X)
    pipe = make_pipeline(
        MaxAbsScaler(), MLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=0)
    ).fit(X_sparse, y)
    dense = make_pipeline(
        MaxAbsScaler(), MLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=0)
    ).fit(X, y)
    np.testing.assert_array_equal(pipe.predict(X_sparse), dense.predict(X))
    np.testing.assert_allclose(
        pipe.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-6, atol=1e-9
    )
    assert pipe.score(X_sparse, y) > 0.9
