"""The example scripts in docs/examples run, on a local Dask cluster, and print sense."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask.distributed")
pytest.importorskip("dask_ml")

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _run(script, *args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_distributed_grid_search_example():
    output = _run("distributed_grid_search.py", "--max-iter", "10")
    assert "cluster: 2 workers" in output
    rows = re.findall(r"^(\(.*?\))\s+(\S+)\s+(0\.\d{4})\s+(0\.\d{4})$", output, re.MULTILINE)
    assert len(rows) == 6  # 3 architectures x 2 penalties
    best = re.search(r"^best: .*accuracy (0\.\d{4})$", output, re.MULTILINE)
    # The best score printed is the highest in the table, and far above chance (0.1).
    assert float(best.group(1)) == max(float(row[2]) for row in rows)
    assert float(best.group(1)) > 0.8


def test_out_of_core_example():
    output = _run("out_of_core.py", "--rows", "40000", "--budget-mb", "1", "--epochs", "2")
    accuracies = [float(a) for a in re.findall(r"test accuracy (0\.\d{3})", output)]
    assert len(accuracies) == 3  # memmap + fit_chunks, dask + fit_chunks, Incremental
    # Four classes from a noisy teacher network: chance is 0.25 (the largest class
    # about 0.3); two epochs over 32,000 rows learn most of it.
    assert min(accuracies) > 0.6
    assert "chunks of 5200 rows (1 MB)" in output
