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
import itertools
import textwrap
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


#: The widest line the tour prints.
WIDTH = 88


def _say(text, indent="  "):
    """Print ``text`` as a paragraph wrapped to ``WIDTH`` columns.

    Lines break at spaces only, not inside a part passed through ``_unbroken``.
    """
    text = textwrap.fill(text, width=WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_on_hyphens=False)
    print(text.replace(_NO_BREAK, " "))


#: A space that ``textwrap`` does not break lines at (it splits on ASCII whitespace).
_NO_BREAK = "\u00a0"


def _unbroken(text):
    """``text`` kept on one line by ``_say``."""
    return text.replace(" ", _NO_BREAK)


def _heading(number, title):
    text = f"{number}. {title}"
    print()
    print(text)
    print("=" * len(text))


def _bits(values):
    return " ".join(str(int(v)) for v in values)


def _numbers(values):
    return " ".join(_number(v) for v in values)


def _number(value):
    """A weight for display: an integer when it is one (the perceptron's usually are)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.3g}"


#: The weight values ``best_line`` tries, small ones first.
SMALL_WEIGHTS = (0, 1, -1, 2, -2)


def best_line(X, y, values=SMALL_WEIGHTS):
    """The weights (w1, w2, b) among ``values`` that get most of y right.

    Returns ``(weights, n_right)``: the first best in the order of
    ``itertools.product`` (small values first), predicting 1 where
    ``z = x @ w + b > 0``.
    """
    best, n_best = None, -1
    for w1, w2, b in itertools.product(values, repeat=3):
        n_right = int(np.sum((X @ np.array([w1, w2]) + b > 0) == y))
        if n_right > n_best:
            best, n_best = (w1, w2, b), n_right
    return best, n_best


def perceptron_truth_tables(max_iter=100):
    """Section 1: the perceptron rule on AND, OR, NAND and XOR.

    Returns ``{gate: fitted PerceptronClassifier}``.
    """
    _heading(1, "Rosenblatt's perceptron on two-input truth tables")
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
    eta0, init = clf.eta0, clf.weight_init
    print(f"  PerceptronClassifier(tol=None, max_iter={max_iter}, random_state=0): "
          "one threshold unit.")
    _say("Its net input is z = w1*x1 + w2*x2 + b, and it predicts 1 if z > 0, else 0: "
         "a net input of exactly 0 counts as class 0.")
    _say(f"Training starts from weight_init={init!r} and visits the four samples one "
         "at a time, in a new shuffled order each epoch. With s = +1 for target 1 and "
         "s = -1 for target 0, a sample is a mistake when s * z <= 0 (so z = 0 is a "
         f"mistake for either target), and a mistake moves the line: w += eta0 * s * x "
         f"and b += eta0 * s (eta0={_number(eta0)}). A correct sample changes nothing.")
    print("  Inputs (x1, x2), in order: (0,0) (0,1) (1,0) (1,1)")
    print()
    headers = ["gate", "targets", "predicted", "correct", "epochs", "stop_reason",
               "w1", "w2", "b"]
    print("\n".join(format_table(headers, rows)))
    print()
    print("  converged: a whole epoch without a mistake, so no weight moved any more.")
    print("  max_iter:  the epoch budget ran out while mistakes were still being made.")
    print("  (tol=None switches off a third way to stop, the plateau rule of section 2.)")
    print()
    xor = fitted["XOR"]
    z = xor.decision_function(TRUTH_TABLE_INPUTS)
    n_right = int(np.sum(xor.predict(TRUTH_TABLE_INPUTS) == GATES["XOR"]))
    (b1, b2, bb), n_best = best_line(TRUTH_TABLE_INPUTS, GATES["XOR"])
    z_best = TRUTH_TABLE_INPUTS @ np.array([b1, b2]) + bb
    _say("XOR fails: no line w1*x1 + w2*x2 + b = 0 has (0,1) and (1,0) on one side and "
         "(0,0) and (1,1) on the other, so any weights get at least one of the four "
         "points wrong: 3/4 right at most. Among the weights from "
         f"{min(SMALL_WEIGHTS)} to {max(SMALL_WEIGHTS)}, the first to "
         f"get the most right is {_unbroken(f'(w1, w2, b) = ({b1}, {b2}, {bb})')}: "
         f"z = {_unbroken(_numbers(z_best))}, predicted {_unbroken(_bits(z_best > 0))}, "
         f"{n_best}/4 right.")
    print()
    _say("The perceptron rule keeps the weights of its last update, whatever they score: "
         "it has no memory of better ones, and on XOR some sample is always a mistake, "
         f"so the line never stops moving. Here the final weights give "
         f"z = {_unbroken(_numbers(z))}, hence predicted {_unbroken(_bits(z > 0))} "
         f"(z = 0 is class 0): {n_right}/4 right.")
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
    if clf.stop_reason_ == "training_loss_plateau":
        _say(_plateau_text(clf))
    print()
    _say("The hidden units bend the input space: XOR becomes linearly separable in "
         "their outputs, and the output unit draws the line there.")
    return clf


def plateau_epochs(loss_curve, tol):
    """The epochs at the end of ``loss_curve`` that did not improve on the best by ``tol``.

    The rule of ``stop_reason_='training_loss_plateau'``: an epoch improves when its
    training loss is below the lowest so far minus ``tol``.
    """
    best, count = np.inf, 0
    for loss in loss_curve:
        count = 0 if loss < best - tol else count + 1
        best = min(best, loss)
    return count


def _plateau_text(clf):
    """What ``stop_reason_='training_loss_plateau'`` meant for the fitted ``clf``."""
    curve = np.asarray(clf.loss_curve_)
    count = plateau_epochs(curve, clf.tol)
    last = curve[-count - 1:]  # the last improving epoch, then the plateau
    if np.all(np.diff(last) < 0):
        trend = "still falling, but by less than tol per epoch"
    else:
        trend = "no longer falling by tol"
    return (
        "training_loss_plateau: an epoch counts as progress when its training loss is "
        f"at least tol={clf.tol:g} below the lowest so far. The last {count} epochs "
        f"were not: n_iter_no_change={clf.n_iter_no_change} such epochs in a row are "
        f"tolerated, one more stops training. From the last epoch that counted to the "
        f"end, the loss went from {last[0]:.4g} to {last[-1]:.4g}: {trend}."
    )


def _grid_settings(quick):
    if quick:
        return dict(hidden=[(32,)], alpha=[1e-4, 1.0], cv=2, max_iter=50)
    # 500 epochs: every fit of the search and the refit stop on the plateau rule before
    # (the longest, alpha=1 on one fold, after 417 epochs).
    return dict(hidden=[(32,), (64,)], alpha=[1e-4, 1e-1, 1.0], cv=3, max_iter=500)


def within_one_std(results, index):
    """Which candidates' mean CV score lies within one standard deviation (over the
    folds) of candidate ``index``'s, as a boolean array."""
    mean, std = results["mean_test_score"], results["std_test_score"]
    return mean >= mean[index] - std[index]


