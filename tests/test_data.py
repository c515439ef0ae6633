"""Data preparation and what a later partial_fit skips: validation, seeding, buffers."""

import os
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._training.data import validation_split
from skperceptron._utils import speed as _data
from skperceptron._utils.speed import EpochOrders, SeededPermutations


@pytest.mark.parametrize("n", [1, 2, 10, 200])
@pytest.mark.parametrize("seed", [0, 7, 2**31])
def test_seeded_permutations_are_a_fresh_generators_first_draw(seed, n):
    remembered = SeededPermutations(seed)
    for _ in range(2):  # the same each call, as a generator seeded anew each call
        assert_array_equal(remembered.permutation(n),
                           np.random.RandomState(seed).permutation(n))


@pytest.mark.parametrize("ahead", [False, True])
@pytest.mark.parametrize("n", [1, 2, 10, 20_000])
def test_epoch_orders_are_the_generators_permutations(n, ahead):
    """Epoch after epoch the orders are the generator's own permutations, drawn ahead
    or not; after ``close`` the generator is where the epochs alone left it, and a
    generator that is not a RandomState is asked for its own."""
    ours, reference = np.random.RandomState(3), np.random.RandomState(3)
    orders = EpochOrders(n, ahead=ahead)
    assert orders.ahead == (ahead and n >= _data.DRAW_AHEAD_ROWS
                            and (os.cpu_count() or 1) >= 2)
    for _ in range(4):
        assert_array_equal(orders(ours), reference.permutation(n))
    orders.close()
    assert ours.randint(2**31) == reference.randint(2**31)  # the streams moved alike
    remembered = SeededPermutations(7)
    assert_array_equal(orders(remembered), remembered.permutation(n))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("max_iter", [3, 60])  # all epochs run; a plateau stops it
def test_fits_do_not_depend_on_drawing_orders_ahead(monkeypatch, sparse, max_iter):
    """The online loop's fit and the user's generator after it are the same whether
    each epoch's order was drawn during the epoch before or at its start."""
    import scipy.sparse as sp
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=12_000, n_features=20, random_state=0)
    X = sp.csr_matrix(X) if sparse else X
    fitted = []
    for rows in (_data.DRAW_AHEAD_ROWS, 10**9):  # ahead, then never
        monkeypatch.setattr(_data, "DRAW_AHEAD_ROWS", rows)
        generator = np.random.RandomState(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = PerceptronClassifier(max_iter=max_iter, random_state=generator).fit(X, y)
        fitted.append((model.coef_, model.n_iter_, model.stop_reason_,
                       generator.randint(2**31)))
    assert_array_equal(fitted[0][0], fitted[1][0])
    assert fitted[0][1:] == fitted[1][1:]
    if max_iter == 60:
        assert fitted[0][1] < 60  # stopped early: a draw ahead was given back


def _stream(estimator, X, y, batch, **kwargs):
    for start in range(0, X.shape[0], batch):
        estimator.partial_fit(X[start:start + batch], y[start:start + batch], **kwargs)
    return estimator


@pytest.mark.parametrize("make", [
    lambda seed: PerceptronClassifier(random_state=seed),
    lambda seed: MLPClassifier((5,), random_state=seed),
])
def test_partial_fit_with_an_integer_seed_equals_one_with_a_fresh_generator_each_call(
    make
):
    # A RandomState instance passed anew to every call is what an integer seed means.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(120, 4)), rng.randint(0, 3, 120)
    seeded = _stream(make(3), X, y, 10, classes=[0, 1, 2])
    fresh = make(3)
    for start in range(0, 120, 10):
        fresh.set_params(random_state=np.random.RandomState(3))
        fresh.partial_fit(X[start:start + 10], y[start:start + 10], classes=[0, 1, 2])
    for a, b in zip(seeded.coefs_ + seeded.intercepts_, fresh.coefs_ + fresh.intercepts_):
        assert_array_equal(a, b)


def test_partial_fit_reuses_its_buffers_and_does_not_save_them():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    reg = MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, random_state=0)
    reg.partial_fit(X[:10], y[:10])
    buffers = reg._buffers.buffers
    reg.partial_fit(X[10:20], y[10:20])
    assert reg._buffers.buffers is buffers
    restored = pickle.loads(pickle.dumps(reg))
    assert not hasattr(restored, "_buffers")
    # Continuing from the copy (new buffers) and from the original (kept ones) agree.
    for model in (reg, restored):
        model.partial_fit(X[20:], y[20:])
    assert_array_equal(reg.predict(X), restored.predict(X))


