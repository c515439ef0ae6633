"""Behaviour of MLPClassifier and MLPRegressor.

scikit-learn's MLP is the main oracle: with ``weight_init="auto"`` and the same
``random_state`` both start from the same weights and minimise the same objective with
the same optimizers, so deterministic runs (L-BFGS, or SGD/Adam without shuffling) must
agree up to floating-point rounding.
"""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (make_classification, make_multilabel_classification,
                              make_regression)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from skperceptron import MLPClassifier, MLPRegressor

# Runs that stop on their iteration budget on purpose raise ConvergenceWarning (ours
# and scikit-learn's).
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture
def binary_iris(iris):
    """``binary_iris()``: versicolor and virginica, which are not linearly separable."""

    def make():
        X, y = iris()
        keep = y > 0  # versicolor vs virginica: not linearly separable
        return X[keep], y[keep]

    return make


def blobs(n_per_class=20, n_classes=3, seed=0, n_features=2):
    rng = np.random.RandomState(seed)
    centers = 4 * rng.normal(size=(n_classes, n_features))
    X = np.vstack([c + 0.5 * rng.normal(size=(n_per_class, n_features)) for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def _assert_same_weights(a, b):
    for W1, W2 in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(W1, W2)


def _iteration_lines(capsys):
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if line.startswith("Iteration")]


# --------------------------------------------------------------- the classic lessons
@pytest.mark.parametrize("seed", range(5))
def test_one_small_hidden_layer_learns_xor(seed):
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs", random_state=seed
    ).fit(XOR_X, XOR_Y)
    assert_array_equal(clf.predict(XOR_X), XOR_Y)
    assert clf.stop_reason_ == "converged"
    proba = clf.predict_proba(XOR_X)
    assert np.all(proba[np.arange(4), XOR_Y] > 0.9)


def _assert_stopped_at_threshold(estimator, threshold):
    assert estimator.stop_reason_ == "loss_threshold"
    assert estimator.n_iter_ < estimator.max_iter
    assert estimator.loss_ <= threshold
    assert estimator.loss_curve_[-1] <= threshold
    # It stopped at the first epoch or iteration that reached the threshold.
    assert all(loss > threshold for loss in estimator.loss_curve_[:-1])


@pytest.mark.parametrize(
    "solver, params",
    [
        ("lbfgs", {}),
        ("adam", {"learning_rate_init": 0.01}),
        ("sgd", {"learning_rate_init": 0.05}),
    ],
)
def test_loss_threshold_stops_mlp_classifier(solver, params, iris):
    X, y = iris()
    threshold = 0.1
    clf = MLPClassifier(
        hidden_layer_sizes=(5,),
        solver=solver,
        max_iter=2000,
        random_state=0,
        loss_threshold=threshold,
        **params,
    ).fit(X, y)
    _assert_stopped_at_threshold(clf, threshold)
    if solver == "lbfgs":
        # loss_ is the objective at the final weights: mean log-loss + L2 term.
        proba = clf.predict_proba(X)
        l2 = sum(float((W**2).sum()) for W in clf.coefs_)
        log_loss = -np.log(proba[np.arange(len(y)), y]).mean()
        objective = log_loss + 0.5 * clf.alpha * l2 / len(y)
        assert clf.loss_ == pytest.approx(objective, rel=1e-10)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_loss_threshold_stops_mlp_regressor(solver, diabetes):
    X, y = diabetes()
    threshold = 0.3
    reg = MLPRegressor(
        hidden_layer_sizes=(10,),
        solver=solver,
        learning_rate_init=0.01,
        max_iter=1000,
        random_state=0,
        loss_threshold=threshold,
    ).fit(X, y)
    _assert_stopped_at_threshold(reg, threshold)


# --------------------------------------------------------------- scikit-learn's API
@pytest.mark.parametrize(
    "ours, theirs", [(MLPClassifier, SkMLPClassifier), (MLPRegressor, SkMLPRegressor)]
)
def test_parameters_are_a_superset_of_scikit_learn_with_the_same_defaults(ours, theirs):
    our_params = ours().get_params()
    their_params = theirs().get_params()
    missing = set(their_params) - set(our_params)
    assert not missing
    for name, default in their_params.items():
        assert our_params[name] == default, name
    # The positional parameters come in the same order.
    def positional(cls):
        return [
            p.name
            for p in inspect.signature(cls).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD
        ]

    assert positional(ours) == positional(theirs)


def _public_fitted_attributes(est):
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


@ignore_convergence
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "lbfgs"},
        {"solver": "adam"},
        {"solver": "sgd", "early_stopping": True},
    ],
)
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_fitted_attributes_include_scikit_learns(params, kind, iris, diabetes):
    if kind == "classifier":
        X, y = iris()
        ours, theirs = MLPClassifier, SkMLPClassifier
    else:
        X, y = diabetes()
        ours, theirs = MLPRegressor, SkMLPRegressor
    kwargs = dict(hidden_layer_sizes=(5,), max_iter=15, random_state=0, **params)
    est = ours(**kwargs).fit(X, y)
    ref = theirs(**kwargs).fit(X, y)
    assert _public_fitted_attributes(ref) <= _public_fitted_attributes(est)
    expected = {
        "coefs_", "intercepts_", "loss_", "loss_curve_", "best_loss_",
        "validation_scores_", "best_validation_score_", "n_iter_", "t_",
        "n_layers_", "n_outputs_", "out_activation_", "n_features_in_",
        "stop_reason_",
    }
    assert expected <= _public_fitted_attributes(est)
    assert est.n_layers_ == ref.n_layers_ == 3
    assert est.n_outputs_ == ref.n_outputs_
    assert est.out_activation_ == ref.out_activation_
    assert est.n_features_in_ == X.shape[1]
    if params["solver"] == "lbfgs":
        assert est.n_iter_ == ref.n_iter_
    assert [W.shape for W in est.coefs_] == [W.shape for W in ref.coefs_]
    assert [b.shape for b in est.intercepts_] == [b.shape for b in ref.intercepts_]
    if kind == "classifier":
        assert_array_equal(est.classes_, ref.classes_)
    if params.get("early_stopping"):
        assert len(est.validation_scores_) == est.n_iter_
        assert est.best_validation_score_ == max(est.validation_scores_)
        assert est.best_loss_ is None
    elif params["solver"] != "lbfgs":
        assert est.validation_scores_ is None
        assert est.best_validation_score_ is None
        assert est.best_loss_ == min(est.loss_curve_)
        assert len(est.loss_curve_) == est.n_iter_
        assert est.t_ == est.n_iter_ * X.shape[0]


