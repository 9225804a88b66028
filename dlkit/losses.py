"""Loss functions L(y, ŷ) and their gradients with respect to the prediction ŷ.

Conventions shared by every loss here:

- arguments come as ``(y_true, y_pred)``, as in scikit-learn and Keras;
- the loss is the mean over the batch, and each ``*_grad`` twin is the gradient
  of that mean, with the shape of y_pred (so it can go straight into a network's
  backward pass);
- shapes must match exactly; the one convenience is y_true of shape (n,) with
  y_pred of shape (n, 1), read as a column;
- the computation runs in y_pred's floating dtype (float32 stays float32) and
  the functions return a 0-d array of that dtype; the classes `MSE`,
  `BinaryCrossEntropy` and `CrossEntropy` return a Python float from forward().

Examples
--------
>>> import numpy as np
>>> y_true, y_pred = np.array([1.0, 0.0]), np.array([0.5, 0.5])
>>> float(mse(y_true, y_pred)), mse_grad(y_true, y_pred)
(0.25, array([-0.5,  0.5]))
>>> loss = BinaryCrossEntropy()
>>> round(loss.forward(np.array([1, 0]), np.array([0.9, 0.2])), 4)
0.1643
>>> loss.backward().round(4)
array([-0.5556,  0.625 ])
"""

from __future__ import annotations

import math

from array_api_compat import device

from ._validation import as_float_array, check_bool, check_finite, check_ndim, check_same_shape
from .activations import sigmoid, softmax
from .backend import namespace, to_numpy

# --- mean squared error -------------------------------------------------------------------------


def mse(y_true, y_pred):
    """Mean squared error, the mean of (ŷ − y)² over all entries.

    Parameters
    ----------
    y_true : array of shape (n,) or (n, k)
        Targets y, finite.
    y_pred : array of y_true's shape
        Predictions ŷ (a column (n, 1) also meets y_true of shape (n,)).

    Returns
    -------
    0-d array
        In y_pred's floating dtype.
    """
    value, _ = _mse(*_regression_inputs(y_true, y_pred))
    return value


def mse_grad(y_true, y_pred):
    """dMSE/dŷ = 2(ŷ − y) / N, with N the number of entries.

    Parameters
    ----------
    y_true, y_pred : arrays
        As for `mse`.

    Returns
    -------
    array
        Of y_pred's shape and dtype.
    """
    y, y_hat = _regression_inputs(y_true, y_pred)
    return _mse_grad(y_hat - y)


def _mse(y, y_hat):
    """(loss, (error,)): the value and what its gradient needs, for checked inputs."""
    error = y_hat - y
    return namespace(error).mean(error * error), (error,)


def _mse_grad(error):
    return (2.0 / _count(error)) * error


# --- binary cross-entropy -----------------------------------------------------------------------


