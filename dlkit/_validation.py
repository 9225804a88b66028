"""Input checks shared by dlkit's public functions.

Each check raises a ValueError or TypeError that names the argument, what was
expected and what came, in the style of scikit-learn's validation messages.
Inside dlkit, code trusts inputs that passed these checks.
"""

from __future__ import annotations

import numpy as np

from .backend import namespace


def as_array(x, name: str = "x"):
    """`x` as an array: arrays of any backend pass through; lists and scalars become NumPy."""
    if type(x) is np.ndarray and x.dtype.kind in "biuf":
        return x  # the common case, checked first: this runs on every activation call
    if isinstance(x, np.ndarray) or hasattr(x, "__array_namespace__") or type(x).__module__.startswith(
        ("torch", "cupy", "array_api_strict")
    ):
        array = x
    else:
        try:
            array = np.asarray(x)
        except (ValueError, TypeError) as error:
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}: {error}") from None
    xp = namespace(array)
    if not xp.isdtype(array.dtype, ("bool", "numeric")):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array


def as_float_array(x, name: str = "x"):
    """`x` as a floating-point array; integers and booleans become the default float (float64)."""
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return x  # the common case, checked first: this runs on every activation call
    array = as_array(x, name)
    xp = namespace(array)
    if xp.isdtype(array.dtype, "complex floating"):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if not xp.isdtype(array.dtype, "real floating"):
        array = xp.astype(array, xp.float64)
    return array


def check_finite(x, name: str = "x") -> None:
    """Raise ValueError when `x` holds NaN or ±inf."""
    xp = namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        n_bad = int(xp.sum(xp.astype(~xp.isfinite(x), xp.int64)))
        raise ValueError(f"{name} must be finite, got {n_bad} NaN or infinite value(s)")


def check_ndim(x, ndims, name: str = "x") -> None:
    """Raise ValueError unless `x.ndim` is one of `ndims` (an int or a tuple of ints)."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in ndims:
        wanted = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {wanted}, got a {x.ndim}-D array of shape {tuple(x.shape)}")


def check_same_shape(a, b, name_a: str = "y_true", name_b: str = "y_pred") -> None:
    """Raise ValueError unless `a` and `b` have exactly the same shape (no silent broadcasting)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def check_option(value, options, name: str) -> None:
    """Raise ValueError unless `value` is one of `options`, listing them."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"unknown {name} {value!r}; expected one of {listed}")


def check_positive(value, name: str, allow_zero: bool = False) -> None:
    """Raise ValueError unless `value` is a number > 0 (or >= 0 with allow_zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")


def check_count(value, name: str, allow_zero: bool = False) -> None:
    """Raise TypeError unless `value` is an int (not a bool), ValueError unless > 0 (>= 0 with allow_zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    check_positive(value, name, allow_zero=allow_zero)
