"""Evaluation metrics: accuracy, precision, recall, F1, ROC AUC for classifiers; RMSE for regression.

Every metric takes ``(y_true, y_pred)`` (or ``(y_true, scores)``), arrays of any backend, and
returns a Python float. Metrics are computed once per evaluation, not inside training loops,
so the arrays are copied to NumPy at the boundary (`dlkit.backend.to_numpy`).

Shapes must match exactly, with one convenience shared with the losses: ``y_true`` of shape
(n,) and ``y_pred`` of shape (n, 1) (a network's output column) are read as two (n,) vectors.
The binary metrics (precision, recall, f1, roc_auc) want labels 0 and 1 (bool, int or
float arrays holding only those values); the positive class is 1.

Examples
--------
>>> import numpy as np
>>> y_true = np.array([1, 1, 1, 0, 0])
>>> y_pred = np.array([1, 0, 1, 1, 0])     # TP = 2, FN = 1, FP = 1, TN = 1
>>> accuracy(y_true, y_pred), precision(y_true, y_pred), recall(y_true, y_pred)
(0.6, 0.6666666666666666, 0.6666666666666666)
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_array, check_finite, check_ndim, check_same_shape
from .backend import to_numpy


def _matched(y_true, y_pred, name_pred: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    """Both arrays in NumPy, of one shape after the (n,) / (n, 1) convenience, and not empty."""
    y_true = to_numpy(as_array(y_true, "y_true"))
    y_pred = to_numpy(as_array(y_pred, name_pred))
    if y_true.ndim == 1 and y_pred.shape == (y_true.shape[0], 1):
        y_pred = y_pred[:, 0]
    check_same_shape(y_true, y_pred, "y_true", name_pred)
    if y_true.size == 0:
        raise ValueError(f"y_true and {name_pred} are empty; a metric needs at least one sample")
    return y_true, y_pred


def _pair(y_true, y_pred, name_pred: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    """Like `_matched`, for labels: a vector (n,) or a column (n, 1), returned as two (n,) vectors."""
    y_true, y_pred = _matched(y_true, y_pred, name_pred)
    check_ndim(y_true, (1, 2), "y_true")
    if y_true.ndim == 2 and y_true.shape[1] != 1:
        raise ValueError(f"y_true must be a vector (n,) or a column (n, 1), got shape {y_true.shape}")
    return y_true.reshape(-1), y_pred.reshape(-1)


def _check_binary(y: np.ndarray, name: str) -> None:
    if not np.all((y == 0) | (y == 1)):
        found = np.unique(y)[:10]
        raise ValueError(f"{name} must hold binary labels 0 and 1 only, got values {found.tolist()}")


def _confusion(y_true, y_pred) -> tuple[int, int, int, int]:
    """Counts (TP, FP, FN, TN) of binary labels, the positive class being 1."""
    y_true, y_pred = _pair(y_true, y_pred)
    _check_binary(y_true, "y_true")
    _check_binary(y_pred, "y_pred")
    true_pos, pred_pos = y_true == 1, y_pred == 1
    tp = int(np.sum(true_pos & pred_pos))
    fp = int(np.sum(~true_pos & pred_pos))
    fn = int(np.sum(true_pos & ~pred_pos))
    tn = int(np.sum(~true_pos & ~pred_pos))
    return tp, fp, fn, tn


def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions: mean(y_pred == y_true).

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n,)
        Integer labels, any number of classes (threshold probabilities or take the argmax of
        scores first).

    Returns
    -------
    float
        In [0, 1].
    """
    y_true, y_pred = _pair(y_true, y_pred)
    for y, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        if not np.all(np.floor(y) == y):
            raise ValueError(
                f"{name} must hold class labels (whole numbers), got non-integer values such as "
                f"{y[np.floor(y) != y][0]}; threshold probabilities or take the argmax of scores first"
            )
    return float(np.mean(y_true == y_pred))


def precision(y_true, y_pred) -> float:
    """Precision TP / (TP + FP): of the points predicted positive, the fraction that are.

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n,)
        Binary labels 0 and 1.

    Returns
    -------
    float
        In [0, 1]; 0.0 when nothing is predicted positive (TP + FP = 0).
    """
    tp, fp, _, _ = _confusion(y_true, y_pred)
    return tp / (tp + fp) if tp + fp > 0 else 0.0


def recall(y_true, y_pred) -> float:
    """Recall TP / (TP + FN): of the positive points, the fraction predicted positive.

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n,)
        Binary labels 0 and 1.

    Returns
    -------
    float
        In [0, 1]; 0.0 when there are no positive points (TP + FN = 0).
    """
    tp, _, fn, _ = _confusion(y_true, y_pred)
    return tp / (tp + fn) if tp + fn > 0 else 0.0


def f1(y_true, y_pred) -> float:
    """F1 score, the harmonic mean of precision P and recall R: 2PR / (P + R) = 2TP / (2TP + FP + FN).

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n,)
        Binary labels 0 and 1.

    Returns
    -------
    float
        In [0, 1]; 0.0 when there are neither predicted nor actual positives
        (TP + FP + FN = 0), and whenever TP = 0.
    """
    tp, fp, fn, _ = _confusion(y_true, y_pred)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random negative.

    Computed from ranks (the Mann-Whitney U statistic): rank all scores from 1 (lowest) to n,
    giving tied scores the average of their ranks; with n₊ positives whose ranks sum to R₊,

        AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ · n₋),

    so a tie between a positive and a negative counts one half.

    Parameters
    ----------
    y_true : array of shape (n,)
        Binary labels 0 and 1, both present (the AUC is undefined otherwise).
    scores : array of shape (n,)
        Real scores, larger meaning "more likely positive" (probabilities or logits).

    Returns
    -------
    float
        In [0, 1]: 1 for a perfect ranking, 0 for a reversed one, about 0.5 for a random one.

    Examples
    --------
    >>> import numpy as np
    >>> roc_auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.4, 0.1]))   # one tie counts ½
    0.875
    """
    y_true, scores = _pair(y_true, scores, "scores")
    _check_binary(y_true, "y_true")
    check_finite(scores, "scores")
    n_pos = int(np.sum(y_true == 1))
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"roc_auc needs both classes in y_true, got only class {int(y_true[0])} ({y_true.size} samples)"
        )
    _, index, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # A group of c tied scores after `before` smaller ones holds ranks before+1 .. before+c.
    before = np.cumsum(counts) - counts
    ranks = (before + (counts + 1) / 2.0)[index]
    rank_sum = float(np.sum(ranks[y_true == 1]))
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def rmse(y_true, y_pred) -> float:
    """Root mean squared error sqrt(mean((y_pred − y_true)²)) over all entries.

    Parameters
    ----------
    y_true, y_pred : arrays of shape (n,) or (n, k)
        Finite real values, of the same shape.

    Returns
    -------
    float
    """
    y_true, y_pred = _matched(y_true, y_pred)
    check_finite(y_true, "y_true")
    check_finite(y_pred, "y_pred")
    error = y_pred.astype(np.float64) - y_true.astype(np.float64)
    return math.sqrt(float(np.mean(error * error)))
