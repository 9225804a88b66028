"""Every worked example and formula of notebook 03_xor, against independent truths (math, closed forms,
centred differences), for the dlkit references the notebook checks against."""

import math

import numpy as np
import pytest

from dlkit import activations, losses, nn, optim

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
W1_NOTES = [[0.96, 0.89], [0.28, 0.73]]
W2_NOTES = [0.60, 0.22]


def sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


def lecture_network(x, transposed=False):
    """(h, y_hat) of the notes' 2-2-1 network for one input, with Python floats only."""
    W = [list(row) for row in zip(*W1_NOTES, strict=True)] if transposed else W1_NOTES
    h = [sigma(x[0] * W[0][i] + x[1] * W[1][i]) for i in range(2)]
    return h, sigma(h[0] * W2_NOTES[0] + h[1] * W2_NOTES[1])


def notes_y_hat():
    return nn.mlp_forward(XOR_X, [np.array(W1_NOTES), np.array(W2_NOTES).reshape(2, 1)], None, "sigmoid",
                          "sigmoid")[:, 0]


def centred(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# --- 1 · a layer ---------------------------------------------------------------------------------


def test_a_layer_is_the_sum_over_the_previous_layers_units():
    a_prev, b = [1.0, 2.0, 3.0], [0.1, -0.2]
    W = [[0.5, -1.0], [0.25, 0.5], [-0.5, 1.0]]
    by_units = [b[i] + sum(a_prev[j] * W[j][i] for j in range(3)) for i in range(2)]
    assert by_units == pytest.approx([-0.4, 2.8], abs=1e-15)
    row = nn.mlp_forward(np.array([a_prev]), [np.array(W)], [np.array(b)], None, None)[0]
    column = np.array(W).T @ np.array(a_prev) + np.array(b)  # the column form, W_col = W.T
    np.testing.assert_allclose(row, by_units, rtol=1e-15)
    np.testing.assert_allclose(column, by_units, rtol=1e-15)
    stopped = [b[i] + sum(a_prev[j] * W[j][i] for j in range(2)) for i in range(2)]  # the notes' d_k
    assert stopped == pytest.approx([1.1, -0.2], abs=1e-15)


# --- 2 · counting parameters ---------------------------------------------------------------------


def test_parameter_counts_of_the_notebook():
    assert (3 + 1) * 4 + (4 + 1) * 1 == nn.count_parameters([3, 4, 1]) == 21
    assert (784 + 1) * 128 == 100_480 and (128 + 1) * 64 == 8_256 and (64 + 1) * 10 == 650
    assert nn.count_parameters([784, 128, 64, 10]) == 100_480 + 8_256 + 650 == 109_386
    assert nn.count_parameters([2, 2, 1]) == (2 + 1) * 2 + (2 + 1) * 1 == 9


# --- 3 · the 2-2-1 network -----------------------------------------------------------------------


def test_the_lecture_networks_outputs():
    expected = [lecture_network(x)[1] for x in XOR_X.tolist()]
    np.testing.assert_allclose(notes_y_hat(), expected, rtol=1e-14)
    np.testing.assert_allclose(expected, [0.60109, 0.62015, 0.64333, 0.65678], atol=5e-6)
    assert lecture_network((0.0, 0.0))[0] == [0.5, 0.5]
    assert expected[0] == pytest.approx(sigma(0.5 * 0.60 + 0.5 * 0.22)) == pytest.approx(sigma(0.41))
    assert round(sigma(0.41), 4) == 0.6011
    assert sum((p > 0.5) == y for p, y in zip(expected, XOR_Y.tolist(), strict=True)) == 2


def test_the_transposed_first_layer_changes_the_middle_outputs():
    transposed = [lecture_network(x, transposed=True)[1] for x in XOR_X.tolist()]
    assert [round(p, 4) for p in transposed[1:3]] == [0.6396, 0.6363]
    assert transposed[0] == lecture_network((0.0, 0.0))[1]


def test_the_hand_picked_weights_compute_or_and_and_xor():
    for (x1, x2), label in zip(XOR_X.tolist(), XOR_Y.tolist(), strict=True):
        h_or, h_and = sigma(20 * x1 + 20 * x2 - 10), sigma(20 * x1 + 20 * x2 - 30)
        assert (round(h_or), round(h_and)) == (int(x1 or x2), int(x1 and x2))
        assert round(sigma(20 * h_or - 20 * h_and - 10)) == label
    H = nn.mlp_forward(XOR_X, [np.full((2, 2), 20.0)], [np.array([-10.0, -30.0])], "sigmoid", "sigmoid")
    np.testing.assert_allclose(H, [[0, 0], [1, 0], [1, 0], [1, 1]], atol=5e-5)


# --- 5 · losses ----------------------------------------------------------------------------------


def test_binary_cross_entropy_of_the_xor_example():
    per_point = [-math.log(1 - lecture_network(x)[1]) if y == 0 else -math.log(lecture_network(x)[1])
                 for x, y in zip(XOR_X.tolist(), XOR_Y.tolist(), strict=True)]
    assert [round(v, 3) for v in per_point] == [0.919, 0.478, 0.441, 1.069]
    mean = sum(per_point) / 4
    assert round(mean, 4) == 0.7268
    assert float(losses.binary_cross_entropy(XOR_Y, notes_y_hat())) == pytest.approx(mean, rel=1e-13)
    p = notes_y_hat()
    without_minus = float(np.mean(XOR_Y * np.log(p) + (1 - XOR_Y) * np.log(1 - p)))
    assert round(without_minus, 4) == -0.7268
    assert round(-math.log2(1 - lecture_network((0.0, 0.0))[1]), 3) == 1.326  # log base 2, in a hint


def test_confident_predictions_with_and_without_the_minus_sign():
    for p, loss in [(0.99, 0.0101), (0.01, 4.6052)]:
        assert round(-math.log(p), 4) == loss
        assert float(losses.binary_cross_entropy(np.array([1]), np.array([p]))) == pytest.approx(-math.log(p))


def test_the_risk_of_a_uniform_xor_distribution_is_the_mean_of_the_four_losses():
    p = notes_y_hat()
    per_point = -(XOR_Y * np.log(p) + (1 - XOR_Y) * np.log(1 - p))
    expectation = sum(0.25 * value for value in per_point)  # E over P: each corner with probability 1/4
    assert expectation == pytest.approx(0.726826, abs=5e-7)
    draws = np.random.default_rng(7).integers(0, 4, size=200_000)
    empirical = float(losses.binary_cross_entropy(XOR_Y[draws], p[draws]))
    assert abs(empirical - expectation) < 4 * per_point.std() / math.sqrt(draws.size)  # law of large numbers


def test_clipping_facts_stated_in_the_notebook():
    assert 1.0 / (1.0 + math.exp(-40.0)) == 1.0  # sigma(40) is exactly 1 in float64
    assert np.float32(1) - np.float32(1e-7) < np.float32(1)  # with eps = 1e-7, 1 - eps < 1 in float32
    assert round(-math.log(1e-7)) == 16
    assert np.finfo(np.float64).eps == pytest.approx(2.2e-16, rel=0.01)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(np.float64(0.0) * np.log(np.float64(0.0)))  # 0 * log 0 is NaN in NumPy
    sure = float(losses.binary_cross_entropy(np.array([1, 0]), np.array([0.0, 1.0])))
    assert sure == pytest.approx(-math.log(np.finfo(np.float64).eps), rel=1e-12)


def test_mean_squared_error_example_and_symmetry():
    y, p = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    assert sum((a - b) ** 2 for a, b in zip(p, y, strict=True)) / 4 == 0.375
    assert float(losses.mse(np.array(y), np.array(p))) == 0.375 == float(losses.mse(np.array(p), np.array(y)))
    Y, P = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.0]]), np.array([[1.5, -1.0], [0.0, 3.5], [-1.0, 0.5]])
    entries = [(a - b) ** 2 for a, b in zip(P.ravel().tolist(), Y.ravel().tolist(), strict=True)]
    assert float(losses.mse(Y, P)) == pytest.approx(sum(entries) / 6, rel=1e-15)  # mean over all n k entries


