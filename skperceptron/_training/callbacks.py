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

``Checkpoint``, a callback of its own, writes the state of a fit in progress (see
``checkpoint``, which also reads it back); it asks the estimator to hand its epoch
loop's state over, as scikit-learn's hooks receive the model, not the loop.

With scikit-learn before 1.9 (``compat.sklearn_callback`` is None) the estimators
have no ``set_callbacks`` (``_estimator``): asking for it raises an AttributeError that
says so.
"""

import os
import pickle
import tempfile
from contextlib import suppress
from numbers import Integral

import numpy as np

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


# ------------------------------------------------------------------ checkpoints
#: The estimator classes a checkpoint may name, ``module.qualname -> class``
#: (``register``: every subclass of the shared estimator).
ESTIMATORS = {}


def register(cls):
    """Let checkpoints name the estimator class ``cls``."""
    ESTIMATORS[f"{cls.__module__}.{cls.__qualname__}"] = cls


class Checkpoint:
    """Write the state of a fit in progress to a file, from which it can resume.

    A callback for scikit-learn's callback API (scikit-learn >= 1.9, see
    ``set_callbacks``), or the argument of :func:`fit_with_checkpoints` with any
    scikit-learn. During each ``fit`` of an estimator with a stochastic solver
    ('sgd', 'adam', 'adamw', 'rmsprop'; the perceptrons too, their per-sample loop
    with its average and L1 debts included), it writes every ``every`` epochs, and at
    each epoch that reaches a new best validation score, all the fit needs to
    continue: :func:`resume_fit` then ends the fit with the weights, curves,
    ``n_iter_`` and ``stop_reason_`` of the fit that was not interrupted, bit for
    bit. The file is written under a temporary name in the same folder, flushed to
    disk, then renamed over the previous one: a crash, even in the middle of a
    write, leaves the last complete checkpoint.

    A path ending in ``.skops`` is written by skops (the ``[persist]`` extra) and
    loads with ``skops.io.load`` trusting no type of its own: it holds plain data,
    numbers, strings and arrays, and the estimator's parameters (a callable
    ``learning_rate`` is then the one type to trust). Any other path is written by
    :mod:`pickle`: load those only from sources you trust.

    ``partial_fit`` is one epoch, to which a checkpoint adds nothing: it writes none.
    L-BFGS is refused: scipy's state cannot be saved.

    Parameters
    ----------
    path : str or path-like
        The file. ``{epoch}`` in it is replaced by the epoch, to keep one file per
        checkpoint (``"fit-{epoch}.skops"``). Its folder must exist and be writable;
        this is checked when the fit starts, before any training.

    every : int, default=1
        Write a checkpoint every ``every`` epochs (after epochs ``every``,
        ``2 * every``, ...).

    at_best : bool, default=True
        Also write one after each epoch whose validation score is the best so far
        (with ``early_stopping=True`` or ``X_val``/``y_val``).

    See Also
    --------
    resume_fit : Continue a fit from its checkpoint.
    fit_with_checkpoints : Fit with checkpoints, with any scikit-learn.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import Checkpoint, MLPClassifier, fit_with_checkpoints, resume_fit
    >>> X, y = make_classification(200, 5, random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = Checkpoint(os.path.join(folder, "fit-{epoch}.skops"), every=5)
    >>> clf = MLPClassifier((8,), max_iter=15, random_state=0)
    >>> clf = fit_with_checkpoints(clf, X, y, checkpoint)  # or clf.set_callbacks(checkpoint)
    >>> sorted(os.listdir(folder))
    ['fit-10.skops', 'fit-15.skops', 'fit-5.skops']
    >>> resumed = resume_fit(os.path.join(folder, "fit-5.skops"), X, y)
    >>> resumed.loss_curve_ == clf.loss_curve_
    True
    """

    def __init__(self, path, every=1, at_best=True):
        self.path = path
        self.every = every
        self.at_best = at_best
        self._check_parameters()

    def _check_parameters(self):
        try:
            os.fspath(self.path)
        except TypeError:
            raise TypeError("Checkpoint's path must be a str or a path-like object, not "
                            f"{type(self.path).__name__}.") from None
        if isinstance(self.every, bool) or not isinstance(self.every, Integral):
            raise TypeError("Checkpoint's every must be an integer (epochs between two "
                            f"checkpoints), not {type(self.every).__name__}.")
        if self.every < 1:
            raise ValueError(f"Checkpoint's every must be at least 1, got {self.every}.")
        if not isinstance(self.at_best, (bool, np.bool_)):
            raise TypeError(f"Checkpoint's at_best must be True or False, not "
                            f"{self.at_best!r}.")

    def __repr__(self):
        return f"Checkpoint({os.fspath(self.path)!r}, every={self.every}, at_best={self.at_best})"

    def _path_for(self, epoch):
        """The file of the checkpoint after ``epoch``."""
        path = os.fspath(self.path)
        return path.replace("{epoch}", str(epoch))

    def _due(self, epoch, new_best):
        """Whether the end of ``epoch`` (new best validation score or not) writes."""
        return epoch % self.every == 0 or (self.at_best and new_best)

    def _check(self, estimator):
        """Refuse, before training, what cannot be checkpointed: L-BFGS, an estimator
        that is not skperceptron's, a folder that cannot be written, a ``.skops`` path
        without skops."""
        if type(estimator) not in ESTIMATORS.values():
            raise TypeError(f"Checkpoint works with skperceptron's estimators, not "
                            f"{type(estimator).__name__}.")
        if getattr(estimator, "solver", "sgd") == "lbfgs":
            raise ValueError(
                "Checkpoint needs a stochastic solver ('sgd', 'adam', 'adamw', 'rmsprop'): "
                "solver='lbfgs' runs scipy's L-BFGS-B, whose state cannot be saved and "
                "resumed. Use a stochastic solver, or fit without a checkpoint.")
        path = self._path_for(0)
        if path.endswith(".skops"):
            try:
                import skops.io  # noqa: F401
            except ImportError:
                raise ValueError(
                    f"Checkpoint's path {path!r} ends in .skops, which needs skops "
                    "(pip install 'skperceptron[persist]'); any other suffix is written "
                    "by pickle.") from None
        try:  # as each write will: a temporary file in the same folder
            descriptor, name = _temporary(path)
        except OSError as exc:
            raise ValueError(f"Checkpoint's path {path!r} cannot be written: {exc}.") from exc
        os.close(descriptor)
        os.unlink(name)

    # scikit-learn's callback protocol (``sklearn.callback.FitCallback``)
    def setup(self, estimator, context):
        """Check the estimator and the path when a fit starts (not partial_fit).

        Parameters
        ----------
        estimator : estimator instance
            The estimator about to be fitted.

        context : sklearn.callback.CallbackContext
            The fit's root task.
        """
        if context.task_name == "fit":
            self._check(estimator)

    def teardown(self, estimator, context):
        """Nothing to release: each checkpoint was written whole.

        Parameters
        ----------
        estimator : estimator instance
            The estimator fitted.

        context : sklearn.callback.CallbackContext
            The fit's root task.
        """

    def on_fit_task_begin(self, estimator, context, **kwargs):
        """Nothing: the fit's epoch loop hands its state over itself.

        Parameters
        ----------
        estimator : estimator instance
            The estimator being fitted.

        context : sklearn.callback.CallbackContext
            The task that begins.

        **kwargs : dict
            The task's data, unused.
        """

    def on_fit_task_end(self, estimator, context, **kwargs):
        """Never asks to stop: the epoch loop writes after this hook, with the record
        of the epoch that the stopping criteria judge next.

        Parameters
        ----------
        estimator : estimator instance
            The estimator being fitted.

        context : sklearn.callback.CallbackContext
            The task that ends.

        **kwargs : dict
            The task's data, unused.

        Returns
        -------
        stop : bool
            False.
        """
        return False


def _temporary(path, suffix=".check"):
    """(descriptor, name) of a new file beside ``path``, for writing or for a check."""
    folder = os.path.dirname(os.path.abspath(path))
    return tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                            suffix=suffix)


def write_atomically(path, state):
    """Write ``state`` to ``path`` so that no partial file is ever under that name:
    a temporary file beside it, flushed and synced, then ``os.replace``; skops for a
    path ending in ``.skops``, pickle otherwise."""
    descriptor, temporary = _temporary(path, ".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            if path.endswith(".skops"):
                import skops.io

                skops.io.dump(state, file)
            else:
                pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    with suppress(OSError):  # the rename itself, on disk (not on every system)
        folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
