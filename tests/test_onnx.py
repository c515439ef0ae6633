"""Every estimator converted to ONNX computes in onnxruntime what it computes itself.

Each configuration is fitted briefly, converted by ``skl2onnx.to_onnx`` alone and as the
last step of ``Pipeline(StandardScaler(), estimator)``, and run in onnxruntime on the
training rows. Labels must be identical wherever the decision is not a tie: rows whose
deciding margin (|p - 0.5|, |z|, or the gap between the two largest outputs) is below
1e-6 may go either way in another summation order. Probabilities, scores and
regression values must agree to 1e-5 relative in float and 1e-10 in double, and
values near zero to a few units of rounding at the scale of their column (see
``assert_values_match``).
"""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, PerceptronRegressor

ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
onnx = pytest.importorskip("onnx")
import skperceptron.onnx  # noqa: E402  (registers the converters)
from skperceptron._engine.activations import ACTIVATIONS  # noqa: E402

RTOL = {np.float32: 1e-5, np.float64: 1e-10}
TIE = 1e-6


def _data(dtype, n=80, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, n_features) * [1.0, 2.0, 0.5, 3.0, 1.0] + [0.0, 1.0, -2.0, 0.5, 3.0]
    return X.astype(dtype), rng


def _targets(kind, X, rng):
    """Targets of each kind, from a noisy function of X."""
    s = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.randn(X.shape[0])
    if kind == "binary":
        return (s > np.median(s)).astype(int)
    if kind == "multiclass":
        return np.array(["low", "mid", "high"])[np.digitize(s, np.quantile(s, [1 / 3, 2 / 3]))]
    if kind == "multilabel":
        return np.column_stack([s > 0, X[:, 2] > -2, X[:, 3] * s > 0]).astype(int)
    if kind == "regression":
        return s
    return np.column_stack([s, np.sin(X[:, 3]) + 0.5 * X[:, 4]])  # two outputs


MLP = dict(hidden_layer_sizes=(6, 5), max_iter=40, random_state=0)
SGD = dict(solver="sgd", learning_rate_init=0.05)
CONFIGURATIONS = {
    "mlp-binary-logistic-tanh": (MLPClassifier(activation=("logistic", "tanh"), **MLP),
                                 "binary"),
    "mlp-multiclass-relu-leaky": (MLPClassifier(activation=("relu", "leaky_relu"), **MLP),
                                  "multiclass"),
    "mlp-multilabel-elu-softplus": (MLPClassifier(activation=("elu", "softplus"), **MLP),
                                    "multilabel"),
    "mlp-binary-hinge-identity": (MLPClassifier(loss="hinge", activation="identity", **MLP),
                                  "binary"),
    "mlp-multiclass-hinge": (MLPClassifier(loss="hinge", activation="tanh", **MLP),
                             "multiclass"),
    "mlp-multiclass-batchnorm-dropout": (
        MLPClassifier(activation=("relu", "tanh"), batch_norm=True, dropout=0.2, **MLP),
        "multiclass"),
    "perceptron-binary-step": (PerceptronClassifier(max_iter=5, random_state=0), "binary"),
    "perceptron-multiclass-hinge": (
        PerceptronClassifier(loss="hinge", max_iter=5, random_state=0), "multiclass"),
    "perceptron-multilabel-step": (PerceptronClassifier(max_iter=5, random_state=0),
                                   "multilabel"),
    "perceptron-binary-logistic-averaged": (
        PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.05, average=True,
                             max_iter=5, random_state=0), "binary"),
    "perceptron-multiclass-softmax": (
        PerceptronClassifier(activation="logistic", loss="log_loss", eta0=0.05, max_iter=5,
                             random_state=0), "multiclass"),
    "mlp-regression-tanh-relu": (MLPRegressor(activation=("tanh", "relu"), **MLP),
                                 "regression"),
    "mlp-multioutput-elu-softplus": (MLPRegressor(activation=("elu", "softplus"), **MLP),
                                     "multioutput"),
    "mlp-multioutput-batchnorm-dropout": (
        MLPRegressor(activation="leaky_relu", batch_norm=True, dropout=(0.1, 0.3), **MLP),
        "multioutput"),
    "mlp-poisson-exp": (MLPRegressor(loss="poisson", activation="logistic", **MLP),
                        "poisson"),
    "mlp-binary-lbfgs-softplus-relu": (
        MLPClassifier(activation=("softplus", "relu"), solver="lbfgs", **MLP), "binary"),
    "mlp-multilabel-dropout-elu": (
        MLPClassifier(activation="elu", dropout=0.3, **SGD, **MLP), "multilabel"),
    "mlp-regression-lbfgs-batchnorm": (
        MLPRegressor(activation="softplus", batch_norm=True, solver="lbfgs", **MLP),
        "regression"),
    "perceptron-multiclass-averaged-l1": (
        PerceptronClassifier(average=True, penalty="l1", alpha=0.001, max_iter=5,
                             random_state=0), "multiclass"),
    "perceptron-regression": (PerceptronRegressor(eta0=0.001, max_iter=5, random_state=0),
                              "regression"),
    "perceptron-multioutput-huber": (
        PerceptronRegressor(loss="huber", eta0=0.001, max_iter=5, random_state=0),
        "multioutput"),
}


