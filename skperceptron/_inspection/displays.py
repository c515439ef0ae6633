"""Pictures of the training history: loss curves and per-layer gradient norms.

Displays in scikit-learn's manner (``RocCurveDisplay``, ``LearningCurveDisplay``):
``from_estimator`` reads what a fitted estimator recorded while it trained and computes
nothing new; ``plot`` draws it on an axes (a new one, or the one given) and keeps the
artists on the display (``figure_``, ``ax_`` and the lines), so a user can restyle them.

matplotlib is an optional dependency (the ``[plot]`` extra): it is imported inside
``plot`` and ``from_estimator`` only, never when skperceptron is imported. What both
displays share (the axes, the labels, reading a record) is in ``figures``.
"""

import numpy as np

from .figures import (
    axes_or_new,
    check_axes,
    epoch_steps,
    finish_display,
    history_x_label,
    line_kwargs,
    pyplot,
    rate_axes,
    rate_scale,
    recorded,
    recorded_rates,
    recorded_validation,
    title_axes,
)


class LossCurveDisplay:
    """Training and validation loss per epoch.

    Create it with :meth:`~skperceptron.LossCurveDisplay.from_estimator`, which reads
    a fitted estimator's ``loss_curve_`` and ``validation_loss_curve_``; all
    parameters are stored as attributes. Several estimators compare on one axes: pass
    each the axes of the first (``ax=display.ax_``); each has a colour, its
    validation curve dashed.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch, drawn at epochs 1 to n_epochs.

    validation_loss_curve : array-like of shape (n_validation_epochs,), default=None
        Validation loss per epoch, drawn at epochs 1 to n_validation_epochs; None
        draws no validation curve.

    name : str, default=None
        Name of the estimator, in the legend and the title.

    x_label : str, default="Epoch"
        Label of the x axis.

    y_label : str, default="Loss"
        Label of the y axis.

    learning_rates : array-like of shape (n_epochs,), default=None
        Learning rate per epoch, drawn at epochs 1 to n_epochs on a second y axis
        (at the right; on a log scale when its positive values span more than a
        decade); None draws none. NaN entries are gaps.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss curve.

    validation_line_ : matplotlib Line2D or None
        The validation loss curve, None when there is none.

    learning_rate_line_ : matplotlib Line2D or None
        The learning rate per epoch, None when it is not drawn.

    learning_rate_ax_ : matplotlib Axes or None
        The second y axis of the learning rate (``ax_.twinx()``, shared by the
        displays drawn on ``ax_``), None when it is not drawn.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    GradientNormDisplay : Per-layer gradient norms per epoch.

    Notes
    -----
    The two curves are not measured alike. ``loss_curve_`` is the objective the
    optimizer minimised: each epoch, the mean over its mini-batches of the loss
    measured before each step, with the penalty (``alpha``) and dropout's masks.
    ``validation_loss_curve_`` is the loss of the weights the epoch ends on, without
    penalty or dropout. A gap between the curves holds these differences too, not
    overfitting alone.

    When the two curves differ in length (``partial_fit`` or a warm start after a
    fit with validation data, or the other way round), both start at epoch 1: the
    history does not say which epochs the validation curve belongs to.

    Examples
    --------
    Early stopping holds out a fifth of the noisy half-moons and scores it after each
    epoch. The best score came at epoch 11; more than ``n_iter_no_change`` (10)
    epochs later, none better, training stopped and went back to epoch 11's weights.

    >>> from sklearn.datasets import make_moons
    >>> from skperceptron import LossCurveDisplay, MLPClassifier
    >>> X, y = make_moons(n_samples=200, noise=0.3, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.03,
    ...                     early_stopping=True, validation_fraction=0.2,
    ...                     random_state=0).fit(X, y)
    >>> clf.stop_reason_, clf.n_iter_, clf.best_validation_score_
    ('validation_score_plateau', 22, 0.825)
    >>> clf.validation_scores_.index(clf.best_validation_score_) + 1
    11

    The display draws both losses per epoch. From epoch 11 to 22 the training loss
    falls and the validation loss rises: the network learns its points' noise.

    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> curves = clf.loss_curve_, clf.validation_loss_curve_
    >>> [round(float(curve[-1] - curve[10]), 2) for curve in curves]
    [-0.04, 0.05]

    ``learning_rate=True`` adds the rate each epoch trained with
    (``learning_rates_``) on a second y axis. Four epochs of linear warm-up climb
    to the peak rate of 0.03, then a cosine takes it down over the last 16 epochs:
    from its peak to 0.03 * (1 + cos(15 pi / 16)) / 2, about 3e-4, which spans two
    decades, so its axis is logarithmic.

    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.03,
    ...                     learning_rate="cosine", warmup_epochs=4, max_iter=20,
    ...                     random_state=0).fit(X, y)
    >>> [round(rate, 4) for rate in clf.learning_rates_[:6]]
    [0.006, 0.012, 0.018, 0.024, 0.03, 0.0297]
    >>> display = LossCurveDisplay.from_estimator(clf, learning_rate=True)
    >>> display.learning_rate_ax_.get_yscale(), f"{clf.learning_rates_[-1]:.1e}"
    ('log', '2.9e-04')
    """

    def __init__(self, *, loss_curve, validation_loss_curve=None, name=None,
                 x_label="Epoch", y_label="Loss", learning_rates=None):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.name = name
        self.x_label = x_label
        self.y_label = y_label
        self.learning_rates = learning_rates

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, validation="auto",
                       validation_kw=None, learning_rate=False, learning_rate_kw=None,
                       **kwargs):
        """Plot the loss curves a fitted estimator recorded.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``loss_curve_``: any of skperceptron's, or
            scikit-learn's MLP (``solver='sgd'`` or ``'adam'``).

        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure. Anything else raises a
            TypeError.

        name : str, default=None
            Name in the legend and the title; None takes the estimator's class name.

        validation : {"auto", True, False}, default="auto"
            Whether to draw the validation loss (``validation_loss_curve_``): "auto"
            draws it when the estimator recorded one; True requires it (a
            ValueError otherwise); False draws the training loss only.

        validation_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation curve,
            over its defaults (the training curve's colour, dashed).

        learning_rate : bool, default=False
            Whether to draw the learning rate each epoch trained with
            (``learning_rates_``) on a second y axis. An estimator that records
            none raises a ValueError: L-BFGS has no learning rate (its
            ``learning_rates_`` are NaN), and scikit-learn's MLP no
            ``learning_rates_``.

        learning_rate_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the learning rate, over
            its defaults (the training curve's colour, dotted).

        **kwargs : dict
            Keyword arguments of matplotlib's ``plot`` for both curves.

        Returns
        -------
        display : LossCurveDisplay
            The display, with its artists.
        """
        pyplot(f"{cls.__name__}.from_estimator")
        check_axes(ax, f"{cls.__name__}.from_estimator")
        if validation not in ("auto", True, False):
            raise ValueError(f"validation must be 'auto', True or False, got {validation!r}.")
        loss_curve = recorded(estimator, "loss_curve_", cls.__name__)
        if len(loss_curve) == 0:
            raise ValueError(f"{type(estimator).__name__}.loss_curve_ is empty: training "
                             "recorded no epoch (it diverged in its first epoch?).")
        validation_loss = (recorded_validation(estimator, cls.__name__, validation is True)
                           if validation else None)
        if learning_rate not in (True, False):
            raise ValueError(f"learning_rate must be True or False, got {learning_rate!r}.")
        rates = recorded_rates(estimator, cls.__name__) if learning_rate else None
        loss = getattr(estimator, "loss", None)
        display = cls(loss_curve=loss_curve, validation_loss_curve=validation_loss,
                      name=type(estimator).__name__ if name is None else name,
                      x_label=history_x_label(estimator),
                      y_label=f"Loss ({loss})" if isinstance(loss, str) else "Loss",
                      learning_rates=rates)
        return display.plot(ax=ax, validation_kw=validation_kw,
                            learning_rate_kw=learning_rate_kw, **kwargs)

    def plot(self, ax=None, *, name=None, validation_kw=None, learning_rate_kw=None,
             **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure. Anything else raises a
            TypeError.

        name : str, default=None
            Name in the legend and the title; None takes ``self.name``.

        validation_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation curve,
            over its defaults (the training curve's colour, dashed).

        learning_rate_kw : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the learning rate (drawn
            when ``learning_rates`` is not None), over its defaults (the training
            curve's colour, dotted).

        **kwargs : dict
            Keyword arguments of matplotlib's ``plot`` for both curves.

        Returns
        -------
        self : LossCurveDisplay
            The display, with ``line_``, ``validation_line_``,
            ``learning_rate_line_``, ``learning_rate_ax_``, ``ax_`` and ``figure_``.
        """
        plt = pyplot(f"{type(self).__name__}.plot")
        check_axes(ax, f"{type(self).__name__}.plot")
        ax = axes_or_new(plt, ax)
        name = self.name if name is None else name
        kwargs = line_kwargs(kwargs)

        def label(curve):
            return f"{curve} loss" if name is None else f"{name} ({curve})"

        loss = np.asarray(self.loss_curve, dtype=float)
        (self.line_,) = ax.plot(epoch_steps(loss), loss, **{"label": label("training"), **kwargs})
        self.validation_line_ = None
        if self.validation_loss_curve is not None:
            validation = np.asarray(self.validation_loss_curve, dtype=float)
            style = {**kwargs, "color": self.line_.get_color(), "linestyle": "--",
                     "label": label("validation"), **line_kwargs(validation_kw)}
            (self.validation_line_,) = ax.plot(epoch_steps(validation), validation, **style)
        self.learning_rate_line_ = self.learning_rate_ax_ = None
        if self.learning_rates is not None:
            rates = np.asarray(self.learning_rates, dtype=float)
            rate_ax = rate_axes(ax)
            style = {**kwargs, "color": self.line_.get_color(), "linestyle": ":",
                     "label": "learning rate" if name is None else f"{name} (learning rate)",
                     **line_kwargs(learning_rate_kw)}
            (self.learning_rate_line_,) = rate_ax.plot(epoch_steps(rates), rates, **style)
            rate_scale(rate_ax)
            self.learning_rate_ax_ = rate_ax
        title_axes(ax, "Loss curve", name, several="Loss curves")
        finish_display(self, ax, self.x_label, self.y_label)
        rate_ax = rate_axes(ax, create=False)
        if rate_ax is not None:  # one legend for the lines of both y axes
            handles, labels = ax.get_legend_handles_labels()
            more = rate_ax.get_legend_handles_labels()
            ax.legend(handles + more[0], labels + more[1])
        return self


def default_layer_names(n_weight_layers):
    """Which layers each weight matrix joins: W1 from the input, the last into the
    output, with the hidden layers between numbered from the input."""
    def layer(k):
        if k == 0:
            return "input"
        return "output" if k == n_weight_layers else f"hidden {k}"

    return [f"W{k + 1}: {layer(k)} → {layer(k + 1)}" for k in range(n_weight_layers)]


class GradientNormDisplay:
    """Per-layer gradient norms per epoch, on a log scale.

    One line per weight matrix W_l: the norm of the loss gradient dJ/dW_l, averaged
    over the epoch's steps (an estimator's ``gradient_norms_``). Lines far apart on
    the log scale are gradients of different orders of magnitude: in a deep network
    of logistic units, those near the input are typically the small ones (vanishing
    gradients).

    Create it with :meth:`~skperceptron.GradientNormDisplay.from_estimator`; all
    parameters are stored as attributes. To compare estimators, give each an axes of
    its own (``plt.subplots(1, 2, sharey=True)``): the legend names the layers, not
    the estimators.

    Parameters
    ----------
    gradient_norms : array-like of shape (n_epochs, n_weight_layers)
        Gradient norm per epoch (row) and weight layer (column, from the input).
        NaN rows are epochs that recorded none; they are left as gaps.

    layer_names : list of str, default=None
        Legend label of each weight layer; None names them by the layers they join
        (``"W1: input → hidden 1"``, ..., ``"W3: hidden 2 → output"``).

    name : str, default=None
        Name of the estimator, in the title.

    x_label : str, default="Epoch"
        Label of the x axis.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per weight layer, from the input to the output.

    ax_ : matplotlib Axes
        Axes with the lines.

    figure_ : matplotlib Figure
        Figure containing the lines.

    See Also
    --------
    LossCurveDisplay : Training and validation loss per epoch.

    Notes
    -----
    The compiled per-sample loop (a single layer at ``batch_size=1`` with plain
    SGD: the perceptrons' default) keeps its gradients inside the loop and records
    NaN rows. A history of NaN only raises a ValueError: fit with ``batch_size > 1``
    to record the norms.

    Examples
    --------
    Each logistic layer multiplies the gradient it passes back by its slope, at most
    1/4, so gradients shrink toward the input (:ref:`tutorial-vanishing`). In the
    first epoch the gradient of the first of three weight matrices is 8% of the last
    one's; the display draws one line per matrix on a log scale, where such ratios
    are distances.

    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import GradientNormDisplay, MLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16, 16), activation="logistic",
    ...                     tol=0.01, random_state=0).fit(X, y)
    >>> (clf.gradient_norms_[0] / clf.gradient_norms_[0, -1]).round(2)
    array([0.08, 0.18, 1.  ])
    >>> display = GradientNormDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_]
    ['W1: input → hidden 1', 'W2: hidden 1 → hidden 2', 'W3: hidden 2 → output']
    """

    def __init__(self, *, gradient_norms, layer_names=None, name=None, x_label="Epoch"):
        self.gradient_norms = gradient_norms
        self.layer_names = layer_names
        self.name = name
        self.x_label = x_label

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the gradient norms a fitted estimator recorded.

        Parameters
        ----------
        estimator : estimator instance
            A fitted skperceptron estimator (it has ``gradient_norms_``).

        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure. Anything else raises a
            TypeError.

        name : str, default=None
            Name in the title; None takes the estimator's class name.

        **kwargs : dict
            Keyword arguments of matplotlib's ``plot`` for every line.

        Returns
        -------
        display : GradientNormDisplay
            The display, with its artists.
        """
        pyplot(f"{cls.__name__}.from_estimator")
        check_axes(ax, f"{cls.__name__}.from_estimator")
        norms = recorded(estimator, "gradient_norms_", cls.__name__)
        display = cls(gradient_norms=norms,
                      name=type(estimator).__name__ if name is None else name,
                      x_label=history_x_label(estimator))
        return display.plot(ax=ax, **kwargs)

    def _checked(self, name):
        """The norms as a 2-D float array with at least one finite value, and the
        layer names; a ValueError naming the cure otherwise."""
        norms = np.asarray(self.gradient_norms, dtype=float)
        if norms.ndim != 2:
            raise ValueError("gradient_norms must be of shape (n_epochs, n_weight_layers), "
                             f"got shape {norms.shape}.")
        if not np.isfinite(norms).any():
            raise ValueError(
                f"{name or 'The estimator'} recorded no gradient norm (gradient_norms_ is "
                "empty or all NaN): the per-sample loop of a single layer (batch_size=1 "
                "with plain SGD, the perceptrons' default) keeps its gradients inside its "
                "compiled loop. Fit with batch_size > 1 to record them."
            )
        names = self.layer_names
        if names is None:
            names = default_layer_names(norms.shape[1])
        if len(names) != norms.shape[1]:
            raise ValueError(f"layer_names has {len(names)} names for {norms.shape[1]} "
                             "weight layers.")
        return norms, list(names)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw one line per weight layer, y on a log scale.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure. Anything else raises a
            TypeError.

        name : str, default=None
            Name in the title; None takes ``self.name``.

        **kwargs : dict
            Keyword arguments of matplotlib's ``plot`` for every line (over the
            default colours, dark near the input to light near the output).

        Returns
        -------
        self : GradientNormDisplay
            The display, with ``lines_``, ``ax_`` and ``figure_``.
        """
        plt = pyplot(f"{type(self).__name__}.plot")
        check_axes(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        norms, names = self._checked(name)
        import matplotlib

        ax = axes_or_new(plt, ax)
        kwargs = line_kwargs(kwargs)
        colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(names)))
        epochs = epoch_steps(norms)
        # Drawn from the output down, so that the legend lists the layers top to
        # bottom as vanishing gradients stack their lines.
        lines = [ax.plot(epochs, norms[:, k], **{"color": colors[k], "label": names[k],
                                                 **kwargs})[0]
                 for k in reversed(range(len(names)))]
        self.lines_ = lines[::-1]
        ax.set_yscale("log")
        title_axes(ax, "Gradient norm per layer", name, several="Gradient norms per layer")
        return finish_display(self, ax, self.x_label, r"Gradient norm $\|\partial J/\partial W_l\|$",
                       fontsize="small")
