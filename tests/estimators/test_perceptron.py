"""Behaviour of the single-layer networks: PerceptronClassifier and PerceptronRegressor.

The oracles are the classic results (linearly separable truth tables are learned, XOR is
not), hand-written Rosenblatt updates, and least squares for the linear neuron.
"""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from skperceptron import PerceptronClassifier, PerceptronRegressor

# Runs that stop on their epoch budget on purpose raise ConvergenceWarning.
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

TRUTH_TABLE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "NAND": np.array([1, 1, 1, 0]),
}
XOR = np.array([0, 1, 1, 0])


def rosenblatt(X, y, classes, eta, n_epochs):
    """Rosenblatt's rule, one sample at a time in the given order, from zero weights.

    One threshold unit per class (a single unit for two classes, positive for
    classes[1]). A unit updates on a mistake, s * z <= 0 with s = +1 for its class and
    -1 otherwise: w += eta * s * x, b += eta * s. Returns (W, b, n_epochs_run); stops
    early after the first epoch without any mistake.
    """
    classes = list(classes)
    n_units = 1 if len(classes) == 2 else len(classes)
    W = np.zeros((X.shape[1], n_units))
    b = np.zeros(n_units)
    for epoch in range(1, n_epochs + 1):
        mistakes = 0
        for x, label in zip(X, y):
            if n_units == 1:
                s = np.array([1.0 if label == classes[1] else -1.0])
            else:
                s = np.where(np.array(classes) == label, 1.0, -1.0)
            z = x @ W + b
            wrong = s * z <= 0
            mistakes += int(wrong.any())
            W += eta * np.outer(x, s * wrong)
            b += eta * s * wrong
        if mistakes == 0:
            return W, b, epoch
    return W, b, n_epochs


