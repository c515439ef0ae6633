"""Targets as the network sees them: labels to {0, 1} columns and back, values to columns.

A classifier's network has one output unit per class (one in total for two classes,
one per label for multilabel targets) and is trained on {0, 1} columns: ``fit_labels``
learns the label set, ``encode_labels`` builds the columns, ``decode_labels`` turns the
network's outputs back into labels. A regressor's targets are real columns, one per
output (``encode_values``).
"""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._utils.compat import attach_unique
from ._engine.activations import get_activation

_STEP = get_activation("step")  # the threshold unit of the perceptron


def as_1d_column(y):
    """A single target column as a 1-d array, with scikit-learn's conversion warning."""
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


def fit_labels(y, classes=None):
    """A LabelBinarizer fitted to the labels of ``y``, or to ``classes`` when given.

    Multilabel indicator targets take their columns from ``y`` itself. A single class
    is kept (see ``encode_labels``); the estimators that refuse it say so.
    """
    if classes is not None and _integer_labels(y, np.asarray(classes)):
        return _binarizer_of(np.unique(np.asarray(classes)))
    y = attach_unique(y)  # one search for the labels serves every check below
    check_classification_targets(y)
    if classes is None or type_of_target(y).startswith("multilabel"):
        binarizer = LabelBinarizer().fit(y)
    else:
        binarizer = LabelBinarizer().fit(np.unique(np.asarray(classes)))
    return binarizer


def _integer_labels(y, classes):
    """Whether ``y`` and ``classes`` are 1-d integer arrays: labels whose target type
    (binary or multiclass) the number of classes alone decides."""
    return (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iu"
            and classes.ndim == 1 and classes.dtype.kind in "iu" and classes.size > 0)


def _binarizer_of(classes):
    """A LabelBinarizer as ``fit(classes)`` leaves it, for sorted unique integer
    ``classes``, without scikit-learn's checks of the target type, which take most of
    a first partial_fit on a small batch (``benchmarks/design_choices.py``)."""
    binarizer = LabelBinarizer()
    binarizer.y_type_ = "binary" if classes.size <= 2 else "multiclass"
    binarizer.sparse_input_ = False
    binarizer.classes_ = classes
    return binarizer


def check_same_labels(y, known, *, classes, warm_start, multilabel):
    """Refuse new ``classes`` (partial_fit) or new labels in y (warm start)."""
    if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), known):
        raise ValueError(
            f"`classes={classes!r}` is not the same as on the first call to "
            f"partial_fit, which was {known!r}."
        )
    if warm_start and not multilabel:
        labels = np.unique(y)
        if not np.array_equal(labels, known):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {known}, "
                f"`y` has {labels}."
            )


def encode_labels(y, classes, target_type, binarizer, dtype, name="y"):
    """{0, 1} target columns in ``dtype``: (n_samples, n_outputs).

    A single class is one column of zeros, as scikit-learn's LabelBinarizer (and so its
    MLPClassifier) encodes it: the unit learns the probability of no other class.
    ``name`` is the argument an unknown label is reported in (``y`` or ``y_val``).
    """
    if target_type != "multilabel-indicator" and not _known_integer_labels(y, classes):
        check_classification_targets(y)
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(
                f"`{name}` has classes not in `self.classes_`. `self.classes_` has "
                f"{classes}. '{name}' has {np.unique(y)}; unseen: {unseen}."
            )
    if target_type in ("binary", "multiclass") and np.ndim(y) == 1:
        # One-hot rows built in the training dtype at once: the label binarizer
        # builds them as int64 first, a copy 2-8 times larger than needed.
        index = np.searchsorted(classes, y)  # every label is a known class
        if len(classes) <= 2:
            return (index == 1).astype(dtype)[:, np.newaxis]
        Y = np.zeros((index.shape[0], len(classes)), dtype=dtype)
        Y[np.arange(index.shape[0]), index] = 1
        return Y
    return binarizer.transform(y).astype(dtype, copy=False)


def _known_integer_labels(y, classes):
    """Whether y is a 1-d integer array of known integer classes (checked in one pass).

    Integer labels are always class labels, so scikit-learn's check of the target type
    (much of a partial_fit on a few rows) has nothing to find in them.
    """
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iub"
            and classes.dtype.kind in "iub" and y.size):
        return False
    index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    return bool(np.array_equal(classes[index], y))


def decode_labels(P, classes, target_type, binarizer, on_scores):
    """Labels from the network output: the most active unit, or each unit that fires.

    A unit fires when its probability exceeds 0.5 or, for raw scores (``on_scores``:
    the perceptron and hinge losses), when its step activation is 1: ``step(z) > 0.5``
    exactly when ``z > 0``. Among classes, the highest probability or score wins.
    """
    if on_scores and (target_type == "multilabel-indicator" or P.shape[1] == 1):
        P = _STEP.value(P)
    threshold = 0.5
    if target_type == "multilabel-indicator":
        return binarizer.inverse_transform(P, threshold=threshold)
    if len(classes) == 1:  # whatever the unit says, as scikit-learn's LabelBinarizer
        return np.repeat(classes, P.shape[0])
    if P.shape[1] == 1:
        return classes[(P[:, 0] > threshold).astype(np.intp)]
    return classes[np.argmax(P, axis=1)]


def encode_values(y, dtype, *, nonnegative=False):
    """Real target columns in ``dtype``: (n_samples, n_outputs)."""
    largest = np.abs(y).max() if y.size and y.dtype.kind == "f" else 0
    if largest > np.finfo(dtype).max:
        raise ValueError(
            f"y has values up to {largest:.3g} in absolute value, beyond the range of "
            f"X's dtype {np.dtype(dtype).name}, in which the network computes. Pass X as "
            "float64, or rescale y."
        )
    y = np.asarray(y, dtype=dtype)
    if nonnegative and np.any(y < 0):
        raise ValueError(
            "Some value(s) of y are negative which is not allowed for Poisson "
            "regression."
        )
    return y.reshape(-1, 1) if y.ndim == 1 else y
