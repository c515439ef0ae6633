"""Out-of-core training: epochs of partial_fit over chunks of a memory map."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, fit_chunks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _memmap(tmp_path, X):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


@pytest.fixture
def classification():
    X, y = make_classification(n_samples=6000, n_features=20, n_informative=10,
                               random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.mark.parametrize(
    "make",
    [
        # The logistic neuron: the step perceptron's last iterate on non-separable data
        # jumps by several points from one epoch to the next, in memory or not.
        lambda: PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.01,
                                     random_state=0),
        lambda: MLPClassifier(hidden_layer_sizes=(32,), random_state=0),
    ],
    ids=["logistic-neuron", "mlp"],
)
def test_chunked_training_of_a_memmap_matches_in_memory_accuracy(make, classification,
                                                                 tmp_path):
    X, y = classification
    X_train, X_test, y_train, y_test = X[:5000], X[5000:], y[:5000], y[5000:]
    epochs = 5
    chunked = fit_chunks(make(), _memmap(tmp_path, X_train), y_train, chunk_size=700,
                         epochs=epochs)
    in_memory = make().set_params(max_iter=epochs, tol=0.0).fit(X_train, y_train)
    assert chunked.t_ == epochs * 5000
    # The same number of passes over the same data in another order: accuracy within
    # 1 point (the requirement), on 1000 held-out samples (accuracies are multiples of
    # 1/1000, so 1e-9 only absorbs the rounding of their difference).
    difference = abs(chunked.score(X_test, y_test) - in_memory.score(X_test, y_test))
    assert difference <= 0.01 + 1e-9
    assert chunked.coefs_[0].dtype == np.float32


def test_seeded_chunked_training_is_reproducible_and_order_depends_on_the_seed(
    classification, tmp_path
):
    X, y = classification
    X_map = _memmap(tmp_path, X)
    runs = [
        fit_chunks(PerceptronClassifier(random_state=seed), X_map, y, chunk_size=1000,
                   epochs=2).coef_
        for seed in (0, 0, 1)
    ]
    assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_chunked_regression_passes_sample_weights_on(tmp_path):
    X, y = make_regression(n_samples=2000, n_features=8, noise=0.1, random_state=0)
    y = (y - y.mean()) / y.std()
    X_map = _memmap(tmp_path, X)

    def fit(weights):
        reg = MLPRegressor(hidden_layer_sizes=(16,), random_state=0)
        return fit_chunks(reg, X_map, y, chunk_size=300, epochs=3, sample_weight=weights)

    plain = fit(None)
    # Unit weights rescale to exactly 1: the same arithmetic as no weights.
    for a, b in zip(fit(np.ones(2000)).coefs_, plain.coefs_):
        assert_array_equal(a, b)
    uneven = fit(np.random.RandomState(1).uniform(0.1, 2.0, 2000))
    assert not np.array_equal(uneven.coefs_[0], plain.coefs_[0])
    assert plain.t_ == 3 * 2000


def test_chunk_arguments_are_checked():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit_chunks(MLPRegressor(), X, y, chunk_size=5, epochs=0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fit_chunks(MLPRegressor(), X, y[:5], chunk_size=5)
