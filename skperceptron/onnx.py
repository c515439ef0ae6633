"""Export to ONNX: converters of the four estimators for skl2onnx.

Importing this module registers a converter for each estimator with skl2onnx (a shape
calculator and a converter, by ``skl2onnx.update_registered_converter``, the way
skl2onnx documents for estimators it does not know), so that ``skl2onnx.to_onnx``
converts them alone or inside a pipeline of scikit-learn's transformers. It needs the
``[onnx]`` extra (skl2onnx and onnxruntime); ``import skperceptron`` never imports it::

    import skperceptron.onnx  # registers the converters
    from skl2onnx import to_onnx
    model = to_onnx(clf, X[:1])

``register_converters`` says what the graphs compute and output.
"""

import numpy as np
import scipy.sparse as sp
from onnx import TensorProto
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_numbers
from skl2onnx.common.utils_classifier import get_label_classes
from sklearn.utils.validation import check_is_fitted

from ._engine.layers import Activate, BatchNorm, Dense, Dropout
from ._fitted import fitted_layers
from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import PerceptronClassifier, PerceptronRegressor

__all__ = ["register_converters"]

_PROTO = {np.dtype(np.float64): TensorProto.DOUBLE, np.dtype(np.float32): TensorProto.FLOAT,
          np.dtype(np.int64): TensorProto.INT64}


