"""Fingerprints of fitted weights, to show that a change to the code changes no result.

Fits the tour's models, the skperceptron side of every workload of ``bench.py`` and a
set of small configurations that reach every solver, loss, schedule and input kind,
then prints one SHA-256 of the fitted state per model (weights, biases, loss curve,
validation scores, iteration count, stop reason and predictions).

Run it before a change and after, on the same machine, and compare the outputs::

    python benchmarks/fingerprint.py > before.txt      # on the old code
    python benchmarks/fingerprint.py > after.txt       # on the new code
    diff before.txt after.txt && echo identical

Bit-identity holds for one machine and BLAS library: another processor or another
number of BLAS threads may round matrix products differently.
"""

import argparse
import contextlib
import hashlib
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).parent))
from bench import (  # noqa: E402  (beside this script)
    MLP_COMMON,
    classification_data,
    digits_data,
    perceptron_data,
    regression_data,
)

from skperceptron import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    PerceptronRegressor,
    fit_chunks,
)


def digest(estimator, X):
    """SHA-256 over everything a fit leaves that a change could alter."""
    h = hashlib.sha256()
    for array in (*estimator.coefs_, *estimator.intercepts_):
        h.update(np.ascontiguousarray(array).tobytes())
    h.update(np.asarray(estimator.loss_curve_, dtype=np.float64).tobytes())
    scores = getattr(estimator, "validation_scores_", None) or []
    h.update(np.asarray(scores, dtype=np.float64).tobytes())
    h.update(f"{estimator.n_iter_} {estimator.t_} {estimator.stop_reason_}".encode())
    h.update(np.ascontiguousarray(estimator.predict(X)).tobytes())
    if hasattr(estimator, "predict_proba"):
        h.update(np.ascontiguousarray(estimator.predict_proba(X)).tobytes())
    return h.hexdigest()[:16]


def tour():
    from skperceptron import __main__ as tour_module

    with contextlib.redirect_stdout(io.StringIO()):
        gates = tour_module.perceptron_truth_tables()
        xor = tour_module.mlp_learns_xor()
        search = tour_module.digits_grid_search(quick=False)
    X = tour_module.TRUTH_TABLE_INPUTS
    for gate, clf in gates.items():
        yield f"tour perceptron {gate}", clf, X
    yield "tour xor", xor, X
    X_digits, _ = load_digits(return_X_y=True)
    best = search.best_estimator_
    yield "tour digits best", best.named_steps["mlp"], best.named_steps["scale"].transform(
        X_digits)


def workloads():
    for dtype in ("float64", "float32"):
        for name, n, batch in (("W1", 20_000, 200), ("W2", 5000, 32)):
            X, y = classification_data(n, dtype)
            kwargs = dict(MLP_COMMON, hidden_layer_sizes=(256, 128), batch_size=batch,
                          max_iter=3, n_iter_no_change=4)
            yield f"{name} {dtype}", MLPClassifier(**kwargs).fit(X, y), X
    X, y = digits_data()
    kwargs = dict(MLP_COMMON, hidden_layer_sizes=(64,), batch_size="auto", max_iter=50,
                  n_iter_no_change=51)
    yield "W3/W6 digits", MLPClassifier(**kwargs).fit(X, y), X
    X, y = perceptron_data()
    common = dict(eta0=1.0, max_iter=10, tol=None, shuffle=True, random_state=0)
    yield "W4 perceptron", PerceptronClassifier(**common).fit(X, y), X
    X, y = regression_data()
    kwargs = dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=100, alpha=1e-4,
                  random_state=0)
    yield "W5 lbfgs", MLPRegressor(**kwargs).fit(X, y), X


