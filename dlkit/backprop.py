"""Backpropagation by hand: layer functions in (out, cache) / gradients form, and small graphs.

`dlkit.nn` wraps layers in Modules that keep their own state. This module writes the same
steps as plain functions, the way notebook 04 builds them (and as CS231n's ``layers.py``
does): every forward function returns ``(out, cache)``, where the cache holds what the
backward pass needs, and every backward function takes ``dout`` = dL/d(out) with that
cache and returns the gradient of L with respect to each input.

    out, cache = dense_forward(X, W, b)          # out = X @ W + b
    dX, dW, db = dense_backward(dout, cache)     # dW = Xᵀ dout, db = Σ_rows dout, dX = dout Wᵀ

Gradients are those of whatever loss produced ``dout``: a loss that averages over the batch
has already divided by N, so no layer divides again. Shapes of the gradients are exactly
those of the inputs (db is (M,), never (1, M)).

The two small graphs of the lecture come with their forward and backward passes written
out, each partial derivative computed once and reused: `graph_forward_backward` for
ŷ = wx + b with L = (ŷ − y)², and `dag_forward_backward` for a network that uses the
weight w1 twice.
"""

from __future__ import annotations

import math
import numbers

from ._validation import as_float_array, check_ndim
from .activations import sigmoid
from .backend import namespace
from .losses import binary_cross_entropy_with_logits

__all__ = [
    "dag_forward_backward",
    "dense_backward",
    "dense_forward",
    "graph_forward_backward",
    "sigmoid_backward",
    "sigmoid_forward",
    "two_layer_backward",
    "two_layer_forward",
]


# --- a dense layer -------------------------------------------------------------------------------


def dense_forward(X, W, b):
    """A dense (fully connected) layer, out = X @ W + b, with each sample flattened to a row.

    Parameters
    ----------
    X : array (N, d_1, ..., d_k), N samples; each is flattened to D = d_1 · ... · d_k numbers
        (a batch of 2-D inputs (N, D) stays as it is)
    W : array (D, M), the weights
    b : array (M,), the biases

    Returns
    -------
    out : array (N, M)
    cache : tuple (X, W, b), the inputs as received, for `dense_backward`

    float32 inputs give a float32 output. Nothing is modified.
    """
    X, W, b = _dense_inputs(X, W, b)
    xp = namespace(X, W, b)
    out = xp.reshape(X, (X.shape[0], -1)) @ W + b
    return out, (X, W, b)


def dense_backward(dout, cache):
    """The backward pass of `dense_forward`: dX, dW, db from dout = dL/d(out).

    Parameters
    ----------
    dout : array (N, M), the gradient of the loss with respect to the layer's output
    cache : tuple (X, W, b) from `dense_forward`

    Returns
    -------
    dX : array of X's shape (N, d_1, ..., d_k): dout Wᵀ, reshaped back to X's shape
    dW : array (D, M): X_flatᵀ dout, summed (not averaged) over the N samples
    db : array (M,): the column sums of dout

    No division by N: if the loss is a mean over the batch, its gradient dout already holds
    the 1/N.
    """
    X, W, b = cache
    dout = as_float_array(dout, "dout")
    n, m = X.shape[0], W.shape[1]
    if tuple(dout.shape) != (n, m):
        raise ValueError(f"dout must have the layer's output shape ({n}, {m}), got {tuple(dout.shape)}")
    xp = namespace(dout, X, W)
    dX = xp.reshape(dout @ W.T, X.shape)
    dW = xp.reshape(X, (n, -1)).T @ dout
    db = xp.sum(dout, axis=0)
    return dX, dW, db


def _dense_inputs(X, W, b):
    X, W, b = as_float_array(X, "X"), as_float_array(W, "W"), as_float_array(b, "b")
    if X.ndim < 2:
        raise ValueError(
            f"X must have a batch axis and at least one feature axis, got shape {tuple(X.shape)}"
        )
    check_ndim(W, 2, "W")
    check_ndim(b, 1, "b")
    features = math.prod(X.shape[1:])
    if W.shape[0] != features:
        raise ValueError(
            f"W must have one row per input feature: X of shape {tuple(X.shape)} has {features} features "
            f"per sample, W has shape {tuple(W.shape)}"
        )
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b must have one entry per output (W has {W.shape[1]}), got shape {tuple(b.shape)}")
    return X, W, b


# --- the sigmoid ---------------------------------------------------------------------------------


def sigmoid_forward(z):
    """a = σ(z) elementwise; returns (a, cache) with cache = a, all that the backward pass needs."""
    a = sigmoid(z)
    return a, a


