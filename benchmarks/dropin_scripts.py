"""Fifteen client scripts run unchanged on scikit-learn, then with only their imports
switched to skperceptron.

Each client script is kept once, as source text whose imports name scikit-learn's
classes (``from sklearn.neural_network import MLPClassifier``, ``from
sklearn.linear_model import Perceptron``...). The runner executes it in a fresh
namespace as it stands, then once more with those import lines rewritten (``from
skperceptron import MLPClassifier``, ``from skperceptron import PerceptronClassifier
as Perceptron``...): every other line is the same text. Both runs happen in this
process, alternating which goes first from one repeat to the next.

Nine scripts are condensed versions of scikit-learn's gallery examples that use
``MLPClassifier``, ``MLPRegressor`` or ``Perceptron``; six are tutorial-style uses
(scikit-learn's user guide and docstrings, XOR, a digits grid search, the iris
perceptron of the textbooks, a regression pipeline, streaming ``partial_fit``, multilabel
and ROC). Data the originals download (MNIST, 20 newsgroups, Reuters, California or
bike-sharing data) is replaced by bundled or generated data, each replacement named in
the script's note; plots are drawn on matplotlib's Agg backend or left out, and the
numbers each example prints or plots are kept: every script ends by setting a dict
``results`` of its key numbers, taken only from what the switched estimators produce.

For each script the runner records whether each run finished (the exception and its
traceback if not), the key numbers side by side (equal, within 1e-6 relative, or
different), the ConvergenceWarnings that got through the script's own warning filters
(scikit-learn's examples silence theirs with ``module="sklearn"``, which does not
match skperceptron's modules), and the wall time of each run (median over the repeats).

Run by hand from the repository root::

    python benchmarks/dropin_scripts.py                    # all 15, 3 repeats
    python benchmarks/dropin_scripts.py --repeats 1
    python benchmarks/dropin_scripts.py --scripts iris_perceptron xor_and_user_guide
"""

import argparse
import contextlib
import importlib.metadata
import importlib.util
import io
import linecache
import math
import os
import platform
import re
import statistics
import sys
import time
import traceback
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skperceptron  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import cpu_model, load_text, print_table  # noqa: E402

RTOL = 1e-6

# ----------------------------------------------------------------- generated text
# The generator of the two text scripts' documents, pasted into both of them (it is
# part of the client script: it stands in for the downloaded corpus).
CORPUS = '''
def make_documents(n_docs, n_topics, seed, doc_len=70, topic_share=0.12):
    """Documents of made-up words: English stop words, a shared Zipf-distributed
    vocabulary, and words of the document's topic (each topic shares half of its
    words with the next, as alt.atheism does with talk.religion.misc)."""
    rng = np.random.RandomState(seed)
    stop = ("the and of to in is that it for on with as was are be this by not "
            "or have from at which but they".split())
    common = ["w%03d" % i for i in range(600)]
    zipf = 1.0 / np.arange(1, len(common) + 1)
    zipf /= zipf.sum()
    own = [["t%dk%02d" % (k, i) for i in range(40)] for k in range(n_topics)]
    topic_words = [own[k] + own[(k + 1) % n_topics][:20] for k in range(n_topics)]
    topics = rng.randint(n_topics, size=n_docs)
    docs = []
    for topic in topics:
        n = max(5, rng.poisson(doc_len))
        kind = rng.choice(3, size=n, p=[0.3, 0.7 - topic_share, topic_share])
        words = np.where(
            kind == 0, np.array(stop)[rng.randint(len(stop), size=n)],
            np.where(kind == 1, np.array(common)[rng.choice(len(common), size=n, p=zipf)],
                     np.array(topic_words[topic])[rng.randint(60, size=n)]))
        docs.append(" ".join(words))
    return docs, topics
'''

# ------------------------------------------------------------------ client scripts
# name -> (origin, what the script's data and condensation change, source)
SCRIPTS = {}


def client(name, origin, note, source):
    SCRIPTS[name] = (origin, note, source.strip("\n") + "\n")


client(
    "plot_mlp_alpha",
    "gallery: examples/neural_networks/plot_mlp_alpha.py",
    "same data (generated); the decision surface is summed instead of drawn",
    '''
import numpy as np
from sklearn.datasets import make_circles, make_classification, make_moons
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

h = 0.02  # step size in the mesh

alphas = np.logspace(-1, 1, 5)

classifiers = []
names = []
for alpha in alphas:
    classifiers.append(
        make_pipeline(
            StandardScaler(),
            MLPClassifier(
                solver="lbfgs",
                alpha=alpha,
                random_state=1,
                max_iter=2000,
                early_stopping=True,
                hidden_layer_sizes=[10, 10],
            ),
        )
    )
    names.append(f"alpha {alpha:.2f}")

X, y = make_classification(
    n_features=2, n_redundant=0, n_informative=2, random_state=0, n_clusters_per_class=1
)
rng = np.random.RandomState(2)
X += 2 * rng.uniform(size=X.shape)
linearly_separable = (X, y)

datasets = [
    make_moons(noise=0.3, random_state=0),
    make_circles(noise=0.2, factor=0.5, random_state=1),
    linearly_separable,
]

results = {}
for ds, (X, y) in zip(["moons", "circles", "linear"], datasets):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=42
    )
    x_min, x_max = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
    y_min, y_max = X[:, 1].min() - 0.5, X[:, 1].max() + 0.5
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    for name, clf in zip(names, classifiers):
        clf.fit(X_train, y_train)
        score = clf.score(X_test, y_test)
        # the example colours the mesh by decision_function or predict_proba
        if hasattr(clf, "decision_function"):
            Z = clf.decision_function(np.column_stack([xx.ravel(), yy.ravel()]))
        else:
            Z = clf.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))[:, 1]
        results[f"{ds} {name} test score"] = score
        results[f"{ds} {name} mean of the plotted surface"] = float(np.mean(Z))
        results[f"{ds} {name} n_iter_"] = clf[-1].n_iter_
''',
)

