"""The example scripts in docs/examples run (those on Dask on a local cluster) and print sense."""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skperceptron._utils.kernels import HAVE_NUMBA

pytestmark = pytest.mark.slow  # each example runs as a script of its own

GALLERY = Path(__file__).resolve().parents[1] / "docs" / "examples"
EXAMPLES = GALLERY / "beyond_one_machine"

#: The widest line an example may print: the width of the site's code blocks.
MAX_COLUMNS = 88


def _run(script, *args, env=None, folder=EXAMPLES):
    result = subprocess.run(
        [sys.executable, str(folder / script), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@functools.cache
def _gallery_output(script):
    """What a gallery example prints when run as a script (figures drawn off screen)."""
    return _run(script, env={"MPLBACKEND": "Agg"}, folder=GALLERY)


# The examples print the same numbers on either engine (the numba kernels and their
# numpy forms agree bit for bit: tests/utils/test_speed.py): CI checks their printouts
# in its numba run only, where they run fastest.
@pytest.mark.skipif(not HAVE_NUMBA, reason="the printouts are checked with numba")
@pytest.mark.parametrize("script", sorted(path.name for path in GALLERY.glob("plot_*.py")))
def test_gallery_example_prints_lines_within_88_columns(script):
    # The site shows each example's printed output in a block of 88 columns; a longer
    # line scrolls sideways and hides its end. Each example runs in a few seconds of
    # CPU (the build allows 30 s each): 14 examples took 89 s of CPU in all, 6 min
    # on a 2-core machine busy with other work.
    wide = [line for line in _gallery_output(script).splitlines()
            if len(line) > MAX_COLUMNS]
    assert not wide, f"{script} prints lines wider than {MAX_COLUMNS} columns: {wide}"


def _needs_dask():
    pytest.importorskip("dask.distributed")
    pytest.importorskip("dask_ml")


def test_distributed_grid_search_example():
    _needs_dask()
    output = _run("distributed_grid_search.py", "--max-iter", "10")
    assert "cluster: 2 workers" in output
    rows = re.findall(r"^(\(.*?\))\s+(\S+)\s+(0\.\d{4})\s+(0\.\d{4})$", output, re.MULTILINE)
    assert len(rows) == 6  # 3 architectures x 2 penalties
    best = re.search(r"^best: .*accuracy (0\.\d{4})$", output, re.MULTILINE)
    # The best score printed is the highest in the table, and far above chance (0.1).
    assert float(best.group(1)) == max(float(row[2]) for row in rows)
    assert float(best.group(1)) > 0.8


def test_out_of_core_example():
    _needs_dask()
    output = _run("out_of_core.py", "--rows", "40000", "--budget-mb", "1", "--epochs", "2")
    accuracies = [float(a) for a in re.findall(r"test accuracy (0\.\d{3})", output)]
    assert len(accuracies) == 3  # memmap + fit_chunks, dask + fit_chunks, Incremental
    # Four classes from a noisy teacher network: chance is 0.25 (the largest class
    # about 0.3); two epochs over 32,000 rows learn most of it.
    assert min(accuracies) > 0.6
    assert "chunks of 5200 rows (1 MB)" in output


@pytest.mark.skipif(not HAVE_NUMBA,
                    reason="8000 documents through the per-sample loop: minutes in Python")
def test_text_classification_example():
    pytest.importorskip("matplotlib")  # a gallery example: it draws its figures
    output = _gallery_output("plot_text_classification.py")
    rows = dict(re.findall(
        r"^(skperceptron \S+|scikit-learn \S+)\s+(\d\.\d{3})\s+\d+\s+\S+$",
        output, re.MULTILINE))
    assert set(rows) == {"skperceptron PerceptronClassifier", "scikit-learn Perceptron"}
    # Ten classes (chance 0.1) told apart by 4 topic words in 80 on average: both
    # perceptrons reach about 0.65 on this corpus, far above chance.
    assert all(float(a) > 0.4 for a in rows.values())
    pipeline = re.search(r"PerceptronClassifier\): test accuracy (\d\.\d{3})", output)
    assert float(pipeline.group(1)) > 0.4
    # The topic words are the only words that tell a class apart, so the heaviest
    # weights of each unit belong to its own class's topic words (all 100 on this
    # corpus); a unit weighing another class's words would break this.
    hits = re.search(r"over all 10 classes: (\d+) of 100 top terms", output)
    assert int(hits.group(1)) >= 80
    # One-versus-rest: a unit's own topic words weigh for it, the others' against it.
    own = re.search(r"its own topic words\s+([+-]\d+\.\d{3})", output)
    other = re.search(r"other classes' topic words\s+([+-]\d+\.\d{3})", output)
    assert float(own.group(1)) > 0 > float(other.group(1))
    # What the narrative says of the validation curves: both runs end on an epoch
    # without a mistake before their 15, and the averaged perceptron starts ahead
    # of the plain rule and ends at least as high.
    runs = re.findall(r"^(perceptron|averaged perceptron): stopped after (\d+) epochs "
                      r"\((\w+)\); validation accuracy by epoch:\n  ([\d. ]+)$",
                      output, re.MULTILINE)
    curves = {name: [float(s) for s in scores.split()] for name, _, _, scores in runs}
    assert [(n_iter, reason) for _, n_iter, reason, _ in runs] == [
        (str(len(curves["perceptron"])), "converged"),
        (str(len(curves["averaged perceptron"])), "converged"),
    ]
    assert all(len(curve) < 15 for curve in curves.values())
    assert curves["averaged perceptron"][0] > curves["perceptron"][0]
    assert curves["averaged perceptron"][-1] >= curves["perceptron"][-1]
