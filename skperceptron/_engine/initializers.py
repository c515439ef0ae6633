"""Weight initializers: ``(fan_in, fan_out, rng, dtype) -> (W, b)``.

``W`` has shape (fan_in, fan_out), ``b`` shape (fan_out,). ``rng`` is a
``numpy.random.RandomState`` (from ``sklearn.utils.check_random_state``), so the same
``random_state`` always gives the same weights.

- glorot (Xavier): variance 2 / (fan_in + fan_out), keeps activations and gradients of
  tanh/logistic layers at a similar scale in both directions;
- he (Kaiming): variance 2 / fan_in, for ReLU-like units that zero half their inputs;
- lecun: variance 1 / fan_in, for SELU/ELU-like units and linear layers;
- zeros: the classic perceptron start. In a hidden layer every unit would then receive
  the same gradient forever (no symmetry breaking), so it only suits networks without one.

A uniform distribution on [-limit, limit] has variance limit^2 / 3, hence the limits
sqrt(3 * variance) below. Biases start at zero for all of these.

``sklearn_uniform`` is scikit-learn's MLP scheme (weights *and* biases uniform on
±sqrt(factor / (fan_in + fan_out)), factor 2 for logistic layers and 6 otherwise), drawn
in the same order from the same generator, so that ``weight_init="auto"`` starts from
exactly the weights scikit-learn's MLP would start from.
"""

import numpy as np


def _uniform(limit, fan_in, fan_out, rng, dtype):
    W = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype, copy=False)
    return W, np.zeros(fan_out, dtype=dtype)


def _normal(std, fan_in, fan_out, rng, dtype):
    W = rng.normal(0.0, std, (fan_in, fan_out)).astype(dtype, copy=False)
    return W, np.zeros(fan_out, dtype=dtype)


def glorot_uniform(fan_in, fan_out, rng, dtype=np.float64):
    return _uniform(np.sqrt(6.0 / (fan_in + fan_out)), fan_in, fan_out, rng, dtype)


def glorot_normal(fan_in, fan_out, rng, dtype=np.float64):
    return _normal(np.sqrt(2.0 / (fan_in + fan_out)), fan_in, fan_out, rng, dtype)


def he_uniform(fan_in, fan_out, rng, dtype=np.float64):
    return _uniform(np.sqrt(6.0 / fan_in), fan_in, fan_out, rng, dtype)


def he_normal(fan_in, fan_out, rng, dtype=np.float64):
    return _normal(np.sqrt(2.0 / fan_in), fan_in, fan_out, rng, dtype)


def lecun_uniform(fan_in, fan_out, rng, dtype=np.float64):
    return _uniform(np.sqrt(3.0 / fan_in), fan_in, fan_out, rng, dtype)


def lecun_normal(fan_in, fan_out, rng, dtype=np.float64):
    return _normal(np.sqrt(1.0 / fan_in), fan_in, fan_out, rng, dtype)


def zeros(fan_in, fan_out, rng=None, dtype=np.float64):
    return np.zeros((fan_in, fan_out), dtype=dtype), np.zeros(fan_out, dtype=dtype)


def sklearn_uniform(fan_in, fan_out, rng, dtype=np.float64, *, factor=6.0):
    limit = np.sqrt(factor / (fan_in + fan_out))
    W = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype, copy=False)
    b = rng.uniform(-limit, limit, fan_out).astype(dtype, copy=False)
    return W, b


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "zeros": zeros,
}


def initialize_layers(layer_units, method, rng, dtype, *, logistic_layers=()):
    """Initial (coefs, intercepts) for consecutive layers of ``layer_units``.

    ``method`` is a key of ``INITIALIZERS`` or ``"auto"`` (scikit-learn's scheme, where
    ``logistic_layers`` lists the indices of the weight matrices that use factor 2).
    """
    coefs, intercepts = [], []
    for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
        if method == "auto":
            factor = 2.0 if i in logistic_layers else 6.0
            W, b = sklearn_uniform(fan_in, fan_out, rng, dtype, factor=factor)
        else:
            W, b = INITIALIZERS[method](fan_in, fan_out, rng, dtype)
        coefs.append(W)
        intercepts.append(b)
    return coefs, intercepts
