"""Training data as the training loops see it: arrays, sample weights, validation split.

The estimators validate and encode ``X`` and ``y``; what happens to them between that and
the first weight update is here: sample weights are checked and rescaled to mean 1 (with
the penalty rescaled to match) and a validation set is held out for early stopping.
The arrays themselves, and the rows of each mini-batch, are a ``stochastic.TrainingData``.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .._utils.compat import _check_sample_weight
from .stochastic import TrainingData


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
    """Rescale weights to mean 1, in ``dtype``. Returns (weights or None, n / sum(w)):
    None for equal weights, which then train as no weights do (batch normalization,
    for one, averages a batch differently with weights).

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
    if (relative == 1.0).all():  # equal weights: the fit without them, bit for bit
        return None, float(np.float64(1.0) / peak)
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
