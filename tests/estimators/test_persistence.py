"""Saving and loading fitted estimators: pickle, and skops without trusting anything but them.

A loaded estimator must predict bit for bit as the one saved, and training it further
(``partial_fit``, or ``fit`` with ``warm_start``) must give exactly the weights that the
saved estimator gets from the same call: the optimizer's state (Adam's moments, SGD's
velocity and learning rate) and the best weights of early stopping travel with the file.

skops refuses to load any type the user has not trusted. A file written by this package
holds only the estimator's own class besides the types skops trusts itself (builtins,
numpy, scikit-learn's public estimators), so the safe way to load one is to trust exactly
the package's four estimator classes (``load_model`` below) and nothing else.
"""

import io
import json
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression

import skperceptron
from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

# Short trainings (a few epochs) are all these tests need.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATOR_CLASSES = [MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor]


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def load_model(path):
    """The safe way to load a model file: trust the four estimator classes, nothing else."""
    return sio.load(path, trusted=ESTIMATOR_CLASSES)


# ----------------------------------------------------------------------------- data
def _data(kind, dtype):
    if kind == "regression":
        X, y = make_regression(n_samples=60, n_features=5, noise=1.0, random_state=0)
        y = (y - y.mean()) / y.std()
    elif kind == "two_outputs":
        X, y = make_regression(n_samples=60, n_features=5, n_targets=2, random_state=0)
        y = (y - y.mean(axis=0)) / y.std(axis=0)
    elif kind == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=60, n_features=5, n_classes=3, random_state=0
        )
    else:
        n_classes = {"binary": 2, "multiclass": 3}[kind]
        X, y = make_classification(
            n_samples=60, n_features=5, n_informative=3, n_classes=n_classes, random_state=0
        )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(dtype), y


# Every estimator with every solver, plus the variants that store more state: binary
# outputs decoded by a threshold (0 for scores, 0.5 for probabilities), multilabel,
# early stopping, class weights, several outputs, the compiled online perceptron loop.
FITTED_CASES = {
    "mlp_classifier_lbfgs": (
        lambda: MLPClassifier((6,), solver="lbfgs", max_iter=30, random_state=0),
        "multiclass",
    ),
    "mlp_classifier_sgd_momentum_invscaling": (
        lambda: MLPClassifier(
            (6,), solver="sgd", learning_rate="invscaling", learning_rate_init=0.1,
            max_iter=5, random_state=0,
        ),
        "binary",
    ),
    "mlp_classifier_adam": (
        lambda: MLPClassifier((6, 4), activation=["tanh", "relu"], max_iter=5, random_state=0),
        "multiclass",
    ),
    "mlp_classifier_hinge": (
        lambda: MLPClassifier((6,), loss="hinge", max_iter=5, random_state=0),
        "binary",
    ),
    "mlp_classifier_multilabel": (
        lambda: MLPClassifier((6,), max_iter=5, random_state=0),
        "multilabel",
    ),
    "mlp_classifier_early_stopping_class_weight": (
        lambda: MLPClassifier(
            (6,), solver="sgd", early_stopping=True, class_weight="balanced",
            learning_rate_init=0.05, max_iter=8, random_state=0,
        ),
        "multiclass",
    ),
    "mlp_regressor_lbfgs": (
        lambda: MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30,
                             random_state=0),
        "regression",
    ),
    "mlp_regressor_sgd": (
        lambda: MLPRegressor(hidden_layer_sizes=(6,), solver="sgd", learning_rate_init=0.01,
                             max_iter=5, random_state=0),
        "two_outputs",
    ),
    "mlp_regressor_adam_huber_early_stopping": (
        lambda: MLPRegressor(loss="huber", hidden_layer_sizes=(6,), early_stopping=True,
                             max_iter=8, random_state=0),
        "regression",
    ),
    "perceptron_classifier_online": (
        lambda: PerceptronClassifier(max_iter=5, random_state=0),
        "binary",
    ),
    "perceptron_classifier_hinge_minibatch_class_weight": (
        lambda: PerceptronClassifier(loss="hinge", batch_size=8, class_weight={0: 2.0},
                                     max_iter=5, random_state=0),
        "multiclass",
    ),
    "perceptron_classifier_logistic": (
        lambda: PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1,
                                     max_iter=5, random_state=0),
        "multiclass",
    ),
    "perceptron_regressor_online": (
        lambda: PerceptronRegressor(max_iter=5, random_state=0),
        "regression",
    ),
    "perceptron_regressor_full_batch_early_stopping": (
        lambda: PerceptronRegressor(batch_size="full", eta0=0.05, early_stopping=True,
                                    max_iter=8, random_state=0),
        "regression",
    ),
}

