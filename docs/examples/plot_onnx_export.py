"""
===========================================================
Export to ONNX: the same predictions without skperceptron
===========================================================

ONNX describes a model as a graph of standard operators, which a runtime such as
onnxruntime evaluates from C++, C#, Java or JavaScript without Python, numpy or this
library. ``import skperceptron.onnx`` registers a converter for each estimator with
skl2onnx (the ``[onnx]`` extra; see :func:`~skperceptron.onnx.register_converters` for
what the graphs compute), so that ``skl2onnx.to_onnx`` converts it, alone or at
the end of a scikit-learn pipeline. This example trains a pipeline, exports it in float
and in double, runs it in onnxruntime and compares every label and probability with
the pipeline's own.
"""

# %%
# Train, export, load
# -------------------
# A :class:`~sklearn.preprocessing.StandardScaler` and a network
# (:class:`~skperceptron.MLPClassifier`) with two hidden layers (relu, then tanh) and
# batch normalization (:ref:`maths-batch-norm`), on the handwritten digits. ``to_onnx`` reads the input's type
# from the sample it is given: float32 rows make a graph that computes in float, and
# float64 rows one that computes in double. With ``zipmap=False`` the probabilities
# come as one array (n_samples, n_classes), as ``predict_proba`` returns them, rather
# than one dictionary per row.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skperceptron.onnx  # noqa: F401  (registers the converters with skl2onnx)
from skperceptron import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

results = {}
for dtype in (np.float32, np.float64):
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(64, 32), activation=("relu", "tanh"),
                      batch_norm=True, max_iter=30, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train.astype(dtype), y_train)
    model = to_onnx(pipe, X_train[:1].astype(dtype), options={"zipmap": False})
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"X": X_test.astype(dtype)})
    results[dtype] = (pipe.predict(X_test.astype(dtype)), labels,
                      pipe.predict_proba(X_test.astype(dtype)), proba)
    print(f"{np.dtype(dtype).name}: {len(model.graph.node)} ONNX nodes, "
          f"test accuracy {np.mean(labels == y_test):.3f}")

# %%
# Compare
# -------
# Below, for each dtype: how many labels agree, how many of the probabilities are
# identical to the last bit, and the largest and median difference of a probability
# relative to its value, next to the machine epsilon of the dtype (the spacing of
# numbers near 1). Where they differ, they differ by rounding: the runtime sums the
# products of each layer in its own order.
for dtype, (ours_labels, labels, ours, proba) in results.items():
    relative = np.abs(proba - ours) / np.abs(ours)
    print(f"{np.dtype(dtype).name}: {np.sum(labels == ours_labels)} of {len(labels)} "
          f"labels equal; {np.sum(proba == ours)} of {proba.size} probabilities "
          f"identical;\n  relative difference at most {relative.max():.1e}, median "
          f"{np.median(relative):.1e} (epsilon {np.finfo(dtype).eps:.1e});\n  smallest "
          f"probability {ours.min():.1e}")

# %%
# On the left, each probability the runtime computed in float against the one
# ``predict_proba`` computed, on logarithmic axes down to the smallest: the points
# lie on the diagonal. On the right, the relative differences of every probability,
# in float and in double (identical ones drawn at 1e-20): all far below the bounds
# that the library's tests hold the export to, 1e-5 in float and 1e-10 in double.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
ours32, proba32 = results[np.float32][2], results[np.float32][3]
left.loglog(ours32.ravel(), proba32.ravel(), ".", markersize=3, alpha=0.5)
limits = [ours32.min(), 1]
left.plot(limits, limits, color="grey", linewidth=0.8)
left.set(xlabel="predict_proba (skperceptron)", ylabel="onnxruntime",
         title="Probabilities of the test digits (float)")
for dtype, (_, _, ours, proba) in results.items():
    relative = np.abs(proba - ours).ravel() / np.abs(ours).ravel()
    bins = np.logspace(-20, -4, 65)
    right.hist(np.maximum(relative, 1e-20), bins=bins, alpha=0.6,
               label=np.dtype(dtype).name)
right.set(xscale="log", xlabel="relative difference (0 drawn at 1e-20)",
          ylabel="probabilities", title="onnxruntime against predict_proba")
right.legend()
fig.tight_layout()
plt.show()
