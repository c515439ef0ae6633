"""
===========================================================
Saving and loading a model: pickle, skops, ONNX, and after
===========================================================

A fitted model is worth keeping: to predict tomorrow without training again, to
train it further when new data comes, or to run it where Python is not. This example
saves one network four ways (pickle, joblib, skops and ONNX), checks that every copy
predicts what the original predicts, shows what a safe load refuses, continues
training from a loaded copy, and looks at which versions a file records.
"""

# %%
# A model to save
# ---------------
# A network with one hidden layer of 32 units, trained by Adam for 30 epochs on the
# handwritten digits bundled with scikit-learn (8 x 8 images whose pixels run from 0
# to 16, divided by 16 here so that they run from 0 to 1). The files go to a temporary
# folder, removed at the end.
import json
import pickle
import shutil
import tempfile
import textwrap
import warnings
import zipfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import sklearn
import skops
import skops.io as sio
from skl2onnx import to_onnx
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skperceptron
import skperceptron.onnx  # noqa: F401  (registers the converters with skl2onnx)
from skperceptron import (MLPClassifier, MLPRegressor, PerceptronClassifier,
                          PerceptronRegressor)

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0)
with warnings.catch_warnings():
    # 30 epochs is a budget, not convergence: scikit-learn warns when it runs out.
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f} after {model.n_iter_} epochs")

folder = Path(tempfile.mkdtemp())


def same(a, b):
    """'identical' if the arrays are equal to the last bit, else their largest gap."""
    if np.array_equal(a, b):
        return "identical"
    return f"differ by up to {np.max(np.abs(a - b)):.1e}"


# %%
# pickle and joblib
# -----------------
# ``pickle`` writes any Python object to bytes; ``joblib.dump`` does the same, storing
# large numpy arrays in a form that is quicker to write and read. Both keep the model
# whole: the loaded copy predicts exactly what the original predicts, to the last bit
# of every probability.
with open(folder / "model.pkl", "wb") as file:
    pickle.dump(model, file)
joblib.dump(model, folder / "model.joblib")

with open(folder / "model.pkl", "rb") as file:
    from_pickle = pickle.load(file)
from_joblib = joblib.load(folder / "model.joblib")

labels, proba = model.predict(X_test), model.predict_proba(X_test)
pickle_proba = from_pickle.predict_proba(X_test)
for name, loaded, file in [("pickle", from_pickle, "model.pkl"),
                           ("joblib", from_joblib, "model.joblib")]:
    print(f"{name}: {(folder / file).stat().st_size / 1024:.0f} KiB, labels "
          f"{same(loaded.predict(X_test), labels)}, probabilities "
          f"{same(loaded.predict_proba(X_test), proba)}")

# %%
# Loading a pickle runs whatever code the file asks for: a file from someone you do not
# trust can do anything your account can. Load pickles (and joblib files) only from
# sources you trust.
#
# skops: load only the types you trust
# ------------------------------------
# ``skops.io`` writes a zip of numpy arrays and a JSON description of the objects, and
# on loading rebuilds only the types it is told to trust. Before loading,
# ``get_untrusted_types`` lists every type in the file that skops does not trust on its
# own. A skperceptron estimator saves its network, loss and optimizer as plain data
# (numbers, strings, arrays), so the list holds one type: the estimator's class.
sio.dump(model, folder / "model.skops")
print("untrusted types in the file:",
      sio.get_untrusted_types(file=folder / "model.skops"))

SKPERCEPTRON_TYPES = [MLPClassifier, MLPRegressor, PerceptronClassifier,
                      PerceptronRegressor]
from_skops = sio.load(folder / "model.skops", trusted=SKPERCEPTRON_TYPES)
print(f"skops: labels {same(from_skops.predict(X_test), labels)}, "
      f"probabilities {same(from_skops.predict_proba(X_test), proba)}")

# %%
# Trusting the four estimator classes of skperceptron, and nothing else, is enough for
# any file of this library. A load that is not told to trust them is refused, before
# anything in the file is built:


def refusal(path, **kwargs):
    """The text of the exception that ``sio.load`` raises, wrapped to 88 columns."""
    try:
        sio.load(path, **kwargs)
    except Exception as error:  # noqa: BLE001  (shown, not handled)
        return textwrap.fill(f"{type(error).__name__}: {error}", 88,
                             subsequent_indent="    ")
    return "loaded"


print(refusal(folder / "model.skops"))

