"""The single-layer online rules: the compiled loop against its plain-numpy reference.

``online_epoch`` computes each unit's net input with its own fixed-order dot product and
applies each rule written out per unit; ``reference_epoch`` runs the same epoch through
the network's forward pass and the loss objects of ``_losses``. Both make the same
updates in the same order; they differ only in how each dot product is summed (float64
partial sums against BLAS in the weights' dtype), so they agree to rounding.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skperceptron import PerceptronClassifier, PerceptronRegressor, _epochs, _online
from skperceptron._activations import get_activation
from skperceptron._losses import get_loss
from skperceptron._network import Network, Parameters, forward

# rule -> (loss, output activation, targets): classification rules take {0, 1} columns.
CASES = {
    "perceptron": ("perceptron", "identity", "labels"),
    "hinge": ("hinge", "identity", "labels"),
    "squared_error": ("squared_error", "identity", "values"),
    "huber": ("huber", "identity", "values"),
    "absolute_error": ("absolute_error", "identity", "values"),
    "logistic": ("binary_log_loss", "logistic", "labels"),
    "softmax": ("log_loss", "softmax", "one_hot"),
}


def _problem(case, dtype, n=50, d=6, k=3, seed=0):
    loss_name, output, targets = CASES[case]
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if targets == "labels":
        Y = (rng.rand(n, k) > 0.5).astype(dtype)
    elif targets == "one_hot":
        Y = np.eye(k, dtype=dtype)[rng.randint(0, k, n)]
    else:
        Y = (X[:, :k] * 2 + rng.normal(scale=0.5, size=(n, k))).astype(dtype)
    loss = get_loss("huber", delta=0.5) if loss_name == "huber" else get_loss(loss_name)
    network = Network((d, k), (), get_activation(output))
    params = Parameters.from_layers([rng.normal(scale=0.3, size=(d, k))],
                                    [rng.normal(scale=0.1, size=k)], dtype)
    sw = rng.uniform(0.5, 1.5, n).astype(dtype)
    return network, loss, params, X, Y, sw / sw.mean()


@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_loop_matches_the_plain_numpy_reference(case, dtype, alpha):
    network, loss, params, X, Y, sw = _problem(case, dtype)
    rule = _online.online_rule(loss, network.output_activation)
    assert rule is not None
    order = np.random.RandomState(1).permutation(X.shape[0])
    reference = params.copy()
    eta = 0.05
    typ = np.dtype(dtype).type
    losses = []
    for _ in range(3):
        W_t = np.ascontiguousarray(params.coefs[0].T)
        value, _ = _online.online_epoch(
            W_t, params.intercepts[0], X, Y, sw, order, typ(eta), typ(alpha), rule, True,
            float(getattr(loss, "delta", 1.0)), float(np.finfo(dtype).eps))
        params.coefs[0][...] = W_t.T
        expected = _online.reference_epoch(network, loss, reference, X, Y, sw, order, eta,
                                           alpha)
        losses.append((value, expected))
    # float64: the sums differ in order only, ~1e-16 per operation over 150 updates;
    # float32: each unit's net input is float64 in the loop and float32 in the reference.
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert_allclose(params.flat, reference.flat, rtol=rtol, atol=rtol)
    assert_allclose([a for a, _ in losses], [b for _, b in losses], rtol=rtol)


def test_online_net_inputs_agree_with_the_forward_pass():
    # The loop computes z = x . w + b with its own dot product; the forward pass asks
    # BLAS. The decision and the updates rest on the same numbers, to rounding.
    network, _, params, X, _, _ = _problem("squared_error", np.float64)
    Z = forward(network, params, X, apply_output=False)[-1]
    W_t = np.ascontiguousarray(params.coefs[0].T)
    own = np.array([[_online.fixed_order_dot(x, w) + b for w, b in
                     zip(W_t, params.intercepts[0])] for x in X])
    assert_allclose(own, Z, rtol=1e-13, atol=1e-15)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronRegressor(loss="huber", huber_delta=0.3, max_iter=5, tol=None,
                            random_state=0),
        PerceptronRegressor(loss="absolute_error", alpha=0.001, max_iter=5, tol=None,
                            random_state=0),
        PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.1, max_iter=5,
                             tol=None, random_state=0),
    ],
    ids=repr,
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_new_online_rules_match_the_generic_mini_batch_path(estimator, n_classes,
                                                            monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    if isinstance(estimator, PerceptronClassifier):
        y = rng.randint(0, n_classes, 80)
    else:
        y = X @ rng.normal(size=(5, n_classes - 1)) + 0.1 * rng.normal(size=(80, 1))
        y = y.ravel() if n_classes == 2 else y
    sw = rng.uniform(0.5, 2.0, 80)
    fast = estimator.fit(X, y, sample_weight=sw)
    monkeypatch.setattr(_epochs.OnlineEpochs, "applies", staticmethod(lambda *a: False))
    slow = type(estimator)(**estimator.get_params()).fit(X, y, sample_weight=sw)
    # As in test_kernels: the same updates, each dot product summed in another order.
    assert_allclose(fast.coef_, slow.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-9, atol=1e-12)
    assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-9)
