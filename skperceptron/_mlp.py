"""Multi-layer perceptrons: one or more hidden layers trained by backpropagation.

``MLPClassifier`` and ``MLPRegressor`` accept every constructor parameter of
scikit-learn's estimators of the same names, with the same meaning and defaults, and
add more losses and activations, weight initialisers, class weights, an absolute loss
threshold and a validation set of your own.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np

from ._classifier import NetworkClassifier
from ._docstrings import MLP_DOC_DEFAULTS, MLP_PARAMETERS_DOC, fill_doc
from ._engine.activations import HIDDEN_ACTIVATIONS, get_activation
from ._engine.initializers import INITIALIZERS
from ._engine.losses import get_loss
from ._engine.network import Network
from ._engine.penalty import Penalty
from ._regressor import NetworkRegressor
from ._controls import (
    CONTROL_CONSTRAINTS,
    CONTROLS_DOC,
    check_batch_norm,
    check_lbfgs,
    clipping,
    frozen_layers,
    no_hidden_layer,
    optimizer,
)
from ._training.online import per_sample_rule
from ._training.plan import BatchRule, Plan
from ._utils.compat import Interval, StrOptions

_MLP_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "weight_init": [StrOptions({"auto", *INITIALIZERS})],
    "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "batch_norm": ["boolean"],
    # 0 would leave the running statistics at their start (mean 0, variance 1) forever.
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
    **CONTROL_CONSTRAINTS,
}





def _hidden_layers(estimator):
    """(sizes, activation names) of the hidden layers, checked."""
    sizes = estimator.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
        raise ValueError(f"hidden_layer_sizes must contain integers, got {sizes}.")
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    activations = estimator.activation
    if isinstance(activations, str):
        activations = [activations] * len(sizes)
    else:
        activations = list(activations)
        if len(activations) != len(sizes):
            raise ValueError(
                f"activation has {len(activations)} entries but there are "
                f"{len(sizes)} hidden layers: give one name or one per hidden layer."
            )
        unknown = [a for a in activations if a not in HIDDEN_ACTIVATIONS]
        if unknown:
            raise ValueError(
                f"Unknown hidden activation(s) {unknown}; expected names among "
                f"{sorted(HIDDEN_ACTIVATIONS)}."
            )
    return sizes, activations


def _dropout_rates(estimator, n_hidden):
    """One dropout rate per hidden layer, checked: one rate for all of them, or a 1-d
    array-like (list, tuple, numpy array) of one rate per hidden layer."""
    value = estimator.dropout
    shape = _shape(value)
    if shape is None or len(shape) > 1:
        got = "a ragged sequence" if shape is None else f"an array of shape {shape}"
        raise ValueError("dropout must be one rate, or a 1-d array-like of one rate per "
                         f"hidden layer; got {got}.")
    rates = [np.asarray(value).item()] if shape == () else list(value)
    if not n_hidden and any(rates):
        no_hidden_layer(f"dropout={value!r}", "dropout=0")
    if shape and len(rates) != n_hidden:
        raise ValueError(
            f"dropout has {len(rates)} entries but there are {n_hidden} hidden "
            "layers: give one rate or one per hidden layer."
        )
    for rate in rates:
        if not isinstance(rate, Real) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"dropout rates must be numbers in [0, 1), got {value!r}.")
    return tuple(float(rate) for rate in rates) * (1 if shape else n_hidden)


def _shape(value):
    """The shape of ``value`` as an array; None for a ragged sequence."""
    try:
        return np.shape(value)
    except ValueError:  # numpy refuses sequences of sequences of different lengths
        return None


def _logistic_layers(estimator, hidden):
    """The weight layers of scikit-learn's factor 2 in the 'auto' initialisation: it
    uses it for every layer of a logistic network; with one activation per hidden
    layer (``hidden``, their names), each layer follows the hidden layer it feeds (the
    output layer follows the last one). Without a hidden layer scikit-learn still reads
    ``activation``."""
    names = hidden or [estimator.activation]
    return frozenset(i for i in range(len(hidden) + 1)
                     if names[min(i, len(names) - 1)] == "logistic")


def mlp_plan(estimator, n_features, n_outputs, output_activation, loss, out_activation):
    """The plan of a multi-layer perceptron whose output layer is ``output_activation``
    trained on ``loss`` (``out_activation`` what its predictions apply): the hidden
    layers, the solver, scikit-learn's batch rule and initialisation, the penalty."""
    sizes, activations = _hidden_layers(estimator)
    rates = _dropout_rates(estimator, len(sizes))
    check_batch_norm(estimator, len(sizes))
    check_lbfgs(estimator, rates)
    bounds = clipping(estimator)
    network = Network(
        layer_units=(n_features, *sizes, n_outputs),
        hidden_activations=tuple(get_activation(a) for a in activations),
        output_activation=get_activation(output_activation),
        dropout=rates,
        batch_norm=estimator.batch_norm,
        frozen=frozen_layers(estimator, len(sizes) + 1),
    )
    batch = (BatchRule(200) if estimator.batch_size == "auto"
             else BatchRule(estimator.batch_size, warn=True))
    plain_sgd = (estimator.solver == "sgd" and estimator.momentum == 0
                 and estimator.learning_rate == "constant" and not estimator.warmup_epochs
                 and not bounds)
    return Plan(
        network=network, loss=loss, out_activation=out_activation,
        solver=estimator.solver, optimizer=optimizer(estimator),
        batch=batch if estimator.solver != "lbfgs" else BatchRule(),
        penalty=Penalty.of(estimator.penalty, estimator.alpha, estimator.l1_ratio),
        init=estimator.weight_init, logistic_layers=_logistic_layers(estimator, activations),
        online=per_sample_rule(network, loss, plain_sgd),
        norm_momentum=estimator.batch_norm_momentum,
        clipping=bounds,
    )


