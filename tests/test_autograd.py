"""dlkit.autograd.Value: the worked examples of the course and every rule against centred differences."""

import math

import pytest

from dlkit.autograd import Value


def numerical_derivative(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_graph_example_of_the_course():
    # ŷ = wx + b, L = (ŷ − y)² with w = 2, b = 1, (x, y) = (3, 9).
    w, b = Value(2.0), Value(1.0)
    y_hat = w * 3.0 + b
    e = y_hat - 9.0
    L = e**2
    L.backward()
    assert y_hat.data == 7.0
    assert e.data == -2.0
    assert L.data == 4.0
    assert w.grad == -12.0
    assert b.grad == -4.0


UNARY = {
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
    "tanh": (lambda v: v.tanh(), math.tanh),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0)),
    "neg": (lambda v: -v, lambda x: -x),
    "pow3": (lambda v: v**3, lambda x: x**3),
    "pow-1.5": (lambda v: v**-1.5, lambda x: x**-1.5),
    "radd": (lambda v: 2.5 + v, lambda x: 2.5 + x),
    "rsub": (lambda v: 2.5 - v, lambda x: 2.5 - x),
    "rmul": (lambda v: 2.5 * v, lambda x: 2.5 * x),
    "rdiv": (lambda v: 2.5 / v, lambda x: 2.5 / x),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [0.7, 1.9, -0.4])
def test_unary_operations_match_value_and_numerical_derivative(name, x):
    op, reference = UNARY[name]
    if name in ("log", "pow-1.5") and x <= 0:
        pytest.skip("defined for positive x only")
    v = Value(x)
    out = op(v)
    out.backward()
    assert out.data == pytest.approx(reference(x), rel=1e-12)
    assert v.grad == pytest.approx(numerical_derivative(reference, x), rel=1e-7, abs=1e-9)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_operations_match_numerical_partial_derivatives(name):
    f = BINARY[name]
    a, b = 1.3, -0.8
    va, vb = Value(a), Value(b)
    out = f(va, vb)
    out.backward()
    assert out.data == pytest.approx(f(a, b), rel=1e-12)
    assert va.grad == pytest.approx(numerical_derivative(lambda x: f(x, b), a), rel=1e-7)
    assert vb.grad == pytest.approx(numerical_derivative(lambda x: f(a, x), b), rel=1e-7)


def test_dag_with_a_shared_weight_sums_the_gradient_over_its_paths():
    # z1 = w1·x, z2 = w2·(z1 + x), ŷ = w1·(z1 + z2): w1 is used twice.
    def y_hat(w1, w2, x):
        z1 = w1 * x
        z2 = w2 * (z1 + x)
        return w1 * (z1 + z2)

    w1, w2, x = 0.5, -1.5, 2.0
    v1, v2, vx = Value(w1), Value(w2), Value(x)
    out = y_hat(v1, v2, vx)
    out.backward()
    assert out.data == pytest.approx(y_hat(w1, w2, x))
    assert v1.grad == pytest.approx(numerical_derivative(lambda t: y_hat(t, w2, x), w1), rel=1e-7)
    assert v2.grad == pytest.approx(numerical_derivative(lambda t: y_hat(w1, t, x), w2), rel=1e-7)
    assert vx.grad == pytest.approx(numerical_derivative(lambda t: y_hat(w1, w2, t), x), rel=1e-7)
    # Closed form: ŷ = w1² x (1 + w2) + w1 w2 x, so dŷ/dw1 = 2 w1 x (1 + w2) + w2 x.
    assert v1.grad == pytest.approx(2 * w1 * x * (1 + w2) + w2 * x)


@pytest.mark.parametrize("x", [-1.2, 0.0, 0.3, 2.0])
def test_chain_rule_example(x):
    # y = (6x² + 2)⁴ has y' = 48x(6x² + 2)³ (the notes' 4(6x² + 2)·12x drops the cube).
    v = Value(x)
    y = (6 * v**2 + 2) ** 4
    y.backward()
    assert v.grad == pytest.approx(48 * x * (6 * x**2 + 2) ** 3, rel=1e-12, abs=1e-12)
    assert v.grad == pytest.approx(numerical_derivative(lambda t: (6 * t**2 + 2) ** 4, x), rel=1e-7, abs=1e-6)


def test_sigmoid_is_stable_far_from_zero():
    for x, expected in [(1000.0, 1.0), (-1000.0, 0.0)]:
        v = Value(x)
        out = v.sigmoid()
        out.backward()
        assert out.data == expected
        assert v.grad == 0.0


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Value(1.0)
    total = Value(0.0)
    for _ in range(5000):
        total = total + x
    total.backward()
    assert total.data == 5000.0
    assert x.grad == 5000.0


def test_gradients_of_leaves_accumulate_over_backward_calls():
    w = Value(3.0)
    (w * 2.0).backward()
    (w * 5.0).backward()
    assert w.grad == 7.0


def test_repr_shows_data_and_grad():
    v = Value(1.5)
    assert repr(v) == "Value(data=1.5, grad=0)"


@pytest.mark.parametrize("bad", ["3", None, [1.0], True, 1 + 2j])
def test_value_refuses_non_real_data(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_power_needs_a_number_exponent_and_log_a_positive_value():
    with pytest.raises(TypeError, match="number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
