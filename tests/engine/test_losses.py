"""Losses: values against closed forms, gradients against finite differences, canonical
links, the mistake-driven criteria and behaviour at probabilities 0 and 1."""

import warnings

import numpy as np
import pytest

from skperceptron._engine.activations import get_activation
from skperceptron._engine.losses import LOSSES, get_loss

N, K = 9, 3  # samples, outputs


def _one_hot(labels, k=K):
    return np.eye(k)[labels]


def _problem(name, seed=0):
    """(loss, Y, P) with P away from every kink of the loss (by at least 0.1)."""
    rng = np.random.RandomState(seed)
    sign = rng.choice([-1.0, 1.0], size=(N, K))
    if name == "squared_error":
        Y = rng.normal(size=(N, K))
        return get_loss(name), Y, Y + rng.normal(size=(N, K))
    if name == "absolute_error":
        Y = rng.normal(size=(N, K))
        return get_loss(name), Y, Y + sign * rng.uniform(0.1, 2, size=(N, K))
    if name == "huber":
        # Residuals on both sides of delta = 0.7, none within 0.1 of it (nor of 0).
        Y = rng.normal(size=(N, K))
        near, far = rng.uniform(0.1, 0.6, (N, K)), rng.uniform(0.8, 3, (N, K))
        R = np.where(rng.rand(N, K) < 0.5, near, far)
        return get_loss(name, delta=0.7), Y, Y + sign * R
    if name == "poisson":
        Y = rng.poisson(2.0, size=(N, K)).astype(float)  # counts, zeros included
        return get_loss(name), Y, rng.uniform(0.2, 4, size=(N, K))
    if name == "binary_log_loss":
        Y = rng.randint(0, 2, size=(N, K)).astype(float)
        return get_loss(name), Y, rng.uniform(0.05, 0.95, size=(N, K))
    if name == "log_loss":
        Y = _one_hot(rng.randint(0, K, size=N))
        return get_loss(name), Y, rng.uniform(0.05, 0.95, size=(N, K))
    if name == "perceptron":
        Y = rng.randint(0, 2, size=(N, K)).astype(float)
        return get_loss(name), Y, sign * rng.uniform(0.1, 3, size=(N, K))
    if name == "hinge":
        Y = rng.randint(0, 2, size=(N, K)).astype(float)
        S = 2 * Y - 1
        # Margins s z on both sides of 1 (and of 0), at least 0.1 away from 1.
        inside, outside = rng.uniform(-2, 0.9, (N, K)), rng.uniform(1.1, 3, (N, K))
        margin = np.where(rng.rand(N, K) < 0.5, inside, outside)
        return get_loss(name), Y, margin * S
    raise AssertionError(name)


def _sample_weight(seed=1):
    w = np.random.RandomState(seed).uniform(0.2, 3, size=N)
    w[2] = 0.0
    return w


def _reference_pointwise(name, Y, P, delta=0.7):
    """Per-sample losses written from their textbook definitions, one sample at a time."""
    out = np.empty(Y.shape[0])
    for i, (y, p) in enumerate(zip(Y, P)):
        if name == "squared_error":
            out[i] = sum(0.5 * (pj - yj) ** 2 for yj, pj in zip(y, p))
        elif name == "absolute_error":
            out[i] = sum(abs(pj - yj) for yj, pj in zip(y, p))
        elif name == "huber":
            out[i] = sum(
                0.5 * r**2 if r <= delta else delta * r - delta**2 / 2
                for r in (abs(pj - yj) for yj, pj in zip(y, p))
            )
        elif name == "poisson":
            out[i] = sum(
                (yj * np.log(yj / pj) if yj > 0 else 0.0) - yj + pj for yj, pj in zip(y, p)
            )
        elif name == "binary_log_loss":
            out[i] = -sum(np.log(pj) if yj == 1 else np.log(1 - pj) for yj, pj in zip(y, p))
        elif name == "log_loss":
            out[i] = -np.log(p[np.argmax(y)])
        elif name == "perceptron":
            out[i] = sum(max(0.0, -(2 * yj - 1) * zj) for yj, zj in zip(y, p))
        elif name == "hinge":
            out[i] = sum(max(0.0, 1 - (2 * yj - 1) * zj) for yj, zj in zip(y, p))
    return out


