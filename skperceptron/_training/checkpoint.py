"""Checkpoints: the state of a fit in progress, written during the fit and read to resume it.

A stochastic fit with a ``Checkpoint`` writes, every ``every`` epochs and at each new
best validation score, everything its epoch loop carries from one epoch to the next
(``stochastic.LoopParts``): the weights (batch normalization's arrays included), the
optimizer's state (moments, step count, the schedule's position), the state of the
random generator that shuffles and draws dropout's masks, the previous epoch's order
of the rows, the stopping criteria's counters, the snapshots (lowest loss, best
score), the partial result and history. With it the file holds what the fit started
from: the estimator's class and parameters, the generator's state before the
validation hold-out is drawn, the fitted history of an earlier fit (warm start), and
a fingerprint of the data. ``resume_fit`` rebuilds the estimator and runs the rest of
the fit, which ends bit for bit where the uninterrupted fit ends.

The file is plain data (a dict of numbers, strings, lists and numpy arrays), written
by skops for a path ending in ``.skops`` and by pickle otherwise, always under a
temporary name in the same folder, flushed to disk, then renamed over the previous
checkpoint (``write_atomically``): a crash leaves the last complete checkpoint.

The per-sample compiled loop (``online``) adds its average and L1 debts, and the
generator's state before the order of the next epoch that ``speed.EpochOrders`` may
have drawn ahead. L-BFGS is refused (scipy's state cannot be saved); ``partial_fit``
is one epoch, to which a checkpoint adds nothing: it writes none.
"""

import dataclasses
import hashlib
import os
import pickle
import sys

import numpy as np
import scipy.sparse as sp

from .callbacks import ESTIMATORS, Checkpoint, write_atomically
from .online import OnlineEpochs, OnlineState

#: The ``format`` entry of every checkpoint: a file without it is not one.
FORMAT = "skperceptron checkpoint"
FORMAT_VERSION = 1
#: The fitted attributes a fit starts from (reset by a new fit, kept by a warm start)
#: and that its end extends: saved with the checkpoint, put back on resuming.
PRIOR_ATTRIBUTES = ("t_", "loss_curve_", "best_loss_", "validation_scores_",
                    "validation_loss_curve_", "gradient_norms_", "saturation_",
                    "learning_rates_", "gradient_norm_curve_", "clipped_steps_",
                    "best_validation_score_", "_best_weights", "loss_")


def _version():
    return sys.modules[__name__.split(".")[0]].__version__


def read_checkpoint(path, trusted=None):
    """The checkpoint at ``path`` (a dict), refused unless it is one.

    A skops file loads trusting the types in ``trusted`` only (skops's own safe
    types aside); any other file is read by pickle.
    """
    try:
        with open(path, "rb") as file:
            zipped = file.read(4) == b"PK\x03\x04"
    except OSError as exc:
        raise ValueError(f"Cannot read the checkpoint {os.fspath(path)!r}: {exc}.") from exc
    try:
        if zipped:
            state = _load_skops(path, trusted)
        else:
            with open(path, "rb") as file:
                state = pickle.load(file)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"{os.fspath(path)!r} is not a checkpoint of skperceptron: it "
                         f"cannot be read ({type(exc).__name__}: {exc}).") from exc
    if not (isinstance(state, dict) and state.get("format") == FORMAT):
        raise ValueError(f"{os.fspath(path)!r} is not a checkpoint of skperceptron (a "
                         "Checkpoint writes them during a fit).")
    return state


def _load_skops(path, trusted):
    try:
        import skops.io
    except ImportError:
        raise ValueError(f"{os.fspath(path)!r} is a skops file: reading it needs skops "
                         "(pip install 'skperceptron[persist]').") from None

    untrusted = [t for t in skops.io.get_untrusted_types(file=path)
                 if t not in {_type_name(t) for t in trusted or ()}]
    if untrusted:
        raise ValueError(
            f"{os.fspath(path)!r} holds types that are not trusted: {untrusted}. A "
            "checkpoint holds plain data and the estimator's parameters; pass the types "
            "you trust (such as a callable learning_rate of your own) as trusted=.")
    return skops.io.load(path, trusted=list(trusted or ()))


