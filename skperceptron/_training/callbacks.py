"""scikit-learn's callbacks (``sklearn.callback``, experimental since scikit-learn 1.9).

A fit is a tree of tasks that the callbacks set with ``set_callbacks`` watch: the root
task is the call to ``fit`` ("fit"), with one subtask per epoch ("epoch"), or per
L-BFGS iteration ("iteration"), at most ``max_iter`` of them. A call to
``partial_fit`` is one task ("partial_fit") without subtasks. Each task's begin and
end hooks receive X, y as given to the call, the sample weights as metadata
(``{"sample_weight": ...}``, or None), and, for a callback that asks for it, the model
of that moment: a copy of the estimator with the weights of the epoch's start or end
(``_model_attributes``), which ``ScoringMonitor`` scores. A root task ends on the
fitted estimator.

An epoch's end hook may ask training to stop: the fit then ends after that epoch with
``stop_reason_ == "callback"`` on the weights the hook saw (early stopping's best ones
with ``early_stopping=True``, as for every stop). The training loops
(``_training``, ``_lbfgs``) call the methods of ``FitTasks`` below; they import
nothing from here. Without callbacks nothing of this runs: ``start_fit_tasks`` returns
None.

With scikit-learn before 1.9 (``_compat.sklearn_callback`` is None) the estimators
have no ``set_callbacks``: asking for it raises an AttributeError that says so.
"""

import sklearn
from sklearn.utils.metaestimators import available_if

from .._utils import compat as _compat


def _callbacks_supported(estimator):
    """``available_if`` check: scikit-learn has its callback API."""
    if _compat.sklearn_callback is None:
        raise AttributeError(
            "set_callbacks needs scikit-learn's callback API (sklearn.callback), "
            f"which scikit-learn 1.9 introduced; scikit-learn {sklearn.__version__} is "
            "installed."
        )
    return True


_Support = object if _compat.sklearn_callback is None else (
    _compat.sklearn_callback.CallbackSupportMixin)


class CallbacksMixin(_Support):
    """``set_callbacks`` where scikit-learn has callbacks (see the module)."""

    @available_if(_callbacks_supported)
    def set_callbacks(self, *callbacks):
        """Set the callbacks that watch each fit (scikit-learn >= 1.9, experimental).

        Callbacks of ``sklearn.callback``, such as ``ProgressBar`` and
        ``ScoringMonitor``, see each ``fit`` as a task with one subtask per epoch
        (per iteration for ``solver='lbfgs'``), and each ``partial_fit`` call as one
        task. ``ScoringMonitor`` scores the model of every epoch. A callback whose
        epoch-end hook returns True stops training after that epoch, with
        ``stop_reason_ = "callback"`` and the weights of that epoch (the best-scoring
        ones with ``early_stopping=True``); ``partial_fit`` always makes its one pass.
        An exception raised by a callback ends the fit and leaves the estimator as it
        was. ``Pipeline`` and ``GridSearchCV`` pass their callbacks on.

        Parameters
        ----------
        *callbacks : callback instances
            The callbacks, following ``sklearn.callback.FitCallback``; none removes
            them.

        Returns
        -------
        self : object
            The estimator.
        """
        return super().set_callbacks(*callbacks)


class FitTasks:
    """The tasks of one call to ``fit`` or ``partial_fit``, begun and ended in turn.

    The training loops call ``begin(model)`` before an epoch, ``end(model)`` after it
    (True: a callback asks to stop) and ``abandon()`` for an epoch that did not
    complete (diverged, interrupted); ``model`` is a function that returns the
    ``Parameters`` of that moment, called only when a callback asks for the model.
    """

    def __init__(self, estimator, X, y, sample_weight, *, partial):
        self.estimator = estimator
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.subtask = "iteration" if estimator._solver == "lbfgs" else "epoch"
        self.root = estimator._init_callback_context(
            task_name="partial_fit" if partial else "fit",
            max_subtasks=0 if partial else estimator.max_iter,
        )
        self.root.call_on_fit_task_begin(estimator=estimator, **self.data)
        self.task = None  # the epoch's task while one is open

    @property
    def is_open(self):
        return self.task is not None

    def _attributes(self, model):
        """The model's attributes, computed only when a hook asks for the model."""
        estimator = self.estimator
        return lambda: estimator._model_attributes(estimator._net, model())

    def begin(self, model):
        self.task = self.root.subcontext(task_name=self.subtask)
        self.task.call_on_fit_task_begin(estimator=self.estimator, **self.data,
                                         reconstruction_attributes=self._attributes(model))

    def end(self, model):
        """End the open epoch's task on the model; whether a callback asks to stop."""
        task, self.task = self.task, None
        return task.call_on_fit_task_end(estimator=self.estimator, **self.data,
                                         reconstruction_attributes=self._attributes(model))

    def abandon(self):
        """End the open task, if any, as an empty one: no data, no model."""
        if self.task is not None:
            task, self.task = self.task, None
            task.call_on_fit_task_end(estimator=self.estimator)

    def end_fit(self):
        """End the root task on the fitted estimator (its answer changes nothing)."""
        self.root.call_on_fit_task_end(estimator=self.estimator, **self.data,
                                       reconstruction_attributes={})


def start_fit_tasks(estimator, X, y, sample_weight, *, partial):
    """The begun ``FitTasks`` of this call, or None when no callback is set."""
    if _compat.sklearn_callback is None or not getattr(estimator, "_skl_callbacks", None):
        return None
    return FitTasks(estimator, X, y, sample_weight, partial=partial)