def test_cross_entropy_of_the_softmax_example():
    z = [5.0, 6.0, 11.0, 7.0]
    total = sum(math.exp(v) for v in z)
    probabilities = [math.exp(v) / total for v in z]
    assert [round(p, 4) for p in probabilities] == [0.0024, 0.0066, 0.9732, 0.0178]
    assert round(-math.log(probabilities[2]), 5) == 0.02716
    assert round(-math.log(probabilities[3]), 5) == 4.02716
    P = activations.softmax(np.array([z]))
    for label in range(4):
        via_scores = float(losses.cross_entropy(np.array([label]), np.log(P)))  # as the notebook's check
        assert via_scores == pytest.approx(-math.log(probabilities[label]), rel=1e-12)
        one_hot = float(losses.cross_entropy(np.eye(4)[[label]], np.log(P)))
        assert one_hot == via_scores


def test_cross_entropy_with_two_classes_is_the_binary_cross_entropy():
    p = notes_y_hat()
    two_columns = np.column_stack([1 - p, p])
    by_formula = -np.mean([math.log(two_columns[i, y]) for i, y in enumerate(XOR_Y.tolist())])
    assert float(losses.binary_cross_entropy(XOR_Y, p)) == pytest.approx(by_formula, rel=1e-13)
    assert float(losses.cross_entropy(XOR_Y, np.log(two_columns))) == pytest.approx(by_formula, rel=1e-13)


