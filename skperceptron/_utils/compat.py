"""The one place that imports private scikit-learn helpers, and its optional parts.

scikit-learn keeps its parameter validation and fit context private; should they move,
only this module changes. Its callback API (``sklearn.callback``) is experimental and
exists from scikit-learn 1.9 on: ``sklearn_callback`` is that module, or None before.
``attach_unique`` gives a view of labels that carries their unique values, so that
scikit-learn's label checks find them once instead of once each (the identity where
scikit-learn has no such helper).
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

try:
    from sklearn.utils._unique import attach_unique
except ImportError:  # pragma: no cover - scikit-learn without the helper

    def attach_unique(y):
        return y


try:
    import sklearn.callback as sklearn_callback
except ImportError:  # scikit-learn before 1.9
    sklearn_callback = None

__all__ = [
    "Interval",
    "Options",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "attach_unique",
    "sklearn_callback",
    "validate_data",
]