def separable_blobs(n_per_class=10, n_classes=2, seed=0):
    """Well-separated clusters with non-integer coordinates."""
    rng = np.random.RandomState(seed)
    centers = np.array([[3.0, 0.0], [-3.0, 0.5], [0.0, 3.5]])[:n_classes]
    X = np.vstack([c + 0.4 * rng.randn(n_per_class, 2) for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


# --------------------------------------------------------------- the classic lessons
@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("seed", [0, 1, 2, 7, 42])
def test_perceptron_learns_linearly_separable_gates_exactly(gate, seed):
    y = GATES[gate]
    clf = PerceptronClassifier(tol=None, random_state=seed).fit(TRUTH_TABLE, y)
    assert_array_equal(clf.predict(TRUTH_TABLE), y)
    assert clf.score(TRUTH_TABLE, y) == 1.0
    # tol=None leaves only the fixed point: an epoch without a single mistake.
    assert clf.stop_reason_ == "converged"
    assert clf.n_iter_ < clf.max_iter


def _one_more_epoch_moves_nothing(clf, X, y):
    """The oracle of a fixed point: one more pass of the rule changes no weight."""
    again = copy.deepcopy(clf).partial_fit(X, y)
    return all(np.array_equal(a, b) for a, b in
               zip(again.coefs_ + again.intercepts_, clf.coefs_ + clf.intercepts_))


@pytest.mark.parametrize("gate", ["AND", "NAND"])
def test_default_perceptron_reports_converged_exactly_when_it_ends_at_a_fixed_point(gate):
    # With tol the plateau rule may end training after an epoch that made the last
    # mistake: the weights it leaves classify every sample with a margin, and another
    # epoch would change nothing. That is convergence, and must be reported so.
    y = GATES[gate]
    reasons = set()
    for seed in range(20):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            clf = PerceptronClassifier(random_state=seed).fit(TRUTH_TABLE, y)
        converged = clf.stop_reason_ == "converged"
        assert converged == _one_more_epoch_moves_nothing(clf, TRUTH_TABLE, y), seed
        if converged:
            assert clf.score(TRUTH_TABLE, y) == 1.0
        else:
            assert clf.stop_reason_ == "training_loss_plateau"
        reasons.add((clf.stop_reason_, clf.loss_curve_[-1] > 0))
    # Both outcomes occur, and some fits converged on an epoch that still made a
    # mistake (its loss > 0): only the check of the final weights can see those.
    assert ("converged", True) in reasons
    assert any(reason == "training_loss_plateau" for reason, _ in reasons)


@pytest.mark.parametrize("params", [{}, {"average": True}, {"batch_size": 2}])
def test_epoch_budget_spent_on_the_last_mistake_reports_converged(params):
    # Where the fixed-point epoch would be epoch n, a budget of n - 1 epochs ends on
    # the same weights: no ConvergenceWarning, since training did converge.
    for seed in range(5):
        free = PerceptronClassifier(tol=None, random_state=seed, **params).fit(
            TRUTH_TABLE, GATES["AND"])
        assert free.stop_reason_ == "converged" and free.n_iter_ >= 2
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            capped = PerceptronClassifier(tol=None, max_iter=free.n_iter_ - 1,
                                          random_state=seed, **params).fit(
                TRUTH_TABLE, GATES["AND"])
        assert capped.stop_reason_ == "converged"
        assert capped.n_iter_ == free.n_iter_ - 1
        if not params.get("average"):  # an average moves on after the weights stop
            assert_array_equal(capped.coef_, free.coef_)
            assert_array_equal(capped.intercept_, free.intercept_)


def test_penalised_perceptron_never_reports_a_fixed_point_away_from_zero():
    # The L2 term moves nonzero weights at every step: no fixed point but W = 0.
    with pytest.warns(ConvergenceWarning, match="Maximum number of iteration reached before convergence"):
        clf = PerceptronClassifier(penalty="l2", alpha=1e-3, tol=None, max_iter=30,
                                   random_state=0).fit(TRUTH_TABLE, GATES["AND"])
    assert clf.stop_reason_ == "max_iter"
    assert clf.score(TRUTH_TABLE, GATES["AND"]) == 1.0


@ignore_convergence
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"batch_size": "full"},
        {"loss": "hinge"},
        {"activation": "logistic", "loss": "log_loss", "eta0": 0.5},
    ],
)
def test_perceptron_cannot_learn_xor(params):
    for seed in range(8):
        clf = PerceptronClassifier(
            tol=None, max_iter=40, random_state=seed, **params
        ).fit(TRUTH_TABLE, XOR)
        n_right = int((clf.predict(TRUTH_TABLE) == XOR).sum())
        assert n_right <= 3, (seed, n_right)
        if params.get("batch_size", 1) == 1:
            # The online rule never gets through an epoch without a mistake on XOR.
            # (The batch rule can stop at a point where the updates of the four
            # samples cancel, e.g. at zero weights, without learning XOR either.)
            assert clf.stop_reason_ != "converged"
        # The geometric reason: z is affine, so z(0,1) + z(1,0) = z(0,0) + z(1,1)
        # (both equal w1 + w2 + 2b). XOR would need the left side > 0 and the right
        # side <= 0 at once.
        z = clf.decision_function(TRUTH_TABLE)
        assert z[1] + z[2] == pytest.approx(z[0] + z[3], abs=1e-9)


def test_perceptron_xor_keeps_making_mistakes_until_max_iter():
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf = PerceptronClassifier(tol=None, max_iter=25, random_state=0).fit(
            TRUTH_TABLE, XOR
        )
    assert clf.stop_reason_ == "max_iter"
    assert clf.n_iter_ == 25
    assert clf.score(TRUTH_TABLE, XOR) <= 0.75


@pytest.mark.parametrize("eta0", [1.0, 0.5])
def test_perceptron_loss_threshold_stops_before_max_iter(eta0):
    y = GATES["AND"]
    threshold = 0.1
    clf = PerceptronClassifier(
        activation="logistic",
        loss="log_loss",
        eta0=eta0,
        tol=None,
        loss_threshold=threshold,
        max_iter=5000,
        random_state=0,
    ).fit(TRUTH_TABLE, y)
    assert clf.stop_reason_ == "loss_threshold"
    assert clf.n_iter_ < clf.max_iter
    assert clf.loss_ <= threshold
    assert clf.loss_ == clf.loss_curve_[-1]
    # It stopped at the first epoch that reached the threshold, not later.
    assert all(loss > threshold for loss in clf.loss_curve_[:-1])
    assert len(clf.loss_curve_) == clf.n_iter_


