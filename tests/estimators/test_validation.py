"""Bad inputs, bad parameters and unfitted use: clear errors, never garbage.

Every error is checked against the wording scikit-learn's own estimators use for the
same mistake, so that users meet the same messages as with scikit-learn. What a fit
that diverges does is checked in training/test_stopping.py.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
)

# Most fits below are stopped after a few epochs on purpose: only validation matters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ALL = [MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor]
CLASSIFIERS = [MLPClassifier, PerceptronClassifier]
REGRESSORS = [MLPRegressor, PerceptronRegressor]
MLPS = [MLPClassifier, MLPRegressor]
PERCEPTRONS = [PerceptronClassifier, PerceptronRegressor]


def make(cls, **params):
    """A small, quick instance of ``cls``."""
    if cls in MLPS:
        params = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0, **params}
    else:
        params = {"max_iter": 5, "random_state": 0, **params}
    return cls(**params)


def is_classifier(cls):
    return cls in CLASSIFIERS


def data(cls, n_samples=30, n_features=3):
    rng = np.random.RandomState(0)
    X = rng.randn(n_samples, n_features)
    if is_classifier(cls):
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    else:
        y = X @ np.arange(1.0, n_features + 1) + 0.1 * rng.randn(n_samples)
    return X, y


def by_name(classes):
    return pytest.mark.parametrize("cls", classes, ids=lambda c: c.__name__)


# ----------------------------------------------------------------------------- X


@by_name(ALL)
def test_nan_in_X_is_rejected_at_fit_and_predict(cls):
    X, y = data(cls)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make(cls).fit(X_nan, y)
    fitted = make(cls).fit(X, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.predict(X_nan)
    kwargs = {"classes": [0, 1]} if is_classifier(cls) else {}
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make(cls).partial_fit(X_nan, y, **kwargs)


@by_name(ALL)
def test_infinity_in_X_is_rejected(cls):
    X, y = data(cls)
    for value in (np.inf, -np.inf):
        X_inf = X.copy()
        X_inf[0, 0] = value
        with pytest.raises(ValueError, match="Input X contains infinity"):
            make(cls).fit(X_inf, y)


@by_name(ALL)
@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_target_is_rejected(cls, value):
    X, y = data(cls)
    y = y.astype(float)
    y[2] = value
    word = "NaN" if np.isnan(value) else "infinity"
    with pytest.raises(ValueError, match=f"Input y contains {word}"):
        make(cls).fit(X, y)


@by_name(ALL)
def test_empty_X_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        make(cls).fit(X[:0], y[:0])


@by_name(ALL)
def test_X_without_features_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"Found array with 0 feature\(s\)"):
        make(cls).fit(X[:, :0], y)


@by_name(ALL)
def test_one_dimensional_X_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        make(cls).fit(X[:, 0], y)
    fitted = make(cls).fit(X, y)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        fitted.predict(X[0])


@by_name(ALL)
def test_three_dimensional_X_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        make(cls).fit(X[:, :, np.newaxis], y)


@by_name(ALL)
def test_X_and_y_of_different_lengths_are_rejected(cls):
    X, y = data(cls)
    with pytest.raises(
        ValueError, match=r"inconsistent numbers of samples: \[30, 29\]"
    ):
        make(cls).fit(X, y[:-1])


@by_name(ALL)
def test_non_numeric_X_is_rejected(cls):
    X, y = data(cls)
    X_str = np.array([["a", "b", "c"]] * X.shape[0])
    with pytest.raises(ValueError, match="could not convert string to float"):
        make(cls).fit(X_str, y)


@by_name(ALL)
def test_complex_X_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="Complex data not supported"):
        make(cls).fit(X + 1j, y)


@by_name(ALL)
def test_predict_with_another_number_of_features_is_rejected(cls):
    X, y = data(cls)
    fitted = make(cls).fit(X, y)
    expected = f"X has 2 features, but {cls.__name__} is expecting 3 features"
    with pytest.raises(ValueError, match=expected):
        fitted.predict(X[:, :2])
    with pytest.raises(ValueError, match=expected):
        fitted.score(X[:, :2], y)


@by_name(ALL)
def test_predict_with_other_feature_names_is_rejected(cls):
    pd = pytest.importorskip("pandas")
    X, y = data(cls)
    fitted = make(cls).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    renamed = pd.DataFrame(X, columns=["a", "b", "z"])
    with pytest.raises(ValueError, match="feature names should match those that were passed"):
        fitted.predict(renamed)


# ----------------------------------------------------------------------------- y


@by_name(CLASSIFIERS)
def test_partial_fit_rejects_label_outside_declared_classes(cls):
    X, _ = data(cls)
    y = np.arange(X.shape[0]) % 3
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`.*unseen: \[2\]"):
        make(cls).partial_fit(X, y, classes=[0, 1])


@by_name(CLASSIFIERS)
def test_partial_fit_rejects_new_label_on_later_call(cls):
    X, y = data(cls)
    est = make(cls).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        est.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        est.partial_fit(X, y, classes=[0, 1, 2])


@by_name(CLASSIFIERS)
def test_partial_fit_requires_classes_on_first_call(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        make(cls).partial_fit(X, y)


@by_name(CLASSIFIERS)
def test_rejected_first_partial_fit_does_not_count_as_first_call(cls):
    # scikit-learn's MLPClassifier and Perceptron keep refusing the batch on the next
    # call: a failed call must not leave the label set half-learned.
    X, _ = data(cls)
    y = np.arange(X.shape[0]) % 3
    est = make(cls)
    with pytest.raises(ValueError, match="classes not in"):
        est.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y)


@by_name(ALL)
def test_estimator_whose_fit_failed_is_not_fitted(cls):
    X, y = data(cls)
    est = make(cls)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        est.fit(X, y, X_val=X)
    with pytest.raises(NotFittedError):
        est.predict(X)


@by_name(CLASSIFIERS)
def test_rejected_refit_keeps_the_fitted_labels(cls):
    # A refit that fails validation must not relabel the outputs of the previous model.
    X, y = data(cls)
    est = make(cls).fit(X, y)
    before = est.predict(X)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        est.fit(X, np.where(y == 1, "yes", "no"), X_val=X)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    np.testing.assert_array_equal(est.predict(X), before)


def test_poisson_loss_rejects_negative_targets():
    X, y = data(MLPRegressor)
    with pytest.raises(ValueError, match="Some value.*of y are negative.*Poisson"):
        make(MLPRegressor, loss="poisson").fit(X, y - y.min() - 1)


def test_perceptron_classifier_rejects_a_single_class():
    # scikit-learn's Perceptron says exactly this; its MLPClassifier (and ours, see
    # test_mlp.py) fits a single class instead.
    X, _ = data(PerceptronClassifier)
    with pytest.raises(ValueError, match="^The number of classes has to be greater than "
                                         "one; got 1 class$"):
        make(PerceptronClassifier).fit(X, np.full(X.shape[0], 7))


@by_name(CLASSIFIERS)
def test_classifier_rejects_continuous_targets(cls):
    X, y = data(MLPRegressor)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        make(cls).fit(X, y)


@by_name(REGRESSORS)
def test_regressor_rejects_string_targets(cls):
    X, _ = data(cls)
    with pytest.raises(ValueError, match="could not convert string to float"):
        make(cls).fit(X, np.array(["low", "high"] * 15))


@by_name(REGRESSORS)
def test_partial_fit_cannot_change_the_number_of_outputs(cls):
    X, y = data(cls)
    est = make(cls).partial_fit(X, y)
    with pytest.raises(ValueError, match="cannot change the network's shape"):
        est.partial_fit(X, np.column_stack([y, y]))


# ----------------------------------------------------------------------------- params


def _lr_name(cls):
    return "eta0" if cls in PERCEPTRONS else "learning_rate_init"


COMMON_BAD_PARAMS = [
    ("alpha", -1.0),
    ("max_iter", 0),
    ("max_iter", 2.5),
    ("validation_fraction", 1.5),
    ("batch_size", 0),
    ("loss", "cubic"),
    ("loss_threshold", "small"),
    ("tol", -1.0),
    ("n_iter_no_change", 0),
    ("weight_init", "ones"),
    ("shuffle", "yes"),
]
MLP_BAD_PARAMS = [
    ("solver", "newton"),
    ("activation", "swish"),
    ("momentum", 2),
    ("learning_rate", "cyclic"),
    ("learning_rate_init", 0.0),
    ("beta_1", 1.0),
    ("epsilon", 0.0),
    ("max_fun", 0),
    ("hidden_layer_sizes", 0),
]


def _bad_param_cases():
    for cls in ALL:
        extra = MLP_BAD_PARAMS if cls in MLPS else [("eta0", -0.1)]
        if cls is PerceptronClassifier:
            extra = extra + [("activation", "relu")]
        if cls in REGRESSORS:
            extra = extra + [("huber_delta", 0.0)]
        for name, value in COMMON_BAD_PARAMS + extra:
            yield pytest.param(cls, name, value, id=f"{cls.__name__}-{name}={value!r}")


@pytest.mark.parametrize("cls, name, value", list(_bad_param_cases()))
def test_invalid_parameter_is_rejected_at_fit(cls, name, value):
    X, y = data(cls)
    est = make(cls, **{name: value})
    # scikit-learn's InvalidParameterError derives from both ValueError and TypeError.
    with pytest.raises(
        (ValueError, TypeError),
        match=rf"The '{name}' parameter of {cls.__name__} must be .* Got {re.escape(repr(value))}",
    ):
        est.fit(X, y)


@by_name(MLPS)
@pytest.mark.parametrize("sizes", [(0,), (-3,), (4, 0), (4, -1)], ids=repr)
def test_hidden_layer_sizes_must_be_positive(cls, sizes):
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be > 0"):
        make(cls, hidden_layer_sizes=sizes).fit(X, y)


@by_name(MLPS)
def test_hidden_layer_sizes_must_be_integers(cls):
    X, y = data(cls)
    with pytest.raises((ValueError, TypeError), match="hidden_layer_sizes must contain integers"):
        make(cls, hidden_layer_sizes=(2.5,)).fit(X, y)


@by_name(MLPS)
def test_activation_list_must_match_hidden_layers(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="activation has 1 entries but there are 2 hidden"):
        make(cls, hidden_layer_sizes=(3, 3), activation=["tanh"]).fit(X, y)
    with pytest.raises(ValueError, match=r"Unknown hidden activation\(s\) \['swish'\]"):
        make(cls, hidden_layer_sizes=(3,), activation=["swish"]).fit(X, y)


@pytest.mark.parametrize(
    "activation, loss", [("step", "log_loss"), ("logistic", "perceptron"), ("logistic", "hinge")]
)
def test_perceptron_activation_and_loss_must_go_together(activation, loss):
    X, y = data(PerceptronClassifier)
    with pytest.raises(ValueError, match=f"loss='{loss}' does not go with activation='{activation}'"):
        make(PerceptronClassifier, activation=activation, loss=loss).fit(X, y)


@by_name(ALL)
def test_early_stopping_needs_enough_samples(cls):
    X, y = data(cls, n_samples=2)
    if is_classifier(cls):
        y = np.array([0, 1])
    with pytest.raises(ValueError, match="The validation set is too small"):
        make(cls, early_stopping=True).fit(X, y)


@by_name(CLASSIFIERS)
def test_balanced_class_weight_is_refused_by_partial_fit(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="class_weight='balanced'.*partial_fit"):
        make(cls, class_weight="balanced").partial_fit(X, y, classes=[0, 1])


@by_name(CLASSIFIERS)
def test_class_weight_for_unknown_labels_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"The classes, \[0, 1\], are not in class_weight"):
        make(cls, class_weight={5: 2.0}).fit(X, y)


@by_name(MLPS)
def test_lbfgs_has_no_partial_fit(cls):
    est = make(cls, solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        est.partial_fit
    # The reason is chained, as scikit-learn's own MLPs do.
    assert "lbfgs is not stochastic" in str(info.value.__cause__)


@by_name(MLPS)
def test_warm_start_cannot_change_the_architecture(cls):
    X, y = data(cls)
    est = make(cls, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="cannot change the network's shape"):
        est.fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=-0.1), "dropout"),
        (dict(dropout=[0.1]), "dropout has 1 entries but there are 2 hidden layers"),
        (dict(dropout=[0.1, 1.2]), r"dropout rates must be numbers in \[0, 1\)"),
        (dict(dropout=0.2, solver="lbfgs"), "dropout=0.2 cannot be used with solver='lbfgs'"),
        (dict(penalty="l1", solver="lbfgs"), "penalty='l1' cannot be used with solver='lbfgs'"),
        (dict(penalty="elasticnet", solver="lbfgs"), "penalty='elasticnet' cannot"),
        (dict(penalty="l3"), "penalty"),
        (dict(l1_ratio=1.5), "l1_ratio"),
        (dict(batch_norm_momentum=2.0), "batch_norm_momentum"),
        # 0 would leave the running statistics at their start for ever.
        (dict(batch_norm=True, batch_norm_momentum=0.0),
         r"'batch_norm_momentum' parameter .* in the range \(0.0, 1.0\]"),
        (dict(dropout=np.array([[0.1, 0.2]])),
         r"dropout must be one rate, or a 1-d array-like .* shape \(1, 2\)"),
        (dict(dropout=[[0.1], [0.2, 0.3]]), r"dropout must be one rate.*a ragged sequence"),
        (dict(dropout=np.array([0.1, 1.0])), r"dropout rates must be numbers in \[0, 1\)"),
        (dict(dropout=np.array(1.0)), r"dropout rates must be numbers in \[0, 1\)"),
        # Dropout and batch normalization act on hidden layers.
        (dict(hidden_layer_sizes=(), dropout=0.5),
         r"dropout=0.5 acts on hidden layers, and hidden_layer_sizes=\(\) has none: add "
         r"a hidden layer, or use dropout=0"),
        (dict(hidden_layer_sizes=(), dropout=[0.5]), r"dropout=\[0.5\] acts on hidden"),
        (dict(hidden_layer_sizes=(), batch_norm=True),
         r"batch_norm=True acts on hidden layers, and hidden_layer_sizes=\(\) has none: "
         r"add a hidden layer, or use batch_norm=False"),
        # A batch of one row has no batch statistics.
        (dict(batch_norm=True, batch_size=1), "batch_norm=True cannot train with batch_size=1"),
        (dict(batch_norm=True, batch_size=1, solver="adam"), "batch_size=1"),
    ],
)
def test_bad_regularisation_parameters_are_refused_and_leave_the_model(digits, params, match,
                                                                      flat_weights):
    X, y = digits(400)
    est = MLPClassifier((8, 4), max_iter=2, random_state=0).fit(X, y)
    before = flat_weights(est).copy()
    est.set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert_array_equal(flat_weights(est), before)
    assert est.n_iter_ == 2


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_batch_norm_refuses_a_training_set_of_one_row_and_leaves_the_model(digits, solver,
                                                                           flat_weights):
    # Every batch would be that row alone: no batch statistics, nothing learned below
    # batch normalization. PyTorch refuses a training batch of one row too.
    X, y = digits(400)
    est = MLPClassifier((8,), batch_norm=True, solver=solver, max_iter=2,
                        random_state=0).fit(X, y)
    before, running = flat_weights(est).copy(), est.running_means_[0].copy()
    message = r"batch_norm=True cannot train on one sample \(n_samples=1"
    with pytest.raises(ValueError, match=message):
        est.fit(X[:1], y[:1])
    if solver != "lbfgs":
        with pytest.raises(ValueError, match=message):
            est.partial_fit(X[:1], y[:1])
        with pytest.raises(ValueError, match=message):
            MLPClassifier((8,), batch_norm=True, solver=solver).partial_fit(
                X[:1], y[:1], classes=np.unique(y))
    assert_array_equal(flat_weights(est), before)
    assert_array_equal(est.running_means_[0], running)
    assert est.n_iter_ == 2 and est.t_ == 2 * len(y)
    # Two rows are enough, and so is a lone row last in an epoch (engine/test_layers.py).
    est.fit(X[:2], y[:2])


def test_batch_norm_refuses_a_training_set_left_with_one_row_by_early_stopping():
    X, y = data(MLPRegressor, n_samples=3)
    est = make(MLPRegressor, batch_norm=True, early_stopping=True)
    with pytest.raises(ValueError, match=r"n_samples=1 in the training set, after any "
                                         r"validation hold-out"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


# ----------------------------------------------------------------------------- weights


@by_name(ALL)
def test_sample_weight_of_wrong_length_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(29,\), expected \(30,\)"):
        make(cls).fit(X, y, sample_weight=np.ones(29))


@by_name(ALL)
def test_negative_sample_weight_is_rejected(cls):
    X, y = data(cls)
    sample_weight = np.ones(X.shape[0])
    sample_weight[4] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        make(cls).fit(X, y, sample_weight=sample_weight)


@by_name(ALL)
def test_all_zero_sample_weight_is_rejected(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        make(cls).fit(X, y, sample_weight=np.zeros(X.shape[0]))


@by_name(ALL)
def test_non_finite_sample_weight_is_rejected(cls):
    X, y = data(cls)
    sample_weight = np.ones(X.shape[0])
    sample_weight[0] = np.nan
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        make(cls).fit(X, y, sample_weight=sample_weight)


# ----------------------------------------------------------------------------- validation set


@by_name(ALL)
def test_validation_inputs_must_come_in_pairs(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        make(cls).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        make(cls).fit(X, y, y_val=y)


@by_name(ALL)
def test_validation_set_is_validated_like_training_data(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match=f"X has 2 features, but {cls.__name__} is expecting 3"):
        make(cls).fit(X, y, X_val=X[:, :2], y_val=y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make(cls).fit(X, y, X_val=X, y_val=y[:-1])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make(cls).fit(X, y, X_val=X_nan, y_val=y)


@by_name(CLASSIFIERS)
def test_validation_labels_must_be_known(cls):
    # The error names the argument that holds the unknown label: y_val here, y below.
    X, y = data(cls)
    with pytest.raises(ValueError, match=r"^`y_val` has classes not in `self.classes_`.*"
                                         r"'y_val' has \[5 6\]; unseen: \[5 6\]"):
        make(cls).fit(X, y, X_val=X, y_val=y + 5)
    with pytest.raises(ValueError, match=r"^`y` has classes not in `self.classes_`.*"
                                         r"'y' has \[0 1 2\]; unseen: \[2\]"):
        make(cls).fit(X, y, X_val=X, y_val=y).partial_fit(X, np.arange(len(y)) % 3)


@by_name(MLPS)
def test_validation_set_is_refused_by_lbfgs(cls):
    X, y = data(cls)
    with pytest.raises(ValueError, match="solver='lbfgs' has no epochs"):
        make(cls, solver="lbfgs").fit(X, y, X_val=X, y_val=y)


# ----------------------------------------------------------------------------- unfitted


@by_name(ALL)
def test_unfitted_estimator_raises_not_fitted_error(cls):
    X, y = data(cls)
    est = make(cls)
    methods = ["predict"]
    if cls in CLASSIFIERS:
        methods.append("decision_function")
    if cls is MLPClassifier:
        methods += ["predict_proba", "predict_log_proba"]
    for method in methods:
        with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted"):
            getattr(est, method)(X)
    with pytest.raises(NotFittedError):
        est.score(X, y)



@pytest.mark.parametrize("classes", [[0, 1], [3], [0, 1, 2, 5], [-2, 7, 9]])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_label_encoding_from_integer_classes_is_the_label_binarizers(classes, dtype):
    # A first partial_fit with integer classes makes the label encoding from the
    # classes alone; it must be the LabelBinarizer that fit(classes) gives.
    from sklearn.preprocessing import LabelBinarizer

    from skperceptron._targets import fit_labels

    classes = np.array(classes, dtype=np.int64 if min(classes) < 0 else dtype)
    y = np.repeat(classes, 3)[::-1].copy()
    ours, theirs = fit_labels(y, classes), LabelBinarizer().fit(np.unique(classes))
    assert ours.y_type_ == theirs.y_type_
    assert ours.sparse_input_ == theirs.sparse_input_
    assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    assert_array_equal(ours.transform(y), theirs.transform(y))


@pytest.mark.parametrize("cls", [PerceptronClassifier, MLPClassifier])
def test_first_partial_fit_with_integer_classes_refuses_an_unknown_label(cls):
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="classes not in"):
        cls().partial_fit(X, np.array([0, 1, 2, 1]), classes=np.array([0, 1]))
