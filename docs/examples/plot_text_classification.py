"""
============================================
The perceptron on text: sparse rows of words
============================================

Text classification is the classic home of the perceptron: a document becomes a row
with one column per word of the vocabulary, almost all of them zero, and one
threshold unit per class adds up the weights of the words present. This example
builds a corpus, turns it into sparse tf-idf rows with
:class:`~sklearn.feature_extraction.text.TfidfVectorizer`, trains a
:class:`~skperceptron.PerceptronClassifier` in a :class:`~sklearn.pipeline.Pipeline`,
and compares it with scikit-learn's :class:`~sklearn.linear_model.Perceptron` on the
same rows. The matrix is never made dense: the per-sample loop visits only the
non-zero terms of each row. The rule itself is the one of
:ref:`sphx_glr_auto_examples_plot_logic_gates.py`, written out in
:ref:`maths-perceptron-rule`.
"""

# %%
# A generated corpus
# ------------------
# A generated corpus stands in for a real one (nothing is downloaded). The vocabulary
# is 20,000 made-up words (``w0``, ``w1``, ...) whose frequencies follow a Zipf law,
# shared by all classes. Each class also has 300 topic words of its own, which make
# up 5% of its documents' words on average, 4 words in 80: few enough that some
# documents are ambiguous.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Perceptron
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skperceptron import PerceptronClassifier

N_DOCUMENTS, N_CLASSES, VOCABULARY, WORDS_PER_DOCUMENT = 8000, 10, 20_000, 80


def make_corpus(n_documents, n_classes, seed=0):
    """Documents (strings of made-up words), their classes, and each class's topic
    words (indices into the vocabulary)."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(VOCABULARY)])
    background = 1.0 / np.arange(1, VOCABULARY + 1)
    background /= background.sum()
    topics = np.array([rng.choice(VOCABULARY, size=300, replace=False)
                       for _ in range(n_classes)])
    y = rng.integers(0, n_classes, size=n_documents)
    # The words of every document at once: each word is a topic word of the
    # document's class with probability 5%, else a word of the shared background.
    is_topic = rng.random((n_documents, WORDS_PER_DOCUMENT)) < 0.05
    drawn = rng.choice(VOCABULARY, size=is_topic.shape, p=background)
    topic_words = topics[y[:, None], rng.integers(0, 300, size=is_topic.shape)]
    drawn[is_topic] = topic_words[is_topic]
    documents = [" ".join(row) for row in words[drawn]]
    return documents, y, topics


documents, y, topics = make_corpus(N_DOCUMENTS, N_CLASSES)
train_docs, test_docs, y_train, y_test = train_test_split(
    documents, y, test_size=0.25, random_state=0, stratify=y
)
print(f"{len(documents)} documents, {N_CLASSES} classes; the first begins:")
print(" ", documents[0][:72].rsplit(" ", 1)[0], "...")  # whole words only

# %%
# The pipeline: text in, labels out
# ---------------------------------
# ``TfidfVectorizer`` learns the vocabulary of the training documents and turns each
# document into a sparse row of term weights; ``PerceptronClassifier`` learns one
# threshold unit per class on those rows. ``tol=None`` switches off the rule that
# stops on a plateau of the training loss: training ends after an epoch without a
# mistake, or after the 10 epochs asked for (which scikit-learn reports as "not
# converged", with a warning silenced here).


def fit_quietly(estimator, *args, **kwargs):
    """``estimator.fit``, without the warning that a planned last epoch raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


pipeline = make_pipeline(
    TfidfVectorizer(), PerceptronClassifier(max_iter=10, tol=None, random_state=0)
)
started = time.perf_counter()
fit_quietly(pipeline, train_docs, y_train)
seconds = time.perf_counter() - started
vectorizer, perceptron = pipeline
X_train = vectorizer.transform(train_docs)
X_test = vectorizer.transform(test_docs)
print(f"{X_train.shape[1]} terms; {X_train.nnz / X_train.shape[0]:.0f} non-zero terms "
      f"per document on average ({X_train.nnz / np.prod(X_train.shape):.2%} of the row)")
print(f"Pipeline(TfidfVectorizer, PerceptronClassifier): test accuracy "
      f"{pipeline.score(test_docs, y_test):.3f}")
print(f"  fit in {seconds:.2f} s, vectorising included")

# %%
# Beside scikit-learn's perceptron
# --------------------------------
# Both perceptrons alone, on the same sparse rows, with the same settings: 10 epochs
# of the mistake-driven rule, samples shuffled by the same seed (each library
# shuffles its own way, so the weights differ a little).
print(f"{'model':<36}{'test accuracy':>14}{'epochs':>8}{'fit s':>8}")
common = dict(max_iter=10, tol=None, random_state=0)
for name, estimator in [
    ("skperceptron PerceptronClassifier", PerceptronClassifier(**common)),
    ("scikit-learn Perceptron", Perceptron(**common)),
]:
    started = time.perf_counter()
    fit_quietly(estimator, X_train, y_train)
    seconds = time.perf_counter() - started
    print(f"{name:<36}{estimator.score(X_test, y_test):>14.3f}{estimator.n_iter_:>8}"
          f"{seconds:>8.3f}")
print(f"(chance: {1 / N_CLASSES:.3f})")

# %%
# The two perceptrons reach about the same accuracy, far above chance, and both fit
# in a fraction of a second at this size (``benchmarks/`` in the repository compares
# their speed on larger corpora).