def configurations():
    """Small fits that reach every solver, loss, schedule, target and input kind."""
    Xc, yc = make_classification(n_samples=300, n_features=8, n_informative=5,
                                 n_classes=3, random_state=1)
    Xb, yb = make_classification(n_samples=300, n_features=8, random_state=2)
    Xr, yr = make_regression(n_samples=300, n_features=8, n_targets=2, noise=0.5,
                             random_state=3)
    yr = yr / yr.std()
    Ym = np.column_stack([yb, 1 - yb, (Xb[:, 0] > 0).astype(int)])  # multilabel
    w = np.random.RandomState(4).uniform(0.1, 3, size=300)
    mlp = dict(hidden_layer_sizes=(7, 5), max_iter=30, random_state=0)
    cases = {
        "mlp adam multiclass": (MLPClassifier(**mlp), Xc, yc),
        "mlp adam float32": (MLPClassifier(**mlp), Xc.astype(np.float32), yc),
        "mlp sgd nesterov invscaling": (
            MLPClassifier(solver="sgd", learning_rate="invscaling", learning_rate_init=0.1,
                          activation=["tanh", "logistic"], **mlp), Xc, yc),
        "mlp sgd momentum adaptive": (
            MLPClassifier(solver="sgd", learning_rate="adaptive", nesterovs_momentum=False,
                          activation="elu", tol=1e-2, n_iter_no_change=2, **mlp), Xb, yb),
        "mlp sgd plain constant": (
            MLPClassifier(solver="sgd", momentum=0.0, activation="leaky_relu", **mlp),
            Xb, yb),
        "mlp early stopping": (
            MLPClassifier(early_stopping=True, activation="softplus", **mlp), Xc, yc),
        "mlp hinge class_weight": (
            MLPClassifier(loss="hinge", class_weight="balanced", **mlp), Xc, yc),
        "mlp multilabel": (MLPClassifier(**mlp), Xb, Ym),
        "mlp sample_weight": (MLPClassifier(**mlp), Xb, yb, w),
        "mlp sparse": (MLPClassifier(**mlp), sp.csr_matrix(np.maximum(Xc, 0)), yc),
        "mlp lbfgs classifier": (
            MLPClassifier(solver="lbfgs", loss_threshold=0.05, **mlp), Xb, yb),
        "mlp regressor adam": (MLPRegressor(**mlp), Xr, yr),
        "mlp regressor huber sgd": (
            MLPRegressor(loss="huber", solver="sgd", learning_rate_init=0.01, **mlp),
            Xr, yr),
        "mlp regressor absolute": (MLPRegressor(loss="absolute_error", **mlp), Xr, yr),
        "mlp regressor poisson": (MLPRegressor(loss="poisson", **mlp), Xr, np.abs(yr)),
        "mlp regressor lbfgs weights": (
            MLPRegressor(solver="lbfgs", weight_init="glorot_normal", **mlp), Xr, yr, w),
        "perceptron multiclass": (PerceptronClassifier(max_iter=20, random_state=0),
                                  Xc, yc),
        "perceptron hinge l2": (
            PerceptronClassifier(loss="hinge", penalty="l2", alpha=1e-3, max_iter=20,
                                 random_state=0),
            Xb, yb),
        "perceptron logistic": (
            PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1,
                                 max_iter=20, random_state=0), Xc, yc),
        "perceptron full batch": (
            PerceptronClassifier(batch_size="full", max_iter=20, random_state=0), Xb, yb),
        "perceptron sparse": (PerceptronClassifier(max_iter=20, random_state=0),
                              sp.csr_matrix(np.maximum(Xb, 0)), yb),
        "perceptron early stopping": (
            PerceptronClassifier(early_stopping=True, max_iter=20, random_state=0),
            Xc, yc),
        "perceptron no shuffle weights": (
            PerceptronClassifier(shuffle=False, max_iter=20, random_state=0), Xb, yb, w),
        "adaline": (PerceptronRegressor(max_iter=20, random_state=0), Xr, yr),
        "adaline huber batch 10": (
            PerceptronRegressor(loss="huber", batch_size=10, max_iter=20, random_state=0),
            Xr, yr),
        "adaline absolute": (
            PerceptronRegressor(loss="absolute_error", max_iter=20, random_state=0),
            Xr, yr),
        "adaline diverges": (PerceptronRegressor(eta0=5.0, max_iter=20, random_state=0),
                             Xr * 100, yr),
    }
    for name, (estimator, X, y, *weights) in cases.items():
        estimator.fit(X, y, sample_weight=weights[0] if weights else None)
        yield name, estimator, X
    # warm start, partial_fit and chunks: the state carried between calls
    clf = MLPClassifier(warm_start=True, **mlp).fit(Xc, yc)
    yield "mlp warm start", clf.fit(Xc[::-1], yc[::-1]), Xc
    reg = MLPRegressor(solver="sgd", **mlp)
    for start in range(0, 300, 50):
        reg.partial_fit(Xr[start:start + 50], yr[start:start + 50])
    yield "mlp partial_fit", reg, Xr
    clf = PerceptronClassifier(random_state=0)
    for start in range(0, 300, 30):
        clf.partial_fit(Xc[start:start + 30], yc[start:start + 30], classes=[0, 1, 2])
    yield "perceptron partial_fit", clf, Xc
    yield "fit_chunks", fit_chunks(MLPClassifier(**mlp), Xc, yc, chunk_size=64,
                                   epochs=3), Xc


