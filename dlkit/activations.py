"""Activation functions g(z) and their derivatives g'(z).

Every function takes an array `z` of any shape and backend and returns an array
of the same shape and floating dtype (float32 stays float32; integers and
booleans become float64). Each activation ``f`` has a twin ``f_grad`` with the
elementwise derivative, so a layer's backward pass is ``dout * f_grad(z)``.
Softmax is the exception: each output depends on every input of its slice, so
its backward pass is `softmax_backward`, a Jacobian-vector product.

At the kinks we follow the lecture notes: step(0) = 0, and the derivative of
relu, leaky_relu and elu at 0 is the left-hand one.

`get` looks an activation up by name ("relu", "sigmoid", ...) for the modules
that accept one as a string.

Examples
--------
>>> import numpy as np
>>> z = np.array([-2.0, 0.0, 3.0])
>>> relu(z), relu_grad(z)
(array([0., 0., 3.]), array([0., 0., 1.]))
>>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))   # no overflow at |z| = 1000
array([0. , 0.5, 1. ])
"""

from __future__ import annotations

import math

from ._validation import as_float_array, check_bool, check_option, check_positive, check_same_shape, describe
from .backend import erf, namespace

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715  # the coefficient of x³ in GELU's tanh approximation


def identity(z):
    """g(z) = z, the output function for regression.

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        z itself as a floating array, of z's shape.
    """
    return as_float_array(z, "z")


def identity_grad(z):
    """g'(z) = 1.

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        Ones of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    return namespace(z).ones_like(z)


def step(z):
    """Heaviside step: 1 where z > 0, else 0 (so step(0) = 0), the perceptron's output function.

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        0.0 and 1.0, of z's shape and floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> step(np.array([-0.5, 0.0, 0.5]))
    array([0., 0., 1.])
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    return xp.astype(z > 0, z.dtype)


def step_grad(z):
    """0 everywhere (undefined at 0): the reason a step network cannot learn by gradient descent.

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        Zeros of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    return namespace(z).zeros_like(z)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), with values in (0, 1).

    Computed from e^(−|z|) ≤ 1, which never overflows: for z ≥ 0 as 1 / (1 + e^(−z)),
    for z < 0 as e^z / (1 + e^z). sigmoid(±1000) is exactly 1 or 0, without warnings.

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        σ(z), of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    """σ'(z) = σ(z)(1 − σ(z)), at most 0.25 (at z = 0).

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        σ'(z), of z's shape and floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid_grad(np.array([0.0, 10.0]))    # saturation: almost no gradient at z = 10
    array([2.5e-01, 4.5e-05])
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)) = 2σ(2z) − 1, with values in (−1, 1).

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        tanh(z), of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    return namespace(z).tanh(z)


def tanh_grad(z):
    """tanh'(z) = 1 − tanh²(z), at most 1 (at z = 0).

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        tanh'(z), of z's shape and floating dtype.
    """
    t = tanh(z)
    return 1.0 - t * t


def relu(z):
    """ReLU: max(0, z) (NaN stays NaN).

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        max(0, z), of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    return xp.maximum(z, xp.zeros_like(z))  # several times faster than xp.where on NumPy


def relu_grad(z):
    """ReLU'(z): 1 where z > 0, else 0 (0 at z = 0).

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array
        0.0 and 1.0, of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    return xp.astype(z > 0, z.dtype)


def leaky_relu(z, beta=0.01):
    """Leaky ReLU: z where z > 0, else beta·z.

    Parameters
    ----------
    z : array of any shape
    beta : float
        The slope for negative z, >= 0.

    Returns
    -------
    array
        Of z's shape and floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu(np.array([-2.0, 3.0]), beta=0.1)
    array([-0.2,  3. ])
    """
    z = as_float_array(z, "z")
    beta = _slope(beta, "beta")
    xp = namespace(z)
    return xp.where(z > 0, z, beta * z)


def leaky_relu_grad(z, beta=0.01):
    """Leaky ReLU's derivative: 1 where z > 0, else beta.

    Parameters
    ----------
    z : array of any shape
    beta : float
        The slope for negative z, >= 0.

    Returns
    -------
    array
        Of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    beta = _slope(beta, "beta")
    xp = namespace(z)
    return xp.where(z > 0, xp.ones_like(z), xp.full_like(z, beta))


def elu(z, alpha=1.0):
    """ELU: z where z > 0, else alpha·(e^z − 1), which tends to −alpha as z → −∞.

    Parameters
    ----------
    z : array of any shape
    alpha : float
        The value ELU approaches for very negative z is −alpha; alpha >= 0.

    Returns
    -------
    array
        Of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    alpha = _slope(alpha, "alpha")
    xp = namespace(z)
    # Both branches of where are evaluated: feed exp only the non-positive part so z = 1000 cannot overflow.
    z_neg = xp.minimum(z, xp.zeros_like(z))
    return xp.where(z > 0, z, alpha * xp.expm1(z_neg))


