"""The training controls inside scikit-learn's tooling: a search over them in a
pipeline, sequential and parallel; clone, get_params and set_params of each; pickle."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def one_over_epoch(epoch):
    """A schedule as a module-level function: it pickles with the estimator."""
    return 1.0 / (1 + epoch)


#: A value other than the default for each parameter the controls added.
NEW_VALUES = {
    "solver": "rmsprop",
    "learning_rate": one_over_epoch,
    "decay_rate": 0.5,
    "decay_epochs": 3,
    "warmup_epochs": 2,
    "weight_decay": 0.05,
    "rho": 0.9,
    "clip_grad_norm": 1.0,
    "clip_grad_value": 0.5,
    "frozen_layers": [0],
}
#: Values that train together: AdamW (weight_decay), 'step' (decay_rate,
#: decay_epochs), warm-up, both clippings and a frozen first layer.
TRAINABLE = dict(solver="adamw", weight_decay=0.05, learning_rate="step", decay_rate=0.5,
                 decay_epochs=3, warmup_epochs=2, clip_grad_norm=1.0, clip_grad_value=0.5,
                 frozen_layers=[0])


def _search():
    pipeline = make_pipeline(
        StandardScaler(),
        MLPClassifier((8,), max_iter=30, learning_rate_init=0.05, random_state=0),
    )
    return GridSearchCV(
        pipeline,
        {"mlpclassifier__learning_rate": ["constant", "cosine"],
         "mlpclassifier__clip_grad_norm": [None, 1e-3]},
        cv=3,
    )


def _fit_search(n_jobs):
    X, y = load_iris(return_X_y=True)
    return clone(_search()).set_params(n_jobs=n_jobs).fit(X, y), X


def test_search_over_schedule_and_clipping_refits_the_best_setting():
    search, X = _fit_search(n_jobs=1)
    scores = search.cv_results_["mean_test_score"]
    # Four settings that train differently: the search compared what it was asked to.
    assert len(np.unique(scores)) == 4
    best = search.best_estimator_[-1]
    chosen = {name.split("__")[1]: value for name, value in search.best_params_.items()}
    assert {name: best.get_params()[name] for name in chosen} == chosen
    # The refitted model trained with the chosen setting.
    rates = np.asarray(best.learning_rates_)
    if chosen["learning_rate"] == "cosine":
        assert rates[-1] < rates[0]
    else:
        assert (rates == rates[0]).all()
    assert best.clipped_steps_.any() == (chosen["clip_grad_norm"] is not None)


@pytest.mark.slow  # a few seconds: a pool of worker processes
def test_parallel_search_over_the_controls_equals_sequential():
    sequential, X = _fit_search(n_jobs=1)
    parallel, _ = _fit_search(n_jobs=2)
    np.testing.assert_array_equal(sequential.cv_results_["mean_test_score"],
                                  parallel.cv_results_["mean_test_score"])
    assert sequential.best_params_ == parallel.best_params_
    np.testing.assert_array_equal(sequential.predict_proba(X), parallel.predict_proba(X))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor], ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(NEW_VALUES))
def test_each_control_round_trips_through_set_params_get_params_and_clone(cls, name):
    value = NEW_VALUES[name]
    estimator = cls()
    assert name in estimator.get_params()
    assert estimator.set_params(**{name: value}) is estimator
    assert estimator.get_params()[name] == value
    copy = clone(estimator)
    assert copy.get_params()[name] == value
    assert copy.get_params() == estimator.get_params()
    # Through a pipeline's double-underscore names too.
    pipeline = make_pipeline(StandardScaler(), cls())
    pipeline.set_params(**{f"{cls.__name__.lower()}__{name}": value})
    assert pipeline[-1].get_params()[name] == value


def test_clone_copies_frozen_layers_instead_of_sharing_them():
    estimator = MLPClassifier(frozen_layers=[0])
    copy = clone(estimator)
    copy.frozen_layers.append(1)
    assert estimator.frozen_layers == [0]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor], ids=lambda c: c.__name__)
def test_clone_of_a_model_trained_with_the_controls_refits_identically(cls, iris, diabetes):
    X, y = iris() if cls is MLPClassifier else diabetes()
    first = cls(hidden_layer_sizes=(6, 4), max_iter=8, random_state=0, **TRAINABLE).fit(X, y)
    second = clone(first).fit(X, y)
    assert first.learning_rates_ == second.learning_rates_
    np.testing.assert_array_equal(first.clipped_steps_, second.clipped_steps_)
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor], ids=lambda c: c.__name__)
def test_pickle_keeps_a_callable_schedule_and_the_records(cls, iris, diabetes):
    X, y = iris() if cls is MLPClassifier else diabetes()
    fitted = cls(hidden_layer_sizes=(6,), max_iter=5, random_state=0, learning_rate=one_over_epoch,
                 clip_grad_norm=0.1).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.learning_rate is one_over_epoch
    assert restored.learning_rates_ == fitted.learning_rates_
    np.testing.assert_array_equal(restored.gradient_norm_curve_, fitted.gradient_norm_curve_)
    np.testing.assert_array_equal(restored.clipped_steps_, fitted.clipped_steps_)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    # And it trains on as the original does.
    np.testing.assert_array_equal(
        restored.partial_fit(X, y).coefs_[0], fitted.partial_fit(X, y).coefs_[0])