def regularised_configurations():
    """Fits of the penalties, averaging, dropout and batch normalization: every
    online loop (dense and CSR rows, one unit and several) and the mini-batch path."""
    Xc, yc = make_classification(n_samples=300, n_features=12, n_informative=6,
                                 n_classes=3, random_state=5)
    Xb, yb = make_classification(n_samples=300, n_features=12, random_state=6)
    Xr, yr = make_regression(n_samples=300, n_features=12, n_targets=2, noise=0.5,
                             random_state=7)
    yr = yr / yr.std()
    sparse_c, sparse_b = sp.csr_matrix(np.maximum(Xc, 0)), sp.csr_matrix(np.maximum(Xb, 0))
    w = np.random.RandomState(8).uniform(0.1, 3, size=300)
    online = dict(max_iter=15, random_state=0)
    l1 = dict(penalty="l1", alpha=1e-3)
    enet = dict(penalty="elasticnet", alpha=1e-2, l1_ratio=0.5)
    mlp = dict(hidden_layer_sizes=(7, 5), max_iter=20, random_state=0)
    cases = {
        "perceptron l1": (PerceptronClassifier(**l1, **online), Xb, yb),
        "perceptron l1 float32": (PerceptronClassifier(**l1, **online),
                                  Xb.astype(np.float32), yb),
        "perceptron elasticnet multiclass": (PerceptronClassifier(**enet, **online), Xc, yc),
        "perceptron l2 multiclass weights": (
            PerceptronClassifier(penalty="l2", alpha=1e-3, **online), Xc, yc, w),
        "perceptron averaged": (PerceptronClassifier(average=True, **online), Xb, yb),
        "perceptron averaged from 100 l1": (
            PerceptronClassifier(average=100, **l1, **online), Xc, yc),
        "logistic neuron averaged l2": (
            PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1,
                                 average=True, penalty="l2", alpha=1e-3, **online), Xc, yc),
        "perceptron sparse multiclass": (PerceptronClassifier(**online), sparse_c, yc),
        "perceptron sparse l2 multiclass": (
            PerceptronClassifier(penalty="l2", alpha=1e-3, **online), sparse_c, yc),
        "perceptron sparse l1": (PerceptronClassifier(**l1, **online), sparse_b, yb),
        "perceptron sparse elasticnet multiclass": (
            PerceptronClassifier(**enet, **online), sparse_c, yc, w),
        "perceptron sparse averaged": (
            PerceptronClassifier(average=True, **online), sparse_b, yb),
        "perceptron sparse averaged elasticnet": (
            PerceptronClassifier(average=10, **enet, **online), sparse_c, yc),
        "logistic neuron sparse l2": (
            PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1,
                                 penalty="l2", alpha=1e-3, **online), sparse_c, yc),
        "adaline sparse l2 huber": (
            PerceptronRegressor(loss="huber", penalty="l2", alpha=1e-3, **online),
            sp.csr_matrix(np.where(np.abs(Xr) > 0.5, Xr, 0)), yr),
        "adaline l1 absolute": (
            PerceptronRegressor(loss="absolute_error", **l1, **online), Xr, yr),
        "mlp dropout": (MLPClassifier(dropout=0.3, **mlp), Xc, yc),
        "mlp dropout per layer sgd": (
            MLPClassifier(dropout=[0.2, 0.0], solver="sgd", learning_rate_init=0.05, **mlp),
            Xb, yb),
        "mlp batch norm weights": (MLPRegressor(batch_norm=True, **mlp), Xr, yr, w),
        "mlp batch norm dropout float32": (
            MLPClassifier(batch_norm=True, dropout=0.1, **mlp), Xc.astype(np.float32), yc),
        "mlp batch norm lbfgs": (
            MLPClassifier(batch_norm=True, solver="lbfgs", **mlp), Xb, yb),
        "mlp l1 adam": (MLPClassifier(penalty="l1", alpha=1e-2, **mlp), Xc, yc),
        "mlp elasticnet sgd": (
            MLPRegressor(penalty="elasticnet", alpha=1e-2, solver="sgd",
                         learning_rate_init=0.01, **mlp), Xr, yr),
        "mlp no penalty sparse": (MLPClassifier(penalty=None, **mlp), sparse_c, yc),
    }
    for name, (estimator, X, y, *weights) in cases.items():
        estimator.fit(X, y, sample_weight=weights[0] if weights else None)
        yield name, estimator, X
    # the state of averaging, the L1 penalty and dropout carried between calls
    clf = PerceptronClassifier(average=True, **l1, random_state=0)
    for start in range(0, 300, 30):
        clf.partial_fit(Xc[start:start + 30], yc[start:start + 30], classes=[0, 1, 2])
    yield "perceptron averaged l1 partial_fit", clf, Xc
    clf = PerceptronClassifier(**enet, random_state=0)
    for start in range(0, 300, 60):
        clf.partial_fit(sparse_c[start:start + 60], yc[start:start + 60], classes=[0, 1, 2])
    yield "perceptron sparse elasticnet partial_fit", clf, sparse_c
    clf = MLPClassifier(dropout=0.2, batch_norm=True, **mlp)
    for start in range(0, 300, 50):
        clf.partial_fit(Xc[start:start + 50], yc[start:start + 50], classes=[0, 1, 2])
    yield "mlp dropout batch norm partial_fit", clf, Xc
    clf = PerceptronClassifier(average=True, warm_start=True, **l1, **online).fit(Xb, yb)
    yield "perceptron averaged l1 warm start", clf.fit(Xb[::-1], yb[::-1]), Xb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the tour and the benchmark workloads")
    args = parser.parse_args(argv)
    groups = [configurations, regularised_configurations]
    if not args.quick:
        groups = [tour, workloads, *groups]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        for group in groups:
            for name, estimator, X in group():
                print(f"{name:32s} {digest(estimator, X)}", flush=True)


if __name__ == "__main__":
    main()
