"""The training controls of the MLPs, through the estimators: the rate each epoch
trains with, optimizer state across partial_fit calls, gradient clipping, frozen
layers, and the refusals of bad settings (raised before training, the estimator left
as it was)."""

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, check_gradients
from skperceptron._engine.network import Parameters, loss_and_gradients
from skperceptron._engine.schedules import Schedule
from skperceptron._training.clipping import Clipping

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

STOCHASTIC = ["sgd", "adam", "adamw", "rmsprop"]
SOLVERS = [*STOCHASTIC, "lbfgs"]
#: Every epoch runs: no plateau criterion fires within max_iter.
ALL_EPOCHS = dict(tol=0.0, n_iter_no_change=10_000)


def _classification(n=90, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return X.astype(dtype), y


def _regression(n=80):
    X, y = make_regression(n_samples=n, n_features=5, noise=1.0, random_state=0)
    return X, y / y.std()


def _weights(estimator):
    arrays = [*estimator.coefs_, *estimator.intercepts_]
    for name in ("batch_norm_scales_", "batch_norm_shifts_"):
        arrays += list(getattr(estimator, name, []) or [])
    return [a.copy() for a in arrays]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------ the rate per epoch
SCHEDULES = {
    "step": (dict(learning_rate="step", decay_rate=0.5, decay_epochs=3),
             lambda d: 0.5 ** (d // 3)),
    "step-defaults": (dict(learning_rate="step"), lambda d: 0.1 ** (d // 10)),
    "exponential": (dict(learning_rate="exponential", decay_rate=0.8),
                    lambda d: 0.8**d),
    "exponential-default": (dict(learning_rate="exponential"), lambda d: 0.95**d),
    "cosine-T": (dict(learning_rate="cosine", decay_epochs=9),
                 lambda d: (1 + math.cos(math.pi * min(d, 9) / 9)) / 2),
    "callable": (dict(learning_rate=lambda e: 1 / (1 + e)), lambda d: 1 / (1 + d)),
}
MAX_ITER = 24


def _cosine_default(d, warmup):  # T = max_iter - warmup_epochs
    T = MAX_ITER - warmup
    return (1 + math.cos(math.pi * min(d, T) / T)) / 2


def _expected_rates(factor, lr0, warmup, n_epochs):
    rates = []
    for e in range(n_epochs):
        if e < warmup:
            rates.append(lr0 * factor(0) * (e + 1) / (warmup + 1))
        else:
            rates.append(lr0 * factor(e - warmup))
    return rates


@pytest.mark.parametrize("warmup", [0, 4])
@pytest.mark.parametrize("name", [*SCHEDULES, "cosine-default"])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_learning_rates_follow_the_formula_epoch_by_epoch(solver, name, warmup):
    if name == "cosine-default":
        kwargs, factor = dict(learning_rate="cosine"), lambda d: _cosine_default(d, warmup)
    else:
        kwargs, factor = SCHEDULES[name]
    X, y = _classification(60)
    lr0 = 0.003
    clf = MLPClassifier((5,), solver=solver, learning_rate_init=lr0, warmup_epochs=warmup,
                        max_iter=MAX_ITER, random_state=0, **ALL_EPOCHS, **kwargs).fit(X, y)
    assert clf.n_iter_ == MAX_ITER == len(clf.learning_rates_) == len(clf.loss_curve_)
    # The schedule's own arithmetic may order the products differently: a few ulps.
    np.testing.assert_allclose(clf.learning_rates_,
                               _expected_rates(factor, lr0, warmup, MAX_ITER),
                               rtol=1e-14, atol=1e-20)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sklearns_schedules_record_sklearns_rates(solver):
    X, y = _classification(60)
    lr0, n = 0.01, 60
    for schedule in ("constant", "invscaling", "adaptive"):
        clf = MLPClassifier((5,), solver=solver, learning_rate=schedule,
                            learning_rate_init=lr0, max_iter=6, random_state=0,
                            **ALL_EPOCHS).fit(X, y)
        expected = [lr0] * 6
        if schedule == "invscaling" and solver == "sgd":
            # lr0 / (t + 1) ** 0.5, t the samples seen at the end of the last epoch.
            expected = [lr0] + [lr0 / (e * n + 1) ** 0.5 for e in range(1, 6)]
        np.testing.assert_allclose(clf.learning_rates_, expected, rtol=1e-15)


def test_warm_up_also_scales_sklearns_constant_rate():
    X, y = _classification(60)
    clf = MLPClassifier((5,), solver="sgd", learning_rate_init=0.01, warmup_epochs=3,
                        max_iter=5, random_state=0, **ALL_EPOCHS).fit(X, y)
    np.testing.assert_allclose(clf.learning_rates_, [0.0025, 0.005, 0.0075, 0.01, 0.01],
                               rtol=1e-15)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_continues_the_schedule_one_epoch_per_call(solver):
    X, y = _classification(60)
    clf = MLPClassifier((5,), solver=solver, learning_rate="step", decay_rate=0.5,
                        decay_epochs=2, warmup_epochs=2, learning_rate_init=0.01,
                        max_iter=50, random_state=0)
    for _ in range(9):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    schedule = Schedule("step", 0.01, 0.5, 2, warmup=2)
    assert clf.learning_rates_ == pytest.approx([schedule.rate(e, 0.01) for e in range(9)],
                                                rel=1e-15)


def test_a_new_fit_restarts_the_schedule_and_a_warm_start_keeps_the_record():
    X, y = _classification(60)
    clf = MLPClassifier((5,), solver="adam", learning_rate="exponential", decay_rate=0.5,
                        max_iter=4, random_state=0, **ALL_EPOCHS).fit(X, y)
    first = list(clf.learning_rates_)
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.learning_rates_ == first + first  # each fit's optimizer starts anew
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.learning_rates_ == first


def test_lbfgs_records_nan_rates():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)
    reg.fit(X, y)
    assert len(reg.learning_rates_) == len(reg.loss_curve_)
    assert np.isnan(reg.learning_rates_).all()


# ---------------------------------------------------- the state across partial_fit calls
@pytest.mark.parametrize("solver, extra", [
    ("adam", {}), ("adamw", dict(weight_decay=0.05)), ("rmsprop", dict(rho=0.9)),
    ("sgd", dict(momentum=0.9, learning_rate="cosine", warmup_epochs=1)),
    ("adamw", dict(learning_rate="step", decay_epochs=1, decay_rate=0.5, alpha=0.01)),
])
def test_two_partial_fits_equal_a_fit_of_two_epochs(solver, extra):
    # In order (shuffle=False), one epoch per call: two calls take the same steps as a
    # fit of two epochs only if the moments (and the schedule's clock) carry over. A
    # fresh optimizer for the second call gives other weights.
    X, y = _regression()
    kwargs = dict(hidden_layer_sizes=(6,), solver=solver, batch_size=20, shuffle=False,
                  learning_rate_init=0.01, random_state=0, **extra)
    fitted = MLPRegressor(max_iter=2, **ALL_EPOCHS, **kwargs).fit(X, y)
    stepped = MLPRegressor(max_iter=2, **kwargs)
    stepped.partial_fit(X, y)
    fresh = MLPRegressor(max_iter=2, **kwargs).partial_fit(X, y)
    stepped.partial_fit(X, y)
    _assert_same(_weights(stepped), _weights(fitted))
    assert stepped.learning_rates_ == fitted.learning_rates_
    del fresh._optimizer  # as if the state were lost between the calls
    fresh.partial_fit(X, y)
    assert not np.array_equal(fresh.coefs_[0], fitted.coefs_[0])


# ------------------------------------------------------------------ clipping
def test_clipping_by_norm_is_torchs_formula():
    rng = np.random.RandomState(0)
    for c in (0.1, 1.0, 10.0, 1e3):
        g = rng.normal(size=200) * 3
        norm = np.linalg.norm(g)
        out = g.copy()
        clipped = Clipping(norm=c).apply(out, norm)
        # torch.nn.utils.clip_grad_norm_: g * min(c / (norm + 1e-6), 1).
        factor = min(c / (norm + 1e-6), 1.0)
        np.testing.assert_array_equal(out, g * factor)
        assert clipped == (factor < 1)
    # At the bound the factor c / (c + 1e-6) is below 1: scaled, as torch scales it.
    g = np.array([3.0, 4.0])
    assert Clipping(norm=5.0).apply(g, 5.0)
    np.testing.assert_allclose(np.linalg.norm(g), 5.0 * 5.0 / (5.0 + 1e-6), rtol=1e-15)


def test_clipping_by_value_clamps_then_the_norm_bounds_the_clamped_gradient():
    g = np.array([-3.0, 0.5, 2.0, -0.1])
    out = g.copy()
    assert Clipping(value=1.0).apply(out, np.linalg.norm(g))
    np.testing.assert_array_equal(out, [-1.0, 0.5, 1.0, -0.1])
    out = g.copy()
    assert not Clipping(value=3.0).apply(out, np.linalg.norm(g))
    np.testing.assert_array_equal(out, g)
    both = g.copy()
    assert Clipping(norm=1.0, value=1.0).apply(both, np.linalg.norm(g))
    clamped = np.array([-1.0, 0.5, 1.0, -0.1])
    np.testing.assert_allclose(both, clamped / (np.linalg.norm(clamped) + 1e-6), rtol=1e-15)
    g32 = g.astype(np.float32)
    Clipping(norm=1.0, value=1.0).apply(g32, float(np.linalg.norm(g32)))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, both, rtol=1e-6)


def _one_sgd_step(**clip):
    """An SGD step over the whole training set (one batch, no penalty) from the weights
    of a fitted model: (the gradient's recorded norm, the step taken)."""
    X, y = _classification(60)
    clf = MLPClassifier((5,), solver="sgd", momentum=0.0, batch_size=60, shuffle=False,
                        alpha=0.0, learning_rate_init=0.1, max_iter=3, random_state=0).fit(X, y)
    before = np.concatenate([a.ravel() for a in _weights(clf)])
    clf.set_params(warm_start=True, max_iter=1, **clip).fit(X, y)
    after = np.concatenate([a.ravel() for a in _weights(clf)])
    return clf.gradient_norm_curve_[-1], np.linalg.norm(after - before), clf


def test_the_recorded_norm_is_the_gradients_before_clipping():
    norm, step, plain = _one_sgd_step()
    assert plain.clipped_steps_.tolist() == [0, 0, 0, 0]
    # theta1 = theta0 - lr g: the step is lr ||g|| (to the rounding of a 50-entry sum).
    assert step == pytest.approx(0.1 * norm, rel=1e-12)
    c = norm / 10
    clipped_norm, clipped_step, clipped = _one_sgd_step(clip_grad_norm=c)
    assert clipped_norm == norm  # recorded before clipping: the same gradient
    assert clipped_step == pytest.approx(0.1 * norm * c / (norm + 1e-6), rel=1e-12)
    assert clipped.clipped_steps_[-1] == 1


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("clip", ["clip_grad_norm", "clip_grad_value"])
def test_clipped_steps_counts_every_step_under_a_tiny_bound_and_none_under_a_huge_one(
        solver, clip):
    X, y = _classification(90)
    kwargs = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=20, max_iter=4,
                  alpha=0.0, random_state=0, **ALL_EPOCHS)
    tiny = MLPClassifier(**kwargs, **{clip: 1e-9}).fit(X, y)
    huge = MLPClassifier(**kwargs, **{clip: 1e9}).fit(X, y)
    plain = MLPClassifier(**kwargs).fit(X, y)
    assert tiny.clipped_steps_.tolist() == [5] * 4  # ceil(90 / 20) steps per epoch
    assert huge.clipped_steps_.tolist() == [0] * 4
    assert tiny.clipped_steps_.dtype.kind == "i"
    # A bound that never binds changes nothing; the norms are recorded either way.
    _assert_same(_weights(huge), _weights(plain))
    np.testing.assert_array_equal(huge.gradient_norm_curve_, plain.gradient_norm_curve_)
    assert np.all(tiny.gradient_norm_curve_ > 0)
    # A gradient clipped to 1e-9 barely moves the weights (sgd: lr * 1e-9 a step, times
    # 1 / (1 - momentum) at most; no L2 term, which is not clipped).
    if solver == "sgd":
        start = MLPClassifier(**{**kwargs, "max_iter": 1}, learning_rate_init=1e-12)
        start.fit(X, y)
        for W, V in zip(tiny.coefs_, start.coefs_):
            np.testing.assert_allclose(W, V, atol=1e-7)


def test_clipping_records_a_norm_per_epoch_on_regressors_too():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="rmsprop", clip_grad_norm=0.01, max_iter=3,
                       random_state=0, **ALL_EPOCHS).fit(X, y)
    assert reg.gradient_norm_curve_.shape == reg.clipped_steps_.shape == (3,)
    assert reg.clipped_steps_.tolist() == [1] * 3  # 80 rows: one batch of 80 (auto: 200)


@pytest.mark.parametrize("fitted", [False, True])
def test_check_gradients_ignores_clipping(fitted):
    X, y = _classification(30)
    plain = MLPClassifier((5, 3), activation="tanh", alpha=0.1, max_iter=3, random_state=0)
    clipped = MLPClassifier((5, 3), activation="tanh", alpha=0.1, max_iter=3, random_state=0,
                            clip_grad_norm=1e-3, clip_grad_value=1e-4)
    if fitted:
        plain.fit(X, y)
        clipped.fit(X, y)  # other weights: check the clipped model's own weights
        plain.coefs_ = [W.copy() for W in clipped.coefs_]
        plain.intercepts_ = [b.copy() for b in clipped.intercepts_]
    error = check_gradients(clipped, X, y)
    assert error < 1e-8
    assert error == check_gradients(plain, X, y)


# ------------------------------------------------------------------ frozen layers
CASES = {
    "plain": {},
    "batch_norm": dict(batch_norm=True),
    "l2": dict(alpha=0.5),
    "l1": dict(penalty="l1", alpha=0.01),
    "adamw-decay": dict(weight_decay=0.3),
}


#: Each solver with each case it can train: L-BFGS has no L1 term, AdamW alone a decay.
FROZEN_CASES = [(solver, case) for solver in SOLVERS for case in sorted(CASES)
                if not (case == "adamw-decay" and solver != "adamw")
                and not (case == "l1" and solver == "lbfgs")]


@pytest.mark.parametrize("solver, case", FROZEN_CASES)
@pytest.mark.parametrize("frozen", [[0], [1], [0, 2], [-1]])
def test_frozen_layers_keep_their_values_bit_for_bit(solver, case, frozen):
    extra = CASES[case]
    X, y = _classification(90)
    kwargs = dict(hidden_layer_sizes=(6, 5), solver=solver, learning_rate_init=0.01,
                  batch_size=30, random_state=0, **ALL_EPOCHS, **extra)
    if solver == "lbfgs":
        kwargs.pop("learning_rate_init"), kwargs.pop("batch_size")
    start = MLPClassifier(max_iter=2, **kwargs).fit(X, y)  # the starting weights
    clf = MLPClassifier(max_iter=2, **kwargs).fit(X, y)
    clf.set_params(warm_start=True, max_iter=6, frozen_layers=frozen).fit(X, y)
    assert clf.n_iter_ == 6 or solver == "lbfgs"
    frozen_ids = {i % 3 for i in frozen}
    for i in range(3):
        for name in ("coefs_", "intercepts_"):
            before, after = getattr(start, name)[i], getattr(clf, name)[i]
            if i in frozen_ids:
                np.testing.assert_array_equal(after, before, err_msg=f"{name}[{i}]")
            elif name == "coefs_":
                assert not np.array_equal(after, before), f"{name}[{i}] did not train"
        if case == "batch_norm" and i < 2 and i in frozen_ids:
            np.testing.assert_array_equal(clf.batch_norm_scales_[i],
                                          start.batch_norm_scales_[i])
            np.testing.assert_array_equal(clf.batch_norm_shifts_[i],
                                          start.batch_norm_shifts_[i])
    if solver == "lbfgs":
        return
    # The optimizer's state of the frozen ranges: never written.
    mask = clf._net.frozen_mask()
    for state in ("m", "v", "velocity", "l1_total", "l1_applied"):
        array = getattr(clf._optimizer, state, None)
        if array is not None:
            assert not array[mask[: array.size]].any(), state


def test_frozen_layers_from_the_first_fit_start_where_initialisation_put_them():
    X, y = _classification(90)
    kwargs = dict(hidden_layer_sizes=(6,), solver="adam", max_iter=1, random_state=0)
    # learning_rate_init too small to move a weight: the starting weights themselves.
    start = MLPClassifier(learning_rate_init=1e-300, **kwargs).fit(X, y)
    clf = MLPClassifier(frozen_layers=[0], **{**kwargs, "max_iter": 8}, **ALL_EPOCHS)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], start.coefs_[0])
    np.testing.assert_array_equal(clf.intercepts_[0], start.intercepts_[0])
    assert not np.array_equal(clf.coefs_[1], start.coefs_[1])