# %%
# A file that holds a type you did not name is refused too, whatever else it holds.
# Here someone has saved a pipeline whose first step is a transformer class of their
# own (``Rescale``); trusting skperceptron's classes does not let it in. Trusting a
# type means trusting its code to run when the object is built: read the list, and
# name only the types you know. Never pass ``trusted=get_untrusted_types(...)``
# unread, which trusts whatever the file contains.


class Rescale(TransformerMixin, BaseEstimator):
    """Divides the pixels by 16 (someone's own code)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X) / 16


pipeline = make_pipeline(Rescale(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=5,
                                                  random_state=0))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline.fit(X_train * 16, y_train)
sio.dump(pipeline, folder / "pipeline.skops")
print("untrusted types in the file:",
      sio.get_untrusted_types(file=folder / "pipeline.skops"))
print(refusal(folder / "pipeline.skops", trusted=SKPERCEPTRON_TYPES))

# %%
# ONNX: the predictions without Python
# ------------------------------------
# ONNX is not a copy of the Python object but a description of the computation, a
# graph of standard operators, which onnxruntime (or another runtime, from C++, C#,
# Java or JavaScript) evaluates. ``import skperceptron.onnx`` registers the converters
# with skl2onnx; the input's dtype chooses the graph's (float64 here). Such a graph can
# only predict: it holds no optimizer, and training goes on in Python.
onnx_model = to_onnx(model, X_train[:1], options={"zipmap": False})
(folder / "model.onnx").write_bytes(onnx_model.SerializeToString())
session = ort.InferenceSession(str(folder / "model.onnx"),
                               providers=["CPUExecutionProvider"])
onnx_labels, onnx_proba = session.run(None, {"X": X_test})
print(f"ONNX graph of {len(onnx_model.graph.node)} nodes, outputs "
      f"{[output.name for output in onnx_model.graph.output]}")
print(f"onnxruntime: labels {same(onnx_labels, labels)}, "
      f"probabilities {same(onnx_proba, proba)}")

# %%
# The labels agree. The probabilities may differ in their last bits: the runtime sums
# the products of a layer in its own order, and rounding depends on the order
# (:ref:`sphx_glr_auto_examples_plot_onnx_export.py` measures the differences in float
# and in double).
#
# Training on after loading
# -------------------------
# The file keeps the optimizer's state with the weights: Adam's step count and its
# running averages of the gradients. So ``partial_fit`` on the loaded copy continues
# exactly as it would have on the original. Below, the original and the copies loaded
# from pickle and skops each take 10 more epochs by ``partial_fit`` on the same data.
# Each call shuffles the rows with a generator drawn from ``random_state``, the same
# for all three. Beside them, a new estimator is given the original's weights and
# nothing else (``partial_fit`` starts from ``coefs_`` and ``intercepts_`` assigned to
# an estimator never fitted) and takes the same 10 epochs.
weights_only = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
weights_only.coefs_ = [W.copy() for W in model.coefs_]
weights_only.intercepts_ = [b.copy() for b in model.intercepts_]
weights_only.partial_fit(X_train, y_train, classes=model.classes_)
for _ in range(9):
    weights_only.partial_fit(X_train, y_train)
for estimator in (model, from_pickle, from_skops):
    for _ in range(10):
        estimator.partial_fit(X_train, y_train)


def same_weights(a, b):
    """Whether two networks' weights and biases are equal to the last bit."""
    arrays = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return "identical" if all(np.array_equal(W, V) for W, V in arrays) else "different"


print("after 10 partial_fit calls, weights compared with the original's:")
for name, other in [("loaded from pickle", from_pickle),
                    ("loaded from skops", from_skops),
                    ("given only the weights", weights_only)]:
    print(f"  {name:<24}{same_weights(other, model)}; training loss of the last "
          f"epoch {other.loss_curve_[-1]:.6f}")

# %%
# The model given only the weights starts a new Adam, whose first steps are of
# another size (Adam's moments start at zero, see :ref:`maths-optimizers`), and
# ends elsewhere; the loaded copies go on with the saved state.
#
# ``fit`` with ``warm_start=True`` also starts from the current weights, for
# ``max_iter`` epochs more; on the original and on a loaded copy it ends on the same
# weights:
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for estimator in (model, from_pickle, from_skops):
        estimator.set_params(warm_start=True, max_iter=5).fit(X_train, y_train)
print(f"5 more epochs by warm_start: from pickle {same_weights(from_pickle, model)}, "
      f"from skops {same_weights(from_skops, model)}")

