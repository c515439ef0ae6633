"""
===============================================
Data sets and feeding data: from arrays to disk
===============================================

Every estimator of this library takes its data the way scikit-learn's do: ``fit(X,
y)`` with ``X`` a numpy array, a pandas DataFrame or a scipy sparse matrix, one row
per sample. This example goes through those forms, from the data sets that come
with scikit-learn to text made sparse, then feeds data that does not arrive at once:
a stream of batches given to ``partial_fit``, and an array that stays on disk, read
a chunk at a time by ``fit_chunks``. It ends with the part PyTorch gives to its
``DataLoader``, and which pieces play it here.
"""

# %%
# The data sets bundled with scikit-learn
# ---------------------------------------
# scikit-learn ships a few small data sets inside the package: the ``load_*``
# functions read them from its own files and never go to the network (the
# ``fetch_*`` functions, which download larger ones, are not used here). Each returns
# a ``Bunch``: ``data`` (the rows), ``target``, ``feature_names`` and ``DESCR``, a
# description of where the data comes from.
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits, load_iris,
                              load_wine, make_classification)
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

from skperceptron import (MLPClassifier, MLPRegressor, PerceptronClassifier,
                          PerceptronRegressor, fit_chunks)

print(f"{'data set':<20}{'samples':>8}{'features':>9}  target")
for loader in (load_iris, load_wine, load_breast_cancer, load_digits, load_diabetes):
    bunch = loader()
    n_samples, n_features = bunch.data.shape
    if "target_names" in bunch:
        target = f"{len(bunch.target_names)} classes"
    else:
        target = f"a number from {bunch.target.min():g} to {bunch.target.max():g}"
    print(f"{loader.__name__:<20}{n_samples:>8}{n_features:>9}  {target}")

# %%
# A DataFrame and the names of its columns
# ----------------------------------------
# ``as_frame=True`` returns the data as a pandas DataFrame, one named column per
# feature. The diabetes data set has ten measurements of 442 patients (already
# centred and scaled by scikit-learn) and, as target, a measure of the disease's
# progression a year later. Fitted on a DataFrame, an estimator keeps the names of
# the columns in ``feature_names_in_``. ``PerceptronRegressor`` is a linear unit
# trained by the delta rule (Widrow and Hoff's ADALINE, :ref:`maths-delta-rule`).
diabetes = load_diabetes(as_frame=True)
frame, progression = diabetes.data, diabetes.target
print(frame.head(3).round(3).to_string())

regressor = PerceptronRegressor(random_state=0).fit(frame, progression)
print("feature_names_in_:", list(regressor.feature_names_in_))
print(f"R^2 on the training rows {regressor.score(frame, progression):.3f}, after "
      f"{regressor.n_iter_} epochs ({regressor.stop_reason_})")

# %%
# The weights are matched to the features by position, so the names are checked at
# every prediction. Columns in another order are refused, rather than silently given
# to the wrong weights:
shuffled = frame[["bmi", "bp", "age", "sex", "s1", "s2", "s3", "s4", "s5", "s6"]]
try:
    regressor.predict(shuffled)
except ValueError as error:
    print(f"ValueError: {error}".strip())

# %%
# Selecting the columns by the names the model was fitted on puts them back in order.
# A plain numpy array carries no names: it is taken in the order given, with a
# warning that the names cannot be checked.
print("reordered by feature_names_in_, same predictions:",
      np.array_equal(regressor.predict(shuffled[regressor.feature_names_in_]),
                     regressor.predict(frame)))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    regressor.predict(frame.to_numpy())
for warning in caught:
    print(textwrap.fill(f"{warning.category.__name__}: {warning.message}", 88,
                        subsequent_indent="    "))

# %%
# A multi-layer network takes the DataFrame in the same way. Here
# :class:`~skperceptron.MLPRegressor` with a hidden layer of 16 units, trained by
# L-BFGS with a strong L2 penalty, against the linear unit, both fitted on three
# quarters of the patients and scored on the rest. More capacity is no gain on this
# data: the progression is close to a linear function of the measurements, and 331
# patients leave a curved fit more room to follow noise than to find structure.
rows_fit, rows_held, target_fit, target_held = train_test_split(
    frame, progression, random_state=0)