@pytest.mark.parametrize("gate", sorted(GATES))
def test_perceptron_zero_loss_threshold_means_no_training_mistakes(gate):
    # The perceptron criterion is 0 for a sample exactly on the boundary (z = 0),
    # yet the rule counts it as a mistake and updates. An epoch of such samples has a
    # mean loss of 0 without being error-free; a threshold of 0 must not stop there.
    y = GATES[gate]
    clf = PerceptronClassifier(tol=None, loss_threshold=0.0, random_state=0).fit(
        TRUTH_TABLE, y
    )
    assert_array_equal(clf.predict(TRUTH_TABLE), y)


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("batch_size", [1, 8, "full"])
def test_linear_neuron_recovers_least_squares_weights(n_outputs, batch_size):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    W_true = rng.normal(size=(4, n_outputs))
    y = X @ W_true + np.array([0.5, -1.0])[:n_outputs]
    if n_outputs == 1:
        y = y.ravel()
    reg = PerceptronRegressor(
        eta0=0.3 if batch_size == "full" else 0.05,
        batch_size=batch_size,
        tol=None,
        loss_threshold=1e-16,
        max_iter=5000,
        random_state=0,
    ).fit(X, y)
    assert reg.stop_reason_ == "loss_threshold"
    assert reg.loss_ <= 1e-16

    design = np.column_stack([X, np.ones(len(X))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0].reshape(5, n_outputs)
    # A mean half-squared residual of 1e-16 means residuals of ~1e-8; the design is
    # well conditioned (Gaussian columns), so the weights are within ~1e-8 of the
    # least-squares ones. 1e-6 leaves ample room.
    assert reg.coef_.shape == (n_outputs, 4)
    assert_allclose(reg.coef_, solution[:-1].T, atol=1e-6)
    assert_allclose(reg.intercept_, solution[-1], atol=1e-6)
    assert reg.predict(X).shape == y.shape


def test_linear_neuron_online_update_is_the_delta_rule():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(7, 3))
    y = rng.normal(size=7)
    eta = 0.1
    w, b = np.zeros(3), 0.0
    for x, target in zip(X, y):  # w += eta * (y - z) * x, one sample at a time
        err = target - (x @ w + b)
        w += eta * err * x
        b += eta * err
    reg = PerceptronRegressor(eta0=eta, shuffle=False).partial_fit(X, y)
    assert_allclose(reg.coef_.ravel(), w, rtol=1e-12)
    assert_allclose(reg.intercept_, [b], rtol=1e-12)


# --------------------------------------------------------------- Rosenblatt's rule
@ignore_convergence
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("n_epochs", [1, 3])
def test_online_rule_equals_hand_written_rosenblatt_loop(n_classes, n_epochs):
    X, y = separable_blobs(n_per_class=6, n_classes=n_classes, seed=1)
    eta = 0.5
    W, b, _ = rosenblatt(X, y, np.unique(y), eta, n_epochs)
    clf = PerceptronClassifier(
        eta0=eta, shuffle=False, tol=None, max_iter=n_epochs
    ).fit(X, y)
    # Same updates in the same order: exactly the same arithmetic.
    assert_array_equal(clf.coefs_[0], W)
    assert_array_equal(clf.intercepts_[0], b)
    assert_array_equal(clf.coef_, W.T)


def test_online_rule_converges_in_the_same_epoch_as_the_hand_loop():
    X, y = separable_blobs(n_per_class=8, n_classes=3, seed=4)
    W, b, n_epochs = rosenblatt(X, y, np.unique(y), 1.0, 1000)
    clf = PerceptronClassifier(shuffle=False, tol=None).fit(X, y)
    assert clf.stop_reason_ == "converged"
    assert clf.n_iter_ == n_epochs
    assert_array_equal(clf.coef_, W.T)
    assert_array_equal(clf.intercept_, b)
    assert clf.score(X, y) == 1.0


