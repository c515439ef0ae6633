"""check_gradients: every estimator, activation and loss passes it, a wrong gradient
fails it, and checking leaves the estimator as it was."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skperceptron._engine.activations as activations
import skperceptron._engine.losses as losses
from skperceptron import (
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
    check_gradients,
)
from skperceptron._engine.activations import HIDDEN_ACTIVATIONS
from skperceptron._engine.layers import Activate, TrainingPass

# check_gradients uses h = 1e-6: for a correct gradient its relative error is ~1e-9
# (truncation h^2, rounding eps / h); a wrong term gives 1e-3 or more.
TOL = 1e-6
N_SAMPLES, N_FEATURES = 15, 4
ACTIVATIONS = sorted(HIDDEN_ACTIVATIONS)
KINKED = {"relu", "leaky_relu", "elu"}
# A finite-difference step of 1e-6 on one parameter moves a net input by 1e-6 |x| (or
# 1e-6 for a bias), and later layers by a few times that: about 1e-5 at most on these
# standard normal data. Staying 1e-4 away from every kink keeps the objective smooth
# over the whole stencil.
KINK_MARGIN = 1e-4


def _targets(kind, rng):
    if kind == "binary":
        return rng.permutation(np.arange(N_SAMPLES) % 2)
    if kind == "multiclass":
        return rng.permutation(np.arange(N_SAMPLES) % 3)
    if kind == "multilabel":
        return rng.randint(0, 2, size=(N_SAMPLES, 3))
    if kind == "regression":
        return rng.normal(scale=2.0, size=N_SAMPLES)
    if kind == "multioutput":
        return rng.normal(scale=2.0, size=(N_SAMPLES, 2))
    if kind == "counts":
        return rng.poisson(2.0, size=N_SAMPLES).astype(float)
    if kind == "multicounts":
        return rng.poisson(2.0, size=(N_SAMPLES, 2)).astype(float)
    raise AssertionError(kind)


def _data(kind, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(N_SAMPLES, N_FEATURES)), _targets(kind, rng)


def _kink_distance(estimator, X, y, sample_weight=None):
    """Distance of the starting point's net inputs and residuals to their kinks.

    Kinks: relu/leaky_relu/elu at z = 0, the perceptron criterion at s z = 0, the hinge
    at s z = 1, the absolute error at r = 0 and the Huber loss at |r| = delta. Returns
    (distance, huber regimes seen) so that a Huber case can require both regimes.
    """
    network, loss, params, data, *_ = estimator._gradient_problem(X, y, sample_weight)
    A, Y = data.X, data.Y
    # The forward pass of check_gradients: in training mode, with the masks it draws.
    mode = None
    if network.trains_differently:
        mode = TrainingPass(np.random.RandomState(0), data.sample_weight, hold=True)
    distances = [np.inf]
    for layer in network.layers:
        hidden = layer is not network.layers[-1]
        if isinstance(layer, Activate) and hidden and layer.activation.name in KINKED:
            distances.append(np.abs(A).min())  # the net input of a kinked activation
        A = layer.forward(params, A.copy() if isinstance(A, np.ndarray) else A, None, mode)
    S = 2 * Y - 1
    regimes = set()
    if loss.name == "perceptron":
        distances.append(np.abs(S * A).min())
    elif loss.name == "hinge":
        distances.append(np.abs(S * A - 1).min())
    elif loss.name == "absolute_error":
        distances.append(np.abs(A - Y).min())
    elif loss.name == "huber":
        R = np.abs(A - Y)
        distances.append(np.abs(R - loss.delta).min())
        regimes = {"quadratic" if r < loss.delta else "linear" for r in R.ravel()}
    return min(distances), regimes


def _smooth_data(estimator, kind, sample_weight=None):
    """Small random data on which the objective is smooth around the starting weights.

    Continuous random data almost never put a net input or residual within 1e-4 of a
    kink; the few seeds that do are skipped, and Huber cases need residuals on both
    sides of delta so that both branches are checked.
    """
    for seed in range(100):
        X, y = _data(kind, seed)
        distance, regimes = _kink_distance(estimator, X, y, sample_weight)
        huber = getattr(estimator, "loss", None) == "huber"
        if distance > KINK_MARGIN and (not huber or len(regimes) == 2):
            return X, y
    raise AssertionError("no smooth data found")  # pragma: no cover


def _weights(seed=0):
    w = np.random.RandomState(seed).uniform(0.1, 3.0, size=N_SAMPLES)
    w[:2] = 0.0  # zero weights are allowed and must drop out
    return w


# --------------------------------------------------------------------- MLPs
@pytest.mark.parametrize(
    "loss, kind",
    [
        ("log_loss", "binary"),
        ("log_loss", "multiclass"),
        ("log_loss", "multilabel"),
        ("hinge", "binary"),
        ("hinge", "multiclass"),
    ],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_classifier_gradients(activation, loss, kind):
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), activation=activation, loss=loss, alpha=0.1, random_state=0
    )
    X, y = _smooth_data(clf, kind)
    assert check_gradients(clf, X, y) < TOL


@pytest.mark.parametrize(
    "loss, kind",
    [
        ("squared_error", "regression"),
        ("squared_error", "multioutput"),
        ("absolute_error", "regression"),
        ("absolute_error", "multioutput"),
        ("huber", "regression"),
        ("huber", "multioutput"),
        ("poisson", "counts"),
        ("poisson", "multicounts"),
    ],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_regressor_gradients(activation, loss, kind):
    reg = MLPRegressor(
        loss=loss, hidden_layer_sizes=(5,), activation=activation, alpha=0.1, random_state=0
    )
    X, y = _smooth_data(reg, kind)
    assert check_gradients(reg, X, y) < TOL


DEPTHS = [
    ((6,), "tanh"),
    ((5, 4), ["relu", "logistic"]),
    ((4, 3, 3), ["elu", "softplus", "leaky_relu"]),
]


@pytest.mark.parametrize("alpha", [0.0, 2.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("hidden, activation", DEPTHS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda **kw: MLPClassifier(**kw), "multiclass"),
        (lambda **kw: MLPClassifier(loss="hinge", **kw), "binary"),
        (lambda **kw: MLPRegressor(loss="huber", huber_delta=0.5, **kw), "multioutput"),
        (lambda **kw: MLPRegressor(loss="poisson", **kw), "counts"),
    ],
    ids=["log_loss", "hinge", "huber", "poisson"],
)
def test_deeper_networks_with_penalty_and_sample_weights(
    make, kind, hidden, activation, weighted, alpha
):
    est = make(hidden_layer_sizes=hidden, activation=activation, alpha=alpha, random_state=1)
    sw = _weights() if weighted else None
    X, y = _smooth_data(est, kind, sw)
    assert check_gradients(est, X, y, sample_weight=sw) < TOL


REGULARISED = {
    "dropout": dict(dropout=0.3),
    "batch_norm": dict(batch_norm=True),
    "batch_norm_dropout": dict(batch_norm=True, dropout=[0.2, 0.4]),
    "l1": dict(penalty="l1", alpha=0.5),
    "elasticnet": dict(penalty="elasticnet", alpha=0.5, l1_ratio=0.5),
}
MLP_LOSSES = [
    (lambda **kw: MLPClassifier(**kw), "binary"),
    (lambda **kw: MLPClassifier(**kw), "multiclass"),
    (lambda **kw: MLPClassifier(**kw), "multilabel"),
    (lambda **kw: MLPClassifier(loss="hinge", **kw), "multiclass"),
    (lambda **kw: MLPRegressor(**kw), "multioutput"),
    (lambda **kw: MLPRegressor(loss="absolute_error", **kw), "regression"),
    (lambda **kw: MLPRegressor(loss="huber", huber_delta=0.5, **kw), "multioutput"),
    (lambda **kw: MLPRegressor(loss="poisson", **kw), "counts"),
]


@pytest.mark.parametrize("config", sorted(REGULARISED))
@pytest.mark.parametrize(
    "make, kind", MLP_LOSSES,
    ids=["log_loss-binary", "log_loss-multiclass", "log_loss-multilabel", "hinge",
         "squared_error", "absolute_error", "huber", "poisson"],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dropout_batch_norm_and_l1_gradients(activation, make, kind, config):
    # Dropout with its masks held fixed, batch normalization in training mode (weighted
    # batch statistics), and the L1 term away from zero weights (the starting weights
    # are drawn from a continuous distribution), all with sample weights.
    est = make(hidden_layer_sizes=(5, 4), activation=activation, random_state=0,
               **REGULARISED[config])
    sw = _weights()
    X, y = _smooth_data(est, kind, sw)
    assert check_gradients(est, X, y, sample_weight=sw) < TOL


def test_class_weights_enter_the_checked_objective():
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), activation="tanh", class_weight="balanced", random_state=0
    )
    X, y = _smooth_data(clf, "multiclass")
    y = np.where(np.arange(N_SAMPLES) < 9, 0, y)  # imbalanced: class 0 dominates
    assert check_gradients(clf, X, y, sample_weight=_weights()) < TOL


def test_sparse_input():
    reg = MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", alpha=0.1, random_state=0)
    X, y = _smooth_data(reg, "regression")
    X[np.abs(X) < 0.7] = 0.0
    assert check_gradients(reg, sp.csr_matrix(X), y) < TOL


# --------------------------------------------------------------------- perceptrons
@pytest.mark.parametrize("weight_init", ["zeros", "glorot_uniform"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_logistic_perceptron_gradients(kind, weight_init):
    clf = PerceptronClassifier(
        activation="logistic", loss="log_loss", alpha=0.5, weight_init=weight_init, random_state=0
    )
    X, y = _smooth_data(clf, kind, _weights())
    assert check_gradients(clf, X, y, sample_weight=_weights()) < TOL


@pytest.mark.parametrize("loss", ["perceptron", "hinge"])
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_step_perceptron_criteria_gradients_away_from_the_boundary(kind, loss):
    # Piecewise linear in the weights: exact finite differences once no sample sits on a
    # kink (zero weights would put every sample on the boundary, hence random weights).
    clf = PerceptronClassifier(loss=loss, weight_init="glorot_uniform", random_state=0)
    X, y = _smooth_data(clf, kind)
    assert check_gradients(clf, X, y) < TOL


@pytest.mark.parametrize("kind", ["regression", "multioutput"])
@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_perceptron_regressor_gradients(loss, kind):
    reg = PerceptronRegressor(loss=loss, penalty="l2", alpha=0.3, random_state=0)
    X, y = _smooth_data(reg, kind, _weights())
    assert check_gradients(reg, X, y, sample_weight=_weights()) < TOL


@pytest.mark.parametrize(
    "estimator, kind",
    [
        (PerceptronRegressor(fit_intercept=False, random_state=0), "multioutput"),
        (PerceptronClassifier(activation="logistic", loss="log_loss", fit_intercept=False,
                              weight_init="glorot_uniform", random_state=0), "multiclass"),
    ],
    ids=["regressor", "classifier"],
)
def test_intercepts_frozen_by_fit_intercept_false_are_not_reported_as_errors(estimator, kind):
    # Without an intercept, fit never moves the biases (their gradient is set to 0), so
    # the objective it minimises is a function of the weights alone.
    X, y = _smooth_data(estimator, kind)
    assert check_gradients(estimator, X, y) < TOL


# --------------------------------------------------------------------- fitted estimators
def _fitted(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize(
    "estimator, kind",
    [
        (
            MLPClassifier(
                hidden_layer_sizes=(5,), activation="tanh", solver="lbfgs", max_iter=20,
                random_state=0,
            ),
            "multiclass",
        ),
        (
            MLPRegressor(
                hidden_layer_sizes=(5, 3), activation="softplus", solver="adam", max_iter=5,
                random_state=0,
            ),
            "multioutput",
        ),
        (
            PerceptronClassifier(
                activation="logistic", loss="log_loss", max_iter=3, random_state=0
            ),
            "binary",
        ),
    ],
    ids=["lbfgs", "adam", "perceptron"],
)
def test_fitted_estimators_pass_at_their_current_weights(estimator, kind):
    # Smooth activations and losses only: the fitted weights cannot land on a kink.
    X, y = _smooth_data(estimator, kind)
    _fitted(estimator, X, y)
    assert check_gradients(estimator, X, y, sample_weight=_weights()) < TOL


# --------------------------------------------------------------------- no side effects
def _snapshot(estimator):
    return pickle.dumps(estimator)


@pytest.mark.filterwarnings("ignore:.* on the kink of the perceptron loss")  # zero weights
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize(
    "make, kind",
    [
        (
            lambda: MLPClassifier(
                hidden_layer_sizes=(4,), solver="sgd", max_iter=3, class_weight="balanced",
                random_state=0,
            ),
            "multiclass",
        ),
        (
            lambda: MLPRegressor(
                hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0
            ),
            "regression",
        ),
        (lambda: PerceptronClassifier(max_iter=3, random_state=0), "binary"),
    ],
    ids=["mlp_classifier", "mlp_regressor", "perceptron"],
)
def test_checking_leaves_the_estimator_unchanged(make, kind, fitted):
    est = make()
    X, y = _data(kind)
    if fitted:
        _fitted(est, X, y)
        coefs = [W.copy() for W in est.coefs_]
    before = _snapshot(est)
    check_gradients(est, X, y, sample_weight=_weights())
    assert _snapshot(est) == before
    if fitted:
        for W, W0 in zip(est.coefs_, coefs):
            np.testing.assert_array_equal(W, W0)
    else:
        assert not hasattr(est, "coefs_") and not hasattr(est, "classes_")


def test_checking_does_not_consume_a_random_state_instance():
    # With a RandomState as random_state, the check must not draw the starting weights
    # from the user's generator: fit would then start from other weights than checked.
    X, y = _data("binary")
    reference = _fitted(
        MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5,
                      random_state=np.random.RandomState(3)), X, y,
    )
    est = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5,
                        random_state=np.random.RandomState(3))
    before = _snapshot(est)
    check_gradients(est, X, y)
    assert _snapshot(est) == before
    _fitted(est, X, y)
    for W, W_ref in zip(est.coefs_, reference.coefs_):
        np.testing.assert_array_equal(W, W_ref)


# --------------------------------------------------------------------- detecting errors
def test_a_wrong_activation_derivative_is_detected(monkeypatch):
    reg = MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", random_state=0)
    X, y = _smooth_data(reg, "regression")
    assert check_gradients(reg, X, y) < TOL
    true_derivative = activations.Tanh.derivative
    monkeypatch.setattr(
        activations.Tanh, "derivative", lambda self, A: 1.1 * true_derivative(self, A)
    )
    assert check_gradients(reg, X, y) > 1e-3


def test_a_wrong_mask_in_a_backward_pass_is_detected(monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(6,), activation="relu", random_state=0)
    X, y = _smooth_data(clf, "multiclass")
    assert check_gradients(clf, X, y) < TOL
    # Letting the gradient through inactive units (relu' taken as 1 everywhere).
    monkeypatch.setattr(activations.ReLU, "backward_", lambda self, dA, A: dA)
    assert check_gradients(clf, X, y) > 1e-3


def test_a_wrong_loss_gradient_is_detected(monkeypatch):
    reg = MLPRegressor(loss="huber", hidden_layer_sizes=(5,), activation="tanh", random_state=0)
    X, y = _smooth_data(reg, "regression")
    assert check_gradients(reg, X, y) < TOL
    # Clipping at 2 delta instead of delta: wrong only for residuals beyond delta.
    monkeypatch.setattr(
        losses.Huber, "pointwise_gradient",
        lambda self, Y, P: np.clip(P - Y, -2 * self.delta, 2 * self.delta),
    )
    assert check_gradients(reg, X, y) > 1e-3


def test_a_wrong_canonical_shortcut_is_detected(monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", random_state=0)
    X, y = _smooth_data(clf, "binary")
    assert check_gradients(clf, X, y) < TOL
    true_link = losses.BinaryLogLoss.link_gradient
    monkeypatch.setattr(
        losses.BinaryLogLoss,
        "link_gradient",
        lambda self, Y, P, sw=None, out=None: 0.8 * true_link(self, Y, P, sw),
    )
    assert check_gradients(clf, X, y) > 1e-3


# --------------------------------------------------------------------- options
def test_a_random_subset_of_parameters_can_be_checked():
    clf = MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", random_state=0)
    X, y = _smooth_data(clf, "multiclass")
    subset = check_gradients(clf, X, y, max_params=8, random_state=1)
    assert subset < TOL
    assert check_gradients(clf, X, y, max_params=8, random_state=1) == subset
    # Asking for more parameters than there are checks them all.
    assert check_gradients(clf, X, y, max_params=10_000) == check_gradients(clf, X, y)


# --------------------------------------------------------------------- what it accepts
@pytest.mark.parametrize(
    "estimator, hint",
    [(LogisticRegression(), ""),
     (make_pipeline(StandardScaler(), MLPClassifier()), r" Pass the estimator itself")],
    ids=["other", "pipeline"],
)
def test_other_estimators_are_refused_naming_what_is_accepted(estimator, hint):
    X, y = _data("binary")
    with pytest.raises(TypeError, match=(
            r"checks skperceptron's estimators \(MLPClassifier, MLPRegressor, "
            rf"PerceptronClassifier or PerceptronRegressor\), got {type(estimator).__name__}"
            rf"\.{hint}")):
        check_gradients(estimator, X, y)


# --------------------------------------------------------------------- kinks
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_samples_on_the_perceptron_criterions_kink_are_warned_about(kind):
    # Zero weights put every sample at z = 0, the criterion's kink: backpropagation
    # gives -s there and central differences the mean of the two sides. The result is
    # what it always was; the warning says what it is worth and what to do.
    X, y = _data(kind)
    with pytest.warns(UserWarning, match=(
            r"15 of 15 samples sit on the kink of the perceptron loss \(a net input of "
            r"exactly 0\).*PerceptronClassifier\(weight_init='glorot_uniform'\)")):
        error = check_gradients(PerceptronClassifier(), X, y)
    assert error == pytest.approx(1 / 3, rel=1e-12)
    off_the_kink = PerceptronClassifier(weight_init="glorot_uniform", random_state=0)
    X, y = _smooth_data(off_the_kink, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say
        assert check_gradients(off_the_kink, X, y) < TOL


def test_a_sample_on_the_hinges_margin_is_warned_about():
    X, y = _data("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # z = 0 is inside the margin, not on its kink
        check_gradients(PerceptronClassifier(loss="hinge"), X, y)
    # Starting weights of one's own that put the positive samples at a margin of 1.
    clf = PerceptronClassifier(loss="hinge")
    clf.coefs_, clf.intercepts_ = [np.zeros((N_FEATURES, 1))], [np.ones(1)]
    with pytest.warns(UserWarning, match=(rf"{int(y.sum())} of 15 samples sit on the kink "
                                          r"of the hinge loss \(a margin s z of exactly 1\)")):
        check_gradients(clf, X, y)


def test_a_target_met_exactly_by_the_absolute_error_is_warned_about():
    X, y = _data("regression")
    y[4] = 0.0  # the output of zero weights
    with pytest.warns(UserWarning, match=r"1 of 15 samples sits on the kink of the "
                                         r"absolute_error loss"):
        check_gradients(PerceptronRegressor(loss="absolute_error"), X, y)
    reg = MLPRegressor(loss="absolute_error", hidden_layer_sizes=(3,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_gradients(reg, *_smooth_data(reg, "regression")) < TOL