linear_unit = PerceptronRegressor(random_state=0).fit(rows_fit, target_fit)
network_16 = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", alpha=10.0,
                          max_iter=500, random_state=0).fit(rows_fit, target_fit)
for name, model in (("PerceptronRegressor", linear_unit),
                    ("MLPRegressor (16,)", network_16)):
    print(f"{name:<20} held-out R^2 {model.score(rows_held, target_held):.3f} "
          f"({model.n_iter_} iterations, {model.stop_reason_})")

# %%
# Text as sparse rows
# -------------------
# A document becomes a row with one column per word of the vocabulary, and most of
# its entries are zero. ``CountVectorizer`` learns the vocabulary and returns the
# counts as a scipy CSR matrix, which keeps only the non-zero entries; the
# estimators take it as it is, without making it dense. Here a small corpus made up
# for the example, about three subjects.
corpus = [
    ("the striker scored a late goal and the crowd sang", "football"),
    ("the referee gave a penalty in the second half", "football"),
    ("the keeper saved the penalty and the match ended level", "football"),
    ("the coach changed the team at half time", "football"),
    ("a header from the corner won the match", "football"),
    ("the league leaders lost their home match", "football"),
    ("the fans waited for the team bus after the goal", "football"),
    ("the defender was sent off for a late tackle", "football"),
    ("heavy rain and wind are expected on the coast tonight", "weather"),
    ("the morning fog will clear by noon", "weather"),
    ("snow is falling in the hills and the roads are icy", "weather"),
    ("a warm sunny afternoon with a light breeze", "weather"),
    ("thunder and hail in the evening then clear skies", "weather"),
    ("the wind will drop and the rain will ease overnight", "weather"),
    ("frost at dawn and a cold grey day", "weather"),
    ("the storm brought rain to the coast and the hills", "weather"),
    ("simmer the onions in butter until soft", "cooking"),
    ("add the flour and stir the sauce until it thickens", "cooking"),
    ("bake the bread in a hot oven for half an hour", "cooking"),
    ("season the soup with salt and pepper before serving", "cooking"),
    ("whisk the eggs with sugar and fold in the flour", "cooking"),
    ("roast the potatoes in the oven with garlic and oil", "cooking"),
    ("stir the rice into the hot stock and simmer", "cooking"),
    ("slice the onions and fry them in oil until golden", "cooking"),
]
documents = [text for text, _ in corpus]
subjects = np.array([subject for _, subject in corpus])

vectorizer = CountVectorizer()
counts = vectorizer.fit_transform(documents)
share = counts.nnz / np.prod(counts.shape)
print(f"{type(counts).__name__} of shape {counts.shape}: {counts.nnz} non-zero entries, "
      f"{share:.1%} of the matrix")

classifier = PerceptronClassifier(random_state=0).fit(counts, subjects)
print(f"training accuracy {classifier.score(counts, subjects):.2f} after "
      f"{classifier.n_iter_} epochs ({classifier.stop_reason_})")
words = vectorizer.get_feature_names_out()
for subject, weights in zip(classifier.classes_, classifier.coef_):
    heaviest = words[np.argsort(weights)[::-1][:5]]
    print(f"  {subject:<9}weighs most: {', '.join(heaviest)}")

# %%
# Each unit weighs most the words of its subject, and also words that merely happen
# to occur in its sentences only ("will", "until"): with 24 sentences, the
# perceptron cannot tell the two apart. New sentences go through the same
# vectorizer, with the vocabulary it learnt: words it has never seen are left out.
new = ["rain and fog on the roads this morning",
       "the striker missed a penalty",
       "fry the garlic in butter",
       "the match was stopped by snow"]
for sentence, subject in zip(new, classifier.predict(vectorizer.transform(new))):
    print(f"  {sentence!r:<42} -> {subject}")

