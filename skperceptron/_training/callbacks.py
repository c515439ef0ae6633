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
(``stochastic``, ``lbfgs``) call the methods of ``FitTasks`` below; they import
nothing from here. Without callbacks nothing of this runs: ``start_fit_tasks`` returns
None.

With scikit-learn before 1.9 (``compat.sklearn_callback`` is None) the estimators
have no ``set_callbacks`` (``_estimator``): asking for it raises an AttributeError that
says so.
"""

from .._utils import compat as _compat


class FitTasks:
    """The tasks of one call to ``fit`` or ``partial_fit``, begun and ended in turn.

    The training loops call ``begin(model)`` before an epoch, ``end(model)`` after it
    (True: a callback asks to stop) and ``abandon()`` for an epoch that did not
    complete (diverged, interrupted); ``model`` is a function that returns the
    ``Parameters`` of that moment, called only when a callback asks for the model.
    """

    def __init__(self, estimator, X, y, sample_weight, *, partial):
        self.estimator = estimator
        #: ``params -> the fitted attributes of a model at those weights``, set by the
        #: estimator once it knows its plan.
        self.attributes = None
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
        return lambda: self.attributes(model())

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
