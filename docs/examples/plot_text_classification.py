"""Text classification with the perceptron: the classic use of a threshold unit.

A generated corpus stands in for a real one (nothing is downloaded): each class has its
own distribution over a vocabulary of made-up words, a few hundred topic words favoured
by that class on top of words common to all, and each document draws its words from the
distribution of its class. ``TfidfVectorizer`` turns the documents into sparse rows of
term weights, and a ``PerceptronClassifier`` learns one threshold unit per class on
them, never making the matrix dense: its per-sample loop visits only the non-zero terms
of each row. scikit-learn's ``Perceptron`` is trained on the same rows beside it.

    python docs/examples/text_classification.py                  # 20,000 documents
    python docs/examples/text_classification.py --documents 4000 --classes 5
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Perceptron
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skperceptron import PerceptronClassifier


def make_corpus(n_documents, n_classes, vocabulary=20_000, words_per_document=80,
                topic_share=0.05, seed=0):
    """Documents (strings of made-up words) and their classes.

    Every class shares a Zipf-like background distribution over the vocabulary; each
    class also favours 300 topic words of its own, which make up ``topic_share`` of
    its documents' words on average (4 words in 80): few enough that some documents
    are ambiguous.
    """
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocabulary)])
    background = 1.0 / np.arange(1, vocabulary + 1)
    background /= background.sum()
    topics = [rng.choice(vocabulary, size=300, replace=False) for _ in range(n_classes)]
    y = rng.integers(0, n_classes, size=n_documents)
    documents = []
    for label in y:
        n_topic = rng.binomial(words_per_document, topic_share)
        drawn = np.concatenate([
            rng.choice(vocabulary, size=words_per_document - n_topic, p=background),
            rng.choice(topics[label], size=n_topic),
        ])
        documents.append(" ".join(words[drawn]))
    return documents, y


def fit_and_score(estimator, X_train, y_train, X_test, y_test):
    started = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    return estimator.score(X_test, y_test), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    # tol=None runs every epoch asked for; scikit-learn calls that "not converged".
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    documents, y = make_corpus(args.documents, args.classes)
    train_docs, test_docs, y_train, y_test = train_test_split(
        documents, y, test_size=0.25, random_state=0, stratify=y)

    # The pipeline a user writes: text in, labels out.
    pipeline = make_pipeline(
        TfidfVectorizer(),
        PerceptronClassifier(max_iter=args.epochs, tol=None, random_state=0),
    )
    accuracy, seconds = fit_and_score(pipeline, train_docs, y_train, test_docs, y_test)
    X_train = pipeline[0].transform(train_docs)
    print(f"corpus: {args.documents} documents, {args.classes} classes, "
          f"{X_train.shape[1]} terms, {X_train.nnz / X_train.shape[0]:.0f} terms per "
          "document on average")
    print(f"Pipeline(TfidfVectorizer, PerceptronClassifier): test accuracy "
          f"{accuracy:.3f}, fit {seconds:.2f} s (vectorising included)")

    # The perceptrons alone, on the same sparse rows.
    X_test = pipeline[0].transform(test_docs)
    common = dict(max_iter=args.epochs, tol=None, random_state=0)
    print(f"\n{'model':<36}{'test accuracy':>14}{'fit s':>8}")
    for name, estimator in (("skperceptron PerceptronClassifier",
                             PerceptronClassifier(**common)),
                            ("scikit-learn Perceptron", Perceptron(**common))):
        accuracy, seconds = fit_and_score(estimator, X_train, y_train, X_test, y_test)
        print(f"{name:<36}{accuracy:>14.3f}{seconds:>8.3f}")
    print(f"(chance: {1 / args.classes:.3f})")


if __name__ == "__main__":
    main()