def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of probabilities: −mean(y log p + (1 − y) log(1 − p)).

    p is clipped to [eps, 1 − eps], with eps the machine epsilon of its dtype (2.2e-16 in float64,
    1.2e-7 in float32): the smallest margin for which 1 − eps is still below 1, so log(0) never
    happens and each entry's loss is at most −log(eps) (36.0 in float64, 15.9 in float32).
    For a network's raw scores use `binary_cross_entropy_with_logits`, which needs no clipping.

    Parameters
    ----------
    y_true : array of shape (n,) or (n, 1)
        Labels 0 or 1.
    y_pred : array of y_true's shape
        Probabilities p in [0, 1].

    Returns
    -------
    0-d array
        In y_pred's floating dtype.
    """
    value, _ = _bce(*_binary_inputs(y_true, y_pred))
    return value


def binary_cross_entropy_grad(y_true, y_pred):
    """d BCE/dp = (p − y) / (p(1 − p)) / N, evaluated at the clipped p.

    Parameters
    ----------
    y_true, y_pred : arrays
        As for `binary_cross_entropy`.

    Returns
    -------
    array
        Of y_pred's shape and dtype.
    """
    y, p = _binary_inputs(y_true, y_pred)
    return _bce_grad(y, _clip_probabilities(p))


def _bce(y, p):
    p = _clip_probabilities(p)
    xp = namespace(p)
    return -xp.mean(y * xp.log(p) + (1.0 - y) * xp.log(1.0 - p)), (y, p)


def _bce_grad(y, p):
    return (p - y) / (p * (1.0 - p)) / _count(p)


def binary_cross_entropy_with_logits(y_true, y_pred):
    """Binary cross-entropy of σ(z) computed from the logits z = y_pred, without forming σ(z).

    −[y log σ(z) + (1 − y) log(1 − σ(z))] = max(z, 0) − z·y + log(1 + e^(−|z|)), which is exact and
    never overflows (e^(−|z|) ≤ 1).

    Parameters
    ----------
    y_true : array of shape (n,) or (n, 1)
        Labels 0 or 1.
    y_pred : array of y_true's shape
        Logits z, any real numbers.

    Returns
    -------
    0-d array
        In y_pred's floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> float(binary_cross_entropy_with_logits(np.array([1.0, 0.0]), np.array([1000.0, -1000.0])))
    0.0
    """
    value, _ = _bce_logits(*_logit_inputs(y_true, y_pred))
    return value


def binary_cross_entropy_with_logits_grad(y_true, y_pred):
    """d BCE/dz = (σ(z) − y) / N.

    Parameters
    ----------
    y_true, y_pred : arrays
        As for `binary_cross_entropy_with_logits`.

    Returns
    -------
    array
        Of y_pred's shape and dtype.
    """
    return _bce_logits_grad(*_logit_inputs(y_true, y_pred))


def _bce_logits(y, z):
    xp = namespace(z)
    value = xp.mean(xp.maximum(z, xp.zeros_like(z)) - z * y + xp.log1p(xp.exp(-xp.abs(z))))
    return value, (y, z)


def _bce_logits_grad(y, z):
    return (sigmoid(z) - y) / _count(z)


# --- cross-entropy over classes -----------------------------------------------------------------


def cross_entropy(y_true, y_pred):
    """Softmax cross-entropy from logits: −mean over samples of Σ_c y_c log softmax(z)_c.

    log softmax is computed as z − max(z) − log Σ e^(z − max(z)) (log-sum-exp), so logits of
    ±1000 are fine.

    Parameters
    ----------
    y_true : array of shape (n,) or (n, C)
        Integer class labels 0 … C−1, or one-hot rows (any rows of non-negative numbers that sum
        to 1 work, e.g. smoothed labels).
    y_pred : array of shape (n, C)
        Logits z, not probabilities.

    Returns
    -------
    0-d array
        In y_pred's floating dtype.

    Examples
    --------
    Equal logits give every one of C classes probability 1/C, so the loss is log C:

    >>> import numpy as np
    >>> round(float(cross_entropy(np.array([0, 2]), np.zeros((2, 3)))), 4)   # log 3
    1.0986
    """
    value, _ = _cross_entropy(*_class_inputs(y_true, y_pred))
    return value


def cross_entropy_grad(y_true, y_pred):
    """dCE/dz = (softmax(z) − y_onehot) / n.

    Parameters
    ----------
    y_true, y_pred : arrays
        As for `cross_entropy`.

    Returns
    -------
    array of shape (n, C)
        In y_pred's dtype.
    """
    targets, z = _class_inputs(y_true, y_pred)
    return _cross_entropy_grad(targets, softmax(z, axis=1))


def _cross_entropy(targets, z):
    """(loss, (targets, softmax(z))): the softmax comes for free from the log-sum-exp."""
    xp = namespace(z)
    shifted = z - xp.max(z, axis=1, keepdims=True)
    exp_shifted = xp.exp(shifted)
    sums = xp.sum(exp_shifted, axis=1, keepdims=True)
    log_probs = shifted - xp.log(sums)
    return -xp.sum(targets * log_probs) / z.shape[0], (targets, exp_shifted / sums)


def _cross_entropy_grad(targets, probs):
    return (probs - targets) / probs.shape[0]


# --- input checks -------------------------------------------------------------------------------


def _regression_inputs(y_true, y_pred):
    """(y, ŷ) as float arrays of ŷ's dtype and one shape; y_true of shape (n,) may meet y_pred (n, 1)."""
    y_pred = as_float_array(y_pred, "y_pred")
    y_true = as_float_array(y_true, "y_true")
    check_finite(y_true, "y_true")
    xp = namespace(y_true, y_pred)
    if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape == (y_true.shape[0], 1):
        y_true = xp.reshape(y_true, (-1, 1))
    check_same_shape(y_true, y_pred)
    if _count(y_pred) == 0:
        raise ValueError(f"y_pred is empty (shape {tuple(y_pred.shape)}); a loss needs at least one sample")
    return xp.astype(y_true, y_pred.dtype), y_pred