# %%
# The words each unit weighs most
# -------------------------------
# Each class's unit has one weight per term (a row of ``coef_``). The corpus was made
# so that we know the answer: a unit should weigh its own class's topic words most.
# For each class, the 10 terms with the largest weights, and how many of them are
# topic words of that class:
terms = vectorizer.get_feature_names_out()
word_index = np.array([int(term[1:]) for term in terms])  # "w123" -> 123
hits = 0
for label in range(N_CLASSES):
    top = np.argsort(perceptron.coef_[label])[::-1][:10]
    own = np.isin(word_index[top], topics[label]).sum()
    hits += own
    if label < 3:
        print(f"class {label}: {own} of its 10 heaviest terms are its topic words:")
        print("  " + " ".join(terms[top]))
print(f"over all {N_CLASSES} classes: {hits} of {10 * N_CLASSES} top terms are the "
      "class's own topic words")

# %%
# The units have found the topic words without being told which they were. Each
# unit also learns what speaks *against* its class: the mean weight of each kind of
# term, over all units,
kinds = {"its own topic words": [], "other classes' topic words": [],
         "background words": []}
for label in range(N_CLASSES):
    own = np.isin(word_index, topics[label])
    other = np.isin(word_index, topics) & ~own
    for kind, mask in zip(kinds, [own, other, ~own & ~other]):
        kinds[kind].append(perceptron.coef_[label, mask].mean())
for kind, means in kinds.items():
    print(f"  {kind:<28}{np.mean(means):+.3f}")

# %%
# A unit is trained one-versus-rest: every document of another class is a negative
# example for it, so the topic words of the other classes pull its weights below
# zero, while the weights of the background words, shared by every class, scatter
# around zero, pushed up or down by the documents that happened to hold them when
# the unit made a mistake. The figure
# shows every term's weight in the unit of class 0 against the share of training
# documents that contain the term.
document_share = np.bincount(X_train.indices, minlength=len(terms)) / X_train.shape[0]
own = np.isin(word_index, topics[0])
other = np.isin(word_index, topics) & ~own
fig, ax = plt.subplots(figsize=(7.5, 4.5))
for mask, label, color in [(~own & ~other, "background words", "0.7"),
                           (other, "other classes' topic words", "tab:orange"),
                           (own, "class 0's topic words", "tab:blue")]:
    ax.scatter(document_share[mask], perceptron.coef_[0, mask], s=6, color=color,
               label=label)
ax.set(xscale="log", xlabel="share of training documents containing the term",
       ylabel="weight in the unit of class 0",
       title="What the unit of class 0 has learnt, term by term")
ax.legend(markerscale=3)
fig.tight_layout()

# %%
# Accuracy epoch by epoch
# -----------------------
# How many epochs are needed? ``X_val`` and ``y_val`` given to ``fit`` are scored
# after every epoch (``validation_scores_``) without any effect on training. They
# are taken from the training documents, a fifth of them, so that the test set stays
# out of every decision. Averaging (``average=True``: the weights reported are the
# mean of the weights after every step, see :ref:`maths-averaging`) is shown beside
# the plain rule. Both are allowed 15 epochs.
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.2, random_state=0, stratify=y_train
)
print(f"fitting on {X_fit.shape[0]} documents of {X_fit.shape[1]} terms, "
      f"validating on {X_val.shape[0]}")
curves = {}
for name, params in [("perceptron", {}), ("averaged perceptron", dict(average=True))]:
    clf = PerceptronClassifier(max_iter=15, tol=None, random_state=0, **params)
    fit_quietly(clf, X_fit, y_fit, X_val=X_val, y_val=y_val)
    curves[name] = clf.validation_scores_
    print(f"{name}: stopped after {clf.n_iter_} epochs ({clf.stop_reason_}); "
          "validation accuracy by epoch:")
    print("  " + " ".join(f"{score:.3f}" for score in clf.validation_scores_))

# %%
# Both stop before the 15 epochs: ``'converged'`` means a whole epoch without a
# mistake. A few thousand documents in almost 20,000 dimensions can be separated by
# hyperplanes, and the perceptron finds them; the validation accuracy, on documents
# it has not seen, stays well below 1. Most of what the perceptron learns it learns
# in the first epochs.
#
# The plain rule's first epochs are poor, and the reason is the bias. A tf-idf row
# has length 1, so the words of a document add up to a modest score, while every
# mistake moves a unit's bias by a whole step (``eta0=1``). After one epoch the
# units' biases differ by whole steps, and the unit with the highest bias answers
# for most documents:
one_epoch = fit_quietly(PerceptronClassifier(max_iter=1, tol=None, random_state=0),
                        X_fit, y_fit)
answers = np.bincount(one_epoch.predict(X_val), minlength=N_CLASSES)
print("biases after one epoch:", one_epoch.intercept_)
print(f"class {answers.argmax()} is the answer for {answers.max() / len(y_val):.0%} "
      "of the validation documents")

# %%
# The averaged perceptron reports the mean of the weights over all the steps, so the
# last few mistakes of an epoch move it little: it is ahead after the first epochs
# and, on this corpus, ends at least as high.
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, scores in curves.items():
    ax.plot(np.arange(1, len(scores) + 1), scores, marker="o", label=name)
ax.axhline(1 / N_CLASSES, color="0.6", linestyle=":", label="chance")
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
       title="PerceptronClassifier on sparse tf-idf rows")
ax.legend()
fig.tight_layout()
plt.show()
