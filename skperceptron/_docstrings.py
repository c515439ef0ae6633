"""Shared parameter and attribute descriptions, written once and filled into docstrings.

A docstring names a shared entry as ``%(name)s``; ``fill_doc`` substitutes the text at
import time, so the estimators' help shows every parameter in full.
"""

import inspect
import re
import textwrap

from ._references import REFERENCES

_SHARED = {
    "alpha": """alpha : float, default={alpha}
    Strength of the penalty on the weights (not the biases), ``alpha * R(W)`` with R
    chosen by ``penalty``, divided by the (weighted) number of samples in the batch,
    as in scikit-learn's MLP. See :ref:`maths-penalties`.""",
    "penalty": """penalty : {{'l2', 'l1', 'elasticnet'}} or None, default={penalty}
    The penalty R(W) on the weights, with scikit-learn's names: 'l2' is
    ``||W||^2 / 2``, 'l1' is ``sum |W|``, 'elasticnet' is ``l1_ratio`` of 'l1' plus
    ``1 - l1_ratio`` of 'l2'; None turns it off (``alpha`` is then unused). The
    L1 part is taken after each update as the cumulative penalty of Tsuruoka et al.
    (2009), as scikit-learn's SGD does: each weight moves towards zero by the step's
    threshold and stops at zero, and one pushed across zero owes back what it
    received on the other side, so weights reach and keep exact zeros. With
    'elasticnet' the L2 part shrinks the weights and not the L1 part's running
    total, again as scikit-learn's SGD: the same ``alpha`` and ``l1_ratio`` give the
    same sparsity.
    ``solver='lbfgs'`` accepts 'l2' and None only, as the L1 term is not
    differentiable at zero. See :ref:`maths-penalties`.""",
    "l1_ratio": """l1_ratio : float, default=0.15
    The share of 'l1' in the 'elasticnet' penalty, between 0 and 1 (0 is 'l2', 1 is
    'l1'). Used only with ``penalty='elasticnet'``.""",
    "max_iter": """max_iter : int, default={max_iter}
    Maximum number of epochs (passes over the training data); for ``solver='lbfgs'``
    the maximum number of L-BFGS iterations. Reaching it raises scikit-learn's
    :class:`~sklearn.exceptions.ConvergenceWarning` and sets
    ``stop_reason_="max_iter"``. See :ref:`maths-stopping-rules`.""",
    "tol": """tol : float{tol_none}, default={tol}
    Improvement threshold. Training stops when the training loss (or, with early
    stopping, the validation score) has not improved by at least ``tol`` for
    ``n_iter_no_change`` consecutive epochs.{tol_none_text} See
    :ref:`maths-stopping-rules`.""",
    "n_iter_no_change": """n_iter_no_change : int, default={n_iter_no_change}
    Number of epochs without an improvement of ``tol`` that is tolerated (see
    :ref:`maths-stopping-rules`).""",
    "shuffle": """shuffle : bool, default=True
    Whether to shuffle the samples at every epoch.""",
    "random_state": """random_state : int, RandomState instance or None, default={random_state}
    Seeds weight initialisation, the validation split and shuffling. Pass an int for
    reproducible results.{random_state_note}""",
    "verbose": """verbose : bool or int, default=False
    Print one line per epoch: the loss, the validation score if any, and the time.""",
    "warm_start": """warm_start : bool, default=False
    When True, ``fit`` continues from the weights in ``coefs_`` and ``intercepts_``
    instead of initialising new ones: those of the previous fit, or starting weights
    of your own assigned to them, also on an estimator never fitted
    (``coefs_[i]`` of shape (units of layer i, units of layer i + 1),
    ``intercepts_[i]`` of shape (units of layer i + 1,); real numbers, converted to
    the dtype of X). ``partial_fit`` always continues from them.""",
    "early_stopping": """early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (or use ``X_val``/``y_val``
    given to ``fit``), score it after every epoch, stop when the score has not improved
    by ``tol`` for ``n_iter_no_change`` epochs, and restore the weights that scored
    best. Classifiers stratify the split as scikit-learn's do: the perceptron for any
    single-output target, the MLP for two classes (one output unit) only; there a
    class with a single sample, or fewer samples on either side than there are
    classes, raises scikit-learn's error. See :ref:`maths-early-stopping`.""",
    "validation_fraction": """validation_fraction : float, default=0.1
    Fraction of the training data held out for early stopping.""",
    "loss_threshold": """loss_threshold : float or None, default=None
    Absolute target: stop as soon as the training loss (including the L2 penalty) is
    at or below this value (``stop_reason_="loss_threshold"``). None disables it.
    See :ref:`maths-stopping-rules`.""",
    "class_weight": """class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into the sample weights: ``{{label: weight}}``,
    or 'balanced' for ``n_samples / (n_classes * np.bincount(y))``.""",
    "weight_init": """weight_init : str, default={weight_init}
    How the weights start: 'glorot_uniform', 'glorot_normal', 'he_uniform',
    'he_normal', 'lecun_uniform', 'lecun_normal' (biases at zero), 'zeros'{weight_init_auto}.
    Glorot's variance was derived for tanh-like units (Glorot and Bengio, 2010),
    He's for relu units (He et al., 2015). See :ref:`maths-initial-weights`.""",
    "eta0": """eta0 : float, default={eta0}
    Learning rate: the size of each weight update, the η of
    :ref:`maths-perceptron-rules`.""",
    "huber_delta": """huber_delta : float, default=1.0
    Where the 'huber' loss turns from squared to absolute (see
    :ref:`maths-losses`).""",
    "fitted_batch_norm": """batch_norm_scales_, batch_norm_shifts_ : list of ndarray
    With ``batch_norm=True``: the learned scale φ (phi) and shift ψ (psi) of each
    hidden layer's batch normalization, each of shape (units of the layer,), as
    :ref:`maths-batch-norm` names them (gamma and beta in Ioffe and Szegedy, 2015).

running_means_, running_vars_ : list of ndarray
    With ``batch_norm=True``: the running mean and variance of each hidden layer's
    net input, which predictions normalize with.""",
    "fitted_common": """coefs_ : list of ndarray
    ``coefs_[i]`` is the weight matrix from layer i to layer i + 1, of shape
    (units of layer i, units of layer i + 1).

intercepts_ : list of ndarray
    ``intercepts_[i]`` is the bias vector of layer i + 1.

loss_ : float
    Training loss at the end of training (mean over the last epoch).

loss_curve_ : list of float
    Training loss after every epoch (every L-BFGS iteration for 'lbfgs').

best_loss_ : float or None
    Lowest training loss reached; None when early stopping monitors the
    validation score instead, or for 'lbfgs'.

validation_scores_ : list of float or None
    Validation score (accuracy or R^2) after every epoch, when a validation set was
    used.

best_validation_score_ : float or None
    Best of ``validation_scores_``.

validation_loss_curve_ : list of float or None
    Mean training loss (without the penalty, with the validation set's sample
    weights) on the validation data after every epoch, from the forward pass that
    gives ``validation_scores_``; None without validation data.

gradient_norms_ : ndarray of shape (n_epochs, ``n_layers_`` - 1)
    Per epoch and weight layer, the Frobenius norm of the loss gradient dJ/dW
    (without the penalty), averaged over the epoch's mini-batch steps; for 'lbfgs',
    at each iteration's point over the whole training set. NaN for the compiled
    per-sample loop of a single layer (batch_size=1, plain SGD), whose gradients
    never leave the loop.

saturation_ : ndarray of shape (n_epochs, ``n_layers_`` - 2)
    Per epoch and hidden layer, the saturated fraction of its units, averaged over
    the epoch's batches (measured on the output before dropout): logistic outputs
    below 0.01 or above 0.99, tanh outputs beyond +-0.99, relu units that are zero
    for every sample of a batch (dead on it; for 'lbfgs' the batch is the training
    set); NaN for other activations. ``loss_curve_``, ``validation_loss_curve_``,
    ``gradient_norms_`` and ``saturation_`` grow across ``partial_fit`` and warm
    starts and restart with a new fit.

learning_rates_ : list of float
    The rate of each epoch of ``loss_curve_`` (before Adam's bias correction; NaN
    for 'lbfgs').

gradient_norm_curve_, clipped_steps_ : ndarray of shape (n_epochs,)
    Per epoch, the mean over its steps of the global L2 norm of the loss gradient
    (every trainable parameter, no penalty) before clipping (NaN where
    ``gradient_norms_`` is), and the number of clipped steps.

n_iter_ : int
    Epochs run by the last call to ``fit`` or ``partial_fit``.

t_ : int
    Number of training samples seen, across calls.

n_layers_ : int
    Number of layers, input and output included.

n_outputs_ : int
    Number of output units.

out_activation_ : str
    The output unit's activation.

stop_reason_ : str
    Why training stopped: 'max_iter', 'loss_threshold', 'training_loss_plateau',
    'validation_score_plateau', 'converged', 'diverged', 'interrupted', 'max_fun',
    'partial_fit', or 'callback' (a callback asked to stop, see Notes). The rules
    are those of :ref:`maths-stopping-rules`.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of features seen during fit, when X has string feature names.""",
    "callbacks_notes": """Notes
-----
With scikit-learn 1.9 or later, ``set_callbacks`` attaches scikit-learn's
(experimental) callbacks, such as ``sklearn.callback.ProgressBar`` and
``ScoringMonitor``; ``Pipeline`` and ``GridSearchCV`` pass theirs on. A ``fit`` is a
task with one subtask per epoch (per iteration for 'lbfgs'), at most ``max_iter``;
each hands the callbacks the model of its start and end (``coefs_``, ``intercepts_``
and batch normalization's arrays of that moment), which ``ScoringMonitor`` scores.
A ``partial_fit`` call is one task, without subtasks. A callback that asks to stop
at the end of an epoch ends training there, with ``stop_reason_='callback'`` and the
weights of that epoch, as ``max_iter`` would (early stopping's best ones with
``early_stopping=True``); it comes before the other stopping rules. ``partial_fit``
makes its one pass whatever the callbacks answer. An exception in a callback reaches
the caller and leaves the estimator as it was. Without callbacks none of this runs.
Before scikit-learn 1.9 there is no ``set_callbacks``.""",
}