client(
    "plot_mlp_training_curves",
    "gallery: examples/neural_networks/plot_mlp_training_curves.py",
    "same data (iris, digits, circles, moons); the loss curves' lengths and last "
    "values kept instead of plotted",
    '''
import warnings

from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

# different learning rate schedules and momentum parameters
params = [
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
     "nesterovs_momentum": False, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
     "nesterovs_momentum": True, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
     "nesterovs_momentum": False, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
     "nesterovs_momentum": True, "learning_rate_init": 0.2},
    {"solver": "adam", "learning_rate_init": 0.01},
]

labels = [
    "constant learning-rate",
    "constant with momentum",
    "constant with Nesterov's momentum",
    "inv-scaling learning-rate",
    "inv-scaling with momentum",
    "inv-scaling with Nesterov's momentum",
    "adam",
]

results = {}


def plot_on_dataset(X, y, name):
    # for each dataset, plot learning for each learning strategy
    print("\\nlearning on dataset %s" % name)
    X = MinMaxScaler().fit_transform(X)
    mlps = []
    if name == "digits":
        # digits is larger but converges fairly quickly
        max_iter = 15
    else:
        max_iter = 400

    for label, param in zip(labels, params):
        print("training: %s" % label)
        mlp = MLPClassifier(random_state=0, max_iter=max_iter, **param)

        # some parameter combinations will not converge as can be seen on the
        # plots so they are ignored here
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", category=ConvergenceWarning, module="sklearn"
            )
            mlp.fit(X, y)

        mlps.append(mlp)
        print("Training set score: %f" % mlp.score(X, y))
        print("Training set loss: %f" % mlp.loss_)
        results[f"{name} {label} score"] = mlp.score(X, y)
        results[f"{name} {label} loss_"] = mlp.loss_
        results[f"{name} {label} n_iter_"] = mlp.n_iter_
    for mlp, label in zip(mlps, labels):
        results[f"{name} {label} len(loss_curve_)"] = len(mlp.loss_curve_)


iris = datasets.load_iris()
X_digits, y_digits = datasets.load_digits(return_X_y=True)
data_sets = [
    (iris.data, iris.target),
    (X_digits, y_digits),
    datasets.make_circles(noise=0.2, factor=0.5, random_state=1),
    datasets.make_moons(noise=0.3, random_state=0),
]

for data, name in zip(data_sets, ["iris", "digits", "circles", "moons"]):
    plot_on_dataset(*data, name=name)
''',
)

client(
    "plot_mnist_filters",
    "gallery: examples/neural_networks/plot_mnist_filters.py",
    "MNIST (fetch_openml) -> load_digits scaled to [0, 1]; the first layer's weights "
    "summarised instead of drawn",
    '''
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

# Load data (MNIST in the original: fetch_openml("mnist_784"))
X, y = load_digits(return_X_y=True)
X = X / 16.0

# Split data into train partition and test partition
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, test_size=0.7)

mlp = MLPClassifier(
    hidden_layer_sizes=(40,),
    max_iter=8,
    alpha=1e-4,
    solver="sgd",
    verbose=10,
    random_state=1,
    learning_rate_init=0.2,
)

# this example won't converge because of resource usage constraints on
# our Continuous Integration infrastructure, so we catch the warning and
# ignore it here
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=ConvergenceWarning, module="sklearn")
    mlp.fit(X_train, y_train)

print("Training set score: %f" % mlp.score(X_train, y_train))
print("Test set score: %f" % mlp.score(X_test, y_test))

# use global min / max to ensure all weights are shown on the same scale
vmin, vmax = mlp.coefs_[0].min(), mlp.coefs_[0].max()
results = {
    "training set score": mlp.score(X_train, y_train),
    "test set score": mlp.score(X_test, y_test),
    "coefs_[0].min()": vmin,
    "coefs_[0].max()": vmax,
    "loss_": mlp.loss_,
    "n_iter_": mlp.n_iter_,
}
''',
)

client(
    "plot_classifier_comparison",
    "gallery: examples/classification/plot_classifier_comparison.py",
    "same data and classifiers (generated); the neural net's decision surface drawn "
    "with DecisionBoundaryDisplay on Agg, its mean kept",
    '''
import matplotlib.pyplot as plt
import numpy as np

from sklearn.datasets import make_circles, make_classification, make_moons
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

names = [
    "Nearest Neighbors", "Linear SVM", "RBF SVM", "Gaussian Process", "Decision Tree",
    "Random Forest", "Neural Net", "AdaBoost", "Naive Bayes", "QDA",
]

classifiers = [
    KNeighborsClassifier(3),
    SVC(kernel="linear", C=0.025, random_state=42),
    SVC(gamma=2, C=1, random_state=42),
    GaussianProcessClassifier(1.0 * RBF(1.0), random_state=42),
    DecisionTreeClassifier(max_depth=5, random_state=42),
    RandomForestClassifier(max_depth=5, n_estimators=10, max_features=1, random_state=42),
    MLPClassifier(alpha=1, max_iter=1000, random_state=42),
    AdaBoostClassifier(random_state=42),
    GaussianNB(),
    QuadraticDiscriminantAnalysis(),
]

X, y = make_classification(
    n_features=2, n_redundant=0, n_informative=2, random_state=1, n_clusters_per_class=1
)
rng = np.random.RandomState(2)
X += 2 * rng.uniform(size=X.shape)
linearly_separable = (X, y)

datasets = [
    make_moons(noise=0.3, random_state=0),
    make_circles(noise=0.2, factor=0.5, random_state=1),
    linearly_separable,
]

results = {}
figure = plt.figure(figsize=(27, 9))
i = 1
for ds_cnt, ds in enumerate(datasets):
    X, y = ds
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=42
    )
    i += 1
    for name, clf in zip(names, classifiers):
        ax = plt.subplot(len(datasets), len(classifiers) + 1, i)
        clf = make_pipeline(StandardScaler(), clf)
        clf.fit(X_train, y_train)
        score = clf.score(X_test, y_test)
        disp = DecisionBoundaryDisplay.from_estimator(clf, X, alpha=0.8, ax=ax, eps=0.5)
        if name == "Neural Net":
            results[f"dataset {ds_cnt} neural net test score"] = score
            results[f"dataset {ds_cnt} neural net mean of the surface"] = float(
                np.mean(disp.response)
            )
            results[f"dataset {ds_cnt} neural net n_iter_"] = clf[-1].n_iter_
        i += 1
plt.close(figure)
''',
)

client(
    "plot_partial_dependence",
    "gallery: examples/inspection/plot_partial_dependence.py",
    "bike sharing / California housing (fetch_openml) -> make_friedman1 as a "
    "DataFrame; the MLP part only (the gradient boosting half switches nothing)",
    '''
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn.datasets import make_friedman1
from sklearn.inspection import PartialDependenceDisplay
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

X, y = make_friedman1(n_samples=2000, n_features=6, noise=1.0, random_state=0)
X = pd.DataFrame(X, columns=["x0", "x1", "x2", "x3", "x4", "noise"])
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.1, random_state=0)

print("Training MLPRegressor...")
mlp_model = make_pipeline(
    QuantileTransformer(n_quantiles=100),
    MLPRegressor(
        hidden_layer_sizes=(30, 15),
        learning_rate_init=0.01,
        early_stopping=True,
        random_state=0,
    ),
)
mlp_model.fit(X_train, y_train)
print(f"Test R2 score: {mlp_model.score(X_test, y_test):.2f}")

common_params = {
    "subsample": 50,
    "n_jobs": 2,
    "grid_resolution": 20,
    "random_state": 0,
}

print("Computing partial dependence plots...")
features_info = {
    "features": ["x0", "x2", "x3", "noise"],
    "kind": "both",
    "centered": True,
}
_, ax = plt.subplots(ncols=4, figsize=(9, 4), constrained_layout=True)
display = PartialDependenceDisplay.from_estimator(
    mlp_model, X_train, **features_info, ax=ax, **common_params
)
_ = display.figure_.suptitle("ICE and PDP representations", fontsize=16)

print("Computing 2-way partial dependence...")
_, ax2 = plt.subplots(figsize=(5, 4))
display2 = PartialDependenceDisplay.from_estimator(
    mlp_model, X_train, features=[("x0", "x1")], kind="average",
    grid_resolution=10, ax=ax2,
)
plt.close("all")

results = {
    "test R2": mlp_model.score(X_test, y_test),
    "n_iter_": mlp_model[-1].n_iter_,
    "best_validation_score_": mlp_model[-1].best_validation_score_,
}
for name, pd_result in zip(features_info["features"], display.pd_results):
    results[f"PD {name} range"] = float(np.ptp(pd_result["average"]))
    results[f"ICE {name} spread"] = float(np.std(pd_result["individual"]))
results["2-way PD (x0, x1) range"] = float(np.ptp(display2.pd_results[0]["average"]))
''',
)