# %%
# What a file says about versions
# -------------------------------
# This site was built with these versions:
print(f"skperceptron {skperceptron.__version__}, scikit-learn {sklearn.__version__}, "
      f"skops {skops.__version__}")

# %%
# What pickle and skops store of an estimator is its ``__getstate__``. scikit-learn
# adds its version there, as ``_sklearn_version``, for its own estimators only (those
# defined in its modules); a skperceptron estimator's state records no version, of
# scikit-learn or of skperceptron. A skops file also records the version of skops that
# wrote it and its format's protocol:
scaler = StandardScaler().fit(X_train)
for estimator in (scaler, model):
    state = estimator.__getstate__()
    print(f"{type(estimator).__name__} state: "
          f"{ {key: state[key] for key in state if 'version' in key} }")
with zipfile.ZipFile(folder / "model.skops") as archive:
    header = json.loads(archive.read("schema.json"))
print("model.skops:", {key: header[key] for key in ("protocol", "_skops_version")})

# %%
# On loading, a scikit-learn estimator compares the version in its state with the one
# installed and warns if they differ (``InconsistentVersionWarning``), as the scaler
# does below when its state says it was saved by another version (the state is what
# pickle hands to ``__setstate__``):
state = scaler.__getstate__()
state["_sklearn_version"] = "1.4.2"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", InconsistentVersionWarning)
    StandardScaler.__new__(StandardScaler).__setstate__(state)
for warning in caught:
    text = str(warning.message).split(" For more info")[0]  # the link left out
    print(textwrap.fill(f"{warning.category.__name__}: {text}", 88,
                        subsequent_indent="    "))

# %%
# A skperceptron estimator has no version to compare. Its loading brings files written
# by earlier versions of the library up to date instead (``_persistence.py``): its
# internal objects are saved as plain data and rebuilt by the installed version, and a
# parameter added after a file was written takes the value that keeps the saved
# model's behaviour. Here the state of a file written before ``class_weight`` existed
# is imitated by removing it:
state = model.__getstate__()
del state["class_weight"]
old_file = pickle.loads(pickle.dumps(state))
restored = MLPClassifier.__new__(MLPClassifier)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    restored.__setstate__(old_file)
predictions = same(restored.predict_proba(X_test), model.predict_proba(X_test))
print(f"class_weight after loading: {restored.class_weight!r}; "
      f"warnings: {len(caught)}; probabilities {predictions}")

# %%
# The library's tests keep files written by skperceptron 0.1.0 loading, predicting and
# training on as they did (``tests/estimators/test_saved_models.py``). In a pipeline
# saved whole, each step keeps its own state: a scikit-learn step records its version
# and checks it on loading, a skperceptron step does neither.
#
# The figure
# ----------
# On the left, the training loss epoch by epoch: the 30 epochs of the first fit, then
# the 10 of ``partial_fit`` and the 5 of ``warm_start``, for the original and for the
# copy loaded from skops (its curve lies on the original's), and the 10 epochs of the
# model given only the weights. On the right, the probability of every test digit's
# most likely class by the original, against the copy from pickle (before it was
# trained on) and onnxruntime's: on the diagonal.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
epochs = np.arange(1, len(model.loss_curve_) + 1)
left.plot(epochs, model.loss_curve_, color="tab:blue", linewidth=3, label="original")
left.plot(epochs[30:], from_skops.loss_curve_[30:], "o", color="tab:orange",
          markersize=4, label="loaded from skops, trained on")
left.plot(epochs[30:40], weights_only.loss_curve_, "--", color="tab:green",
          label="given only the weights")
left.axvline(30.5, color="0.6", linestyle=":")
left.set(yscale="log", xlabel="epoch", ylabel="training loss",
         title="Training goes on where it stopped")
left.legend()
top = proba.argmax(axis=1)
rows = np.arange(len(top))
right.plot(proba[rows, top], onnx_proba[rows, top], "o", markersize=7, alpha=0.5,
           label="onnxruntime")
right.plot(proba[rows, top], pickle_proba[rows, top], ".", color="k", markersize=3,
           label="loaded from pickle")
right.plot([0, 1], [0, 1], color="0.6", linewidth=0.8)
right.set(xlabel="probability by the original model", ylabel="by the copy",
          title="The copies predict what the original predicts")
right.legend()
plt.show()

# %%
# The temporary folder goes away with its files:
shutil.rmtree(folder)