def references_section(*keys):
    """A numpydoc References section citing ``REFERENCES[key]`` for each key, in
    order, numbered from 1."""
    entries = [textwrap.fill(" ".join(REFERENCES[key].split()), width=84,
                             initial_indent=f".. [{number}] ", subsequent_indent="   ",
                             break_on_hyphens=False)
               for number, key in enumerate(keys, start=1)]
    return "References\n----------\n" + "\n\n".join(entries)


def fill_doc(parameters=None, references=(), **defaults):
    """Class decorator: substitute ``%(name)s`` entries of the shared descriptions.

    ``defaults`` fills the ``{...}`` fields inside the shared texts (default values).
    ``parameters``, the class's parameter entries (indented as in the docstring, in any
    order, shared ones as ``%(name)s``), becomes ``%(parameters)s`` in the order of the
    class's ``__init__`` signature: an entry missing or left over raises.
    ``references``, keys of ``REFERENCES``, becomes ``%(references)s``.
    """

    def decorate(cls):
        indent = "    "
        texts = {}
        for name, text in _SHARED.items():
            try:
                text = text.format(**defaults)
            except KeyError:
                continue
            texts[name] = textwrap.indent(text, indent).lstrip()
        if parameters is not None:
            texts["parameters"] = in_signature_order(cls.__init__, parameters % texts)
        if references:
            texts["references"] = textwrap.indent(references_section(*references),
                                                  indent).lstrip()
        cls.__doc__ = cls.__doc__ % texts
        return cls

    return decorate


