"""The measured benefit of each regulariser: dropout, batch normalization, L1, averaging.

Every configuration is fitted on the same folds: stratified 5-fold cross-validation,
shuffled with 3 seeds (15 paired runs). Each run's random_state is ``1000 * seed +
fold``, shared by all configurations of that run, so that two configurations of an
MLP start from the same weights and differ by the regulariser alone. Per
configuration the tables give the mean over the runs and the paired difference to a
reference configuration (mean of the 15 differences) with two standard errors:

- ``SE``: std(differences) / sqrt(15). The training sets of different folds and seeds
  overlap, so the differences are not independent and this SE is optimistic;
- ``NB SE``: the corrected SE of Nadeau and Bengio (2003) for repeated k-fold
  cross-validation, std(differences) * sqrt(1 / 15 + n_test / n_train), 2.2 times the
  first with 5 folds. The verdicts use this one: a difference counts when it exceeds
  2 NB SE.

Parts (``--parts``, default all):

1. Dropout. Digits (X / 16), MLPClassifier (512, 512) relu, Adam (lr 1e-3), batch 64,
   a fixed number of epochs, no penalty (penalty=None, so dropout is the only
   regulariser): dropout 0.3 and 0.5 against none. Train and test accuracy and their gap.
2. Batch normalization. Digits, a deep logistic network (5 hidden layers of 64), Adam
   (lr 1e-3), batch 64, fixed epochs, batch_norm against none: test accuracy, and the
   gradient norms of the first and of the last (output) layer's weights, at
   initialization and after training, from the library's own gradient.
3. The same architectures in PyTorch (float64, the same initial weights copied from
   ours, Adam with the same lr/betas/eps, batch, epochs, cross-entropy; nn.Dropout,
   nn.BatchNorm1d): ours against torch on the same runs. Skipped without torch.
4. L1. PerceptronClassifier(penalty='l1') against scikit-learn's Perceptron and
   SGDClassifier(loss='hinge') with the same penalty, alpha, max_iter, tol and
   random_state, on data with many uninformative features: fraction of exact zero
   weights and test accuracy; and MLPClassifier penalty='l1' against 'l2' (zeros in the
   first layer). Our perceptron lines are skipped on a version without ``penalty``.
5. Averaging. Noisy data (flip_y=0.1): PerceptronClassifier(average=True) against
   average=False, scikit-learn's averaged SGDClassifier(loss='perceptron') and its
   Perceptron. Our lines are skipped on a version without ``average``.

Every library runs on one BLAS/torch thread unless ``--threads`` says otherwise: on a
shared 2-core machine two threads can stall each other, and accuracies, not times, are
the point here.

Run from the repository root::

    python benchmarks/regularisation.py              # everything, ~15 minutes on 2 cores
    python benchmarks/regularisation.py --quick      # a smoke run: 3 folds, 1 seed, few epochs
    python benchmarks/regularisation.py --parts 4,5
"""

import argparse
import importlib.metadata
import importlib.util
import math
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from _report import cpu_model, load_text, print_table  # beside this script
from bench import versions_text
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skperceptron import MLPClassifier, PerceptronClassifier

ADAM = dict(solver="adam", learning_rate_init=1e-3, beta_1=0.9, beta_2=0.999,
            epsilon=1e-8)


# ------------------------------------------------------------------------- protocol
@dataclass
class Protocol:
    folds: int
    seeds: int
    wide_epochs: int  # part 1 (and its torch twin)
    deep_epochs: int  # part 2 (and its torch twin)
    linear_epochs: int  # parts 4 and 5
    mlp_l1_epochs: int  # part 4's MLP lines
    batch: int = 64

    def splits(self, X, y):
        """(seed, fold, train rows, test rows) of every run, in a fixed order."""
        runs = []
        for seed in range(self.seeds):
            cv = StratifiedKFold(self.folds, shuffle=True, random_state=seed)
            for fold, (train, test) in enumerate(cv.split(X, y)):
                runs.append((seed, fold, train, test))
        return runs


FULL = Protocol(folds=5, seeds=3, wide_epochs=30, deep_epochs=30, linear_epochs=20,
                mlp_l1_epochs=50)
QUICK = Protocol(folds=3, seeds=1, wide_epochs=4, deep_epochs=5, linear_epochs=5,
                 mlp_l1_epochs=10)


