"""Perceptrons and multi-layer perceptrons for scikit-learn, on a readable numpy engine."""

from ._chunks import fit_chunks
from ._inspection.displays import GradientNormDisplay, LossCurveDisplay
from ._inspection.gradient_check import check_gradients
from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import PerceptronClassifier, PerceptronRegressor

__version__ = "0.1.0"

__all__ = [
    "GradientNormDisplay",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "PerceptronClassifier",
    "PerceptronRegressor",
    "check_gradients",
    "fit_chunks",
    "__version__",
]
