"""Input checks shared by dlkit's public functions.

One rule everywhere: a wrong *type* raises TypeError, a wrong *value* (out of
range, NaN, wrong shape, unknown option) raises ValueError, and each message
names the argument, what was expected and what came, in the style of
scikit-learn's validation messages::

    epochs must be an int, got float 2.5
    lr must be >= 0, got -0.1
    rng must be a numpy.random.Generator, an int seed or None, got RandomState

Inside dlkit, code trusts inputs that passed these checks.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .backend import namespace


def as_array(x, name: str = "x"):
    """`x` as an array of numbers: arrays of any backend pass through; lists and scalars become NumPy.

    Parameters
    ----------
    x : array of any backend, list or number
    name : str
        The argument's name, for the messages.

    Returns
    -------
    array
        Of x's shape: x itself when it already is an array of numbers (bool, int, float, complex).

    Raises
    ------
    TypeError
        For anything that is not an array of numbers (strings, objects, ragged lists).
    """
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
            raise TypeError(f"{name} must be an array of numbers, got {describe(x)}: {error}") from None
    xp = namespace(array)
    if not xp.isdtype(array.dtype, ("bool", "numeric")):
        came = describe(x) if array is x else f"{describe(x)} (dtype {array.dtype})"
        raise TypeError(f"{name} must be an array of numbers, got {came}")
    return array


def as_float_array(x, name: str = "x"):
    """`x` as a floating-point array; integers and booleans become float64.

    Parameters
    ----------
    x : array of any backend, list or number
    name : str
        The argument's name, for the messages.

    Returns
    -------
    array
        Of x's shape: x itself when it already is a real floating array (float32 stays float32).

    Raises
    ------
    TypeError
        For anything that is not an array of real numbers.

    Examples
    --------
    >>> as_float_array([1, 2]).dtype, as_float_array(np.ones(2, dtype=np.float32)).dtype
    (dtype('float64'), dtype('float32'))
    """
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return x  # the common case, checked first: this runs on every activation call
    array = as_array(x, name)
    xp = namespace(array)
    if xp.isdtype(array.dtype, "complex floating"):
        raise TypeError(f"{name} must be an array of real numbers, got complex dtype {array.dtype}")
    if not xp.isdtype(array.dtype, "real floating"):
        array = xp.astype(array, xp.float64)
    return array


def check_finite(x, name: str = "x") -> None:
    """Raise ValueError when the array `x` (any shape, any backend) holds NaN or ±inf."""
    xp = namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        n_bad = int(xp.sum(xp.astype(~xp.isfinite(x), xp.int64)))
        raise ValueError(f"{name} must be finite, got {n_bad} NaN or infinite value(s)")


def check_ndim(x, ndims, name: str = "x") -> None:
    """Raise ValueError unless the array `x` has `ndims` dimensions (an int, or a tuple of allowed ones)."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in ndims:
        wanted = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {wanted}, got a {x.ndim}-D array of shape {tuple(x.shape)}")


def check_same_shape(a, b, name_a: str = "y_true", name_b: str = "y_pred") -> None:
    """Raise ValueError unless the arrays `a` and `b` have exactly the same shape (no silent broadcasting)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def describe(value) -> str:
    """What came, for an error message: the type, and the value when it is short.

    Examples
    --------
    >>> describe(2.5), describe("fast"), describe(np.zeros((2, 3)))
    ('float 2.5', "str 'fast'", 'ndarray of shape (2, 3) and dtype float64')
    """
    if value is None:
        return "None"
    if isinstance(value, np.generic):
        value = value.item()
        return f"{type(value).__name__} {value!r}" if len(repr(value)) <= 40 else type(value).__name__
    if isinstance(value, (bool, int, float, str)):
        text = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        return f"{type(value).__name__} {text}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, type):
        return f"the class {value.__name__} itself (not an object of it: add parentheses)"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{type(value).__name__} {value.__qualname__}"
    return type(value).__name__


def check_option(value, options, name: str) -> None:
    """Raise ValueError unless `value` is one of `options`, listing them.

    When every option is a string, a value that is not one raises TypeError.

    Examples
    --------
    >>> check_option("glorot", ("xavier", "he"), "init")
    Traceback (most recent call last):
    ...
    ValueError: unknown init 'glorot'; expected one of 'xavier', 'he'
    """
    listed = ", ".join(repr(o) for o in options)
    if all(isinstance(o, str) for o in options) and not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {listed}; got {describe(value)}")
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {listed}")


def check_bool(value, name: str) -> bool:
    """Return `value` as a bool; TypeError unless it is True or False (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """The interval in words: '>= 0', '> 0', '<= 1' or 'in [0, 1)'."""
    if high == math.inf:
        return f"{'>' if low_open else '>='} {low:g}"
    if low == -math.inf:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_number(value, name: str, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Return `value` as a float after checking that it is a real number in the interval.

    Parameters
    ----------
    value : object
        What came.
    name : str
        The argument's name, for the messages.
    low, high : float
        The interval's ends (infinite by default).
    low_open, high_open : bool
        Whether each end is excluded.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        `value` is not a real number (a bool is not one).
    ValueError
        `value` is NaN or outside the interval.

    Examples
    --------
    >>> check_number(0.5, "alpha", 0.0, 1.0, high_open=True)
    0.5
    >>> check_number(1.0, "alpha", 0.0, 1.0, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in [0, 1), got 1.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {describe(value)}")
    number = float(value)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if math.isnan(number) or too_low or too_high:
        raise ValueError(f"{name} must be {_interval(low, high, low_open, high_open)}, got {number!r}")
    return number


def check_positive(value, name: str, allow_zero: bool = False) -> float:
    """Return `value` as a float; TypeError unless a number, ValueError unless > 0 (>= 0 with allow_zero)."""
    return check_number(value, name, 0.0, low_open=not allow_zero)


def check_count(value, name: str, allow_zero: bool = False) -> int:
    """Return `value` as an int: TypeError unless an int (not a bool), ValueError unless >= 1 (or >= 0).

    ``allow_zero=True`` accepts 0.

    Examples
    --------
    >>> check_count(2.5, "epochs")
    Traceback (most recent call last):
    ...
    TypeError: epochs must be an int, got float 2.5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    minimum = 0 if allow_zero else 1
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {int(value)}")
    return int(value)


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """The one rule for every ``rng=`` argument: a Generator, an int seed or None.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A Generator is used as it is (its state advances with every draw); an int
        >= 0 seeds a new one, so the same seed gives the same draws; None gives a
        fresh one seeded from the operating system (a different run every time).
    name : str
        The argument's name, for the messages.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        Anything else: a float, a legacy ``numpy.random.RandomState``, a string...
    ValueError
        A negative seed.

    Examples
    --------
    >>> a, b = as_generator(0), as_generator(0)
    >>> bool(a.random() == b.random())
    True
    >>> as_generator(0.5)
    Traceback (most recent call last):
    ...
    TypeError: rng must be a numpy.random.Generator, an int seed or None, got float 0.5
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{name} must be a seed >= 0 (or a Generator or None), got {int(rng)}")
        return np.random.default_rng(int(rng))
    legacy = isinstance(rng, np.random.RandomState)
    hint = " (the legacy generator: use np.random.default_rng(seed) instead)" if legacy else ""
    expected = "a numpy.random.Generator, an int seed or None"
    raise TypeError(f"{name} must be {expected}, got {describe(rng)}{hint}")