def test_negative_indices_count_from_the_output_layer():
    X, y = _classification(90)
    kwargs = dict(hidden_layer_sizes=(6, 5), max_iter=5, random_state=0, **ALL_EPOCHS)
    negative = MLPClassifier(frozen_layers=[-1, -3], **kwargs).fit(X, y)
    positive = MLPClassifier(frozen_layers=[2, 0], **kwargs).fit(X, y)
    _assert_same(_weights(negative), _weights(positive))
    np.testing.assert_array_equal(negative.loss_curve_, positive.loss_curve_)


def _network_problem(batch_norm):
    X, y = _classification(40)
    clf = MLPClassifier((6, 5), batch_norm=batch_norm, max_iter=2, random_state=0).fit(X, y)
    net = clf._net
    params = Parameters.from_layers(
        clf.coefs_, clf.intercepts_, np.float64,
        (clf.batch_norm_scales_, clf.batch_norm_shifts_, clf.running_means_,
         clf.running_vars_) if batch_norm else None)
    Y = np.eye(3)[y]
    return net, clf._loss, params, X, Y


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("frozen", [{0}, {1}, {0, 1}, {2}, {0, 2}])
def test_the_shortened_backward_pass_gives_the_full_gradient_of_the_trained_layers(
        frozen, batch_norm):
    from skperceptron._engine.layers import TrainingPass

    net, loss, params, X, Y = _network_problem(batch_norm)
    mode = TrainingPass(None) if batch_norm else None
    _, full = loss_and_gradients(net, loss, params.copy(), X, Y, alpha=0.3,
                                 penalty_gradient=False, mode=mode)
    cut = replace(net, frozen=frozenset(frozen))
    _, part = loss_and_gradients(cut, loss, params.copy(), X, Y, alpha=0.3,
                                 penalty_gradient=False, mode=mode)
    mask = cut.frozen_mask()
    # The same operations on the layers that train: bit-identical; nothing elsewhere.
    np.testing.assert_array_equal(part.trainable[~mask], full.trainable[~mask])
    assert not part.trainable[mask].any()
    assert full.trainable[mask].any()