def test_later_partial_fit_checks_labels_on_the_fast_path_too():
    X = np.random.RandomState(0).normal(size=(20, 3))
    clf = PerceptronClassifier().partial_fit(X, np.arange(20) % 2, classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.full(20, 2))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.partial_fit(X, np.linspace(0, 1, 20))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.partial_fit(np.full((20, 3), np.nan), np.arange(20) % 2)
    with pytest.raises(ValueError, match="3 features"):
        clf.partial_fit(X[:, :2], np.arange(20) % 2)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.partial_fit(X, np.arange(19) % 2)


# ------------------------------------------------------- the early-stopping hold-out


@pytest.mark.parametrize("seed", range(5))
def test_validation_split_is_stratified_for_classifiers(seed):
    # 90 samples of class 0 and 10 of class 1: a validation set of 10 holds 9 and 1
    # exactly (a random one would hold no sample of class 1 in ~1/3 of the draws).
    y = np.repeat([0, 1], [90, 10])
    idx_train, idx_val = validation_split(y, 100, 0.1, np.random.RandomState(seed), True)
    assert_array_equal(np.bincount(y[idx_val]), [9, 1])
    assert_array_equal(np.bincount(y[idx_train]), [81, 9])
    assert_array_equal(np.sort(np.r_[idx_train, idx_val]), np.arange(100))


def _first_error(est, X, y):
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    return str(info.value)


@pytest.mark.parametrize(
    "counts",
    [
        [10, 9, 1],  # a class with a single member cannot be stratified
        [1, 1, 1],  # several: all are listed
        [7, 7, 6],  # ceil(0.1 * 20) = 2 validation samples for 3 classes
        [2] * 18,  # ceil(0.1 * 36) = 4 validation samples for 18 classes
    ],
)
def test_early_stopping_split_of_classes_fails_as_scikit_learns_perceptron(counts):
    """scikit-learn's linear classifiers (Perceptron here) refuse these splits with the
    errors of their stratified splitter rather than split at random; so does ours.
    scikit-learn's MLPClassifier stratifies only a single output unit, and fits them
    on a random split; so does ours."""
    from sklearn.linear_model import Perceptron
    from sklearn.neural_network import MLPClassifier as SkMLP

    y = np.repeat(np.arange(len(counts)), counts)
    X = np.random.RandomState(0).normal(size=(len(y), 2))
    expected = _first_error(Perceptron(early_stopping=True, validation_fraction=0.1), X, y)
    ours = PerceptronClassifier(early_stopping=True, validation_fraction=0.1)
    assert _first_error(ours, X, y) == expected
    for cls in (MLPClassifier, SkMLP) if len(y) >= 20 else ():  # 3 samples: too few
        with pytest.warns(ConvergenceWarning):
            cls(early_stopping=True, max_iter=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, PerceptronClassifier])
def test_early_stopping_split_of_two_classes_fails_as_scikit_learns_mlp(cls):
    """For two classes scikit-learn's MLPClassifier stratifies too, and its error lists
    the class as encoded ('True'); ours names the label itself."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    y = np.repeat(["no", "yes"], [19, 1])
    X = np.random.RandomState(0).normal(size=(20, 2))
    expected = _first_error(SkMLP(early_stopping=True), X, y)
    message = _first_error(cls(early_stopping=True), X, y)
    head = "Classes with too few members are: "
    assert expected.endswith(head + "['True']")
    assert message == expected.replace("['True']", "['yes']")