def _stop_text(clf):
    """Why the fitted ``clf`` stopped, in a sentence, from its own loss curve."""
    curve = np.asarray(clf.loss_curve_)
    if clf.stop_reason_ == "training_loss_plateau":
        count = plateau_epochs(curve, clf.tol)
        return (f"As in section 2, its last {count} epochs did not lower the training "
                f"loss by tol={clf.tol:g} below the lowest so far.")
    if clf.stop_reason_ == "max_iter":
        n = min(clf.n_iter_no_change, len(curve) - 1)
        drop = (curve[-n - 1] - curve[-1]) / n
        compare = "more" if drop > clf.tol else "less"
        return (f"The budget of max_iter={clf.max_iter} epochs ran out first: over the "
                f"last {n} epochs the training loss still fell by {drop:.2g} per epoch "
                f"on average, {compare} than tol={clf.tol:g}; more epochs would train "
                "it further.")
    return ""


def _search_table(results, top):
    """(headers, rows) of the grid search's results; the last column says whether a
    setting's mean score is within one standard deviation of the best one's."""
    near = within_one_std(results, top)
    rows = []
    for i, params in enumerate(results["params"]):
        rows.append([
            str(params["mlp__hidden_layer_sizes"]),
            f"{params['mlp__alpha']:g}",
            f"{results['mean_test_score'][i]:.4f}",
            f"{results['std_test_score'][i]:.4f}",
            f"{results['mean_fit_time'][i]:.2f}",
            results["rank_test_score"][i],
            "yes" if near[i] else "no",
        ])
    headers = ["hidden_layer_sizes", "alpha", "mean CV accuracy", "std",
               "mean fit (s)", "rank", "within 1 std"]
    return headers, rows