DTYPES = [np.float64, np.float32]


def _fitted(case, dtype):
    make, kind = FITTED_CASES[case]
    X, y = _data(kind, dtype)
    return make().fit(X, y), X, y


# ----------------------------------------------------------------------------- helpers
def _outputs(estimator, X):
    """Every prediction method the estimator has, by name."""
    names = ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    return {name: getattr(estimator, name)(X) for name in names if hasattr(estimator, name)}


def _assert_same_outputs(original, restored, X):
    expected, got = _outputs(original, X), _outputs(restored, X)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name].dtype == value.dtype, name
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def _assert_same_value(a, b, name):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), name
        for i, (x, z) in enumerate(zip(a, b)):
            _assert_same_value(x, z, f"{name}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), name
    else:
        assert a == b, name


def _assert_same_fitted_attributes(original, restored):
    """Every public fitted attribute (``name_``) equal, arrays with the same dtype."""
    public = [k for k in vars(original) if k.endswith("_") and not k.startswith("_")]
    assert public and sorted(public) == sorted(
        k for k in vars(restored) if k.endswith("_") and not k.startswith("_")
    )
    for name in public:
        _assert_same_value(getattr(original, name), getattr(restored, name), name)


def _pickle_round_trip(estimator, tmp_path):
    return pickle.loads(pickle.dumps(estimator))


def _skops_round_trip(estimator, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


ROUND_TRIPS = {"pickle": _pickle_round_trip, "skops": _skops_round_trip}


# ----------------------------------------------------------------------------- what skops reports
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", FITTED_CASES)
def test_skops_finds_no_untrusted_type_but_the_public_estimator_class(case, dtype):
    estimator, _, _ = _fitted(case, dtype)
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    assert all(name.startswith(("skperceptron.", "numpy.")) for name in untrusted), untrusted
    own = [name for name in untrusted if name.startswith("skperceptron.")]
    # Only the estimator's class: none of the package's internal objects (network,
    # activations, loss, optimizer) is stored as an object.
    assert own == [_type_name(type(estimator))]
    assert getattr(skperceptron, type(estimator).__name__) is type(estimator)


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda c: c.__name__)
def test_unfitted_estimator_round_trips_through_skops_with_its_parameters(cls):
    estimator = cls(random_state=np.random.RandomState(3), max_iter=7)
    data = sio.dumps(estimator)
    assert sio.get_untrusted_types(data=data) == [_type_name(cls)]
    restored = sio.loads(data, trusted=[cls])
    params, restored_params = estimator.get_params(), restored.get_params()
    rng, restored_rng = params.pop("random_state"), restored_params.pop("random_state")
    assert restored_params == params
    assert rng.randint(1 << 30) == restored_rng.randint(1 << 30)  # the same draws
    assert not hasattr(restored, "coefs_")


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", FITTED_CASES)
def test_round_trip_keeps_predictions_bit_identical(case, dtype, how, tmp_path):
    estimator, X, y = _fitted(case, dtype)
    restored = ROUND_TRIPS[how](estimator, tmp_path)
    assert type(restored) is type(estimator)
    assert restored.coefs_[0].dtype == dtype
    _assert_same_fitted_attributes(estimator, restored)
    _assert_same_outputs(estimator, restored, X)
    assert restored.score(X, y) == estimator.score(X, y)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", FITTED_CASES)
def test_model_file_loads_when_trusting_only_the_four_estimator_classes(case, dtype, tmp_path):
    estimator, X, _ = _fitted(case, dtype)
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    _assert_same_outputs(estimator, load_model(path), X)


# Estimators trained by the stochastic solvers, to be trained further after a round trip.
CONTINUED_CASES = {
    "mlp_classifier_adam": (lambda: MLPClassifier((6,), random_state=0), "multiclass"),
    "mlp_classifier_sgd_nesterov_invscaling": (
        lambda: MLPClassifier((6,), solver="sgd", learning_rate="invscaling",
                              learning_rate_init=0.1, random_state=0),
        "binary",
    ),
    "mlp_classifier_multilabel_rng_instance": (
        lambda: MLPClassifier((6,), random_state=np.random.RandomState(0)),
        "multilabel",
    ),
    "mlp_regressor_adam": (
        lambda: MLPRegressor(hidden_layer_sizes=(6,), learning_rate_init=0.01, random_state=0),
        "two_outputs",
    ),
    "mlp_regressor_sgd_momentum": (
        lambda: MLPRegressor(hidden_layer_sizes=(6,), solver="sgd", nesterovs_momentum=False,
                             learning_rate_init=0.01, random_state=0),
        "regression",
    ),
    "perceptron_classifier_online": (
        lambda: PerceptronClassifier(random_state=0), "multiclass"
    ),
    "perceptron_classifier_logistic_minibatch": (
        lambda: PerceptronClassifier(activation="logistic", loss="log_loss", batch_size=8,
                                     eta0=0.1, random_state=np.random.RandomState(1)),
        "binary",
    ),
    "perceptron_regressor_online": (
        lambda: PerceptronRegressor(loss="huber", random_state=0), "regression"
    ),
}


def _partial_fit(estimator, X, y, kind):
    if kind in ("binary", "multiclass"):
        return estimator.partial_fit(X, y, classes=np.unique(y))
    return estimator.partial_fit(X, y)


def _assert_same_weights(a, b):
    for name in ("coefs_", "intercepts_"):
        for W, V in zip(getattr(a, name), getattr(b, name)):
            assert W.dtype == V.dtype
            np.testing.assert_array_equal(W, V, err_msg=name)


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", CONTINUED_CASES)
def test_partial_fit_after_a_round_trip_continues_exactly(case, dtype, how, tmp_path):
    make, kind = CONTINUED_CASES[case]
    X, y = _data(kind, dtype)
    first, second = slice(0, 30), slice(30, 60)
    estimator = _partial_fit(make(), X[first], y[first], kind)
    estimator = _partial_fit(estimator, X[second], y[second], kind)
    restored = ROUND_TRIPS[how](estimator, tmp_path)
    # The same further calls on the saved estimator and on the loaded one.
    for rows in (first, second, first):
        _partial_fit(estimator, X[rows], y[rows], kind)
        _partial_fit(restored, X[rows], y[rows], kind)
    _assert_same_weights(estimator, restored)
    _assert_same_fitted_attributes(estimator, restored)
    _assert_same_outputs(estimator, restored, X)


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_partial_fit_after_a_round_trip_uses_the_saved_optimizer_state(how, tmp_path):
    # The test above would be weak if the optimizer's state did not matter: here a fresh
    # Adam (moments at zero, step count 0) continues differently from the saved one.
    X, y = _data("multiclass", np.float64)
    estimator = MLPClassifier((6,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    restored = ROUND_TRIPS[how](estimator, tmp_path)
    fresh_optimizer = pickle.loads(pickle.dumps(estimator))
    del fresh_optimizer._optimizer
    for model in (estimator, restored, fresh_optimizer):
        model.partial_fit(X, y)
    _assert_same_weights(estimator, restored)
    assert not np.array_equal(estimator.coefs_[0], fresh_optimizer.coefs_[0])


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_warm_start_fit_after_a_round_trip_returns_to_the_saved_best_weights(how, tmp_path):
    # With early stopping, a warm-started fit ends on the best weights of all fits so
    # far. Here the second fit only makes the validation score worse (its learning rate
    # is far too large), so it must end on the first fit's best weights: the file has to
    # keep them.
    X, y = _data("regression", np.float64)
    train, validation = (X[:50], y[:50]), dict(X_val=X[50:], y_val=y[50:])
    estimator = MLPRegressor(
        hidden_layer_sizes=(6,), solver="sgd", learning_rate_init=0.01, early_stopping=True,
        warm_start=True, max_iter=10, random_state=0,
    ).fit(*train, **validation)
    best = [W.copy() for W in estimator.coefs_]
    restored = ROUND_TRIPS[how](estimator, tmp_path)
    for model in (estimator, restored):
        model.set_params(learning_rate_init=10.0, max_iter=3).fit(*train, **validation)
    assert max(estimator.validation_scores_[10:]) < estimator.best_validation_score_
    for W, V in zip(best, restored.coefs_):
        np.testing.assert_array_equal(V, W)
    _assert_same_weights(estimator, restored)
    _assert_same_fitted_attributes(estimator, restored)


# ----------------------------------------------------------------------------- refusing files
class _Payload:
    """An object of a type nobody trusted."""

    def __init__(self):
        self.command = "echo owned"


def _fitted_file(tmp_path, estimator=None):
    if estimator is None:
        estimator, _, _ = _fitted("mlp_classifier_adam", np.float64)
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    return path


def _rewrite_schema(path, edit):
    """Write a copy of the skops file at ``path`` with its schema changed by ``edit``."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    crafted = path.with_name("crafted.skops")
    with zipfile.ZipFile(crafted, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    return crafted


def test_loading_without_trusting_the_estimator_class_is_refused(tmp_path):
    path = _fitted_file(tmp_path)
    with pytest.raises(UntrustedTypesFoundException, match="skperceptron._mlp.MLPClassifier"):
        sio.load(path)


def test_a_file_holding_an_object_of_another_type_is_refused(tmp_path):
    path = tmp_path / "other.skops"
    sio.dump(_Payload(), path)
    with pytest.raises(UntrustedTypesFoundException, match="_Payload"):
        load_model(path)


def test_an_unknown_object_inside_an_estimator_is_refused(tmp_path):
    estimator, _, _ = _fitted("perceptron_classifier_online", np.float64)
    estimator.extra_ = _Payload()
    path = _fitted_file(tmp_path, estimator)
    assert _type_name(_Payload) in sio.get_untrusted_types(file=path)
    with pytest.raises(UntrustedTypesFoundException, match="_Payload"):
        load_model(path)


def test_a_crafted_file_naming_a_callable_is_refused_before_importing_it(tmp_path):
    path = _fitted_file(tmp_path)

    def edit(schema):  # the estimator node now claims to be a type from a module that
        schema["__module__"] = "no_such_module_anywhere"  # does not even exist
        schema["__class__"] = "Popen"

    crafted = _rewrite_schema(path, edit)
    assert sio.get_untrusted_types(file=crafted) == ["no_such_module_anywhere.Popen"]
    # Refused by the audit, not by a failing import: nothing named in the file was
    # imported or called.
    with pytest.raises(UntrustedTypesFoundException, match="no_such_module_anywhere.Popen"):
        load_model(crafted)


def test_a_crafted_file_with_an_internal_object_is_refused(tmp_path):
    # A file of this package never stores its internal objects; one that does (here the
    # optimizer's plain state wrapped back into an object of the internal Adam class)
    # is not what ``dump`` wrote, and the fixed list of trusted classes refuses it.
    path = _fitted_file(tmp_path)

    def edit(schema):
        attributes = schema["content"]["content"]
        attributes["_optimizer"] = {
            "__class__": "Adam",
            "__module__": "skperceptron._engine.optimizers",
            "__loader__": "ObjectNode",
            "content": attributes["_optimizer"],
        }

    crafted = _rewrite_schema(path, edit)
    assert "skperceptron._engine.optimizers.Adam" in sio.get_untrusted_types(file=crafted)
    with pytest.raises(UntrustedTypesFoundException, match="skperceptron._engine.optimizers.Adam"):
        load_model(crafted)


def test_skops_dumps_are_readable_from_bytes_too():
    estimator, X, _ = _fitted("perceptron_classifier_logistic", np.float32)
    data = sio.dumps(estimator)
    assert zipfile.is_zipfile(io.BytesIO(data))
    _assert_same_outputs(estimator, sio.loads(data, trusted=ESTIMATOR_CLASSES), X)


def test_round_trips_emit_no_warning():
    estimator, _, _ = _fitted("mlp_regressor_lbfgs", np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sio.loads(sio.dumps(estimator), trusted=ESTIMATOR_CLASSES)
        pickle.loads(pickle.dumps(estimator))
