"""Weight initialisation: normal, uniform ±1/√fan_in, Xavier/Glorot and He.

A weight of a dense layer has shape (fan_in, fan_out): it maps fan_in inputs to
fan_out outputs. Each scheme picks the spread of the random draws so that the
variance of the signal (forward) or of the gradient (backward) neither shrinks
nor grows from layer to layer:

=================  ===========================================  ==================
scheme             distribution                                 variance
=================  ===========================================  ==================
normal             N(0, std²)                                   std²
uniform_fan_in     U(−1/√fan_in, 1/√fan_in)                     1 / (3 fan_in)
xavier_normal      N(0, 2 / (fan_in + fan_out))                 2 / (fan_in + fan_out)
xavier_uniform     U(−a, a), a = √(6 / (fan_in + fan_out))      2 / (fan_in + fan_out)
he_normal          N(0, 2 / fan_in)                             2 / fan_in
he_uniform         U(−a, a), a = √(6 / fan_in)                  2 / fan_in
=================  ===========================================  ==================

Xavier (Glorot & Bengio, 2010) suits tanh and sigmoid; He (He et al., 2015)
suits ReLU and its relatives, which zero half of their inputs. Every draw comes
from the ``rng`` passed (a `numpy.random.Generator`, an int seed or None), is made
on the host once and is then moved to the current backend with
`dlkit.backend.asarray`.

Examples
--------
>>> W = he_normal((512, 256), rng=0)
>>> W.shape, round(float(W.std()), 2), round((2 / 512) ** 0.5, 2)
((512, 256), 0.06, 0.06)
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_generator, check_option, check_positive, describe
from .backend import asarray


def _check_shape(shape, ndim=None) -> tuple:
    """`shape` as a tuple of ints >= 1 (an int n is the shape (n,)); of length `ndim` when given."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of ints, got {describe(shape)}")
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"shape must be a tuple of ints, got {describe(n)} in {tuple(shape)}")
    shape = tuple(int(n) for n in shape)
    if not all(n > 0 for n in shape):
        raise ValueError(f"shape must be a tuple of positive ints, got {shape}")
    if ndim is not None and len(shape) != ndim:
        raise ValueError(f"shape must be (fan_in, fan_out), got {shape}")
    return shape


def _fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (fan_in, fan_out)."""
    fan_in, fan_out = _check_shape(shape, ndim=2)
    return int(fan_in), int(fan_out)


def _to_backend(values: np.ndarray, dtype):
    if not isinstance(dtype, str):
        try:
            dtype = np.dtype(dtype).name  # np.float32 -> "float32"
        except TypeError:
            raise TypeError(f"dtype must be 'float64' or 'float32', got {describe(dtype)}") from None
    check_option(dtype, ("float32", "float64"), "dtype")
    return asarray(values.astype(dtype), dtype=dtype)


def normal(shape, std=0.01, rng=None, dtype="float64"):
    """Draws from N(0, std²).

    Parameters
    ----------
    shape : tuple of int
        Any number of sizes >= 1 (an int n is the shape (n,)).
    std : float
        The standard deviation, > 0.
    rng : numpy.random.Generator, int or None
        The draws' source: a Generator, a seed, or None for fresh entropy.
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape `shape`
        On the current backend.
    """
    shape = _check_shape(shape)
    check_positive(std, "std")
    return _to_backend(std * as_generator(rng).standard_normal(shape), dtype)


def _uniform(shape, bound, rng, dtype):
    return _to_backend(as_generator(rng).uniform(-bound, bound, size=shape), dtype)


def uniform_fan_in(shape, rng=None, dtype="float64"):
    """Draws from U(−1/√fan_in, 1/√fan_in) for a weight of shape (fan_in, fan_out).

    Parameters
    ----------
    shape : (int, int)
        (fan_in, fan_out).
    rng : numpy.random.Generator, int or None
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape (fan_in, fan_out)
    """
    fan_in, _ = _fans(shape)
    return _uniform(shape, 1.0 / math.sqrt(fan_in), rng, dtype)


def xavier_normal(shape, rng=None, dtype="float64"):
    """Xavier/Glorot normal: N(0, 2 / (fan_in + fan_out)) for a weight of shape (fan_in, fan_out).

    Parameters
    ----------
    shape : (int, int)
        (fan_in, fan_out).
    rng : numpy.random.Generator, int or None
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape (fan_in, fan_out)
    """
    fan_in, fan_out = _fans(shape)
    return normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def xavier_uniform(shape, rng=None, dtype="float64"):
    """Xavier/Glorot uniform: U(−a, a), a = √(6 / (fan_in + fan_out)); the variance of xavier_normal.

    Parameters
    ----------
    shape : (int, int)
        (fan_in, fan_out).
    rng : numpy.random.Generator, int or None
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape (fan_in, fan_out)
    """
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def he_normal(shape, rng=None, dtype="float64"):
    """He (Kaiming) normal: N(0, 2 / fan_in) for a weight of shape (fan_in, fan_out).

    Parameters
    ----------
    shape : (int, int)
        (fan_in, fan_out).
    rng : numpy.random.Generator, int or None
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape (fan_in, fan_out)
    """
    fan_in, _ = _fans(shape)
    return normal(shape, math.sqrt(2.0 / fan_in), rng, dtype)


def he_uniform(shape, rng=None, dtype="float64"):
    """He (Kaiming) uniform: U(−a, a) with a = √(6 / fan_in), the same variance as he_normal.

    Parameters
    ----------
    shape : (int, int)
        (fan_in, fan_out).
    rng : numpy.random.Generator, int or None
    dtype : {"float64", "float32"}

    Returns
    -------
    array of shape (fan_in, fan_out)
    """
    fan_in, _ = _fans(shape)
    return _uniform(shape, math.sqrt(6.0 / fan_in), rng, dtype)


# The names Dense and MLP accept. Each paper's own choice: Glorot & Bengio proposed
# the uniform form, He et al. the normal one.
INITIALIZERS = {
    "xavier": xavier_uniform,
    "he": he_normal,
    "normal": normal,
    "uniform": uniform_fan_in,
}


def get(name: str):
    """The initialiser called `name`, as Dense and MLP take it.

    Parameters
    ----------
    name : {"xavier", "he", "normal", "uniform"}
        "xavier" is xavier_uniform, "he" is he_normal, "normal" is normal with std 0.01 and
        "uniform" is uniform_fan_in.

    Returns
    -------
    function
        (shape, rng=None, dtype="float64") -> array of `shape`.
    """
    check_option(name, tuple(INITIALIZERS), "init")
    return INITIALIZERS[name]