class _Graph:
    """Adds nodes and constants to skl2onnx's container, computing in ``dtype``."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, np.dtype(dtype)

    def const(self, value, dtype=None):
        """A constant (an initializer) of the compute dtype, or of ``dtype``."""
        value = np.asarray(value, dtype=dtype or self.dtype)
        name = self.scope.get_unique_variable_name("const")
        if value.dtype.kind in "USO":
            proto, content = TensorProto.STRING, [str(v).encode() for v in value.ravel()]
        else:
            proto, content = _PROTO[value.dtype], value.ravel().tolist()
        self.container.add_initializer(name, proto, list(value.shape), content)
        return name

    def op(self, op_type, *inputs, out=None, **attrs):
        """One node; returns the name of its output (``out``, or a new one)."""
        out = out or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, list(inputs), out,
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out


# ------------------------------------------------------------------ activations
def _identity(g, Z):
    return Z


def _step(g, Z):
    return g.op("Cast", g.op("Greater", Z, g.const(0)), to=_PROTO[g.dtype])


def _logistic(g, Z):
    """1 / (1 + e) for z >= 0 and e / (1 + e) below, with e = exp(-|z|) <= 1: no
    overflow, and small outputs keep their relative precision, as scipy's ``expit``.
    (onnxruntime's Sigmoid computes 1 - 1 / (1 + e) for z < 0: its relative error
    reaches 1 at z = -40 in double.)"""
    e = g.op("Exp", g.op("Neg", g.op("Abs", Z)))
    one_plus = g.op("Add", e, g.const(1))
    return g.op("Where", g.op("Less", Z, g.const(0)), g.op("Div", e, one_plus),
                g.op("Div", g.const(1), one_plus))


def _tanh(g, Z):
    return g.op("Tanh", Z)


def _relu(g, Z):
    return g.op("Relu", Z)


def _leaky_relu(g, Z):
    """max(z, slope z) as ``_engine.activations.LeakyReLU`` computes it. (LeakyRelu's slope is
    a float attribute: 0.01 rounded to float, off by 2e-8 relative in double.)"""
    return g.op("Max", Z, g.op("Mul", Z, g.const(0.01)))


def _expm1(g, M):
    """exp(m) - 1 = tanh(m / 2) (exp(m) + 1), accurate to a few units of the last
    place where exp(m) - 1 would lose the digits of a small m (ONNX has no expm1)."""
    half = g.op("Tanh", g.op("Mul", M, g.const(0.5)))
    return g.op("Mul", half, g.op("Add", g.op("Exp", M), g.const(1)))


def _elu(g, Z):
    """z above 0, expm1(z) elsewhere. (onnxruntime has no double Elu.)"""
    negative = _expm1(g, g.op("Min", Z, g.const(0)))
    return g.op("Where", g.op("Greater", Z, g.const(0)), Z, negative)


def _log1p(g, U):
    """log(1 + u) for u >= 0 to a few units of the last place: log(w) u / (w - 1) with
    w = 1 + u rounded, u itself where w rounds to 1 (Goldberg, 1991)."""
    w = g.op("Add", U, g.const(1))
    ratio = g.op("Div", g.op("Mul", g.op("Log", w), U), g.op("Sub", w, g.const(1)))
    return g.op("Where", g.op("Equal", w, g.const(1)), U, ratio)


def _softplus(g, Z):
    """max(z, 0) + log1p(exp(-|z|)): ``numpy.logaddexp(0, z)``. (onnxruntime has no
    double Softplus.)"""
    tail = _log1p(g, g.op("Exp", g.op("Neg", g.op("Abs", Z))))
    return g.op("Add", g.op("Relu", Z), tail)


def _exp(g, Z):
    """exp(min(z, log(largest value) - 1)), clipped as ``_engine.activations.Exp``."""
    upper = np.log(np.finfo(g.dtype).max) - 1
    return g.op("Exp", g.op("Min", Z, g.const(upper)))


def _softmax(g, Z):
    return g.op("Softmax", Z, axis=1)


#: The ONNX form of each activation of ``_engine.activations.ACTIVATIONS``, by name.
ACTIVATIONS = {
    "identity": _identity, "step": _step, "logistic": _logistic, "tanh": _tanh,
    "relu": _relu, "leaky_relu": _leaky_relu, "elu": _elu, "softplus": _softplus,
    "exp": _exp, "softmax": _softmax,
}


# ------------------------------------------------------------------ the network
def _fitted_network(estimator):
    """The fitted network and weights of ``estimator``, with a clear error otherwise."""
    check_is_fitted(estimator)
    network = getattr(estimator, "_net", None)
    if network is None:
        raise ValueError(
            f"This {type(estimator).__name__} has weights but no fitted network: fit "
            "it (or partial_fit it) before converting it to ONNX."
        )
    for layer in network.layers:
        if not isinstance(layer, (Dense, BatchNorm, Activate, Dropout)):
            raise NotImplementedError(
                f"skperceptron.onnx has no conversion for the layer {layer!r}."
            )
        if isinstance(layer, Activate) and layer.activation.name not in ACTIVATIONS:
            raise NotImplementedError(
                "skperceptron.onnx has no conversion for the activation "
                f"{layer.activation.name!r}."
            )
    weights = fitted_layers(estimator)
    # coef_ made sparse by sparsify(): the graph holds dense initializers.
    coefs = [W.toarray() if sp.issparse(W) else W for W in weights.coefs]
    return network, weights._replace(coefs=coefs)


def _batch_norm(g, layer, weights, Z):
    """(z - running mean) phi / sqrt(running var + eps) + psi (scale phi and shift psi,
    as the maths page names them), as ``BatchNorm`` predicts, with its factor computed
    by numpy in the same way."""
    i, dtype = layer.index, g.dtype
    factor = (weights.norm_scales[i].astype(dtype)
              / np.sqrt(weights.running_vars[i].astype(dtype) + dtype.type(layer.epsilon)))
    Z = g.op("Sub", Z, g.const(weights.running_means[i]))
    return g.op("Add", g.op("Mul", Z, g.const(factor)), g.const(weights.norm_shifts[i]))


def _forward(g, estimator, X):
    """The network's output for the input X: what ``predict_output`` computes."""
    network, weights = _fitted_network(estimator)
    A = X
    for layer in network.layers:
        if isinstance(layer, Dense):
            Z = g.op("MatMul", A, g.const(weights.coefs[layer.index]))
            A = g.op("Add", Z, g.const(weights.intercepts[layer.index]))
        elif isinstance(layer, BatchNorm):
            A = _batch_norm(g, layer, weights, A)
        elif isinstance(layer, Activate):
            A = ACTIVATIONS[layer.activation.name](g, A)
        # Dropout passes its input unchanged when predicting.
    return A


def _compute_dtype(variable):
    """Double for a double input, float otherwise."""
    return np.float64 if isinstance(variable.type, DoubleTensorType) else np.float32


