"""Models saved by an earlier version keep loading, predicting and training on.

``tests/data/models_v0.1.0.*`` were written by skperceptron 0.1.0, whose estimators
kept their network, loss and optimizer in another internal form, and
``tests/data/models_0510102.*`` by the code of commit 0510102, with dropout, batch
normalization, the L1 and elastic-net penalties and averaging, whose state then lived
in other modules and in dicts (see ``tests/data/write_saved_models.py``). Loaded with
pickle or with skops (trusting only the four estimator classes), each must answer as
it did then and continue training from its saved state to the weights it reached then.

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

DATA = Path(__file__).parent.parent / "data"
sys.path.insert(0, str(DATA))
from write_saved_models import continued, data, outputs  # noqa: E402

sys.path.pop(0)

#: The sets of saved models, each written by one version, and how many each holds.
VERSIONS = {"v0.1.0": 6, "0510102": 6}
EXPECTED = {version: dict(np.load(DATA / f"models_{version}_expected.npz"))
            for version in VERSIONS}
#: Models whose training rule has changed on purpose since they were saved: they load
#: and predict as they did, and continue training by today's rule, to the weights
#: recorded by ``write_saved_models.py --continued-now`` when the rule changed.
CHANGED_RULES = {
    # Elastic net: the L2 term no longer shrinks the cumulative L1 penalty's debts, as
    # in scikit-learn's SGD.
    ("0510102", "perceptron_classifier_elasticnet"),
}
CONTINUED_NOW = {version: dict(np.load(path)) for version in VERSIONS
                 if (path := DATA / f"models_{version}_continued_now.npz").exists()}
MODELS = [(version, name) for version in VERSIONS
          for name in sorted({key.split("/")[0] for key in EXPECTED[version]})]


def _load(how, version):
    if how == "pickle":
        return pickle.loads((DATA / f"models_{version}.pkl").read_bytes())
    sio = pytest.importorskip("skops.io")
    trusted = [MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor]
    return sio.load(DATA / f"models_{version}.skops", trusted=trusted)


def _close(actual, expected):
    if actual.dtype.kind in "fc":
        rtol = 1e-5 if actual.dtype == np.float32 else 1e-12
        assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    else:
        assert_array_equal(actual, expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_saved_model_is_checked(version):
    names = [name for v, name in MODELS if v == version]
    assert len(names) == VERSIONS[version]
    assert sorted(_load("pickle", version)) == names


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize(("version", "name"), MODELS)
def test_saved_model_predicts_as_when_it_was_saved(version, name, how):
    estimator = _load(how, version)[name]
    X, _, _ = data()
    answers = outputs(estimator, X)
    expected = EXPECTED[version]
    recorded = sorted(key.split("/")[1] for key in expected
                      if key.startswith(name + "/") and "/continued/" not in key)
    # Every answer recorded then is given alike; methods added since (a
    # decision_function for every classifier) answer too.
    assert set(recorded) <= set(answers)
    for method in recorded:
        _close(answers[method], expected[f"{name}/{method}"])


@pytest.mark.parametrize("how", ["pickle", "skops"])
@pytest.mark.parametrize(("version", "name"), MODELS)
def test_saved_model_continues_training_from_its_saved_state(version, name, how):
    estimator = _load(how, version)[name]
    X, labels, values = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        arrays = continued(estimator, X, labels, values)
    expected = (CONTINUED_NOW if (version, name) in CHANGED_RULES else EXPECTED)[version]
    keys = [key for key in expected if key.startswith(f"{name}/continued/")]
    assert len(keys) == len(arrays)
    for k, actual in enumerate(arrays):
        _close(actual, expected[f"{name}/continued/{k}"])


@pytest.mark.parametrize(("version", "name"), sorted(CHANGED_RULES))
def test_a_changed_rule_changes_the_continuation(version, name):
    # The models of CHANGED_RULES do continue differently from their version's
    # record: otherwise they belong with the others.
    estimator = _load("pickle", version)[name]
    X, labels, values = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        arrays = continued(estimator, X, labels, values)
    then = [EXPECTED[version][f"{name}/continued/{k}"] for k in range(len(arrays))]
    assert not all(np.allclose(a, b, rtol=1e-6) for a, b in zip(arrays, then))
