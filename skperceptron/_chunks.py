"""Training on data larger than memory: epochs of ``partial_fit`` over chunks of rows."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state


def fit_chunks(estimator, X, y, *, chunk_size, epochs=1, classes=None, shuffle=True,
               sample_weight=None):
    """Train ``estimator`` by ``partial_fit`` on chunks of rows, for several epochs.

    Only one chunk of ``X`` is in memory at a time: ``X`` may be a ``numpy.memmap``, a
    dask array, or anything else whose row slices ``np.asarray`` turns into arrays.
    Each epoch visits every chunk once; with ``shuffle=True`` the order of the chunks
    and the order of the rows within each chunk are drawn from a generator seeded by
    the estimator's ``random_state``, so a seeded run is reproducible.

    Parameters
    ----------
    estimator : PerceptronClassifier, PerceptronRegressor, MLPClassifier or MLPRegressor
        With a stochastic solver (``partial_fit``). Trained in place.
    X : array-like of shape (n_samples, n_features)
        Inputs, read one chunk at a time.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (small enough to be read whole, to find the classes).
    chunk_size : int
        Rows per chunk: the memory used for data is about chunk_size x n_features values.
    epochs : int, default=1
        Passes over all chunks.
    classes : array-like, default=None
        Every class label, for classifiers; found from ``y`` when None.
    shuffle : bool, default=True
        Shuffle the chunk order and the rows within each chunk every epoch.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample.

    Returns
    -------
    estimator : object
        The trained estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skperceptron import PerceptronClassifier, fit_chunks
    >>> X, y = make_classification(n_samples=1000, random_state=0)
    >>> clf = fit_chunks(PerceptronClassifier(random_state=0), X, y, chunk_size=100,
    ...                  epochs=3)
    >>> clf.t_
    3000
    """
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    n_samples = X.shape[0]
    y = np.asarray(y)
    if y.shape[0] != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {y.shape[0]}]"
        )
    weights = None if sample_weight is None else np.asarray(sample_weight)
    keyword = {}
    if is_classifier(estimator) and y.ndim == 1:
        keyword["classes"] = np.unique(y) if classes is None else np.asarray(classes)
    rng = check_random_state(getattr(estimator, "random_state", None))
    starts = np.arange(0, n_samples, chunk_size)
    for _ in range(epochs):
        order = rng.permutation(starts.shape[0]) if shuffle else np.arange(starts.shape[0])
        for start in starts[order]:
            stop = min(start + chunk_size, n_samples)
            X_chunk = np.asarray(X[start:stop])
            rows = rng.permutation(stop - start) if shuffle else slice(None)
            extra = {} if weights is None else {"sample_weight": weights[start:stop][rows]}
            estimator.partial_fit(X_chunk[rows], y[start:stop][rows], **keyword, **extra)
    return estimator