def test_feature_names_are_recorded_from_a_dataframe(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris()
    names = ["sepal length", "sepal width", "petal length", "petal width"]
    df = pd.DataFrame(X, columns=names)
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=500, random_state=0)
    clf = MLPClassifier(**kw).fit(df, y)
    assert_array_equal(clf.feature_names_in_, names)
    reg = MLPRegressor(**kw).fit(df, X[:, 0])
    assert_array_equal(reg.feature_names_in_, names)
    plain = MLPClassifier(**kw).fit(X, y)
    assert not hasattr(plain, "feature_names_in_")
    assert_array_equal(clf.predict(df), plain.predict(X))
    # Columns in another order are refused rather than silently misread.
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[names[::-1]])


# --------------------------------------------------------------- same as scikit-learn
# Identical initial weights and objective; the two implementations differ only in the
# order of floating-point operations (about 1e-16 relative per operation). L-BFGS
# amplifies such differences along its trajectory, so the comparisons use 20
# iterations on small problems, where the observed gap is ~1e-13: the tolerances below
# (1e-6 on the loss, 1e-5 on probabilities and predictions) leave a wide margin while
# any real difference in the maths would show up at the percent level.
@ignore_convergence
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("problem", ["multiclass", "binary"])
def test_lbfgs_classifier_matches_scikit_learn(activation, problem, iris, binary_iris):
    X, y = iris() if problem == "multiclass" else binary_iris()
    kwargs = dict(
        hidden_layer_sizes=(5,), activation=activation, solver="lbfgs",
        max_iter=20, random_state=0,
    )
    ours = MLPClassifier(**kwargs).fit(X, y)
    ref = SkMLPClassifier(**kwargs).fit(X, y)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    assert ours.n_iter_ == ref.n_iter_
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    assert_array_equal(ours.predict(X), ref.predict(X))
    for W, W_ref in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(W, W_ref, atol=1e-5)


@ignore_convergence
@pytest.mark.parametrize(
    "loss, activation",
    [("squared_error", "tanh"), ("squared_error", "relu"), ("poisson", "tanh")],
)
def test_lbfgs_regressor_matches_scikit_learn(loss, activation, diabetes):
    X, y = diabetes()
    if loss == "poisson":
        y = np.exp(y)
    kwargs = dict(
        loss=loss, hidden_layer_sizes=(4,), activation=activation, solver="lbfgs",
        max_iter=20, random_state=0,
    )
    ours = MLPRegressor(**kwargs).fit(X, y)
    ref = SkMLPRegressor(**kwargs).fit(X, y)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    # Targets are of order 1, so 1e-5 absolute is a relative bound too.
    assert_allclose(ours.predict(X), ref.predict(X), atol=1e-5)
    assert ours.out_activation_ == ref.out_activation_


# Full-batch SGD/Adam without shuffling is deterministic: the same arithmetic epoch by
# epoch. Differences can only come from rounding and stay at ~1e-15 over 50 epochs.
@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("full_batch", [True, False])
def test_stochastic_solvers_without_shuffle_match_scikit_learn(solver, full_batch, iris):
    X, y = iris()
    kwargs = dict(
        hidden_layer_sizes=(5,), activation="tanh", solver=solver, max_iter=50,
        random_state=0, shuffle=False, batch_size=len(y) if full_batch else 32,
        learning_rate_init=0.1,
    )
    ours = MLPClassifier(**kwargs).fit(X, y)
    ref = SkMLPClassifier(**kwargs).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    assert ours.t_ == ref.t_


# With shuffling, each epoch shuffles the previous epoch's order with the same
# generator as scikit-learn's MLP: the same batches, so the same model to rounding
# (measured: 1.7e-16 to 2.9e-16 relative after 20 epochs; 1e-10 leaves room for the
# rounding of other BLAS builds, far below the 1e-2 of one different batch order).
@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_shuffled_mini_batches_match_scikit_learn_over_20_epochs(solver, kind):
    if kind == "classifier":
        X, y = make_classification(n_samples=500, n_features=10, n_informative=5,
                                   n_classes=3, random_state=0)
        Ours, Theirs = MLPClassifier, SkMLPClassifier
    else:
        X, y = make_regression(n_samples=500, n_features=10, random_state=0)
        y = y / 100
        Ours, Theirs = MLPRegressor, SkMLPRegressor
    kwargs = dict(hidden_layer_sizes=(16,), solver=solver, batch_size=64, max_iter=20,
                  random_state=0, tol=0, n_iter_no_change=1000)  # 8 batches an epoch
    ours, ref = Ours(**kwargs).fit(X, y), Theirs(**kwargs).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 20
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10 * np.abs(theirs).max())
    # partial_fit: each call shuffles its rows from their order, as scikit-learn's.
    ours, ref = Ours(**kwargs), Theirs(**kwargs)
    for _ in range(3):
        classes = {"classes": np.unique(y)} if kind == "classifier" else {}
        ours.partial_fit(X, y, **classes)
        ref.partial_fit(X, y, **classes)
    assert_allclose(ours.coefs_[0], ref.coefs_[0], rtol=1e-10,
                    atol=1e-10 * np.abs(ref.coefs_[0]).max())


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules_and_stopping_match_scikit_learn(learning_rate, iris):
    X, y = iris()
    kwargs = dict(
        hidden_layer_sizes=(5,), activation="tanh", solver="sgd",
        learning_rate=learning_rate, learning_rate_init=0.5, max_iter=400,
        random_state=0, shuffle=False, batch_size=len(y), tol=1e-3, n_iter_no_change=3,
    )
    ours = MLPClassifier(**kwargs).fit(X, y)
    ref = SkMLPClassifier(**kwargs).fit(X, y)
    # Both stopped on the same plateau rule at the same epoch, with the same losses.
    assert ours.stop_reason_ == "training_loss_plateau"
    assert ours.n_iter_ == ref.n_iter_ < 400
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


