"""Small generated data sets for the course: nothing is downloaded, everything comes from a seed.

Every classification set returns ``X`` of shape (n, d) and dtype float64 and ``y`` of
shape (n,) and dtype int64; `regression` returns a float64 ``y``. Randomness comes only
from ``rng``: a ``numpy.random.Generator``, an int seed, or None for fresh entropy, so
the same seed gives the same data. Points are returned in random order, so the first
rows are not all of one class.

Examples
--------
>>> X, y = xor(200, noise=0.1, rng=0)
>>> X.shape, X.dtype, y.shape, y.dtype
((200, 2), dtype('float64'), (200,), dtype('int64'))
>>> [int(count) for count in np.bincount(y)]
[100, 100]
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import (
    as_float_array,
    as_generator,
    check_count,
    check_finite,
    check_ndim,
    check_option,
    check_positive,
    describe,
)
from .backend import to_numpy

# Truth tables for the inputs (0, 0), (0, 1), (1, 0), (1, 1), in that order.
GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Labels 0..n_classes-1, as equal in number as n allows, in random order; shape (n,)."""
    return rng.permutation(np.arange(n, dtype=np.int64) % n_classes)


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input logic gate.

    Parameters
    ----------
    name : {"and", "or", "nand", "nor", "xor"}
        Case does not matter.

    Returns
    -------
    X : float64 array of shape (4, 2)
        The inputs (0, 0), (0, 1), (1, 0), (1, 1), in that order.
    y : int64 array of shape (4,)
        The gate's output for each input.

    Examples
    --------
    >>> X, y = logic_gate("and")
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 0, 0, 1])
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'and', got {describe(name)}")
    check_option(name.lower(), tuple(GATES), "logic gate")
    return _CORNERS.copy(), np.array(GATES[name.lower()], dtype=np.int64)


def xor(n: int = 200, noise: float = 0.1, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Noisy copies of the four corners of the unit square, labelled with XOR.

    Each point is a corner (a, b) with a, b in {0, 1} (each corner used n/4 times, up to
    rounding) plus Gaussian noise of standard deviation `noise` in each coordinate; its
    label is a XOR b, so (0, 1) and (1, 0) are class 1, (0, 0) and (1, 1) class 0.

    Parameters
    ----------
    n : int
        The number of points, >= 1.
    noise : float
        The standard deviation of the noise, >= 0.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, 2)
    y : int64 array of shape (n,)
        Labels 0 and 1.
    """
    check_count(n, "n")
    check_positive(noise, "noise", allow_zero=True)
    rng = as_generator(rng)
    corner = _balanced_labels(n, 4, rng)
    X = _CORNERS[corner] + noise * rng.standard_normal((n, 2))
    y = np.array(GATES["xor"], dtype=np.int64)[corner]
    return X, y


def blobs(n: int = 200, centers=2, std: float = 1.0, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one class per cluster.

    Parameters
    ----------
    n : int
        The number of points, shared as equally as possible among the clusters.
    centers : int or array of shape (k, d)
        k (k centres drawn uniformly in the square [-5, 5]², so d = 2), or the centres.
    std : float
        The standard deviation of every cluster in every coordinate, >= 0.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, d)
    y : int64 array of shape (n,)
        The index of each point's cluster, in 0 … k−1.
    """
    check_count(n, "n")
    check_positive(std, "std", allow_zero=True)
    rng = as_generator(rng)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        check_count(centers, "centers")
        centers = rng.uniform(-5.0, 5.0, size=(int(centers), 2))
    else:
        centers = to_numpy(as_float_array(centers, "centers")).astype(np.float64)
        check_ndim(centers, 2, "centers")
        check_finite(centers, "centers")
        if centers.shape[0] == 0:
            raise ValueError("centers must hold at least one centre, got shape (0, d)")
    y = _balanced_labels(n, centers.shape[0], rng)
    X = centers[y] + std * rng.standard_normal((n, centers.shape[1]))
    return X, y


