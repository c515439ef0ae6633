"""What a regressor adds to the base: real-valued targets, one output unit per column."""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._estimator import BaseNetwork, check_partial_fit
from ._utils.compat import _fit_context
from ._docstrings import input_doc, partial_fit_doc
from ._targets import encode_values


class NetworkRegressor(RegressorMixin, BaseNetwork):
    """Real-valued targets, one output unit per target column."""

    def _learn_targets(self, y, *, first_pass, classes):
        """Real values have no set to learn."""

    def _encode_targets(self, y, dtype):
        return encode_values(y, dtype, nonnegative=self.loss == "poisson")

    @available_if(check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    @partial_fit_doc("values", "sample_weight")
    def partial_fit(self, X, y, sample_weight=None):
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