@fill_doc(parameters=MLP_PARAMETERS_DOC + CONTROLS_DOC + """
    loss : {'log_loss', 'hinge'}, default='log_loss'
        'log_loss' trains probabilities (``predict_proba``); 'hinge' trains one score
        per class with a margin of 1 and predicts the highest score (or the sign for
        two classes). See :ref:`maths-losses` and :ref:`maths-canonical-pairs`.

    %(class_weight)s
""", **MLP_DOC_DEFAULTS)
class MLPClassifier(NetworkClassifier):
    """Multi-layer perceptron classifier.

    A feed-forward network trained by backpropagation (Rumelhart, Hinton and
    Williams, 1986; see :ref:`maths-forward` and :ref:`maths-backward`): the
    log-loss (cross-entropy) with a logistic output for two classes or multilabel
    targets and a softmax output for more classes, or the hinge loss on raw scores.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(fitted_common)s

    %(fitted_batch_norm)s

    See Also
    --------
    MLPRegressor : The same network for regression.
    PerceptronClassifier : A single layer of threshold or logistic units.

    %(callbacks_notes)s

    %(references)s

    Examples
    --------
    XOR, which no single layer can learn (see :class:`PerceptronClassifier`), takes
    a hidden layer: its four units map the points to where one line separates them.

    >>> import numpy as np
    >>> from skperceptron import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
    ...                     random_state=0).fit(X, y)
    >>> clf.predict(X)
    array([0, 1, 1, 0])
    >>> clf.predict_proba(X)[:, 1].round(2)  # P(y = 1)
    array([0., 1., 1., 0.])
    >>> clf.stop_reason_
    'converged'

    Weights from 2 inputs to 4 hidden units, then to one logistic output unit, which
    two classes share (more classes get one unit each, and a softmax).

    >>> [W.shape for W in clf.coefs_], clf.out_activation_
    ([(2, 4), (4, 1)], 'logistic')
    """

    _parameter_constraints: dict = {
        **NetworkClassifier._parameter_constraints,
        **_MLP_CONSTRAINTS,
        "loss": [StrOptions({"log_loss", "hinge"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        loss="log_loss",
        weight_init="auto",
        class_weight=None,
        loss_threshold=None,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        batch_norm=False,
        batch_norm_momentum=0.1,
        decay_rate=None,
        decay_epochs=None,
        warmup_epochs=0,
        weight_decay=None,
        rho=0.99,
        clip_grad_norm=None,
        clip_grad_value=None,
        frozen_layers=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.weight_init = weight_init
        self.class_weight = class_weight
        self.loss_threshold = loss_threshold
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.decay_rate = decay_rate
        self.decay_epochs = decay_epochs
        self.warmup_epochs = warmup_epochs
        self.weight_decay = weight_decay
        self.rho = rho
        self.clip_grad_norm = clip_grad_norm
        self.clip_grad_value = clip_grad_value
        self.frozen_layers = frozen_layers

    def _plan(self, n_features, n_outputs):
        """Raw scores for the hinge; softmax over classes, else logistic units."""
        if self.loss == "hinge":
            output = "identity", get_loss("hinge"), "identity"
        elif self._target_type == "multiclass":
            output = "softmax", get_loss("log_loss"), "softmax"
        else:
            output = "logistic", get_loss("binary_log_loss"), "logistic"
        return mlp_plan(self, n_features, n_outputs, *output)


@fill_doc(parameters=MLP_PARAMETERS_DOC + CONTROLS_DOC + """
    loss : {'squared_error', 'absolute_error', 'huber', 'poisson'}, \
default='squared_error'
        'squared_error' is half the squared error, 'poisson' half the Poisson deviance
        with a log link (the output is ``exp(z)``; requires ``y >= 0``), 'huber' is
        squared within ``huber_delta`` of the target and absolute beyond (see
        :ref:`maths-losses`).

    %(huber_delta)s
""", **MLP_DOC_DEFAULTS)
class MLPRegressor(NetworkRegressor):
    """Multi-layer perceptron regressor.

    A feed-forward network trained by backpropagation (Rumelhart, Hinton and
    Williams, 1986; see :ref:`maths-forward` and :ref:`maths-backward`), with a
    linear output (an exponential one for the Poisson loss), one unit per target.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(fitted_common)s

    %(fitted_batch_norm)s

    See Also
    --------
    MLPClassifier : The same network for classification.
    PerceptronRegressor : A single linear neuron (ADALINE).

    %(callbacks_notes)s

    %(references)s

    Examples
    --------
    Ten relu units, a sum of ten ramps, follow the parabola y = x² on [-1, 1] to
    within 0.05 at every point of the data.

    >>> import numpy as np
    >>> from skperceptron import MLPRegressor
    >>> X = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> y = X.ravel() ** 2
    >>> reg = MLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs",
    ...                    random_state=0).fit(X, y)
    >>> round(float(np.abs(reg.predict(X) - y).max()), 2)
    0.05

    Beyond the data the network goes on along its last ramp, a straight line, where
    the parabola curves up: at x = 2 it predicts 2.7, not 4.

    >>> reg.predict([[2.0]]).round(1)
    array([2.7])
    """

    _parameter_constraints: dict = {
        **NetworkRegressor._parameter_constraints,
        **_MLP_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber", "poisson"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        loss_threshold=None,
        huber_delta=1.0,
        penalty="l2",
        l1_ratio=0.15,
        dropout=0.0,
        batch_norm=False,
        batch_norm_momentum=0.1,
        decay_rate=None,
        decay_epochs=None,
        warmup_epochs=0,
        weight_decay=None,
        rho=0.99,
        clip_grad_norm=None,
        clip_grad_value=None,
        frozen_layers=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_init = weight_init
        self.loss_threshold = loss_threshold
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.decay_rate = decay_rate
        self.decay_epochs = decay_epochs
        self.warmup_epochs = warmup_epochs
        self.weight_decay = weight_decay
        self.rho = rho
        self.clip_grad_norm = clip_grad_norm
        self.clip_grad_value = clip_grad_value
        self.frozen_layers = frozen_layers
        self.huber_delta = huber_delta

    def _plan(self, n_features, n_outputs):
        """exp(z) for the Poisson loss (its log link), the identity otherwise."""
        if self.loss == "poisson":
            output = "exp", get_loss("poisson"), "exp"
        elif self.loss == "huber":
            output = "identity", get_loss("huber", delta=self.huber_delta), "identity"
        else:
            output = "identity", get_loss(self.loss), "identity"
        return mlp_plan(self, n_features, n_outputs, *output)
