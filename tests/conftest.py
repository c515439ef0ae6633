"""Hypothesis profiles and a count of the generated examples.

``ci`` (the default) is small and reproducible; ``long`` searches much further::

    python -m pytest tests/test_properties.py --hypothesis-profile=long

The run ends with a count of the examples tried, summed over the workers under
pytest-xdist (``-n 2``); ``-v`` adds a count per reason of rejection
(``--hypothesis-show-statistics``: hypothesis's own statistics per test).

Below them, the data that several test files share. Each is a factory: a test asks for
the fixture by name and calls it, as in ``X, y = digits(400)``. Every call draws fresh
arrays from the same seeds, so no test sees another's changes and each sees the data it
built itself before these helpers were shared.
"""

import os
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, settings
from sklearn.datasets import load_diabetes, load_digits, load_iris, make_classification
from sklearn.preprocessing import StandardScaler

# On a failure hypothesis writes the failing example as a patch with libcst, whose older
# releases warn on import, and this suite makes DeprecationWarning an error: import it
# here once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import libcst  # noqa: F401
    except ImportError:
        pass

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,
    # No shrinking: a failure is reported as generated, in bounded time; the long
    # profile shrinks it to a minimal example.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    # HYPOTHESIS_MAX_EXAMPLES=300 for a shorter deep run.
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 2000)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class ExampleCount(Counter):
    """Examples tried and their outcomes; short in hypothesis's report of a failure."""

    def __repr__(self):
        return f"<{sum(self.values())} counts>"

    def _repr_pretty_(self, printer, cycle):  # hypothesis's printer, which prefers it
        printer.text(repr(self))


_EXAMPLES = ExampleCount()


def pytest_configure(config):
    # hypothesis's own plugin loads the profile named by --hypothesis-profile.
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def examples_run():
    """A Counter of examples: "tried", then an outcome such as "fitted" or "rejected",
    and "outcome: reason" for an outcome with a reason."""
    return _EXAMPLES


def pytest_sessionfinish(session):
    # An xdist worker hands its counts to the controller, which sums them below.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["hypothesis_examples"] = dict(_EXAMPLES)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, when it is installed
def pytest_testnodedown(node, error):
    _EXAMPLES.update(getattr(node, "workeroutput", {}).get("hypothesis_examples", {}))


def pytest_terminal_summary(terminalreporter):
    if not _EXAMPLES:
        return
    profile = settings.get_current_profile_name()
    outcomes = ", ".join(
        f"{count} {name}" for name, count in sorted(_EXAMPLES.items())
        if name != "tried" and ":" not in name
    )
    terminalreporter.write_line(
        f"hypothesis ({profile} profile): {_EXAMPLES['tried']} examples tried ({outcomes})"
    )
    if terminalreporter.verbosity > 0:
        for name, count in sorted(_EXAMPLES.items()):
            if ":" in name:
                terminalreporter.write_line(f"    {count:6d} {name}")


@pytest.fixture
def epoch_runners(monkeypatch):
    """The class names of the epoch runners the fits in a test use, in order."""
    from skperceptron._training import stochastic as _training

    seen = []
    original = _training.make_epochs

    def spy(*args, **kwargs):
        runner = original(*args, **kwargs)
        seen.append(type(runner).__name__)
        return runner

    monkeypatch.setattr(_training, "make_epochs", spy)
    return seen


# --------------------------------------------------------------------- shared data
@pytest.fixture(scope="session")
def digits():
    """``digits(n=300)``: the first n rows of the digits, pixels scaled to [0, 1]."""

    def make(n=300):
        X, y = load_digits(return_X_y=True)
        return X[:n] / 16.0, y[:n]

    return make


@pytest.fixture(scope="session")
def iris():
    """``iris()``: the iris data, features standardised."""

    def make():
        X, y = load_iris(return_X_y=True)
        return StandardScaler().fit_transform(X), y

    return make