def run_seed(seed, fold):
    return 1000 * seed + fold


@dataclass
class Paired:
    """Mean and standard errors of the paired differences a - b over the runs."""

    mean: float
    se: float
    nb_se: float

    @classmethod
    def of(cls, a, b, folds):
        d = np.asarray(a, float) - np.asarray(b, float)
        n = d.size
        sd = float(np.std(d, ddof=1)) if n > 1 else float("nan")
        # Nadeau-Bengio: the test/train size ratio of k-fold is 1 / (k - 1).
        return cls(float(d.mean()), sd / math.sqrt(n), sd * math.sqrt(1 / n + 1 / (folds - 1)))

    def text(self, digits=4, scale=1.0):
        return (f"{self.mean * scale:+.{digits}f} ± {self.se * scale:.{digits}f} "
                f"(NB {self.nb_se * scale:.{digits}f})")

    @property
    def counts(self):
        """Beyond 2 NB standard errors from 0."""
        return abs(self.mean) > 2 * self.nb_se

    def sign_text(self, more="up", less="down"):
        if self.mean == 0 and self.se == 0:
            return "identical"
        if not self.counts:
            return "within noise"
        return more if self.mean > 0 else less


@dataclass
class Context:
    protocol: Protocol
    torch: object
    digits: tuple = None
    cache: dict = field(default_factory=dict)  # (configuration, seed, fold) -> result

    def digits_data(self):
        if self.digits is None:
            X, y = load_digits(return_X_y=True)
            self.digits = (X / 16.0, y)
        return self.digits


def pct(x):
    return f"{100 * x:.2f}%"


def pp(paired):
    """A paired difference of accuracies in percentage points."""
    return paired.text(digits=2, scale=100)


# ------------------------------------------------------------------------- our MLPs
WIDE = dict(hidden_layer_sizes=(512, 512), activation="relu")
DEEP = dict(hidden_layer_sizes=(64,) * 5, activation="logistic")

#: name -> (architecture, epochs attribute of the protocol, extra parameters)
MLP_CONFIGS = {
    "wide, no dropout": (WIDE, "wide_epochs", dict(dropout=0.0)),
    "wide, dropout=0.3": (WIDE, "wide_epochs", dict(dropout=0.3)),
    "wide, dropout=0.5": (WIDE, "wide_epochs", dict(dropout=0.5)),
    "deep logistic, no batch_norm": (DEEP, "deep_epochs", dict(batch_norm=False)),
    "deep logistic, batch_norm": (DEEP, "deep_epochs", dict(batch_norm=True)),
}


def our_mlp(name, protocol, random_state):
    architecture, epochs_attr, extra = MLP_CONFIGS[name]
    epochs = getattr(protocol, epochs_attr)
    return MLPClassifier(**architecture, **ADAM, **extra, penalty=None,
                         batch_size=protocol.batch, max_iter=epochs, tol=0.0,
                         n_iter_no_change=epochs + 1, shuffle=True,
                         random_state=random_state)


def layer_gradient_norms(estimator, X, y):
    """||dJ/dW|| of the first and of the last weight layer, over the whole of (X, y),
    at the estimator's weights (the initial ones when it is not fitted)."""
    from skperceptron._engine.layers import TrainingPass
    from skperceptron._engine.network import loss_and_gradients

    net, loss, params, data, alpha, l1 = estimator._gradient_problem(X, y)
    mode = (TrainingPass(np.random.RandomState(0), data.sample_weight)
            if net.trains_differently else None)
    _, grads = loss_and_gradients(net, loss, params, data.X, data.Y, data.sample_weight,
                                  alpha, l1=l1, mode=mode)
    return float(np.linalg.norm(grads.coefs[0])), float(np.linalg.norm(grads.coefs[-1]))