def test_partial_fit_is_one_epoch_of_the_rule():
    X, y = separable_blobs(n_per_class=6, seed=2)
    W, b, _ = rosenblatt(X, y, [0, 1], 1.0, 1)
    clf = PerceptronClassifier(shuffle=False).partial_fit(X, y, classes=[0, 1])
    assert_array_equal(clf.coefs_[0], W)
    assert_array_equal(clf.intercepts_[0], b)
    assert clf.n_iter_ == 1
    assert clf.t_ == X.shape[0]
    assert clf.stop_reason_ == "partial_fit"


# --------------------------------------------------------------- shapes and outputs
def test_binary_uses_one_unit_and_multiclass_one_unit_per_class():
    X2, y2 = separable_blobs(n_classes=2)
    X3, y3 = separable_blobs(n_classes=3)
    binary = PerceptronClassifier(random_state=0).fit(X2, y2)
    multi = PerceptronClassifier(random_state=0).fit(X3, y3)
    assert binary.coef_.shape == (1, 2)
    assert binary.intercept_.shape == (1,)
    assert binary.n_outputs_ == 1
    assert multi.coef_.shape == (3, 2)
    assert multi.intercept_.shape == (3,)
    assert multi.n_outputs_ == 3
    assert binary.decision_function(X2).shape == (len(y2),)
    assert multi.decision_function(X3).shape == (len(y3), 3)
    assert binary.out_activation_ == multi.out_activation_ == "step"


@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_is_the_net_input_and_gives_predict(n_classes):
    X, y = separable_blobs(n_classes=n_classes, seed=5)
    rng = np.random.RandomState(0)
    X_test = rng.uniform(-5, 5, size=(50, 2))
    clf = PerceptronClassifier(random_state=0).fit(X, y)
    z = clf.decision_function(X_test)
    assert_allclose(z, (X_test @ clf.coef_.T + clf.intercept_).squeeze(), rtol=1e-12)
    if n_classes == 2:
        expected = clf.classes_[(z > 0).astype(int)]
    else:
        expected = clf.classes_[np.argmax(z, axis=1)]
    assert_array_equal(clf.predict(X_test), expected)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_neuron_has_predict_proba(n_classes):
    X, y = separable_blobs(n_classes=n_classes, seed=6)
    clf = PerceptronClassifier(
        activation="logistic", loss="log_loss", eta0=0.1, random_state=0
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_array_equal(clf.classes_[np.argmax(proba, axis=1)], clf.predict(X))
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert clf.out_activation_ == ("logistic" if n_classes == 2 else "softmax")
    # The net input is the logit: its logistic is the probability of classes_[1].
    if n_classes == 2:
        z = clf.decision_function(X)
        assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)


@pytest.mark.parametrize("loss", ["perceptron", "hinge"])
def test_step_perceptron_has_no_predict_proba(loss):
    X, y = separable_blobs()
    clf = PerceptronClassifier(loss=loss, random_state=0).fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    with pytest.raises(AttributeError):
        clf.predict_proba(X)


@pytest.mark.parametrize(
    "activation, loss",
    [("step", "log_loss"), ("logistic", "perceptron"), ("logistic", "hinge")],
)
def test_invalid_activation_loss_combination_raises(activation, loss):
    X, y = separable_blobs()
    clf = PerceptronClassifier(activation=activation, loss=loss)
    with pytest.raises(ValueError, match=rf"loss='{loss}' does not go with activation"):
        clf.fit(X, y)


def test_fit_intercept_false_keeps_intercept_at_zero():
    X, y = separable_blobs(n_classes=3, seed=3)
    clf = PerceptronClassifier(fit_intercept=False, random_state=0).fit(X, y)
    assert_array_equal(clf.intercept_, np.zeros(3))
    assert np.any(clf.coef_ != 0)
    assert_allclose(clf.decision_function(X), X @ clf.coef_.T, rtol=1e-12)
    reg = PerceptronRegressor(fit_intercept=False, random_state=0).fit(X, X[:, 0] + 3)
    assert_array_equal(reg.intercept_, [0.0])


