"""Perceptrons and multi-layer perceptrons for scikit-learn, on a readable numpy engine."""

from ._chunks import fit_chunks
from ._inspection.displays import GradientNormDisplay, LossCurveDisplay
from ._inspection.gradient_check import check_gradients
from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import PerceptronClassifier, PerceptronRegressor
from ._training.callbacks import Checkpoint
from ._training.checkpoint import fit_with_checkpoints, resume_fit

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "GradientNormDisplay",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "PerceptronClassifier",
    "PerceptronRegressor",
    "check_gradients",
    "fit_chunks",
    "fit_with_checkpoints",
    "resume_fit",
    "__version__",
]