def test_fine_tuning_weights_assigned_from_another_model():
    X, y = _classification(90)
    donor = MLPClassifier((8,), max_iter=30, random_state=1, **ALL_EPOCHS).fit(X, y)
    clf = MLPClassifier((8,), max_iter=1, random_state=0).fit(X, y)
    clf.coefs_[0][...] = donor.coefs_[0]
    clf.intercepts_[0][...] = donor.intercepts_[0]
    clf.set_params(warm_start=True, frozen_layers=[0], max_iter=10).fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], donor.coefs_[0])
    np.testing.assert_array_equal(clf.intercepts_[0], donor.intercepts_[0])
    assert not np.array_equal(clf.coefs_[1], donor.coefs_[1])
    # partial_fit keeps the freeze too.
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], donor.coefs_[0])


def test_check_gradients_checks_every_layer_whatever_is_frozen():
    X, y = _classification(30)
    plain = MLPClassifier((5, 3), activation="tanh", alpha=0.1, random_state=0)
    frozen = MLPClassifier((5, 3), activation="tanh", alpha=0.1, random_state=0,
                           frozen_layers=[0])
    assert check_gradients(frozen, X, y) == check_gradients(plain, X, y)


# ------------------------------------------------------------------ bad settings
def _fitted():
    X, y = _classification(60)
    clf = MLPClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    return clf, X, y


