"""Where the time of one W1 fit goes: matrix products, the optimizer, the batch, ...

Wraps the engine's functions with timers (a little overhead per call), fits workload
1's network (20000 x 784, (256, 128), 3 epochs, batch 200, float64) once and prints each
part's seconds and share of the fit. The parts overlap: ``forward`` and ``backward``
include their matrix products (``matmul``). Run from the repository root::

    python benchmarks/epoch_profile.py
"""

import collections
import functools
import time
import warnings

from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier
from skperceptron._engine import activations, layers, losses, network, optimizers
from skperceptron._training import stochastic

TIMES = collections.Counter()


def timed(function, label):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - start

    return wrapper


def main():
    warnings.simplefilter("ignore")
    X, y = make_classification(n_samples=20000, n_features=784, n_informative=20,
                               n_classes=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    kwargs = dict(hidden_layer_sizes=(256, 128), batch_size=200, max_iter=3,
                  n_iter_no_change=4, tol=0.0, random_state=0)
    MLPClassifier(**kwargs).fit(X[:2000], y[:2000])  # warm up: kernels, threads
    stochastic.loss_and_gradients = timed(stochastic.loss_and_gradients,
                                          "loss_and_gradients (all)")
    for name in ("forward", "backward", "output_gradient"):
        setattr(network, name, timed(getattr(network, name), name))
    layers.matmul = timed(layers.matmul, "matmul")
    optimizers.Adam.step = timed(optimizers.Adam.step, "Adam step")
    stochastic.TrainingData.take = timed(stochastic.TrainingData.take, "gather the batch")
    losses.Loss.value = timed(losses.Loss.value, "loss value")
    for activation in activations.ACTIVATIONS.values():
        for method in ("value_", "backward_"):
            setattr(activation, method, timed(getattr(activation, method),
                                              f"{activation.name}.{method}"))
    start = time.perf_counter()
    MLPClassifier(**kwargs).fit(X, y)
    total = time.perf_counter() - start
    print(f"fit: {total:.3f} s")
    for label, seconds in TIMES.most_common():
        print(f"  {label:28s} {seconds:7.3f} s  {seconds / total:4.0%}")


if __name__ == "__main__":
    main()
