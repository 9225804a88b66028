"""Every worked example and formula of 04_chain_rule's Markdown, against an independent truth.

The truths are closed forms, the math module, explicit sums and centred differences; the code under
test is dlkit's (autograd, backprop, gradcheck), the references the notebook's checks compare with.
"""

import math

import numpy as np
import pytest

from dlkit import activations, autograd, backprop
from dlkit.gradcheck import numerical_derivative, numerical_gradient, relative_error

EPS64 = np.finfo(np.float64).eps


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t))


# --- 1 · derivatives by numbers --------------------------------------------------------------


def test_forward_and_centred_differences_of_the_cube():
    # x³ at 1, h = 1e-3: forward = 3 + 3h + h² = 3.003001, centred = 3 + h² = 3.000001.
    h = 1e-3
    forward = ((1 + h) ** 3 - 1) / h
    centred = numerical_derivative(lambda t: t**3, 1.0, h)
    assert round(forward, 6) == 3.003001 and round(centred, 6) == 3.000001
    assert f"{forward - 3:.1e}" == "3.0e-03" and f"{centred - 3:.1e}" == "1.0e-06"


@pytest.mark.parametrize("h", [1e-2, 1e-3])
def test_taylor_error_terms(h):
    # forward − f' ≈ (h/2) f''(x) and centred − f' ≈ (h²/6) f'''(x), here for sin at 0.7.
    x, f1, f2, f3 = 0.7, math.cos(0.7), -math.sin(0.7), -math.cos(0.7)
    forward = (math.sin(x + h) - math.sin(x)) / h
    centred = (math.sin(x + h) - math.sin(x - h)) / (2 * h)
    assert forward - f1 == pytest.approx(h / 2 * f2, rel=5 * h)
    assert centred - f1 == pytest.approx(h**2 / 6 * f3, rel=5 * h)


def test_machine_epsilon_and_the_best_step():
    assert EPS64 == pytest.approx(2.2e-16, rel=0.01)
    assert np.finfo(np.float32).eps == pytest.approx(1.2e-7, rel=0.01)
    # h²|f'''|/6 + ε|f|/h is smallest at h = (3ε|f| / |f'''|)^(1/3): near 1e-5 for x³ at 1.
    best = (3 * EPS64 * 1.0 / 6.0) ** (1 / 3)
    assert 1e-6 < best < 1e-4


def test_numerical_gradient_of_the_visible_example():
    # f(x) = Σ x³ + (Σ x)²: ∂f/∂x_i = 3 x_i² + 2 Σ x.
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    exact = 3 * x**2 + 2 * x.sum()
    np.testing.assert_allclose(exact, [[5.75, 8.0, 17.0], [11.75, 5.1875, 6.6875]])
    numerical = numerical_gradient(lambda v: np.sum(v**3) + np.sum(v) ** 2, x.copy())
    np.testing.assert_allclose(numerical, exact, atol=1e-8)


def test_a_numerical_gradient_takes_two_evaluations_per_entry():
    calls = []

    def f(v):
        calls.append(1)
        return float(np.sum(v**2))

    numerical_gradient(f, np.ones((3, 4)))
    assert len(calls) == 2 * 12


# --- 2 · the chain rule -----------------------------------------------------------------------


@pytest.mark.parametrize("x", [-0.8, 0.3, 1.0, 1.7])
def test_chain_rule_example(x):
    exact = 48 * x * (6 * x**2 + 2) ** 3
    assert numerical_derivative(lambda t: (6 * t**2 + 2) ** 4, x) == pytest.approx(exact, rel=1e-8)


def test_chain_rule_numbers_and_the_erratum():
    assert 48 * 1 * (6 + 2) ** 3 == 24_576
    assert 4 * (6 + 2) * 12 * 1 == 384
    x = autograd.Value(1.0)
    y = (6 * x**2 + 2) ** 4
    y.backward()
    assert x.grad == 24_576


# --- 3 · computational graph ------------------------------------------------------------------


def test_graph_example_forward_and_backward():
    assert backprop.graph_forward_backward(2.0, 1.0, 3.0, 9.0) == (7.0, -2.0, 4.0, -12.0, -4.0)
    # Every node of the drawn graph: dL/dŷ = dL/dz = dL/db = 2e, dL/dx = 2e·w, dL/dy = −2e.
    w, b, x, y = (autograd.Value(v) for v in (2.0, 1.0, 3.0, 9.0))
    z = w * x
    y_hat = z + b
    e = y_hat - y
    L = e**2
    L.backward()
    assert (z.data, y_hat.data, e.data, L.data) == (6.0, 7.0, -2.0, 4.0)
    assert (e.grad, y_hat.grad, z.grad, b.grad, w.grad, x.grad, y.grad) == (-4, -4, -4, -4, -12, -8, 4)


