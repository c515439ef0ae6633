"""Cross-validated scores on scikit-learn's small data sets, against scikit-learn itself.

Each test fits skperceptron's estimator and its scikit-learn peer with the same
hyperparameters on the same folds and asserts that skperceptron's mean score is not below
the peer's by more than the noise of the paired fold differences. A fast version of
``benchmarks/compare_scores.py``.
"""

import numpy as np
import pytest
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import Perceptron, SGDRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
)

pytestmark = [
    # Several configurations stop on max_iter (on purpose, to stay fast); both libraries
    # then warn, with equal budgets on both sides.
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.slow,  # cross-validated fits on whole data sets, by both libraries
]

N_FOLDS = 5


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # The matrices here are tiny: a second BLAS thread gains nothing, and on a busy
    # machine threads waiting on each other made one of these tests 40x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        yield

# Below this the paired standard error is no measure of noise: where both libraries
# follow the same path (lbfgs from the same initial weights) every fold difference is 0
# or one test sample, and the standard error collapses to 0 or to the size of a single
# disagreement. 0.01 is one test sample in 100 of accuracy, or 1% of the target
# variance for R^2.
FLOOR = 0.01

# Written-out defaults shared by scikit-learn's Perceptron / SGDRegressor and ours.
PERCEPTRON = dict(
    eta0=1.0, max_iter=1000, tol=1e-3, n_iter_no_change=5, shuffle=True,
    fit_intercept=True, early_stopping=False,
)
DELTA_RULE = dict(PERCEPTRON, eta0=0.01)


def _load(name):
    return getattr(datasets, f"load_{name}")(return_X_y=True)


def _folds(X, y, seed, regression):
    splitter = KFold if regression else StratifiedKFold
    return list(splitter(N_FOLDS, shuffle=True, random_state=seed).split(X, y))


def _model(estimator, regression):
    pipe = make_pipeline(StandardScaler(), estimator)
    if regression:
        # diabetes targets lie in [25, 346]: standardise them as the inputs are.
        return TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
    return pipe


def _paired_scores(name, make_ours, make_theirs, seeds, dummy):
    """Fold scores of ours, scikit-learn's and a dummy baseline on identical folds."""
    X, y = _load(name)
    regression = name == "diabetes"
    scores = {"ours": [], "theirs": [], "dummy": []}
    for seed in seeds:
        folds = _folds(X, y, seed, regression)
        for key, est in (
            ("ours", make_ours(seed)),
            ("theirs", make_theirs(seed)),
            ("dummy", dummy),
        ):
            scores[key].append(cross_val_score(_model(est, regression), X, y, cv=folds))
    return {key: np.concatenate(value) for key, value in scores.items()}


def _assert_as_good_within_noise(scores):
    ours, theirs, dummy = scores["ours"], scores["theirs"], scores["dummy"]
    # The comparison means something only if both actually learn: each must beat a
    # constant prediction (majority class, or the mean target) by a clear margin.
    assert ours.mean() > dummy.mean() + 0.1, (ours.mean(), dummy.mean())
    assert theirs.mean() > dummy.mean() + 0.1, (theirs.mean(), dummy.mean())
    diff = ours - theirs
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    margin = max(2 * se, FLOOR)
    assert diff.mean() >= -margin, (
        f"skperceptron {ours.mean():.4f} vs scikit-learn {theirs.mean():.4f}: "
        f"difference {diff.mean():+.4f} below -{margin:.4f} (2 SE = {2 * se:.4f})"
    )


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_mlp_classifier_lbfgs_scores_as_well_as_sklearn(name):
    kw = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=200)
    scores = _paired_scores(
        name,
        lambda s: MLPClassifier(**kw, random_state=s),
        lambda s: SkMLPClassifier(**kw, random_state=s),
        seeds=[0],
        dummy=DummyClassifier(),
    )
    _assert_as_good_within_noise(scores)


def test_mlp_classifier_adam_scores_as_well_as_sklearn_on_digits():
    # 20 epochs of Adam: stopped early on purpose, where a wrong step or a wrong
    # gradient scale would show as a lower accuracy than scikit-learn's.
    kw = dict(hidden_layer_sizes=(32,), max_iter=20)
    scores = _paired_scores(
        "digits",
        lambda s: MLPClassifier(**kw, random_state=s),
        lambda s: SkMLPClassifier(**kw, random_state=s),
        seeds=[0],
        dummy=DummyClassifier(),
    )
    _assert_as_good_within_noise(scores)


@pytest.mark.parametrize("name", ["iris", "breast_cancer"])
def test_perceptron_scores_as_well_as_sklearn_perceptron(name):
    # Five seeds: the online rule's result depends on the sample order, which the two
    # libraries draw differently, so single folds differ by several test samples.
    scores = _paired_scores(
        name,
        lambda s: PerceptronClassifier(**PERCEPTRON, random_state=s),
        lambda s: Perceptron(**PERCEPTRON, penalty=None, random_state=s),
        seeds=range(5),
        dummy=DummyClassifier(),
    )
    _assert_as_good_within_noise(scores)


def test_mlp_regressor_lbfgs_scores_as_well_as_sklearn_on_diabetes():
    # alpha=10: unpenalised, a hidden layer fitted by lbfgs interpolates the 353
    # training samples and both libraries score R^2 < 0, where the fold differences
    # would only measure chaos in the optimiser.
    kw = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=200, alpha=10.0)
    scores = _paired_scores(
        "diabetes",
        lambda s: MLPRegressor(**kw, random_state=s),
        lambda s: SkMLPRegressor(**kw, random_state=s),
        seeds=range(3),
        dummy=DummyRegressor(),
    )
    _assert_as_good_within_noise(scores)


def test_delta_rule_scores_as_well_as_sgd_regressor_on_diabetes():
    scores = _paired_scores(
        "diabetes",
        lambda s: PerceptronRegressor(**DELTA_RULE, random_state=s),
        lambda s: SGDRegressor(
            **DELTA_RULE, loss="squared_error", penalty=None, learning_rate="constant",
            average=False, random_state=s,
        ),
        seeds=range(5),  # as for the perceptron, the sample orders differ
        dummy=DummyRegressor(),
    )
    _assert_as_good_within_noise(scores)