client(
    "plot_partial_dependence_visualization_api",
    "gallery: examples/miscellaneous/plot_partial_dependence_visualization_api.py",
    "same data (load_diabetes); figures on Agg",
    '''
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn.datasets import load_diabetes
from sklearn.inspection import PartialDependenceDisplay
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

diabetes = load_diabetes()
X = pd.DataFrame(diabetes.data, columns=diabetes.feature_names)
y = diabetes.target

tree = DecisionTreeRegressor()
mlp = make_pipeline(
    StandardScaler(),
    MLPRegressor(hidden_layer_sizes=(100, 100), tol=1e-2, max_iter=500, random_state=0),
)
tree.fit(X, y)
mlp.fit(X, y)

fig, ax = plt.subplots(figsize=(12, 6))
ax.set_title("Decision Tree")
tree_disp = PartialDependenceDisplay.from_estimator(tree, X, ["age", "bmi"], ax=ax)

fig, ax = plt.subplots(figsize=(12, 6))
ax.set_title("Multi-layer Perceptron")
mlp_disp = PartialDependenceDisplay.from_estimator(
    mlp, X, ["age", "bmi"], ax=ax, line_kw={"color": "red"}
)

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 10))
tree_disp.plot(ax=ax1)
mlp_disp.plot(ax=ax2, line_kw={"color": "red"})

tree_disp = PartialDependenceDisplay.from_estimator(tree, X, ["age"])
mlp_disp1 = PartialDependenceDisplay.from_estimator(
    mlp, X, ["age"], ax=tree_disp.axes_, line_kw={"color": "red"}
)
plt.close("all")

results = {
    "training R2": mlp.score(X, y),
    "n_iter_": mlp[-1].n_iter_,
    "loss_": mlp[-1].loss_,
    "PD age min": float(np.min(mlp_disp.pd_results[0]["average"])),
    "PD age max": float(np.max(mlp_disp.pd_results[0]["average"])),
    "PD bmi min": float(np.min(mlp_disp.pd_results[1]["average"])),
    "PD bmi max": float(np.max(mlp_disp.pd_results[1]["average"])),
}
''',
)

client(
    "plot_out_of_core_classification",
    "gallery: examples/applications/plot_out_of_core_classification.py",
    "Reuters-21578 (downloaded, parsed) -> a generated stream of 6000 documents with "
    "topics, 'acq' against the rest; Perceptron switched, SGD, naive Bayes and "
    "passive-aggressive kept",
    CORPUS + '''
import itertools

import numpy as np

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import PassiveAggressiveClassifier, Perceptron, SGDClassifier
from sklearn.naive_bayes import MultinomialNB


def stream_reuters_documents():
    """Iterate over documents: dicts with 'title', 'body' and 'topics'."""
    names = ["acq", "earn", "crude", "trade", "grain"]
    docs, topics = make_documents(6000, len(names), seed=0)
    rng = np.random.RandomState(1)
    for doc, topic in zip(docs, topics):
        title, body = doc[:30], doc[30:]
        # about one document in twenty has no topic, as in Reuters
        yield {"title": title, "body": body,
               "topics": [] if rng.rand() < 0.05 else [names[topic]]}


vectorizer = HashingVectorizer(
    decode_error="ignore", n_features=2**18, alternate_sign=False
)

# Iterator over parsed Reuters SGML files.
data_stream = stream_reuters_documents()

all_classes = np.array([0, 1])
positive_class = "acq"

# Here are some classifiers that support the `partial_fit` method
partial_fit_classifiers = {
    "SGD": SGDClassifier(max_iter=5),
    "Perceptron": Perceptron(),
    "NB Multinomial": MultinomialNB(alpha=0.01),
    "Passive-Aggressive": PassiveAggressiveClassifier(),
}


def get_minibatch(doc_iter, size, pos_class=positive_class):
    """Extract a minibatch of examples, return a tuple X_text, y."""
    data = [
        ("{title}\\n\\n{body}".format(**doc), pos_class in doc["topics"])
        for doc in itertools.islice(doc_iter, size)
        if doc["topics"]
    ]
    if not len(data):
        return np.asarray([], dtype=int), np.asarray([], dtype=int)
    X_text, y = zip(*data)
    return X_text, np.asarray(y, dtype=int)


def iter_minibatches(doc_iter, minibatch_size):
    """Generator of minibatches."""
    X_text, y = get_minibatch(doc_iter, minibatch_size)
    while len(X_text):
        yield X_text, y
        X_text, y = get_minibatch(doc_iter, minibatch_size)


# First we hold out a number of examples to estimate accuracy
n_test_documents = 1000
X_test_text, y_test = get_minibatch(data_stream, 1000)
X_test = vectorizer.transform(X_test_text)
print("Test set is %d documents (%d positive)" % (len(y_test), sum(y_test)))

cls_stats = {}
for cls_name in partial_fit_classifiers:
    cls_stats[cls_name] = {"n_train": 0, "n_train_pos": 0, "accuracy": 0.0,
                           "accuracy_history": [(0, 0)]}

minibatch_size = 500
minibatch_iterators = iter_minibatches(data_stream, minibatch_size)

# Main loop : iterate on mini-batches of examples
for i, (X_train_text, y_train) in enumerate(minibatch_iterators):
    X_train = vectorizer.transform(X_train_text)
    for cls_name, cls in partial_fit_classifiers.items():
        # update estimator with examples in the current mini-batch
        cls.partial_fit(X_train, y_train, classes=all_classes)
        cls_stats[cls_name]["n_train"] += X_train.shape[0]
        cls_stats[cls_name]["n_train_pos"] += sum(y_train)
        cls_stats[cls_name]["accuracy"] = cls.score(X_test, y_test)
        acc_history = (cls_stats[cls_name]["accuracy"], cls_stats[cls_name]["n_train"])
        cls_stats[cls_name]["accuracy_history"].append(acc_history)

stats = cls_stats["Perceptron"]
accuracy = [a for a, _ in stats["accuracy_history"][1:]]
perceptron = partial_fit_classifiers["Perceptron"]
results = {
    "Perceptron final accuracy": stats["accuracy"],
    "Perceptron accuracy after the 1st batch": accuracy[0],
    "Perceptron mean accuracy over the batches": float(np.mean(accuracy)),
    "Perceptron train docs": stats["n_train"],
    "Perceptron nonzero coefficients": int(np.count_nonzero(perceptron.coef_)),
    "Perceptron t_": perceptron.t_,
}
''',
)