def _type_name(t):
    return t if isinstance(t, str) else f"{t.__module__}.{t.__qualname__}"


# ------------------------------------------------------------------ the data
def _digest(hasher, array):
    """Feed the bytes (and dtype and shape) of ``array`` to ``hasher``."""
    if array is None:
        hasher.update(b"none")
        return
    if sp.issparse(array):
        hasher.update(f"{array.format}{array.shape}".encode())
        for part in (array.data, array.indices, array.indptr):
            _digest(hasher, part)
        return
    array = np.asarray(array)
    hasher.update(f"{array.dtype.str}{array.shape}".encode())
    if array.dtype.kind in "OUS":  # labels as text: their values, not their addresses
        hasher.update(repr(array.tolist()).encode())
    else:
        hasher.update(memoryview(np.ascontiguousarray(array)).cast("B"))


def data_fingerprint(data, validation):
    """Shapes and a SHA-256 of the training data (X, encoded targets, sample weights,
    before any hold-out) and of the user's validation set, if any."""
    arrays = [data.X, data.Y, data.sample_weight]
    if validation is not None:
        arrays += [validation[0], validation[1]]
    hasher = hashlib.sha256()
    for array in arrays:
        _digest(hasher, array)
    shapes = [None if a is None else tuple(int(n) for n in a.shape) for a in arrays]
    return {"shapes": shapes, "sha256": hasher.hexdigest()}


def _check_same_data(saved, now):
    if saved == now:
        return
    what = ("shapes " + str(saved["shapes"]) + " (X, targets, sample_weight, X_val, "
            f"y_val), not {now['shapes']}" if saved["shapes"] != now["shapes"] else
            "other values (their SHA-256 differs)")
    raise ValueError(
        "The checkpoint was written by a fit on other data: the fit had data of "
        f"{what}. Resume it with the same X, y, sample_weight and X_val, y_val.")


# ------------------------------------------------------------------ the loop's state
def _restore_optimizer(optimizer, state):
    if state["class"] != type(optimizer).__name__:
        raise ValueError(f"The checkpoint's optimizer is {state['class']}, this fit's "
                         f"{type(optimizer).__name__}.")
    optimizer.load_plain(state)


def _criteria_state(criteria):
    return [{"class": type(c).__name__, **vars(c)} for c in criteria]


def _restore_criteria(criteria, states):
    # A callback's stop has no state: a fit without callbacks may resume one with them.
    criteria = [c for c in criteria if type(c).__name__ != "CallbackStop"]
    states = [s for s in states if s["class"] != "CallbackStop"]
    if [type(c).__name__ for c in criteria] != [s["class"] for s in states]:
        raise ValueError("The checkpoint's stopping criteria are not this fit's.")
    for criterion, state in zip(criteria, states):
        criterion.__dict__.update({k: v for k, v in state.items() if k != "class"})


def _generator_state(rng):
    if isinstance(rng, np.random.RandomState):
        return rng.get_state(legacy=False)
    return rng.bit_generator.state


def _restore_generator(rng, state):
    if isinstance(rng, np.random.RandomState):
        rng.set_state(state)
    else:
        rng.bit_generator.state = state


def _logical_state(rng, orders):
    """The generator's state as the fit sees it: before the draw that the per-sample
    loop's ``EpochOrders`` may have made ahead for the next epoch (``pending``)."""
    pending = None if orders is None else orders.pending
    if pending is None or pending[1] is not rng:
        return _generator_state(rng)
    before = np.random.RandomState()
    before.set_state(pending[2])
    return before.get_state(legacy=False)