def test_adaptive_learning_rate_lowers_the_rate_on_plateaus(iris):
    X, y = iris()
    kwargs = dict(
        hidden_layer_sizes=(5,), activation="tanh", solver="sgd", learning_rate_init=0.5,
        max_iter=400, random_state=0, shuffle=False, batch_size=len(y), tol=1e-3,
        n_iter_no_change=3,
    )
    constant = MLPClassifier(learning_rate="constant", **kwargs).fit(X, y)
    adaptive = MLPClassifier(learning_rate="adaptive", **kwargs).fit(X, y)
    n = constant.n_iter_
    # Same run until the first plateau, where 'constant' stops...
    assert adaptive.loss_curve_[:n] == constant.loss_curve_
    # ...and 'adaptive' divides the rate by 5 and goes on, until the rate is below
    # 1e-6: 0.5 / 5**k <= 1e-6 needs k = 9 reductions, each after a plateau.
    assert adaptive.n_iter_ > n + 9 * kwargs["n_iter_no_change"]
    assert adaptive.stop_reason_ == "training_loss_plateau"
    # A smaller rate takes smaller steps: the loss changes less and less.
    steps = np.abs(np.diff(adaptive.loss_curve_))
    assert steps[-5:].max() < steps[: n - 1].max() / 100


@ignore_convergence
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
def test_sgd_schedule_equals_hand_written_gradient_descent(learning_rate, iris):
    # Without hidden layers, from zero weights, full-batch SGD without momentum is
    # gradient descent on softmax regression, whose gradient is written by hand:
    # dJ/dW = (X^T (P - Y) + alpha W) / n, dJ/db = mean(P - Y).
    X, y = iris()
    n, lr0, power_t, alpha = len(y), 0.5, 0.25, 1e-2
    clf = MLPClassifier(
        hidden_layer_sizes=(), solver="sgd", momentum=0.0, weight_init="zeros",
        learning_rate=learning_rate, learning_rate_init=lr0, power_t=power_t,
        alpha=alpha, batch_size=n, shuffle=False, max_iter=6, tol=0.0,
    ).fit(X, y)
    Y = np.eye(3)[y]
    W, b = np.zeros((4, 3)), np.zeros(3)
    for epoch in range(6):
        # invscaling: lr0 / (t + 1) ** power_t with t the samples seen before the epoch
        lr = lr0 if learning_rate == "constant" else lr0 / (epoch * n + 1) ** power_t
        Z = X @ W + b
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        grad_W = (X.T @ (P - Y) + alpha * W) / n
        grad_b = (P - Y).mean(axis=0)
        W -= lr * grad_W
        b -= lr * grad_b
    assert_allclose(clf.coefs_[0], W, rtol=1e-10, atol=1e-14)
    assert_allclose(clf.intercepts_[0], b, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------- outputs
@ignore_convergence
def test_out_activation_and_probabilities(iris, binary_iris, diabetes):
    X, y = iris()
    Xb, yb = binary_iris()
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0)
    multi = MLPClassifier(**kw).fit(X, y)
    binary = MLPClassifier(**kw).fit(Xb, yb)
    assert multi.out_activation_ == "softmax"
    assert binary.out_activation_ == "logistic"
    assert multi.n_outputs_ == 3 and binary.n_outputs_ == 1
    for clf, data in [(multi, X), (binary, Xb)]:
        proba = clf.predict_proba(data)
        assert proba.shape == (len(data), len(clf.classes_))
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        assert_allclose(clf.predict_log_proba(data), np.log(proba), rtol=1e-12)
        assert_array_equal(clf.predict(data), clf.classes_[proba.argmax(axis=1)])

    Xr, yr = diabetes()
    assert MLPRegressor(**kw).fit(Xr, yr).out_activation_ == "identity"
    assert MLPRegressor(loss="poisson", **kw).fit(Xr, np.exp(yr)).out_activation_ == "exp"
    hinge = MLPClassifier(loss="hinge", **kw).fit(X, y)
    assert hinge.out_activation_ == "identity"


@ignore_convergence
def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(
        n_samples=80, n_features=6, n_classes=3, random_state=0
    )
    kwargs = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0)
    clf = MLPClassifier(**kwargs).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [0, 1, 2])
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert_array_equal(pred, (proba > 0.5).astype(int))
    # Same maths as scikit-learn on multilabel targets (see the L-BFGS comparisons).
    ref = SkMLPClassifier(**kwargs).fit(X, Y)
    assert clf.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    assert_allclose(proba, ref.predict_proba(X), atol=1e-5)
    # Independent outputs: the rows of a multilabel prediction need not sum to 1.
    assert not np.allclose(proba.sum(axis=1), 1.0)