def sigmoid_backward(dout, cache):
    """dL/dz = dout ⊙ σ(z)(1 − σ(z)), with σ(z) read from the cache of `sigmoid_forward`.

    Parameters
    ----------
    dout : array of any shape, dL/da
    cache : array of the same shape, a = σ(z) (the forward output, not z)

    Returns
    -------
    array of dout's shape and dtype
    """
    dout, a = as_float_array(dout, "dout"), as_float_array(cache, "cache")
    if tuple(dout.shape) != tuple(a.shape):
        raise ValueError(
            f"dout and cache must have the same shape, got {tuple(dout.shape)} and {tuple(a.shape)}"
        )
    return dout * a * (1.0 - a)


# --- the XOR network: two dense layers with sigmoids and the binary cross-entropy ------------


def two_layer_forward(X, W1, b1, W2, b2):
    """H = σ(X W1 + b1), ŷ = σ(H W2 + b2); returns (ŷ of shape (N, 1), caches for the backward pass)."""
    z1, dense1 = dense_forward(X, W1, b1)
    H, sigmoid1 = sigmoid_forward(z1)
    z2, dense2 = dense_forward(H, W2, b2)
    y_hat, _ = sigmoid_forward(z2)
    return y_hat, (dense1, sigmoid1, dense2, z2)


def two_layer_backward(X, y, W1, b1, W2, b2):
    """Loss and gradients of a 2-layer sigmoid network with the mean binary cross-entropy.

    Forward: H = σ(X W1 + b1), ŷ = σ(z2) with z2 = H W2 + b2, L = −mean(y log ŷ + (1 − y) log(1 − ŷ)).
    Backward: dz2 = (ŷ − y) / N (sigmoid and cross-entropy together), then dense_backward,
    sigmoid_backward and dense_backward again.

    Parameters
    ----------
    X : array (N, D), inputs
    y : array (N, 1), labels 0 or 1 (shape (N,) is read as a column)
    W1 : array (D, H), b1 : array (H,), W2 : array (H, 1), b2 : array (1,)

    Returns
    -------
    loss : float
    dW1, db1, dW2, db2 : arrays of the shapes of W1, b1, W2, b2
    """
    y_hat, (dense1, sigmoid1, dense2, z2) = two_layer_forward(X, W1, b1, W2, b2)
    if y_hat.shape[1] != 1:
        raise ValueError(f"W2 must have one column (one output unit), got shape {tuple(W2.shape)}")
    y = as_float_array(y, "y")
    xp = namespace(y_hat, y)
    if tuple(y.shape) == (y_hat.shape[0],):
        y = xp.reshape(y, (-1, 1))
    loss = float(binary_cross_entropy_with_logits(y, z2))  # checks y: 0/1 labels of ŷ's shape
    dz2 = (y_hat - y) / y_hat.shape[0]
    dH, dW2, db2 = dense_backward(dz2, dense2)
    dz1 = sigmoid_backward(dH, sigmoid1)
    _, dW1, db1 = dense_backward(dz1, dense1)
    return loss, dW1, db1, dW2, db2


# --- the lecture's small graphs --------------------------------------------------------------


def graph_forward_backward(w, b, x, y):
    """Forward and backward pass through ŷ = w·x + b, e = ŷ − y, L = e².

    All arguments are numbers. Returns (y_hat, e, L, dL_dw, dL_db) as floats; dL/de = 2e is
    computed once and shared by both gradients: dL/dw = 2e·x, dL/db = 2e.
    """
    w, b, x, y = (_number(value, name) for value, name in ((w, "w"), (b, "b"), (x, "x"), (y, "y")))
    y_hat = w * x + b
    e = y_hat - y
    loss = e * e
    dL_de = 2.0 * e  # shared by both paths
    return y_hat, e, loss, dL_de * x, dL_de


def dag_forward_backward(X, w1, w2, y):
    """The lecture's DAG, where w1 is used twice: z1 = w1·X, z2 = w2·(z1 + X), ŷ = w1·(z1 + z2), L = (ŷ − y)².

    All arguments are numbers. Returns (y_hat, L, dL_dw1, dL_dw2) as floats. The gradient of
    the shared w1 is the sum over its two uses: the direct one in ŷ (∂ŷ/∂w1 = z1 + z2, z's
    held fixed) and the one through z1 (which reaches ŷ directly and through z2):
    dŷ/dw1 = (z1 + z2) + w1·(1 + w2)·X.
    """
    X, w1, w2, y = (_number(value, name) for value, name in ((X, "X"), (w1, "w1"), (w2, "w2"), (y, "y")))
    z1 = w1 * X
    z2 = w2 * (z1 + X)
    y_hat = w1 * (z1 + z2)
    loss = (y_hat - y) ** 2
    dL_dyhat = 2.0 * (y_hat - y)
    dL_dz2 = dL_dyhat * w1
    dL_dz1 = dL_dyhat * w1 + dL_dz2 * w2  # z1 reaches ŷ directly and through z2
    dL_dw1 = dL_dyhat * (z1 + z2) + dL_dz1 * X  # the direct use of w1 in ŷ, plus its use in z1
    dL_dw2 = dL_dz2 * (z1 + X)
    return y_hat, loss, dL_dw1, dL_dw2


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    return float(value)
