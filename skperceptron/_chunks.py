"""Training on data larger than memory: epochs of ``partial_fit`` over chunks of rows.

Two kinds of arrays keep their rows out of memory until asked: a ``numpy.memmap`` (rows
are pages of a file, read when touched) and a dask array (rows are blocks computed, or
loaded, on demand). For both, ``np.asarray(X[start:stop])`` brings one chunk into memory.

A memory map needs one more step. The pages of the file it has read stay mapped into the
process, and count in its resident memory, until the map is closed or the kernel is short
of memory: an epoch over an 800 MB file would leave the process 800 MB large although only
one chunk is ever used. After each chunk its pages are given back (``madvise`` with
``MADV_DONTNEED``: the mapping forgets them; the file's pages stay in the page cache, so the
next epoch reads them back without touching the disk).
"""

import mmap

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state

from ._estimator import BaseNetwork


def _chunk_bounds(X, chunk_size):
    """The (start, stop) rows of every chunk: ``chunk_size`` rows, or the dask blocks."""
    n_samples = X.shape[0]
    if chunk_size is None:
        blocks = getattr(X, "chunks", None)
        if not (isinstance(blocks, tuple) and blocks and isinstance(blocks[0], tuple)):
            raise ValueError(
                "chunk_size is required unless X is a dask array, whose row blocks are "
                f"then the chunks; got X of type {type(X).__name__}."
            )
        stops = np.cumsum(blocks[0])
    else:
        if (
            isinstance(chunk_size, bool)
            or not isinstance(chunk_size, (int, np.integer))
            or chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
        stops = np.append(np.arange(chunk_size, n_samples, chunk_size), n_samples)
    stops = stops[stops > 0]
    starts = np.concatenate(([0], stops[:-1]))
    return list(zip(starts.tolist(), stops.tolist()))


def _no_single_rows(bounds):
    """``bounds`` with every chunk of one row joined to the chunk before it (or after
    it, for the first): batch normalization refuses to train on a batch of one row,
    which has no batch statistics."""
    merged = []
    for start, stop in bounds:
        if merged and (stop - start == 1 or merged[-1][1] - merged[-1][0] == 1):
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def _file_mapping(X):
    """The ``mmap`` under a memory-mapped array whose pages may be dropped, or None.

    Only shared mappings: a copy-on-write map (``mode="c"``) keeps the rows written to it
    in the very pages that dropping would throw away.
    """
    if not isinstance(X, np.memmap) or X.mode in ("c", "copyonwrite"):
        return None
    if not hasattr(mmap, "MADV_DONTNEED"):  # Windows
        return None
    base = X
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    return base


def _release(mapping, chunk):
    """Drop the pages holding ``chunk``'s rows from the process (they stay on file)."""
    if chunk.size == 0:
        return
    origin = np.frombuffer(mapping, dtype=np.uint8).__array_interface__["data"][0]
    # The bytes the rows span, whatever the strides (a Fortran-ordered file spreads a
    # chunk over the whole file: then the whole span goes, and is read back on demand).
    reach = [stride * (n - 1) for stride, n in zip(chunk.strides, chunk.shape)]
    first = chunk.__array_interface__["data"][0] - origin + sum(min(r, 0) for r in reach)
    last = first + sum(max(r, 0) - min(r, 0) for r in reach) + chunk.itemsize
    start = first - first % mmap.PAGESIZE
    if 0 <= start < len(mapping):
        mapping.madvise(mmap.MADV_DONTNEED, start, min(last, len(mapping)) - start)


def fit_chunks(estimator, X, y, *, chunk_size=None, epochs=1, classes=None, shuffle=True,
               sample_weight=None):
    """Train ``estimator`` by ``partial_fit`` on chunks of rows, for several epochs.

    Only one chunk of ``X`` is in memory at a time: ``X`` may be a
    :class:`numpy.memmap` (the file's pages of each chunk are released from the process once used), a dask array (one
    block is computed at a time), or anything else whose row slices ``np.asarray`` turns
    into arrays. Each epoch visits every chunk once; with ``shuffle=True`` the order of the
    chunks and the order of the rows within each chunk are drawn from a generator seeded
    by the estimator's ``random_state``, so a seeded run is reproducible.

    Memory: one chunk, ``chunk_size * n_features`` values of ``X``'s dtype, plus the
    estimator's own (its weights and one batch of work). This library's estimators shuffle
    the rows of each chunk themselves (``shuffle=True``); for another estimator the rows
    are shuffled into a copy, which doubles that.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        PerceptronClassifier, PerceptronRegressor, or MLPClassifier / MLPRegressor with
        solver 'sgd' or 'adam'. Trained in place, continuing from its current state.
    X : array-like of shape (n_samples, n_features)
        Inputs, read one chunk at a time.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets, read whole (they are small next to ``X``).
    chunk_size : int, default=None
        Rows per chunk. Required unless ``X`` is a dask array; then its row blocks are the
        chunks. A multiple of the estimator's ``batch_size`` keeps its mini-batches
        whole, so that an epoch takes as many steps as one of ``fit``. For an
        estimator with ``batch_norm=True``, a chunk of one row (the last one, when
        ``chunk_size`` does not divide the rows) is joined to its neighbour: batch
        normalization cannot train on one row.
    epochs : int, default=1
        Passes over all chunks.
    classes : array-like, default=None
        Every class label, for classifiers; found from ``y`` when None.
    shuffle : bool, default=True
        Shuffle the order of the chunks every epoch, and the rows within each chunk
        (into a copy). An estimator of this library with ``shuffle=True`` shuffles the
        rows of each chunk itself, whatever this says, and is given them uncopied.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample.

    Returns
    -------
    estimator : object
        The trained estimator.

    Examples
    --------
    Three epochs over 1000 rows in chunks of 100: thirty calls to ``partial_fit``,
    each one pass over its chunk, and each a point of the loss curve. The classes,
    found in ``y``, are given to every call, as ``partial_fit`` needs them all.

    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import PerceptronClassifier, fit_chunks
    >>> X, y = make_classification(n_samples=1000, random_state=0)
    >>> clf = fit_chunks(PerceptronClassifier(), X, y, chunk_size=100, epochs=3)
    >>> clf.t_, len(clf.loss_curve_), clf.stop_reason_
    (3000, 30, 'partial_fit')
    >>> clf.classes_
    array([0, 1])
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"fit_chunks trains by partial_fit, which {type(estimator).__name__} does not "
            "have here (MLPs have it with solver='sgd' or 'adam', not 'lbfgs')."
        )
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    if not hasattr(X, "shape") or not hasattr(X, "__getitem__"):
        X = np.asarray(X)
    if len(X.shape) != 2:
        raise ValueError(
            f"Expected a 2D array, got an array of shape {tuple(X.shape)} instead."
        )
    bounds = _chunk_bounds(X, chunk_size)
    if getattr(estimator, "batch_norm", False):
        bounds = _no_single_rows(bounds)
    n_samples = X.shape[0]
    y = np.asarray(y)
    weights = None if sample_weight is None else np.asarray(sample_weight)
    for name, values in (("y", y), ("sample_weight", weights)):
        if values is not None and (values.ndim == 0 or values.shape[0] != n_samples):
            length = values.shape[0] if values.ndim else "a scalar"
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"[{n_samples}, {length}] (X and {name})"
            )
    keyword = {}
    if is_classifier(estimator) and y.ndim == 1:
        keyword["classes"] = np.unique(y) if classes is None else np.asarray(classes)
    mapping = _file_mapping(X)
    rng = check_random_state(getattr(estimator, "random_state", None))
    # An estimator that shuffles its rows in partial_fit (all of this library's do, with
    # shuffle=True, drawing from their random_state) is given the chunk as it is: no
    # shuffled copy, so half the memory. Others are given a shuffled copy.
    copy_shuffled = shuffle and not _shuffles_rows(estimator)
    for _ in range(epochs):
        order = rng.permutation(len(bounds)) if shuffle else range(len(bounds))
        for start, stop in (bounds[i] for i in order):
            X_chunk = np.asarray(X[start:stop])
            rows = rng.permutation(stop - start) if copy_shuffled else slice(None)
            X_rows = X_chunk[rows]
            if mapping is not None and copy_shuffled:
                _release(mapping, X_chunk)  # the shuffled copy is all that is used now
            extra = {} if weights is None else {"sample_weight": weights[start:stop][rows]}
            estimator.partial_fit(X_rows, y[start:stop][rows], **keyword, **extra)
            if mapping is not None and not copy_shuffled:
                _release(mapping, X_chunk)
            del X_chunk, X_rows
    return estimator


def _shuffles_rows(estimator):
    """Whether ``estimator.partial_fit`` visits the rows it is given in a shuffled order."""
    return isinstance(estimator, BaseNetwork) and bool(estimator.shuffle)