def test_sigmoid_neuron_example():
    x, w, b, y = (1.0, 2.0), (0.5, -0.5), 0.5, 1.0
    z = x[0] * w[0] + x[1] * w[1] + b
    y_hat = sigmoid(z)
    assert (z, y_hat, y_hat * (1 - y_hat)) == (0.0, 0.5, 0.25)
    chain = [(y_hat - y) * y_hat * (1 - y_hat) * v for v in (*x, 1.0)]
    assert chain == [-0.125, -0.25, -0.125]

    def loss(p):
        return 0.5 * (sigmoid(x[0] * p[0] + x[1] * p[1] + p[2]) - y) ** 2

    np.testing.assert_allclose(numerical_gradient(loss, np.array([*w, b])), chain, atol=1e-10)


def test_the_sign_of_the_linear_model_gradient():
    # ℓ = ½ (y − θᵀx)², ∇ℓ = −x (y − θᵀx): the right sign multiplies ℓ by 0.64 per step, the lost one by 1.44.
    x, y = np.array([1.0, 1.0]), 5.0

    def loss(theta):
        return 0.5 * (y - theta @ x) ** 2

    theta = np.array([1.0, 2.0])
    np.testing.assert_allclose(numerical_gradient(loss, theta.copy()), -x * (y - theta @ x), atol=1e-9)

    def losses(sign):
        t, values = theta.copy(), []
        for _ in range(3):
            values.append(loss(t))
            t = t - 0.1 * sign * x * (y - t @ x)
        return values

    np.testing.assert_allclose(losses(-1.0), [2.0, 1.28, 0.8192])
    np.testing.assert_allclose(losses(+1.0), [2.0, 2.88, 4.1472])
    assert [round(v, 2) for v in losses(-1.0)] == [2.0, 1.28, 0.82]
    assert [round(v, 2) for v in losses(+1.0)] == [2.0, 2.88, 4.15]


# --- 4 · Value ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "k"), [(2.0, -3.0, 3), (-1.5, 0.5, -1), (2.25, 4.0, 0.5)])
def test_the_local_rules_of_the_table(a, b, k):
    for expression, partials in [(lambda p, q: p + q, (1.0, 1.0)), (lambda p, q: p * q, (b, a))]:
        x, y = autograd.Value(a), autograd.Value(b)
        expression(x, y).backward()
        assert (x.grad, y.grad) == pytest.approx(partials)
    x = autograd.Value(abs(a))
    (x**k).backward()
    assert x.grad == pytest.approx(numerical_derivative(lambda t: t**k, abs(a)), rel=1e-8)


def test_a_value_used_twice_adds_up():
    x = autograd.Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_three_layer_chain_and_the_erratum():
    x1, y = 2.0, 1.0

    def loss(w1, w2=-0.8, w3=0.9):
        return 0.5 * (sigmoid(w3 * sigmoid(w2 * sigmoid(w1 * x1))) - y) ** 2

    w1 = autograd.Value(0.5)
    (0.5 * ((0.9 * (-0.8 * (w1 * x1).sigmoid()).sigmoid()).sigmoid() - y) ** 2).backward()
    numerical = numerical_derivative(loss, 0.5)
    assert w1.grad == pytest.approx(numerical, rel=1e-8)
    assert round(numerical, 6) == 0.006660
    assert round(numerical * 0.5 / x1, 6) == 0.001665  # dz1/dw1 = w1 instead of x1


# --- 5 · dense layer and δ ----------------------------------------------------------------------


def test_images_are_flattened_to_rows():
    X = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    out, _ = backprop.dense_forward(X, np.eye(16), np.zeros(16))
    np.testing.assert_array_equal(out, X.reshape(2, 16))


def test_the_delta_recursion_in_row_and_column_form():
    W_row = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 0.8]])
    z_prev, delta = np.array([0.2, -1.0, 0.5]), np.array([0.3, -0.6])
    g = np.array([sigmoid(v) * (1 - sigmoid(v)) for v in z_prev])
    row = (delta[None, :] @ W_row.T)[0] * g
    column = (W_row.T.T @ delta) * g
    np.testing.assert_allclose(row, column, rtol=1e-15)
    # Truth: L = δ · z with z = W_col σ(z_prev) (column form), so dL/dz_prev by differences.
    def loss(v):
        return delta @ (W_row.T @ np.array([sigmoid(t) for t in v]))

    numerical = numerical_gradient(loss, z_prev.copy())
    np.testing.assert_allclose(column, numerical, atol=1e-9)
    np.testing.assert_allclose(np.round(row, 6), [0.185637, 0.082577, -0.162153])


