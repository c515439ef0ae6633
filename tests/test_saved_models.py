"""Models saved by an earlier version keep loading, predicting and training on.

``tests/data/models_v0.1.0.*`` were written by skperceptron 0.1.0, whose estimators
kept their network, loss and optimizer in another internal form (see
``tests/data/write_saved_models.py``). Loaded with pickle or with skops (trusting only
the four estimator classes), each must answer as it did then and continue training
from its saved optimizer state to the weights 0.1.0 reached.

The expected arrays were computed on one machine. On another processor BLAS may round
a matrix product's last bit differently, so values are compared to 1e-12 relative
(float64; 1e-5 for the float32 model, a few units of its 6e-8 rounding step after a
few products and an update) and labels exactly.
"""

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from write_saved_models import continued, data, outputs  # noqa: E402

sys.path.pop(0)

EXPECTED = dict(np.load(DATA / "models_v0.1.0_expected.npz"))
NAMES = sorted({key.split("/")[0] for key in EXPECTED})


def _load(how):
    if how == "pickle":
        return pickle.loads((DATA / "models_v0.1.0.pkl").read_bytes())
    sio = pytest.importorskip("skops.io")
    trusted = [MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor]
    return sio.load(DATA / "models_v0.1.0.skops", trusted=trusted)


def _close(actual, expected):
    if actual.dtype.kind in "fc":
        rtol = 1e-5 if actual.dtype == np.float32 else 1e-12
        assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    else:
        assert_array_equal(actual, expected)


def test_every_saved_model_is_checked():
    assert len(NAMES) == 6
    assert all(name in _load("pickle") for name in NAMES)


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize("name", NAMES)
def test_saved_model_predicts_as_when_it_was_saved(name, how):
    estimator = _load(how)[name]
    X, _, _ = data()
    answers = outputs(estimator, X)
    assert sorted(answers) == sorted(
        key.split("/")[1] for key in EXPECTED if key.startswith(name + "/")
        and "/continued/" not in key
    )
    for method, value in answers.items():
        _close(value, EXPECTED[f"{name}/{method}"])


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize("name", NAMES)
def test_saved_model_continues_training_from_its_saved_state(name, how):
    estimator = _load(how)[name]
    X, labels, values = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        arrays = continued(estimator, X, labels, values)
    expected = [EXPECTED[f"{name}/continued/{k}"] for k in range(len(arrays))]
    assert len(expected) == len(arrays)
    for actual, want in zip(arrays, expected):
        _close(actual, want)
