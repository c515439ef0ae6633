"""The ``python -m skperceptron`` tour: it runs, and what it prints is right.

The tour runs once in quick mode and the tests read its printed tables. Claims are
checked against theory (a perceptron learns every linearly separable gate and never
XOR), against the printed numbers themselves (the printed weights must reproduce the
printed predictions), against the grid search's own ranking, and against the vanishing
gradient of deep logistic networks (bounds measured across random seeds, with margin).
"""

import contextlib
import io
import re
import runpy
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skperceptron import PerceptronClassifier
from skperceptron import __main__ as tour

X_TRUTH = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
TARGETS = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}


@pytest.fixture(scope="module")
def run():
    """What the quick tour printed, and what its sections returned."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        returned = tour.main(quick=True)
    return buffer.getvalue(), returned


@pytest.fixture(scope="module")
def output(run):
    return run[0]


@pytest.fixture(scope="module")
def returned(run):
    return run[1]


def _section(output, number):
    """Text of section ``number`` (up to the next numbered heading)."""
    parts = re.split(r"^(?=\d+\. )", output, flags=re.MULTILINE)
    (text,) = [p for p in parts if p.startswith(f"{number}. ")]
    return text


def _table(section, first_header):
    """Rows of the table whose header line starts with ``first_header``, as cell lists."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(first_header))
    rows = []
    for line in lines[start + 2 :]:  # skip the header and its rule
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))  # cells are separated by 2+ spaces
    return rows


def _bits(cell):
    return [int(v) for v in cell.split()]


def _prose(section):
    """The section's text with its lines joined, so that sentences can be searched."""
    return " ".join(line.strip() for line in section.splitlines())


@pytest.fixture(scope="module")
def perceptron_rows(output):
    rows = _table(_section(output, 1), "gate")
    return {row[0]: row for row in rows}


def test_importing_the_tour_module_runs_nothing(capsys):
    runpy.run_path(tour.__file__)  # executed afresh, under a name other than __main__
    assert capsys.readouterr().out == ""


def test_tour_has_its_four_sections(output):
    for number in (1, 2, 3, 4):
        assert re.search(rf"^{number}\. ", output, flags=re.MULTILINE)


def test_perceptron_table_lists_every_gate_with_its_targets(perceptron_rows):
    assert set(perceptron_rows) == set(TARGETS)
    for gate, row in perceptron_rows.items():
        assert _bits(row[1]) == TARGETS[gate]


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_perceptron_learns_linearly_separable_gates(perceptron_rows, gate):
    # Perceptron convergence theorem: on separable data the rule stops making mistakes
    # after finitely many updates, so the run ends at a fixed point with 4/4 right.
    _, targets, predicted, correct, epochs, reason, *_ = perceptron_rows[gate]
    assert _bits(predicted) == _bits(targets)
    assert correct == "4/4"
    assert reason == "converged"
    assert int(epochs) < 100  # stopped before the budget of the tour


def test_perceptron_cannot_learn_xor(perceptron_rows):
    _, targets, predicted, correct, epochs, reason, *_ = perceptron_rows["XOR"]
    n_right = sum(p == t for p, t in zip(_bits(predicted), _bits(targets)))
    assert n_right <= 3
    assert correct == f"{n_right}/4"
    # Mistakes never stop on non-separable data, so the rule spends its whole budget.
    assert reason == "max_iter"


@pytest.mark.parametrize("gate", list(TARGETS))
def test_printed_perceptron_weights_reproduce_printed_predictions(perceptron_rows, gate):
    row = perceptron_rows[gate]
    w1, w2, b = (float(v) for v in row[6:9])
    z = X_TRUTH @ np.array([w1, w2]) + b
    assert (z > 0).astype(int).tolist() == _bits(row[2])


def test_every_line_of_the_tour_fits_in_88_columns(output):
    assert max(len(line) for line in output.splitlines()) <= 88