def test_the_transpose_in_the_delta_recursion():
    W, c, z = np.array([[1.0, 2.0], [-3.0, 0.5]]), np.array([0.3, -0.1]), np.array([0.4, -1.2])
    g = np.array([sigmoid(v) * (1 - sigmoid(v)) for v in z])
    numerical = numerical_gradient(lambda v: c @ (W @ np.array([sigmoid(t) for t in v])), z.copy())
    np.testing.assert_allclose((W.T @ c) * g, numerical, atol=1e-9)
    assert relative_error((W @ c) * g, numerical) > 0.5  # the notes' W δ
    with pytest.raises(ValueError):
        np.array([[0.5, 2.0, -0.7], [-1.0, 0.3, 0.8]]) @ np.array([0.3, -0.6])  # W δ: (2, 3) @ (2,)


# --- 6 · the XOR network ------------------------------------------------------------------------

X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
W1_XOR, W2_XOR = np.array([[0.96, 0.89], [0.28, 0.73]]), np.array([[0.60], [0.22]])


def _xor_loss(W1, W2):
    total = 0.0
    for x, (y,) in zip(X_XOR, Y_XOR, strict=True):
        h = [sigmoid(x[0] * W1[0, j] + x[1] * W1[1, j]) for j in range(2)]
        y_hat = sigmoid(h[0] * W2[0, 0] + h[1] * W2[1, 0])
        total -= y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat)
    return total / 4


def test_xor_gradients_and_one_step():
    loss, dW1, _, dW2, _ = backprop.two_layer_backward(X_XOR, Y_XOR, W1_XOR, np.zeros(2), W2_XOR, np.zeros(1))
    assert loss == pytest.approx(_xor_loss(W1_XOR, W2_XOR), rel=1e-12)
    assert round(loss, 6) == 0.726826
    numerical_dW2 = numerical_gradient(lambda v: _xor_loss(W1_XOR, v), W2_XOR.copy())
    numerical_dW1 = numerical_gradient(lambda v: _xor_loss(v, W2_XOR), W1_XOR.copy())
    np.testing.assert_allclose(dW2, numerical_dW2, atol=1e-10)
    np.testing.assert_allclose(dW1, numerical_dW1, atol=1e-10)
    np.testing.assert_array_equal(np.round(dW2.ravel(), 6), [0.083915, 0.084914])
    np.testing.assert_array_equal(np.round(dW1, 6), [[0.006437, 0.000934], [0.003180, 0.000397]])
    ratios = np.abs(dW2.ravel())[:, None, None] / np.abs(dW1)[None]
    assert round(ratios.min()) == 13 and 205 <= ratios.max() <= 215  # "13 to about 210 times smaller"
    assert round(_xor_loss(W1_XOR - dW1, W2_XOR - dW2), 6) == 0.714038


@pytest.mark.parametrize("z", [-3.0, 0.2, 4.0])
def test_sigmoid_with_cross_entropy_gives_y_hat_minus_y(z):
    for y in (0.0, 1.0):
        def bce(t, y=y):
            p = sigmoid(t)
            return -(y * math.log(p) + (1 - y) * math.log(1 - p))
        assert numerical_derivative(bce, z) == pytest.approx(sigmoid(z) - y, abs=1e-9)


def test_the_batch_gradient_is_the_mean_of_the_per_sample_gradients():
    per_sample = [backprop.two_layer_backward(X_XOR[i:i + 1], Y_XOR[i:i + 1], W1_XOR, np.zeros(2), W2_XOR,
                                              np.zeros(1))[3] for i in range(4)]
    batch = backprop.two_layer_backward(X_XOR, Y_XOR, W1_XOR, np.zeros(2), W2_XOR, np.zeros(1))[3]
    np.testing.assert_allclose(np.mean(per_sample, axis=0), batch, rtol=1e-12)
    assert all(relative_error(g, batch) > 0.5 for g in per_sample)  # no single ∂J_i is ∂J


# --- 7 · gradient checking ---------------------------------------------------------------------


def test_relative_error_divides_by_the_largest_entries():
    a, b = np.array([1.0, 1e-12]), np.array([1.0 + 1e-9, 0.0])
    assert relative_error(a, b) == pytest.approx(1e-9 / (2 + 1e-9))