def _numeric_gradient(loss, Y, P, sample_weight, h=1e-6):
    G = np.empty_like(P)
    for idx in np.ndindex(P.shape):
        up, down = P.copy(), P.copy()
        up[idx] += h
        down[idx] -= h
        G[idx] = (loss.value(Y, up, sample_weight) - loss.value(Y, down, sample_weight)) / (2 * h)
    return G


# --------------------------------------------------------------------- values
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_is_weighted_sum_of_textbook_losses_over_n(name, weighted):
    loss, Y, P = _problem(name)
    w = _sample_weight() if weighted else np.ones(N)
    expected = np.sum(w * _reference_pointwise(name, Y, P)) / N
    value = loss.value(Y, P, _sample_weight() if weighted else None)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12)


def test_value_divides_by_n_samples_not_by_total_weight():
    loss = get_loss("squared_error")
    Y, P = np.zeros((4, 1)), np.array([[1.0], [2.0], [0.0], [0.0]])
    # l = [0.5, 2, 0, 0]; weights sum to 7, but the mean is over the 4 samples.
    assert loss.value(Y, P, np.array([2.0, 3.0, 1.0, 1.0])) == pytest.approx((1 + 6) / 4)


# --------------------------------------------------------------------- gradients
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_finite_differences(name, weighted):
    # Every P is at least 0.1 from a kink, far beyond the step h = 1e-6. Truncation
    # error h^2 |l'''| / 6 stays below 1e-8 (the worst is the log-loss, |l'''| <= 2 / 0.05^3)
    # and rounding eps |J| / h below 1e-9.
    loss, Y, P = _problem(name)
    sw = _sample_weight() if weighted else None
    numeric = _numeric_gradient(loss, Y, P, sw)
    np.testing.assert_allclose(loss.gradient(Y, P, sw), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_sample_weight_scales_each_row_of_the_gradient(name):
    loss, Y, P = _problem(name)
    w = _sample_weight()
    np.testing.assert_allclose(
        loss.gradient(Y, P, w), loss.gradient(Y, P) * w[:, None], rtol=1e-12, atol=1e-300
    )
    np.testing.assert_allclose(loss.gradient(Y, P, np.ones(N)), loss.gradient(Y, P), rtol=1e-14)
    assert not loss.gradient(Y, P, w)[2].any()  # zero weight, zero gradient


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_preserves_dtype(name, dtype):
    loss, Y, P = _problem(name)
    G = loss.gradient(Y.astype(dtype), P.astype(dtype), _sample_weight().astype(dtype))
    assert G.dtype == dtype


# --------------------------------------------------------------------- canonical links
CANONICAL = [
    ("squared_error", "identity"),
    ("binary_log_loss", "logistic"),
    ("log_loss", "softmax"),
    ("poisson", "exp"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, link", CANONICAL)
def test_link_gradient_equals_chain_rule_through_output_activation(name, link, weighted):
    loss, Y, _ = _problem(name, seed=3)
    assert loss.link == link
    act = get_activation(link)
    Z = np.random.RandomState(4).uniform(-2.5, 2.5, size=Y.shape)
    P = act.value(Z)  # probabilities above 1e-3 and below 1 - 1e-3: no clipping
    sw = _sample_weight() if weighted else None
    expected = act.backward(loss.gradient(Y, P, sw), P)
    np.testing.assert_allclose(loss.link_gradient(Y, P, sw), expected, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", ["absolute_error", "huber", "perceptron", "hinge"])
def test_losses_without_canonical_link_refuse_link_gradient(name):
    loss, Y, P = _problem(name)
    assert loss.link is None
    with pytest.raises(TypeError, match="no canonical link"):
        loss.link_gradient(Y, P)


# --------------------------------------------------------------------- mistake-driven criteria
def test_perceptron_gradient_is_nonzero_exactly_on_mistakes():
    Y = np.array([[1.0], [1.0], [1.0], [0.0], [0.0], [0.0]])
    Z = np.array([[2.0], [0.0], [-0.5], [-3.0], [0.0], [0.2]])
    loss = get_loss("perceptron")
    S = 2 * Y - 1
    G = loss.gradient(Y, Z)
    mistakes = S * Z <= 0  # a score on the boundary counts as a mistake for either class
    np.testing.assert_array_equal(G != 0, mistakes)
    np.testing.assert_allclose(G[mistakes], -S[mistakes] / len(Y))
    # Boundary samples cost nothing but still move the weights.
    assert loss.value(Y[[1, 4]], Z[[1, 4]]) == 0


def test_hinge_gradient_is_nonzero_exactly_inside_the_margin():
    Y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    Z = np.array([[1.0, -1.0], [0.999, -3.0], [0.0, 0.5], [-2.0, 1.5]])
    loss = get_loss("hinge")
    S = 2 * Y - 1
    G = loss.gradient(Y, Z)
    inside = S * Z < 1  # a margin of exactly 1 is satisfied
    np.testing.assert_array_equal(G != 0, inside)
    np.testing.assert_allclose(G[inside], -S[inside] / len(Y))


# --------------------------------------------------------------------- stability
@pytest.fixture
def strict_floats():
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_log_loss_is_finite_at_probabilities_zero_and_one(dtype, strict_floats):
    loss = get_loss("binary_log_loss")
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=dtype)
    wrong = (1 - Y).astype(dtype)  # certain and wrong: the clipping at eps bounds the loss
    right = Y.copy()
    worst = -np.log(np.finfo(dtype).eps)
    for P in (wrong, right):
        assert np.isfinite(loss.value(Y, P))
        assert np.all(np.isfinite(loss.gradient(Y, P)))
    assert loss.value(Y, wrong) == pytest.approx(2 * worst, rel=1e-3)  # 2 outputs per sample
    assert loss.value(Y, right) < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_log_loss_is_finite_at_probabilities_zero_and_one(dtype, strict_floats):
    loss = get_loss("log_loss")
    Y = np.eye(3, dtype=dtype)
    wrong = np.roll(Y, 1, axis=1)
    worst = -np.log(np.finfo(dtype).eps)
    assert loss.value(Y, wrong) == pytest.approx(worst, rel=1e-3)
    assert loss.value(Y, Y) < 1e-5
    assert np.all(np.isfinite(loss.gradient(Y, wrong)))
    assert np.all(np.isfinite(loss.gradient(Y, Y)))


def test_poisson_is_finite_at_zero_prediction(strict_floats):
    loss = get_loss("poisson")
    Y = np.array([[0.0], [1.0], [3.0]])
    P = np.zeros((3, 1))
    assert np.isfinite(loss.value(Y, P))
    # y = p = 0 is a perfect prediction (p is floored at the tiniest normal number).
    assert loss.value(np.zeros((2, 1)), np.zeros((2, 1))) == pytest.approx(0, abs=1e-300)


# --------------------------------------------------------------------- lookup
def test_get_loss_builds_huber_with_its_delta():
    assert get_loss("huber", delta=2.5).delta == 2.5
    assert get_loss("huber").delta == 1.0


def test_get_loss_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"Unknown loss 'cross_entropy'.*'log_loss'"):
        get_loss("cross_entropy")


def test_loss_flags():
    assert get_loss("perceptron").on_scores and get_loss("hinge").on_scores
    assert get_loss("log_loss").gives_probabilities
    assert get_loss("binary_log_loss").gives_probabilities
    assert not get_loss("hinge").gives_probabilities
    assert not get_loss("squared_error").on_scores