def moons(n: int = 200, noise: float = 0.1, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0 lies on the upper half of the unit circle, (cos t, sin t) with t in [0, π];
    class 1 on the lower half circle (1 − cos t, 0.5 − sin t), shifted so the two hook into
    each other. t is uniform; Gaussian noise of standard deviation `noise` is added to
    each coordinate.

    Parameters
    ----------
    n : int
        The number of points, >= 1.
    noise : float
        The standard deviation of the noise, >= 0.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, 2)
    y : int64 array of shape (n,)
        Labels 0 and 1.
    """
    check_count(n, "n")
    check_positive(noise, "noise", allow_zero=True)
    rng = as_generator(rng)
    y = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, math.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where((y == 0)[:, None], upper, lower) + noise * rng.standard_normal((n, 2))
    return X, y


def circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the unit circle, class 1 on the circle of radius `factor`.

    Angles are uniform; Gaussian noise of standard deviation `noise` is added to each
    coordinate. No line separates the classes; the squared radius x1² + x2² does.

    Parameters
    ----------
    n : int
        The number of points, >= 1.
    noise : float
        The standard deviation of the noise, >= 0.
    factor : float
        The inner radius over the outer one, in (0, 1).
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, 2)
    y : int64 array of shape (n,)
        Labels 0 and 1.
    """
    check_count(n, "n")
    check_positive(noise, "noise", allow_zero=True)
    check_positive(factor, "factor")
    if factor >= 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor}")
    rng = as_generator(rng)
    y = _balanced_labels(n, 2, rng)
    angle = rng.uniform(0.0, 2.0 * math.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def spirals(n: int = 300, n_classes: int = 3, noise: float = 0.05, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class per arm.

    A point of class k at radius r (uniform in [0, 1]) has angle θ = 2πk / n_classes + 4r,
    so each arm turns by 4 radians from the centre outwards: X = r (cos θ, sin θ) plus
    Gaussian noise of standard deviation `noise` in each coordinate.

    Parameters
    ----------
    n : int
        The number of points, >= 1.
    n_classes : int
        The number of arms, >= 1.
    noise : float
        The standard deviation of the noise, >= 0.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, 2)
    y : int64 array of shape (n,)
        Labels 0 … n_classes − 1.
    """
    check_count(n, "n")
    check_count(n_classes, "n_classes")
    check_positive(noise, "noise", allow_zero=True)
    rng = as_generator(rng)
    y = _balanced_labels(n, n_classes, rng)
    r = rng.uniform(0.0, 1.0, size=n)
    theta = 2.0 * math.pi * y / n_classes + 4.0 * r
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def pass_the_class(n: int = 100, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Will I pass this class? Lectures attended and hours of study, labelled pass (1) or fail (0).

    The generating rule (a student can check what a model learns against it):

    - x1, lectures attended: an integer drawn uniformly from 0..20 (stored as float);
    - x2, hours of study: uniform in [0, 15];
    - pass (y = 1) when x1 + 2·x2 + ε > 25, with ε ~ N(0, 2²) a student's luck on the day.

    Without ε the classes would be split exactly by the line x1 + 2·x2 = 25; with it about
    5 % of the points land on the "wrong" side, so a perceptron learns the rule mostly but
    never makes zero mistakes.

    Parameters
    ----------
    n : int
        The number of students, >= 1.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.

    Returns
    -------
    X : float64 array of shape (n, 2)
        Columns (lectures attended, hours of study).
    y : int64 array of shape (n,)
        1 for pass, 0 for fail.
    """
    check_count(n, "n")
    rng = as_generator(rng)
    lectures = rng.integers(0, 21, size=n).astype(np.float64)
    hours = rng.uniform(0.0, 15.0, size=n)
    luck = 2.0 * rng.standard_normal(n)
    y = (lectures + 2.0 * hours + luck > 25.0).astype(np.int64)
    return np.stack([lectures, hours], axis=1), y


def regression(
    n: int = 100, noise: float = 0.1, rng=None, n_features: int = 1, coef=None, bias: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy linear regression problem: y = X @ coef + bias + ε.

    Parameters
    ----------
    n : int
        The number of samples, >= 1.
    noise : float
        The standard deviation of the Gaussian noise ε added to every target, >= 0.
    rng : numpy.random.Generator, int or None
        The source of every random draw: a Generator, a seed, or None for fresh entropy.
    n_features : int
        d, the number of input features (ignored when `coef` is given).
    coef : array of shape (d,) or None
        The true weights; drawn from N(0, 1) when None (pass them to know them).
    bias : float
        The true intercept.

    Returns
    -------
    X : float64 array of shape (n, d)
        Uniform in [-1, 1].
    y : float64 array of shape (n,)
        The targets.

    Examples
    --------
    >>> X, y = regression(1000, noise=0.0, rng=0, coef=[2.0, -1.0], bias=0.5)
    >>> bool(np.allclose(y, X @ [2.0, -1.0] + 0.5))
    True
    """
    check_count(n, "n")
    check_positive(noise, "noise", allow_zero=True)
    rng = as_generator(rng)
    if coef is None:
        check_count(n_features, "n_features")
        coef = rng.standard_normal(n_features)
    else:
        coef = to_numpy(as_float_array(coef, "coef")).astype(np.float64)
        check_ndim(coef, 1, "coef")
        check_finite(coef, "coef")
    X = rng.uniform(-1.0, 1.0, size=(n, coef.shape[0]))
    y = X @ coef + float(bias) + noise * rng.standard_normal(n)
    return X, y