@ignore_convergence
def test_full_batch_training_does_not_depend_on_shuffle():
    rng = np.random.RandomState(0)
    # Integer features and 32 samples (the mean gradient divides by a power of two)
    # keep every update exact, so the summation order cannot matter.
    X = rng.randint(-3, 4, size=(32, 3)).astype(float)
    y = (X @ [1.0, -2.0, 0.5] + rng.randint(-2, 3, size=32) > 0).astype(int)
    fits = [
        PerceptronClassifier(
            batch_size="full", shuffle=shuffle, random_state=seed, tol=None, max_iter=15
        ).fit(X, y)
        for shuffle, seed in [(False, 0), (True, 0), (True, 123)]
    ]
    for clf in fits[1:]:
        assert_array_equal(clf.coef_, fits[0].coef_)
        assert_array_equal(clf.intercept_, fits[0].intercept_)
        assert clf.loss_curve_ == fits[0].loss_curve_
    # ...whereas the online rule depends on the order (sanity check of the data).
    online = [
        PerceptronClassifier(shuffle=True, random_state=s, tol=None, max_iter=15)
        .fit(X, y)
        .coef_
        for s in (0, 123)
    ]
    assert not np.array_equal(*online)


def test_class_weight_moves_predictions_toward_the_heavier_class():
    rng = np.random.RandomState(0)
    # Overlapping, imbalanced 1-d classes: 60 of class 0 around -1, 15 of class 1 at +1.
    X = np.concatenate([rng.normal(-1, 1.2, 60), rng.normal(1, 1.2, 15)])[:, None]
    y = np.repeat([0, 1], [60, 15])
    params = dict(
        activation="logistic", loss="log_loss", batch_size="full", eta0=0.5,
        tol=None, max_iter=300,
    )
    with pytest.warns(ConvergenceWarning):
        plain = PerceptronClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        heavy = PerceptronClassifier(class_weight={0: 1, 1: 8}, **params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        balanced = PerceptronClassifier(class_weight="balanced", **params).fit(X, y)
    grid = np.linspace(-4, 4, 81)[:, None]
    n_plain = int(plain.predict(grid).sum())
    assert n_plain < int(balanced.predict(grid).sum()) < int(heavy.predict(grid).sum())
    # Probabilities of class 1 rise everywhere with its weight.
    assert np.all(heavy.predict_proba(grid)[:, 1] > plain.predict_proba(grid)[:, 1])


@ignore_convergence
def test_class_weight_equals_the_same_sample_weight():
    X, y = separable_blobs(n_per_class=8, n_classes=3, seed=7)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    params = dict(shuffle=False, tol=None, max_iter=4, eta0=0.7)
    by_class = PerceptronClassifier(class_weight=class_weight, **params).fit(X, y)
    sw = np.array([class_weight[label] for label in y])
    by_sample = PerceptronClassifier(**params).fit(X, y, sample_weight=sw)
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-12)
    assert_allclose(by_class.intercept_, by_sample.intercept_, rtol=1e-12)


@ignore_convergence
def test_warm_start_continues_from_the_previous_weights():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] + 0.8 * rng.normal(size=20) > 0).astype(int)  # not separable
    params = dict(shuffle=False, tol=None, eta0=0.3)
    W4, b4, _ = rosenblatt(X, y, [0, 1], 0.3, 4)

    clf = PerceptronClassifier(max_iter=2, warm_start=True, **params).fit(X, y)
    clf.fit(X, y)
    assert_allclose(clf.coefs_[0], W4, rtol=1e-12)
    assert_allclose(clf.intercepts_[0], b4, rtol=1e-12)
    assert clf.n_iter_ == 2  # epochs of the last call
    assert clf.t_ == 4 * len(y)
    assert len(clf.loss_curve_) == 4

    cold = PerceptronClassifier(max_iter=2, warm_start=False, **params).fit(X, y)
    cold.fit(X, y)
    W2, b2, _ = rosenblatt(X, y, [0, 1], 0.3, 2)
    assert_allclose(cold.coefs_[0], W2, rtol=1e-12)
    assert_allclose(cold.intercepts_[0], b2, rtol=1e-12)