def _restore_order(epochs, order):
    """The previous epoch's order, which the next one shuffles (with ``reshuffle``)."""
    order = None if order is None else np.array(order)
    if not isinstance(epochs, OnlineEpochs):
        epochs.order = order
        return
    epochs.orders.order = order
    epochs.orders.spare = None if order is None else np.empty_like(order)


def _restore_online(epochs, saved):
    """The per-sample loop's average and L1 debts (``online.OnlineState``), in place:
    the running weights are views the loop trains."""
    if saved is None:
        return
    averaging, debts = saved["averaging"], saved["debts"]
    if (averaging is None) != (epochs.averaging is None) or (
            (debts is None) != (epochs.debts is None)):
        raise ValueError("The checkpoint's average or L1 state is not this fit's.")
    if averaging is not None:
        for name in ("coef", "intercept", "sum_coef", "sum_intercept"):
            getattr(epochs.averaging, name)[...] = averaging[name]
        epochs.averaging.start, epochs.averaging.seen = averaging["start"], averaging["seen"]
    if debts is not None:
        epochs.debts.total[...] = debts["total"]
        epochs.debts.applied[...] = debts["applied"]


_RESULT_FIELDS = ("n_iter", "n_samples_seen", "loss", "loss_curve", "validation_scores",
                  "validation_loss_curve", "learning_rates", "best_validation_score")


def capture_loop(parts):
    """The loop's state between two epochs (``stochastic.LoopParts``) as plain data.

    Arrays are not copied: the state is written before the loop goes on."""
    snapshots, history = parts.snapshots, parts.epochs.history
    orders = parts.epochs.orders if isinstance(parts.epochs, OnlineEpochs) else None
    return {
        "flat": parts.params.flat,
        "optimizer": parts.optimizer.to_plain(),
        "generators": [_logical_state(g, orders) for g in parts.generators],
        "order": parts.epochs.order if orders is None else orders.order,
        "online": None if orders is None else OnlineState(
            parts.epochs.averaging, parts.epochs.debts).to_plain(),
        "history": {name: getattr(history, name) for name in
                    ("gradient_norms", "saturation", "total_norms", "clipped")},
        "criteria": _criteria_state(parts.criteria),
        "guards": _criteria_state(parts.guards),
        "snapshots": {"lowest_loss": snapshots.lowest_loss,
                      "lowest_loss_value": snapshots.lowest_loss_value,
                      "best_score_value": snapshots.best_score_value,
                      "best_score": snapshots.best_score},
        "result": {name: getattr(parts.result, name) for name in _RESULT_FIELDS},
    }


class Resumption:
    """The loop's state of a checkpoint, put back at the start of the resumed loop."""

    def __init__(self, loop):
        self.loop = loop

    def restore(self, parts):
        """Put the state back into ``parts``; the fields of the saved epoch's record
        (``stopping.EpochRecord``), which the criteria have not judged yet."""
        loop = self.loop
        parts.params.flat[...] = loop["flat"]
        _restore_optimizer(parts.optimizer, loop["optimizer"])
        if len(parts.generators) != len(loop["generators"]):
            raise ValueError("The checkpoint's random generators are not this fit's.")
        for rng, state in zip(parts.generators, loop["generators"]):
            _restore_generator(rng, state)
        _restore_order(parts.epochs, loop["order"])
        _restore_online(parts.epochs, loop.get("online"))
        history = parts.epochs.history
        for name, rows in loop["history"].items():
            setattr(history, name, [np.array(r) if isinstance(r, np.ndarray) else r
                                    for r in rows])
        _restore_criteria(parts.criteria, loop["criteria"])
        _restore_criteria(parts.guards, loop["guards"])
        snapshots, saved = parts.snapshots, loop["snapshots"]
        snapshots.epoch_start[...] = parts.params.flat  # an epoch starts where one ended
        snapshots.lowest_loss[...] = saved["lowest_loss"]
        snapshots.lowest_loss_value = saved["lowest_loss_value"]
        snapshots.best_score_value = saved["best_score_value"]
        best = saved["best_score"]
        snapshots.best_score = None if best is None else np.array(best)
        for name, value in loop["result"].items():
            setattr(parts.result, name, list(value) if isinstance(value, list) else value)
        return dict(loop["record"])