def _refused(clf, X, y, match, **params):
    """Fit with ``params``: refused with an error matching ``match``, the estimator's
    fitted state as it was."""
    fitted = hasattr(clf, "coefs_")
    before = _weights(clf) if fitted else None
    state = {k: v for k, v in vars(clf).items() if k.endswith("_") and not k.startswith("_")}
    clf.set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    if fitted:
        _assert_same(_weights(clf), before)
        after = {k: v for k, v in vars(clf).items() if k.endswith("_")
                 and not k.startswith("_")}
        assert after.keys() == state.keys()
        assert clf.n_iter_ == state["n_iter_"] and clf.loss_curve_ == state["loss_curve_"]
    else:
        assert not hasattr(clf, "coefs_")


BAD = {
    "warm-up as long as the training": (dict(warmup_epochs=3, max_iter=3), "warmup_epochs"),
    "warm-up longer": (dict(warmup_epochs=10, max_iter=3), "warmup_epochs"),
    "clip_grad_norm 0": (dict(clip_grad_norm=0.0), "clip_grad_norm"),
    "clip_grad_norm < 0": (dict(clip_grad_norm=-1.0), "clip_grad_norm"),
    "clip_grad_value 0": (dict(clip_grad_value=0), "clip_grad_value"),
    "clip_grad_value < 0": (dict(clip_grad_value=-0.5), "clip_grad_value"),
    "decay_rate 0": (dict(learning_rate="step", decay_rate=0.0), "decay_rate"),
    "decay_rate > 1": (dict(learning_rate="exponential", decay_rate=1.5), "decay_rate"),
    "decay_rate < 0": (dict(learning_rate="exponential", decay_rate=-0.5), "decay_rate"),
    "decay_rate, cosine": (dict(learning_rate="cosine", decay_rate=0.5), "decay_rate"),
    "decay_rate, constant": (dict(decay_rate=0.5), "decay_rate"),
    "decay_rate, callable": (dict(learning_rate=lambda e: 1.0, decay_rate=0.5),
                             "decay_rate"),
    "decay_epochs, exponential": (dict(learning_rate="exponential", decay_epochs=3),
                                  "decay_epochs"),
    "decay_epochs, invscaling": (dict(solver="sgd", learning_rate="invscaling",
                                      decay_epochs=3), "decay_epochs"),
    "decay_epochs 0": (dict(learning_rate="step", decay_epochs=0), "decay_epochs"),
    "weight_decay, sgd": (dict(solver="sgd", weight_decay=0.01), "weight_decay"),
    "weight_decay, adam": (dict(solver="adam", weight_decay=0.01), "weight_decay"),
    "weight_decay, rmsprop": (dict(solver="rmsprop", weight_decay=0.01), "weight_decay"),
    "weight_decay, lbfgs": (dict(solver="lbfgs", weight_decay=0.01), "weight_decay"),
    "weight_decay < 0": (dict(solver="adamw", weight_decay=-0.1), "weight_decay"),
    "rho 1": (dict(solver="rmsprop", rho=1.0), "rho"),
    "frozen out of range": (dict(frozen_layers=[2]), "frozen_layers"),
    "frozen out of range, negative": (dict(frozen_layers=[-3]), "frozen_layers"),
    "frozen all": (dict(frozen_layers=[0, 1]), "frozen_layers"),
    "frozen all, negative": (dict(frozen_layers=[0, -1]), "frozen_layers"),
    "frozen float": (dict(frozen_layers=[0.0]), "frozen_layers"),
    "frozen bool": (dict(frozen_layers=[True]), "frozen_layers"),
    "frozen string": (dict(frozen_layers=["0"]), "frozen_layers"),
    "frozen 2-d": (dict(frozen_layers=[[0]]), "frozen_layers"),
    "schedule, lbfgs": (dict(solver="lbfgs", learning_rate="cosine"), "learning_rate"),
    "callable, lbfgs": (dict(solver="lbfgs", learning_rate=lambda e: 1.0), "learning_rate"),
    "warm-up, lbfgs": (dict(solver="lbfgs", warmup_epochs=1), "warmup_epochs"),
    "clip norm, lbfgs": (dict(solver="lbfgs", clip_grad_norm=1.0), "clip_grad_norm"),
    "clip value, lbfgs": (dict(solver="lbfgs", clip_grad_value=1.0), "clip_grad_value"),
}


