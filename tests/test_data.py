"""Data preparation and what a later partial_fit skips: validation, seeding, buffers."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._data import SeededPermutations


@pytest.mark.parametrize("n", [1, 2, 10, 200])
@pytest.mark.parametrize("seed", [0, 7, 2**31])
def test_seeded_permutations_are_a_fresh_generators_first_draw(seed, n):
    remembered = SeededPermutations(seed)
    for _ in range(2):  # the same each call, as a generator seeded anew each call
        assert_array_equal(remembered.permutation(n),
                           np.random.RandomState(seed).permutation(n))


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
    buffers = reg._buffers["buffers"]
    reg.partial_fit(X[10:20], y[10:20])
    assert reg._buffers["buffers"] is buffers
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