class CheckpointWriter:
    """Writes the checkpoints of one fit: what the fit started from (``header``) and,
    when the checkpoint is due, the loop's state."""

    def __init__(self, checkpoint, header):
        self.checkpoint, self.header = checkpoint, header

    def epoch_done(self, parts, record, new_best):
        """After the epoch of ``record``, before the criteria judge it: write if due."""
        epoch = record.epoch
        if self.checkpoint._due(epoch, new_best):
            loop = dict(capture_loop(parts), record=dataclasses.asdict(record))
            write_atomically(self.checkpoint._path_for(epoch),
                             dict(self.header, epoch=epoch, loop=loop))


# ------------------------------------------------------------------ a fit's session
def _attached(estimator):
    """(the Checkpoint of this fit, how it came: 'function' or 'callback'), or None."""
    checkpoint = estimator.__dict__.get("_checkpoint")
    if checkpoint is not None:
        return checkpoint, "function"
    for callback in getattr(estimator, "_skl_callbacks", None) or ():
        if isinstance(callback, Checkpoint):
            return callback, "callback"
    return None


def checkpoint_session(estimator, data, validation):
    """(writer or None, resumption or None) of a fit with a checkpoint or resuming
    from one, or None for any other fit. Called before the validation hold-out: a
    resumed fit takes back the prior attributes and the generator's state there
    (its own ``_rng``, a new generator), so it draws the same hold-out."""
    attached = _attached(estimator)
    resume = estimator.__dict__.pop("_resume_state", None)
    if attached is None and resume is None:
        return None
    fingerprint = data_fingerprint(data, validation)
    if resume is not None:
        _check_same_data(resume["data"], fingerprint)
        for name, value in resume["prior"].items():
            setattr(estimator, name, value)
        estimator._rng = np.random.RandomState()
        _restore_generator(estimator._rng, resume["split_rng"])
    writer = None
    if attached is not None:
        checkpoint, via = attached
        header = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "version": _version(),
            "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
            "params": estimator.get_params(deep=False),
            "checkpoint": {"path": os.fspath(checkpoint.path), "every": checkpoint.every,
                           "at_best": bool(checkpoint.at_best), "via": via},
            "data": fingerprint,
            "prior": {name: getattr(estimator, name) for name in PRIOR_ATTRIBUTES
                      if hasattr(estimator, name)},
            "split_rng": _generator_state(estimator._rng),
        }
        writer = CheckpointWriter(checkpoint, header)
    resumption = None if resume is None else Resumption(resume["loop"])
    return writer, resumption


# ------------------------------------------------------------------ public functions
def fit_with_checkpoints(estimator, X, y, checkpoint, **fit_params):
    """Fit ``estimator`` on (X, y), writing checkpoints as ``checkpoint`` says.

    The same as ``estimator.set_callbacks(checkpoint).fit(X, y, **fit_params)``, with
    any version of scikit-learn (its callback API came with 1.9). A fit killed at any
    moment continues from its last checkpoint with :func:`resume_fit`, and ends as
    this fit would have, bit for bit.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, PerceptronClassifier or PerceptronRegressor
        The estimator to fit, with a stochastic solver.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training inputs.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.

    checkpoint : Checkpoint, str or path-like
        Where and when to write (a path: ``Checkpoint(path)``, every epoch).

    **fit_params : dict
        ``sample_weight``, ``X_val`` and ``y_val``, as ``fit`` takes them.

    Returns
    -------
    estimator : object
        The fitted estimator.

    See Also
    --------
    Checkpoint : What a checkpoint holds, and when it is written.
    resume_fit : Continue a fit from its checkpoint.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import MLPClassifier, fit_with_checkpoints
    >>> X, y = make_classification(200, 5, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.pkl")
    >>> clf = fit_with_checkpoints(MLPClassifier((8,), max_iter=30, random_state=0),
    ...                            X, y, path)
    >>> clf.n_iter_, os.path.exists(path)
    (30, True)
    """
    if not isinstance(checkpoint, Checkpoint):
        checkpoint = Checkpoint(checkpoint)
    checkpoint._check(estimator)
    estimator._checkpoint = checkpoint
    try:
        return estimator.fit(X, y, **fit_params)
    finally:
        estimator.__dict__.pop("_checkpoint", None)