def test_softmax_over_one_column_is_one_so_its_cross_entropy_is_zero():
    z = np.array([[2.0], [-3.0], [0.5]])
    np.testing.assert_array_equal(activations.softmax(z, axis=1), np.ones((3, 1)))
    assert float(losses.cross_entropy(np.zeros(3, dtype=int), z)) == 0.0
    y = np.array([1, 0, 1])
    two = activations.softmax(np.column_stack([np.zeros(3), z[:, 0]]), axis=1)
    np.testing.assert_allclose(two[:, 1], [sigma(v) for v in z[:, 0]], rtol=1e-14)
    bce = -sum(math.log(sigma(v) if label else 1 - sigma(v)) for v, label in zip(z[:, 0], y, strict=True))
    assert round(bce / 3, 4) == 0.2165
    assert float(losses.cross_entropy(y, np.log(two))) == pytest.approx(bce / 3, rel=1e-12)


# --- 6 · output and loss in pairs ----------------------------------------------------------------


@pytest.mark.parametrize("y", [0, 1])
@pytest.mark.parametrize("z", [-6.0, -2.0, 0.0, 0.7, 4.0])
def test_sigmoid_and_binary_cross_entropy_give_y_hat_minus_y(z, y):
    def loss(t):
        return float(losses.binary_cross_entropy(np.array([y]), activations.sigmoid(np.array([t]))))

    def loss_of_p(p):
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    y_hat = sigma(z)
    assert centred(loss, z) == pytest.approx(y_hat - y, rel=1e-7, abs=1e-9)
    h = 1e-5 * min(y_hat, 1 - y_hat)
    assert centred(loss_of_p, y_hat, h) == pytest.approx((y_hat - y) / (y_hat * (1 - y_hat)), rel=1e-7)