# %%
# The last sentence holds words of two subjects and gets one answer, that of the
# unit whose score (the weights of the sentence's words, added up, plus the unit's
# bias) is highest.
#
# ``CountVectorizer`` needs every document before it can number the words.
# ``HashingVectorizer`` numbers a word by a hash of it instead, needs no vocabulary,
# and so can turn documents into rows as they arrive, which suits the stream of the
# next section; the price is that a column can no longer be named.
# :ref:`sphx_glr_auto_examples_plot_text_classification.py` trains on a larger corpus.
#
# A stream of batches: ``partial_fit``
# ------------------------------------
# When data arrives in batches (from a sensor, a queue, a file read piece by piece),
# ``partial_fit`` takes one batch at a time: each call is one pass of the training
# rule over the rows given, starting from the weights the previous calls left. Here
# 60 batches of 100 rows each come from a generator, with a linear target and some
# noise; after the 30th batch the relation changes (three weights change sign), as
# data drifts in use. Each batch is first predicted, to measure the error on rows the
# model has not seen yet, then learnt.


def batches(n_batches, batch_size, seed=0):
    """Batches (X, y) of a linear relation whose weights change halfway."""
    rng = np.random.default_rng(seed)
    before = rng.normal(size=8)
    after = before * [-1, -1, -1, 1, 1, 1, 1, 1]
    for i in range(n_batches):
        X = rng.normal(size=(batch_size, 8))
        weights = before if i < n_batches // 2 else after
        yield X, X @ weights + 2.0 + rng.normal(scale=0.3, size=batch_size)


stream = PerceptronRegressor(eta0=0.01, random_state=0)
errors = []
for number, (X_batch, y_batch) in enumerate(batches(60, 100)):
    if number > 0:  # before the first call there is no model to ask
        errors.append(np.mean((stream.predict(X_batch) - y_batch) ** 2))
    stream.partial_fit(X_batch, y_batch)
print(f"{stream.t_} rows learnt in {len(errors) + 1} calls; mean squared error of the "
      "batch before learning it:")
for start in range(0, len(errors), 10):
    shown = errors[start:start + 10]  # errors[i] is batch i + 2's
    print(f"  batches {start + 2:>2}-{start + 1 + len(shown):>2}: "
          + " ".join(f"{error:.2f}" for error in shown))
print(f"(the noise alone gives {0.3 ** 2:.2f})")

# %%
# A few batches bring the error down to the level of the noise. At the change the
# error jumps, and the same rule, going on, brings it back down within a few
# batches: a model fed by ``partial_fit`` follows data that changes, as long as it
# keeps being fed.
#
# An array on disk: ``fit_chunks``
# --------------------------------
# A data set larger than memory can stay in a file. ``numpy.memmap`` is an array
# whose rows are read from the file when they are touched; ``fit_chunks`` gives its
# rows to ``partial_fit`` a chunk at a time, so that only one chunk is in memory at
# once (its pages are handed back to the system after use), for as many epochs as
# asked, shuffling the order of the chunks and of the rows in each. Here 16,000 rows
# of 20 features are written to a temporary file, then read back through a memory
# map opened read-only; the targets, small, stay in memory.
X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10,
                           n_classes=3, random_state=0)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=4000,
                                                    random_state=0)

folder = tempfile.TemporaryDirectory()
path = Path(folder.name) / "rows.float32"
on_disk = np.memmap(path, dtype=np.float32, mode="w+", shape=X_train.shape)
on_disk[:] = X_train
on_disk.flush()
del on_disk
rows = np.memmap(path, dtype=np.float32, mode="r", shape=X_train.shape)
print(f"{type(rows).__name__} of shape {rows.shape}, "
      f"{path.stat().st_size / 1e6:.2f} MB "
      f"on disk; a chunk of 2000 rows is {2000 * 20 * 4 / 1e3:.0f} kB")

