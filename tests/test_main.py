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

import numpy as np
import pytest

from skperceptron import __main__ as tour

X_TRUTH = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
TARGETS = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}


@pytest.fixture(scope="module")
def output():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tour.main(quick=True)
    return buffer.getvalue()


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
    match = re.search(r"best: hidden_layer_sizes=(\(.*?\)), alpha=(\S+) ", section)
    assert match and match.groups() == (best_row[0], best_row[1])


def test_grid_search_reports_refit_and_held_out_accuracy(output):
    section = _section(output, 3)
    match = re.search(r"epochs: (\d+), stop_reason: (\w+)", section)
    assert match
    epochs, reason = int(match.group(1)), match.group(2)
    settings = tour._grid_settings(quick=True)
    assert 1 <= epochs <= settings["max_iter"]
    assert reason in {"max_iter", "training_loss_plateau"}  # no early stopping, no threshold
    match = re.search(r"held-out test accuracy of the best model: ([0-9.]+)", section)
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
    assert "Traceback" not in completed.stderr


def test_command_line_rejects_unknown_option():
    with pytest.raises(SystemExit) as excinfo:
        tour._parse_args(["--fast"])
    assert excinfo.value.code == 2