client(
    "plot_sgd_comparison",
    "gallery: examples/linear_model/plot_sgd_comparison.py",
    "same data (load_digits), rounds 10 -> 5; Perceptron switched, the SGD, "
    "passive-aggressive and SAG classifiers kept",
    '''
import numpy as np

from sklearn import datasets
from sklearn.linear_model import (
    LogisticRegression, PassiveAggressiveClassifier, Perceptron, SGDClassifier
)
from sklearn.model_selection import train_test_split

heldout = [0.95, 0.90, 0.75, 0.50, 0.01]
# Number of rounds to fit and evaluate an estimator.
rounds = 5
X, y = datasets.load_digits(return_X_y=True)

classifiers = [
    ("SGD", SGDClassifier(max_iter=110)),
    ("ASGD", SGDClassifier(max_iter=110, average=True)),
    ("Perceptron", Perceptron(max_iter=110)),
    ("Passive-Aggressive I",
     PassiveAggressiveClassifier(max_iter=110, loss="hinge", C=1.0, tol=1e-4)),
    ("Passive-Aggressive II",
     PassiveAggressiveClassifier(max_iter=110, loss="squared_hinge", C=1.0, tol=1e-4)),
    ("SAG",
     LogisticRegression(max_iter=110, solver="sag", tol=1e-1, C=1.0e4 / X.shape[0])),
]

xx = 1.0 - np.array(heldout)

results = {}
for name, clf in classifiers:
    print("training %s" % name)
    rng = np.random.RandomState(42)
    yy = []
    for i in heldout:
        yy_ = []
        for r in range(rounds):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=i, random_state=rng
            )
            clf.fit(X_train, y_train)
            y_pred = clf.predict(X_test)
            yy_.append(1 - np.mean(y_pred == y_test))
        yy.append(np.mean(yy_))
    if name == "Perceptron":
        for proportion, error in zip(xx, yy):
            results[f"Perceptron test error, train proportion {proportion:.2f}"] = error
''',
)

client(
    "plot_document_classification_20newsgroups",
    "gallery: examples/text/plot_document_classification_20newsgroups.py "
    "(the version that benchmarks Perceptron(max_iter=50))",
    "20 newsgroups (fetch_20newsgroups, 4 categories) -> 2000 + 1400 generated "
    "documents in 4 topics; the benchmark condensed to 8 of its 16 classifiers",
    CORPUS + '''
from time import time

import numpy as np

from sklearn import metrics
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import PassiveAggressiveClassifier, Perceptron
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.svm import LinearSVC
from sklearn.utils.extmath import density

target_names = ["alt.atheism", "comp.graphics", "sci.space", "talk.religion.misc"]
docs, topics = make_documents(3400, 4, seed=42)
data_train, y_train = docs[:2000], topics[:2000]
data_test, y_test = docs[2000:], topics[2000:]

vectorizer = TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words="english")
X_train = vectorizer.fit_transform(data_train)
X_test = vectorizer.transform(data_test)
print("n_samples: %d, n_features: %d" % X_train.shape)
feature_names = vectorizer.get_feature_names_out()

def benchmark(clf):
    print("_" * 80)
    print("Training: ")
    print(clf)
    t0 = time()
    clf.fit(X_train, y_train)
    train_time = time() - t0
    t0 = time()
    pred = clf.predict(X_test)
    test_time = time() - t0
    score = metrics.accuracy_score(y_test, pred)
    print("accuracy:   %0.3f" % score)
    numbers = {"accuracy": score}
    if hasattr(clf, "coef_"):
        print("dimensionality: %d" % clf.coef_.shape[1])
        print("density: %f" % density(clf.coef_))
        numbers["dimensionality"] = clf.coef_.shape[1]
        numbers["density"] = density(clf.coef_)
        print("top 10 keywords per class:")
        for i, label in enumerate(target_names):
            top10 = np.argsort(clf.coef_[i])[-10:]
            print("%s: %s" % (label, " ".join(feature_names[top10])))
            numbers[f"top 10 keywords, {label}"] = " ".join(feature_names[top10])
    print("classification report:")
    print(metrics.classification_report(y_test, pred, target_names=target_names))
    print("confusion matrix:")
    cm = metrics.confusion_matrix(y_test, pred)
    print(cm)
    numbers["confusion matrix diagonal"] = " ".join(str(v) for v in np.diag(cm))
    clf_descr = str(clf).split("(")[0]
    numbers["label in the plot"] = clf_descr
    return (clf_descr, score, train_time, test_time), numbers


results_ = []
for clf, name in (
    (LogisticRegression(), "Logistic Regression"),
    (RidgeClassifier(tol=1e-2, solver="sag"), "Ridge Classifier"),
    (Perceptron(max_iter=50), "Perceptron"),
    (PassiveAggressiveClassifier(max_iter=50), "Passive-Aggressive"),
    (KNeighborsClassifier(n_neighbors=10), "kNN"),
    (LinearSVC(penalty="l2", dual=False, tol=1e-3), "LinearSVC l2"),
    (SGDClassifier(alpha=0.0001, max_iter=50, penalty="l2"), "SGD l2"),
    (NearestCentroid(), "NearestCentroid"),
    (ComplementNB(alpha=0.1), "Complement naive Bayes"),
):
    print("=" * 80)
    print(name)
    result, numbers = benchmark(clf)
    results_.append(result)
    if name == "Perceptron":
        results = {f"Perceptron {k}": v for k, v in numbers.items()}
''',
)