def _perceptron_rule(X, y, epochs, strict=False):
    """The update rule section 1 states, in plain numpy, samples in the given order:
    a mistake when s * z <= 0 (``strict``: s * z < 0), then w += eta0 * s * x and
    b += eta0 * s with eta0 = 1, from zero weights."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, target in zip(X, y):
            s = 1 if target == 1 else -1
            z = x @ w + b
            if (s * z < 0) if strict else (s * z <= 0):
                w, b = w + s * x, b + s
    return w, b


@pytest.mark.parametrize("gate", list(TARGETS))
@pytest.mark.parametrize("epochs", [1, 3, 10])
def test_stated_perceptron_rule_is_the_library_s(gate, epochs):
    # Without shuffling, the library visits the samples in order: the stated rule,
    # bias update included, must give the same weights after any number of epochs.
    y = np.array(TARGETS[gate])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = PerceptronClassifier(tol=None, max_iter=epochs, shuffle=False).fit(X_TRUTH, y)
    w, b = _perceptron_rule(X_TRUTH, y, clf.n_iter_)
    np.testing.assert_array_equal(clf.coef_[0], w)
    np.testing.assert_array_equal(clf.intercept_, [b])


def test_net_input_zero_is_a_mistake_in_training():
    # "z = 0 is a mistake for either target": from zero weights every sample has
    # z = 0, so a rule counting only s * z < 0 as a mistake would never move.
    y = np.array(TARGETS["AND"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = PerceptronClassifier(tol=None, max_iter=5, shuffle=False).fit(X_TRUTH, y)
    w, b = _perceptron_rule(X_TRUTH, y, 5, strict=True)
    assert not np.any(w) and b == 0
    assert np.any(clf.coef_)


def test_tour_states_how_the_perceptron_predicts_and_learns(output, returned):
    text = _prose(_section(output, 1))
    clf = returned["perceptrons"]["AND"]
    assert f"weight_init={clf.weight_init!r}" in text and clf.weight_init == "zeros"
    assert f"(eta0={clf.eta0:g})" in text
    assert "a net input of exactly 0 counts as class 0" in text
    assert "w += eta0 * s * x and b += eta0 * s" in text


def test_xor_final_weights_and_the_zero_net_input(output, returned, perceptron_rows):
    text = _prose(_section(output, 1))
    match = re.search(r"final weights give z = ([-\d. ]+?), hence predicted ([01 ]+?) "
                      r"\(z = 0 is class 0\): (\d)/4 right", text)
    assert match
    z, predicted, n_right = ([float(v) for v in match.group(1).split()],
                             _bits(match.group(2)), int(match.group(3)))
    row = perceptron_rows["XOR"]
    w1, w2, b = (float(v) for v in row[6:9])
    # The printed net inputs are those of the printed weights, and of the model.
    np.testing.assert_allclose(z, X_TRUTH @ np.array([w1, w2]) + b)
    clf = returned["perceptrons"]["XOR"]
    np.testing.assert_allclose(z, clf.decision_function(X_TRUTH))
    assert predicted == _bits(row[2]) == clf.predict(X_TRUTH).tolist()
    assert f"{n_right}/4" == row[3]
    # Where the net input is exactly 0 the model predicts class 0.
    zero = np.asarray(z) == 0
    assert zero.any() and not clf.predict(X_TRUTH)[zero].any()


def test_the_best_line_on_xor_gets_three_of_four(output, perceptron_rows):
    text = _prose(_section(output, 1))
    match = re.search(r"\(w1, w2, b\) = \((-?\d+), (-?\d+), (-?\d+)\): z = ([-\d ]+?), "
                      r"predicted ([01 ]+?), (\d)/4 right", text)
    assert match
    w1, w2, b = (int(v) for v in match.groups()[:3])
    z = X_TRUTH @ np.array([w1, w2]) + b
    assert [int(v) for v in match.group(4).split()] == z.tolist()
    assert _bits(match.group(5)) == (z > 0).astype(int).tolist()
    n_right = int(np.sum((z > 0) == TARGETS["XOR"]))
    # No line separates XOR: no weights get 4/4, and these get the 3 the text claims.
    assert int(match.group(6)) == n_right == 3
    assert tour.best_line(X_TRUTH, np.array(TARGETS["XOR"]))[1] == 3
    # The rule's last weights need not be the best: they get at most as many right.
    assert int(perceptron_rows["XOR"][3][0]) <= n_right


def test_plateau_epochs_counts_the_epochs_since_the_last_improvement():
    # 1.0 -> 0.5 improves; 0.49995 does not (by less than tol); 0.4 improves; then
    # 0.39999 and 0.45 do not.
    assert tour.plateau_epochs([1.0, 0.5, 0.49995, 0.4, 0.39999, 0.45], tol=1e-4) == 2
    assert tour.plateau_epochs([1.0, 0.5], tol=1e-4) == 0


def test_xor_plateau_is_explained_by_the_model_s_loss_curve(output, returned):
    text = _prose(_section(output, 2))
    clf = returned["xor_mlp"]
    assert clf.stop_reason_ == "training_loss_plateau"
    match = re.search(r"at least tol=(\S+) below the lowest so far\. The last (\d+) epochs "
                      r"were not: n_iter_no_change=(\d+) such epochs", text)
    assert match
    tol, count, patience = float(match.group(1)), int(match.group(2)), int(match.group(3))
    assert (tol, patience) == (clf.tol, clf.n_iter_no_change)
    # "one more stops training": the count at the stop is n_iter_no_change + 1, and
    # it is what the model's own loss curve gives.
    assert count == patience + 1 == tour.plateau_epochs(clf.loss_curve_, clf.tol)
    match = re.search(r"the loss went from (\S+) to (\S+): (still falling|no longer)", text)
    assert match
    curve = np.asarray(clf.loss_curve_)
    assert float(match.group(1)) == pytest.approx(curve[-count - 1], rel=1e-3)
    assert float(match.group(2)) == pytest.approx(curve[-1], rel=1e-3)
    falling = bool(np.all(np.diff(curve[-count - 1:]) < 0))
    assert (match.group(3) == "still falling") == falling


def test_mlp_with_hidden_layer_learns_xor(output):
    section = _section(output, 2)
    rows = _table(section, "x1")
    assert [[int(r[0]), int(r[1])] for r in rows] == X_TRUTH.tolist()
    targets = [int(r[2]) for r in rows]
    proba = [float(r[3]) for r in rows]
    predicted = [int(r[4]) for r in rows]
    assert targets == TARGETS["XOR"]
    assert predicted == targets
    assert [int(p > 0.5) for p in proba] == predicted  # log-loss output, threshold 1/2
    assert "correct: 4/4" in section


def test_grid_search_table_ranks_candidates_by_mean_score(output):
    section = _section(output, 3)
    rows = _table(section, "hidden_layer_sizes")
    settings = tour._grid_settings(quick=True)
    assert len(rows) == len(settings["hidden"]) * len(settings["alpha"])
    scores = np.array([float(r[2]) for r in rows])
    assert np.all((scores >= 0) & (scores <= 1))
    ranks = [int(r[5]) for r in rows]
    best_row = rows[ranks.index(1)]
    assert float(best_row[2]) == scores.max()
    match = re.search(r"^  hidden_layer_sizes=(\(.*?\)), alpha=(\S+)$", section,
                      flags=re.MULTILINE)
    assert match and match.groups() == (best_row[0], best_row[1])


def test_grid_search_names_the_settings_within_one_std_of_the_best(output, returned):
    section = _section(output, 3)
    rows = _table(section, "hidden_layer_sizes")
    results = returned["search"].cv_results_
    mean, std = results["mean_test_score"], results["std_test_score"]
    best = int(np.argmax(mean))
    near = mean >= mean[best] - std[best]
    assert [r[6] for r in rows] == ["yes" if n else "no" for n in near]
    text = _prose(section)
    assert f"best mean CV accuracy is {mean[best]:.4f}" in text
    assert f"over the {tour._grid_settings(quick=True)['cv']} folds is {std[best]:.4f}" in text
    n_near, n = int(near.sum()), len(rows)
    if n_near == n:
        assert ("Both settings" if n == 2 else f"All {n} settings") in text
    elif n_near > 1:
        assert f"{n_near} of the {n} settings" in text


def test_grid_search_reports_refit_and_held_out_accuracy(output, returned):
    section = _section(output, 3)
    match = re.search(r"epochs: (\d+), stop_reason: (\w+)", section)
    assert match
    epochs, reason = int(match.group(1)), match.group(2)
    settings = tour._grid_settings(quick=True)
    assert 1 <= epochs <= settings["max_iter"]
    assert reason in {"max_iter", "training_loss_plateau"}  # no early stopping, no threshold
    refit = returned["search"].best_estimator_.named_steps["mlp"]
    assert (epochs, reason) == (refit.n_iter_, refit.stop_reason_)
    # Why it stopped, from the refit's own loss curve.
    text, curve = _prose(section), np.asarray(refit.loss_curve_)
    if reason == "max_iter":
        match = re.search(r"over the last (\d+) epochs the training loss still fell by "
                          r"(\S+) per epoch on average, (more|less) than tol=(\S+);", text)
        assert match
        n, drop = int(match.group(1)), float(match.group(2))
        assert drop == pytest.approx((curve[-n - 1] - curve[-1]) / n, rel=1e-2)
        assert (match.group(3) == "more") == (drop > float(match.group(4)))
    else:
        match = re.search(r"its last (\d+) epochs did not lower the training loss", text)
        assert int(match.group(1)) == tour.plateau_epochs(curve, refit.tol)
    match = re.search(r"held-out test accuracy of the refit model: ([0-9.]+)", section)
    assert match
    # Even a briefly trained MLP on standardised digits is far above 0.9 (chance: 0.1).
    assert float(match.group(1)) > 0.9


@pytest.fixture(scope="module")
def gradient_norm_rows(output):
    return _table(_section(output, 4), "weight layer")


def test_gradient_norm_table_has_a_row_per_weight_layer(gradient_norm_rows):
    n_weight_layers = len(tour.DEEP_NETWORK["hidden_layer_sizes"]) + 1
    names = [row[0] for row in gradient_norm_rows]
    assert names == (["W1 (input)"] + [f"W{i}" for i in range(2, n_weight_layers)]
                     + [f"W{n_weight_layers} (output)"])
    norms = np.array([[float(row[1]), float(row[2])] for row in gradient_norm_rows])
    assert np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_logistic_gradients_vanish_towards_the_input(gradient_norm_rows):
    # Going down, each logistic layer multiplies the gradient by a(1 - a) <= 1/4 (and by
    # the weights). Over random_state 0-9 the first-epoch norms of this network grow
    # layer by layer from input to output, and the input layer's is at most 5.1e-5
    # times the output layer's; relu's ratio lies between 0.4 and 1.6 and its norms
    # within a factor 2.5 of each other. The bounds below keep a wide margin.
    logistic = np.array([float(row[1]) for row in gradient_norm_rows])
    relu = np.array([float(row[2]) for row in gradient_norm_rows])
    assert np.all(np.diff(logistic) > 0)
    assert logistic[0] / logistic[-1] < 1e-3
    assert 0.1 < relu[0] / relu[-1] < 10
    assert relu.max() / relu.min() < 10


def test_printed_gradient_norm_ratios_are_those_of_the_table(output, gradient_norm_rows):
    match = re.search(r"input layer / output layer: logistic (\S+), relu (\S+)$",
                      _section(output, 4), flags=re.MULTILINE)
    assert match
    for column, printed in zip((1, 2), match.groups()):
        first, last = float(gradient_norm_rows[0][column]), float(gradient_norm_rows[-1][column])
        # Every number is printed to 3 significant digits: a relative rounding of
        # at most 5e-3 on each of the three.
        assert float(printed) == pytest.approx(first / last, rel=2e-2)


def test_stated_step_size_is_the_deep_network_s(output):
    text = _prose(_section(output, 4))
    clf = tour.MLPClassifier(**tour.DEEP_NETWORK)
    assert "changes W by -learning_rate_init * dJ/dW" in text
    assert (f"(learning_rate_init={clf.learning_rate_init:g}, "
            f"learning_rate={clf.learning_rate!r})") in text
    # Plain SGD: no momentum, no penalty, a constant rate.
    assert (clf.solver, clf.momentum, clf.alpha, clf.learning_rate) == (
        "sgd", 0, 0, "constant")


def test_format_table_aligns_columns():
    lines = tour.format_table(["name", "value"], [["a", 1.5], ["longer", 10]], indent="")
    header, rule, *rows = lines
    assert rule == "------  -----"
    # Text cells left-aligned, numbers right-aligned under their header.
    assert rows == ["a         1.5", "longer     10"]
    assert header == "name    value"


@pytest.mark.slow  # a few seconds (a subprocess, a memory map, a parallel search)
def test_command_line_quick_run():
    completed = subprocess.run(
        [sys.executable, "-m", "skperceptron", "--quick"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "held-out test accuracy" in completed.stdout
    assert max(len(line) for line in completed.stdout.splitlines()) <= 88
    assert "Traceback" not in completed.stderr


def test_command_line_rejects_unknown_option():
    with pytest.raises(SystemExit) as excinfo:
        tour._parse_args(["--fast"])
    assert excinfo.value.code == 2
