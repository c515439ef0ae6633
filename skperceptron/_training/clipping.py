"""Gradient clipping: a step's gradient made no larger than a bound before the update.

By global norm, as PyTorch's ``torch.nn.utils.clip_grad_norm_``: with N the L2 norm of
the whole gradient (every trainable parameter, the data term's; the penalty's enters
in the optimizer's pass and is not clipped, as PyTorch's ``weight_decay``), the
gradient is scaled by ``c / (N + 1e-6)`` when that is below 1. Its direction stays;
only the step's length is bounded. By value, as ``clip_grad_value_``: each entry is
clamped to [-v, v] (first, when both are given), which changes the direction.

A step whose gradient either changed counts as clipped; the history records the norms
before clipping and the count per epoch (``history.History``).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clipping:
    """The bounds of a step's gradient: ``norm`` on its global L2 norm, ``value`` on
    each entry; None for no bound."""

    norm: float | None = None
    value: float | None = None

    def __bool__(self):
        return self.norm is not None or self.value is not None

    def apply(self, gradient, norm):
        """Clip ``gradient`` (a flat array) in place; ``norm`` is its L2 norm. Whether
        it changed."""
        clipped = False
        if self.value is not None:
            bound = gradient.dtype.type(self.value)
            if np.abs(gradient).max(initial=0) > bound:
                np.clip(gradient, -bound, bound, out=gradient)
                norm = np.sqrt(float(np.dot(gradient, gradient)))
                clipped = True
        if self.norm is not None:
            factor = self.norm / (norm + 1e-6)
            if factor < 1.0:
                gradient *= gradient.dtype.type(factor)
                clipped = True
        return clipped
