"""Stopping criteria on hand-made sequences of epochs."""

import numpy as np
import pytest

from skperceptron._training.stopping import (
    Divergence,
    EpochRecord,
    FixedPoint,
    LossThreshold,
    MaxIterations,
    NoImprovement,
)


def _losses(values, fixed_point=False):
    return [
        EpochRecord(epoch, loss, fixed_point=fixed_point)
        for epoch, loss in enumerate(values, 1)
    ]


def _scores(values):
    return [EpochRecord(epoch, 1.0, validation_score=s) for epoch, s in enumerate(values, 1)]


def _decisions(criterion, records):
    return [criterion.observe(r) for r in records]


def test_max_iterations_fires_at_the_last_epoch():
    criterion = MaxIterations(3)
    assert _decisions(criterion, _losses([5, 4, 3, 2])) == [False, False, True, True]
    assert criterion.reason == "max_iter"


def test_loss_threshold_fires_at_or_below_the_threshold():
    criterion = LossThreshold(0.5)
    assert _decisions(criterion, _losses([2.0, 0.51, 0.5, 0.1])) == [False, False, True, True]
    assert criterion.reason == "loss_threshold"
    # A zero threshold waits for an exact zero loss at a fixed point.
    assert _decisions(LossThreshold(0.0), _losses([1e-300, 0.0], fixed_point=True)) == [
        False,
        True,
    ]


def test_loss_threshold_ignores_a_zero_loss_that_still_moved_the_weights():
    # The perceptron criterion is 0 on boundary samples that are still updated on.
    records = [EpochRecord(1, 0.0), EpochRecord(2, 0.0, fixed_point=True)]
    assert _decisions(LossThreshold(0.0), records) == [False, True]
    assert _decisions(LossThreshold(0.1), records) == [False, True]


def test_fixed_point_fires_only_on_a_fixed_point_epoch():
    criterion = FixedPoint()
    records = [EpochRecord(1, 0.0), EpochRecord(2, 0.0, fixed_point=True)]
    assert _decisions(criterion, records) == [False, True]
    assert criterion.reason == "converged"


def test_training_loss_plateau_counts_epochs_without_improvement_by_tol():
    criterion = NoImprovement(tol=0.1, patience=3, monitor="loss")
    assert criterion.reason == "training_loss_plateau"
    # 10 improves on inf; 9.95 and 9.91 are within tol of the best (count 1, 2);
    # 9.7 beats the best 9.91 by more than tol (count 0); then three epochs that do not
    # beat the best by tol: 9.65, 9.9 and 9.61.
    decisions = _decisions(criterion, _losses([10.0, 9.95, 9.91, 9.7, 9.65, 9.9, 9.61]))
    assert decisions == [False, False, False, False, False, False, True]
    assert criterion.best == 9.61  # the best tracks the lowest loss, improvement or not


def test_training_loss_improvement_is_measured_against_the_best_not_the_last():
    # Each epoch is lower than the previous one by 0.06 < tol: no improvement counted.
    criterion = NoImprovement(tol=0.1, patience=3, monitor="loss")
    decisions = _decisions(criterion, _losses([1.0, 0.94, 0.88, 0.82]))
    assert decisions == [False, False, False, True]


def test_training_loss_exactly_tol_below_the_best_is_no_improvement():
    # Improvement needs loss < best - tol (strictly); values exact in binary.
    criterion = NoImprovement(tol=0.25, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 0.75])) == [False, True]
    criterion = NoImprovement(tol=0.25, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 0.5])) == [False, False]


def test_zero_tol_and_patience_one_stops_at_the_first_non_decrease():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="loss")
    assert _decisions(criterion, _losses([3.0, 2.0, 2.0])) == [False, False, True]


def test_validation_score_plateau_counts_epochs_without_improvement_by_tol():
    criterion = NoImprovement(tol=0.01, patience=2, monitor="validation_score")
    assert criterion.reason == "validation_score_plateau"
    # 0.5 improves on -inf; 0.505 < 0.5 + tol (count 1); 0.52 improves (count 0);
    # 0.525 and 0.4 do not (count 1, 2).
    decisions = _decisions(criterion, _scores([0.5, 0.505, 0.52, 0.525, 0.4]))
    assert decisions == [False, False, False, False, True]
    assert criterion.best == 0.525


