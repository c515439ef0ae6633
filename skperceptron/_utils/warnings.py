"""Warnings that point at the user's line, however deep in the package they arise."""

import sys
import warnings


def _inside(frame):
    """Whether a frame belongs to this package or to scikit-learn's fit wrapper."""
    name = frame.f_globals.get("__name__", "")
    return (name.startswith("skperceptron.") and name != "skperceptron.__main__") or (
        name == "sklearn.base"
    )


def warn_user(message, category=UserWarning):
    """``warnings.warn`` attributed to the first caller outside this package.

    A fixed ``stacklevel`` would depend on how deep the warning is raised (``fit``,
    ``partial_fit``, ``fit_chunks``...); counting the package's own frames does not.
    """
    frame, level = sys._getframe(1), 2  # stacklevel 2: the caller of warn_user
    while frame is not None and _inside(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