def test_multi_output_regression_recovers_a_linear_map():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    B = rng.normal(size=(4, 3))
    Y = X @ B + np.array([1.0, -2.0, 0.5])
    # Without hidden layers and penalty the network is least squares on each output.
    reg = MLPRegressor(
        hidden_layer_sizes=(), solver="lbfgs", alpha=0.0, tol=1e-12, max_iter=500,
        random_state=0,
    ).fit(X, Y)
    design = np.column_stack([X, np.ones(len(X))])
    solution = np.linalg.lstsq(design, Y, rcond=None)[0]
    assert reg.n_outputs_ == 3 and reg.n_layers_ == 2
    # L-BFGS-B also stops when an iteration lowers the objective by less than scipy's
    # default ftol (~2.2e-9, relative to max(|f|, 1)): the objective gap is then
    # ~1e-9 and, on this well-conditioned quadratic, the weights are within
    # ~sqrt(gap) ~ 1e-5 of the minimiser (observed 1.5e-5).
    assert_allclose(reg.coefs_[0], solution[:-1], atol=1e-4)
    assert_allclose(reg.intercepts_[0], solution[-1], atol=1e-4)
    assert reg.score(X, Y) > 1 - 1e-8
    assert reg.predict(X).shape == Y.shape

    hidden = MLPRegressor(
        hidden_layer_sizes=(10,), activation="tanh", solver="lbfgs", max_iter=2000,
        random_state=0,
    ).fit(X, Y)
    assert hidden.predict(X).shape == (60, 3)
    assert hidden.score(X, Y) > 0.99


def _forward(clf, X, activations):
    funcs = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "identity": lambda z: z,
    }
    A = X
    for W, b, name in zip(clf.coefs_[:-1], clf.intercepts_[:-1], activations):
        A = funcs[name](A @ W + b)
    Z = A @ clf.coefs_[-1] + clf.intercepts_[-1]
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


@ignore_convergence
@pytest.mark.parametrize(
    "activations", [["tanh", "relu"], ["relu", "logistic"], ["identity", "tanh"]]
)
def test_activation_list_sets_each_hidden_layer(activations, iris):
    X, y = iris()
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 4), activation=activations, solver="lbfgs",
        max_iter=100, random_state=0,
    ).fit(X, y)
    assert_allclose(clf.predict_proba(X), _forward(clf, X, activations), rtol=1e-10)
    assert clf.score(X, y) > 0.9


@ignore_convergence
@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_activation_list_of_one_name_equals_the_name(activation, iris):
    X, y = iris()
    kw = dict(hidden_layer_sizes=(6, 4), solver="lbfgs", max_iter=30, random_state=0)
    as_list = MLPClassifier(activation=[activation] * 2, **kw).fit(X, y)
    as_name = MLPClassifier(activation=activation, **kw).fit(X, y)
    _assert_same_weights(as_list, as_name)


@pytest.mark.parametrize(
    "hidden, activation, match",
    [
        ((6, 4), ["tanh"], "activation has 1 entries but there are 2 hidden layers"),
        ((6,), ("tanh", "relu"), "activation has 2 entries but there are 1 hidden layers"),
        ((6, 4), ["tanh", "softmax"], r"Unknown hidden activation\(s\) \['softmax'\]"),
    ],
)
def test_activation_list_must_match_the_hidden_layers(hidden, activation, match, iris):
    X, y = iris()
    with pytest.raises(ValueError, match=match):
        MLPClassifier(hidden_layer_sizes=hidden, activation=activation).fit(X, y)


def _initial_weights(weight_init, X, y, random_state=0, cls=MLPClassifier):
    """The starting weights: one SGD step so small it cannot move any of them."""
    clf = cls(
        hidden_layer_sizes=(X.shape[1],), solver="sgd", momentum=0.0,
        learning_rate_init=1e-300, random_state=random_state,
        **({} if cls is SkMLPClassifier else {"weight_init": weight_init}),
    )
    return clf.partial_fit(X, y, classes=np.unique(y))


def test_auto_weight_init_starts_from_scikit_learns_weights():
    rng = np.random.RandomState(1)
    X, y = rng.normal(size=(20, 7)), rng.randint(0, 3, 20)
    ours = _initial_weights("auto", X, y, random_state=42)
    ref = _initial_weights(None, X, y, random_state=42, cls=SkMLPClassifier)
    for W, W_ref in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(W, W_ref)


# (expected standard deviation of W as a function of fan_in, fan_out; uniform?)
WEIGHT_INITS = {
    "glorot_uniform": (lambda i, o: np.sqrt(2 / (i + o)), True),
    "glorot_normal": (lambda i, o: np.sqrt(2 / (i + o)), False),
    "he_uniform": (lambda i, o: np.sqrt(2 / i), True),
    "he_normal": (lambda i, o: np.sqrt(2 / i), False),
    "lecun_uniform": (lambda i, o: np.sqrt(1 / i), True),
    "lecun_normal": (lambda i, o: np.sqrt(1 / i), False),
    "auto": (lambda i, o: np.sqrt(6 / (i + o)) / np.sqrt(3), True),
}


