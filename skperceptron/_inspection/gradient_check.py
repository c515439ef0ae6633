"""Finite-difference check of the backpropagated gradients.

Central differences approximate each partial derivative of the objective J::

    dJ/dtheta_k ~ (J(theta + h e_k) - J(theta - h e_k)) / (2 h)

with an error of order h^2 (truncation) plus eps_machine / h (rounding); h = 1e-6 keeps
both near 1e-10 in float64, far below the 1e-6 that flags a wrong gradient.
"""

import dataclasses

import numpy as np
from sklearn.utils import check_random_state

from .._engine.layers import TrainingPass
from .._engine.network import forward, loss_and_gradients, objective
from .._estimator import BaseNetwork
from .._utils.warnings import warn_user


def check_gradients(
    estimator, X, y, *, sample_weight=None, epsilon=1e-6, max_params=None, random_state=0
):
    """Compare the backpropagated gradient with central finite differences.

    The objective is the one ``fit`` minimises (loss, sample weights, penalty) at
    the estimator's current weights if it is fitted, or at the weights ``fit`` would
    start from otherwise, in training mode: batch normalization uses the statistics
    of ``X`` as one batch, and dropout one set of masks (drawn from ``random_state``)
    held fixed while the weights vary. The L1 penalty's gradient is exact away from
    zero weights only. The estimator is not changed. The method, and the choice of
    the step, are in :ref:`maths-gradient-check`.

    Piecewise-linear losses have kinks where their gradient jumps: the perceptron
    criterion at a net input z = 0, the hinge at a margin s z = 1, the absolute error
    where the output equals the target. There the loss has no derivative:
    backpropagation takes one side's and the central difference averages the two, so
    a sample exactly on a kink makes the result meaningless, and a UserWarning says
    so (the result is returned all the same). ``PerceptronClassifier``'s default
    starting weights (zeros) put every sample on the perceptron criterion's kink:
    check it from weights off the kink (e.g. ``weight_init="glorot_uniform"``), or
    once fitted.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, PerceptronClassifier or PerceptronRegressor
        The estimator whose gradient is checked.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Inputs. Use float64 data: float32 rounding dominates finite differences.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    epsilon : float, default=1e-6
        Finite-difference step h.
    max_params : int or None, default=None
        Check only this many randomly chosen parameters (all when None).
    random_state : int, RandomState instance or None, default=0
        Chooses the parameters when ``max_params`` is set, and the dropout masks.

    Returns
    -------
    relative_error : float
        ``||g_backprop - g_numeric|| / max(||g_backprop|| + ||g_numeric||, tiny)``
        over the checked parameters: about 1e-9 or less for a correct gradient.

    Examples
    --------
    Backpropagation through two tanh layers and the L2 penalty agrees with the
    finite differences to about 1e-9, far below the 1e-6 that would flag a wrong
    gradient:

    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import MLPClassifier, check_gradients
    >>> X, y = make_classification(n_samples=20, n_features=4, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh", alpha=0.1,
    ...                     random_state=0)
    >>> check_gradients(clf, X, y) < 1e-8
    True

    The step h trades two errors. A large one leaves the truncation error of order
    h², and in float32 the rounding of each loss swamps the difference of two:

    >>> round(check_gradients(clf, X, y, epsilon=1e-2), 5)
    3e-05
    >>> check_gradients(clf, X.astype(np.float32), y) > 1e-3
    True
    """
    if not isinstance(estimator, BaseNetwork):
        hint = (" Pass the estimator itself, e.g. the last step of a pipeline "
                "(pipeline[-1])." if hasattr(estimator, "steps") else "")
        raise TypeError(
            "check_gradients checks skperceptron's estimators (MLPClassifier, "
            "MLPRegressor, PerceptronClassifier or PerceptronRegressor), got "
            f"{type(estimator).__name__}.{hint}"
        )
    network, loss, params, data, alpha, l1 = estimator._gradient_problem(X, y, sample_weight)
    # Every layer is checked: frozen layers (``frozen_layers``) skip their gradient in
    # training, which finite differences would otherwise find missing.
    network = dataclasses.replace(network, frozen=frozenset())
    X, Y, sw = data.X, data.Y, data.sample_weight
    rng = check_random_state(random_state)
    mode = None
    if network.trains_differently:
        mode = TrainingPass(rng, sw, hold=True)
    _, grads = loss_and_gradients(network, loss, params, X, Y, sw, alpha, l1=l1, mode=mode)
    analytic = grads.flat.astype(np.float64)
    _warn_on_kinks(estimator, network, loss, params, X, Y, mode)

    # Without fit_intercept the biases are constants, not parameters: leave them out;
    # the running statistics of batch normalization are not parameters either.
    candidates = np.arange(params.n_trainable)
    if not network.fit_intercept:
        n_biases = sum(b.shape[0] for b in params.intercepts)
        candidates = np.delete(candidates, np.s_[params.n_coef : params.n_coef + n_biases])
    if max_params is None or max_params >= candidates.shape[0]:
        indices = candidates
    else:
        indices = np.sort(rng.choice(candidates, size=max_params, replace=False))

    numeric = finite_difference_gradient(
        network, loss, params, X, Y, sw, alpha, indices=indices, epsilon=epsilon, l1=l1,
        mode=mode,
    )
    analytic = analytic[indices]
    denominator = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), np.finfo(float).tiny)
    return float(np.linalg.norm(analytic - numeric) / denominator)


#: Where each loss with a kink has it, as a function of targets Y and outputs P (the
#: net input: these losses are trained on an identity output), and how to say it.
_KINKS = {
    "perceptron": (lambda Y, P: P == 0, "a net input of exactly 0"),
    "hinge": (lambda Y, P: (2 * Y - 1) * P == 1, "a margin s z of exactly 1"),
    "absolute_error": (lambda Y, P: P == Y, "an output exactly equal to its target"),
}


def _warn_on_kinks(estimator, network, loss, params, X, Y, mode):
    """Warn when a sample's output sits exactly on a kink of the loss (``_KINKS``)."""
    if loss.name not in _KINKS:
        return
    on_kink, where = _KINKS[loss.name]
    P = forward(network, params, X, mode=mode, cache=False)[-1]
    n_on_kink = int(on_kink(Y, P).any(axis=1).sum())
    if not n_on_kink:
        return
    verb = "sits" if n_on_kink == 1 else "sit"
    warn_user(
        f"{n_on_kink} of {P.shape[0]} samples {verb} on the kink of the {loss.name} loss "
        f"({where}), where it has no derivative: the gradient check means little "
        "there. Check from starting weights off the kink (e.g. "
        f"{type(estimator).__name__}(weight_init='glorot_uniform')), or after fitting.",
        UserWarning,
    )


def finite_difference_gradient(
    network, loss, params, X, Y, sample_weight=None, alpha=0.0, *, indices=None,
    epsilon=1e-6, l1=0.0, mode=None,
):
    """Central differences of the objective for the parameters ``indices`` (all if None).

    Each parameter is moved by +-epsilon in place and put back exactly as it was.
    """
    theta = params.flat
    if indices is None:
        indices = np.arange(theta.shape[0])
    numeric = np.empty(len(indices))
    for j, k in enumerate(indices):
        original = theta[k]
        theta[k] = original + epsilon
        upper = objective(network, loss, params, X, Y, sample_weight, alpha, l1, mode)
        theta[k] = original - epsilon
        lower = objective(network, loss, params, X, Y, sample_weight, alpha, l1, mode)
        theta[k] = original
        numeric[j] = (upper - lower) / (2 * epsilon)
    return numeric
