"""What a classifier adds to the base: labels in, labels out, probabilities.

One output unit per class (one in total for two classes, one per label for multilabel
targets); the encoding of the labels is in ``_targets``.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target

from ._estimator import BaseNetwork, check_partial_fit
from ._utils.compat import _fit_context
from ._docstrings import input_doc, partial_fit_doc
from ._engine.losses import LOSSES
from ._targets import check_same_labels, decode_labels, encode_labels, fit_labels


def _loss_gives_probabilities(estimator):
    """Whether the loss trains probabilities: then ``predict_proba`` exists."""
    loss = LOSSES.get(estimator.loss) if isinstance(estimator.loss, str) else None
    return loss is not None and loss.gives_probabilities


class NetworkClassifier(ClassifierMixin, BaseNetwork):
    """Labels in, labels out: one output unit per class (one in total for two classes).

    Data of a single class is fitted as scikit-learn's MLPClassifier fits it: one unit
    trained toward 0, ``predict`` giving that class and ``predict_proba`` two columns
    (1 - p, p). A subclass that refuses it, as scikit-learn's linear classifiers do,
    sets ``_fits_single_class = False``.

    The early-stopping hold-out is stratified as scikit-learn's MLPClassifier
    stratifies it: for a single output unit only (two classes, or one), since it
    asks whether the network has one output. Multiclass targets are split at random.
    A subclass that stratifies every single-output target, as scikit-learn's linear
    classifiers do, sets ``_stratify_all_classes = True``.
    """

    _fits_single_class = True
    _stratify_all_classes = False
    _plain_target_kinds = "iub"  # integer labels (checked by ``_targets``)

    def _learn_targets(self, y, *, first_pass, classes):
        """Learn the label set (first pass) or check that y and classes keep to it."""
        if not first_pass:
            check_same_labels(
                y, self.classes_, classes=classes, warm_start=self.warm_start,
                multilabel=self._target_type == "multilabel-indicator",
            )
            return
        self._label_binarizer = fit_labels(y, classes)
        if len(self._label_binarizer.classes_) < 2 and not self._fits_single_class:
            raise ValueError("The number of classes has to be greater than one; got 1 class")
        self.classes_ = self._label_binarizer.classes_
        self._target_type = self._label_binarizer.y_type_

    def _encode_targets(self, y, dtype, name="y"):
        """{0, 1} columns of the labels; an unknown label is reported in ``name``."""
        return encode_labels(y, self.classes_, self._target_type, self._label_binarizer,
                             dtype, name=name)

    def _sample_weight(self, X, y, sample_weight):
        """Validated sample weights times the class weights, or None when all are 1."""
        sample_weight = super()._sample_weight(X, y, sample_weight)
        if self.class_weight is None:
            return sample_weight
        if self._target_type == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel targets.")
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        per_sample = weights[np.searchsorted(self.classes_, y)].astype(np.float64)
        return per_sample if sample_weight is None else sample_weight * per_sample

    @available_if(check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    @partial_fit_doc("labels", "sample_weight", "classes")
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._partial_fit(X, y, sample_weight, classes)

    def _partial_fit(self, X, y, sample_weight, classes):
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None and not type_of_target(y).startswith("multilabel"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' needs the class frequencies of the whole data "
                "set, which partial_fit does not see. Pass a dict of weights, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _decode(self, P):
        """Labels from the network output (see ``_targets.decode_labels``)."""
        return decode_labels(P, self.classes_, self._target_type, self._label_binarizer,
                             on_scores=self._loss.on_scores)

    def _score_output(self, P, y, sample_weight):
        return accuracy_score(y, self._decode(P), sample_weight=sample_weight)

    @input_doc
    def predict(self, X):
        """Predict class labels for the samples in X.

        %(input)s

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels (an indicator matrix for multilabel targets).
        """
        return self._decode(self._output(X))

    @input_doc
    def decision_function(self, X):
        """Score of each class: the output layer's net input, before its activation.

        The raw scores the perceptron and hinge losses predict from; for the
        log-loss, the logits, whose logistic function (softmax over the classes) is
        ``predict_proba``, as in scikit-learn's ``LogisticRegression``. Tools that
        need a continuous score
        (``roc_auc_score``, ``RocCurveDisplay``, ``CalibratedClassifierCV``,
        ``TunedThresholdClassifierCV``) read it here when there is no
        ``predict_proba`` (``loss="hinge"`` or ``"perceptron"``).

        %(input)s

        Returns
        -------
        scores : ndarray of shape (n_samples,), (n_samples, n_classes) or \
(n_samples, n_labels)
            For two classes one score per sample, positive where ``predict`` gives
            ``classes_[1]``; for more classes one column per class, ordered as
            ``classes_``, the highest predicted; for multilabel targets one column
            per label, the label predicted where its score is positive.
        """
        Z = self._output(X, apply_output=False)
        return Z.ravel() if Z.shape[1] == 1 else Z

    @available_if(_loss_gives_probabilities)
    @input_doc
    def predict_proba(self, X):
        """Probability of each class for the samples in X.

        Available when ``loss="log_loss"``.

        %(input)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        P = self._output(X)
        if P.shape[1] == 1:
            p = P.ravel()
            return np.column_stack([1 - p, p])
        return P

    @available_if(_loss_gives_probabilities)
    @input_doc
    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba(X)``.

        %(input)s

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