client(
    "xor_and_user_guide",
    "tutorial: the MLP section of scikit-learn's user guide, and XOR",
    "the user guide's snippets (two points, multilabel) and the XOR problem",
    '''
import numpy as np
from sklearn.neural_network import MLPClassifier

# user guide, "Classification"
X = [[0.0, 0.0], [1.0, 1.0]]
y = [0, 1]
clf = MLPClassifier(solver="lbfgs", alpha=1e-5, hidden_layer_sizes=(5, 2), random_state=1)
clf.fit(X, y)
pred = clf.predict([[2.0, 2.0], [-1.0, -2.0]])
shapes = [coef.shape for coef in clf.coefs_]
proba = clf.predict_proba([[2.0, 2.0], [1.0, 2.0]])

# user guide, multilabel
y_ml = [[0, 1], [1, 1]]
clf_ml = MLPClassifier(solver="lbfgs", alpha=1e-5, hidden_layer_sizes=(15,), random_state=1)
clf_ml.fit(X, y_ml)
pred_ml = clf_ml.predict([[1.0, 2.0]])
pred_ml0 = clf_ml.predict([[0.0, 0.0]])

# XOR
X_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
y_xor = np.array([0, 1, 1, 0])
xor = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                    max_iter=1000, random_state=0)
xor.fit(X_xor, y_xor)
print("XOR predictions:", xor.predict(X_xor))

results = {
    "user guide predict": " ".join(str(v) for v in pred),
    "user guide coefs_ shapes": str(shapes),
    "user guide proba[0, 1]": proba[0, 1],
    "user guide proba[1, 1]": proba[1, 1],
    "multilabel predict [1, 2]": str(pred_ml.tolist()),
    "multilabel predict [0, 0]": str(pred_ml0.tolist()),
    "XOR predictions": " ".join(str(v) for v in xor.predict(X_xor)),
    "XOR accuracy": xor.score(X_xor, y_xor),
    "XOR loss_": xor.loss_,
    "XOR n_iter_": xor.n_iter_,
}
''',
)

client(
    "digits_pipeline_grid_search",
    "tutorial: a digits pipeline (StandardScaler + MLPClassifier) tuned by GridSearchCV",
    "load_digits; a 2 x 2 grid, 3 folds, max_iter=100 (ConvergenceWarnings left "
    "visible, as a tutorial leaves them)",
    '''
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = Pipeline([
    ("scaler", StandardScaler()),
    ("mlp", MLPClassifier(max_iter=100, random_state=0)),
])
param_grid = {
    "mlp__hidden_layer_sizes": [(32,), (64,)],
    "mlp__alpha": [1e-4, 1e-2],
}
search = GridSearchCV(pipe, param_grid, cv=3)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print("best CV score: %.3f" % search.best_score_)
y_pred = search.predict(X_test)
print(classification_report(y_test, y_pred))

results = {
    "best params": str(sorted(search.best_params_.items())),
    "best CV score": search.best_score_,
    "test accuracy": accuracy_score(y_test, y_pred),
}
for params, mean in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    results[f"CV score {params['mlp__hidden_layer_sizes']} alpha={params['mlp__alpha']:g}"] = mean
''',
)

client(
    "iris_perceptron",
    "tutorial: the iris perceptron of the machine-learning textbooks, and the "
    "Perceptron docstring example",
    "load_iris petal features, standardised; load_digits for the docstring example",
    '''
import numpy as np
from sklearn import datasets
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

iris = datasets.load_iris()
X = iris.data[:, [2, 3]]
y = iris.target
print("Class labels:", np.unique(y))

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, random_state=1, stratify=y
)
sc = StandardScaler()
sc.fit(X_train)
X_train_std = sc.transform(X_train)
X_test_std = sc.transform(X_test)

ppn = Perceptron(eta0=0.1, random_state=1)
ppn.fit(X_train_std, y_train)
y_pred = ppn.predict(X_test_std)
print("Misclassified examples: %d" % (y_test != y_pred).sum())
print("Accuracy: %.3f" % accuracy_score(y_test, y_pred))
print("Accuracy: %.3f" % ppn.score(X_test_std, y_test))

# the docstring of sklearn.linear_model.Perceptron
X_d, y_d = load_digits(return_X_y=True)
clf = Perceptron(tol=1e-3, random_state=0)
clf.fit(X_d, y_d)
print(clf.score(X_d, y_d))

results = {
    "iris misclassified": int((y_test != y_pred).sum()),
    "iris accuracy": accuracy_score(y_test, y_pred),
    "iris n_iter_": ppn.n_iter_,
    "iris coef_[0, 0]": ppn.coef_[0, 0],
    "iris coef_[2, 1]": ppn.coef_[2, 1],
    "iris intercept_[1]": ppn.intercept_[1],
    "digits docstring score": clf.score(X_d, y_d),
    "digits docstring n_iter_": clf.n_iter_,
}
''',
)

client(
    "regression_pipeline",
    "tutorial: MLPRegressor's docstring example, then a diabetes pipeline with "
    "StandardScaler, cross-validation and permutation importance",
    "make_regression and load_diabetes",
    '''
import numpy as np
from sklearn.datasets import load_diabetes, make_regression
from sklearn.inspection import permutation_importance
from sklearn.model_selection import KFold, cross_validate, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# the docstring of sklearn.neural_network.MLPRegressor
X, y = make_regression(n_samples=200, n_features=20, random_state=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1)
regr = MLPRegressor(random_state=1, max_iter=2000, tol=0.1)
regr.fit(X_train, y_train)
first_two = regr.predict(X_test[:2])
docstring_score = regr.score(X_test, y_test)
print(first_two, docstring_score)

# a scaled pipeline on the diabetes data
diabetes = load_diabetes()
X, y = diabetes.data, diabetes.target
model = make_pipeline(
    StandardScaler(),
    MLPRegressor(hidden_layer_sizes=(64, 32), learning_rate_init=0.01, max_iter=500,
                 early_stopping=True, random_state=0),
)
cv = cross_validate(model, X, y, cv=KFold(5, shuffle=True, random_state=0),
                    scoring=("r2", "neg_mean_absolute_error"))
print("CV R2: %.3f +- %.3f" % (cv["test_r2"].mean(), cv["test_r2"].std()))

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
model.fit(X_train, y_train)
imp = permutation_importance(model, X_test, y_test, n_repeats=5, random_state=0)
order = imp.importances_mean.argsort()[::-1]
for i in order[:3]:
    print(f"{diabetes.feature_names[i]:<8}{imp.importances_mean[i]:.3f}")

results = {
    "docstring predict[0]": first_two[0],
    "docstring predict[1]": first_two[1],
    "docstring score": docstring_score,
    "docstring n_iter_": regr.n_iter_,
    "diabetes CV R2 mean": cv["test_r2"].mean(),
    "diabetes CV MAE mean": -cv["test_neg_mean_absolute_error"].mean(),
    "diabetes test R2": model.score(X_test, y_test),
    "diabetes n_iter_": model[-1].n_iter_,
    "top 3 features by permutation importance":
        " ".join(diabetes.feature_names[i] for i in order[:3]),
    "largest importance": imp.importances_mean[order[0]],
}
''',
)

