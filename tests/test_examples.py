"""The example scripts in docs/examples run (those on Dask on a local cluster) and print sense."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _run(script, *args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


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


def test_text_classification_example():
    output = _run("text_classification.py", "--documents", "3000", "--classes", "5",
                  "--epochs", "5")
    rows = dict(re.findall(r"^(skperceptron \S+|scikit-learn \S+)\s+(\d\.\d{3})\s+\S+$",
                           output, re.MULTILINE))
    assert set(rows) == {"skperceptron PerceptronClassifier", "scikit-learn Perceptron"}
    # Five classes (chance 0.2) told apart by 4 topic words in 80 on average: both
    # perceptrons reach about 0.69 on this corpus, far above chance.
    assert all(float(a) > 0.5 for a in rows.values())
    pipeline = re.search(r"PerceptronClassifier\): test accuracy (\d\.\d{3})", output)
    assert float(pipeline.group(1)) > 0.5
