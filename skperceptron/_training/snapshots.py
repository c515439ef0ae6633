"""The weights training may have to return to: after a divergence, an interruption,
early stopping, or a fit that fails.

``Snapshots`` keeps copies of the flat parameter vector during a fit of several
epochs; a single pass (partial_fit) keeps only its start, in a ``StartCopy``, which
copies no more than the entries the pass may write.
"""

import numpy as np

from .._utils.speed import BufferCache


class StartCopy:
    """The weights a single pass (or a fit trained in place) starts from, kept to put
    them back: after a divergence, an interruption, or a fit that fails.

    ``keep(positions)`` must come before training writes anything (until then there is
    nothing to put back). With ``positions``, the entries of the flat vector that the
    pass may write (``OnlineEpochs.written``: on sparse rows, the weights of the columns
    they store), only those are copied: a ``partial_fit`` on a few rows of a wide model
    then costs what its rows cost, not a copy of every weight. Without, the whole
    vector, in a buffer that ``buffers`` (a ``speed.BufferCache``) hands to the next call.
    """

    def __init__(self, flat, buffers=None):
        self.flat, self.buffers = flat, buffers
        self.positions = self.values = None

    def keep(self, positions=None):
        flat = self.flat
        if positions is None:
            self.values = BufferCache.get_or_make(
                self.buffers, (flat.shape, flat.dtype), lambda: np.empty_like(flat), "start")
            self.values[...] = flat
        else:
            self.positions, self.values = positions, flat.take(positions)

    def restore(self):
        if self.values is None:
            return
        if self.positions is None:
            self.flat[...] = self.values
        else:  # a position listed twice holds the same value both times
            self.flat[self.positions] = self.values

    def unchanged(self):
        """Whether the vector still holds the kept values."""
        if self.positions is None:
            return np.array_equal(self.flat, self.values)
        return np.array_equal(self.flat.take(self.positions), self.values)


class Snapshots:
    """Copies of the weights that training may have to return to.

    ``epoch_start``: at the start of the current epoch (interruption, fixed point);
    ``lowest_loss``: at the start of the epoch with the lowest training loss, the
    weights that loss was measured from (divergence: the end of that same epoch may
    already be the step that diverged); ``best_score``: at the best validation score
    (early stopping restores it), with that score in ``best_score_value``.

    One epoch and no more (``start``, a ``StartCopy``: partial_fit): the guards that
    restore weights fire before the epoch ends, when the lowest loss's weights are
    still the start's, and nothing reads a copy after it; so the start serves both,
    and the end of the epoch copies nothing (on wide models, copies that cost more
    than the epoch itself).
    """

    def __init__(self, flat, best_so_far=None, start=None):
        self.start = start
        if start is None:
            self.epoch_start, self.lowest_loss = flat.copy(), flat.copy()
        self.lowest_loss_value = np.inf
        self.best_score_value, self.best_score = -np.inf, None
        if best_so_far is not None:
            self.best_score_value, self.best_score = best_so_far[0], best_so_far[1].copy()

    def end_epoch(self, flat, loss):
        if self.start is not None:
            return
        if loss < self.lowest_loss_value:
            self.lowest_loss_value = loss
            self.lowest_loss[...] = self.epoch_start
        self.epoch_start[...] = flat

    def put_back(self, name, flat):
        """Write the snapshot ``name`` (``epoch_start``, ``lowest_loss``) into ``flat``."""
        if self.start is not None:
            self.start.restore()
        else:
            flat[...] = getattr(self, name)

    def unchanged_since_epoch_start(self, flat):
        if self.start is not None:
            return self.start.unchanged()
        return np.array_equal(flat, self.epoch_start)

    def keep_best_score(self, flat, score):
        self.best_score_value = score
        if self.best_score is None:
            self.best_score = flat.copy()
        else:
            self.best_score[...] = flat