@pytest.fixture(scope="session")
def diabetes():
    """``diabetes(n=200)``: the first n rows of the diabetes data (``n=442``: all),
    features standardised over all rows, targets over those n."""

    def make(n=200):
        X, y = load_diabetes(return_X_y=True)
        X = StandardScaler().fit_transform(X)[:n]
        y = y[:n]
        return X, (y - y.mean()) / y.std()

    return make


@pytest.fixture(scope="session")
def diabetes_as_loaded():
    """``diabetes_as_loaded(n=200)``: the first n rows of the diabetes data, features as
    scikit-learn loads them (centred, scaled), targets standardised over all 442 rows."""

    def make(n=200):
        X, y = load_diabetes(return_X_y=True)
        return X[:n], (y[:n] - y.mean()) / y.std()

    return make


@pytest.fixture(scope="session")
def standardised_classification():
    """``standardised_classification()``: 6000 rows of 20 features (10 informative) and
    two classes, standardised, in float32."""

    def make():
        X, y = make_classification(n_samples=6000, n_features=20, n_informative=10,
                                   random_state=0)
        return StandardScaler().fit_transform(X).astype(np.float32), y

    return make


@pytest.fixture(scope="session")
def sparse_rows():
    """``sparse_rows(n=120, d=40, density=0.1, seed=0, dtype=np.float64)``: a random CSR
    matrix whose non-zeros lie in [-2, 2): signs of both kinds, no exact ties."""

    def make(n=120, d=40, density=0.1, seed=0, dtype=np.float64):
        rng = np.random.RandomState(seed)
        X = sp.random(n, d, density=density, format="csr", random_state=rng, dtype=dtype)
        X.data = (X.data * 4 - 2).astype(dtype)
        return X

    return make


@pytest.fixture(scope="session")
def linear_targets():
    """``linear_targets(X, n_classes, seed=1, regression=False)``: targets of X through
    a random linear map to n_classes columns. Labels: the largest column for more than
    two classes, the sign of the first for two. ``regression=True``: the values, the
    first column alone for two classes."""

    def make(X, n_classes, seed=1, regression=False):
        rng = np.random.RandomState(seed)
        scores = np.asarray(X @ rng.normal(size=(X.shape[1], n_classes)))
        if regression:
            return scores[:, 0] if n_classes == 2 else scores
        return scores.argmax(axis=1) if n_classes > 2 else (scores[:, 0] > 0).astype(int)

    return make


@pytest.fixture(scope="session")
def single_layer_problem():
    """``single_layer_problem(dtype, n=40, d=6, k=3, seed=0, targets="labels")``: the
    data and start of a single layer of k units, drawn in this order from one generator:
    X (n x d, standard normal), Y (n x k: "labels", random {0, 1} columns; "one_hot";
    "values", a noisy linear function of X), weights W (d x k), biases b and sample
    weights of mean 1, all of ``dtype``."""

    def make(dtype, n=40, d=6, k=3, seed=0, targets="labels"):
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(n, d)).astype(dtype)
        if targets == "labels":
            Y = (rng.rand(n, k) > 0.5).astype(dtype)
        elif targets == "one_hot":
            Y = np.eye(k, dtype=dtype)[rng.randint(0, k, n)]
        else:
            Y = (X[:, :k] * 2 + rng.normal(scale=0.5, size=(n, k))).astype(dtype)
        W = rng.normal(scale=0.3, size=(d, k)).astype(dtype)
        b = rng.normal(scale=0.1, size=k).astype(dtype)
        sw = rng.uniform(0.5, 1.5, n).astype(dtype)
        return X, Y, W, b, sw / sw.mean()

    return make


# ------------------------------------------------------ reading a fitted estimator
@pytest.fixture(scope="session")
def weight_arrays():
    """``weight_arrays(estimator)``: copies of its coefs_, then its intercepts_."""

    def read(estimator):
        return [a.copy() for a in estimator.coefs_ + estimator.intercepts_]

    return read


@pytest.fixture(scope="session")
def flat_weights():
    """``flat_weights(estimator)``: its coefs_ and intercepts_ in one flat array."""

    def read(estimator):
        return np.concatenate([a.ravel() for a in estimator.coefs_ + estimator.intercepts_])

    return read
