"""Metrics against hand-computed values and the Mann-Whitney U statistic; bad input is refused."""

import numpy as np
import pytest

from dlkit import metrics
from dlkit.backend import use_backend

# A small confusion matrix done by hand (positive class 1):
#   y_true 1 1 1 1 0 0 0 0 0 0
#   y_pred 1 1 1 0 1 1 0 0 0 0
#   TP = 3, FN = 1, FP = 2, TN = 4.
Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])


def test_hand_computed_confusion_matrix():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(7 / 10)  # (TP + TN) / n
    assert metrics.precision(Y_TRUE, Y_PRED) == pytest.approx(3 / 5)  # TP / (TP + FP)
    assert metrics.recall(Y_TRUE, Y_PRED) == pytest.approx(3 / 4)  # TP / (TP + FN)
    p, r = 3 / 5, 3 / 4
    assert metrics.f1(Y_TRUE, Y_PRED) == pytest.approx(2 * p * r / (p + r))  # = 2/3
    assert metrics.f1(Y_TRUE, Y_PRED) == pytest.approx(2 / 3)


def test_metrics_return_python_floats():
    for metric in (metrics.accuracy, metrics.precision, metrics.recall, metrics.f1, metrics.roc_auc):
        assert type(metric(Y_TRUE, Y_PRED)) is float
    assert type(metrics.rmse([1.0, 2.0], [1.0, 2.0])) is float


def test_no_positives_give_zero():
    none = np.zeros(4, dtype=int)
    some = np.array([0, 1, 0, 1])
    assert metrics.precision(some, none) == 0.0  # nothing predicted positive
    assert metrics.recall(none, some) == 0.0  # nothing actually positive
    assert metrics.f1(none, none) == 0.0  # neither
    assert metrics.f1(some, 1 - some) == 0.0  # TP = 0
    assert metrics.accuracy(none, none) == 1.0


def test_labels_may_be_bool_float_or_a_column():
    y_pred_column = Y_PRED.astype(np.float64).reshape(-1, 1)  # a network's thresholded output
    assert metrics.precision(Y_TRUE.astype(bool), y_pred_column) == pytest.approx(3 / 5)
    assert metrics.accuracy(Y_TRUE.reshape(-1, 1), y_pred_column) == pytest.approx(0.7)


def test_accuracy_counts_any_number_of_classes():
    assert metrics.accuracy([0, 1, 2, 2, 1], [0, 2, 2, 2, 0]) == pytest.approx(3 / 5)


def _mann_whitney_auc(y, s):
    """U / (n₊ n₋) from its definition: count positive-negative pairs, ties as one half."""
    pos, neg = s[y == 1], s[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_roc_auc_perfect_inverted_and_random_rankings():
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1])
    scores = np.where(y == 1, 0.9, 0.1) + 0.01 * np.arange(8)
    assert metrics.roc_auc(y, scores) == 1.0
    assert metrics.roc_auc(y, -scores) == 0.0
    rng = np.random.default_rng(0)
    y_big = rng.integers(0, 2, size=4000)
    assert metrics.roc_auc(y_big, rng.standard_normal(4000)) == pytest.approx(0.5, abs=0.03)


def test_roc_auc_with_ties_matches_mann_whitney():
    # Hand count: positives scored 0.8, 0.5, 0.5; negatives 0.5, 0.2.
    # Pairs (pos, neg): (0.8, 0.5) 1, (0.8, 0.2) 1, (0.5, 0.5) ½ twice, (0.5, 0.2) 1 twice -> 5 of 6.
    y = np.array([1, 1, 1, 0, 0])
    s = np.array([0.8, 0.5, 0.5, 0.5, 0.2])
    assert metrics.roc_auc(y, s) == pytest.approx(5 / 6)
    assert metrics.roc_auc(y, np.full(5, 0.3)) == pytest.approx(0.5)  # all tied
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = rng.integers(0, 2, size=60)
        y[:2] = [0, 1]
        s = rng.integers(0, 6, size=60).astype(float)  # many ties
        assert metrics.roc_auc(y, s) == pytest.approx(_mann_whitney_auc(y, s), abs=1e-12)


