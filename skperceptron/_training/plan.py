"""What a fit trains, said once: the plan an estimator makes and the training reads.

Each estimator states in one method (``_plan``) everything that makes it the model it
is: the network (layers, activations, dropout, batch normalization), the loss, the
solver and its optimizer, the batch rule, the penalty, the weights it starts from and,
for a single layer, its per-sample rule. The shared fit (``_estimator``) reads the
plan top to bottom; the training loops read it as given. How a fit runs (when it
stops, what it validates on, what it prints) is not part of the plan: see
``stochastic.Run`` and ``lbfgs.LbfgsSettings``.
"""

from dataclasses import dataclass, replace

from .._utils.warnings import warn_user
from .clipping import Clipping


@dataclass(frozen=True)
class BatchRule:
    """Samples per update: ``size``, or the whole training set when None.

    A size larger than the training set is clipped to it; with ``warn`` (an explicit
    ``batch_size`` of scikit-learn's MLP) a UserWarning says so, as scikit-learn does.
    With ``reshuffle`` each epoch shuffles the previous epoch's order of the rows, as
    scikit-learn's MLP does, so that the same generator draws the same batches; without
    it each epoch draws a new permutation of the rows, as the perceptrons always have
    (both are uniformly random orders; the perceptrons keep theirs so that a script
    gives the models it gave before).
    """

    size: int | None = None
    warn: bool = False
    reshuffle: bool = True

    def __call__(self, n_samples):
        if self.size is None:
            return n_samples
        if self.warn and self.size > n_samples:
            warn_user(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                f"to be clipped: batch_size={self.size}, {n_samples} training samples.",
                UserWarning,
            )
        return min(self.size, n_samples)


@dataclass(frozen=True)
class OnlineRule:
    """The per-sample rule of a single layer under plain SGD at a constant rate: its
    loss's rule code (``_engine.losses``), run as one compiled loop over the samples
    when batches are of one sample; averaged SGD from sample ``average_from`` on (0:
    no average), which needs that loop."""

    code: int
    average_from: int = 0


@dataclass(frozen=True)
class Plan:
    """What a fit trains (see the module)."""

    network: object  # ``_engine.network.Network``: layers, activations, dropout, batch norm
    loss: object  # ``_engine.losses.Loss``, trained on the output layer
    out_activation: str  # what predictions apply (``out_activation_``): 'step' for a TLU
    solver: str  # 'sgd', 'adam' or 'lbfgs'
    optimizer: object  # ``(size, dtype) -> SGD or Adam``; None for L-BFGS
    batch: BatchRule  # samples per update
    penalty: object  # ``_engine.penalty.Penalty`` on the weights
    init: str  # the weight initializer (``_engine.initializers``), or 'auto'
    logistic_layers: frozenset = frozenset()  # weight layers of 'auto''s factor 2
    online: OnlineRule | None = None  # the per-sample rule of a single layer, or None
    norm_momentum: float | None = None  # batch normalization's running statistics'
    clipping: Clipping = Clipping()  # the bounds of each step's gradient

    def scaled(self, penalty):
        """The same plan with the penalty for mean-1 sample weights
        (``data.scaled``); itself when that penalty is its own (no sample weights)."""
        return self if penalty == self.penalty else replace(self, penalty=penalty)