def _binary_inputs(y_true, y_pred, probabilities=True):
    y, y_hat = _regression_inputs(y_true, y_pred)
    xp = namespace(y_hat)
    is_label = (y == 0.0) | (y == 1.0)
    if not bool(xp.all(is_label)):
        others = to_numpy(y)[~to_numpy(is_label)]
        raise ValueError(f"y_true must hold labels 0 or 1, got other values such as {others[:5].tolist()}")
    if probabilities and not bool(xp.all((y_hat >= 0.0) & (y_hat <= 1.0))):
        low, high = float(xp.min(y_hat)), float(xp.max(y_hat))
        raise ValueError(
            f"y_pred must be probabilities in [0, 1], got values from {low} to {high}; "
            "for logits use binary_cross_entropy_with_logits (or BinaryCrossEntropy(from_logits=True))"
        )
    return y, y_hat


def _logit_inputs(y_true, y_pred):
    return _binary_inputs(y_true, y_pred, probabilities=False)


def _clip_probabilities(p):
    xp = namespace(p)
    eps = float(xp.finfo(p.dtype).eps)
    return xp.clip(p, eps, 1.0 - eps)


def _class_inputs(y_true, y_pred):
    """(targets, z): targets of shape (n, C) in z's dtype, each row a probability vector."""
    z = as_float_array(y_pred, "y_pred")
    check_ndim(z, 2, "y_pred (logits of shape (n, C))")
    n, n_classes = z.shape
    if n == 0 or n_classes == 0:
        raise ValueError(
            f"y_pred (logits) must have at least one row and one column, got shape {(n, n_classes)}"
        )
    y = as_float_array(y_true, "y_true")
    check_finite(y, "y_true")
    xp = namespace(y, z)
    if y.ndim == 1:
        if y.shape[0] != n:
            raise ValueError(f"y_true has {y.shape[0]} labels but y_pred has {n} rows")
        if not bool(xp.all(xp.floor(y) == y)):
            raise ValueError("y_true of shape (n,) must hold whole-number class labels 0 … C−1")
        if not bool(xp.all((y >= 0) & (y < n_classes))):
            raise ValueError(
                f"class labels must be in 0 … {n_classes - 1} for y_pred with {n_classes} columns, "
                f"got labels from {float(xp.min(y)):g} to {float(xp.max(y)):g}"
            )
        classes = xp.arange(n_classes, dtype=y.dtype, device=device(y))
        return xp.astype(xp.reshape(y, (-1, 1)) == classes, z.dtype), z
    check_ndim(y, (1, 2), "y_true (labels (n,) or one-hot (n, C))")
    check_same_shape(y, z)
    row_sums = xp.sum(y, axis=1)
    if not bool(xp.all(y >= 0)) or not bool(xp.all(xp.abs(row_sums - 1.0) <= 1e-6)):
        raise ValueError("y_true of shape (n, C) must be one-hot: rows of non-negative numbers that sum to 1")
    return xp.astype(y, z.dtype), z