def test_roc_auc_is_invariant_to_monotone_transforms():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=50)
    logits = rng.standard_normal(50)
    probs = 1.0 / (1.0 + np.exp(-logits))
    assert metrics.roc_auc(y, logits) == pytest.approx(metrics.roc_auc(y, probs), abs=1e-12)


def test_rmse_by_hand():
    # errors 1, -2, 2 -> squares 1, 4, 4 -> mean 3 -> sqrt 3
    assert metrics.rmse([1.0, 2.0, 3.0], [2.0, 0.0, 5.0]) == pytest.approx(np.sqrt(3.0))
    assert metrics.rmse(np.ones((3, 2)), np.ones((3, 2))) == 0.0
    assert metrics.rmse([1.0, 2.0], np.array([[1.0], [4.0]])) == pytest.approx(np.sqrt(2.0))


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_arrays_from_other_backends(backend):
    from dlkit.backend import asarray

    pytest.importorskip(backend, reason=f"{backend} is optional; its backend case needs it")
    with use_backend(backend):
        y_true, y_pred = asarray(Y_TRUE), asarray(Y_PRED)
        scores = asarray(np.array([0.8, 0.5, 0.5, 0.5, 0.2]))
        y5 = asarray(np.array([1, 1, 1, 0, 0]))
        assert metrics.f1(y_true, y_pred) == pytest.approx(2 / 3)
        assert metrics.accuracy(y_true, y_pred) == pytest.approx(0.7)
        assert metrics.roc_auc(y5, scores) == pytest.approx(5 / 6)
        assert metrics.rmse(asarray([1.0, 2.0, 3.0]), asarray([2.0, 0.0, 5.0])) == pytest.approx(np.sqrt(3.0))


@pytest.mark.parametrize(
    "metric", [metrics.accuracy, metrics.precision, metrics.recall, metrics.f1, metrics.rmse]
)
def test_shape_mismatch_is_refused(metric):
    with pytest.raises(ValueError, match=r"same shape, got \(4,\) and \(3,\)"):
        metric([0, 1, 0, 1], [0, 1, 0])
    with pytest.raises(ValueError, match="same shape"):
        metric([0, 1, 0, 1], [[0, 1, 0, 1]])  # (4,) against (1, 4): no broadcasting


@pytest.mark.parametrize("metric", [metrics.precision, metrics.recall, metrics.f1])
def test_labels_other_than_0_and_1_are_refused(metric):
    with pytest.raises(
        ValueError, match=r"y_pred must hold binary labels 0 and 1 only, got values \[0, 1, 2\]"
    ):
        metric([0, 1, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        metric([-1, 1, 1], [0, 1, 1])


def test_roc_auc_bad_input():
    with pytest.raises(ValueError, match="both classes.*only class 1"):
        metrics.roc_auc([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        metrics.roc_auc([0, 2, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="scores must be finite"):
        metrics.roc_auc([0, 1, 1], [0.2, np.nan, 0.9])
    with pytest.raises(ValueError, match="y_true and scores must have the same shape"):
        metrics.roc_auc([0, 1, 1], [0.2, 0.9])


def test_other_bad_input():
    with pytest.raises(ValueError, match="whole numbers.*threshold"):
        metrics.accuracy([0, 1], [0.2, 0.9])  # probabilities where labels were expected
    with pytest.raises(TypeError, match="must be an array of numbers"):
        metrics.accuracy(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        metrics.f1([], [])
    with pytest.raises(ValueError, match="vector"):
        metrics.f1(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="y_pred must be finite"):
        metrics.rmse([1.0, 2.0], [1.0, np.inf])
