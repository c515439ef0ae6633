"""Training data as the training loops see it: arrays, sample weights, validation split.

The estimators validate and encode ``X`` and ``y``; what happens to them between that and
the first weight update is here: sample weights are checked and rescaled to mean 1 (with
``alpha`` rescaled to match), a validation set is held out for early stopping, and
rows are taken out for each mini-batch. Starting weights that the user assigns
(``coefs_``, ``intercepts_``) are checked here too (``check_layer_arrays``).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .._utils.compat import _check_sample_weight
from .._utils.speed import gather_rows


@dataclass
class TrainingData:
    """Encoded training arrays: X, targets Y (n_samples, n_outputs), weights or None."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def dense(self):
        return isinstance(self.X, np.ndarray)

    def take(self, index, rows=None):
        """The rows ``index`` (a slice or an array of positions) of X, Y and the weights.

        ``rows`` is a buffer for a shuffled batch of dense X (avoids an allocation).
        """
        sw = None if self.sample_weight is None else self.sample_weight[index]
        if rows is not None and not isinstance(index, slice):
            X = gather_rows(self.X, index, rows[: index.shape[0]])
        else:
            X = self.X[index]
        return X, self.Y[index], sw


def check_sample_weight(sample_weight, X):
    """Validated sample weights in float64 (whatever X is), or None."""
    if sample_weight is None:
        return None
    # float64 whatever X is: weights beyond float32's range are legitimate.
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
    )
    if not sample_weight.any():  # scikit-learn >= 1.9 says so itself
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def normalize_sample_weight(sample_weight, dtype):
    """Rescale weights to mean 1, in ``dtype``. Returns (weights or None, n / sum(w)).

    The objective is sum(w l) / n; with mean-1 weights that is the weighted average loss,
    and ``alpha * scale`` keeps the L2 term at alpha / (2 sum(w)) as with raw weights.
    Weights arrive in float64 and are divided by their largest value first, so that
    neither 1e-300 nor 1e300 overflows on the way (or in the cast to float32).
    """
    if sample_weight is None:
        return None, 1.0
    peak = sample_weight.max()
    if not peak > 0:
        raise ValueError("The sample weights sum to zero: there is nothing to learn from.")
    relative = sample_weight / peak  # in [0, 1], the largest exactly 1
    mean = relative.mean()  # at least 1 / n
    with np.errstate(over="ignore"):
        scale = float(np.float64(1.0) / (mean * peak))  # n / sum(w); inf for sum(w) ~ 0
    return (relative / mean).astype(dtype, copy=False), scale


def scaled(data, penalty):
    """(data with mean-1 sample weights, the penalty for them): what the loops minimise.

    Each strength of the penalty (a ``_engine.penalty.Penalty``) becomes
    strength * n / sum(w); 0 stays 0 even where that scale is inf.
    """
    sw, scale = normalize_sample_weight(data.sample_weight, data.Y.dtype)
    return TrainingData(data.X, data.Y, sw), penalty.scaled(scale)


def validation_split(y, n_samples, fraction, rng, stratify):
    """Indices (train, validation) for early stopping.

    The validation set gets ``ceil(fraction * n_samples)`` samples, but at least 2 (a
    score on one sample is 0 or 1 and says little). With ``stratify`` the split is
    stratified as scikit-learn's classifiers split: a class with a single member, or
    fewer samples on either side than there are classes, raises scikit-learn's own
    error.
    """
    n_val = max(int(np.ceil(fraction * n_samples)), 2)
    if n_val >= n_samples:
        raise ValueError(
            f"The validation set is too small: {n_samples} samples cannot be split "
            f"into training data and a validation set of {n_val}. Increase "
            "'validation_fraction', add data, or pass X_val and y_val."
        )
    return train_test_split(
        np.arange(n_samples), test_size=n_val, random_state=rng,
        stratify=y if stratify else None,
    )


def hold_out(data, y, idx_train, idx_val):
    """(training data, validation (X, y, sample_weight)) for a split of ``data``."""
    X_train, Y_train, sw_train = data.take(idx_train)
    X_val, _, sw_val = data.take(idx_val)
    return TrainingData(X_train, Y_train, sw_train), (X_val, y[idx_val], sw_val)


def check_layer_arrays(name, arrays, shapes, dtype, hint=""):
    """``arrays``, one per layer, checked against ``shapes`` and converted to ``dtype``.

    ``name`` is the attribute the arrays come from (``coefs_``, ``intercepts_``, or any
    other per-layer list of parameters); every error names it, the layer and the shapes
    the network needs, and ends with ``hint``. Real integer or float arrays are
    converted; anything else (bool, complex, object, strings) is a TypeError, and a
    wrong number of layers, a wrong shape or a non-finite value (also after the
    conversion) a ValueError. Returns a new list of arrays.
    """
    shapes = [tuple(shape) for shape in shapes]
    needs = f"{name} must be {len(shapes)} arrays of shapes {shapes}"
    if arrays is None:
        raise ValueError(f"{name} is not set; {needs}. {hint}".rstrip())
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of arrays, one per layer, not "
            f"{type(arrays).__name__}; {needs}. {hint}".rstrip()
        )
    if len(arrays) != len(shapes):
        raise ValueError(
            f"{name} has {len(arrays)} arrays; the network has {len(shapes)} layers: "
            f"{needs}. {hint}".rstrip()
        )
    return [
        _check_layer_array(f"{name}[{i}]", array, shape, dtype, f"{needs}. {hint}".rstrip())
        for i, (array, shape) in enumerate(zip(arrays, shapes))
    ]


def _check_layer_array(name, array, shape, dtype, needs):
    try:
        array = np.asarray(array)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} is not an array of numbers ({exc}); {needs}") from exc
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} has dtype {array.dtype}; starting weights must be real numbers "
            f"(integer or float); {needs}"
        )
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}; the network needs {shape}; {needs}")
    with np.errstate(over="ignore"):
        converted = array.astype(dtype)  # a copy: the user's array is never trained
    if not np.isfinite(converted).all():
        problem = (
            "non-finite values (NaN or infinity)" if not np.isfinite(array).all() else
            f"values beyond the range of {np.dtype(dtype).name}, the dtype of X in "
            "which the network computes"
        )
        raise ValueError(f"{name} has {problem}; {needs}")
    return converted