def _count(x):
    return math.prod(x.shape)


# --- the same losses as objects with forward/backward -------------------------------------------


class Loss:
    """A loss as an object: forward(y_true, y_pred) -> float, then backward() -> dL/dy_pred.

    forward checks its inputs as the function of the same name does, and keeps
    what backward needs (the checked targets; the softmax, for cross-entropy),
    so backward checks and recomputes nothing. Subclasses name three private
    functions: ``_check(y_true, y_pred) -> (targets, y_pred)``, the checks;
    ``_value(targets, y_pred) -> (0-d loss, saved)`` for checked inputs; and
    ``_gradient(*saved)``.

    A training loop that sees the same targets batch after batch can check them
    once with `check_targets` and then call `forward_checked`, which skips the
    checks (`dlkit.train.fit` does).
    """

    def __init__(self):
        self._saved = None

    def forward(self, y_true, y_pred):
        """The mean loss over the batch, as a Python float.

        Parameters
        ----------
        y_true : array
            Targets, of the shape the loss's function documents.
        y_pred : array
            The model's output, e.g. of shape (n,), (n, 1) or (n, C).

        Returns
        -------
        float
        """
        return self.forward_checked(*self._check(y_true, y_pred))

    __call__ = forward

    def backward(self):
        """dL/dy_pred for the inputs of the last forward().

        Returns
        -------
        array
            Of the shape and dtype of the last y_pred.
        """
        if self._saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        return self._gradient(*self._saved)

    def check_targets(self, y_true, y_pred):
        """`y_true` checked against `y_pred`, in the form `forward_checked` takes.

        That form has y_pred's shape and floating dtype: for CrossEntropy, integer
        labels become one-hot rows of shape (n, C).

        Parameters
        ----------
        y_true : array
            As for `forward`.
        y_pred : array
            An output of the model's shape and dtype.

        Returns
        -------
        array
            The targets, of the shape of y_pred.
        """
        targets, _ = self._check(y_true, y_pred)
        return targets

    def forward_checked(self, targets, y_pred):
        """`forward` without the checks, for targets made by `check_targets` (or rows of them).

        Nothing is checked, so a wrong input gives a wrong value, not an error.

        Parameters
        ----------
        targets : array
            From `check_targets` (or rows of it).
        y_pred : array of the targets' shape and dtype

        Returns
        -------
        float
        """
        value, self._saved = self._value(targets, y_pred)
        return float(value)


class MSE(Loss):
    """Mean squared error as an object (see `mse`): forward(y_true, y_pred) -> float, backward() -> dL/dŷ."""

    _check = staticmethod(_regression_inputs)
    _value = staticmethod(_mse)
    _gradient = staticmethod(_mse_grad)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy as an object: of probabilities, or of logits with from_logits=True.

    Parameters
    ----------
    from_logits : bool
        False: y_pred holds probabilities (see `binary_cross_entropy`); True: logits (see
        `binary_cross_entropy_with_logits`, the stable choice for a network without a final sigmoid).
    """

    def __init__(self, from_logits=False):
        super().__init__()
        self.from_logits = check_bool(from_logits, "from_logits")
        if from_logits:
            self._check, self._value, self._gradient = _logit_inputs, _bce_logits, _bce_logits_grad
        else:
            self._check, self._value, self._gradient = _binary_inputs, _bce, _bce_grad

    def __repr__(self):
        return f"BinaryCrossEntropy(from_logits={self.from_logits})"


class CrossEntropy(Loss):
    """Softmax cross-entropy from logits as an object (see `cross_entropy`).

    backward() returns (softmax(z) − y_onehot) / n, with the softmax kept from forward().
    """

    _check = staticmethod(_class_inputs)
    _value = staticmethod(_cross_entropy)
    _gradient = staticmethod(_cross_entropy_grad)