def our_mlp_runs(ctx, name, gradients=False):
    """Per run: train and test accuracy (and gradient norms), cached across parts."""
    X, y = ctx.digits_data()
    results = []
    for seed, fold, train, test in ctx.protocol.splits(X, y):
        key = (name, seed, fold)
        if key not in ctx.cache or (gradients and "g_first_init" not in ctx.cache[key]):
            rs = run_seed(seed, fold)
            model = our_mlp(name, ctx.protocol, rs)
            result = {}
            if gradients:
                result["g_first_init"], result["g_last_init"] = layer_gradient_norms(
                    our_mlp(name, ctx.protocol, rs), X[train], y[train])
            model.fit(X[train], y[train])
            result["train"] = model.score(X[train], y[train])
            result["test"] = model.score(X[test], y[test])
            if gradients:
                result["g_first_end"], result["g_last_end"] = layer_gradient_norms(
                    model, X[train], y[train])
            ctx.cache[key] = result
        results.append(ctx.cache[key])
    return {k: np.array([r[k] for r in results]) for k in results[0]}


# ------------------------------------------------------------------------- part 1
def part_dropout(ctx):
    p = ctx.protocol
    names = ["wide, no dropout", "wide, dropout=0.3", "wide, dropout=0.5"]
    runs = {name: our_mlp_runs(ctx, name) for name in names}
    base = runs[names[0]]
    rows, verdicts = [], []
    for name in names:
        r = runs[name]
        gap = r["train"] - r["test"]
        row = [name, pct(r["train"].mean()), pct(r["test"].mean()), pct(gap.mean())]
        if name == names[0]:
            rows.append(row + ["", ""])
            continue
        d_test = Paired.of(r["test"], base["test"], p.folds)
        d_gap = Paired.of(gap, base["train"] - base["test"], p.folds)
        rows.append(row + [pp(d_test), pp(d_gap)])
        holds = d_gap.mean < 0 and d_gap.counts and d_test.mean >= -2 * d_test.nb_se
        verdicts.append(
            f"{name.split(', ')[1]}: changes the train-test gap by {pp(d_gap)} points "
            f"({d_gap.sign_text('wider', 'narrower')}) and test accuracy by {pp(d_test)} "
            f"points ({d_test.sign_text('better', 'worse')}): the claim 'dropout narrows "
            f"the gap and keeps or improves test accuracy' "
            f"{'HOLDS' if holds else 'does NOT hold'}.")
    print_table(
        f"Part 1  dropout: digits, MLP (512, 512) relu, adam, {p.wide_epochs} epochs, "
        f"batch {p.batch}, penalty=None, {p.folds}-fold x {p.seeds} seeds",
        ["configuration", "train acc", "test acc", "gap", "test - none (pp)",
         "gap - none (pp)"], rows,
        notes=[("gap = train accuracy - test accuracy (train accuracy measured by predict, "
               "i.e. without dropout); differences are paired over the same runs, "
               "'± SE (NB NB-SE)' in percentage points")], text_columns=1)
    for v in verdicts:
        print(f"verdict: {v}")


# ------------------------------------------------------------------------- part 2
def part_batch_norm(ctx):
    p = ctx.protocol
    names = ["deep logistic, no batch_norm", "deep logistic, batch_norm"]
    runs = {name: our_mlp_runs(ctx, name, gradients=True) for name in names}
    base = runs[names[0]]
    rows = []
    for name in names:
        r = runs[name]
        ratio_init = r["g_first_init"] / r["g_last_init"]
        ratio_end = r["g_first_end"] / r["g_last_end"]
        d_test = "" if name == names[0] else pp(Paired.of(r["test"], base["test"], p.folds))
        rows.append([name, pct(r["train"].mean()), pct(r["test"].mean()), d_test,
                     f"{np.median(r['g_first_init']):.2e}", f"{np.median(r['g_last_init']):.2e}",
                     f"{np.median(ratio_init):.2e}",
                     f"{np.median(r['g_first_end']):.2e}", f"{np.median(r['g_last_end']):.2e}",
                     f"{np.median(ratio_end):.2e}"])
    print_table(
        f"Part 2  batch normalization: digits, MLP (64,)*5 logistic, adam lr 1e-3, "
        f"{p.deep_epochs} epochs, batch {p.batch}, penalty=None, {p.folds}-fold x "
        f"{p.seeds} seeds",
        ["configuration", "train acc", "test acc", "test - none (pp)", "|g1| init",
         "|gL| init", "g1/gL init", "|g1| end", "|gL| end", "g1/gL end"], rows,
        notes=[("|g1|, |gL| = ||dJ/dW|| of the first and of the output layer's weights, "
               "the gradient of the mean training loss over the whole training fold "
               "(batch normalization in training mode, statistics of the whole fold); "
               "'init' at the initial weights, 'end' after training; medians over the "
               "runs. Test difference paired, '± SE (NB NB-SE)' in percentage points")],
        text_columns=1)
    bn, plain = runs[names[1]], runs[names[0]]
    d_test = Paired.of(bn["test"], plain["test"], p.folds)
    r_plain = np.median(plain["g_first_init"] / plain["g_last_init"])
    r_bn = np.median(bn["g_first_init"] / bn["g_last_init"])
    holds = d_test.mean > 0 and d_test.counts and r_bn > r_plain
    print(f"verdict: batch_norm changes test accuracy after {p.deep_epochs} epochs by "
          f"{pp(d_test)} points ({d_test.sign_text('better', 'worse')}); at "
          f"initialization the first layer's gradient is {r_plain:.2g} x the last "
          f"layer's without it and {r_bn:.2g} x with it. The claim 'batch normalization "
          f"lets the vanishing-gradient network learn, by keeping the first layer's "
          f"gradient from vanishing' {'HOLDS' if holds else 'does NOT hold'}.")