# %%
# The network trains by mini-batches of 100 rows; a chunk of 2000 rows, a multiple
# of it, keeps the mini-batches whole, so that an epoch of ``fit_chunks`` takes as
# many steps as an epoch of ``fit``. Each call of ``partial_fit`` adds the chunk's
# training loss to ``loss_curve_``: 8 chunks an epoch, 5 epochs.
network = MLPClassifier(hidden_layer_sizes=(32,), batch_size=100, random_state=0)
started = time.perf_counter()
fit_chunks(network, rows, y_train, chunk_size=2000, epochs=5)
seconds = time.perf_counter() - started
print(f"fit_chunks: {len(network.loss_curve_)} calls of partial_fit, {network.t_} rows "
      f"seen, {seconds:.2f} s; test accuracy {network.score(X_test, y_test):.3f}")

in_memory = MLPClassifier(hidden_layer_sizes=(32,), batch_size=100, max_iter=5,
                          random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # 5 epochs end before convergence, on purpose
    in_memory.fit(X_train, y_train)
print(f"fit on the array in memory, 5 epochs: test accuracy "
      f"{in_memory.score(X_test, y_test):.3f}")
del rows
folder.cleanup()

# %%
# The two reach about the same accuracy in the same number of steps; the rows are
# visited in other orders, so the weights differ.
#
# What PyTorch's DataLoader does, and what does it here
# -----------------------------------------------------
# In PyTorch, a model does not take a whole data set: a training loop asks a
# ``DataLoader`` for mini-batches. The DataLoader wraps a ``Dataset`` (an object
# that returns the sample at an index, or an iterable that streams samples) and does
# four jobs: it *batches* (gathers samples into the tensors of one mini-batch), it
# *shuffles* (draws a new order of the samples every epoch), it *streams* (reads
# samples from disk or elsewhere only when they are needed, so the data set need not
# fit in memory), and it can *load in parallel*, in worker processes, while the
# model trains.
#
# Here no separate object does this; three parts of the library share the jobs:
#
# - **Inside** ``fit``: the whole ``X`` is in memory, and ``batch_size`` and
#   ``shuffle`` (with ``random_state``) do the batching and the shuffling: every
#   epoch, a new order of the rows, cut into mini-batches of ``batch_size`` rows.
#   Nothing streams: ``fit`` is for data that fits in memory.
# - ``partial_fit``: your own loop is the DataLoader. You read a batch from wherever
#   it comes (a generator as above, a database, a queue) and hand it over; each call
#   still shuffles its rows and cuts them into mini-batches of ``batch_size``.
# - ``fit_chunks``: the loop over a file is written for you. It streams chunks of a
#   ``numpy.memmap`` or of a dask array, shuffles the order of the chunks every
#   epoch (and the rows within each), and counts the epochs. It reads each chunk in
#   the training loop itself, with no worker processes loading ahead.
#
# The figure
# ----------
# On the left, the stream of regression batches: the error of each batch before
# ``partial_fit`` learns it, on a logarithmic scale, with the change of the relation
# marked. On the right, the training loss of each chunk as ``fit_chunks`` feeds the
# network, epoch after epoch, beside the loss of each epoch of ``fit`` in memory
# (drawn at the end of its epoch). Either is the mean of the losses of its
# mini-batches, each measured before that mini-batch's update
# (:ref:`maths-objective`): an epoch's mean includes its first, higher losses, and so
# lies above the loss of its last chunk.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
left.plot(np.arange(2, len(errors) + 2), errors, marker="o", markersize=3)
left.axvline(30.5, color="0.6", linestyle=":", label="the relation changes")
left.axhline(0.09, color="tab:green", linestyle="--", linewidth=0.8,
             label="noise (0.3 squared)")
left.set(yscale="log", xlabel="batch", ylabel="mean squared error before learning it",
         title="PerceptronRegressor.partial_fit on a stream")
left.legend()
calls = np.arange(1, len(network.loss_curve_) + 1)
right.plot(calls, network.loss_curve_, marker=".",
           label="fit_chunks, one chunk a point")
right.plot(8 * np.arange(1, in_memory.n_iter_ + 1), in_memory.loss_curve_, "s",
           label="fit in memory, one epoch a point")
for epoch in range(1, 5):
    right.axvline(8 * epoch + 0.5, color="0.85", linewidth=0.8)
right.set(xlabel="chunks seen (8 an epoch)", ylabel="training loss",
          title="MLPClassifier fed from a memory map")
right.legend()
plt.show()
