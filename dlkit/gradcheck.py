"""Gradient checking: compare a backward pass with centred finite differences.

A correct backward pass agrees with the numerical gradient to a relative error
of about 1e-8 or smaller in float64; 1e-4 or more means a bug (a missing term, a
wrong transpose, a factor of N twice). Gradients are only checked in float64:
with h = 1e-5, float32's rounding error (about 1e-7 · |f| / h) swamps the signal.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, -2.0, 3.0])
>>> numerical = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
>>> relative_error(numerical, 3 * x ** 2) < 1e-9
True
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from ._validation import as_float_array, check_positive, describe
from .backend import namespace, to_numpy


def numerical_derivative(f, x, h=1e-5):
    """The derivative of a function of one number at x by centred differences, (f(x + h) − f(x − h)) / 2h.

    f: a function of a number returning a number. x: a number; h: the step, a number > 0.
    Returns a float. The truncation error is h²·f‴(x)/6 + O(h⁴), against h·f″(x)/2 + O(h²) for
    the forward difference (f(x + h) − f(x)) / h; rounding adds about ε·|f| / h, so h = 1e-5
    is a good default in float64.
    """
    x = _real(x, "x")
    h = _real(h, "h")
    if not h > 0:
        raise ValueError(f"h must be > 0, got {h}")
    return (_scalar(f(x + h)) - _scalar(f(x - h))) / (2.0 * h)


def numerical_gradient(f, x, h=1e-5):
    """The gradient of a scalar function at x by centred differences, (f(x + h·e_i) − f(x − h·e_i)) / 2h.

    The error is O(h²) from truncation plus about ε·|f| / h from rounding: h = 1e-5 balances them.

    Parameters
    ----------
    f : function
        Of the array x, returning a scalar (a number or a 0-d or size-1 array).
    x : float64 array of any shape and backend
        Changed in place, one entry at a time, and restored exactly before returning (so f may
        also read x through a closure, e.g. a layer's weights).
    h : float
        The step, > 0.

    Returns
    -------
    array of x's shape
        ∂f/∂x.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a scalar, got {describe(f)}")
    if not (hasattr(x, "dtype") and hasattr(x, "shape")):
        raise TypeError(f"x must be an array (it is perturbed in place), got {describe(x)}")
    h = check_positive(h, "h")
    xp = namespace(x)
    if x.dtype != xp.float64:
        raise TypeError(f"x must be float64 for a numerical gradient, got dtype {x.dtype}")
    grad = xp.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        original = float(x[index])
        try:
            x[index] = original + h
            f_plus = _scalar(f(x))
            x[index] = original - h
            f_minus = _scalar(f(x))
        finally:
            x[index] = original
        grad[index] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    """max |a − b| / max(|a| + |b|): how far two gradients are apart, relative to their size.

    The maxima run over all entries, so an entry that is nearly zero in both arrays does not
    blow up the error (CS231n's rel_error divides entry by entry). Shapes must match exactly:
    a gradient of shape (1, M) where (M,) was due is a bug, not something to broadcast away.

    Parameters
    ----------
    a, b : arrays of the same shape, any backend

    Returns
    -------
    float
        0 for equal arrays (and for two all-zero arrays), about 1e-8 or less for a correct
        backward pass in float64.
    """
    a = np.asarray(to_numpy(as_float_array(a, "a")), dtype=np.float64)
    b = np.asarray(to_numpy(as_float_array(b, "b")), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b))) / scale


def check_gradients(module, X, loss, y, h=1e-5):
    """Relative errors between a module's backward pass and numerical gradients of loss(y, module(X)).

    The parameters' ``grad`` are left holding the analytic gradients of this one backward pass.

    Parameters
    ----------
    module : dlkit.nn.Module
        forward(X), backward(dout) -> dX, parameters() (float64 Parameters) and zero_grad();
        deterministic (put Dropout in eval mode).
    X : float64 array of shape (n, d)
    loss : loss object
        forward(y_true, y_pred) -> float and backward(), e.g. ``dlkit.losses.MSE()``.
    y : array
        The targets `loss` expects, e.g. of shape (n,) or (n, k).
    h : float
        The step of `numerical_gradient`.

    Returns
    -------
    dict str -> float
        {"input": error of dL/dX, "parameters[0]": error of the first parameter's grad, ...}.

    Examples
    --------
    >>> import numpy as np
    >>> from dlkit import losses, nn
    >>> model = nn.MLP([3, 4, 2], activation="tanh", rng=0)
    >>> X, y = np.random.default_rng(1).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    >>> errors = check_gradients(model, X, losses.CrossEntropy(), y)
    >>> sorted(errors), max(errors.values()) < 1e-7
    (['input', 'parameters[0]', 'parameters[1]', 'parameters[2]', 'parameters[3]'], True)
    """
    for method in ("forward", "backward", "parameters", "zero_grad"):
        if not callable(getattr(module, method, None)):
            raise TypeError(f"module must be a dlkit.nn.Module (with {method}()), got {describe(module)}")
    for method in ("forward", "backward"):
        if not callable(getattr(loss, method, None)):
            raise TypeError(f"loss must be a loss object such as dlkit.losses.MSE() (with {method}()), "
                            f"got {describe(loss)}")
    for i, parameter in enumerate(module.parameters()):
        if parameter.value.dtype != namespace(parameter.value).float64:
            raise TypeError(
                f"parameters[{i}] must be float64 for a gradient check, got {parameter.value.dtype}"
            )
    X = as_float_array(X, "X")
    X = namespace(X).asarray(X, copy=True)  # perturbed in place below; the caller's array stays untouched

    def loss_at(inputs):
        return loss.forward(y, module.forward(inputs))

    module.zero_grad()
    loss_at(X)
    dX = module.backward(loss.backward())
    errors = {"input": relative_error(dX, numerical_gradient(loss_at, X, h))}
    for i, parameter in enumerate(module.parameters()):
        numerical = numerical_gradient(lambda _value: loss_at(X), parameter.value, h)
        errors[f"parameters[{i}]"] = relative_error(parameter.grad, numerical)
    return errors


def _scalar(value):
    if hasattr(value, "shape") and tuple(value.shape) not in ((), (1,)):
        raise ValueError(f"f must return a scalar, got an array of shape {tuple(value.shape)}")
    return float(value)


def _real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    return float(value)
