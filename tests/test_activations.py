"""dlkit.activations: derivatives against finite differences, stability, dtypes, worked examples, errata."""

import math

import numpy as np
import pytest
from numerics import no_floating_point_trouble

from dlkit import activations as A
from dlkit.backend import asarray, to_numpy, use_backend
from dlkit.gradcheck import numerical_gradient, relative_error

SHAPES = [(7,), (3, 4), (2, 3, 5)]

# Every elementwise activation with its derivative and keyword arguments.
ELEMENTWISE = [
    ("identity", A.identity, A.identity_grad, {}),
    ("step", A.step, A.step_grad, {}),
    ("sigmoid", A.sigmoid, A.sigmoid_grad, {}),
    ("tanh", A.tanh, A.tanh_grad, {}),
    ("relu", A.relu, A.relu_grad, {}),
    ("leaky_relu", A.leaky_relu, A.leaky_relu_grad, {}),
    ("leaky_relu(0.2)", A.leaky_relu, A.leaky_relu_grad, {"beta": 0.2}),
    ("elu", A.elu, A.elu_grad, {}),
    ("elu(0.5)", A.elu, A.elu_grad, {"alpha": 0.5}),
    ("gelu", A.gelu, A.gelu_grad, {}),
    ("gelu(tanh)", A.gelu, A.gelu_grad, {"approximate": True}),
]
ELEMENTWISE_IDS = [case[0] for case in ELEMENTWISE]



