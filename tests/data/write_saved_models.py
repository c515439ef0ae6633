"""Write the saved-model files that ``tests/estimators/test_saved_models.py`` loads.

Each set of files holds fitted models written by one version of skperceptron, which
must keep loading, predicting and training on:

- ``models_v0.1.0.*``, by skperceptron 0.1.0 (the version before the engine was split
  into layers and its state rebuilt on loading): ``models()``;
- ``models_0510102.*``, by the code of commit 0510102 (the last before the package was
  cut into an engine, training and inspection), with dropout, batch normalization, the
  L1 and elastic-net penalties and averaging: ``regularised_models()``.

Rerun this script only to add files for a new version, under a new name; never
overwrite the old ones::

    python tests/data/write_saved_models.py v0.1.0 models
    python tests/data/write_saved_models.py 0510102 regularised_models

When a training rule changes on purpose, the saved models it concerns still load and
predict as they did, but continue training by the new rule: record those
continuations, made by the new code from the saved files, with::

    python tests/data/write_saved_models.py 0510102 --continued-now NAME [NAME ...]

which writes ``models_0510102_continued_now.npz`` (``tests/estimators/test_saved_models.py``
lists the models in ``CHANGED_RULES``).
"""

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor

HERE = Path(__file__).parent


def data():
    """Inputs and targets of every saved model: small, and built without randomness."""
    grid = np.linspace(-1.0, 1.0, 40)
    X = np.column_stack([grid, np.sin(3 * grid), grid**2 - 0.3, np.cos(5 * grid)])
    labels = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.1).astype(int)
    values = np.column_stack([X @ [1.0, -2.0, 0.5, 0.3], X[:, 1] * X[:, 2]])
    return X, labels, values


def models():
    """One fitted model of each estimator, in states that exercise the saved optimizer."""
    X, labels, values = data()
    return {
        "mlp_classifier_adam": MLPClassifier(
            hidden_layer_sizes=(6, 4), activation=["tanh", "relu"], max_iter=15,
            early_stopping=True, validation_fraction=0.25, random_state=0,
        ).fit(X, labels),
        "mlp_regressor_sgd": MLPRegressor(
            hidden_layer_sizes=(5,), solver="sgd", learning_rate="invscaling",
            learning_rate_init=0.05, max_iter=10, random_state=0,
        ).fit(X, values),
        "mlp_regressor_lbfgs_huber": MLPRegressor(
            loss="huber", hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20,
            random_state=0,
        ).fit(X, values[:, 0]),
        "perceptron_classifier": PerceptronClassifier(
            max_iter=8, random_state=0
        ).fit(X, labels),
        "perceptron_classifier_logistic": PerceptronClassifier(
            activation="logistic", loss="log_loss", eta0=0.1, max_iter=8, random_state=0
        ).fit(X.astype(np.float32), labels == 1),
        "perceptron_regressor": PerceptronRegressor(
            eta0=0.01, max_iter=8, random_state=0
        ).fit(X, values),
    }


def regularised_models():
    """Models whose saved state includes dropout, batch normalization, the cumulative L1
    penalty and the running weights of averaged SGD."""
    X, labels, values = data()
    return {
        "mlp_classifier_dropout_batch_norm": MLPClassifier(
            hidden_layer_sizes=(6, 4), dropout=[0.2, 0.1], batch_norm=True, max_iter=12,
            random_state=0,
        ).fit(X, labels),
        "mlp_regressor_sgd_elasticnet": MLPRegressor(
            hidden_layer_sizes=(5,), solver="sgd", penalty="elasticnet", alpha=1e-2,
            learning_rate_init=0.05, max_iter=10, random_state=0,
        ).fit(X, values),
        "mlp_classifier_lbfgs_batch_norm": MLPClassifier(
            hidden_layer_sizes=(5,), solver="lbfgs", batch_norm=True, max_iter=20,
            random_state=0,
        ).fit(X, labels),
        "perceptron_classifier_l1_averaged": PerceptronClassifier(
            penalty="l1", alpha=1e-3, average=True, max_iter=8, random_state=0
        ).fit(X, labels),
        "perceptron_classifier_elasticnet": PerceptronClassifier(
            penalty="elasticnet", alpha=1e-2, l1_ratio=0.5, max_iter=8, random_state=0
        ).fit(X, labels),
        "perceptron_regressor_averaged_l2": PerceptronRegressor(
            penalty="l2", alpha=1e-3, average=5, eta0=0.01, max_iter=8, random_state=0
        ).fit(X, values),
    }


#: The batch normalization arrays a continued model is compared on, beside its weights.
NORM_ATTRIBUTES = ("batch_norm_scales_", "batch_norm_shifts_", "running_means_",
                   "running_vars_")


def outputs(estimator, X):
    """Everything a saved model answers, for comparison after loading."""
    result = {"predict": estimator.predict(X.astype(estimator.coefs_[0].dtype))}
    for method in ("predict_proba", "decision_function"):
        if hasattr(estimator, method):
            result[method] = getattr(estimator, method)(X.astype(estimator.coefs_[0].dtype))
    return result


def continued(estimator, X, labels, values):
    """The weights after one more partial_fit (or a warm-started fit for L-BFGS)."""
    y = values if not hasattr(estimator, "classes_") else labels
    if estimator.coefs_[0].dtype == np.float32:
        X, y = X.astype(np.float32), labels == 1
    if getattr(estimator, "solver", "sgd") == "lbfgs":
        estimator.set_params(warm_start=True, max_iter=3).fit(X, y[:, 0] if y.ndim == 2 else y)
    elif hasattr(estimator, "classes_"):
        estimator.partial_fit(X, y)
    else:
        estimator.partial_fit(X, y)
    norm = [array for name in NORM_ATTRIBUTES for array in getattr(estimator, name, [])]
    return [*estimator.coefs_, *estimator.intercepts_, *norm]


def main(label, model_set):
    import skops.io as sio

    X, labels, values = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = globals()[model_set]()
        (HERE / f"models_{label}.pkl").write_bytes(pickle.dumps(fitted, protocol=4))
        sio.dump(fitted, HERE / f"models_{label}.skops")
        expected = {}
        for name, estimator in fitted.items():
            for method, value in outputs(estimator, X).items():
                expected[f"{name}/{method}"] = value
            for k, array in enumerate(continued(estimator, X, labels, values)):
                expected[f"{name}/continued/{k}"] = array
    np.savez(HERE / f"models_{label}_expected.npz", **expected)


def continued_now(label, names):
    """Write the continuations of the saved models ``names`` of ``label``, loaded from
    its pickle and trained on by the code installed now."""
    fitted = pickle.loads((HERE / f"models_{label}.pkl").read_bytes())
    X, labels, values = data()
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in names:
            for k, array in enumerate(continued(fitted[name], X, labels, values)):
                expected[f"{name}/continued/{k}"] = array
    np.savez(HERE / f"models_{label}_continued_now.npz", **expected)


if __name__ == "__main__":
    if sys.argv[2] == "--continued-now":
        continued_now(sys.argv[1], sys.argv[3:])
    else:
        main(*sys.argv[1:3])
