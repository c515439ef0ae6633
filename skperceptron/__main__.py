"""A short tour of skperceptron: ``python -m skperceptron`` (add ``--quick`` for a smaller grid).

1. Rosenblatt's perceptron on the truth tables of AND, OR, NAND and XOR: the first three
   are linearly separable and learned exactly, XOR is not.
2. A multi-layer perceptron with a small hidden layer learns XOR.
3. A scaled multi-layer perceptron tuned by cross-validated grid search on the digits.
4. Vanishing gradients: the per-layer gradient norms of a deep logistic network against
   a deep relu network.

Importing this module runs nothing; ``main()`` runs the tour.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler, scale
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

from skperceptron import MLPClassifier, PerceptronClassifier

#: The four inputs of a two-input truth table, in the usual order.
TRUTH_TABLE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])

#: Target column of each gate for the inputs above.
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "NAND": np.array([1, 1, 1, 0]),
    "XOR": np.array([0, 1, 1, 0]),
}


def format_table(headers, rows, indent="  "):
    """Lines of a plain-text table: text columns left-aligned, numbers right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(headers)]

    def numeric(text):
        try:
            float(text)
        except ValueError:
            return False
        return True

    def line(cells, header=False):
        parts = []
        for cell, width in zip(cells, widths):
            right = not header and numeric(cell)
            parts.append(cell.rjust(width) if right else cell.ljust(width))
        return (indent + "  ".join(parts)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return [line(headers, header=True), rule, *(line(r) for r in rows)]


def _heading(number, title):
    text = f"{number}. {title}"
    print()
    print(text)
    print("=" * len(text))


def _bits(values):
    return " ".join(str(int(v)) for v in values)


def _number(value):
    """A weight for display: an integer when it is one (the perceptron's usually are)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.3g}"


def perceptron_truth_tables(max_iter=100):
    """Section 1: the perceptron rule on AND, OR, NAND and XOR.

    Returns ``{gate: fitted PerceptronClassifier}``.
    """
    _heading(1, "Rosenblatt's perceptron on two-input truth tables")
    print(
        f"  PerceptronClassifier(tol=None, max_iter={max_iter}, random_state=0): one "
        "threshold unit,\n  online updates w += eta0 * s * x on mistakes only "
        "(eta0=1, s=+1/-1 for target 1/0)."
    )
    print("  Inputs (x1, x2), in order: (0,0) (0,1) (1,0) (1,1)")
    print()
    fitted, rows = {}, []
    for gate, y in GATES.items():
        clf = PerceptronClassifier(tol=None, max_iter=max_iter, random_state=0)
        with warnings.catch_warnings():
            # XOR spends the whole epoch budget, which scikit-learn reports as a
            # ConvergenceWarning; the table shows it as stop_reason 'max_iter'.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(TRUTH_TABLE_INPUTS, y)
        predicted = clf.predict(TRUTH_TABLE_INPUTS)
        correct = int(np.sum(predicted == y))
        (w1, w2), (b,) = clf.coef_[0], clf.intercept_
        rows.append(
            [gate, _bits(y), _bits(predicted), f"{correct}/4", clf.n_iter_,
             clf.stop_reason_, _number(w1), _number(w2), _number(b)]
        )
        fitted[gate] = clf
    headers = ["gate", "targets", "predicted", "correct", "epochs", "stop_reason",
               "w1", "w2", "b"]
    print("\n".join(format_table(headers, rows)))
    print()
    print("  converged: a whole epoch without a mistake, so no weight moved any more.")
    print("  max_iter:  the epoch budget ran out while mistakes were still being made.")
    print("  XOR fails (at most 3/4 right): no line w1*x1 + w2*x2 + b = 0 separates "
          "{(0,1), (1,0)}\n  from {(0,0), (1,1)}, so some point is always on the wrong side.")
    return fitted


def mlp_learns_xor(max_iter=1000):
    """Section 2: a hidden layer of 4 tanh units learns XOR. Returns the fitted model."""
    _heading(2, "A hidden layer learns XOR")
    params = dict(hidden_layer_sizes=(4,), activation="tanh", solver="adam",
                  learning_rate_init=0.05, max_iter=max_iter, random_state=0)
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    print("  MLPClassifier(" + shown.replace(", solver", ",\n                solver") + ")")
    print()
    X, y = TRUTH_TABLE_INPUTS, GATES["XOR"]
    clf = MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    predicted = clf.predict(X)
    proba = clf.predict_proba(X)[:, 1]
    rows = [
        [x1, x2, t, f"{p:.3f}", pred]
        for (x1, x2), t, p, pred in zip(X, y, proba, predicted)
    ]
    print("\n".join(format_table(["x1", "x2", "target", "P(y=1)", "predicted"], rows)))
    print()
    correct = int(np.sum(predicted == y))
    print(f"  correct: {correct}/4, epochs: {clf.n_iter_}, stop_reason: {clf.stop_reason_}")
    print("  The hidden units bend the input space: XOR becomes linearly separable in "
          "their outputs,\n  and the output unit draws the line there.")
    return clf


def _grid_settings(quick):
    if quick:
        return dict(hidden=[(32,)], alpha=[1e-4, 1.0], cv=2, max_iter=50)
    return dict(hidden=[(32,), (64,)], alpha=[1e-4, 1e-1, 1.0], cv=3, max_iter=200)


def digits_grid_search(quick=False):
    """Section 3: ``GridSearchCV`` over a scaled MLP on the digits. Returns the search."""
    settings = _grid_settings(quick)
    _heading(3, "Model selection on the digits (8x8 images, 10 classes)")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("mlp", MLPClassifier(max_iter=settings["max_iter"], random_state=0)),
    ])
    grid = {"mlp__hidden_layer_sizes": settings["hidden"], "mlp__alpha": settings["alpha"]}
    search = GridSearchCV(pipeline, grid, cv=settings["cv"], n_jobs=1)
    print(
        f"  Pipeline(StandardScaler(), MLPClassifier(max_iter={settings['max_iter']}, "
        f"random_state=0)), GridSearchCV(cv={settings['cv']})"
    )
    print(f"  training set: {X_train.shape[0]} images, held-out test set: "
          f"{X_test.shape[0]} images")
    print()
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Candidates that spend their epoch budget warn; their stop reason is 'max_iter'.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    elapsed = time.perf_counter() - started

    results = search.cv_results_
    rows = []
    for i, params in enumerate(results["params"]):
        rows.append([
            str(params["mlp__hidden_layer_sizes"]),
            f"{params['mlp__alpha']:g}",
            f"{results['mean_test_score'][i]:.4f}",
            f"{results['std_test_score'][i]:.4f}",
            f"{results['mean_fit_time'][i]:.2f}",
            results["rank_test_score"][i],
        ])
    headers = ["hidden_layer_sizes", "alpha", "mean CV accuracy", "std",
               "mean fit time (s)", "rank"]
    print("\n".join(format_table(headers, rows)))
    print()
    best = search.best_estimator_.named_steps["mlp"]
    best_params = search.best_params_
    print(
        f"  best: hidden_layer_sizes={best_params['mlp__hidden_layer_sizes']}, "
        f"alpha={best_params['mlp__alpha']:g} (mean CV accuracy {search.best_score_:.4f})"
    )
    print(f"  refit on the whole training set: epochs: {best.n_iter_}, "
          f"stop_reason: {best.stop_reason_}")
    print(f"  held-out test accuracy of the best model: {search.score(X_test, y_test):.4f}")
    print(f"  (search and refit took {elapsed:.1f} s)")
    return search


#: Section 4's networks: six hidden layers of 32 units, one epoch of plain SGD without a
#: penalty (a step is then exactly -learning_rate * dJ/dW).
DEEP_NETWORK = dict(hidden_layer_sizes=(32,) * 6, solver="sgd", momentum=0, alpha=0,
                    max_iter=1, random_state=0)


def _first_epoch_gradient_norms(activation, X, y):
    clf = MLPClassifier(activation=activation, **DEEP_NETWORK)
    with warnings.catch_warnings():
        # One epoch is the whole budget: scikit-learn calls that not converged.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf.gradient_norms_[0]


def vanishing_gradients():
    """Section 4: per-layer gradient norms, logistic against relu hidden layers.

    Returns ``{activation: gradient_norms_[0]}`` (first epoch, input layer first).
    """
    _heading(4, "Vanishing gradients: how much each layer learns")
    print("  MLPClassifier(hidden_layer_sizes=(32,) * 6, solver='sgd', momentum=0, alpha=0,"
          "\n                max_iter=1, random_state=0), activation 'logistic' or 'relu', "
          "on the\n  standardised digits. Each row: a weight layer's norm of dJ/dW, the "
          "mean over the\n  first epoch's steps (gradient_norms_[0]).")
    print()
    X, y = load_digits(return_X_y=True)
    X = scale(X)
    norms = {act: _first_epoch_gradient_norms(act, X, y) for act in ("logistic", "relu")}
    n_layers = len(norms["logistic"])
    rows = []
    for layer in range(n_layers):
        name = f"W{layer + 1}"
        if layer == 0:
            name += " (input)"
        elif layer == n_layers - 1:
            name += " (output)"
        rows.append([name, f"{norms['logistic'][layer]:.2e}", f"{norms['relu'][layer]:.2e}"])
    print("\n".join(format_table(["weight layer", "logistic", "relu"], rows)))
    print()
    ratios = {act: g[0] / g[-1] for act, g in norms.items()}
    print(f"  input layer / output layer: logistic {ratios['logistic']:.2e}, "
          f"relu {ratios['relu']:.2e}")
    print("  A step of plain SGD without penalty changes W by -learning_rate * dJ/dW: "
          "in the\n  logistic network the layers near the output change a lot, those "
          "near the input little.\n  On its way down each logistic layer multiplies the "
          "gradient by its local derivative\n  a(1 - a) <= 1/4 (and by the weights); "
          "relu's local derivative is 1 for an active unit,\n  and the norms stay alike.")
    return norms


def main(quick=False):
    """Run the four sections; ``quick=True`` shrinks the grid search of section 3."""
    # The matrices here are tiny: several BLAS threads cost more in synchronisation than
    # they bring, and on a busy machine they can slow every fit down many times over.
    with threadpool_limits(limits=1, user_api="blas"):
        perceptron_truth_tables()
        mlp_learns_xor()
        digits_grid_search(quick=quick)
        vanishing_gradients()


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skperceptron", description="A short tour of skperceptron."
    )
    parser.add_argument(
        "--quick", action="store_true", help="run a smaller grid search on the digits"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(quick=_parse_args().quick)