@pytest.mark.parametrize("weight_init", sorted(WEIGHT_INITS))
def test_weight_init_draws_weights_of_the_documented_scale(weight_init):
    rng = np.random.RandomState(0)
    n_features = 200
    X, y = rng.normal(size=(10, n_features)), rng.randint(0, 2, 10)
    clf = _initial_weights(weight_init, X, y)
    W = clf.coefs_[0]  # (200, 200): 40000 draws
    std, uniform = WEIGHT_INITS[weight_init]
    expected = std(n_features, n_features)
    # The sample std of 40000 draws is within ~0.4% (one sigma) of the true one.
    assert W.std() == pytest.approx(expected, rel=0.03)
    assert abs(W.mean()) < 0.05 * expected
    if uniform:
        limit = np.sqrt(3) * expected
        assert np.abs(W).max() <= limit
        assert np.abs(W).max() > 0.99 * limit
    if weight_init != "auto":
        # Biases start at zero (a step of 1e-300 leaves them at most ~1e-300).
        assert np.abs(clf.intercepts_[0]).max() < 1e-200


@pytest.mark.parametrize("weight_init", sorted(WEIGHT_INITS))
def test_each_weight_init_trains(weight_init, iris):
    X, y = iris()
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs", max_iter=300,
        weight_init=weight_init, random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) >= 0.97


@ignore_convergence
def test_zeros_weight_init_never_breaks_hidden_symmetry(iris):
    X, y = iris()
    # Imbalanced classes (50, 50, 20): with balanced ones the first gradient at zero
    # weights vanishes altogether and nothing moves.
    X, y = X[:120], y[:120]
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), activation="logistic", solver="lbfgs", max_iter=50,
        weight_init="zeros", random_state=0,
    ).fit(X, y)
    W1, W2 = clf.coefs_
    # Identical hidden units get identical gradients: they stay copies of each other.
    assert np.any(W1 != 0)
    assert_allclose(W1, np.repeat(W1[:, :1], 5, axis=1), rtol=1e-12)
    assert_allclose(W2, np.repeat(W2[:1], 5, axis=0), rtol=1e-12)


def test_class_weight_equals_sample_weight_and_shifts_predictions():
    rng = np.random.RandomState(0)
    # Overlapping, imbalanced classes: 80 samples around (-0.7, -0.7), 20 around (0.7, 0.7).
    X = np.vstack([rng.normal(-0.7, 1, (80, 2)), rng.normal(0.7, 1, (20, 2))])
    y = np.repeat([0, 1], [80, 20])
    kw = dict(hidden_layer_sizes=(3,), activation="tanh", solver="lbfgs", alpha=1.0,
              max_iter=200, random_state=0)
    weighted = MLPClassifier(class_weight={0: 1.0, 1: 4.0}, **kw).fit(X, y)
    by_sample = MLPClassifier(**kw).fit(X, y, sample_weight=np.where(y == 1, 4.0, 1.0))
    # The same weights reach the same arithmetic.
    assert_allclose(weighted.predict_proba(X), by_sample.predict_proba(X), rtol=1e-12)

    balanced = MLPClassifier(class_weight="balanced", **kw).fit(X, y)
    sw_balanced = np.where(y == 1, 100 / (2 * 20), 100 / (2 * 80))
    by_sample = MLPClassifier(**kw).fit(X, y, sample_weight=sw_balanced)
    assert_allclose(balanced.predict_proba(X), by_sample.predict_proba(X), rtol=1e-12)

    # Weighting the minority class up makes it predicted over a larger region.
    plain = MLPClassifier(**kw).fit(X, y)
    g = np.linspace(-2.5, 2.5, 21)
    grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    n_plain = int(plain.predict(grid).sum())
    assert int(weighted.predict(grid).sum()) > n_plain
    assert int(balanced.predict(grid).sum()) > n_plain
    p_weighted = weighted.predict_proba(grid)[:, 1]
    assert p_weighted.mean() > plain.predict_proba(grid)[:, 1].mean()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_hinge_classifier_has_no_predict_proba(n_classes):
    X, y = blobs(n_classes=n_classes, seed=3)
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), solver="lbfgs", loss="hinge", random_state=0
    ).fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    with pytest.raises(AttributeError):
        clf.predict_proba(X)
    assert clf.score(X, y) == 1.0
    assert clf.n_outputs_ == (1 if n_classes == 2 else n_classes)
    # Its scores instead: the raw output, whose sign or largest entry is the decision
    # (what scikit-learn's tools read; see test_scores.py).
    scores = clf.decision_function(X)
    assert_array_equal(scores, clf._output(X).reshape(scores.shape))
    if n_classes == 2:
        assert_array_equal(clf.classes_[(scores > 0).astype(int)], y)
    else:
        assert_array_equal(clf.classes_[scores.argmax(axis=1)], y)


@ignore_convergence
def test_poisson_regressor_predicts_positive_values_and_rejects_negative_targets():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1])).astype(float)
    reg = MLPRegressor(
        loss="poisson", hidden_layer_sizes=(5,), solver="lbfgs", max_iter=100,
        random_state=0,
    ).fit(X, y)
    far = 10 * rng.normal(size=(200, 3))
    assert np.all(reg.predict(X) > 0)
    assert np.all(reg.predict(far) > 0)
    y_bad = y.copy()
    y_bad[3] = -1.0
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson", solver="lbfgs").fit(X, y_bad)
    # Negative targets are fine for the other losses.
    MLPRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5).fit(X, y_bad)