def in_signature_order(function, entries):
    """The parameter entries of ``entries`` (a Parameters section's body, indented by
    four spaces) reordered as ``function``'s signature lists them, lstripped to follow
    a ``%(...)s`` placeholder. An entry for several parameters (``beta_1, beta_2``)
    takes the place of its first."""
    order = [name for name in inspect.signature(function).parameters if name != "self"]
    blocks = re.split(r"\n(?=    \S)", "\n" + entries.strip("\n"))
    found = {}
    for block in filter(str.strip, blocks):
        names = [name.strip() for name in block.split(" :", 1)[0].split(",")]
        for name in names:
            if name not in order or name in found:
                raise ValueError(f"{function.__qualname__}: the parameter entry {name!r} "
                                 "is not in the signature or is given twice.")
        found[names[0]] = block.strip("\n")
        found.update({name: None for name in names[1:]})
    missing = [name for name in order if name not in found]
    if missing:
        raise ValueError(f"{function.__qualname__}: no entry for {missing}.")
    return "\n\n".join(found[name] for name in order if found[name]).lstrip()


_INPUT_SAMPLES = """Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The input samples."""


def input_doc(method):
    """Method decorator: fill ``%(input)s`` with the Parameters section of a method
    that takes X alone (predict, predict_proba, decision_function...)."""
    text = textwrap.indent(_INPUT_SAMPLES, " " * 8).lstrip()
    method.__doc__ = method.__doc__ % {"input": text}
    return method


#: The parameters the multi-layer perceptrons share; ``fill_doc`` lists them in the
#: order of each class's signature.
MLP_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_hidden_layers,), default=(100,)
        Number of units in each hidden layer. ``()`` gives a network without a hidden
        layer (a generalised linear model). See :ref:`maths-forward`.

    activation : str or list of str, default='relu'
        Activation of the hidden units: 'identity', 'logistic', 'tanh', 'relu',
        'leaky_relu', 'elu' or 'softplus'; or one of these per hidden layer. See
        :ref:`maths-activations`.

    solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop'}, default='adam'
        'sgd' is mini-batch stochastic gradient descent, 'adam' the Adam optimizer
        (Kingma and Ba, 2015), 'adamw' Adam with decoupled weight decay (Loshchilov and
        Hutter, 2019; see ``weight_decay``), 'rmsprop' RMSprop (Tieleman and Hinton,
        2012; see ``rho``), both as PyTorch's ``AdamW`` and ``RMSprop``; 'lbfgs'
        full-batch L-BFGS-B from scipy (Liu and Nocedal, 1989; Byrd et al., 1995) with
        the backpropagated gradient. See :ref:`maths-optimizers` and
        :ref:`maths-lbfgs`.

    %(penalty)s

    %(alpha)s

    %(l1_ratio)s

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'step', 'exponential', \
'cosine'} or callable, default='constant'
        The learning rate of each epoch. scikit-learn's three, for 'sgd' only (the
        other solvers keep ``learning_rate_init`` under them, as scikit-learn's Adam
        does): constant ``learning_rate_init``; ``learning_rate_init / (t + 1) **
        power_t`` with t the samples seen; or constant until a plateau (see
        ``tol``), then divided by 5 each time. For every stochastic solver, with d
        the epoch (from 0, after any warm-up): 'step' multiplies the rate by
        ``decay_rate`` every ``decay_epochs`` epochs, 'exponential' by
        ``decay_rate`` every epoch, 'cosine' follows half a cosine from
        ``learning_rate_init`` down to 0 over ``decay_epochs`` epochs; a callable
        ``f(d)`` gives the factor of ``learning_rate_init`` (a finite number >= 0),
        as PyTorch's ``LambdaLR`` (make it a pure function of d: it is also called
        at d = 0 to check it before training). Each fit, a warm start too, starts
        the schedule at d = 0, and ``partial_fit`` calls go on from where the last
        one ended. The rate of each epoch is recorded in ``learning_rates_``. See
        :ref:`maths-schedules`.

    learning_rate_init : float, default=0.001
        Initial step size of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    %(max_iter)s

    %(shuffle)s

    %(random_state)s

    %(tol)s

    %(verbose)s

    %(warm_start)s

    momentum : float, default=0.9
        Momentum of 'sgd', between 0 and 1 (see :ref:`maths-optimizers`).

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' (when momentum > 0).

    %(early_stopping)s

    %(validation_fraction)s

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates, in [0, 1) (see
        :ref:`maths-optimizers`).

    epsilon : float, default=1e-8
        Adam's term that keeps the update's denominator away from zero.

    %(n_iter_no_change)s

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    %(weight_init)s

    %(loss_threshold)s

    dropout : float or array-like of float, default=0.0
        Inverted dropout on the hidden layers' outputs during training: each output
        is set to 0 with this probability and the others divided by ``1 - dropout``,
        so that predictions (which never drop) see the same scale. One rate in
        [0, 1) for every hidden layer, or a 1-d array-like (list, tuple, array) of
        one per hidden layer. The masks are drawn from ``random_state``. Needs a
        stochastic solver ('sgd' or 'adam'), and a hidden layer unless it is 0. See
        :ref:`maths-dropout` (Srivastava et al., 2014).

    batch_norm : bool, default=False
        Normalize each hidden layer's net input over the mini-batch before its
        activation (Ioffe and Szegedy, 2015), then scale and shift it by learned
        parameters, φ and ψ in :ref:`maths-batch-norm` (``batch_norm_scales_``,
        ``batch_norm_shifts_``). Predictions use running averages of the batch
        statistics instead (``running_means_``, ``running_vars_``). Sample weights
        weight the batch statistics as they weight the loss. With 'lbfgs' the batch
        is the whole training set, and the running statistics are its own. Needs a
        hidden layer, and batches of two rows or more: a row alone has no batch
        statistics, so ``batch_size=1`` (with 'sgd' or 'adam') and a training set of
        one row are refused. The last batch of an epoch may still be one row (5 rows
        in batches of 2): it trains as usual, but its normalized net input is 0 (its
        variance is 0), so its output is the shift, the layers below get no gradient
        from it, and the running statistics stay as the previous batch left them.

    batch_norm_momentum : float, default=0.1
        How far each batch moves the running statistics, in (0, 1]: ``running =
        (1 - momentum) * running + momentum * batch`` (PyTorch's convention; the batch's
        variance is taken without Bessel's correction, so that a sample weight of 2
        and a repeated row agree). See :ref:`maths-batch-norm`.
"""


#: The default values and references that the multi-layer perceptrons' docstrings show.
MLP_DOC_DEFAULTS = dict(
    random_state=None,
    random_state_note="",
    alpha=0.0001,
    max_iter=200,
    tol=0.0001,
    tol_none="",
    tol_none_text="",
    n_iter_no_change=10,
    weight_init="'auto'",
    weight_init_auto=(", or\n    'auto', scikit-learn's MLP scheme (weights and biases "
                      "uniform on\n    ±sqrt(6 / (fan_in + fan_out)), 2 instead of 6 for "
                      "logistic layers)"),
    penalty="'l2'",
    references=("rumelhart", "kingma_ba", "loshchilov_hutter", "tieleman_hinton",
                "loshchilov_hutter_sgdr", "pascanu", "liu_nocedal", "byrd", "glorot_bengio", "he",
                "srivastava", "ioffe_szegedy", "tsuruoka"),
)


#: ``partial_fit``'s docstring, for classifiers and regressors (``y``); scikit-learn's
#: MLP and its Perceptron take ``sample_weight`` and ``classes`` in opposite orders,
#: which ``arguments`` follows.
PARTIAL_FIT_DOC = """Update the network with exactly one pass over (X, y).

        ``max_iter``, ``tol`` and early stopping do not apply: each call is one epoch
        over the data given, with the optimizer's state carried over between calls
        (see :ref:`maths-optimizers`).
        It starts from ``coefs_`` and ``intercepts_``: the fitted weights, or starting
        weights of your own assigned to them (see ``warm_start``). For callbacks set
        with ``set_callbacks``, each call is one task, ended on the updated model.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            Training inputs.

{y}
{arguments}
        Returns
        -------
        self : object
            The updated estimator.
        """

_PARTIAL_FIT_Y = {
    "labels": """        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels (or a label indicator matrix for multilabel targets).""",
    "values": """        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.""",
}

PARTIAL_FIT_ARGUMENTS = {
    "sample_weight": """
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
""",
    "classes": """
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear in any call. Required on the first call
            (except for multilabel targets); ``y`` need not contain all of them.
""",
}


def partial_fit_doc(y, *order):
    """Method decorator: ``partial_fit``'s docstring, for ``y`` "labels" or "values",
    its arguments after y in ``order``."""

    def decorate(method):
        method.__doc__ = PARTIAL_FIT_DOC.format(
            y=_PARTIAL_FIT_Y[y],
            arguments="".join(PARTIAL_FIT_ARGUMENTS[name] for name in order))
        return method

    return decorate
