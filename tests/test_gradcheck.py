"""dlkit.gradcheck: numerical gradients against closed forms, relative error, check_gradients on a toy."""

import numpy as np
import pytest

from dlkit.backend import asarray, namespace, to_numpy, use_backend
from dlkit.gradcheck import check_gradients, numerical_gradient, relative_error
from dlkit.losses import MSE, CrossEntropy

# --- numerical_gradient ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 2, 3)])
def test_numerical_gradient_of_a_cubic(shape):
    x = np.random.default_rng(len(shape)).normal(size=shape)
    grad = numerical_gradient(lambda x_: np.sum(x_**3), x)
    assert grad.shape == shape
    assert relative_error(grad, 3 * x**2) < 1e-9


def test_numerical_gradient_of_a_quadratic_form():
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(5, 5)), rng.normal(size=5)
    assert relative_error(numerical_gradient(lambda x_: x_ @ A @ x_, x), (A + A.T) @ x) < 1e-9


def test_graph_worked_example():
    # ŷ = w·x + b, L = (ŷ − y)² at w = 2, b = 1, (x, y) = (3, 9): L = 4, dL/dw = −12, dL/db = −4.
    def loss(params):
        w, b = params
        return (w * 3.0 + b - 9.0) ** 2

    params = np.array([2.0, 1.0])
    assert loss(params) == 4.0
    np.testing.assert_allclose(numerical_gradient(loss, params), [-12.0, -4.0], atol=1e-8)


def test_chain_rule_example_and_its_erratum():
    x = np.array([0.7])
    numerical = numerical_gradient(lambda x_: float((6 * x_[0] ** 2 + 2) ** 4), x)[0]
    assert numerical == pytest.approx(48 * 0.7 * (6 * 0.49 + 2) ** 3, rel=1e-9)
    assert abs(numerical - 4 * (6 * 0.49 + 2) * 12 * 0.7) > 100  # the notes drop the power 3


def test_x_is_restored_exactly_even_when_f_fails():
    x = np.random.default_rng(1).normal(size=(3, 2))
    original = np.array(x, copy=True)
    numerical_gradient(lambda x_: np.sum(np.sin(x_)), x)
    np.testing.assert_array_equal(x, original)

    calls = []

    def fails_on_third_call(x_):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(np.sum(x_))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(fails_on_third_call, x)
    np.testing.assert_array_equal(x, original)


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_numerical_gradient_on_other_backends(backend):
    pytest.importorskip(backend)
    x = np.random.default_rng(2).normal(size=(2, 3))
    with use_backend(backend):
        xb = asarray(x)
        grad = numerical_gradient(lambda x_: namespace(x_).sum(x_ * x_), xb)
    assert relative_error(to_numpy(grad), 2 * x) < 1e-9
    np.testing.assert_array_equal(to_numpy(xb), x)


def test_numerical_gradient_refuses_bad_input():
    with pytest.raises(TypeError, match="x must be float64 for a numerical gradient, got dtype float32"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="x must be an array .* got list"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"f must return a scalar, got an array of shape \(3,\)"):
        numerical_gradient(lambda x_: 2 * x_, np.ones(3))


# --- relative_error ----------------------------------------------------------------------------


def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == relative_error([1.0, 2.2], [1.0, 2.0])
    assert relative_error(np.ones((2, 3)), np.ones((2, 3))) == 0.0
    assert relative_error(np.zeros(4), np.zeros(4)) == 0.0
    assert relative_error([0.0], [1e-300]) == 1.0


def test_relative_error_is_not_blown_up_by_tiny_entries():
    # Entry by entry, 1e-12 against 2e-12 would be an error of 1/3; against the gradient's scale it is tiny.
    assert relative_error([1.0, 1e-12], [1.0, 2e-12]) < 1e-12


def test_relative_error_refuses_to_broadcast():
    # db summed with keepdims: shape (1, M) instead of (M,) is a bug that broadcasting would hide.
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(1, 3\) and \(3,\)"):
        relative_error(np.ones((1, 3)), np.ones(3))


def test_relative_error_compares_arrays_of_different_backends():
    torch = pytest.importorskip("torch")
    assert relative_error(torch.tensor([1.0, 2.0], dtype=torch.float32), np.array([1.0, 2.0])) == 0.0


# --- check_gradients on a module written here, independent of dlkit.nn -----------------------


class Parameter:
    def __init__(self, value):
        self.value = value
        self.grad = np.zeros_like(value)


class TanhLayer:
    """a = tanh(X @ W + b) with a deliberate bug to plant when asked."""

    def __init__(self, n_in, n_out, rng, bug=None):
        self.W = Parameter(rng.normal(size=(n_in, n_out)))
        self.b = Parameter(rng.normal(size=n_out))
        self.bug = bug

    def parameters(self):
        return [self.W, self.b]

    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad[...] = 0.0

    def forward(self, X):
        self.X = X
        self.a = np.tanh(X @ self.W.value + self.b.value)
        return self.a

    def backward(self, dout):
        dz = dout * (1.0 - self.a**2)
        db = dz.sum(axis=0)
        if self.bug == "db divided by N":
            db = db / len(self.X)
        self.W.grad += self.X.T @ dz
        self.b.grad += db
        if self.bug == "W not transposed":
            return dz @ self.W.value
        return dz @ self.W.value.T


@pytest.mark.parametrize(
    ("loss", "y"),
    [(MSE(), np.random.default_rng(3).normal(size=(4, 3))), (CrossEntropy(), np.array([0, 2, 1, 2]))],
    ids=["MSE", "CrossEntropy"],
)
def test_check_gradients_passes_a_correct_module(loss, y):
    rng = np.random.default_rng(4)
    module = TanhLayer(3, 3, rng)
    X = rng.normal(size=(4, 3))
    X_before, W_before = np.array(X, copy=True), np.array(module.W.value, copy=True)
    errors = check_gradients(module, X, loss, y)
    assert list(errors) == ["input", "parameters[0]", "parameters[1]"]
    assert max(errors.values()) < 1e-7
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(module.W.value, W_before)


@pytest.mark.parametrize(
    ("bug", "wrong"), [("db divided by N", "parameters[1]"), ("W not transposed", "input")]
)
def test_check_gradients_catches_planted_bugs(bug, wrong):
    rng = np.random.default_rng(5)
    module = TanhLayer(3, 3, rng, bug=bug)
    errors = check_gradients(module, rng.normal(size=(4, 3)), MSE(), rng.normal(size=(4, 3)))
    assert errors[wrong] > 1e-2
    assert max(error for name, error in errors.items() if name != wrong) < 1e-7


def test_check_gradients_leaves_one_backward_pass_in_grad():
    rng = np.random.default_rng(6)
    module = TanhLayer(2, 3, rng)
    module.W.grad[...] = 100.0  # stale gradient from an earlier step: must be cleared first
    X, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    check_gradients(module, X, MSE(), y)
    a = np.tanh(X @ module.W.value + module.b.value)
    dz = 2.0 * (a - y) / a.size * (1.0 - a**2)
    np.testing.assert_allclose(module.W.grad, X.T @ dz, rtol=1e-12)


def test_check_gradients_needs_float64():
    rng = np.random.default_rng(7)
    module = TanhLayer(2, 2, rng)
    module.W.value = module.W.value.astype(np.float32)
    with pytest.raises(
        TypeError, match="parameters\\[0\\] must be float64 for a gradient check, got float32"
    ):
        check_gradients(module, rng.normal(size=(3, 2)), MSE(), rng.normal(size=(3, 2)))
