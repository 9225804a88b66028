"""Every worked example and formula of notebook 02_activations, against independent truth.

Truth comes from the math module (exp, erf, tanh, expm1), closed forms and centred differences;
dlkit's references (the functions the notebook's checks compare with) must agree with it.
"""

import math
import warnings

import numpy as np
import pytest

from dlkit import activations as A
from dlkit import nn

H = 1e-6  # step of the centred differences


def centred(f, z, h=H):
    return (f(z + h) - f(z - h)) / (2 * h)


def Phi(z):
    """The standard normal CDF."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def phi(z):
    """The standard normal density."""
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


def gelu_tanh(z):
    return 0.5 * z * (1.0 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))


def bisect(f, lo, hi, steps=200):
    """The root of f in [lo, hi] (f changes sign there)."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (f(lo) < 0) == (f(mid) < 0) else (lo, mid)
    return (lo + hi) / 2


def ref(f, z, *args):
    """A dlkit reference at one point, as a Python float."""
    return float(f(np.array([z]), *args)[0])


# --- section 1: layers without an activation collapse ------------------------------------------------


def test_collapse_worked_example_row_form_and_the_lecture_column_form():
    W1, b1 = [[1, 2], [3, 4]], [1, -1]
    W2, b2 = [[2, 0], [-1, 1]], [0, 1]
    x = [1, -2]
    # Row form by explicit sums: z1_k = sum_i x_i W1[i][k] + b1_k, and so on.
    z1 = [sum(x[i] * W1[i][k] for i in range(2)) + b1[k] for k in range(2)]
    z2 = [sum(z1[k] * W2[k][j] for k in range(2)) + b2[j] for j in range(2)]
    W = [[sum(W1[i][k] * W2[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    b = [sum(b1[k] * W2[k][j] for k in range(2)) + b2[j] for j in range(2)]
    assert W == [[0, 2], [2, 4]] and b == [3, 0] and z2 == [-1, -6]
    assert [sum(x[i] * W[i][j] for i in range(2)) + b[j] for j in range(2)] == [-1, -6]
    W_ref, b_ref = nn.collapse_linear(np.array(W1), np.array(b1), np.array(W2), np.array(b2))
    np.testing.assert_array_equal(W_ref, W)
    np.testing.assert_array_equal(b_ref, b)
    # Column form z = W x + b with the same numbers: W' = W2 W1, b' = W2 b1 + b2.
    Wc = [[sum(W2[i][k] * W1[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    bc = [sum(W2[i][k] * b1[k] for k in range(2)) + b2[i] for i in range(2)]
    assert Wc == [[2, 4], [2, 2]] and bc == [2, -1]
    assert [sum(Wc[i][j] * x[j] for j in range(2)) + bc[i] for i in range(2)] == [-4, -3]


def test_ten_linear_layers_are_one_layer():
    rng = np.random.default_rng(0)
    sizes = [3, 5, 4, 6, 2, 5, 3, 4, 4, 2, 3]
    layers = [(rng.standard_normal((m, n)), rng.standard_normal(n))
              for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
    X = rng.standard_normal((8, 3))
    out = X
    for W, b in layers:
        out = out @ W + b
    W, b = layers[0]
    for W_next, b_next in layers[1:]:
        W, b = nn.collapse_linear(W, b, W_next, b_next)
    np.testing.assert_allclose(X @ W + b, out, rtol=1e-10, atol=1e-10)


def test_a_deep_network_without_activation_is_affine_so_its_boundary_is_a_line():
    model = nn.MLP([2, 16, 16, 16, 1], activation="identity", rng=np.random.default_rng(1))
    X = np.random.default_rng(2).uniform(-2, 2, size=(50, 2))
    out = model(X)[:, 0]
    design = np.column_stack([X, np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(design, out, rcond=None)
    np.testing.assert_allclose(design @ coef, out, atol=1e-10)  # out = w1 x1 + w2 x2 + c exactly
    tanh_model = nn.MLP([2, 16, 16, 16, 1], activation="tanh", rng=np.random.default_rng(1))
    tanh_out = tanh_model(X)[:, 0]
    coef, *_ = np.linalg.lstsq(design, tanh_out, rcond=None)
    assert np.max(np.abs(design @ coef - tanh_out)) > 1e-3  # with tanh it is not


def test_the_step_function_passes_no_gradient_and_the_sigmoid_does():
    # One neuron: x = (1, 2), w = (0.5, -0.5), b = 0.2, y = 1, L = (y_hat - y)^2.
    def loss(g, w1):
        return (g(0.2 + 1.0 * w1 + 2.0 * -0.5) - 1.0) ** 2

    def step(z):
        return 1.0 if z > 0 else 0.0

    assert centred(lambda w1: loss(step, w1), 0.5, 1e-4) == 0.0
    z = -0.3
    chain = 2 * (sigma(z) - 1.0) * sigma(z) * (1 - sigma(z)) * 1.0  # dL/dy_hat * g'(z) * x1
    assert centred(lambda w1: loss(sigma, w1), 0.5) == pytest.approx(chain, rel=1e-8)
    assert round(chain, 4) == -0.2809
    assert np.all(A.step_grad(np.linspace(-3, 3, 13)) == 0.0)


# --- section 2: sigmoid and tanh -----------------------------------------------------------------------


@pytest.mark.parametrize("z", [-30.0, -5.0, -0.5, 0.0, 0.5, 5.0, 30.0])
def test_sigmoid_formulas(z):
    assert ref(A.sigmoid, z) == pytest.approx(sigma(z), rel=1e-14)
    e = math.exp(-abs(z))  # the stable form of the notebook
    assert (1 / (1 + e) if z >= 0 else e / (1 + e)) == pytest.approx(sigma(z), rel=1e-14)
    derivative = math.exp(-z) / (1 + math.exp(-z)) ** 2
    assert derivative == pytest.approx(sigma(z) * (1 - sigma(z)), rel=1e-10, abs=1e-15)
    assert ref(A.sigmoid_grad, z) == pytest.approx(centred(sigma, z), rel=1e-6, abs=1e-12)


def test_sigmoid_numbers():
    assert sigma(0.0) == 0.5
    assert sigma(-40.0) < 1e-17 and 1 - sigma(40.0) < 1e-17  # limits 0 and 1
    assert ref(A.sigmoid_grad, 0.0) == 0.25
    z = np.linspace(-10, 10, 20001)
    assert np.max(A.sigmoid_grad(z)) == 0.25
    assert round(ref(A.sigmoid_grad, 5.0), 4) == 0.0066
    assert f"{ref(A.sigmoid_grad, 10.0):.1e}" == "4.5e-05"
    assert f"{np.finfo(np.float64).max:.1e}" == "1.8e+308"
    with pytest.raises(OverflowError):
        math.exp(1000.0)


def test_np_where_computes_both_branches_so_the_naive_stable_form_still_overflows():
    z = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
    with np.errstate(over="raise"):
        e = np.exp(-np.abs(z))
        np.testing.assert_array_equal(np.where(z >= 0, 1 / (1 + e), e / (1 + e)), [0.0, 1.0])


def test_sigmoid_erratum_plus_instead_of_minus():
    s = sigma(0.0)
    assert s * (1 - s) == 0.25 and s * (1 + s) == 0.75
    assert centred(sigma, 0.0) == pytest.approx(0.25, rel=1e-9)


@pytest.mark.parametrize("z", [-4.0, -1.0, 0.0, 0.25, 1.0, 3.0])
def test_tanh_formulas(z):
    exponentials = (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z))
    assert exponentials == pytest.approx(math.tanh(z), rel=1e-13, abs=1e-16)
    assert 2 * sigma(2 * z) - 1 == pytest.approx(math.tanh(z), abs=1e-15)
    assert (1 - math.exp(-2 * z)) / (1 + math.exp(-2 * z)) == pytest.approx(math.tanh(z), abs=1e-15)
    assert 2 / (1 + math.exp(-2 * z)) - 1 == pytest.approx(math.tanh(z), abs=1e-15)
    assert math.tanh(-z) == -math.tanh(z)
    assert ref(A.tanh, z) == pytest.approx(math.tanh(z), abs=1e-15)
    assert ref(A.tanh_grad, z) == pytest.approx(centred(math.tanh, z), rel=1e-6, abs=1e-12)
    assert ref(A.tanh_grad, z) == pytest.approx(1 - math.tanh(z) ** 2, abs=1e-15)


def test_tanh_numbers_and_the_erratum():
    assert math.tanh(0.0) == 0.0 and ref(A.tanh_grad, 0.0) == 1.0
    assert f"{ref(A.tanh_grad, 5.0):.1e}" == "1.8e-04"
    assert round(math.tanh(1.0), 4) == 0.7616
    assert round(2 * sigma(1.0) - 1, 4) == 0.4621
    assert 2 * sigma(1.0) - 1 == pytest.approx(math.tanh(0.5), abs=1e-15)  # the notes' formula is tanh(x / 2)
    with np.errstate(over="ignore", invalid="ignore"):  # the exponential formula at z = 1000: inf / inf
        z = np.array([1000.0])
        assert np.isnan((np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)))[0]


# --- section 3: ReLU, Leaky ReLU, ELU, GELU ------------------------------------------------------------


def test_relu_derivative_is_the_step_function_and_relu_is_unbounded():
    z = np.array([-2.0, -1e-300, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(A.relu_grad(z), A.step(z))
    assert ref(A.relu_grad, 0.0) == 0.0
    assert ref(A.relu, 1e6) == 1e6 and ref(A.relu, 1000.0) == 1000.0
    # The gradient reaching z is dout * relu'(z): cut where z < 0, whatever the sign of dout.
    dout, z = np.array([-3.0, -3.0, 4.0, 4.0]), np.array([2.0, -1.0, 3.0, -0.5])
    np.testing.assert_array_equal(dout * A.relu_grad(z) + 0.0, [-3.0, 0.0, 4.0, 0.0])


@pytest.mark.parametrize("beta", [0.0, 0.01, 0.2, 1.0])
def test_leaky_relu_is_max_of_beta_z_and_z(beta):
    for z in (-2.0, -0.5, 0.0, 0.5, 3.0):
        piecewise = z if z > 0 else beta * z
        assert max(beta * z, z) == piecewise
        assert ref(A.leaky_relu, z, beta) == piecewise
        assert ref(A.leaky_relu_grad, z, beta) == (1.0 if z > 0 else beta)
        assert max(0.0, beta * z, z) == max(0.0, z)  # the notes' max(0, beta z, z) is ReLU
    assert ref(A.leaky_relu, -2.0, 0.01) == pytest.approx(-0.02)
    if beta == 0.0:
        assert ref(A.leaky_relu, -2.0, beta) == ref(A.relu, -2.0)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_elu_formulas_and_limits(alpha):
    for z in (-3.0, -0.5, -1e-9, 0.5, 2.0):
        value = z if z > 0 else alpha * (math.exp(z) - 1)
        assert ref(A.elu, z, alpha) == pytest.approx(value, rel=1e-12)
        slope = 1.0 if z > 0 else alpha * math.exp(z)
        assert ref(A.elu_grad, z, alpha) == pytest.approx(slope, rel=1e-12)
        if z <= 0:
            assert slope == pytest.approx(value + alpha, rel=1e-12)
            assert slope == pytest.approx(centred(lambda t: alpha * math.expm1(t), z), rel=1e-6)
    assert ref(A.elu, -50.0, alpha) == pytest.approx(-alpha, rel=1e-15)
    assert ref(A.elu, 1e6, alpha) == 1e6
    assert ref(A.elu_grad, 0.0, alpha) == alpha  # the value from the left
    z = np.linspace(-10, 10, 20001)
    assert np.max(A.elu_grad(z, alpha)) == pytest.approx(max(1.0, alpha), rel=1e-3)  # largest slope


def test_expm1_is_accurate_where_exp_minus_one_loses_digits():
    z = 1e-10
    exact = z + z * z / 2  # the series, to well below float64 precision here
    assert math.expm1(z) == pytest.approx(exact, rel=1e-15)
    assert abs((math.exp(z) - 1) - exact) / exact > 1e-9


def test_gelu_exact_numbers():
    assert ref(A.gelu, 1.0) == pytest.approx(1.0 * Phi(1.0), rel=1e-14)
    assert round(Phi(1.0), 6) == 0.841345
    assert centred(Phi, 0.7) == pytest.approx(phi(0.7), rel=1e-8)  # Phi' = phi
    for z in (-3.0, -1.0, 0.0, 1.0, 2.5):
        assert ref(A.gelu_grad, z) == pytest.approx(Phi(z) + z * phi(z), rel=1e-12, abs=1e-15)
        assert ref(A.gelu_grad, z) == pytest.approx(centred(lambda t: t * Phi(t), z), rel=1e-6, abs=1e-9)
    assert ref(A.gelu_grad, 0.0) == 0.5
    assert round(Phi(1.0) + phi(1.0), 4) == 1.0833 and round(Phi(-1.0) - phi(-1.0), 4) == -0.0833
    assert ref(A.gelu, 40.0) == pytest.approx(40.0) and abs(ref(A.gelu, -40.0)) < 1e-300


def test_gelu_minimum_and_largest_slope():
    z_min = bisect(lambda z: Phi(z) + z * phi(z), -2.0, 0.0)  # gelu'(z) = 0
    assert round(z_min, 4) == -0.7518 and round(z_min * Phi(z_min), 5) == -0.16997
    assert round(z_min * Phi(z_min), 2) == -0.17  # the table's range [-0.17, inf)
    # gelu''(z) = phi(z) (2 - z^2) = 0 at z = ±√2: the largest slope, and the most negative one.
    assert centred(lambda z: Phi(z) + z * phi(z), math.sqrt(2), 1e-5) == pytest.approx(0.0, abs=1e-9)
    assert round(Phi(math.sqrt(2)) + math.sqrt(2) * phi(math.sqrt(2)), 3) == 1.129
    z = np.linspace(-10, 10, 200001)
    largest = Phi(math.sqrt(2)) + math.sqrt(2) * phi(math.sqrt(2))
    assert np.max(A.gelu_grad(z)) == pytest.approx(largest, rel=1e-9)


def test_gelu_tanh_approximation():
    assert round(gelu_tanh(1.0), 6) == 0.841192
    assert ref(A.gelu, 1.0, True) == pytest.approx(gelu_tanh(1.0), rel=1e-14)
    grid = np.linspace(-10.0, 10.0, 200001)
    gap = max(abs(gelu_tanh(z) - z * Phi(z)) for z in grid[::10])
    assert f"{gap:.1e}" == "4.7e-04"
    c = math.sqrt(2 / math.pi)
    for z in (-3.0, -1.0, 0.0, 1.0, 2.5):
        t = math.tanh(c * (z + 0.044715 * z**3))
        formula = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z)
        assert formula == pytest.approx(centred(gelu_tanh, z), rel=1e-6, abs=1e-9)
        assert ref(A.gelu_grad, z, True) == pytest.approx(formula, rel=1e-12, abs=1e-15)
        assert 0.5 * (1 + math.tanh(c * (z + 0.044715 * z**3))) == pytest.approx(
            sigma(2 * c * (z + 0.044715 * z**3)), abs=1e-15)  # (1 + tanh u) / 2 = sigma(2u)


# --- section 4: the table and the saturation counts -----------------------------------------------------


def test_the_table_of_limits_and_slopes():
    far = np.array([-60.0, 60.0])
    np.testing.assert_allclose(A.sigmoid(far), [0.0, 1.0], atol=1e-20)
    np.testing.assert_allclose(A.tanh(far), [-1.0, 1.0], atol=1e-20)
    for f_grad, limits in [(A.sigmoid_grad, [0, 0]), (A.tanh_grad, [0, 0]), (A.relu_grad, [0, 1]),
                           (A.elu_grad, [0, 1]), (A.gelu_grad, [0, 1])]:
        np.testing.assert_allclose(f_grad(far), limits, atol=1e-20)
    np.testing.assert_allclose(A.leaky_relu_grad(far, beta=0.1), [0.1, 1.0])
    assert ref(A.leaky_relu, -1e6, 0.1) == -1e5  # no lower bound for beta > 0
    z = np.linspace(-10, 10, 200001)
    for f_grad, largest in [(A.sigmoid_grad, 0.25), (A.tanh_grad, 1.0), (A.relu_grad, 1.0),
                            (lambda z: A.leaky_relu_grad(z, 0.2), 1.0)]:
        assert np.max(f_grad(z)) == pytest.approx(largest, rel=1e-12)
    # Zero-centred: only tanh is odd; ELU's mean under N(0, 1) lies closer to 0 than ReLU's.
    assert math.tanh(-0.7) == -math.tanh(0.7)
    normal = np.random.default_rng(0).standard_normal(200_000)
    assert abs(np.mean(A.elu(normal))) < abs(np.mean(A.relu(normal)))


def _share_below(threshold_pairs, sd=3.0):
    """P(z in the union of intervals) for z ~ N(0, sd²), intervals as (low, high)."""
    return sum(Phi(high / sd) - Phi(low / sd) for low, high in threshold_pairs)


def test_shares_of_saturated_units_for_z_normal_with_sd_3():
    inf = math.inf
    z_sigmoid = math.log((1 + math.sqrt(0.8)) / (1 - math.sqrt(0.8)))  # sigma'(z) = 0.05
    assert sigma(z_sigmoid) * (1 - sigma(z_sigmoid)) == pytest.approx(0.05)
    z_tanh = math.atanh(math.sqrt(0.95))  # 1 - tanh^2 = 0.05
    z_elu = math.log(0.05)  # e^z = 0.05
    gelu_slope = lambda z: Phi(z) + z * phi(z)  # noqa: E731
    left = bisect(lambda z: abs(gelu_slope(z)) - 0.05, -6.0, -math.sqrt(2) - 1e-9)
    band = (bisect(lambda z: gelu_slope(z) + 0.05, -math.sqrt(2), -0.7518),
            bisect(lambda z: gelu_slope(z) - 0.05, -0.7518, 0.0))
    shares = {
        "sigmoid": _share_below([(-inf, -z_sigmoid), (z_sigmoid, inf)]),
        "tanh": _share_below([(-inf, -z_tanh), (z_tanh, inf)]),
        "relu": 0.5,
        "leaky_relu": 0.5,  # beta = 0.01 < 0.05
        "elu": _share_below([(-inf, z_elu)]),
        "gelu": _share_below([(-inf, left), band]),
    }
    printed = {"sigmoid": 0.335, "tanh": 0.468, "relu": 0.499, "leaky_relu": 0.499, "elu": 0.159,
               "gelu": 0.245}
    for name, share in shares.items():  # the notebook's counts of 100,000 draws: sd of a share < 0.0016
        assert share == pytest.approx(printed[name], abs=0.005), name
    rng = np.random.default_rng(7)
    z = 3.0 * rng.standard_normal(100_000)
    assert np.mean(np.abs(A.gelu_grad(z)) < 0.05) == pytest.approx(shares["gelu"], abs=0.006)
    assert np.mean(A.relu_grad(z) == 0.0) == pytest.approx(0.5, abs=0.006)


# --- section 5: softmax -----------------------------------------------------------------------------------


def _softmax(values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def test_softmax_worked_example_shift_invariance_and_the_erratum():
    p = _softmax([5, 6, 11, 7])
    assert [round(v, 4) for v in p] == [0.0024, 0.0066, 0.9732, 0.0178]
    assert sum(p) == pytest.approx(1.0, abs=1e-15) and all(v > 0 for v in p)
    np.testing.assert_allclose(_softmax([105, 106, 111, 107]), p, rtol=1e-12)
    np.testing.assert_allclose(A.softmax(np.array([5.0, 6.0, 11.0, 7.0])), p, rtol=1e-14)
    assert round(p[3], 2) == 0.02 and round(sum([0.00, 0.01, 0.97, 0.01]), 2) == 0.99  # the notes' values


def test_softmax_of_far_apart_rows_and_two_classes():
    s = A.softmax(np.array([[-1000.0, -999.0], [1000.0, 1001.0]]))
    np.testing.assert_allclose(s, [[sigma(-1.0), sigma(1.0)]] * 2, rtol=1e-14)
    assert [round(v, 4) for v in s[0]] == [0.2689, 0.7311]
    assert _softmax([0.5, 0.0])[0] == pytest.approx(sigma(0.5), rel=1e-15)
    assert round(sigma(0.5), 6) == 0.622459
    for z1, z2 in [(2.0, -1.0), (-0.3, 0.4)]:
        assert _softmax([z1, z2])[0] == pytest.approx(sigma(z1 - z2), rel=1e-14)
    with warnings.catch_warnings(), np.errstate(under="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        z = np.array([[-1000.0, -999.0], [1000.0, 1001.0]])
        global_max = np.exp(z - z.max())
        assert np.all(np.isnan(global_max / global_max.sum(axis=1, keepdims=True))[0])  # e^-2000 = 0, 0 / 0


# --- the rules box: what keeps float32 ------------------------------------------------------------------


def test_dtype_rules_of_the_notebook():
    z = np.ones(3, dtype=np.float32)
    assert (0.5 * z).dtype == (1.0 + z).dtype == np.float32
    assert (z / np.sqrt(2)).dtype == np.float64  # a NumPy float64 number promotes
    assert (z / math.sqrt(2)).dtype == np.float32  # a Python number does not
    assert np.where(z > 0, 1.0, 0.0).dtype == np.float64  # Python numbers alone make float64
    assert (math.pi * z).dtype == np.float32