client(
    "partial_fit_streaming",
    "tutorial: learning from a stream of mini-batches with partial_fit",
    "make_classification (3 classes) and make_regression streamed in chunks of 500",
    '''
import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Perceptron
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=12000, n_features=20, n_informative=10,
                           n_classes=3, random_state=0)
X = StandardScaler().fit_transform(X)
X_stream, y_stream = X[:10000], y[:10000]
X_hold, y_hold = X[10000:], y[10000:]
classes = np.unique(y)

def chunks(X, y, size=500):
    for start in range(0, len(X), size):
        yield X[start:start + size], y[start:start + size]

ppn = Perceptron(random_state=0)
mlp = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
ppn_acc, mlp_acc = [], []
for X_chunk, y_chunk in chunks(X_stream, y_stream):
    ppn.partial_fit(X_chunk, y_chunk, classes=classes)
    mlp.partial_fit(X_chunk, y_chunk, classes=classes)
    ppn_acc.append(ppn.score(X_hold, y_hold))
    mlp_acc.append(mlp.score(X_hold, y_hold))
print("held-out accuracy after each chunk (perceptron):", np.round(ppn_acc, 3))
print("held-out accuracy after each chunk (MLP):", np.round(mlp_acc, 3))

Xr, yr = make_regression(n_samples=6000, n_features=10, noise=5.0, random_state=0)
Xr = StandardScaler().fit_transform(Xr)
yr = (yr - yr.mean()) / yr.std()
reg = MLPRegressor(hidden_layer_sizes=(16,), random_state=0)
for X_chunk, y_chunk in chunks(Xr[:5000], yr[:5000]):
    reg.partial_fit(X_chunk, y_chunk)

results = {
    "Perceptron final held-out accuracy": ppn_acc[-1],
    "Perceptron mean held-out accuracy": float(np.mean(ppn_acc)),
    "Perceptron t_": ppn.t_,
    "MLPClassifier final held-out accuracy": mlp_acc[-1],
    "MLPClassifier mean held-out accuracy": float(np.mean(mlp_acc)),
    "MLPClassifier loss_": mlp.loss_,
    "MLPClassifier t_": mlp.t_,
    "MLPRegressor held-out R2": reg.score(Xr[5000:], yr[5000:]),
    "MLPRegressor loss_": reg.loss_,
}
''',
)

client(
    "multilabel_and_roc",
    "tutorial: ROC curves and AUC of an MLP and a perceptron, binary and multilabel",
    "load_breast_cancer and make_multilabel_classification; RocCurveDisplay on Agg",
    '''
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, make_multilabel_classification
from sklearn.linear_model import Perceptron
from sklearn.metrics import RocCurveDisplay, hamming_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
mlp = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(30, 30, 30),
                                                    max_iter=500, random_state=0))
mlp.fit(X_train, y_train)
ppn = make_pipeline(StandardScaler(), Perceptron(random_state=0))
ppn.fit(X_train, y_train)
fig, ax = plt.subplots()
mlp_roc = RocCurveDisplay.from_estimator(mlp, X_test, y_test, ax=ax)
ppn_roc = RocCurveDisplay.from_estimator(ppn, X_test, y_test, ax=ax)
plt.close(fig)

Xm, Ym = make_multilabel_classification(n_samples=1000, n_features=20, n_classes=5,
                                        random_state=0)
Xm_train, Xm_test, Ym_train, Ym_test = train_test_split(Xm, Ym, random_state=0)
mlp_ml = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(50,),
                                                       max_iter=300, random_state=0))
mlp_ml.fit(Xm_train, Ym_train)
proba = mlp_ml.predict_proba(Xm_test)
ovr = make_pipeline(StandardScaler(), OneVsRestClassifier(Perceptron(random_state=0)))
ovr.fit(Xm_train, Ym_train)
scores = ovr.decision_function(Xm_test)

results = {
    "breast cancer MLP test accuracy": mlp.score(X_test, y_test),
    "breast cancer MLP ROC AUC": mlp_roc.roc_auc,
    "breast cancer Perceptron test accuracy": ppn.score(X_test, y_test),
    "breast cancer Perceptron ROC AUC": ppn_roc.roc_auc,
    "multilabel MLP micro AUC": roc_auc_score(Ym_test, proba, average="micro"),
    "multilabel MLP macro AUC": roc_auc_score(Ym_test, proba, average="macro"),
    "multilabel MLP hamming loss": hamming_loss(Ym_test, mlp_ml.predict(Xm_test)),
    "multilabel one-vs-rest Perceptron micro AUC":
        roc_auc_score(Ym_test, scores, average="micro"),
    "multilabel one-vs-rest Perceptron hamming loss":
        hamming_loss(Ym_test, ovr.predict(Xm_test)),
}
''',
)

# ------------------------------------------------------------------ the switch
# scikit-learn's names -> what the switched import line imports from skperceptron
SWITCH = {
    "MLPClassifier": "MLPClassifier",
    "MLPRegressor": "MLPRegressor",
    "Perceptron": "PerceptronClassifier as Perceptron",
}
_IMPORT_LINE = re.compile(
    r"^(?P<indent>\s*)from sklearn\.(?P<module>neural_network|linear_model) import "
    r"(?P<open>\(?)(?P<names>[^()]*?)(?P<close>\)?)\s*$"
)


def switch_imports(source):
    """The source with every import of a switched class taken from skperceptron.

    Only import lines change, and each stays one line (so that a traceback's line
    numbers are those of the original): ``from sklearn.linear_model import
    Perceptron, SGDClassifier`` becomes ``from sklearn.linear_model import
    SGDClassifier; from skperceptron import PerceptronClassifier as Perceptron``.
    Returns the new source and the (old, new) pairs of the lines changed.
    """
    lines = source.split("\n")
    changed = []
    i = 0
    while i < len(lines):
        line = lines[i]
        # a parenthesised import over several lines is joined for the match
        end = i
        if re.match(r"^\s*from sklearn\.(neural_network|linear_model) import \($", line):
            while not lines[end].rstrip().endswith(")"):
                end += 1
            line = " ".join(part.strip() for part in lines[i:end + 1])
            line = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + line
        match = _IMPORT_LINE.match(line)
        if match:
            names = [n.strip() for n in match["names"].split(",") if n.strip()]
            ours = [n for n in names if n in SWITCH]
            if ours:
                kept = [n for n in names if n not in SWITCH]
                parts = []
                if kept:
                    parts.append(f"from sklearn.{match['module']} import {', '.join(kept)}")
                parts.append(f"from skperceptron import {', '.join(SWITCH[n] for n in ours)}")
                new = match["indent"] + "; ".join(parts)
                # keep the line count: a joined multi-line import leaves blank lines
                old_block = lines[i:end + 1]
                lines[i:end + 1] = [new] + [""] * (end - i)
                changed.append((" ".join(part.strip() for part in old_block), new.strip()))
        i = end + 1
    return "\n".join(lines), changed


# ---------------------------------------------------------------------- running
LIBRARIES = ("scikit-learn", "skperceptron")


