"""Finite-difference check of the backpropagated gradients.

Central differences approximate each partial derivative of the objective J::

    dJ/dtheta_k ~ (J(theta + h e_k) - J(theta - h e_k)) / (2 h)

with an error of order h^2 (truncation) plus eps_machine / h (rounding); h = 1e-6 keeps
both near 1e-10 in float64, far below the 1e-6 that flags a wrong gradient.
"""

import numpy as np
from sklearn.utils import check_random_state

from .._engine.layers import TrainingPass
from .._engine.network import loss_and_gradients, objective


def check_gradients(
    estimator, X, y, *, sample_weight=None, epsilon=1e-6, max_params=None, random_state=0
):
    """Compare the backpropagated gradient with central finite differences.

    The objective is the one ``fit`` minimises (loss, sample weights, penalty) at
    the estimator's current weights if it is fitted, or at the weights ``fit`` would
    start from otherwise, in training mode: batch normalization uses the statistics
    of ``X`` as one batch, and dropout one set of masks (drawn from ``random_state``)
    held fixed while the weights vary. The L1 penalty's gradient is exact away from
    zero weights only. The estimator is not changed.

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
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import MLPClassifier, check_gradients
    >>> X, y = make_classification(n_samples=20, n_features=4, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh", alpha=0.1,
    ...                     random_state=0)
    >>> check_gradients(clf, X, y) < 1e-6
    True
    """
    network, loss, params, data, alpha, l1 = estimator._gradient_problem(X, y, sample_weight)
    X, Y, sw = data.X, data.Y, data.sample_weight
    rng = check_random_state(random_state)
    mode = None
    if network.trains_differently:
        mode = TrainingPass(rng, sw, hold=True)
    _, grads = loss_and_gradients(network, loss, params, X, Y, sw, alpha, l1=l1, mode=mode)
    analytic = grads.flat.astype(np.float64)

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