def elu_grad(z, alpha=1.0):
    """ELU's derivative: 1 where z > 0, else alpha·e^z.

    Parameters
    ----------
    z : array of any shape
    alpha : float
        As for `elu`, >= 0.

    Returns
    -------
    array
        Of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    alpha = _slope(alpha, "alpha")
    xp = namespace(z)
    z_neg = xp.minimum(z, xp.zeros_like(z))
    return xp.where(z > 0, xp.ones_like(z), alpha * xp.exp(z_neg))


def gelu(z, approximate=False):
    """GELU: z·Φ(z), with Φ the standard normal CDF, Φ(z) = ½(1 + erf(z/√2)).

    Parameters
    ----------
    z : array of any shape
    approximate : bool
        Use the tanh form ½z(1 + tanh(√(2/π)(z + 0.044715z³))) instead of erf.

    Returns
    -------
    array
        Of z's shape and floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> gelu(np.array([-1.0, 0.0, 1.0])).round(4)
    array([-0.1587,  0.    ,  0.8413])
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    if check_bool(approximate, "approximate"):
        u = _SQRT_2_OVER_PI * (z + _GELU_CUBIC * z * z * z)
        return 0.5 * z * (1.0 + xp.tanh(u))
    return 0.5 * z * (1.0 + erf(z / _SQRT_2))


def gelu_grad(z, approximate=False):
    """GELU'(z) = Φ(z) + z·φ(z), with φ(z) = e^(−z²/2)/√(2π) the standard normal density.

    With approximate=True, the derivative of the tanh form: with u = √(2/π)(z + 0.044715z³)
    and t = tanh(u), ½(1 + t) + ½z(1 − t²)·√(2/π)(1 + 3·0.044715z²).

    Parameters
    ----------
    z : array of any shape
    approximate : bool
        Differentiate the tanh form instead of the erf form.

    Returns
    -------
    array
        Of z's shape and floating dtype.
    """
    z = as_float_array(z, "z")
    xp = namespace(z)
    if check_bool(approximate, "approximate"):
        u = _SQRT_2_OVER_PI * (z + _GELU_CUBIC * z * z * z)
        t = xp.tanh(u)
        du_dz = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * z * z)
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du_dz
    cdf = 0.5 * (1.0 + erf(z / _SQRT_2))
    pdf = _INV_SQRT_2PI * xp.exp(-0.5 * z * z)
    return cdf + z * pdf


def softmax(z, axis=-1):
    """softmax(z)_i = e^(z_i) / Σ_j e^(z_j) along `axis`: each slice is a probability vector.

    Subtracting the slice's maximum first changes nothing mathematically (softmax is invariant
    to adding a constant) and keeps every exponent ≤ 0, so large logits cannot overflow.

    Parameters
    ----------
    z : array of at least one dimension, e.g. logits of shape (n, C)
    axis : int
        The axis along which the entries sum to 1 (the last by default: one row per sample).

    Returns
    -------
    array
        Of z's shape and floating dtype, entries in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]])
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError(
            "z must have at least one dimension (softmax normalises along an axis), got a scalar"
        )
    _check_axis(axis, z)
    xp = namespace(z)
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def softmax_grad(z, axis=-1):
    """The diagonal of softmax's Jacobian, ∂s_i/∂z_i = s_i(1 − s_i).

    This is *not* enough for backpropagation: ∂s_i/∂z_j = −s_i s_j for i ≠ j is not zero.
    Use `softmax_backward` for a layer's backward pass.

    Parameters
    ----------
    z : array of at least one dimension
    axis : int
        As for `softmax`.

    Returns
    -------
    array
        Of z's shape and floating dtype.
    """
    s = softmax(z, axis=axis)
    return s * (1.0 - s)


def softmax_backward(dout, s, axis=-1):
    """The gradient dL/dz given dout = dL/ds and the softmax output s = softmax(z).

    The Jacobian is ∂s_i/∂z_j = s_i(δ_ij − s_j), so dL/dz = s ⊙ (dout − Σ_j dout_j s_j),
    the sum taken along `axis`.

    Parameters
    ----------
    dout : array, e.g. of shape (n, C)
        dL/ds.
    s : array of dout's shape
        The softmax output of the forward pass.
    axis : int
        The axis softmax normalised along.

    Returns
    -------
    array
        dL/dz, of dout's shape.

    Examples
    --------
    A loss that depends on s only through Σ s = 1 has no gradient:

    >>> import numpy as np
    >>> s = softmax(np.array([[1.0, 2.0, 3.0]]))
    >>> softmax_backward(np.ones((1, 3)), s).round(12)
    array([[0., 0., 0.]])
    """
    dout = as_float_array(dout, "dout")
    s = as_float_array(s, "s")
    check_same_shape(dout, s, "dout", "s")
    _check_axis(axis, s)
    xp = namespace(dout, s)
    return s * (dout - xp.sum(dout * s, axis=axis, keepdims=True))


def _slope(value, name):
    # A Python float keeps float32 arrays float32 (a NumPy float64 scalar would promote them).
    return check_positive(value, name, allow_zero=True)


def _check_axis(axis, z) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"axis must be an int, got {describe(axis)}")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be in -{z.ndim} … {z.ndim - 1} for an array of shape {tuple(z.shape)}, "
                         f"got {axis}")


ACTIVATIONS = {
    "identity": (identity, identity_grad),
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
    "softmax": (softmax, softmax_grad),
}


def get(name):
    """The pair (f, f_grad) for an activation name; parameters take their defaults.

    For "softmax", f_grad is only the Jacobian's diagonal: backpropagate with `softmax_backward`.

    Parameters
    ----------
    name : str
        A key of ``ACTIVATIONS``: "identity", "step", "sigmoid", "tanh", "relu", "leaky_relu",
        "elu", "gelu" or "softmax".

    Returns
    -------
    (function, function)
        f(z) and f_grad(z).
    """
    check_option(name, tuple(ACTIVATIONS), "activation")
    return ACTIVATIONS[name]
