"""dlkit.regularization: penalties against numerical gradients, the ½ convention, clipping by global norm."""

import numpy as np
import pytest

from dlkit.regularization import clip_by_global_norm, global_norm, l1_grad, l1_penalty, l2_grad, l2_penalty


def numerical_gradients(f, arrays, h=1e-6):
    """Centred differences of the scalar f(list of arrays) with respect to every entry."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            old = a[index]
            a[index] = old + h
            up = f(arrays)
            a[index] = old - h
            down = f(arrays)
            a[index] = old
            g[index] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b)))


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    # Entries kept away from 0, where |w| has no derivative.
    return [rng.choice([-1, 1], size=(3, 4)) * rng.uniform(0.1, 2.0, size=(3, 4)),
            rng.choice([-1, 1], size=5) * rng.uniform(0.1, 2.0, size=5)]


def test_l2_penalty_has_the_half_and_its_gradient_is_lambda_w(weights):
    lam = 0.3
    expected = 0.5 * lam * sum(np.sum(w**2) for w in weights)
    assert l2_penalty(weights, lam) == pytest.approx(expected, rel=1e-15)
    numeric = numerical_gradients(lambda ws: l2_penalty(ws, lam), weights)
    for analytic, num, w in zip(l2_grad(weights, lam), numeric, weights, strict=True):
        np.testing.assert_allclose(analytic, lam * w, rtol=1e-15)
        assert relative_error(analytic, num) < 1e-7


def test_l1_penalty_and_subgradient(weights):
    lam = 0.2
    assert l1_penalty(weights, lam) == pytest.approx(lam * sum(np.sum(np.abs(w)) for w in weights), rel=1e-15)
    numeric = numerical_gradients(lambda ws: l1_penalty(ws, lam), weights)
    for analytic, num in zip(l1_grad(weights, lam), numeric, strict=True):
        assert relative_error(analytic, num) < 1e-7


def test_l1_subgradient_is_zero_at_zero():
    np.testing.assert_array_equal(l1_grad(np.array([-2.0, 0.0, 3.0]), 0.5), [-0.5, 0.0, 0.5])


def test_single_array_in_single_array_out_and_dtype_kept():
    w = np.array([[1.0, -2.0]], dtype=np.float32)
    for grad in (l1_grad(w, 0.1), l2_grad(w, 0.1), clip_by_global_norm(w, 1.0)[0]):
        assert isinstance(grad, np.ndarray) and grad.dtype == np.float32 and grad.shape == (1, 2)
    assert l2_penalty(w, 2.0) == pytest.approx(5.0)


def test_clip_by_global_norm_scales_all_gradients_together():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]  # global norm 5
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    assert global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1], [[0.0], [0.8]])
    assert grads[0][0] == 3.0, "the input must not change"


def test_clip_leaves_small_gradients_alone():
    grads = [np.array([0.3, -0.4])]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped[0], grads[0])


def test_clipped_gradient_keeps_the_direction_of_the_numerical_gradient():
    # f(w) = Σ exp(w) has gradient exp(w); clipping must give max_norm times its unit vector.
    w = [np.array([0.5, 1.0, 2.0])]
    numeric = numerical_gradients(lambda ws: float(np.sum(np.exp(ws[0]))), w)
    clipped, norm = clip_by_global_norm([np.exp(w[0])], 2.0)
    assert norm == pytest.approx(np.linalg.norm(numeric[0]), rel=1e-8)
    np.testing.assert_allclose(clipped[0], 2.0 * numeric[0] / np.linalg.norm(numeric[0]), rtol=1e-8)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: l2_penalty([np.ones(2)], -0.1), ValueError, "lam must be >= 0"),
        (lambda: l1_grad([np.ones(2)], "big"), TypeError, "lam must be a number"),
        (lambda: clip_by_global_norm([np.ones(2)], 0.0), ValueError, "max_norm must be > 0"),
        (lambda: l2_grad([np.array(["a", "b"])], 0.1), TypeError, r"weights\[0\] must be an array of num"),
    ],
)
def test_bad_arguments_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()