def run_once(name, source, library):
    """Execute one client script in a fresh namespace; what it did, and in how long."""
    filename = f"<{name} on {library}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__file__": filename}
    printed = io.StringIO()
    outcome = {"ok": False, "error": None, "traceback": None, "results": {},
               "seconds": None, "convergence": 0, "other_warnings": {}, "printed": 0}
    code = compile(source, filename, "exec")
    with warnings.catch_warnings(record=True) as caught:
        # record every warning that gets through the script's own filters
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
            outcome["ok"] = True
        except Exception as exc:  # a failure of the script is a finding, not a crash
            outcome["error"] = f"{type(exc).__name__}: {exc}"
            outcome["traceback"] = traceback.format_exc()
        outcome["seconds"] = time.perf_counter() - start
    plt.close("all")
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            outcome["convergence"] += 1
        else:
            key = w.category.__name__
            outcome["other_warnings"][key] = outcome["other_warnings"].get(key, 0) + 1
    outcome["printed"] = len(printed.getvalue().splitlines())
    if outcome["ok"]:
        results = namespace.get("results")
        if not isinstance(results, dict):
            outcome["ok"] = False
            outcome["error"] = "the script set no dict 'results'"
        else:
            outcome["results"] = {k: _plain(v) for k, v in results.items()}
    return outcome