def halve_every_ten_epochs(epoch):
    return 0.5 ** (epoch // 10)


# The training controls change how the weights are found, not what the network
# computes with them: a model trained with each exports as any other.
CONFIGURATIONS.update({
    "mlp-binary-adamw": (MLPClassifier(solver="adamw", weight_decay=0.1, **MLP), "binary"),
    "mlp-multiclass-rmsprop": (MLPClassifier(solver="rmsprop", rho=0.9, **MLP),
                               "multiclass"),
    "mlp-regression-cosine-warmup": (
        MLPRegressor(learning_rate="cosine", warmup_epochs=5, **MLP), "regression"),
    "mlp-multioutput-sgd-step": (
        MLPRegressor(learning_rate="step", decay_epochs=10, decay_rate=0.5, **SGD, **MLP),
        "multioutput"),
    "mlp-multilabel-callable-schedule": (
        MLPClassifier(learning_rate=halve_every_ten_epochs, **MLP), "multilabel"),
    "mlp-multiclass-clip-norm": (MLPClassifier(clip_grad_norm=0.1, **MLP), "multiclass"),
    "mlp-regression-clip-value": (MLPRegressor(clip_grad_value=0.01, **SGD, **MLP),
                                  "regression"),
    "mlp-binary-frozen-first-batchnorm": (
        MLPClassifier(frozen_layers=[0], batch_norm=True, **MLP), "binary"),
    "mlp-multioutput-frozen-last": (MLPRegressor(frozen_layers=[-1], **MLP),
                                    "multioutput"),
})


def _fit(estimator, kind, dtype, pipeline):
    X, rng = _data(dtype)
    y = _targets("regression" if kind == "poisson" else kind, X, rng)
    if kind == "poisson":
        y = np.exp(0.3 * y)
    model = make_pipeline(StandardScaler(), estimator) if pipeline else estimator
    return _fit_quietly(model, X, y), X


def _fit_quietly(model, X, y):
    """Fits of a few epochs: not converged, and saying so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _run(model, X, options=None):
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    session = ort.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _our_outputs(model, X):
    """The network's output on X (probabilities or raw scores), as the ONNX graph's
    second output lays it out: two columns for one unit, (1 - p, p) or (-z, z)."""
    estimator = model[-1] if hasattr(model, "steps") else model
    Xt = model[:-1].transform(X) if hasattr(model, "steps") else X
    P = estimator._output(Xt)
    if estimator.n_outputs_ == 1 and estimator._target_type != "multilabel-indicator":
        other = -P if estimator._loss.on_scores else 1 - P
        return np.hstack([other, P]), estimator
    return P, estimator


def _margin(P, estimator):
    """How far each decision is from a tie (per row, or per label for multilabel)."""
    threshold = 0.0 if estimator._loss.on_scores else 0.5
    if estimator._target_type == "multilabel-indicator":
        return np.abs(P - threshold)
    top = np.sort(P, axis=1)
    return top[:, -1] - top[:, -2]


def assert_values_match(ours, theirs, dtype):
    """|theirs - ours| <= rtol |ours| + 8 eps scale, elementwise.

    The absolute term is a few units of rounding at the scale of the values compared
    (the largest |value| of the column). A value near zero is a sum of terms, or a
    difference such as 1 - p, far larger than itself; summed in another order, it
    differs by the rounding of those terms, which no bound relative to its own small
    size can hold (a score of 0.014 among scores up to 1.1 differed by 1.3e-5 of
    itself in float: 1.4 eps x scale; the largest seen here is 2.3 eps x scale).
    """
    assert theirs.dtype == dtype
    scale = np.max(np.abs(ours), axis=0)
    eps = np.finfo(dtype).eps
    np.testing.assert_array_less(np.abs(theirs - ours),
                                 RTOL[dtype] * np.abs(ours) + 8 * eps * scale
                                 + np.finfo(dtype).tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "pipeline"])
@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_onnxruntime_computes_what_predict_computes(name, pipeline, dtype):
    estimator, kind = CONFIGURATIONS[name]
    model, X = _fit(estimator.__class__(**estimator.get_params()), kind, dtype, pipeline)
    is_classifier = kind in ("binary", "multiclass", "multilabel")
    outputs = _run(model, X, {"zipmap": False} if is_classifier else None)
    if not is_classifier:
        (values,) = outputs
        assert_values_match(model.predict(X).reshape(values.shape), values, dtype)
        return
    labels, values = outputs
    ours, estimator = _our_outputs(model, X)
    assert_values_match(ours, values, dtype)
    predicted = model.predict(X)
    decided = _margin(ours, estimator) > TIE
    assert decided.mean() > 0.9  # the comparison below covers most rows
    assert labels.shape == predicted.shape
    np.testing.assert_array_equal(labels[decided], predicted[decided])


CONTROLLED = {
    "mlp-binary-adamw": lambda e: e.solver == "adamw",
    "mlp-multiclass-rmsprop": lambda e: e.solver == "rmsprop",
    "mlp-regression-cosine-warmup": lambda e: e.learning_rates_[0] < e.learning_rates_[5]
    > e.learning_rates_[-1],
    "mlp-multioutput-sgd-step": lambda e: e.learning_rates_[-1] < e.learning_rates_[0],
    "mlp-multilabel-callable-schedule": lambda e: e.learning_rates_[-1]
    < e.learning_rates_[0],
    "mlp-multiclass-clip-norm": lambda e: e.clipped_steps_.sum() > 0,
    "mlp-regression-clip-value": lambda e: e.clipped_steps_.sum() > 0,
    "mlp-binary-frozen-first-batchnorm": lambda e: e.frozen_layers == [0],
    "mlp-multioutput-frozen-last": lambda e: e.frozen_layers == [-1],
}


@pytest.mark.parametrize("name", sorted(CONTROLLED))
def test_the_control_acted_on_the_fit_that_exports(name):
    # So that the exports above compare models the controls trained: a schedule that
    # moved the rate, clipping that clipped, frozen layers at their starting weights.
    estimator, kind = CONFIGURATIONS[name]
    model, X = _fit(clone(estimator), kind, np.float64, pipeline=False)
    assert CONTROLLED[name](model)
    if model.frozen_layers:
        start = clone(estimator).set_params(max_iter=1, learning_rate=lambda epoch: 0.0)
        start, _ = _fit(start, kind, np.float64, pipeline=False)
        layer = model.frozen_layers[0]
        np.testing.assert_array_equal(model.coefs_[layer], start.coefs_[layer])
        np.testing.assert_array_equal(model.intercepts_[layer], start.intercepts_[layer])


ON_SCORES = sorted(name for name, (estimator, kind) in CONFIGURATIONS.items()
                   if kind in ("binary", "multiclass", "multilabel")
                   and estimator.get_params().get("loss") in ("perceptron", "hinge"))


@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "pipeline"])
@pytest.mark.parametrize("name", ON_SCORES)
def test_decision_function_is_the_score_output(name, pipeline):
    """A classifier without probabilities (perceptron, hinge) outputs its scores:
    decision_function's, (-z, z) for two classes, one column per class or label
    otherwise."""
    estimator, kind = CONFIGURATIONS[name]
    model, X = _fit(estimator.__class__(**estimator.get_params()), kind, np.float64,
                    pipeline)
    _, values = _run(model, X, {"zipmap": False})
    scores = model.decision_function(X)
    if scores.ndim == 1:
        assert_values_match(-scores[:, None], values[:, :1], np.float64)
        scores, values = scores[:, None], values[:, 1:]
    assert scores.shape == values.shape
    assert_values_match(scores, values, np.float64)


class _Recorder:
    """Stands in for skl2onnx's scope and container: records the nodes and constants
    that the converters' graph helper adds."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def get_unique_variable_name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    get_unique_operator_name = get_unique_variable_name

    def add_initializer(self, name, proto, shape, content):
        self.initializers.append(onnx.helper.make_tensor(name, proto, shape, content))

    def add_node(self, op_type, inputs, output, name=None, **attrs):
        self.nodes.append(onnx.helper.make_node(op_type, inputs, [output], name=name,
                                                **attrs))


def _activation_session(name, dtype):
    """An onnxruntime session of the ONNX form of one activation, Z -> A."""
    recorder = _Recorder()
    g = skperceptron.onnx._Graph(recorder, recorder, dtype)
    g.op("Identity", skperceptron.onnx.ACTIVATIONS[name](g, "Z"), out="A")
    proto = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        recorder.nodes, name, [onnx.helper.make_tensor_value_info("Z", proto, [None, None])],
        [onnx.helper.make_tensor_value_info("A", proto, [None, None])],
        recorder.initializers)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_each_activation_is_ours_to_a_few_units_of_the_last_place(name, dtype):
    """Elementwise, over large, small and tiny net inputs of both signs (softmax: by
    rows of three), relative to each value. The bound, 8 units of the last place, leaves
    room for onnxruntime's tanh and exp (up to 3 units in double) and the two or three
    roundings of a composed form (3.5 units at most for elu, measured). onnxruntime's own
    Sigmoid would fail it where its outputs are small (its error reaches the value
    itself at z = -40 in double)."""
    z = np.concatenate([np.linspace(-60, 60, 601), [-1e4, -700, -1e-3, -1e-9, -1e-30, 0,
                                                   1e-30, 1e-9, 1e-3, 700, 1e4]])
    Z = z.astype(dtype).reshape(-1, 3 if name == "softmax" else 1)
    ours = ACTIVATIONS[name].value(Z)
    with np.errstate(over="ignore"):
        theirs = _activation_session(name, dtype).run(None, {"Z": Z})[0]
    assert theirs.dtype == dtype
    ulp = np.finfo(dtype).eps
    np.testing.assert_array_less(np.abs(theirs - ours),
                                 8 * ulp * np.abs(ours) + np.finfo(dtype).tiny)


