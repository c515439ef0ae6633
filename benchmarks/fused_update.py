"""Does updating each layer right after its backward step pay? W1 and W2, both ways.

The mini-batch loop computes every layer's gradient, then makes one Adam pass over the
whole flat parameter vector. The alternative tried here updates each dense layer's
weights and biases right after its backward step, while its gradient is still in
cache; the gradient for the layer below is computed from the old weights first, so
the fitted weights are bit-identical (checked). This script patches that alternative
into the package's backward pass, fits workload 1's network (batch 200, 20000 rows)
and workload 2's (batch 32, 5000 rows) both ways in turn, and prints the medians and
the paired ratios (the whole-vector pass's time over the fused one's: above 1, fusing
pays). Run from the repository root::

    python benchmarks/fused_update.py [--repeats 16]
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench import classification_data  # noqa: E402  (beside this script)

from skperceptron import MLPClassifier  # noqa: E402
from skperceptron._engine import network, optimizers  # noqa: E402
from skperceptron._engine.layers import Dense  # noqa: E402
from skperceptron._training import stochastic  # noqa: E402

FUSED = {"on": False, "optimizer": None, "l2": 0.0}
_backward, _step, _init = network.backward, optimizers.Adam.step, stochastic.MiniBatchEpochs.__init__


def _layer_slices(params):
    """Each weight layer's (weights, biases) as slices of the flat vector."""
    w_ends = np.cumsum([0] + [W.size for W in params.coefs])
    b_ends = w_ends[-1] + np.cumsum([0] + [b.size for b in params.intercepts])
    return [((w_ends[i], w_ends[i + 1]), (b_ends[i], b_ends[i + 1]))
            for i in range(len(params.coefs))]


def fused_backward(net, params, outputs, dZ, grads, workspace=None, mode=None):
    """``network.backward`` with each dense layer's Adam step right after its own."""
    if not FUSED["on"]:
        return _backward(net, params, outputs, dZ, grads, workspace, mode)
    adam, typ = FUSED["optimizer"], params.dtype.type
    adam.n_steps += 1
    k = adam.n_steps
    adam.learning_rate = adam.learning_rate_init * np.sqrt(1 - adam.beta_2**k) / (
        1 - adam.beta_1**k)
    hyper = (typ(adam.learning_rate), typ(adam.beta_1), typ(1 - adam.beta_1),
             typ(adam.beta_2), typ(1 - adam.beta_2), typ(adam.epsilon))
    l2 = typ(FUSED["l2"] / dZ.shape[0])  # the batch's own size: the last may be short
    slices = _layer_slices(params)
    buffers = None if workspace is None else workspace.gradients
    gradient = dZ
    for k in range(len(net.layers) - 2, -1, -1):
        inputs, output = net.slots[k]
        layer = net.layers[k]
        gradient = layer.backward(params, outputs[inputs], outputs[output], gradient, grads,
                                  network._rows(buffers, k, dZ.shape[0]), mode)
        if isinstance(layer, Dense):
            for (a, b), penalised in zip(slices[layer.index], (True, False)):
                optimizers.adam_step(params.flat[a:b], grads.flat[a:b], adam.m[a:b],
                                     adam.v[a:b], *hyper, l2 if penalised else typ(0),
                                     b - a if penalised else 0)
    return grads


def fused_step(self, theta, grad, l2=0.0, n_penalised=0, l1=0.0):
    """Adam's whole-vector step, skipped when the backward pass already made it."""
    if not FUSED["on"]:
        return _step(self, theta, grad, l2, n_penalised, l1)
    return None


def recording_init(self, plan, params, optimizer, data, batch_size, noise=None,
                   buffers=None):
    _init(self, plan, params, optimizer, data, batch_size, noise, buffers)
    FUSED["optimizer"], FUSED["l2"] = optimizer, plan.penalty.l2


def compare(dtype, n_samples, batch, repeats):
    X, y = classification_data(20_000, dtype)
    X, y = X[:n_samples], y[:n_samples]
    times, weights = {True: [], False: []}, {}
    for r in range(repeats + 1):
        for fused in ((True, False) if r % 2 else (False, True)):
            FUSED["on"] = fused
            clf = MLPClassifier(hidden_layer_sizes=(256, 128), batch_size=batch, max_iter=3,
                                n_iter_no_change=4, tol=0.0, alpha=1e-4, random_state=0)
            start = time.perf_counter()
            clf.fit(X, y)
            if r:  # the first round warms up
                times[fused].append(time.perf_counter() - start)
            weights[fused] = np.concatenate([W.ravel() for W in clf.coefs_])
    FUSED["on"] = False
    paired = sorted(whole / fused for whole, fused in zip(times[False], times[True]))
    print(f"{dtype:8s} batch {batch:3d}: whole-vector pass {statistics.median(times[False]):.3f} s, "
          f"fused {statistics.median(times[True]):.3f} s, paired ratio median "
          f"{statistics.median(paired):.3f} (min {paired[0]:.2f}, max {paired[-1]:.2f}); "
          f"same weights: {np.array_equal(weights[True], weights[False])}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=16)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    network.backward = fused_backward
    optimizers.Adam.step = fused_step
    stochastic.MiniBatchEpochs.__init__ = recording_init
    for dtype in ("float64", "float32"):
        compare(dtype, 20_000, 200, args.repeats)
        compare(dtype, 5000, 32, args.repeats)


if __name__ == "__main__":
    main()
