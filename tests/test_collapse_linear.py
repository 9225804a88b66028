"""dlkit.nn.collapse_linear: two dense layers without an activation are one dense layer (notebook 02)."""

import numpy as np
import pytest

from dlkit import nn
from dlkit.backend import asarray, to_numpy, use_backend


def _layer(W, b):
    """A Dense layer holding the given W and b."""
    layer = nn.Dense(W.shape[0], W.shape[1], dtype=str(W.dtype))
    layer.W.value[...] = W
    layer.b.value[...] = b
    return layer


@pytest.mark.parametrize(("d", "h", "m"), [(1, 1, 1), (4, 3, 2), (2, 7, 5)])
def test_the_collapsed_layer_computes_what_two_dense_layers_compute(d, h, m):
    rng = np.random.default_rng(d * 100 + h * 10 + m)
    W1, b1, W2, b2 = (rng.standard_normal(shape) for shape in [(d, h), (h,), (h, m), (m,)])
    X = rng.standard_normal((9, d))
    two_layers = _layer(W2, b2)(_layer(W1, b1)(X))
    W, b = nn.collapse_linear(W1, b1, W2, b2)
    assert W.shape == (d, m) and b.shape == (m,)
    np.testing.assert_allclose(_layer(W, b)(X), two_layers, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_inputs_are_not_modified():
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal(shape).astype(np.float32) for shape in [(3, 4), (4,), (4, 2), (2,)]]
    before = [a.copy() for a in layers]
    W, b = nn.collapse_linear(*layers)
    assert W.dtype == b.dtype == np.float32
    for a, a_before in zip(layers, before, strict=True):
        np.testing.assert_array_equal(a, a_before)
    np.testing.assert_allclose(W, before[0].astype(np.float64) @ before[2], rtol=1e-5)


def test_lists_are_accepted():
    W, b = nn.collapse_linear([[1, 0], [0, 1]], [1, 2], [[2], [3]], [0.5])
    np.testing.assert_array_equal(W, [[2.0], [3.0]])
    np.testing.assert_array_equal(b, [8.5])


@pytest.mark.parametrize(("shapes", "message"), [
    ([(2, 3), (2,), (3, 4), (4,)], r"b1 must have one entry per column of W1 \(3\), got shape \(2,\)"),
    ([(2, 3), (3,), (2, 4), (4,)], r"W2 must have one row per column of W1 \(3\), got shape \(2, 4\)"),
    ([(2, 3), (3,), (3, 4), (3,)], r"b2 must have one entry per column of W2 \(4\), got shape \(3,\)"),
    ([(2, 3), (1, 3), (3, 4), (4,)], r"b1 must be 1-D, got a 2-D array of shape \(1, 3\)"),
    ([(6,), (3,), (3, 4), (4,)], r"W1 must be 2-D, got a 1-D array of shape \(6,\)"),
])
def test_shapes_that_do_not_chain_are_refused_by_name(shapes, message):
    with pytest.raises(ValueError, match=message):
        nn.collapse_linear(*(np.ones(shape) for shape in shapes))


def test_strings_are_refused():
    with pytest.raises(TypeError, match="W2 must be an array of numbers"):
        nn.collapse_linear(np.ones((2, 2)), np.ones(2), np.array([["a", "b"], ["c", "d"]]), np.ones(2))


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_other_backends_agree_with_numpy(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(shape) for shape in [(3, 4), (4,), (4, 2), (2,)]]
    expected = nn.collapse_linear(*arrays)
    with use_backend(backend):
        got = nn.collapse_linear(*(asarray(a) for a in arrays))
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(to_numpy(g), e, rtol=1e-12)
