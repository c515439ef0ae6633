"""What a regressor adds to the base: real-valued targets, one output unit per column."""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._estimator import BaseNetwork, check_partial_fit
from ._utils.compat import _fit_context
from ._docstrings import input_doc
from ._targets import encode_values


class NetworkRegressor(RegressorMixin, BaseNetwork):
    """Real-valued targets, one output unit per target column."""

    def _learn_targets(self, y, *, first_pass, classes):
        """Real values have no set to learn."""

    def _encode_targets(self, y, dtype):
        return encode_values(y, dtype, nonnegative=self.loss == "poisson")

    @available_if(check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with exactly one pass over (X, y).

        ``max_iter``, ``tol`` and early stopping do not apply: each call is one epoch
        over the data given, with the optimizer's state carried over between calls.
        It starts from ``coefs_`` and ``intercepts_``: the fitted weights, or starting
        weights of your own assigned to them (see ``warm_start``). For callbacks set
        with ``set_callbacks``, each call is one task, ended on the updated model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _score_output(self, P, y, sample_weight):
        return r2_score(y, P.ravel() if P.shape[1] == 1 else P, sample_weight=sample_weight)

    @input_doc
    def predict(self, X):
        """Predict target values for the samples in X.

        %(input)s

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        P = self._output(X)
        return P.ravel() if self.n_outputs_ == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