# ------------------------------------------------------------------------- part 3
def torch_fit_scores(torch, name, protocol, Xtr, ytr, Xte, yte, random_state):
    """Train and test accuracy of the torch twin of configuration ``name``.

    Its weights start as ours (copied from our estimator's initial parameters), in
    float64; the batches are shuffled by torch.randperm and the dropout masks drawn by
    torch, so the runs are paired on data and start, not on randomness.
    """
    nn = torch.nn
    architecture, epochs_attr, extra = MLP_CONFIGS[name]
    epochs = getattr(protocol, epochs_attr)
    start = our_mlp(name, protocol, random_state)._gradient_problem(Xtr, ytr)[2]
    torch.manual_seed(random_state)
    generator = torch.Generator().manual_seed(random_state)
    activation = {"relu": nn.ReLU, "logistic": nn.Sigmoid}[architecture["activation"]]
    n_hidden = len(architecture["hidden_layer_sizes"])
    layers = []
    for i, (W, b) in enumerate(zip(start.coefs, start.intercepts)):
        linear = nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(linear)
        if i < n_hidden:
            if extra.get("batch_norm"):
                layers.append(nn.BatchNorm1d(W.shape[1], eps=1e-5, momentum=0.1,
                                             dtype=torch.float64))
            layers.append(activation())
            if extra.get("dropout"):
                layers.append(nn.Dropout(extra["dropout"]))
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    cross_entropy = nn.CrossEntropyLoss()
    classes = np.unique(ytr)
    Xt = torch.from_numpy(np.ascontiguousarray(Xtr, dtype=np.float64))
    yt = torch.from_numpy(np.searchsorted(classes, ytr).astype(np.int64))
    n = Xt.shape[0]
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for s in range(0, n, protocol.batch):
            rows = order[s:s + protocol.batch]
            if len(rows) < 2 and extra.get("batch_norm"):
                continue  # BatchNorm1d refuses a batch of one row in training
            loss = cross_entropy(model(Xt[rows]), yt[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    model.eval()

    def accuracy(X, y):
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64)))
        return float(np.mean(classes[out.argmax(1).numpy()] == y))

    return accuracy(Xtr, ytr), accuracy(Xte, yte)


TORCH_CONFIGS = ["wide, dropout=0.5", "deep logistic, no batch_norm",
                 "deep logistic, batch_norm"]


