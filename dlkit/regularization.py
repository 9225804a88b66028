"""Regularization: L1 and L2 penalties with their gradients, and gradient clipping by global norm.

Every function takes the weights (or gradients) as a list of arrays, one per
layer, or as a single array. The penalties are added to the data loss,
J = L + penalty, so their gradients are added to the data gradients:

    L2 (weight decay):  λ/2 · Σ w²,   gradient λw
    L1 (sparsity):      λ · Σ |w|,    sub-gradient λ·sign(w), taking 0 at w = 0

The ½ in L2 makes its gradient exactly λw, the term that `dlkit.optim`'s
``weight_decay=λ`` adds (PyTorch's convention); penalty and gradient here are
always consistent with each other.

In `dlkit.train.fit`, ``l1=`` and ``l2=`` penalise the weights only (parameters
with two or more dimensions, such as Dense.W), not the biases: a bias shifts
a unit without making the model more complex, and decaying it only hurts the fit.

Examples
--------
>>> import numpy as np
>>> W = np.array([[1.0, -2.0], [0.0, 3.0]])
>>> round(l1_penalty(W, 0.1), 6), round(l2_penalty(W, 0.1), 6)     # 0.1 · 6 and 0.05 · 14
(0.6, 0.7)
>>> l1_grad(W, 0.1)
array([[ 0.1, -0.1],
       [ 0. ,  0.1]])
"""

from __future__ import annotations

import math

from ._validation import as_float_array, check_positive, describe
from .backend import namespace

__all__ = ["l1_penalty", "l1_grad", "l2_penalty", "l2_grad", "global_norm", "clip_by_global_norm"]


def _as_list(arrays, name: str) -> tuple[list, bool]:
    """(list of float arrays, whether a single array came); checks every entry."""
    single = hasattr(arrays, "shape")
    if not single and not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{name} must be an array or a list of arrays, got {describe(arrays)}")
    items = [arrays] if single else list(arrays)
    return [as_float_array(a, f"{name}[{i}]") for i, a in enumerate(items)], single


def _check_lam(lam) -> float:
    check_positive(lam, "lam", allow_zero=True)
    return float(lam)


def l1_penalty(weights, lam: float) -> float:
    """λ · Σ |w| over every weight.

    Parameters
    ----------
    weights : list of arrays of any shapes, or one array
    lam : float
        λ >= 0.

    Returns
    -------
    float
    """
    lam = _check_lam(lam)
    weights, _ = _as_list(weights, "weights")
    return lam * sum(float(namespace(w).sum(namespace(w).abs(w))) for w in weights)


def l1_grad(weights, lam: float):
    """Sub-gradient of `l1_penalty`: λ·sign(w), which is 0 where w = 0.

    Parameters
    ----------
    weights : list of arrays of any shapes, or one array
    lam : float
        λ >= 0.

    Returns
    -------
    list of arrays, or one array
        Shaped like `weights` (one array if one came).
    """
    lam = _check_lam(lam)
    weights, single = _as_list(weights, "weights")
    grads = [lam * namespace(w).sign(w) for w in weights]
    return grads[0] if single else grads


def l2_penalty(weights, lam: float) -> float:
    """λ/2 · Σ w² over every weight (the ½ makes the gradient λw).

    Parameters
    ----------
    weights : list of arrays of any shapes, or one array
    lam : float
        λ >= 0.

    Returns
    -------
    float
    """
    lam = _check_lam(lam)
    weights, _ = _as_list(weights, "weights")
    return 0.5 * lam * sum(float(namespace(w).sum(w * w)) for w in weights)


def l2_grad(weights, lam: float):
    """Gradient of `l2_penalty`: λw.

    Parameters
    ----------
    weights : list of arrays of any shapes, or one array
    lam : float
        λ >= 0.

    Returns
    -------
    list of arrays, or one array
        Shaped like `weights` (one array if one came).
    """
    lam = _check_lam(lam)
    weights, single = _as_list(weights, "weights")
    grads = [lam * w for w in weights]
    return grads[0] if single else grads


def global_norm(grads) -> float:
    """‖g‖ = √(Σ over every array of Σ g²): the norm of all gradients seen as one long vector.

    Parameters
    ----------
    grads : list of arrays of any shapes, or one array

    Returns
    -------
    float
    """
    grads, _ = _as_list(grads, "grads")
    return math.sqrt(sum(float(namespace(g).sum(g * g)) for g in grads))


def clip_by_global_norm(grads, max_norm: float):
    """Rescale the gradients so that their global norm is at most `max_norm`.

    When ‖g‖ > max_norm every gradient is multiplied by max_norm / ‖g‖: the
    direction of the whole step is kept and only its length shrinks (clipping
    each entry separately would turn the step). Otherwise they are returned unchanged.

    Parameters
    ----------
    grads : list of arrays of any shapes, or one array
    max_norm : float
        The largest global norm allowed, > 0.

    Returns
    -------
    clipped : list of arrays, or one array
        New arrays shaped like `grads` (one array if one came).
    total_norm : float
        ‖g‖ before clipping.

    Examples
    --------
    >>> import numpy as np
    >>> clipped, norm = clip_by_global_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
    >>> clipped, norm
    ([array([0.6]), array([0.8])], 5.0)
    """
    check_positive(max_norm, "max_norm")
    grads, single = _as_list(grads, "grads")
    total_norm = global_norm(grads)
    scale = min(1.0, float(max_norm) / total_norm) if total_norm > 0 else 1.0
    clipped = [g * scale for g in grads]
    return (clipped[0] if single else clipped), total_norm