@pytest.mark.parametrize("fitted", [True, False], ids=["fitted", "unfitted"])
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_settings_are_refused_before_training(name, fitted):
    params, match = BAD[name]
    clf, X, y = _fitted()
    if not fitted:
        clf = MLPClassifier((5,), max_iter=3, random_state=0)
    _refused(clf, X, y, match, **params)


def _raising(e):
    raise ZeroDivisionError("no rate here")


FACTORS = {
    "negative": (-0.5, "returned -0.5"),
    "nan": (float("nan"), "returned nan"),
    "inf": (float("inf"), "returned inf"),
    "string": ("0.5", "returned '0.5'"),
    "none": (None, "returned None"),
    "bool": (True, "returned True"),
    "raises": (_raising, "raised ZeroDivisionError"),
}


def _factor_failing_at(epoch, bad):
    def factor(e):
        if e < epoch:
            return 1.0
        return bad(e) if callable(bad) else bad
    return factor


@pytest.mark.parametrize("at", [0, 3])
@pytest.mark.parametrize("name", sorted(FACTORS))
def test_a_bad_callable_is_refused_at_its_epoch_and_leaves_the_estimator(name, at):
    bad, message = FACTORS[name]
    clf, X, y = _fitted()
    match = rf"(?s)(?=.*learning_rate, a callable)(?=.*{message})(?=.*epoch {at}\b)"
    _refused(clf, X, y, match, learning_rate=_factor_failing_at(at, bad), max_iter=6)
    # Unfitted: stays so, at the first epoch as mid-fit.
    _refused(MLPClassifier((5,), max_iter=6, random_state=0), X, y, match,
             learning_rate=_factor_failing_at(at, bad))