def test_validation_score_exactly_tol_above_the_best_improves():
    # Improvement is score >= best + tol; values exact in binary.
    criterion = NoImprovement(tol=0.25, patience=1, monitor="validation_score")
    assert _decisions(criterion, _scores([0.25, 0.5, 0.625])) == [False, False, True]


def test_reset_restarts_the_count_but_keeps_the_best():
    criterion = NoImprovement(tol=0.0, patience=2, monitor="loss")
    assert _decisions(criterion, _losses([1.0, 2.0])) == [False, False]
    assert criterion.count == 1
    criterion.reset()
    assert criterion.count == 0 and criterion.best == 1.0
    # 1.5 is worse than the kept best 1.0, not an improvement over a forgotten one.
    assert _decisions(criterion, _losses([1.5, 1.2])) == [False, True]


def test_best_can_be_carried_over_from_an_earlier_fit():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="loss", best=0.5)
    assert criterion.observe(EpochRecord(1, 0.7))
    criterion = NoImprovement(tol=0.0, patience=1, monitor="validation_score", best=0.9)
    assert criterion.observe(EpochRecord(1, 1.0, validation_score=0.8))


def test_zero_loss_epochs_that_still_moved_the_weights_are_skipped():
    # A perceptron epoch with every sample on the boundary has loss 0 but updates:
    # it neither improves nor counts against patience.
    criterion = NoImprovement(tol=0.1, patience=2, monitor="loss")
    assert not criterion.observe(EpochRecord(1, 1.0))
    assert not criterion.observe(EpochRecord(2, 1.0))  # count 1
    for epoch in range(3, 10):
        assert not criterion.observe(EpochRecord(epoch, 0.0, fixed_point=False))
    assert criterion.count == 1 and criterion.best == 1.0
    assert criterion.observe(EpochRecord(10, 1.0))  # count 2


def test_zero_loss_fixed_point_epochs_are_counted():
    criterion = NoImprovement(tol=0.1, patience=2, monitor="loss")
    records = _losses([0.0, 0.0, 0.0], fixed_point=True)
    assert _decisions(criterion, records) == [False, False, True]
    assert criterion.best == 0.0


def test_zero_training_loss_does_not_silence_validation_monitoring():
    criterion = NoImprovement(tol=0.0, patience=1, monitor="validation_score")
    records = [EpochRecord(1, 0.0, 0.8), EpochRecord(2, 0.0, 0.7)]
    assert _decisions(criterion, records) == [False, True]


@pytest.mark.parametrize("monitor, start", [("loss", np.inf), ("validation_score", -np.inf)])
def test_default_best_is_the_worst_possible(monitor, start):
    assert NoImprovement(tol=1e-4, patience=10, monitor=monitor).best == start


# ----------------------------------------------------------------- Divergence
def test_divergence_fires_on_a_non_finite_loss():
    criterion = Divergence()
    assert criterion.observe(EpochRecord(1, np.nan, start_loss=1.0))
    assert Divergence().observe(EpochRecord(1, np.inf))


def test_divergence_fires_when_the_loss_grows_past_the_factor_of_the_first_loss():
    criterion = Divergence(factor=100.0)
    # The reference is the first batch's loss at the starting weights (2.0).
    assert not criterion.observe(EpochRecord(1, 5.0, start_loss=2.0))
    assert not criterion.observe(EpochRecord(2, 200.0, start_loss=4.0))  # exactly 100x
    assert criterion.observe(EpochRecord(3, 200.1, start_loss=150.0))
    assert criterion.reason == "diverged"


def test_divergence_takes_the_first_nonzero_loss_as_reference():
    # At zero weights the perceptron criterion is 0: that cannot serve as a scale.
    criterion = Divergence(factor=10.0)
    assert not criterion.observe(EpochRecord(1, 0.0, start_loss=0.0))
    assert criterion.reference is None
    assert not criterion.observe(EpochRecord(2, 3.0, start_loss=0.0))
    assert criterion.reference == 3.0
    assert not criterion.observe(EpochRecord(3, 30.0))
    assert criterion.observe(EpochRecord(4, 31.0))