# --------------------------------------------------------------- early stopping, X_val
def test_early_stopping_restores_the_best_weights(diabetes):
    X, y = diabetes(n=442)
    X_tr, y_tr, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
    reg = MLPRegressor(
        hidden_layer_sizes=(50,), learning_rate_init=0.01, early_stopping=True,
        n_iter_no_change=5, max_iter=300, random_state=0,
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    assert reg.stop_reason_ == "validation_score_plateau"
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_
    assert reg.best_validation_score_ == max(scores)
    # The last epochs scored worse than the best (so restoring matters)...
    assert scores[-1] < reg.best_validation_score_
    # ...and the final weights are those of the best epoch.
    assert reg.score(X_val, y_val) == pytest.approx(reg.best_validation_score_, rel=1e-12)
    # scikit-learn's rule, replayed on the recorded scores: an epoch that does not beat
    # the best so far by tol adds one to a count (otherwise resets it); training stops
    # at the first epoch where the count exceeds n_iter_no_change.
    best, count, expected_stop = -np.inf, 0, None
    for epoch, score in enumerate(scores, start=1):
        count = count + 1 if score < best + reg.tol else 0
        best = max(best, score)
        if count > reg.n_iter_no_change:
            expected_stop = epoch
            break
    assert reg.n_iter_ == expected_stop


def test_early_stopping_with_warm_start_still_ends_on_the_best_weights(diabetes):
    X, y = diabetes(n=442)
    X_tr, y_tr, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
    reg = MLPRegressor(
        hidden_layer_sizes=(50,), learning_rate_init=0.01, early_stopping=True,
        n_iter_no_change=5, max_iter=300, random_state=0, warm_start=True,
    )
    for _ in range(3):
        reg.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
        assert reg.best_validation_score_ == max(reg.validation_scores_)
        # Whether or not this call beat the best score of an earlier call, the
        # weights kept are the ones that scored best_validation_score_.
        assert reg.score(X_val, y_val) == pytest.approx(
            reg.best_validation_score_, rel=1e-12
        )


def test_early_stopping_with_internal_split(digits):
    X, y = digits()
    clf = MLPClassifier(
        hidden_layer_sizes=(20,), early_stopping=True, learning_rate_init=0.01,
        validation_fraction=0.2, n_iter_no_change=3, max_iter=200, random_state=0,
    ).fit(X, y)
    assert clf.stop_reason_ == "validation_score_plateau"
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # The training loss was measured on the 80% kept for training.
    assert clf.t_ == clf.n_iter_ * (len(y) - 60)


def test_validation_set_replaces_the_split_and_is_only_recorded_without_early_stopping(
        diabetes):
    X, y = diabetes(n=442)
    X_tr, y_tr, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
    kw = dict(hidden_layer_sizes=(50,), learning_rate_init=0.01, random_state=0)
    early = MLPRegressor(
        early_stopping=True, n_iter_no_change=5, max_iter=300, **kw
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    n = early.n_iter_
    with pytest.warns(ConvergenceWarning):
        recorded = MLPRegressor(max_iter=n, **kw).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    with pytest.warns(ConvergenceWarning):
        plain = MLPRegressor(max_iter=n, **kw).fit(X_tr, y_tr)
    # Without early stopping, X_val does not change training at all...
    _assert_same_weights(recorded, plain)
    assert recorded.loss_curve_ == plain.loss_curve_
    assert recorded.stop_reason_ == "max_iter"
    # ...its score is only recorded, after every epoch, ending at the final weights.
    assert len(recorded.validation_scores_) == n
    assert recorded.validation_scores_[-1] == pytest.approx(
        recorded.score(X_val, y_val), rel=1e-12
    )
    assert plain.validation_scores_ is None
    # With early stopping, all of X_tr is used for training (no split: the same
    # trajectory, epoch for epoch) and X_val is what gets scored.
    assert early.loss_curve_ == recorded.loss_curve_
    assert_allclose(early.validation_scores_, recorded.validation_scores_, rtol=1e-12)
    assert early.t_ == n * len(y_tr)


def test_validation_set_with_lbfgs_raises(iris):
    X, y = iris()
    with pytest.raises(ValueError, match="solver='lbfgs' has no epochs"):
        MLPClassifier(solver="lbfgs").fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        MLPClassifier(solver="sgd").fit(X, y, X_val=X)


def test_validation_set_with_unknown_labels_raises(iris):
    X, y = iris()
    with pytest.raises(ValueError, match=r"`y_val` has classes not in .*unseen: \[2\]"):
        MLPClassifier(max_iter=2).fit(X[y < 2], y[y < 2], X_val=X, y_val=y)


# --------------------------------------------------------------- warm start, partial_fit
@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_continues_like_scikit_learn(solver, iris):
    X, y = iris()
    kw = dict(hidden_layer_sizes=(5,), activation="tanh", solver=solver, max_iter=10,
              random_state=0, shuffle=False, batch_size=len(y), learning_rate_init=0.1,
              warm_start=True)
    ours = MLPClassifier(**kw)
    ref = SkMLPClassifier(**kw)
    for _ in range(3):
        ours.fit(X, y)
        ref.fit(X, y)
        assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    if solver != "lbfgs":
        assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-6)
        assert len(ours.loss_curve_) == 30
        assert ours.t_ == ref.t_ == 30 * len(y)
    cold = MLPClassifier(**{**kw, "warm_start": False}).fit(X, y)
    assert ours.loss_ < cold.loss_


@ignore_convergence
def test_warm_start_plain_sgd_equals_one_longer_fit(iris):
    X, y = iris()
    kw = dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", momentum=0.0,
              random_state=0, shuffle=False, batch_size=len(y), learning_rate_init=0.2,
              tol=0.0, n_iter_no_change=1000)
    warm = MLPClassifier(max_iter=4, warm_start=True, **kw)
    warm.fit(X, y)
    warm.fit(X, y)
    once = MLPClassifier(max_iter=8, **kw).fit(X, y)
    # Plain SGD has no state but the weights: two times 4 epochs are 8 epochs.
    assert warm.loss_curve_ == once.loss_curve_
    for W1, W2 in zip(warm.coefs_, once.coefs_):
        assert_array_equal(W1, W2)
    assert warm.n_iter_ == 4 and once.n_iter_ == 8