def _tensor_type(dtype):
    return DoubleTensorType if np.dtype(dtype) == np.float64 else FloatTensorType


def _graph_and_input(scope, operator, container):
    """A ``_Graph`` in the input's compute dtype, and the input cast to it if needed."""
    variable = operator.inputs[0]
    dtype = _compute_dtype(variable)
    g = _Graph(scope, container, dtype)
    X = variable.full_name
    if not isinstance(variable.type, _tensor_type(dtype)):
        X = g.op("Cast", X, to=_PROTO[np.dtype(dtype)])
    return g, X


# ------------------------------------------------------------------ classifiers
def _class_labels(scope, estimator):
    """The classes as the label output holds them: int64 or strings; their indices
    with skl2onnx's option ``nocl``."""
    if len(estimator.classes_) < 2:
        raise NotImplementedError(
            f"This {type(estimator).__name__} was fitted on a single class "
            f"({estimator.classes_[0]!r}): its predict_proba has two columns for one "
            "class, which ONNX's label and probability outputs cannot name. Fit it on "
            "two classes or more to convert it."
        )
    classes = np.asarray(get_label_classes(scope, estimator))  # handles 'nocl'
    if classes.dtype.kind in "biuf":  # float labels of a classifier are integral
        return classes.astype(np.int64)
    return classes.astype(str)


def _is_multilabel(estimator):
    return estimator._target_type == "multilabel-indicator"


def _classifier_shapes(operator):
    """Label (N,) or (N, n_labels), and probabilities or scores (N, n_classes)."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    estimator = operator.raw_operator
    classes = _class_labels(operator.scope_inst, estimator)
    _fitted_network(estimator)
    n = operator.inputs[0].get_first_dimension()
    if _is_multilabel(estimator):
        operator.outputs[0].type = Int64TensorType(shape=[n, len(classes)])
    elif classes.dtype.kind == "U":
        operator.outputs[0].type = StringTensorType(shape=[n])
    else:
        operator.outputs[0].type = Int64TensorType(shape=[n])
    dtype = _compute_dtype(operator.inputs[0])
    zipmap = operator.scope_inst.get_options(estimator, dict(zipmap=True))["zipmap"]
    if dtype == np.float64 and zipmap is True:
        raise ValueError(
            "ONNX's ZipMap takes float probabilities only, and this input is double: "
            "pass options={'zipmap': False} (or 'columns') to skl2onnx, or a float "
            "input."
        )
    operator.outputs[1].type = _tensor_type(dtype)(shape=[n, len(classes)])


def _convert_classifier(scope, operator, container):
    """Labels decided as ``_targets.decode_labels`` decides them, from the network's
    probabilities (a unit fires above 0.5) or raw scores (above 0)."""
    estimator = operator.raw_operator
    g, X = _graph_and_input(scope, operator, container)
    output = _forward(g, estimator, X)
    labels, second = operator.outputs[0].full_name, operator.outputs[1].full_name
    on_scores = estimator._loss.on_scores
    if _is_multilabel(estimator) or estimator.n_outputs_ == 1:
        threshold = g.const(0 if on_scores else 0.5)
        fires = g.op("Cast", g.op("Greater", output, threshold), to=TensorProto.INT64)
    if _is_multilabel(estimator):
        g.op("Identity", output, out=second)
        g.op("Identity", fires, out=labels)
        return
    if estimator.n_outputs_ == 1:  # two classes, one unit: (1 - p, p) or (-z, z)
        other = (g.op("Neg", output) if on_scores
                 else g.op("Sub", g.const(1), output))
        g.op("Concat", other, output, out=second, axis=1)
        index = g.op("Reshape", fires, g.const([-1], np.int64))
    else:
        g.op("Identity", output, out=second)
        index = g.op("ArgMax", output, axis=1, keepdims=0)
    classes = _class_labels(scope, estimator)
    g.op("Gather", g.const(classes, classes.dtype), index, out=labels, axis=0)


# ------------------------------------------------------------------ regressors
def _regressor_shapes(operator):
    """One output (N, n_outputs) in the compute dtype."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    estimator = operator.raw_operator
    _fitted_network(estimator)
    n = operator.inputs[0].get_first_dimension()
    dtype = _compute_dtype(operator.inputs[0])
    operator.outputs[0].type = _tensor_type(dtype)(shape=[n, estimator.n_outputs_])