def part_torch(ctx):
    p = ctx.protocol
    if ctx.torch is None:
        print("\nPart 3  PyTorch twins: skipped: torch is not installed (or --no-torch)")
        return
    torch = ctx.torch
    X, y = ctx.digits_data()
    rows, verdicts = [], []
    for name in TORCH_CONFIGS:
        ours = our_mlp_runs(ctx, name)
        train, test = [], []
        for seed, fold, tr, te in p.splits(X, y):
            a, b = torch_fit_scores(torch, name, p, X[tr], y[tr], X[te], y[te],
                                    run_seed(seed, fold))
            train.append(a)
            test.append(b)
        train, test = np.array(train), np.array(test)
        d_test = Paired.of(ours["test"], test, p.folds)
        d_train = Paired.of(ours["train"], train, p.folds)
        epochs = getattr(p, MLP_CONFIGS[name][1])
        rows.append([name, epochs, pct(ours["train"].mean()), pct(train.mean()),
                     pp(d_train), pct(ours["test"].mean()), pct(test.mean()), pp(d_test)])
        verdicts.append(f"{name}: ours - torch test accuracy {pp(d_test)} points: "
                        + ("within noise" if not d_test.counts else
                           f"NOT within noise (ours {'better' if d_test.mean > 0 else 'worse'})"))
    print_table(
        f"Part 3  ours against PyTorch {torch.__version__} (float64, same initial weights, "
        f"Adam lr 1e-3, batch {p.batch}), {p.folds}-fold x {p.seeds} seeds",
        ["configuration", "epochs", "ours train", "torch train", "ours - torch (pp)",
         "ours test", "torch test", "ours - torch (pp)"], rows,
        notes=[("torch: nn.Linear (weights copied from our initial ones) + "
               "nn.BatchNorm1d(eps 1e-5, momentum 0.1) before the activation + nn.Dropout after it, "
               "CrossEntropyLoss, Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8), batches from "
               "torch.randperm each epoch; no penalty in either. BatchNorm1d keeps the "
               "unbiased running variance, ours the biased one (n/(n-1) = 1.016 at batch "
               "64). The wide network without dropout is not repeated in torch (its fits "
               "cost most of the run)")],
        text_columns=1, wrap=100)
    for v in verdicts:
        print(f"verdict: {v}")


# ------------------------------------------------------------------------- parts 4-5
def our_perceptron_has(parameter):
    return parameter in PerceptronClassifier().get_params()


def linear_runs(ctx, X, y, estimators):
    """Per estimator: test accuracy and fraction of exact zero weights over the runs.

    ``estimators`` maps a name to ``random_state -> estimator``; inputs are
    standardised on each training fold.
    """
    out = {name: {"test": [], "zeros": [], "zeros_first": []} for name in estimators}
    for seed, fold, train, test in ctx.protocol.splits(X, y):
        scaler = StandardScaler().fit(X[train])
        Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
        for name, make in estimators.items():
            model = make(run_seed(seed, fold)).fit(Xtr, y[train])
            out[name]["test"].append(model.score(Xte, y[test]))
            if hasattr(model, "coefs_"):
                weights = np.concatenate([W.ravel() for W in model.coefs_])
                out[name]["zeros_first"].append(float(np.mean(model.coefs_[0] == 0)))
            else:
                weights = np.ravel(model.coef_)
            out[name]["zeros"].append(float(np.mean(weights == 0)))
    return {name: {k: np.array(v) for k, v in r.items()} for name, r in out.items()}


L1_ALPHAS = (1e-4, 1e-3)
MLP_L1_ALPHA = 0.1