def away_from_kinks(rng, shape):
    """Random z with 0.1 ≤ |z| ≤ 4, so relu, leaky_relu, elu and step are smooth within ±h."""
    return rng.uniform(0.1, 4.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# --- derivatives ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "f", "f_grad", "kwargs"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_derivative_matches_centred_differences(name, f, f_grad, kwargs, shape):
    rng = np.random.default_rng(sum(map(ord, name)) + len(shape))
    z = away_from_kinks(rng, shape)
    h = 1e-5
    numerical = (f(z + h, **kwargs) - f(z - h, **kwargs)) / (2 * h)
    analytic = f_grad(z, **kwargs)
    assert analytic.shape == z.shape
    assert relative_error(analytic, numerical) < 1e-7


@pytest.mark.parametrize("shape", [(6,), (4, 5), (2, 3, 4)])
def test_softmax_backward_matches_numerical_gradient(shape):
    rng = np.random.default_rng(len(shape))
    z = rng.normal(scale=2.0, size=shape)
    dout = rng.normal(size=shape)
    numerical = numerical_gradient(lambda z_: np.sum(dout * A.softmax(z_)), z)
    analytic = A.softmax_backward(dout, A.softmax(z))
    assert relative_error(analytic, numerical) < 1e-7


def test_softmax_backward_along_axis_0():
    rng = np.random.default_rng(3)
    z, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    numerical = numerical_gradient(lambda z_: np.sum(dout * A.softmax(z_, axis=0)), z)
    assert relative_error(A.softmax_backward(dout, A.softmax(z, axis=0), axis=0), numerical) < 1e-7


def test_softmax_grad_is_the_jacobian_diagonal_only():
    z = np.array([0.5, -1.0, 2.0, 0.1])
    jacobian = np.stack([numerical_gradient(lambda z_, i=i: A.softmax(z_)[i], z) for i in range(4)])
    assert relative_error(A.softmax_grad(z), np.diag(jacobian)) < 1e-7
    s = A.softmax(z)
    np.testing.assert_allclose(jacobian, np.diag(s) - np.outer(s, s), atol=1e-9)
    assert np.abs(jacobian - np.diag(np.diag(jacobian))).max() > 0.01  # why softmax_backward exists


def test_derivatives_at_the_kinks_follow_the_stated_convention():
    zero = np.zeros(1)
    assert A.step(zero)[0] == 0.0 and A.step(np.array([1e-300]))[0] == 1.0
    assert A.relu_grad(zero)[0] == 0.0
    assert A.leaky_relu_grad(zero, beta=0.1)[0] == 0.1
    assert A.elu_grad(zero, alpha=0.5)[0] == 0.5
    assert np.all(A.step_grad(np.linspace(-3, 3, 7)) == 0.0)


# --- closed forms, worked examples and errata --------------------------------------------------


def test_closed_forms():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(A.identity(z), z)
    np.testing.assert_array_equal(A.relu(z), [0, 0, 0, 0.5, 2])
    np.testing.assert_allclose(A.leaky_relu(z, beta=0.1), [-0.2, -0.05, 0, 0.5, 2])
    np.testing.assert_allclose(A.elu(z, alpha=2.0), [2 * math.expm1(-2), 2 * math.expm1(-0.5), 0, 0.5, 2])
    np.testing.assert_allclose(A.sigmoid(z), [1 / (1 + math.exp(-v)) for v in z], rtol=1e-15)
    np.testing.assert_allclose(A.tanh_grad(z), 1 - np.tanh(z) ** 2, rtol=1e-15)
    np.testing.assert_allclose(A.gelu_grad(z), [_gelu_grad_reference(v) for v in z], rtol=1e-12)


def test_limits_at_plus_and_minus_infinity():
    assert A.elu(np.array([-50.0]), alpha=0.7)[0] == pytest.approx(-0.7)
    assert A.gelu(np.array([-40.0]))[0] == pytest.approx(0.0, abs=1e-12)
    assert A.gelu(np.array([40.0]))[0] == pytest.approx(40.0, rel=1e-14)
    np.testing.assert_array_equal(A.sigmoid(np.array([-50.0, 50.0])).round(12), [0.0, 1.0])


def _gelu_reference(x):
    return x * 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _gelu_grad_reference(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def test_exact_gelu_matches_math_erf_reference():
    z = np.linspace(-10.0, 10.0, 4001)
    reference = np.array([_gelu_reference(v) for v in z])
    assert np.max(np.abs(A.gelu(z) - reference)) < 1e-12


def test_tanh_approximation_stays_close_to_exact_gelu():
    z = np.linspace(-6.0, 6.0, 1201)
    gap = np.max(np.abs(A.gelu(z, approximate=True) - A.gelu(z)))
    assert 1e-5 < gap < 1e-3  # different functions, but close: the approximation's known error is ~5e-4


def test_perceptron_worked_examples():
    # w0 = 4.1, w = [-1.15, -0.21]; x = (0, 6) and (6, 8).
    X = np.array([[0.0, 6.0], [6.0, 8.0]])
    z = 4.1 + X @ np.array([-1.15, -0.21])
    np.testing.assert_allclose(z, [2.84, -4.48], atol=1e-12)
    np.testing.assert_allclose(A.sigmoid(z), [0.9448, 0.0112], atol=5e-5)
    # w0 = 1, w = [3, -2]; x = (-1, 2) gives z = -6.
    z = 1.0 + np.array([[-1.0, 2.0]]) @ np.array([3.0, -2.0])
    assert z[0] == -6.0
    assert A.sigmoid(z)[0] == pytest.approx(0.00247, abs=5e-6)


def test_softmax_worked_example_and_its_erratum():
    s = A.softmax(np.array([5.0, 6.0, 11.0, 7.0]))
    np.testing.assert_allclose(s, [0.0024, 0.0066, 0.9732, 0.0178], atol=5e-5)
    assert s.sum() == pytest.approx(1.0, abs=1e-15)
    assert abs(s[3] - 0.01) > 0.007  # the notes' 0.01 for the last probability is wrong


def test_tanh_is_a_rescaled_sigmoid_and_the_erratum_is_not():
    z = np.linspace(-5.0, 5.0, 101)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    assert np.max(np.abs(A.tanh(z) - (2 * A.sigmoid(z) - 1))) > 0.2  # 2σ(z) − 1 is tanh(z/2)


def test_sigmoid_derivative_peaks_at_a_quarter_and_the_erratum_is_wrong():
    z = np.linspace(-8.0, 8.0, 1601)
    assert A.sigmoid_grad(np.zeros(1))[0] == 0.25
    assert np.max(A.sigmoid_grad(z)) == 0.25
    s = A.sigmoid(z)
    assert np.max(np.abs(s * (1 + s) - A.sigmoid_grad(z))) > 1.0  # σ(1 + σ) is not σ'


def test_softmax_is_shift_invariant_and_sums_to_one():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    np.testing.assert_allclose(A.softmax(z + 1000.0), A.softmax(z), atol=1e-15)
    np.testing.assert_allclose(A.softmax(z).sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(A.softmax(z, axis=0).sum(axis=0), 1.0, atol=1e-15)


# --- numerical stability -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "f", "f_grad", "kwargs"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_large_inputs_give_finite_values_without_warnings(name, f, f_grad, kwargs, dtype):
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype)
    with no_floating_point_trouble():
        value, grad = f(z, **kwargs), f_grad(z, **kwargs)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))