def test_partial_fit_does_one_epoch_per_call():
    X, y = separable_blobs(n_per_class=10, n_classes=3, seed=8)
    clf = PerceptronClassifier(random_state=0)
    for call in range(1, 4):
        clf.partial_fit(X, y, classes=[0, 1, 2])
        assert clf.n_iter_ == 1
        assert clf.t_ == call * len(y)
        assert len(clf.loss_curve_) == call
        assert clf.stop_reason_ == "partial_fit"
    assert_array_equal(clf.classes_, [0, 1, 2])

    # A batch that holds only some classes is fine once the classes are known.
    clf.partial_fit(X[y == 2], y[y == 2])
    assert clf.t_ == 3 * len(y) + int((y == 2).sum())


def test_partial_fit_accumulates_like_an_online_pass():
    X, y = separable_blobs(n_per_class=6, seed=9)
    W, b, _ = rosenblatt(X, y, [0, 1], 1.0, 1)
    clf = PerceptronClassifier(shuffle=False)
    clf.partial_fit(X[:5], y[:5], classes=[0, 1])
    clf.partial_fit(X[5:], y[5:])
    assert_array_equal(clf.coefs_[0], W)
    assert_array_equal(clf.intercepts_[0], b)


def test_partial_fit_requires_classes_on_first_call():
    X, y = separable_blobs()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        PerceptronClassifier().partial_fit(X, y)


def test_partial_fit_rejects_unseen_labels():
    X, y = separable_blobs()
    clf = PerceptronClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        clf.partial_fit(X[:3], np.array([0, 1, 5]))
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    # The first call also checks y against the classes it was given.
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        PerceptronClassifier().partial_fit(X[:3], np.array([0, 1, 5]), classes=[0, 1])


@ignore_convergence
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog"]),
        np.array(["setosa", "versicolor", "virginica"], dtype=object),
        np.array([False, True]),
        np.array([-1, 1]),
        np.array([3, 7, 11]),
    ],
    ids=["str", "object", "bool", "signed", "int3"],
)
@pytest.mark.parametrize(
    "activation, loss", [("step", "perceptron"), ("logistic", "log_loss")]
)
def test_labels_round_trip_through_predict(labels, activation, loss):
    X, y_idx = separable_blobs(n_per_class=8, n_classes=len(labels), seed=10)
    y = labels[y_idx]
    clf = PerceptronClassifier(
        activation=activation, loss=loss, tol=None, max_iter=200, random_state=0
    ).fit(X, y)
    pred = clf.predict(X)
    assert_array_equal(clf.classes_, np.sort(labels))
    assert pred.dtype == clf.classes_.dtype
    assert_array_equal(pred, y)  # the blobs are separable: every label comes back


def test_regressor_is_a_linear_unit_with_identity_output():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(25, 3))
    y = rng.normal(size=(25, 2))
    reg = PerceptronRegressor(random_state=0, max_iter=20).fit(X, y)
    assert reg.out_activation_ == "identity"
    assert reg.coef_.shape == (2, 3)
    assert_allclose(reg.predict(X), X @ reg.coef_.T + reg.intercept_, rtol=1e-12)


@pytest.mark.parametrize(
    "fit",
    [
        lambda est, X, y: est.fit(X, y),
        lambda est, X, y: est.fit(X, y.astype(str)),
        lambda est, X, y: est.fit(X, y.reshape(-1, 1)),
        lambda est, X, y: est.partial_fit(X, y, classes=[1]),
    ],
    ids=["fit", "string-labels", "column", "partial_fit"],
)
def test_perceptron_refuses_a_single_class_as_scikit_learns_perceptron(fit):
    from sklearn.linear_model import Perceptron

    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    y = np.ones(3, dtype=int)
    messages = []
    for est in (Perceptron(), PerceptronClassifier()):
        with pytest.raises(ValueError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore", DataConversionWarning)  # the column y
            fit(est, X, y)
        messages.append(str(info.value))
    assert messages[1] == messages[0] == (
        "The number of classes has to be greater than one; got 1 class"
    )
    # Two classes declared, one seen: both fit, and predict the one seen.
    for est in (Perceptron(), PerceptronClassifier()):
        assert_array_equal(est.partial_fit(X, y, classes=[0, 1]).predict(X), y)