def part_l1(ctx):
    p = ctx.protocol
    X, y = make_classification(n_samples=2000, n_features=100, n_informative=5,
                               n_redundant=0, n_repeated=0, flip_y=0.01, random_state=0)
    linear = dict(max_iter=p.linear_epochs, tol=None, shuffle=True)
    has_penalty = our_perceptron_has("penalty")
    estimators = {}
    for alpha in L1_ALPHAS:
        if has_penalty:
            estimators[f"ours Perceptron l1 alpha={alpha:g}"] = (
                lambda rs, a=alpha: PerceptronClassifier(penalty="l1", alpha=a, eta0=1.0,
                                                         random_state=rs, **linear))
        estimators[f"sklearn Perceptron l1 alpha={alpha:g}"] = (
            lambda rs, a=alpha: Perceptron(penalty="l1", alpha=a, eta0=1.0,
                                           random_state=rs, **linear))
        estimators[f"sklearn SGD hinge l1 alpha={alpha:g}"] = (
            lambda rs, a=alpha: SGDClassifier(loss="hinge", penalty="l1", alpha=a,
                                              random_state=rs, **linear))
    estimators["sklearn Perceptron penalty=None"] = (
        lambda rs: Perceptron(penalty=None, eta0=1.0, random_state=rs, **linear))
    mlp = dict(hidden_layer_sizes=(64,), activation="relu", **ADAM, alpha=MLP_L1_ALPHA,
               max_iter=p.mlp_l1_epochs, tol=0.0, n_iter_no_change=p.mlp_l1_epochs + 1)
    for penalty in ("l1", "l2"):
        estimators[f"ours MLP (64,) {penalty} alpha={MLP_L1_ALPHA:g}"] = (
            lambda rs, pen=penalty: MLPClassifier(penalty=pen, random_state=rs, **mlp))
    runs = linear_runs(ctx, X, y, estimators)
    rows = []
    for name, r in runs.items():
        first = pct(r["zeros_first"].mean()) if r["zeros_first"].size else ""
        rows.append([name, pct(r["test"].mean()), pct(r["zeros"].mean()), first])
    print_table(
        f"Part 4  L1: make_classification 2000 x 100 (5 informative), binary, "
        f"{p.linear_epochs} epochs (tol=None), {p.folds}-fold x {p.seeds} seeds",
        ["estimator", "test acc", "zero weights", "zeros in layer 1"], rows,
        notes=[("zero weights: fraction of coefficients exactly 0 (all layers' weights for "
               "the MLPs; biases excluded); eta0=1 for both perceptrons, SGD hinge with "
               f"its default 'optimal' learning rate; MLP: adam lr 1e-3, "
               f"{p.mlp_l1_epochs} epochs, default batch")], text_columns=1)
    if not has_penalty:
        print("skipped: this version has no PerceptronClassifier(penalty=...); the "
              "scikit-learn lines above are the reference for a later run")
    for alpha in L1_ALPHAS:
        sk = runs[f"sklearn Perceptron l1 alpha={alpha:g}"]
        if has_penalty:
            ours = runs[f"ours Perceptron l1 alpha={alpha:g}"]
            d_acc = Paired.of(ours["test"], sk["test"], p.folds)
            d_zero = Paired.of(ours["zeros"], sk["zeros"], p.folds)
            print(f"verdict (alpha={alpha:g}): ours has {pct(ours['zeros'].mean())} zero "
                  f"weights against scikit-learn's {pct(sk['zeros'].mean())} (difference "
                  f"{pp(d_zero)} points, {d_zero.sign_text('more', 'fewer')}); test "
                  f"accuracy ours - sklearn {pp(d_acc)} points "
                  f"({d_acc.sign_text('better', 'worse')}).")
    l1 = runs[f"ours MLP (64,) l1 alpha={MLP_L1_ALPHA:g}"]
    l2 = runs[f"ours MLP (64,) l2 alpha={MLP_L1_ALPHA:g}"]
    d = Paired.of(l1["test"], l2["test"], p.folds)
    print(f"verdict (MLP): penalty='l1' zeroes {pct(l1['zeros_first'].mean())} of the first "
          f"layer's weights against {pct(l2['zeros_first'].mean())} with 'l2'; test "
          f"accuracy l1 - l2 {pp(d)} points ({d.sign_text('better', 'worse')}).")