def test_warm_start_rejects_a_new_architecture(iris):
    X, y = iris()
    clf = MLPClassifier((5,), solver="lbfgs", max_iter=5, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="cannot change the network's shape"):
        clf.fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_is_one_pass_like_scikit_learn(solver, iris):
    X, y = iris()
    kw = dict(hidden_layer_sizes=(5,), activation="tanh", solver=solver,
              random_state=0, shuffle=False, batch_size=50, learning_rate_init=0.1)
    ours, ref = MLPClassifier(**kw), SkMLPClassifier(**kw)
    for call in range(1, 4):
        ours.partial_fit(X, y, classes=[0, 1, 2])
        ref.partial_fit(X, y, classes=[0, 1, 2])
        assert ours.n_iter_ == 1
        assert ours.t_ == call * len(y) == ref.t_
        assert ours.stop_reason_ == "partial_fit"
        # The optimizer's state (momentum, Adam's moments) carries over between calls.
        assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    assert len(ours.loss_curve_) == 3


def test_regressor_partial_fit_is_one_pass(diabetes):
    X, y = diabetes()
    kw = dict(hidden_layer_sizes=(5,), random_state=0, shuffle=False, batch_size=40)
    ours, ref = MLPRegressor(**kw), SkMLPRegressor(**kw)
    for call in range(1, 3):
        ours.partial_fit(X, y)
        ref.partial_fit(X, y)
        assert ours.n_iter_ == 1
        assert ours.t_ == call * len(y)
        assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    assert_allclose(ours.predict(X), ref.predict(X), atol=1e-10)


def test_best_loss_is_the_lowest_of_the_whole_curve_across_calls(iris):
    """best_loss_ follows the whole loss curve through partial_fit calls, warm starts,
    a fit whose early stopping leaves it None, and an L-BFGS fit in between."""
    X, y = iris()
    clf = MLPClassifier(hidden_layer_sizes=(5,), random_state=0, learning_rate_init=0.05,
                        max_iter=5)
    steps = [
        lambda: clf.partial_fit(X[:60], y[:60], classes=[0, 1, 2]),
        lambda: clf.partial_fit(X[60:], y[60:]),
        lambda: clf.set_params(warm_start=True).fit(X, y),
        lambda: clf.partial_fit(X, y),
        lambda: clf.set_params(early_stopping=True).fit(X, y),
        lambda: clf.set_params(early_stopping=False).partial_fit(X, y),
        lambda: clf.set_params(solver="lbfgs").fit(X, y),
        lambda: clf.set_params(solver="adam").fit(X, y),
        lambda: clf.partial_fit(X, y),
        lambda: clf.set_params(warm_start=False).fit(X, y),
        lambda: clf.partial_fit(X, y),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for step in steps:
            step()
            if clf.early_stopping and clf.best_validation_score_ is not None:
                assert clf.best_loss_ is None
            elif clf.solver == "lbfgs":
                assert clf.best_loss_ is None
            else:
                assert clf.best_loss_ == min(clf.loss_curve_)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_is_unavailable_for_lbfgs(cls):
    est = cls(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        est.partial_fit
    assert "lbfgs is not stochastic" in str(info.value.__cause__)
    assert hasattr(cls(solver="sgd"), "partial_fit")


def test_classifier_partial_fit_checks_classes(iris):
    X, y = iris()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    clf = MLPClassifier(hidden_layer_sizes=(3,))
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.n_outputs_ == 3  # all announced classes have a unit
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.where(y == 2, 7, y))


# --------------------------------------------------------------- verbose, dtypes, sparse
@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_verbose_prints_one_line_per_epoch_with_the_loss(solver, capsys, iris):
    X, y = iris()
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, max_iter=7, random_state=0, verbose=True
    ).fit(X, y)
    lines = _iteration_lines(capsys)
    assert len(lines) == clf.n_iter_ == 7
    for epoch, (line, loss) in enumerate(zip(lines, clf.loss_curve_), start=1):
        assert line.startswith(f"Iteration {epoch},")
        assert f"loss = {loss:.8f}" in line


def test_verbose_reports_the_validation_score(capsys, iris):
    X, y = iris()
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), max_iter=200, early_stopping=True, n_iter_no_change=2,
        learning_rate_init=0.05, random_state=0, verbose=1,
    ).fit(X, y)
    lines = _iteration_lines(capsys)
    assert len(lines) == clf.n_iter_
    for line, score in zip(lines, clf.validation_scores_):
        assert f"validation score = {score:.6f}" in line


def test_not_verbose_prints_nothing(capsys, iris):
    X, y = iris()
    MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=300).fit(X, y)
    assert capsys.readouterr().out == ""


@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_float32_input_gives_float32_weights_and_outputs(solver, diabetes, digits):
    X, y = digits(n=200)
    X32 = X.astype(np.float32)
    kw = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=20, random_state=0)
    clf = MLPClassifier(**kw).fit(X32, y)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X32).dtype == np.float32
    # float32 carries ~7 digits; 20 iterations of the same start keep the two runs
    # within ~1e-4 of each other in probability (observed 4e-5 for L-BFGS).
    clf64 = MLPClassifier(**kw).fit(X, y)
    assert_allclose(clf.predict_proba(X32), clf64.predict_proba(X), atol=1e-3)

    Xr, yr = diabetes()
    reg = MLPRegressor(**kw).fit(Xr.astype(np.float32), yr.astype(np.float32))
    assert all(W.dtype == np.float32 for W in reg.coefs_ + reg.intercepts_)
    assert reg.predict(Xr.astype(np.float32)).dtype == np.float32
    # float64 input stays float64.
    assert clf64.coefs_[0].dtype == np.float64
    assert clf64.predict_proba(X).dtype == np.float64


