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
    """A warning attributed to the first caller outside this package, with the module
    that raised it as its ``module``.

    A fixed ``stacklevel`` would depend on how deep the warning is raised (``fit``,
    ``partial_fit``, ``fit_chunks``...); counting the package's own frames does not.
    The file and line shown are the user's; the module is this package's (for example
    ``skperceptron._training.stochastic``), so that
    ``warnings.filterwarnings("ignore", module="skperceptron")`` silences them, as
    ``module="sklearn"`` silences scikit-learn's.
    """
    raiser = sys._getframe(1)
    raised_in = raiser.f_globals.get("__name__", "skperceptron")
    frame = raiser
    while frame is not None and _inside(frame):
        frame = frame.f_back
    if frame is None:  # called from nowhere outside the package: point at the raiser
        frame = raiser
    warnings.warn_explicit(
        message, category, frame.f_code.co_filename, frame.f_lineno, module=raised_in,
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )
