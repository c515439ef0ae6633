"""Single-layer networks: Rosenblatt's perceptron and Widrow-Hoff's linear neuron.

There is no hidden layer: the inputs feed one unit per class (one in total for two
classes) or one unit per regression target. By default the samples are visited one at
a time in a shuffled order each epoch (``batch_size=1``), as in the original algorithms.
"""

from functools import partial
from numbers import Integral, Real

from ._classifier import NetworkClassifier
from ._docstrings import fill_doc, input_doc, partial_fit_doc
from ._engine.activations import get_activation
from ._engine.initializers import INITIALIZERS
from ._engine.losses import get_loss
from ._engine.network import Network
from ._engine.optimizers import SGD
from ._engine.penalty import Penalty
from ._linear import LINEAR_MODEL_API
from ._regressor import NetworkRegressor
from ._training.online import per_sample_rule
from ._training.plan import BatchRule, Plan
from ._utils.compat import Interval, StrOptions, _fit_context

_PERCEPTRON_CONSTRAINTS = {
    "eta0": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "batch_size": [StrOptions({"full"}), Interval(Integral, 1, None, closed="left")],
    "fit_intercept": ["boolean"],
    "weight_init": [StrOptions(set(INITIALIZERS))],
    "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
}

_PERCEPTRON_DOC_DEFAULTS = dict(
    alpha=0.0001,
    penalty="None",
    max_iter=1000,
    tol=0.001,
    tol_none=" or None",
    tol_none_text=" None disables this rule.",
    n_iter_no_change=5,
    weight_init="'zeros'",
    weight_init_auto="",
)

_PERCEPTRON_PARAMETERS_DOC = """
    %(eta0)s

    %(max_iter)s

    %(tol)s

    %(n_iter_no_change)s

    batch_size : int or 'full', default=1
        Samples per update. 1 is the classic online rule; 'full' updates once per
        epoch from the whole training set (the batch perceptron), which makes training
        independent of the sample order. See :ref:`maths-perceptron-rules`.

    %(shuffle)s

    %(random_state)s

    fit_intercept : bool, default=True
        Whether to learn a bias (threshold). If False it stays at zero.

    %(penalty)s

    %(alpha)s

    %(l1_ratio)s

    average : bool or int, default=False
        Averaged SGD (Polyak and Juditsky, 1992), as scikit-learn's
        :class:`~sklearn.linear_model.SGDClassifier`: True (the same as 1) or an int n makes ``coef_`` and ``intercept_`` the average
        of the weights after each sample's step from the n-th sample seen on (counted
        across epochs and ``partial_fit`` calls), and the running weights before that.
        Training goes on from the running weights, kept privately; the training loss
        of each epoch (``loss_curve_``, which ``tol`` watches), the validation score of
        early stopping and the weights it keeps are the averaged model's. Needs
        ``batch_size=1``. See :ref:`maths-averaging`.{average_note}

    %(early_stopping)s

    %(validation_fraction)s

    %(warm_start)s

    %(loss_threshold)s

    %(weight_init)s

    %(verbose)s
"""


def single_layer_plan(estimator, n_features, n_outputs, output_activation, loss,
                      out_activation):
    """The plan of a single layer whose units are ``output_activation`` trained on
    ``loss`` (``out_activation`` what its predictions apply): plain SGD at the rate
    ``eta0``, one sample at a time by default, and the loss's per-sample rule."""
    if estimator.average and estimator.batch_size != 1:
        raise ValueError(
            f"average={estimator.average!r} averages the weights after each sample's "
            f"step and needs batch_size=1, got batch_size={estimator.batch_size!r}."
        )
    network = Network(layer_units=(n_features, n_outputs), hidden_activations=(),
                      output_activation=get_activation(output_activation),
                      fit_intercept=estimator.fit_intercept)
    batch_size = estimator.batch_size
    return Plan(
        network=network, loss=loss, out_activation=out_activation, solver="sgd",
        optimizer=partial(SGD, learning_rate_init=estimator.eta0),
        batch=BatchRule(None if batch_size == "full" else batch_size, reshuffle=False),
        penalty=Penalty.of(estimator.penalty, estimator.alpha, estimator.l1_ratio),
        init=estimator.weight_init,  # no 'auto' scheme: no logistic factor to choose
        online=per_sample_rule(network, loss, plain_sgd=True,
                               average_from=int(estimator.average)),  # True is 1
    )


#: What both single-layer estimators say: a divergence's hint; that a file written
#: before ``penalty`` existed meant alpha > 0 as an L2 penalty; scikit-learn's linear
#: models stop when the no-improvement count reaches n_iter_no_change (its MLP when
#: the count exceeds it), and warn at max_iter in their words. They take
#: scikit-learn's linear-model interface from ``_linear``.
_DIVERGENCE_HINT = "a smaller eta0, or scaling the inputs and targets"
_LEGACY_PARAMETERS = {"penalty": "l2"}


_ACTIVATION_LOSSES = {"step": {"perceptron", "hinge"}, "logistic": {"log_loss"}}


_CLASSIFIER_PARAMETERS_DOC = _PERCEPTRON_PARAMETERS_DOC.replace("{average_note}", """
        With the perceptron rule this is the averaged perceptron, the voted
        perceptron's average (Freund and Schapire, 1999).""") + """
    activation : {'step', 'logistic'}, default='step'
        Output unit. 'step' goes with loss 'perceptron' or 'hinge', 'logistic' with
        'log_loss'. See :ref:`maths-activations`.

    loss : {'perceptron', 'hinge', 'log_loss'}, default='perceptron'
        'perceptron' updates on mistakes only (Rosenblatt's rule); 'hinge' also on
        correct samples within a margin of 1; 'log_loss' on every sample, in
        proportion to its error in probability. See :ref:`maths-losses` and
        :ref:`maths-perceptron-rule`.

    %(class_weight)s

    n_jobs : int or None, default=None
        Accepted for scikit-learn's ``Perceptron`` signature, and unused: its
        one-vs-all training runs one binary problem per class, possibly in parallel,
        where here every class's unit trains in the same pass over the data.
"""


@fill_doc(parameters=_CLASSIFIER_PARAMETERS_DOC,
          references=("rosenblatt", "freund_schapire", "polyak_juditsky", "tsuruoka",
                      "glorot_bengio", "he"),
          **_PERCEPTRON_DOC_DEFAULTS, eta0=1.0, random_state=0,
          random_state_note=" The default, 0, is scikit-learn's ``Perceptron``'s:\n"
                            "    a script that leaves it out is reproducible in both "
                            "libraries (they\n    shuffle differently, so their "
                            "models still differ).")
