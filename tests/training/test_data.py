"""The data of a fit: the hold-out of early stopping, split as scikit-learn splits it.

What a later partial_fit skips (seeding, buffers, label checks) is in
utils/test_speed.py.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, PerceptronClassifier
from skperceptron._training.data import validation_split


# ------------------------------------------------------- the early-stopping hold-out
@pytest.mark.parametrize("seed", range(5))
def test_validation_split_is_stratified_for_classifiers(seed):
    # 90 samples of class 0 and 10 of class 1: a validation set of 10 holds 9 and 1
    # exactly (a random one would hold no sample of class 1 in ~1/3 of the draws).
    y = np.repeat([0, 1], [90, 10])
    idx_train, idx_val = validation_split(y, 100, 0.1, np.random.RandomState(seed), True)
    assert_array_equal(np.bincount(y[idx_val]), [9, 1])
    assert_array_equal(np.bincount(y[idx_train]), [81, 9])
    assert_array_equal(np.sort(np.r_[idx_train, idx_val]), np.arange(100))


def _first_error(est, X, y):
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    return str(info.value)


@pytest.mark.parametrize(
    "counts",
    [
        [10, 9, 1],  # a class with a single member cannot be stratified
        [1, 1, 1],  # several: all are listed
        [7, 7, 6],  # ceil(0.1 * 20) = 2 validation samples for 3 classes
        [2] * 18,  # ceil(0.1 * 36) = 4 validation samples for 18 classes
    ],
)
def test_early_stopping_split_of_classes_fails_as_scikit_learns_perceptron(counts):
    """scikit-learn's linear classifiers (Perceptron here) refuse these splits with the
    errors of their stratified splitter rather than split at random; so does ours.
    scikit-learn's MLPClassifier stratifies only a single output unit, and fits them
    on a random split; so does ours."""
    from sklearn.linear_model import Perceptron
    from sklearn.neural_network import MLPClassifier as SkMLP

    y = np.repeat(np.arange(len(counts)), counts)
    X = np.random.RandomState(0).normal(size=(len(y), 2))
    expected = _first_error(Perceptron(early_stopping=True, validation_fraction=0.1), X, y)
    ours = PerceptronClassifier(early_stopping=True, validation_fraction=0.1)
    assert _first_error(ours, X, y) == expected
    for cls in (MLPClassifier, SkMLP) if len(y) >= 20 else ():  # 3 samples: too few
        with pytest.warns(ConvergenceWarning):
            cls(early_stopping=True, max_iter=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, PerceptronClassifier])
def test_early_stopping_split_of_two_classes_fails_as_scikit_learns_mlp(cls):
    """For two classes scikit-learn's MLPClassifier stratifies too, and its error lists
    the class as encoded ('True'); ours names the label itself."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    y = np.repeat(["no", "yes"], [19, 1])
    X = np.random.RandomState(0).normal(size=(20, 2))
    expected = _first_error(SkMLP(early_stopping=True), X, y)
    message = _first_error(cls(early_stopping=True), X, y)
    head = "Classes with too few members are: "
    assert expected.endswith(head + "['True']")
    assert message == expected.replace("['True']", "['yes']")

