"""Gradient-descent worked examples of the course (course-map 06), run with dlkit's optimizer."""

import numpy as np
import pytest

from dlkit.nn import Parameter
from dlkit.optim import SGD


def quartic(x):
    """f(x) = x⁴ − 2x² + x − 1, the lecture's function with a local and a global minimum."""
    return x**4 - 2 * x**2 + x - 1


def quartic_grad(x):
    return 4 * x**3 - 4 * x + 1


def descend(grad, x0, lr, steps, maximise=False):
    """Plain gradient descent (or ascent) with dlkit.optim.SGD on one scalar parameter."""
    x = Parameter(np.array([x0]))
    optimizer = SGD([x], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        g = grad(x.value)
        x.grad += -g if maximise else g
        optimizer.step()
    return float(x.value[0])


def test_stationary_points_of_the_quartic_are_the_roots_of_its_derivative():
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 1.0]).real)  # independent: the cubic 4x³ − 4x + 1 = 0
    np.testing.assert_allclose(roots, [-1.1072, 0.2696, 0.8376], atol=5e-5)
    assert quartic(roots[0]) < quartic(roots[2])  # the left minimum is the global one


@pytest.mark.parametrize(("x0", "minimum"), [(0.3, 0.8376), (0.0, -1.1072)])
def test_gradient_descent_on_the_quartic_stops_in_the_minimum_of_its_basin(x0, minimum):
    x = descend(quartic_grad, x0, lr=0.01, steps=3000)
    assert x == pytest.approx(minimum, abs=1e-4)
    assert abs(quartic_grad(x)) < 1e-8


def test_gradient_descent_on_a_parabola_converges_to_zero():
    assert descend(lambda x: 2 * x, 5.0, lr=0.1, steps=200) == pytest.approx(0.0, abs=1e-12)


def test_gradient_ascent_finds_the_maximum_of_the_downward_parabola():
    def f(x):
        return -((x - 2) ** 2) + 3

    x = descend(lambda x: -2 * (x - 2), 0.0, lr=0.1, steps=200, maximise=True)
    assert x == pytest.approx(2.0, abs=1e-10)
    assert f(x) == pytest.approx(3.0, abs=1e-12)


def test_a_learning_rate_above_two_over_curvature_diverges_on_the_parabola():
    # For f = x², one step multiplies x by (1 − 2 lr): |1 − 2 lr| > 1 when lr > 1.
    assert abs(descend(lambda x: 2 * x, 1.0, lr=1.1, steps=50)) > 1e3
