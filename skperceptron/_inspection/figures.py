"""What the displays share: matplotlib on demand, the axes, their labels, and the
records of a fitted estimator they read (``displays``).

matplotlib is imported inside these functions only, when a display plots.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

PLOT_EXTRA = 'pip install "skperceptron[plot]"'


def pyplot(caller):
    """matplotlib's pyplot, or an ImportError naming the extra that installs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib, which skperceptron's [plot] extra installs: "
            f"{PLOT_EXTRA} (or pip install matplotlib)."
        ) from error
    return plt


def line_kwargs(kwargs):
    """matplotlib's Line2D keywords with their aliases spelt out (``ls`` is
    ``linestyle``), so that the display's defaults and the user's merge without clash."""
    from matplotlib import cbook
    from matplotlib.lines import Line2D

    return cbook.normalize_kwargs(kwargs or {}, Line2D)


def recorded(estimator, attribute, display):
    """The fitted estimator's record ``attribute``.

    NotFittedError (scikit-learn's) for an unfitted estimator; ValueError naming the
    attribute for an estimator that does not record it.
    """
    check_is_fitted(estimator)
    if not hasattr(estimator, attribute):
        hint = (" Pass the fitted estimator itself, e.g. the last step of a pipeline "
                "(pipeline[-1])." if hasattr(estimator, "steps") else "")
        raise ValueError(
            f"{display} plots {attribute}, the training history that skperceptron's "
            f"estimators record; {type(estimator).__name__} has no {attribute}.{hint}"
        )
    return getattr(estimator, attribute)


def history_x_label(estimator):
    """What one point of the history is: an epoch, or an L-BFGS iteration."""
    return "L-BFGS iteration" if getattr(estimator, "solver", None) == "lbfgs" else "Epoch"


def epoch_steps(values):
    """The x coordinates of a history: 1, 2, ..., one per recorded epoch."""
    return np.arange(1, len(values) + 1)


def check_axes(ax, caller):
    """A TypeError naming what ``ax`` must be, unless it is None or a matplotlib Axes."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            f"{caller}: ax must be a matplotlib Axes (such as the one plt.subplots() "
            f"returns) or None for a new figure, got {type(ax).__name__} {ax!r}."
        )


def axes_or_new(plt, ax):
    """The axes to draw on: ``ax``, or that of a new figure."""
    if ax is None:
        _, ax = plt.subplots(layout="constrained")  # room for the axis labels
    return ax


def title_axes(ax, title, name, several):
    """Title the axes ``"title: name"``; an axes this display already titled for
    another estimator becomes ``several`` (the legend names them); a title of the
    user's own stays."""
    mine = title if name is None else f"{title}: {name}"
    current = ax.get_title()
    if not current:
        ax.set_title(mine)
    elif current != mine and (current.startswith(f"{title}: ") or current == several):
        ax.set_title(several)


def finish_display(display, ax, x_label, y_label, **legend):
    """Axis labels, integer epochs, the legend; the artists' places on the display."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(**legend)
    display.ax_ = ax
    display.figure_ = ax.figure
    return display


#: The label of the second y axis of ``LossCurveDisplay``, by which later displays on
#: the same axes find it.
RATE_AXES = "learning rate"


def rate_axes(ax, create=True):
    """The second y axis of the learning rate on ``ax``: the one a display already
    made there, or a new ``ax.twinx()`` (None if ``create`` is False)."""
    for other in ax.figure.axes:
        if other is not ax and other.get_label() == RATE_AXES and (
                other.get_shared_x_axes().joined(ax, other)):
            return other
    if not create:
        return None
    twin = ax.twinx()
    twin.set_label(RATE_AXES)
    twin.set_ylabel("Learning rate")
    # The loss axes above, its background off: its legend is not drawn over.
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    return twin


def rate_scale(rate_ax):
    """Log scale when the positive rates drawn on ``rate_ax`` span more than a decade
    (a zero rate, as a schedule's callable may give, then leaves a gap)."""
    rates = np.concatenate([line.get_ydata() for line in rate_ax.get_lines()])
    positive = rates[np.isfinite(rates) & (rates > 0)]
    if positive.size and positive.max() > 10 * positive.min():
        rate_ax.set_yscale("log")


def recorded_rates(estimator, display):
    """The rate each epoch trained with, or a ValueError naming why there is none."""
    rates = np.asarray(recorded(estimator, "learning_rates_", display), dtype=float)
    if not np.isfinite(rates).any():
        who = type(estimator).__name__
        lbfgs = getattr(estimator, "solver", None) == "lbfgs"
        raise ValueError(
            f"{who} has no learning rate to plot (learning_rates_ is "
            f"{'empty' if rates.size == 0 else 'NaN for every epoch'}): "
            f"{'L-BFGS has no learning rate; ' if lbfgs else ''}fit with a stochastic "
            "solver ('sgd', 'adam', 'adamw', 'rmsprop') to record one, or pass "
            "learning_rate=False."
        )
    return rates


def recorded_validation(estimator, display, required):
    """The estimator's validation loss per epoch, or None when it recorded none
    (a ValueError naming the cure when ``required``)."""
    who = type(estimator).__name__
    if not hasattr(estimator, "validation_loss_curve_"):
        if not required:
            return None
        raise ValueError(f"{display} with validation=True plots validation_loss_curve_, "
                         f"which {who} does not record. Pass validation=False or 'auto'.")
    curve = estimator.validation_loss_curve_
    if curve is None and required:
        raise ValueError(
            f"{who} has no validation loss to plot (validation_loss_curve_ is None): "
            "fit it with early_stopping=True, or pass X_val and y_val to fit (a "
            "stochastic solver: 'lbfgs' records none). Or pass validation=False."
        )
    return curve
