"""decision_function: every classifier's scores, and the scikit-learn tools that read them.

The scores are the output layer's net input Z_L: the raw scores of the perceptron and
hinge losses, the logits of the log-loss. Classifiers without ``predict_proba`` (the
hinge, the perceptron) reach ``roc_auc_score``, ``RocCurveDisplay``,
``CalibratedClassifierCV`` and ``TunedThresholdClassifierCV`` through them. That they
equal the ONNX graph's score output is checked in test_onnx.py; scikit-learn's own
checks of decision_function (its shape, its agreement with predict and, where there
are probabilities, with their ranking) run in test_common.py.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.metrics import get_scorer, log_loss, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, PerceptronClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MLP = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=60, random_state=0)
CLASSIFIERS = {
    "mlp-log-loss": MLPClassifier(**MLP),
    "mlp-hinge": MLPClassifier(loss="hinge", **MLP),
    "mlp-hinge-lbfgs": MLPClassifier(loss="hinge", solver="lbfgs", **MLP),
    "perceptron": PerceptronClassifier(max_iter=20, random_state=0),
    "perceptron-hinge": PerceptronClassifier(loss="hinge", max_iter=20, random_state=0),
    "logistic-neuron": PerceptronClassifier(activation="logistic", loss="log_loss",
                                            eta0=0.05, max_iter=20, random_state=0),
}
# The classifiers without predict_proba, which the scikit-learn tools below need the
# scores of.
WITHOUT_PROBABILITIES = {name: CLASSIFIERS[name]
                         for name in ("mlp-hinge", "mlp-hinge-lbfgs", "perceptron")}


def _data(n_classes=2, n_samples=200, seed=0):
    X, y = make_classification(n_samples, 6, n_informative=4, n_classes=n_classes,
                               n_clusters_per_class=1, flip_y=0.05, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _new(estimator):
    return estimator.__class__(**estimator.get_params())


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_has_scikit_learns_shape_and_decides_as_predict(name, n_classes):
    X, y = _data(n_classes)
    clf = _new(CLASSIFIERS[name]).fit(X, y)
    scores = clf.decision_function(X)
    if n_classes == 2:
        assert scores.shape == (X.shape[0],)
        assert_array_equal(clf.classes_[(scores > 0).astype(int)], clf.predict(X))
    else:
        assert scores.shape == (X.shape[0], n_classes)
        assert_array_equal(clf.classes_[np.argmax(scores, axis=1)], clf.predict(X))
    # The output layer's net input, whatever the output activation applies after it.
    Z = clf._output(X, apply_output=False)
    assert_array_equal(scores, Z.ravel() if n_classes == 2 else Z)


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_multilabel_scores_have_one_column_per_label(loss):
    X, Y = make_multilabel_classification(120, 6, n_classes=3, random_state=0)
    clf = MLPClassifier(loss=loss, **MLP).fit(X, Y)
    scores = clf.decision_function(X)
    assert scores.shape == Y.shape
    assert_array_equal((scores > 0).astype(int), clf.predict(X))
    if loss == "log_loss":
        assert_allclose(expit(scores), clf.predict_proba(X), rtol=1e-12)


def test_log_loss_scores_are_the_logits_of_predict_proba():
    """scikit-learn's LogisticRegression convention: positive means classes_[1], and the
    logistic function (softmax for more classes) of the scores is predict_proba."""
    X, y = _data(2)
    binary = MLPClassifier(**MLP).fit(X, y)
    assert_allclose(expit(binary.decision_function(X)), binary.predict_proba(X)[:, 1],
                    rtol=1e-12)
    X, y = _data(3)
    multiclass = MLPClassifier(**MLP).fit(X, y)
    assert_allclose(softmax(multiclass.decision_function(X), axis=1),
                    multiclass.predict_proba(X), rtol=1e-12)


def test_decision_function_is_shared_by_every_classifier():
    """One method, documented once, in the classifier base (the perceptron keeps its
    own, which says what its units compute)."""
    method = MLPClassifier.decision_function
    assert "Returns" in method.__doc__ and "classes_[1]" in method.__doc__
    assert hasattr(MLPClassifier(loss="hinge"), "decision_function")


def _auc_by_hand(y, scores):
    """The probability that a positive sample scores above a negative one (ties half)."""
    difference = scores[y == 1][:, None] - scores[y == 0][None, :]
    return ((difference > 0).sum() + 0.5 * (difference == 0).sum()) / difference.size


@pytest.mark.parametrize("name", sorted(WITHOUT_PROBABILITIES))
def test_roc_auc_reads_the_scores(name):
    X, y = _data()
    clf = _new(CLASSIFIERS[name]).fit(X, y)
    assert not hasattr(clf, "predict_proba")
    scores = clf.decision_function(X)
    expected = _auc_by_hand(y, scores)
    assert 0.8 < expected < 1  # scores that rank, not a perfect or constant split
    assert roc_auc_score(y, scores) == pytest.approx(expected, rel=1e-12)
    # The "roc_auc" scorer finds decision_function by itself.
    assert get_scorer("roc_auc")(clf, X, y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(WITHOUT_PROBABILITIES))
def test_roc_curve_display_from_estimator(name):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import RocCurveDisplay

    X, y = _data()
    clf = _new(CLASSIFIERS[name]).fit(X, y)
    try:
        display = RocCurveDisplay.from_estimator(clf, X, y)
        assert display.roc_auc == pytest.approx(_auc_by_hand(y, clf.decision_function(X)),
                                                rel=1e-12)
        assert len(display.line_.get_xdata()) > 2
    finally:
        plt.close("all")


@pytest.mark.parametrize("name", sorted(WITHOUT_PROBABILITIES))
def test_calibrated_classifier_gives_probabilities_from_the_scores(name):
    X, y = _data(n_samples=400)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5,
                                                        random_state=0, stratify=y)
    calibrated = CalibratedClassifierCV(_new(CLASSIFIERS[name]), method="sigmoid", cv=3)
    proba = calibrated.fit(X_train, y_train).predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    constant = np.tile([1 - y_train.mean(), y_train.mean()], (X_test.shape[0], 1))
    assert log_loss(y_test, proba) < 0.5 * log_loss(y_test, constant)


@pytest.mark.parametrize("name", sorted(WITHOUT_PROBABILITIES))
def test_tuned_threshold_classifier_moves_the_threshold_on_the_scores(name):
    X, y = _data(n_samples=300)
    tuned = TunedThresholdClassifierCV(_new(CLASSIFIERS[name]), scoring="balanced_accuracy",
                                       cv=3, random_state=0).fit(X, y)
    assert np.isfinite(tuned.best_threshold_)
    predicted = tuned.predict(X)
    assert set(predicted) <= set(tuned.classes_)
    # The threshold is on the scale of decision_function: the refitted classifier's
    # scores above it are the positive class.
    scores = tuned.estimator_.decision_function(X)
    assert_array_equal(predicted, tuned.classes_[(scores >= tuned.best_threshold_)
                                                 .astype(int)])
    assert tuned.score(X, y) > 0.8