def _spread_text(results, top, cv):
    """What the spread between folds says about the best setting."""
    near = within_one_std(results, top)
    n_settings = len(results["params"])
    n_top = int(np.sum(results["rank_test_score"] == 1))
    shared = f", shared by {n_top} settings" if n_top > 1 else ""
    best_mean, best_std = results["mean_test_score"][top], results["std_test_score"][top]
    text = (f"The best mean CV accuracy is {best_mean:.4f}{shared}; its standard "
            f"deviation over the {cv} folds is {best_std:.4f}. ")
    if near.sum() <= 1:
        return text + "Every other setting scores more than one standard deviation below it."
    if near.all():
        count = "Both" if n_settings == 2 else f"All {n_settings}"
    else:
        count = f"{near.sum()} of the {n_settings}"
    return text + (f"{count} settings score within one standard "
                   "deviation of it (within 1 std: yes): differences this small are within "
                   "the spread between folds, not evidence that one of these settings is "
                   "better than the others: any of them is a sound choice.")


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
    print(f"  Pipeline(StandardScaler(), MLPClassifier(max_iter={settings['max_iter']}, "
          "random_state=0)),")
    print(f"  GridSearchCV(cv={settings['cv']}) over hidden_layer_sizes and alpha "
          "(the L2 penalty)")
    print(f"  training set: {X_train.shape[0]} images, held-out test set: "
          f"{X_test.shape[0]} images")
    print()
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Candidates that spend their epoch budget warn; their stop reason is 'max_iter'.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    elapsed = time.perf_counter() - started

    print("\n".join(format_table(*_search_table(search.cv_results_, search.best_index_))))
    print()
    _say(_spread_text(search.cv_results_, search.best_index_, settings["cv"]))
    print()
    best = search.best_estimator_.named_steps["mlp"]
    best_params = search.best_params_
    _say("GridSearchCV refits the first setting of rank 1 on the whole training set:")
    print(f"  hidden_layer_sizes={best_params['mlp__hidden_layer_sizes']}, "
          f"alpha={best_params['mlp__alpha']:g}")
    print(f"  epochs: {best.n_iter_}, stop_reason: {best.stop_reason_}")
    _say(_stop_text(best))
    print(f"  held-out test accuracy of the refit model: {search.score(X_test, y_test):.4f}")
    print(f"  (search and refit took {elapsed:.1f} s)")
    return search


#: Section 4's networks: six hidden layers of 32 units, one epoch of plain SGD without a
#: penalty (a step is then exactly -learning_rate_init * dJ/dW, at a constant rate).
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
    rate = MLPClassifier(**DEEP_NETWORK).get_params()
    _say("A step of plain SGD without momentum or penalty changes W by "
         f"{_unbroken('-learning_rate_init * dJ/dW')} "
         f"(learning_rate_init={rate['learning_rate_init']:g}, "
         f"learning_rate={rate['learning_rate']!r}): in the logistic network the layers "
         "near the output change a lot, those near the input little. On its way down "
         "each logistic layer multiplies the gradient by its local derivative "
         f"{_unbroken('a(1 - a) <= 1/4')} (and by the weights); relu's local derivative "
         "is 1 for an active unit, and the norms stay alike.")
    return norms


def main(quick=False):
    """Run the four sections; ``quick=True`` shrinks the grid search of section 3.

    Returns what each section returned, by name: ``perceptrons``, ``xor_mlp``,
    ``search`` and ``gradient_norms``.
    """
    # The matrices here are tiny: several BLAS threads cost more in synchronisation than
    # they bring, and on a busy machine they can slow every fit down many times over.
    with threadpool_limits(limits=1, user_api="blas"):
        return {
            "perceptrons": perceptron_truth_tables(),
            "xor_mlp": mlp_learns_xor(),
            "search": digits_grid_search(quick=quick),
            "gradient_norms": vanishing_gradients(),
        }


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