def test_a_bad_callable_in_partial_fit_leaves_the_model_of_the_last_call():
    X, y = _classification(60)
    clf = MLPClassifier((5,), learning_rate=_factor_failing_at(2, -1.0), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)
    before, rates = _weights(clf), list(clf.learning_rates_)
    m = clf._optimizer.m.copy()
    with pytest.raises(ValueError, match="at epoch 2 it returned -1.0"):
        clf.partial_fit(X, y)
    _assert_same(_weights(clf), before)
    assert clf.learning_rates_ == rates and clf._optimizer.epoch == 2
    np.testing.assert_array_equal(clf._optimizer.m, m)


def test_errors_name_the_parameter_and_what_to_do():
    X, y = _classification(60)
    with pytest.raises(ValueError, match="solver='adamw'"):
        MLPClassifier(solver="adam", weight_decay=0.1).fit(X, y)
    with pytest.raises(ValueError, match="max_iter=5"):
        MLPClassifier(warmup_epochs=5, max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match=r"layer\(s\) \[3\].*indices 0 to 1"):
        MLPClassifier((4,), frozen_layers=[3]).fit(X, y)
    with pytest.raises(ValueError, match="Leave at least one out"):
        MLPClassifier((4,), frozen_layers=[0, 1]).fit(X, y)
    with pytest.raises(ValueError, match="cannot be used with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", learning_rate="step").fit(X, y)


def test_adamw_weight_decay_defaults_to_0_01_and_rho_is_used():
    X, y = _classification(60)
    clf = MLPClassifier((5,), solver="adamw", max_iter=2, random_state=0).fit(X, y)
    assert clf._optimizer.weight_decay == 0.01
    a = MLPClassifier((5,), solver="rmsprop", rho=0.5, max_iter=2, random_state=0).fit(X, y)
    b = MLPClassifier((5,), solver="rmsprop", rho=0.99, max_iter=2, random_state=0).fit(X, y)
    assert a._optimizer.rho == 0.5
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rho with another solver: ignored, as beta_1 is
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((5,), solver="adam", rho=0.5, max_iter=2, random_state=0,
                      **ALL_EPOCHS).fit(X, y)