class PerceptronClassifier(NetworkClassifier):
    """Rosenblatt's perceptron: threshold units trained by the mistake-driven rule.

    Each class has one unit (two classes share one) computing ``z = x @ w + b`` and
    outputting ``step(z)`` (Rosenblatt, 1958). Training visits the samples one by one
    and, only when a sample is misclassified (``s * z <= 0``: a sample on the boundary
    counts as a mistake), moves the weights toward it: ``w += eta0 * s * x`` with
    ``s = +1`` for the true class and -1 otherwise. On linearly separable data this
    stops making mistakes after finitely many updates; on XOR it never can. The rule
    as a gradient step is in :ref:`maths-perceptron-rule`; the tutorial's
    :ref:`tutorial-and` and :ref:`tutorial-xor` follow it sample by sample.

    With ``activation='logistic', loss='log_loss'`` the same single layer is a logistic
    neuron (logistic regression by stochastic gradient descent, softmax for more than
    two classes) and has ``predict_proba``.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (n_outputs, n_features)
        The weights, one row per unit (``coefs_[0].T``).

    intercept_ : ndarray of shape (n_outputs,)
        The biases (``intercepts_[0]``).

    %(fitted_common)s

    See Also
    --------
    MLPClassifier : Adds hidden layers, which can learn XOR.
    sklearn.linear_model.Perceptron : scikit-learn's compiled perceptron.

    %(callbacks_notes)s

    %(references)s

    Examples
    --------
    The logical AND is linearly separable: the rule finds a line that separates the
    one positive sample from the others, and stops at the first epoch without a
    mistake (``tol=None`` leaves out the plateau rule, so that only such an epoch, or
    ``max_iter``, ends training).

    >>> import numpy as np
    >>> from skperceptron import PerceptronClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> clf = PerceptronClassifier(tol=None).fit(X, [0, 0, 0, 1])
    >>> clf.predict(X)
    array([0, 0, 0, 1])
    >>> clf.stop_reason_, clf.n_iter_
    ('converged', 9)

    The line is ``2 x1 + 2 x2 - 3 = 0``: the net input z is positive for (1, 1)
    alone, and ``predict`` gives class 1 where z > 0.

    >>> clf.coef_, clf.intercept_
    (array([[2., 2.]]), array([-3.]))
    >>> clf.decision_function(X)
    array([-3., -1., -1.,  1.])

    No line separates the classes of XOR: every epoch makes mistakes, and training
    stops when the loss has not improved for ``n_iter_no_change`` epochs, with half
    the samples wrong.

    >>> xor = PerceptronClassifier().fit(X, [0, 1, 1, 0])
    >>> xor.stop_reason_, xor.score(X, [0, 1, 1, 0])
    ('training_loss_plateau', 0.5)
    """

    _fits_single_class = False  # as scikit-learn's Perceptron
    _stratify_all_classes = True  # as scikit-learn's linear classifiers
    _divergence_hint, _legacy_parameters, _patience_offset = (
        _DIVERGENCE_HINT, {**_LEGACY_PARAMETERS, "n_jobs": None}, 0)
    _max_iter_words = "linear"
    fit, coef_, intercept_, sparsify, densify = LINEAR_MODEL_API

    _parameter_constraints: dict = {
        **NetworkClassifier._parameter_constraints,
        **_PERCEPTRON_CONSTRAINTS,
        "activation": [StrOptions(set(_ACTIVATION_LOSSES))],
        "loss": [StrOptions({"perceptron", "hinge", "log_loss"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        activation="step",
        loss="perceptron",
        eta0=1.0,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        batch_size=1,
        shuffle=True,
        random_state=0,
        fit_intercept=True,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        average=False,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        loss_threshold=None,
        weight_init="zeros",
        class_weight=None,
        n_jobs=None,
        verbose=0,
    ):
        self.activation = activation
        self.loss = loss
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.average = average
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.loss_threshold = loss_threshold
        self.weight_init = weight_init
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _plan(self, n_features, n_outputs):
        """A step unit is trained on its net input z (the perceptron criterion or the
        hinge: their gradient is the perceptron rule, and the step's zero derivative
        never enters), so the network trains with the identity as output; the step is
        the decision rule applied when predicting (``_targets.decode_labels``).
        """
        allowed = _ACTIVATION_LOSSES[self.activation]
        if self.loss not in allowed:
            raise ValueError(
                f"loss={self.loss!r} does not go with activation={self.activation!r}; "
                f"use loss in {sorted(allowed)}, or activation='logistic' with "
                "loss='log_loss' for a logistic neuron."
            )
        if self.activation == "step":
            output = "identity", get_loss(self.loss), "step"
        elif self._target_type == "multiclass":
            output = "softmax", get_loss("log_loss"), "softmax"
        else:
            output = "logistic", get_loss("binary_log_loss"), "logistic"
        return single_layer_plan(self, n_features, n_outputs, *output)

    @_fit_context(prefer_skip_nested_validation=True)
    @partial_fit_doc("labels", "classes", "sample_weight")
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        # scikit-learn's Perceptron order: classes before sample_weight.
        return self._partial_fit(X, y, sample_weight, classes)


_REGRESSOR_PARAMETERS_DOC = _PERCEPTRON_PARAMETERS_DOC.replace("{average_note}", "") + """
    loss : {'squared_error', 'absolute_error', 'huber'}, default='squared_error'
        Per-sample error: the delta rule uses the squared error; 'absolute_error' and
        'huber' are less sensitive to outliers. See :ref:`maths-losses`.

    %(huber_delta)s
"""


@fill_doc(parameters=_REGRESSOR_PARAMETERS_DOC,
          references=("widrow_hoff", "polyak_juditsky", "tsuruoka", "glorot_bengio",
                      "he"),
          **_PERCEPTRON_DOC_DEFAULTS, eta0=0.01, random_state=None, random_state_note="")
class PerceptronRegressor(NetworkRegressor):
    """Widrow and Hoff's linear neuron (ADALINE), trained by the delta rule.

    One linear unit per target computes ``z = x @ w + b``. Each sample moves the
    weights against the gradient of its squared error: ``w += eta0 * (y - z) * x``
    (the least-mean-squares rule of Widrow and Hoff, 1960; see
    :ref:`maths-delta-rule`). On noiseless linear data it converges to the
    least-squares solution.

    It takes scikit-learn's ``SGDRegressor`` signatures (``fit`` with ``coef_init``
    and ``intercept_init``, ``coef_``, ``sparsify``) and its parameters' defaults but
    two, which keep Widrow and Hoff's rule: no penalty (``SGDRegressor``: 'l2') and a
    constant rate (``SGDRegressor``: 'invscaling'). ``huber_delta`` is its
    ``epsilon``.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_outputs, n_features)
        The weights, one row per target (``coefs_[0].T``).

    intercept_ : ndarray of shape (n_outputs,)
        The biases (``intercepts_[0]``).

    %(fitted_common)s

    See Also
    --------
    MLPRegressor : Adds hidden layers for non-linear targets.

    %(callbacks_notes)s

    %(references)s

    Examples
    --------
    On points of the line y = 2 x + 1 the delta rule finds the line: each epoch
    shrinks the training loss about eightfold, until it reaches ``loss_threshold``.

    >>> import numpy as np
    >>> from skperceptron import PerceptronRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 2 * X.ravel() + 1
    >>> reg = PerceptronRegressor(eta0=0.05, tol=None, loss_threshold=1e-10,
    ...                           random_state=0).fit(X, y)
    >>> reg.coef_.round(3), reg.intercept_.round(3)
    (array([[2.]]), array([1.]))
    >>> [round(float(loss), 3) for loss in reg.loss_curve_[:3]]
    [6.773, 0.773, 0.098]
    >>> reg.stop_reason_
    'loss_threshold'
    >>> reg.predict([[10.0]]).round(3)
    array([21.])

    One outlier pulls the squared error's line toward it, as its gradient grows with
    the error; the absolute error's gradient does not, and its line stays close to
    y = 2 x + 1.

    >>> X = np.arange(10.0).reshape(-1, 1) / 10
    >>> y = 2 * X.ravel() + 1
    >>> y[-1] = 10.0  # instead of 2.8
    >>> for loss in ["squared_error", "absolute_error"]:
    ...     reg = PerceptronRegressor(loss=loss, random_state=0).fit(X, y)
    ...     print(f"{loss:15} slope {reg.coef_[0, 0]:.1f}, intercept {reg.intercept_[0]:.1f}")
    squared_error   slope 4.9, intercept 0.4
    absolute_error  slope 2.0, intercept 1.0
    """

    _parameter_constraints: dict = {
        **NetworkRegressor._parameter_constraints,
        **_PERCEPTRON_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        loss="squared_error",
        eta0=0.01,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        batch_size=1,
        shuffle=True,
        random_state=None,
        fit_intercept=True,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        average=False,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        loss_threshold=None,
        weight_init="zeros",
        huber_delta=1.0,
        verbose=0,
    ):
        self.loss = loss
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.average = average
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.loss_threshold = loss_threshold
        self.weight_init = weight_init
        self.huber_delta = huber_delta
        self.verbose = verbose

    _divergence_hint, _legacy_parameters, _patience_offset = (
        _DIVERGENCE_HINT, _LEGACY_PARAMETERS, 0)
    _max_iter_words = "linear"
    fit, coef_, intercept_, sparsify, densify = LINEAR_MODEL_API

    def _plan(self, n_features, n_outputs):
        """A linear unit: the identity as output activation."""
        if self.loss == "huber":
            output = "identity", get_loss("huber", delta=self.huber_delta), "identity"
        else:
            output = "identity", get_loss(self.loss), "identity"
        return single_layer_plan(self, n_features, n_outputs, *output)