def resume_fit(path, X, y, sample_weight=None, *, X_val=None, y_val=None, trusted=None):
    """Continue the fit whose checkpoint is ``path``, on the same data.

    Reads the checkpoint (see :class:`Checkpoint`), checks that this version of
    skperceptron wrote it and that the data are those of the fit (shapes and a
    SHA-256 of X, y, sample_weight and X_val, y_val), rebuilds the estimator with
    the fit's parameters and runs the rest of the fit, writing checkpoints as the fit
    did. The fitted estimator ends bit for bit as the fit that was not interrupted:
    weights, ``loss_curve_``, ``validation_scores_``, ``learning_rates_``,
    ``n_iter_``, ``stop_reason_`` and the training history. Callbacks other than the
    checkpoint are not saved: set them again on the result for later fits.

    Parameters
    ----------
    path : str or path-like
        A checkpoint written by :class:`Checkpoint`.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training inputs of the fit.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets.

    sample_weight : array-like of shape (n_samples,), default=None
        Its sample weights.

    X_val, y_val : array-like, default=None
        Its own validation set, if it had one.

    trusted : list of types or str, default=None
        For a ``.skops`` checkpoint: the types beyond plain data to trust when
        loading, such as a callable ``learning_rate`` of your own. Other files are
        read by :mod:`pickle`, which trusts everything: read only your own.

    Returns
    -------
    estimator : object
        The fitted estimator, of the class that wrote the checkpoint.

    See Also
    --------
    Checkpoint : What a checkpoint holds, and when it is written.
    fit_with_checkpoints : Fit with checkpoints, with any scikit-learn.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import Checkpoint, MLPClassifier, fit_with_checkpoints, resume_fit
    >>> X, y = make_classification(200, 5, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit-{epoch}.skops")
    >>> clf = MLPClassifier((8,), max_iter=30, random_state=0)
    >>> clf = fit_with_checkpoints(clf, X, y, Checkpoint(path, every=10))
    >>> resumed = resume_fit(path.format(epoch=10), X, y)  # epochs 11 to 30 again
    >>> np.array_equal(resumed.coefs_[0], clf.coefs_[0]), resumed.n_iter_
    (True, 30)
    """
    state = read_checkpoint(path, trusted)
    if state.get("version") != _version():
        raise ValueError(
            f"The checkpoint {os.fspath(path)!r} was written by skperceptron "
            f"{state.get('version')}, this is {_version()}: a fit resumes exactly only "
            "with the version that began it.")
    cls = ESTIMATORS.get(state.get("estimator"))
    if cls is None:
        raise ValueError(f"The checkpoint {os.fspath(path)!r} names the class "
                         f"{state.get('estimator')!r}, not an estimator of skperceptron.")
    estimator = cls(**state["params"])
    settings = dict(state["checkpoint"])
    via = settings.pop("via")
    checkpoint = Checkpoint(**settings)
    estimator._resume_state = state
    fit_params = {"sample_weight": sample_weight, "X_val": X_val, "y_val": y_val}
    if via == "callback" and hasattr(estimator, "set_callbacks"):
        return estimator.set_callbacks(checkpoint).fit(X, y, **fit_params)
    return fit_with_checkpoints(estimator, X, y, checkpoint, **fit_params)