@pytest.mark.parametrize("z", [-6.0, -1.0, 0.0, 2.5])
def test_sigmoid_and_the_half_squared_error_carry_the_factor_sigma_prime(z):
    def loss(t):
        return 0.5 * (sigma(t) - 1.0) ** 2

    y_hat = sigma(z)
    assert centred(loss, z) == pytest.approx((y_hat - 1) * y_hat * (1 - y_hat), rel=1e-7)
    assert y_hat * (1 - y_hat) <= 0.25


def test_the_gradient_at_z_minus_6_is_405_times_smaller_with_the_squared_error():
    y_hat = sigma(-6.0)
    with_bce, with_squares = y_hat - 1, (y_hat - 1) * y_hat * (1 - y_hat)
    assert round(y_hat, 5) == 0.00247
    assert round(with_bce, 4) == -0.9975 and round(with_squares, 5) == -0.00246
    assert with_bce / with_squares == pytest.approx(1 / (y_hat * (1 - y_hat)))
    assert round(with_bce / with_squares) == 405


def test_softmax_and_cross_entropy_give_y_hat_minus_y():
    z, label = np.array([5.0, 6.0, 11.0, 7.0]), 3

    def loss(c):
        return lambda t: float(losses.cross_entropy(np.array([label]), (z + t * np.eye(4)[c])[None, :]))

    numerical = [centred(loss(c), 0.0) for c in range(4)]
    closed = activations.softmax(z) - np.eye(4)[label]
    np.testing.assert_allclose(numerical, closed, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(np.round(closed, 4), [0.0024, 0.0066, 0.9732, -0.9822])
    dlkit_gradient = losses.cross_entropy_grad(np.array([label]), z[None, :])[0]
    np.testing.assert_allclose(dlkit_gradient, closed, rtol=1e-14)


# --- 7 · gradient descent ------------------------------------------------------------------------


def test_one_step_of_gradient_descent_is_w_minus_lr_times_the_gradient():
    model = nn.MLP([2, 2, 1], activation="sigmoid", rng=np.random.default_rng(0))
    loss = losses.BinaryCrossEntropy(from_logits=True)
    before = [p.value.copy() for p in model.parameters()]

    def J():
        return loss(XOR_Y, model(XOR_X))

    numerical = []
    for p in model.parameters():
        grad = np.zeros_like(p.value)
        for index in np.ndindex(p.value.shape):
            keep = p.value[index]
            p.value[index] = keep + 1e-6
            up = J()
            p.value[index] = keep - 1e-6
            down = J()
            p.value[index] = keep
            grad[index] = (up - down) / 2e-6
        numerical.append(grad)
    J()
    model.zero_grad()
    model.backward(loss.backward())
    optim.SGD(model.parameters(), lr=5.0).step()
    for p, old, grad in zip(model.parameters(), before, numerical, strict=True):
        np.testing.assert_allclose(p.value, old - 5.0 * grad, rtol=1e-7, atol=1e-8)


# --- 8 · universal approximation -----------------------------------------------------------------


@pytest.mark.parametrize("units", [2, 4, 16])
def test_m_relu_units_make_a_piecewise_linear_function_with_at_most_m_kinks(units):
    rng = np.random.default_rng(units)
    W1, b1 = rng.standard_normal((1, units)), rng.standard_normal(units)
    W2, b2 = rng.standard_normal((units, 1)), rng.standard_normal(1)
    x = np.linspace(-4.0, 4.0, 8001).reshape(-1, 1)
    y = nn.mlp_forward(x, [W1, W2], [b1, b2], "relu", None)[:, 0]
    slopes = np.diff(y) / np.diff(x[:, 0])
    kinks = np.sum(~np.isclose(np.diff(slopes), 0.0, atol=1e-8))
    # A kink between two grid points bends two neighbouring slope differences at most.
    assert kinks <= 2 * units
    breakpoints = -b1 / W1[0]
    inside = np.sum((breakpoints > -4.0) & (breakpoints < 4.0))
    assert kinks >= inside - np.sum(np.isclose(W2[:, 0], 0.0))