def test_zipmap_gives_one_dictionary_of_class_probabilities_per_row():
    X, rng = _data(np.float32)
    y = _targets("multiclass", X, rng)
    clf = _fit_quietly(MLPClassifier(**MLP), X, y)
    _, dictionaries = _run(clf, X)  # zipmap is skl2onnx's default
    proba = clf.predict_proba(X)
    assert [sorted(d) for d in dictionaries] == [sorted(clf.classes_)] * len(X)
    for column, label in enumerate(clf.classes_):
        values = np.array([d[label] for d in dictionaries], dtype=np.float32)
        assert_values_match(proba[:, [column]], values[:, None], np.float32)


def test_nocl_labels_are_class_indices():
    X, rng = _data(np.float32)
    y = _targets("multiclass", X, rng)
    clf = _fit_quietly(MLPClassifier(**MLP), X, y)
    labels, _ = _run(clf, X, {"zipmap": False, "nocl": True})
    assert labels.dtype == np.int64
    proba = clf.predict_proba(X)
    decided = _margin(proba, clf) > TIE
    np.testing.assert_array_equal(clf.classes_[labels[decided]], clf.predict(X)[decided])


def test_zipmap_refuses_double_input_and_says_what_to_pass():
    X, rng = _data(np.float64)
    clf = _fit_quietly(PerceptronClassifier(max_iter=5, random_state=0), X,
                       _targets("binary", X, rng))
    with pytest.raises(ValueError, match=r"ZipMap takes float.*'zipmap': False"):
        skl2onnx.to_onnx(clf, X[:1])


