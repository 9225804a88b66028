"""dlkit.backprop, gradcheck.numerical_derivative and plot.computational_graph against independent truths.

The truths: explicit sums over indices, closed-form derivatives, and centred differences
(gradcheck.numerical_gradient, itself tested against closed forms in test_gradcheck.py).
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numerics import no_floating_point_trouble  # noqa: E402

from dlkit import backprop, plot  # noqa: E402
from dlkit.autograd import Value  # noqa: E402
from dlkit.gradcheck import numerical_derivative, numerical_gradient, relative_error  # noqa: E402


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- numerical_derivative ----------------------------------------------------------------------


@pytest.mark.parametrize(("f", "f_prime", "x"), [(math.sin, math.cos, 0.7), (math.exp, math.exp, -1.3),
                                                 (lambda t: t**3, lambda t: 3 * t**2, 2.0)])
def test_numerical_derivative_matches_closed_forms(f, f_prime, x):
    assert numerical_derivative(f, x) == pytest.approx(f_prime(x), rel=1e-9)


def test_centred_error_shrinks_like_h_squared():
    # For x³ at 1 the centred difference is exactly 3 + h²: halving h quarters the error.
    errors = [numerical_derivative(lambda t: t**3, 1.0, h) - 3.0 for h in (1e-2, 5e-3)]
    assert errors[0] == pytest.approx(1e-4, rel=1e-6)
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=1e-4)


@pytest.mark.parametrize("h", [0.0, -1e-3])
def test_numerical_derivative_needs_a_positive_step(h):
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_derivative(math.sin, 1.0, h)


@pytest.mark.parametrize("bad", [np.array([1.0, 2.0]), "1.0", True])
def test_numerical_derivative_takes_a_number(bad):
    with pytest.raises(TypeError, match="x must be a real number"):
        numerical_derivative(math.sin, bad)


# --- dense layer --------------------------------------------------------------------------------


def _dense_by_loops(X, W, b):
    """out[n, m] = Σ_d X_flat[n, d] W[d, m] + b[m], one index at a time."""
    X_flat = X.reshape(X.shape[0], -1)
    out = np.zeros((X.shape[0], W.shape[1]))
    for n in range(X.shape[0]):
        for m in range(W.shape[1]):
            out[n, m] = sum(X_flat[n, d] * W[d, m] for d in range(W.shape[0])) + b[m]
    return out


@pytest.mark.parametrize("x_shape", [(4, 3), (1, 3), (2, 3, 1), (3, 2, 2, 2)])
def test_dense_forward_flattens_each_sample_and_caches_its_inputs(x_shape):
    rng = np.random.default_rng(len(x_shape))
    D = math.prod(x_shape[1:])
    X, W, b = rng.normal(size=x_shape), rng.normal(size=(D, 2)), rng.normal(size=2)
    out, cache = backprop.dense_forward(X, W, b)
    np.testing.assert_allclose(out, _dense_by_loops(X, W, b), rtol=1e-12)
    assert cache[0] is X and cache[1] is W and cache[2] is b


@pytest.mark.parametrize("x_shape", [(4, 3), (1, 5), (2, 2, 3)])
def test_dense_backward_matches_numerical_gradients(x_shape):
    rng = np.random.default_rng(7)
    D = math.prod(x_shape[1:])
    X, W, b = rng.normal(size=x_shape), rng.normal(size=(D, 3)), rng.normal(size=3)
    dout = rng.normal(size=(x_shape[0], 3))
    dX, dW, db = backprop.dense_backward(dout, backprop.dense_forward(X, W, b)[1])
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)  # exactly, db is not (1, M)

    def loss(X_, W_, b_):  # L = Σ out ⊙ dout has dout as its upstream gradient
        return np.sum(_dense_by_loops(X_, W_, b_) * dout)

    assert relative_error(dX, numerical_gradient(lambda v: loss(v, W, b), X.copy())) < 1e-8
    assert relative_error(dW, numerical_gradient(lambda v: loss(X, v, b), W.copy())) < 1e-8
    assert relative_error(db, numerical_gradient(lambda v: loss(X, W, v), b.copy())) < 1e-8


def test_dense_layer_keeps_float32():
    rng = np.random.default_rng(0)
    X, W, b = (rng.normal(size=shape).astype(np.float32) for shape in ((3, 4), (4, 2), (2,)))
    out, cache = backprop.dense_forward(X, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in backprop.dense_backward(np.ones((3, 2), np.float32), cache))


@pytest.mark.parametrize(("X", "W", "b", "words"), [
    (np.ones(3), np.ones((3, 2)), np.ones(2), "batch axis"),
    (np.ones((4, 3)), np.ones((2, 3)), np.ones(3), "one row per input feature"),
    (np.ones((4, 3)), np.ones((3, 2)), np.ones(3), "one entry per output"),
    (np.ones((4, 3)), np.ones((3, 2)), np.ones((1, 2)), "b must be 1-D"),
])
def test_dense_forward_refuses_shapes_that_do_not_fit(X, W, b, words):
    with pytest.raises(ValueError, match=words):
        backprop.dense_forward(X, W, b)


def test_dense_backward_refuses_a_dout_of_another_shape():
    cache = backprop.dense_forward(np.ones((4, 3)), np.ones((3, 2)), np.ones(2))[1]
    with pytest.raises(ValueError, match=r"output shape \(4, 2\)"):
        backprop.dense_backward(np.ones((2, 4)), cache)


# --- sigmoid ------------------------------------------------------------------------------------


def test_sigmoid_backward_is_the_elementwise_derivative_times_dout():
    z = np.linspace(-4.0, 4.0, 9).reshape(3, 3)
    dout = np.arange(1.0, 10.0).reshape(3, 3)
    a, cache = backprop.sigmoid_forward(z)
    assert cache is a
    numerical = np.array([numerical_derivative(lambda t: 1.0 / (1.0 + math.exp(-t)), v) for v in z.ravel()])
    expected = dout * numerical.reshape(3, 3)
    np.testing.assert_allclose(backprop.sigmoid_backward(dout, cache), expected, rtol=1e-8)


def test_sigmoid_layer_is_stable_far_from_zero():
    with no_floating_point_trouble():
        a, cache = backprop.sigmoid_forward(np.array([-1000.0, 1000.0]))
        np.testing.assert_array_equal(backprop.sigmoid_backward(np.ones(2), cache), [0.0, 0.0])


def test_sigmoid_backward_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        backprop.sigmoid_backward(np.ones((2, 1)), np.ones(2))


# --- the two-layer network ------------------------------------------------------------------


def _bce_loss(X, y, W1, b1, W2, b2):
    """The mean binary cross-entropy of σ(σ(X W1 + b1) W2 + b2), written out."""
    y_hat = _sigmoid(_sigmoid(X @ W1 + b1) @ W2 + b2)
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


@pytest.mark.parametrize(("n", "d", "h"), [(1, 2, 2), (5, 3, 4), (16, 2, 8)])
def test_two_layer_backward_matches_numerical_gradients(n, d, h):
    rng = np.random.default_rng(n)
    X, W1, b1, W2, b2 = (rng.normal(size=shape) for shape in ((n, d), (d, h), (h,), (h, 1), (1,)))
    y = rng.integers(0, 2, size=(n, 1)).astype(float)
    loss, *grads = backprop.two_layer_backward(X, y, W1, b1, W2, b2)
    params = [W1, b1, W2, b2]
    assert loss == pytest.approx(_bce_loss(X, y, *params), rel=1e-12)
    for i, (grad, value) in enumerate(zip(grads, params, strict=True)):
        def loss_of(v, i=i):
            return _bce_loss(X, y, *params[:i], v, *params[i + 1:])
        assert grad.shape == value.shape
        assert relative_error(grad, numerical_gradient(loss_of, value.copy())) < 1e-7


def test_two_layer_backward_reads_labels_of_shape_n_as_a_column():
    X, W1, W2 = np.eye(2), np.ones((2, 2)), np.ones((2, 1))
    column = backprop.two_layer_backward(X, np.array([[0.0], [1.0]]), W1, np.zeros(2), W2, np.zeros(1))
    flat = backprop.two_layer_backward(X, np.array([0.0, 1.0]), W1, np.zeros(2), W2, np.zeros(1))
    for a, b in zip(column, flat, strict=True):
        np.testing.assert_array_equal(a, b)


def test_two_layer_backward_refuses_labels_other_than_0_and_1():
    with pytest.raises(ValueError, match="labels 0 or 1"):
        backprop.two_layer_backward(np.eye(2), np.array([[0.5], [1.0]]), np.ones((2, 2)), np.zeros(2),
                                    np.ones((2, 1)), np.zeros(1))


# --- the lecture's graphs ---------------------------------------------------------------------


GRAPH_CASES = np.random.default_rng(3).normal(scale=2.0, size=(5, 4)).tolist()


@pytest.mark.parametrize(("w", "b", "x", "y"), GRAPH_CASES)
def test_graph_forward_backward_matches_numerical_derivatives(w, b, x, y):
    y_hat, e, loss, dw, db = backprop.graph_forward_backward(w, b, x, y)
    assert (y_hat, e, loss) == pytest.approx((w * x + b, w * x + b - y, (w * x + b - y) ** 2))
    assert dw == pytest.approx(numerical_derivative(lambda t: (t * x + b - y) ** 2, w), rel=1e-8, abs=1e-9)
    assert db == pytest.approx(numerical_derivative(lambda t: (w * x + t - y) ** 2, b), rel=1e-8, abs=1e-9)


def test_dag_forward_backward_matches_the_closed_form_and_autograd():
    rng = np.random.default_rng(4)
    for X, w1, w2, y in rng.normal(scale=1.5, size=(6, 4)).tolist():
        y_hat, loss, dw1, dw2 = backprop.dag_forward_backward(X, w1, w2, y)
        assert y_hat == pytest.approx(X * (w1**2 * (1 + w2) + w1 * w2))
        assert dw1 == pytest.approx(2 * (y_hat - y) * X * (2 * w1 * (1 + w2) + w2))
        assert dw2 == pytest.approx(2 * (y_hat - y) * X * (w1**2 + w1))
        a, b = Value(w1), Value(w2)
        z1 = a * X
        L = (a * (z1 + b * (z1 + X)) - y) ** 2
        L.backward()
        assert (L.data, a.grad, b.grad) == pytest.approx((loss, dw1, dw2))


@pytest.mark.parametrize("function", [backprop.graph_forward_backward, backprop.dag_forward_backward])
def test_the_graphs_take_numbers(function):
    with pytest.raises(TypeError, match="must be a real number"):
        function(np.ones(2), 1.0, 1.0, 1.0)


# --- plot.computational_graph ------------------------------------------------------------------


def test_computational_graph_draws_a_box_per_node_an_arrow_per_edge_and_the_gradients():
    positions = {"w": (0, 1), "x": (0, 0), "L": (1, 0.5)}
    fig, ax = plt.subplots()
    assert plot.computational_graph(positions, [("w", "L"), ("x", "L")], {"w": 2.0, "x": 3.0, "L": 6.0},
                                    {"w": 3.0, "L": 1.0}, ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert {"w = 2", "x = 3", "L = 6"} <= set(texts)
    assert {"3", "1"} <= set(texts)  # the gradients; x has none
    assert sum(1 for t in ax.texts if getattr(t, "arrow_patch", None) is not None) == 2
    plt.close(fig)


def test_computational_graph_needs_a_position_for_every_node():
    with pytest.raises(ValueError, match=r"no position for node\(s\) \['y'\]"):
        plot.computational_graph({"x": (0, 0)}, [("x", "y")], {"x": 1.0})


# --- the array API standard -----------------------------------------------------------------------


def test_the_layer_functions_follow_the_array_api_standard():
    # array-api-strict refuses NumPy-only idioms: the same code runs on CuPy and PyTorch.
    import array_api_strict

    from dlkit.backend import to_numpy

    rng = np.random.default_rng(5)
    X, W1, b1, W2, b2 = (rng.normal(size=shape) for shape in ((4, 2, 3), (6, 5), (5,), (5, 1), (1,)))
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    strict = [array_api_strict.asarray(a) for a in (X, y, W1, b1, W2, b2)]
    strict_type = type(strict[0])

    out, cache = backprop.dense_forward(strict[0], strict[2], strict[3])
    gradients = backprop.dense_backward(out, cache)
    expected_out, expected_cache = backprop.dense_forward(X, W1, b1)
    expected = (expected_out, *backprop.dense_backward(expected_out, expected_cache))
    for got, want in zip((out, *gradients), expected, strict=True):
        assert type(got) is strict_type
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)

    strict[0] = array_api_strict.reshape(strict[0], (4, 6))
    loss, *grads = backprop.two_layer_backward(*strict)
    expected_loss, *expected_grads = backprop.two_layer_backward(X.reshape(4, 6), y, W1, b1, W2, b2)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for got, want in zip(grads, expected_grads, strict=True):
        assert type(got) is strict_type
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
