"""scikit-learn's linear-model interface of the single-layer estimators.

``fit(X, y, coef_init, intercept_init, sample_weight)`` as scikit-learn's linear models
take it, ``coef_`` and ``intercept_`` that write through to ``coefs_[0]`` and
``intercepts_[0]``, and ``sparsify``/``densify``. ``LINEAR_MODEL_API`` is what the two
classes of ``_perceptron`` take from here.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._estimator import BaseNetwork
from ._fitted import check_init
from ._utils.compat import _fit_context

_INIT_DOC = """
        coef_init : array-like of shape (n_outputs, n_features), default=None
            Starting weights, in ``coef_``'s shape (``(n_features,)`` is taken for one
            output unit). They replace those of ``weight_init``, or with
            ``warm_start=True`` the fitted ones.

        intercept_init : array-like of shape (n_outputs,), default=None
            Starting biases (a scalar for one output unit); needs ``fit_intercept``.
"""


@_fit_context(prefer_skip_nested_validation=True)
def _fit_single_layer(self, X, y, coef_init=None, intercept_init=None, sample_weight=None,
                      *, X_val=None, y_val=None):
    return self._fit(X, y, sample_weight, X_val, y_val, init=(coef_init, intercept_init))


# scikit-learn's linear models' signature: the starting weights after y.
_fit_single_layer.__doc__ = BaseNetwork.fit.__doc__.replace(
    "\n\n        sample_weight :", "\n" + _INIT_DOC + "\n        sample_weight :", 1)


def _get_coef(estimator):
    return estimator.coefs_[0].T


def _set_coef(estimator, value):
    """``coef_ = value`` writes through to ``coefs_[0]``: checked against the fitted
    shape and dtype (on an estimator never fitted, a starting point for ``warm_start``
    or ``partial_fit``, checked when training starts). A sparse matrix stays sparse,
    as after ``sparsify``."""
    fitted = hasattr(estimator, "coefs_")
    keep_sparse = sp.issparse(value)
    shape = (estimator.coefs_[0].shape[::-1] if fitted
             else np.shape(value) if np.ndim(value) != 1 else (1, np.shape(value)[0]))
    if len(shape) != 2:
        raise ValueError(f"coef_ must be a 2-d array (n_outputs, n_features), got shape "
                         f"{shape}.")
    dtype = estimator.coefs_[0].dtype if fitted else np.float64
    coef = check_init("coef_", value, shape, dtype)
    estimator.coefs_ = [sp.csr_matrix(coef).T if keep_sparse else coef.T]


def _get_intercept(estimator):
    return estimator.intercepts_[0]


def _set_intercept(estimator, value):
    """``intercept_ = value`` writes through to ``intercepts_[0]``, as ``coef_``."""
    fitted = hasattr(estimator, "intercepts_")
    shape = estimator.intercepts_[0].shape if fitted else (max(np.size(value), 1),)
    dtype = estimator.intercepts_[0].dtype if fitted else np.float64
    estimator.intercepts_ = [check_init("intercept_", value, shape, dtype)]


def _sparsify(self):
    """Hold ``coef_`` as a scipy.sparse CSR matrix, as scikit-learn's linear models do.

    Worth it when most weights are exactly zero (an L1 or elastic-net penalty, see
    :ref:`maths-penalties`): the sparse matrix takes about 12 bytes per non-zero
    weight (float64) against 8 per weight. Prediction reads the sparse weights as they are; ``densify`` turns them
    back, and ``fit``, ``partial_fit`` and ``warm_start`` start from their dense form
    (the trained weights are dense again). The intercept stays dense.

    Returns
    -------
    self : object
        The estimator.
    """
    check_is_fitted(self)
    self.coefs_ = [sp.csr_matrix(self.coefs_[0].T).T]  # coef_ (CSR) seen as coefs_[0]
    return self


def _densify(self):
    """Hold ``coef_`` as a numpy array again (undoes ``sparsify``; otherwise nothing).

    Returns
    -------
    self : object
        The estimator.
    """
    check_is_fitted(self)
    if sp.issparse(self.coefs_[0]):
        self.coefs_ = [self.coefs_[0].toarray()]
    return self


_COEF = property(_get_coef, _set_coef,
                 doc="Weights as in scikit-learn's linear models: shape (n_outputs, "
                     "n_features), ``coefs_[0].T``; assigning writes through.")
_INTERCEPT = property(_get_intercept, _set_intercept,
                      doc="Biases, shape (n_outputs,), ``intercepts_[0]``; assigning "
                          "writes through.")
#: fit, coef_, intercept_, sparsify, densify
LINEAR_MODEL_API = _fit_single_layer, _COEF, _INTERCEPT, _sparsify, _densify