def test_sigmoid_and_softmax_saturate_exactly_at_1000():
    with no_floating_point_trouble():
        np.testing.assert_array_equal(A.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
        np.testing.assert_array_equal(A.sigmoid_grad(np.array([-1000.0, 1000.0])), [0.0, 0.0])
        s = A.softmax(np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0]]))
        ds = A.softmax_backward(np.ones((2, 3)), s)
    np.testing.assert_allclose(s, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-300)
    assert np.all(np.isfinite(ds))


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "f", "f_grad", "kwargs"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_float32_stays_float32(name, f, f_grad, kwargs):
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    assert f(z, **kwargs).dtype == np.float32
    assert f_grad(z, **kwargs).dtype == np.float32


def test_float32_softmax_stays_float32():
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    s = A.softmax(z)
    assert s.dtype == A.softmax_grad(z).dtype == A.softmax_backward(np.ones_like(z), s).dtype == np.float32


def test_integers_and_lists_become_float64():
    assert A.relu([1, -2, 3]).dtype == np.float64
    assert A.sigmoid(np.arange(3)).dtype == np.float64


# --- other backends ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_other_backends_agree_with_numpy(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(5)
    z = away_from_kinks(rng, (3, 4))
    dout = rng.normal(size=(3, 4))
    with use_backend(backend):
        zb, doutb = asarray(z), asarray(dout)
        for name, f, f_grad, kwargs in ELEMENTWISE:
            # atol: PyTorch computes erf natively, which differs from dlkit's by a few units of 1e-16.
            close = {"rtol": 1e-12, "atol": 1e-14, "err_msg": name}
            np.testing.assert_allclose(to_numpy(f(zb, **kwargs)), f(z, **kwargs), **close)
            np.testing.assert_allclose(to_numpy(f_grad(zb, **kwargs)), f_grad(z, **kwargs), **close)
        sb = A.softmax(zb)
        np.testing.assert_allclose(to_numpy(sb), A.softmax(z), rtol=1e-12)
        np.testing.assert_allclose(
            to_numpy(A.softmax_backward(doutb, sb)),
            A.softmax_backward(dout, A.softmax(z)),
            rtol=1e-12,
            atol=1e-15,
        )


# --- the name registry -------------------------------------------------------------------------


def test_get_returns_the_function_and_its_derivative():
    assert A.get("relu") == (A.relu, A.relu_grad)
    assert A.get("softmax") == (A.softmax, A.softmax_grad)
    for name in ("identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softmax"):
        f, f_grad = A.get(name)
        assert f.__name__ == name and f_grad.__name__ == name + "_grad"


def test_get_rejects_unknown_names_listing_the_known_ones():
    with pytest.raises(
        ValueError, match="unknown activation 'rellu'; expected one of 'identity', 'step', 'sigmoid', 'tanh'"
    ):
        A.get("rellu")
    with pytest.raises(TypeError, match="string"):
        A.get(None)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "f", "f_grad", "kwargs"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_strings_are_refused(name, f, f_grad, kwargs):
    with pytest.raises(TypeError, match="z must be an array of numbers, got"):
        f(np.array(["1", "2"]), **kwargs)
    with pytest.raises(TypeError, match="z must be an array of numbers"):
        f_grad("abc", **kwargs)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="beta must be >= 0, got -0.1"):
        A.leaky_relu(np.ones(2), beta=-0.1)
    with pytest.raises(TypeError, match="alpha must be a number, got str"):
        A.elu_grad(np.ones(2), alpha="1")
    with pytest.raises(TypeError, match="approximate must be True or False, got str 'tanh'"):
        A.gelu(np.ones(2), approximate="tanh")
    with pytest.raises(TypeError, match="must be an array of real numbers"):
        A.tanh(np.ones(2, dtype=complex))


def test_softmax_shape_errors():
    with pytest.raises(ValueError, match="at least one dimension"):
        A.softmax(np.float64(3.0))
    with pytest.raises(ValueError, match=r"dout and s must have the same shape, got \(2, 3\) and \(3,\)"):
        A.softmax_backward(np.ones((2, 3)), np.ones(3) / 3)


def test_float_parameters_do_not_promote_float32():
    z = np.ones(3, dtype=np.float32)
    assert A.leaky_relu(-z, beta=np.float64(0.1)).dtype == np.float32
    assert A.elu_grad(-z, alpha=np.float64(2.0)).dtype == np.float32