def _convert_regressor(scope, operator, container):
    g, X = _graph_and_input(scope, operator, container)
    g.op("Identity", _forward(g, operator.raw_operator, X),
         out=operator.outputs[0].full_name)


def register_converters():
    """Register the converters of the four estimators with skl2onnx.

    Importing ``skperceptron.onnx`` calls it; calling it again registers them anew
    (after another library registered its own, say). The classifiers take skl2onnx's
    options ``zipmap`` (True, False or ``"columns"``) and ``nocl`` (True: the labels
    are the indices of the classes).

    Notes
    -----
    The graph is the network's prediction, layer by layer: ``MatMul`` and ``Add`` for
    each dense layer; batch normalization as ``Sub``, ``Mul`` and ``Add`` with the
    fitted running statistics, in the order ``predict`` computes them; dropout, the
    identity when predicting, adds nothing. It computes in the dtype of its input:
    double for a double input, float for any other (the weights are cast to it), as
    skl2onnx's converters do. Each activation gives ours to a few units of the last
    place; where onnxruntime's own operator would not (its Sigmoid loses the relative
    precision of small outputs; it has no double Elu or Softplus), it is written with
    elementary operators.

    The outputs follow skl2onnx's conventions for classifiers: a label and a probability
    tensor (N, n_classes), which skl2onnx turns into a list of dictionaries unless the
    option ``zipmap`` is False (onnxruntime's ``ZipMap`` reads float only: pass
    ``options={"zipmap": False}`` for a double input). Two classes take the columns
    ``(1 - p, p)``, as ``predict_proba``. A classifier that predicts from raw scores
    (``loss="perceptron"`` or ``"hinge"``) has no probabilities: its second output holds
    the scores, ``(-z, z)`` for two classes, as skl2onnx gives for scikit-learn's
    :class:`~sklearn.linear_model.Perceptron` and ``SGDClassifier(loss="hinge")``.
    Multilabel targets give a label tensor of 0s and 1s (N, n_labels). Labels are int64 (integer, boolean or float classes)
    or strings. A regressor's output is (N, n_outputs), one column for a single target.

    A model fitted on a single class cannot be converted: ``predict_proba`` gives it two
    columns for one class, which no label output of skl2onnx's convention can name.

    Examples
    --------
    The MLP that learns XOR, converted: its graph is the forward pass of
    :ref:`maths-forward` written in ONNX operators, a hidden layer (``MatMul``,
    ``Add``, ``Tanh``) and the output's net input, whose logistic and labels follow.

    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from skperceptron import MLPClassifier
    >>> from skperceptron.onnx import register_converters
    >>> register_converters()
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
    ...                     random_state=0).fit(X, [0, 1, 1, 0])
    >>> model = to_onnx(clf, X, options={"zipmap": False})
    >>> [node.op_type for node in model.graph.node][:5]
    ['MatMul', 'Add', 'Tanh', 'MatMul', 'Add']
    >>> [output.name for output in model.graph.output]
    ['label', 'probabilities']

    onnxruntime computes the labels and the probabilities without skperceptron, the
    latter equal to ``predict_proba``'s to rounding (in double, as X is):

    >>> session = ort.InferenceSession(model.SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X})
    >>> labels.tolist()
    [0, 1, 1, 0]
    >>> proba.round(2)
    array([[1., 0.],
           [0., 1.],
           [0., 1.],
           [1., 0.]])
    >>> bool(np.allclose(proba, clf.predict_proba(X), rtol=1e-10, atol=1e-15))
    True
    """
    options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
    for cls in (PerceptronClassifier, MLPClassifier):
        update_registered_converter(cls, f"Skperceptron{cls.__name__}", _classifier_shapes,
                                    _convert_classifier, options=options)
    for cls in (PerceptronRegressor, MLPRegressor):
        update_registered_converter(cls, f"Skperceptron{cls.__name__}", _regressor_shapes,
                                    _convert_regressor)


register_converters()