def test_a_single_class_model_cannot_be_converted():
    X, _ = _data(np.float32)
    clf = _fit_quietly(MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0),
                       X, np.zeros(len(X), dtype=int))
    with pytest.raises(NotImplementedError, match="fitted on a single class"):
        skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})


def test_integral_float_labels_become_int64():
    X, rng = _data(np.float32)
    y = _targets("binary", X, rng).astype(float)
    clf = _fit_quietly(PerceptronClassifier(max_iter=5, random_state=0), X, y)
    labels, _ = _run(clf, X, {"zipmap": False})
    assert labels.dtype == np.int64
    decided = np.abs(clf.decision_function(X)) > TIE
    np.testing.assert_array_equal(labels[decided], clf.predict(X)[decided])


def test_an_unfitted_estimator_is_refused():
    X, _ = _data(np.float32)
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(MLPRegressor(), X[:1])


def test_importing_skperceptron_does_not_import_skl2onnx():
    code = ("import sys, skperceptron; "
            "print(sorted(m for m in ('skl2onnx', 'onnx', 'onnxruntime') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_a_model_loaded_from_a_pickle_converts_as_the_fitted_one():
    X, rng = _data(np.float64)
    y = _targets("multioutput", X, rng)
    reg = _fit_quietly(MLPRegressor(activation="elu", batch_norm=True, **MLP), X, y)
    loaded = pickle.loads(pickle.dumps(reg))
    (values,) = _run(loaded, X)
    assert_values_match(reg.predict(X), values, np.float64)