def part_average(ctx):
    p = ctx.protocol
    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10,
                               n_redundant=5, flip_y=0.1, random_state=0)
    linear = dict(max_iter=p.linear_epochs, tol=None, shuffle=True)
    has_average = our_perceptron_has("average")
    estimators = {}
    if has_average:
        estimators["ours average=True"] = lambda rs: PerceptronClassifier(
            average=True, eta0=1.0, random_state=rs, **linear)
        estimators["ours average=False"] = lambda rs: PerceptronClassifier(
            average=False, eta0=1.0, random_state=rs, **linear)
    estimators["sklearn SGD perceptron average=True"] = lambda rs: SGDClassifier(
        loss="perceptron", learning_rate="constant", eta0=1.0, penalty=None, average=True,
        random_state=rs, **linear)
    estimators["sklearn Perceptron"] = lambda rs: Perceptron(eta0=1.0, random_state=rs,
                                                             **linear)
    runs = linear_runs(ctx, X, y, estimators)
    reference = {"ours average=True": "ours average=False",
                 "sklearn SGD perceptron average=True": "sklearn Perceptron"}
    rows = []
    for name, r in runs.items():
        ref = reference.get(name)
        diff = pp(Paired.of(r["test"], runs[ref]["test"], p.folds)) if ref else ""
        rows.append([name, pct(r["test"].mean()), pct(r["test"].std(ddof=1)), diff])
    print_table(
        f"Part 5  averaging: make_classification 5000 x 20, flip_y=0.1, binary, "
        f"{p.linear_epochs} epochs (tol=None), eta0=1, {p.folds}-fold x {p.seeds} seeds",
        ["estimator", "test acc", "std over runs", "averaged - plain (pp)"], rows,
        text_columns=1)
    if not has_average:
        print("skipped: this version has no PerceptronClassifier(average=...); the "
              "scikit-learn lines above are the reference for a later run")
    sk = Paired.of(runs["sklearn SGD perceptron average=True"]["test"],
                   runs["sklearn Perceptron"]["test"], p.folds)
    print(f"verdict (scikit-learn): averaging changes test accuracy by {pp(sk)} points "
          f"({sk.sign_text('better', 'worse')}).")
    if has_average:
        ours = Paired.of(runs["ours average=True"]["test"], runs["ours average=False"]["test"],
                         p.folds)
        vs = Paired.of(runs["ours average=True"]["test"],
                       runs["sklearn SGD perceptron average=True"]["test"], p.folds)
        print(f"verdict (ours): averaging changes test accuracy by {pp(ours)} points "
              f"({ours.sign_text('better', 'worse')}); ours averaged - scikit-learn's "
              f"averaged SGD {pp(vs)} points ({vs.sign_text('better', 'worse')}).")


# ------------------------------------------------------------------------- main
def describe_machine(ctx, threads):
    blas = [m for m in threadpool_info() if m["user_api"] == "blas"]
    blas_text = ", ".join(f"{m['internal_api']} {m.get('version')} "
                          f"({m['num_threads']} threads)" for m in blas) or "none found"
    torch_text = ctx.torch.__version__ if ctx.torch is not None else "not used"
    print("Machine and libraries")
    print("=====================")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores")
    print(versions_text(torch_text))
    print(f"BLAS: {blas_text}; threads per library: {threads}"
          + (f" (torch: {ctx.torch.get_num_threads()})" if ctx.torch is not None else ""))
    p = ctx.protocol
    print(f"protocol: stratified {p.folds}-fold CV x {p.seeds} seeds = "
          f"{p.folds * p.seeds} paired runs; differences '± SE (NB NB-SE)': "
          f"SE = std/sqrt(runs), optimistic since the folds overlap; NB = Nadeau-Bengio "
          f"corrected SE, std * sqrt(1/runs + 1/(folds-1)); verdicts count a difference "
          f"beyond 2 NB SE")
    print(f"PerceptronClassifier has penalty: {our_perceptron_has('penalty')}, "
          f"average: {our_perceptron_has('average')}")
    print(f"load average before the run: {load_text()}")


PARTS = {1: part_dropout, 2: part_batch_norm, 3: part_torch, 4: part_l1, 5: part_average}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The measured benefit of each regulariser.")
    parser.add_argument("--parts", default=",".join(map(str, PARTS)),
                        help="comma-separated part numbers (default: all, 1-5)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 3 folds, 1 seed, a few epochs")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (default 1)")
    parser.add_argument("--no-torch", action="store_true", help="skip part 3")
    args = parser.parse_args(argv)
    try:
        args.parts = sorted({int(w) for w in args.parts.split(",") if w.strip()})
    except ValueError:
        parser.error("--parts takes numbers separated by commas, e.g. 1,3")
    if set(args.parts) - set(PARTS):
        parser.error(f"unknown parts {sorted(set(args.parts) - set(PARTS))}; choose 1-5")
    return args


def load_torch(threads):
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        import torch
    except (ImportError, OSError):  # an installed but broken torch counts as absent
        return None
    torch.set_num_threads(threads)
    return torch


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(limits=args.threads)
    torch = None if args.no_torch or 3 not in args.parts else load_torch(args.threads)
    ctx = Context(QUICK if args.quick else FULL, torch)
    describe_machine(ctx, args.threads)
    started = time.perf_counter()
    for number in args.parts:
        part_started = time.perf_counter()
        PARTS[number](ctx)
        print(f"(part {number}: {time.perf_counter() - part_started:.0f} s)")
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s; "
          f"load average after the run: {load_text()}")


if __name__ == "__main__":
    main()