def _plain(value):
    """A numpy scalar as a Python number; text and other values as they are."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def warm_up():
    """Small untimed fits of every switched class of both libraries, so that the first
    script does not pay for first calls (lazy imports, loading compiled kernels)."""
    from scipy import sparse
    from sklearn.linear_model import Perceptron
    from sklearn.neural_network import MLPClassifier as SkMLPC
    from sklearn.neural_network import MLPRegressor as SkMLPR

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mlpc, mlpr, ppn in (
            (SkMLPC, SkMLPR, Perceptron),
            (skperceptron.MLPClassifier, skperceptron.MLPRegressor,
             skperceptron.PerceptronClassifier),
        ):
            for solver in ("adam", "sgd", "lbfgs"):
                small = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=5, random_state=0)
                mlpc(**small).fit(X, y3)
                mlpr(**small).fit(X, X[:, 0])
            mlpc(hidden_layer_sizes=(8,), random_state=0).partial_fit(X, y, classes=[0, 1])
            ppn().fit(X, y)
            ppn().fit(sparse.csr_matrix(X), y3)
            ppn().partial_fit(X, y3, classes=[0, 1, 2])


def run_script(name, repeats, budget):
    """Both libraries' runs of one script, alternating which goes first; the numbers
    of the first run of each, and whether later runs gave the same."""
    source = SCRIPTS[name][2]
    switched, changed = switch_imports(source)
    sources = {"scikit-learn": source, "skperceptron": switched}
    runs = {lib: [] for lib in LIBRARIES}
    started = time.perf_counter()
    for r in range(repeats):
        order = LIBRARIES if r % 2 == 0 else LIBRARIES[::-1]
        for lib in order:
            runs[lib].append(run_once(name, sources[lib], lib))
        if time.perf_counter() - started > budget:
            break
    return changed, runs


# -------------------------------------------------------------------- comparing
def compare(a, b):
    """'equal', 'close' (within RTOL relative), 'differ' or 'missing'."""
    if a is None or b is None:
        return "equal" if a is None and b is None else "missing"
    numeric = (int, float, bool)
    if not (isinstance(a, numeric) and isinstance(b, numeric)):
        return "equal" if a == b else "differ"
    fa, fb = float(a), float(b)
    if fa == fb or (math.isnan(fa) and math.isnan(fb)):
        return "equal"
    if math.isfinite(fa) and math.isfinite(fb) and abs(fa - fb) <= RTOL * max(abs(fa), abs(fb)):
        return "close"
    return "differ"


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _relative(a, b):
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return ""
    scale = max(abs(fa), abs(fb))
    return "" if scale == 0 or not math.isfinite(scale) else f"{abs(fa - fb) / scale:.1e}"


# the two families of switched classes, as named in the switched import lines
KINDS = ("MLP", "PerceptronClassifier")

MATCH_TEXT = {"equal": "equal", "close": "within 1e-6", "differ": "DIFFER",
              "missing": "missing"}


def report_script(index, total, name, changed, runs):
    """One table: the key numbers side by side, then the runs and their times."""
    origin, note, _ = SCRIPTS[name]
    first = {lib: runs[lib][0] for lib in LIBRARIES}
    keys = list(first["scikit-learn"]["results"])
    keys += [k for k in first["skperceptron"]["results"] if k not in keys]
    rows, counts = [], {"equal": 0, "close": 0, "differ": 0, "missing": 0}
    by_kind = {kind: dict.fromkeys(counts, 0) for kind in KINDS}
    differing = []
    kinds = [kind for kind in KINDS if any(kind in new for _, new in changed)]
    for key in keys:
        a = first["scikit-learn"]["results"].get(key)
        b = first["skperceptron"]["results"].get(key)
        verdict = compare(a, b)
        if first["scikit-learn"]["ok"] and first["skperceptron"]["ok"]:
            counts[verdict] += 1
            # whose number it is: the one class switched, else the key names it
            kind = kinds[0] if len(kinds) == 1 else (
                "PerceptronClassifier" if "Perceptron" in key else "MLP")
            by_kind[kind][verdict] += 1
            if verdict == "differ":
                differing.append((key, a, b))
        text = MATCH_TEXT[verdict]
        if verdict in ("differ", "close") and _relative(a, b):
            text += f" ({_relative(a, b)})"
        rows.append([key, _fmt(a), _fmt(b), text])
    # repeats that did not give the numbers of the first run
    unstable = {lib: sum(r["ok"] and r["results"] != first[lib]["results"]
                         for r in runs[lib][1:]) for lib in LIBRARIES}
    times = {lib: statistics.median(r["seconds"] for r in runs[lib]) for lib in LIBRARIES}
    spans = {lib: f"{min(r['seconds'] for r in runs[lib]):.3f}-"
                  f"{max(r['seconds'] for r in runs[lib]):.3f}" for lib in LIBRARIES}
    ratio = times["scikit-learn"] / times["skperceptron"]

    def ran(lib):
        failed = [r for r in runs[lib] if not r["ok"]]
        return "yes" if not failed else f"NO ({failed[0]['error']})"

    def others(lib):
        w = first[lib]["other_warnings"]
        return ", ".join(f"{k} {v}" for k, v in sorted(w.items())) or "none"

    notes = [
        f"origin: {origin}",
        f"data and condensation: {note}",
        *(f"switched: {old}  ->  {new}" for old, new in changed),
        f"ran: scikit-learn {ran('scikit-learn')}; skperceptron {ran('skperceptron')}",
        "ConvergenceWarnings through the script's own filters: "
        f"scikit-learn {first['scikit-learn']['convergence']}, "
        f"skperceptron {first['skperceptron']['convergence']}",
        f"other warnings: scikit-learn {others('scikit-learn')}; "
        f"skperceptron {others('skperceptron')}",
        f"lines printed: scikit-learn {first['scikit-learn']['printed']}, "
        f"skperceptron {first['skperceptron']['printed']}",
        f"time, median of {len(runs['scikit-learn'])} (min-max): scikit-learn "
        f"{times['scikit-learn']:.3f} s ({spans['scikit-learn']}), skperceptron "
        f"{times['skperceptron']:.3f} s ({spans['skperceptron']}), ratio {ratio:.2f}x "
        "(scikit-learn / skperceptron; > 1: skperceptron faster)",
    ]
    for lib in LIBRARIES:
        if unstable[lib]:
            notes.append(f"{lib}: {unstable[lib]} later run(s) gave other numbers than "
                         "the first (shown)")
    print_table(f"[{index}/{total}] {name}",
                ["key number", "scikit-learn", "skperceptron", "match (relative diff)"],
                rows, notes=notes, text_columns=1, wrap=100)
    return {
        "name": name,
        "ran": {lib: all(r["ok"] for r in runs[lib]) for lib in LIBRARIES},
        "counts": counts,
        "by_kind": by_kind,
        "n_text": sum(isinstance(first["scikit-learn"]["results"].get(k), str) for k in keys),
        "differing": differing,
        "convergence": {lib: first[lib]["convergence"] for lib in LIBRARIES},
        "times": times,
        "ratio": ratio,
        "repeats": len(runs["scikit-learn"]),
        "failures": {lib: next((r for r in runs[lib] if not r["ok"]), None)
                     for lib in LIBRARIES},
        "unstable": unstable,
    }


# ---------------------------------------------------------------------- machine
def _version(package):
    if importlib.util.find_spec(package) is None:
        return "not installed"
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "installed"


def describe_machine(repeats, budget):
    from threadpoolctl import threadpool_info

    blas = [m for m in threadpool_info() if m["user_api"] == "blas"]
    blas = [m for m in blas if "numpy" in m["filepath"]] or blas  # numpy's, not scipy's
    blas_text = ("none found" if not blas else
                 f"{blas[0]['internal_api']} {blas[0].get('version')}, "
                 f"{blas[0].get('num_threads')} threads")
    print("Machine and libraries")
    print("=====================")
    print(f"platform: {platform.platform()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
          f"{sklearn.__version__}, skperceptron {skperceptron.__version__}, numba "
          f"{_version('numba')}, scipy {_version('scipy')}, pandas {_version('pandas')}, "
          f"matplotlib {matplotlib.__version__} (Agg)")
    print(f"numpy's BLAS: {blas_text}")
    print(f"repeats: {repeats} per library and script, alternating which library runs "
          f"first (fewer once a script has run {budget:g} s); the numbers shown are the "
          "first run's")
    print(f"load average before the run: {load_text()}")
    sys.stdout.flush()


# ------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", nargs="+", choices=list(SCRIPTS), default=None,
                        help="which client scripts to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per library and script (default 3)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="stop repeating a script once it has run this many seconds "
                             "(default 20)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS and OpenMP threads to N (threadpoolctl); default: "
                             "leave them as a client script would find them")
    args = parser.parse_args(argv)
    names = args.scripts or list(SCRIPTS)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    t0 = time.perf_counter()
    describe_machine(args.repeats, args.budget)
    warm_up()

    summaries = []
    for i, name in enumerate(names, 1):
        changed, runs = run_script(name, args.repeats, args.budget)
        summaries.append(report_script(i, len(names), name, changed, runs))

    rows = []
    for s in summaries:
        c = s["counts"]
        rows.append([
            s["name"],
            "yes" if all(s["ran"].values()) else
            "/".join("yes" if s["ran"][lib] else "NO" for lib in LIBRARIES),
            sum(c.values()), c["equal"], c["close"], c["differ"] + c["missing"],
            f"{s['convergence']['scikit-learn']}/{s['convergence']['skperceptron']}",
            f"{s['times']['scikit-learn']:.3f}", f"{s['times']['skperceptron']:.3f}",
            f"{s['ratio']:.2f}x",
        ])
    both = [s for s in summaries if all(s["ran"].values())]
    total = {k: sum(s["counts"][k] for s in summaries)
             for k in ("equal", "close", "differ", "missing")}
    n_values = sum(total.values())
    n_text = sum(s["n_text"] for s in summaries if all(s["ran"].values()))
    kind_text = []
    for kind, label in zip(KINDS, ("MLPClassifier/MLPRegressor", "Perceptron")):
        k = {v: sum(s["by_kind"][kind][v] for s in summaries) for v in total}
        kind_text.append(f"{label}: {sum(k.values())} values, {k['equal']} equal, "
                         f"{k['close']} within 1e-6, {k['differ'] + k['missing']} differ")
    ratios = [s["ratio"] for s in both]
    wall = time.perf_counter() - t0
    notes = [
        f"{len(both)} of {len(summaries)} scripts ran in both libraries.",
        f"{n_values} key values compared ({n_text} of them texts: labels, keywords, "
        f"parameters): {total['equal']} equal, {total['close']} within 1e-6 relative, "
        f"{total['differ']} differ" + (f", {total['missing']} missing on one side"
                                       if total["missing"] else "") + ".",
        "of which " + "; ".join(kind_text) + ".",
        "ConvergenceWarnings: those that got through the script's own filters "
        "(scikit-learn/skperceptron).",
        "time: median wall time of the whole script; ratio = scikit-learn / skperceptron "
        "(> 1: skperceptron faster); it includes every line of the script, the "
        "estimators that were not switched included.",
    ]
    if ratios:
        notes.append(f"time ratio over the scripts that ran in both: {min(ratios):.2f}x to "
                     f"{max(ratios):.2f}x, median {statistics.median(ratios):.2f}x.")
    notes.append(f"load average after the run: {load_text()}; whole run {wall:.0f} s.")
    print_table("Summary",
                ["script", "ran in both", "values", "equal", "within 1e-6", "differ",
                 "ConvergenceWarnings", "scikit-learn s", "skperceptron s", "ratio"],
                rows, notes=notes, text_columns=2, wrap=100)

    differing = [(s["name"], *d) for s in summaries for d in s["differing"]]
    if differing:
        print_table("Values that differ",
                    ["script", "key number", "scikit-learn", "skperceptron", "relative"],
                    [[n, k, _fmt(a), _fmt(b), _relative(a, b)] for n, k, a, b in differing],
                    text_columns=2)
    failures = [(s["name"], lib, s["failures"][lib]) for s in summaries for lib in LIBRARIES
                if s["failures"][lib] is not None]
    if failures:
        print("\nFailures\n========")
        for name, lib, run in failures:
            print(f"\n{name} on {lib}: {run['error']}\n{run['traceback']}")
    return 0 if len(both) == len(summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
