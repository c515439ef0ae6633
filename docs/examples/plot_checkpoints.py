"""
======================================
Checkpoints: a killed fit, resumed
======================================

A long fit can end before its time: the machine restarts, a job scheduler's time runs
out, the process is killed. :class:`~skperceptron.Checkpoint` writes the state of a fit
in progress to a file every few epochs: not only the weights, but all that the
rest of the fit depends on (the optimizer's moments and step count, the epoch of the
learning-rate schedule, the random generators of the shuffling and of dropout, the
stopping criteria's counts, the curves so far). :func:`~skperceptron.resume_fit` reads
the file and runs the rest of the fit, which then ends as the fit that was never
interrupted would have, bit for bit. :func:`~skperceptron.fit_with_checkpoints` fits
with a checkpoint with any version of scikit-learn; from scikit-learn 1.9 on, a
``Checkpoint`` is also a callback for ``set_callbacks``. Saving a *fitted* model is
another matter, shown in :ref:`sphx_glr_auto_examples_plot_saving_loading.py`.
"""

# %%
# A fit in another process
# ------------------------
# The digits, scaled; an :class:`~skperceptron.MLPClassifier` with a hidden layer of
# 64 relu units, Adam, dropout of 0.2, a cosine schedule over 120 epochs
# (``n_iter_no_change=np.inf``: the 120 epochs all run). Each of these keeps state
# that the next epoch needs: the moments, the schedule's epoch, the dropout masks'
# generator.
#
# The fit runs in a child process, which writes a checkpoint every 20 epochs to
# ``fit-{epoch}.pkl`` (``{epoch}`` in the path keeps one file per checkpoint; a
# path without it is overwritten each time). A path ending in ``.skops`` would be
# written by skops, and read back trusting no type beyond plain data: the format for
# files that come from elsewhere. Any other path is written by :mod:`pickle`, to be
# read only if you wrote it, as here. The parent waits for the checkpoint of epoch
# 40, then kills the child with SIGKILL, which a process cannot catch or clean up
# after (the kernel's out-of-memory killer sends it). A checkpoint is written under a
# temporary name and renamed once complete, so a kill in the middle of a write leaves
# the previous checkpoints whole.
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skperceptron import Checkpoint, MLPClassifier, fit_with_checkpoints, resume_fit

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
# n_iter_no_change=np.inf is added where the estimator is made (repr writes it inf).
PARAMS = dict(hidden_layer_sizes=(64,), dropout=0.2, learning_rate="cosine",
              learning_rate_init=0.003, max_iter=120, random_state=0)

folder = Path(tempfile.mkdtemp())
np.save(folder / "X.npy", X)
np.save(folder / "y.npy", y)
checkpoint = Checkpoint(folder / "fit-{epoch}.pkl", every=20)
print(repr(checkpoint).replace(str(folder), "<folder>"))
# The child's program: the fit above, with this checkpoint (its repr is its code).
child = textwrap.dedent(f"""
    import numpy as np
    from skperceptron import Checkpoint, MLPClassifier, fit_with_checkpoints
    X, y = np.load("{folder / 'X.npy'}"), np.load("{folder / 'y.npy'}")
    clf = MLPClassifier(**{PARAMS!r}, n_iter_no_change=np.inf)
    fit_with_checkpoints(clf, X, y, {checkpoint!r})
    print("the fit ended")
""")
process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
began = time.perf_counter()
while not (folder / "fit-40.pkl").exists() and process.poll() is None:
    time.sleep(0.005)
process.kill()
out, err = process.communicate()
print(f"child stopped after {time.perf_counter() - began:.1f} s, return code "
      f"{process.returncode} (-9: killed by SIGKILL); its output: {out.strip()!r}")
files = sorted(folder.glob("fit-*.pkl"), key=lambda path: int(path.stem[4:]))
if not files:  # the child failed before its first checkpoint: say why
    raise RuntimeError(f"no checkpoint was written; the child's errors:\n{err}")
print("checkpoints on disk:", ", ".join(path.name for path in files))

# %%
# The child printed nothing: it never reached the end of its fit. (It may have
# written the checkpoint of epoch 60 too if the kill came late; the code below takes
# whichever is the last.)
#
# Resuming
# --------
# :func:`~skperceptron.resume_fit` takes the checkpoint and the same training data. It
# checks that this version of skperceptron wrote the file and that the data are the
# same (their shapes and a SHA-256 of their bytes), rebuilds the estimator with the
# fit's parameters, and runs the remaining epochs, writing checkpoints as the fit did.
last = files[-1]
print(f"{last.name}: {last.stat().st_size / 1e3:.0f} kB")
began = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # max_iter reached: a ConvergenceWarning, planned
    resumed = resume_fit(last, X, y)
print(f"resumed fit: {time.perf_counter() - began:.1f} s, n_iter_ {resumed.n_iter_}, "
      f"stop_reason_ {resumed.stop_reason_!r}")

# %%
# Against the fit never interrupted
# ---------------------------------
# The same estimator, fitted here in one go: once without any checkpoint, and once
# with checkpoints as the child wrote them, run to the end. Each compared with the
# resumed fit:
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    whole = MLPClassifier(**PARAMS, n_iter_no_change=np.inf).fit(X, y)
    written = fit_with_checkpoints(
        MLPClassifier(**PARAMS, n_iter_no_change=np.inf), X, y,
        Checkpoint(folder / "whole-{epoch}.pkl", every=20))


def equal(a, b):
    """Which fitted arrays and values of ``a`` and ``b`` are equal, bit for bit."""
    return {
        "coefs_": all(np.array_equal(u, v) for u, v in zip(a.coefs_, b.coefs_)),
        "intercepts_": all(np.array_equal(u, v)
                           for u, v in zip(a.intercepts_, b.intercepts_)),
        "loss_curve_": np.array_equal(a.loss_curve_, b.loss_curve_),
        "learning_rates_": np.array_equal(a.learning_rates_, b.learning_rates_),
        "n_iter_": a.n_iter_ == b.n_iter_,
        "predict_proba": np.array_equal(a.predict_proba(X), b.predict_proba(X)),
    }


against_whole, against_written = equal(resumed, whole), equal(resumed, written)
print(f"{'resumed fit against':20}{'no checkpoint':>15}{'checkpoints':>13}")
for name in against_whole:
    print(f"{name:20}{against_whole[name]!s:>15}{against_written[name]!s:>13}")

# %%
# Every array is equal bit for bit, not merely close: the resumed epochs saw the same
# batches in the same order, dropped the same units and took the same steps at the
# same rates as the uninterrupted fit's epochs did; and writing checkpoints changed
# nothing in the fit that wrote them.
#
# The figure: the epoch loss of the fit never interrupted, and the one the resumed
# fit recorded (its first epochs come from the checkpoint), with the epoch the
# checkpoint was written after.
resumed_from = int(last.stem[4:])
fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
epochs = np.arange(1, whole.n_iter_ + 1)
ax.plot(epochs, whole.loss_curve_, color="0.7", linewidth=5, label="never interrupted")
ax.plot(epochs, resumed.loss_curve_, color="C0", label="killed, then resumed")
ax.axvline(resumed_from, color="C3", linestyle=":",
           label=f"checkpoint resumed from (epoch {resumed_from})")
ax.set(xlabel="Epoch", ylabel="epoch loss", yscale="log",
       title="A fit killed after a checkpoint and resumed from it")
ax.legend()
plt.show()

for path in folder.iterdir():
    os.remove(path)
folder.rmdir()