@ignore_convergence
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_same_predictions_as_dense(fmt, diabetes, digits):
    X, y = digits()
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    assert X_sparse.format == fmt
    kw = dict(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20, random_state=0)
    dense = MLPClassifier(**kw).fit(X, y)
    sparse = MLPClassifier(**kw).fit(X_sparse, y)
    # Sparse products skip the zeros and sum in another order: differences of ~1e-16
    # relative, grown by 20 L-BFGS iterations to ~1e-13 (observed). 1e-8 is ample.
    assert sparse.loss_ == pytest.approx(dense.loss_, rel=1e-8)
    assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X), atol=1e-8)
    assert_allclose(dense.predict_proba(X_sparse), dense.predict_proba(X), atol=1e-12)
    assert_array_equal(sparse.predict(X_sparse), dense.predict(X))

    Xr, yr = diabetes()
    Xr_sparse = sp.csr_matrix(np.where(np.abs(Xr) < 0.5, 0.0, Xr)).asformat(fmt)
    reg_dense = MLPRegressor(**kw).fit(Xr_sparse.toarray(), yr)
    reg_sparse = MLPRegressor(**kw).fit(Xr_sparse, yr)
    assert_allclose(
        reg_sparse.predict(Xr_sparse), reg_dense.predict(Xr_sparse.toarray()), atol=1e-8
    )


def test_lbfgs_stops_on_its_function_budget_with_a_warning(iris):
    X, y = iris()
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_fun=7, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_fun=7"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "max_fun"
    # Each L-BFGS iteration costs at least one evaluation, so 7 evaluations allow
    # fewer than 7 iterations.
    assert clf.n_iter_ < 7
    unbounded = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
    with pytest.warns(ConvergenceWarning):
        unbounded.set_params(max_iter=50).fit(X, y)
    assert unbounded.loss_ < clf.loss_


def test_lbfgs_stops_on_its_iteration_budget_with_a_warning(iris):
    X, y = iris()
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "max_iter"
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predictions_do_not_depend_on_the_input_container(dtype, iris):
    # A float ndarray takes a short validation path; lists, Fortran-ordered arrays and
    # integers go through scikit-learn's. All must agree exactly.
    X, y = iris()
    X = X.astype(dtype)
    clf = MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50,
                        random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    expected = clf.predict_proba(X)
    # A list is read as float64, like a float64 array.
    assert_array_equal(clf.predict_proba(X.tolist()), clf.predict_proba(X.astype(np.float64)))
    assert_array_equal(clf.predict_proba(np.asfortranarray(X)), expected)
    assert_array_equal(clf.predict(X[:1]), clf.predict(X)[:1])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict(np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("label", [7, "a"])
def test_a_single_class_is_fitted_as_scikit_learns_mlp_fits_it(solver, label):
    """scikit-learn's MLPClassifier fits one class: a logistic unit trained toward 0
    (LabelBinarizer's column for one class), predict gives the class, and
    predict_proba has two columns (1 - p, p) though classes_ has one. With the same
    seed the initial weights are the same, so the outputs are the same numbers."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    y = np.full(4, label, dtype=object if label == "a" else int)
    params = dict(hidden_layer_sizes=(3,), solver=solver, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(X, y)
        theirs = SkMLPClassifier(**params).fit(X, y)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_array_equal(ours.predict(X), y)
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape == (4, 2)
    # The same float64 operations, though not always in the same order (L-BFGS's
    # objective sums per layer differently): a few ulps of the probabilities.
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-9)
    assert ours.score(X, y) == 1.0


def test_partial_fit_on_a_single_class_as_scikit_learns_mlp():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    ours = MLPClassifier(hidden_layer_sizes=(3,), random_state=0)
    theirs = SkMLPClassifier(hidden_layer_sizes=(3,), random_state=0)
    for est in (ours, theirs):
        est.partial_fit(X, [1, 1, 1, 1], classes=[1])
        est.partial_fit(X, [1, 1, 1, 1])
    assert_array_equal(ours.predict(X), [1, 1, 1, 1])
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    # A label outside the one class is refused by both.
    for est in (ours, theirs):
        with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
            est.partial_fit(X, [0, 1, 1, 1])


def test_early_stopping_on_a_single_class_holds_out_a_stratified_split():
    X = np.random.RandomState(0).normal(size=(20, 2))
    clf = MLPClassifier((3,), early_stopping=True, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, np.full(20, "only"))
    assert clf.validation_scores_ == [1.0, 1.0, 1.0]
    assert_array_equal(clf.predict(X), np.full(20, "only"))


@ignore_convergence
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_biases_before_batch_normalization_stay_where_they_start(dtype):
    # Batch normalization subtracts the batch mean and the bias of the layer before it
    # with it: that bias's gradient is 0, and Adam turned its rounding noise into steps
    # of the full rate (float32, rate 0.1: biases moved to 0.28, predictions of a fit
    # with sample_weight=ones differed by 0.031). Now the bias keeps its start, and
    # equal sample weights train as no weights, to float32 rounding.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)).astype(dtype)
    y = X @ np.array([1.0, -2.0, 0.5])
    params = dict(hidden_layer_sizes=(4, 3), batch_norm=True, solver="adam",
                  learning_rate_init=0.1, batch_size=10, max_iter=30, random_state=0,
                  alpha=0.0, weight_init="glorot_normal")
    plain = MLPRegressor(**params).fit(X, y)
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=np.full(40, 3.0))
    for b in plain.intercepts_[:-1]:
        assert_array_equal(b, 0.0)  # glorot_normal starts biases at 0
    assert not np.all(plain.intercepts_[-1] == 0)  # the output layer's bias trains
    assert_array_equal(weighted.predict(X), plain.predict(X))