def _centred_in_dtype(f, x, h=1e-5):
    """Centred differences with x perturbed in its own dtype (gradcheck refuses float32 on purpose)."""
    x, grad = x.copy(), np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = float(f(x))
        x[index] = old - h
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def test_gradient_check_passes_in_float64_and_fails_in_float32():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=shape) for shape in ((5, 3), (3, 4), (4,), (4, 1))]
    y, b2 = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]]), np.array([0.3])
    errors = {}
    for dtype in (np.float64, np.float32):
        X, W1, b1, W2 = (a.astype(dtype) for a in arrays)
        dW1 = backprop.two_layer_backward(X, y.astype(dtype), W1, b1, W2, b2.astype(dtype))[1]
        numerical = _centred_in_dtype(
            lambda W, X=X, b1=b1, W2=W2, dtype=dtype: backprop.two_layer_backward(
                X, y.astype(dtype), W, b1, W2, b2.astype(dtype))[0], W1)
        errors[dtype] = relative_error(dW1, numerical)
    assert errors[np.float64] < 1e-7
    assert errors[np.float32] > 1e-4  # ε32 |L| / h ≈ 1e-2 of the gradient: rounding swamps the difference


def test_the_relu_kink_false_alarm():
    x, w = np.array([1.0, 2.0]), np.array([0.2, -0.1 + 5e-7])
    assert 0 < x @ w < 1e-5
    exact = activations.relu_grad(x @ w) * x
    numeric = numerical_gradient(lambda v: float(activations.relu(x @ v)), w.copy())
    # relu(z + h·x_i) − relu(z − h·x_i) = z + h·x_i for z < h·x_i: the estimate is (z + h x_i) / 2h per unit.
    np.testing.assert_allclose(numeric, (x @ w + 1e-5 * x) / 2e-5, rtol=1e-6)
    assert np.round(numeric, 2).tolist() == [0.55, 1.05]
    assert round(relative_error(exact, numeric), 2) == 0.31


# --- 8 · the DAG --------------------------------------------------------------------------------


def _dag_y_hat(X, w1, w2):
    z1 = w1 * X
    return w1 * (z1 + w2 * (z1 + X))


@pytest.mark.parametrize(("X", "w1", "w2"), [(1.0, 2.0, 3.0), (0.5, -1.5, 0.8)])
def test_dag_closed_form(X, w1, w2):
    assert _dag_y_hat(X, w1, w2) == pytest.approx(X * (w1**2 * (1 + w2) + w1 * w2))
    dw1 = numerical_derivative(lambda t: _dag_y_hat(X, t, w2), w1)
    assert dw1 == pytest.approx(X * (2 * w1 * (1 + w2) + w2))
    assert numerical_derivative(lambda t: _dag_y_hat(X, w1, t), w2) == pytest.approx(X * (w1**2 + w1))


def test_dag_numbers():
    assert _dag_y_hat(1.0, 2.0, 3.0) == 22.0
    assert (2 + 9, 2 * 1, 2 * 3 * 1) == (11, 2, 6) and 11 + 2 + 6 == 19  # direct, via z1, via z1 and z2
    assert backprop.dag_forward_backward(1.0, 2.0, 3.0, 20.0) == (22.0, 4.0, 76.0, 24.0)
    assert backprop.dag_forward_backward(1.0, 2.0, 3.0, 21.5)[2] == 19.0  # dL/dŷ = 1


def test_dag_node_gradients_and_the_erratum():
    w1, w2 = autograd.Value(2.0), autograd.Value(3.0)
    z1 = w1 * 1.0
    z2 = w2 * (z1 + 1.0)
    y_hat = w1 * (z1 + z2)
    L = (y_hat - 20.0) ** 2
    L.backward()
    assert (y_hat.grad, z2.grad, z1.grad, w1.grad, w2.grad) == (4.0, 8.0, 32.0, 76.0, 24.0)
    assert z1.grad == 4.0 * 2.0 + 8.0 * 3.0  # 8 from ŷ, 24 through z2
    notes = 2.0 * 1.0 + 2.0 * 3.0  # ∂ŷ/∂z1 ∂z1/∂w1 + ∂ŷ/∂z2 ∂z2/∂w1 without the direct use
    assert (notes, 4.0 * notes) == (8.0, 32.0)


# --- 9 · cost -------------------------------------------------------------------------------------


def test_parameter_counts_of_the_timing_networks():
    # W1 (2, H), b1 (H,), W2 (H, 1), b2 (1,): 4H + 1.
    assert [2 * h + h + h + 1 for h in (2, 8, 32, 128, 512)] == [9, 33, 129, 513, 2049]
