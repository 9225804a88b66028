"""dlkit.losses: gradients against numerical ones, closed forms, stability, dtypes, classes, bad input."""

import math

import numpy as np
import pytest
from numerics import no_floating_point_trouble

from dlkit import losses as L
from dlkit.activations import sigmoid
from dlkit.backend import asarray, to_numpy, use_backend
from dlkit.gradcheck import numerical_gradient, relative_error


def regression_case(rng, shape):
    return rng.normal(size=shape), rng.normal(size=shape)


def probability_case(rng, shape):
    return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.05, 0.95, size=shape)


def logit_case(rng, shape):
    return rng.integers(0, 2, size=shape).astype(float), rng.normal(scale=3.0, size=shape)


def label_case(rng, shape):
    n, n_classes = shape
    return rng.integers(0, n_classes, size=n), rng.normal(scale=2.0, size=shape)


def one_hot_case(rng, shape):
    labels, logits = label_case(rng, shape)
    return np.eye(shape[1])[labels], logits


def soft_label_case(rng, shape):
    targets = rng.uniform(size=shape)
    return targets / targets.sum(axis=1, keepdims=True), rng.normal(size=shape)


# (name, loss, its gradient, a function (rng, shape) -> (y_true, y_pred), shapes)
CASES = [
    ("mse", L.mse, L.mse_grad, regression_case, [(6,), (4, 3), (2, 3, 2)]),
    ("bce", L.binary_cross_entropy, L.binary_cross_entropy_grad, probability_case, [(6,), (5, 1), (4, 3)]),
    (
        "bce_logits",
        L.binary_cross_entropy_with_logits,
        L.binary_cross_entropy_with_logits_grad,
        logit_case,
        [(6,), (5, 1), (4, 3)],
    ),
    ("ce_labels", L.cross_entropy, L.cross_entropy_grad, label_case, [(5, 3), (1, 4), (8, 2)]),
    ("ce_one_hot", L.cross_entropy, L.cross_entropy_grad, one_hot_case, [(5, 3), (3, 6)]),
    ("ce_soft", L.cross_entropy, L.cross_entropy_grad, soft_label_case, [(4, 3)]),
]
GRADIENT_CASES = [
    pytest.param(loss, grad, make, shape, id=f"{name}-{shape}")
    for name, loss, grad, make, shapes in CASES
    for shape in shapes
]
ONE_SHAPE_CASES = [
    pytest.param(loss, grad, make, shapes[-1], id=name) for name, loss, grad, make, shapes in CASES
]


# --- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("loss", "grad", "make", "shape"), GRADIENT_CASES)
def test_gradient_matches_numerical_gradient(loss, grad, make, shape):
    rng = np.random.default_rng(math.prod(shape))
    y_true, y_pred = make(rng, shape)
    numerical = numerical_gradient(lambda y_pred_: loss(y_true, y_pred_), y_pred)
    analytic = grad(y_true, y_pred)
    assert analytic.shape == y_pred.shape
    assert relative_error(analytic, numerical) < 1e-7


@pytest.mark.parametrize(
    ("loss", "grad"),
    [(L.mse, L.mse_grad), (L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad)],
)
def test_a_label_vector_meets_a_column_of_predictions(loss, grad):
    rng = np.random.default_rng(1)
    y_true, y_pred = logit_case(rng, (5, 1))
    assert float(loss(y_true[:, 0], y_pred)) == float(loss(y_true, y_pred))
    g = grad(y_true[:, 0], y_pred)
    assert g.shape == (5, 1)
    np.testing.assert_array_equal(g, grad(y_true, y_pred))


# --- closed forms, worked examples -------------------------------------------------------------


def test_closed_forms():
    assert float(L.mse([1.0, 2.0], [1.0, 4.0])) == 2.0
    np.testing.assert_array_equal(L.mse_grad([1.0, 2.0], [1.0, 4.0]), [0.0, 2.0])
    assert float(L.binary_cross_entropy([0, 1], [0.5, 0.5])) == pytest.approx(math.log(2), rel=1e-15)
    assert float(L.binary_cross_entropy_with_logits([0, 1], [0.0, 0.0])) == pytest.approx(
        math.log(2), rel=1e-15
    )
    assert float(L.cross_entropy([2, 0], np.zeros((2, 5)))) == pytest.approx(math.log(5), rel=1e-15)
    np.testing.assert_allclose(L.cross_entropy_grad([2], np.zeros((1, 4))), [[0.25, 0.25, -0.75, 0.25]])


def test_bce_from_probabilities_agrees_with_bce_from_logits():
    rng = np.random.default_rng(2)
    y_true, z = logit_case(rng, (10,))
    assert float(L.binary_cross_entropy(y_true, sigmoid(z))) == pytest.approx(
        float(L.binary_cross_entropy_with_logits(y_true, z)), rel=1e-12
    )


def test_two_class_cross_entropy_is_binary_cross_entropy_of_the_logit_difference():
    rng = np.random.default_rng(3)
    labels, z = rng.integers(0, 2, size=7), rng.normal(size=7)
    logits = np.stack([np.zeros(7), z], axis=1)
    assert float(L.cross_entropy(labels, logits)) == pytest.approx(
        float(L.binary_cross_entropy_with_logits(labels, z)), rel=1e-12
    )


def test_integer_labels_and_one_hot_rows_give_the_same_loss_and_gradient():
    rng = np.random.default_rng(4)
    labels, logits = label_case(rng, (6, 4))
    one_hot = np.eye(4)[labels]
    assert float(L.cross_entropy(labels, logits)) == float(L.cross_entropy(one_hot, logits))
    np.testing.assert_array_equal(L.cross_entropy_grad(labels, logits), L.cross_entropy_grad(one_hot, logits))
    # whole-number labels stored as floats are accepted too
    assert float(L.cross_entropy(labels.astype(float), logits)) == float(L.cross_entropy(labels, logits))


def test_xor_network_worked_example():
    # 2-2-1 network without bias, sigmoid everywhere: h = σ(X W1), ŷ = σ(h W2).
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    W1 = np.array([[0.96, 0.89], [0.28, 0.73]])
    W2 = np.array([0.60, 0.22])
    h = sigmoid(X @ W1)
    y_hat = sigmoid(h @ W2)
    np.testing.assert_array_equal(h[0], [0.5, 0.5])
    assert y_hat[0] == sigmoid(np.array([0.41]))[0]
    np.testing.assert_allclose(y_hat, [0.601, 0.620, 0.643, 0.657], atol=5e-4)
    per_sample = [float(L.binary_cross_entropy(y[i : i + 1], y_hat[i : i + 1])) for i in range(4)]
    np.testing.assert_allclose(per_sample, [0.919, 0.478, 0.441, 1.069], atol=5e-4)
    assert float(L.binary_cross_entropy(y, y_hat)) == pytest.approx(np.mean(per_sample), rel=1e-14)


def test_probability_clipping_uses_the_dtype_epsilon():
    for dtype in (np.float64, np.float32):
        eps = np.finfo(dtype).eps
        with no_floating_point_trouble():
            loss = L.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 1.0], dtype=dtype))
            grad = L.binary_cross_entropy_grad(np.array([1.0, 0.0]), np.array([0.0, 1.0], dtype=dtype))
        assert float(loss) == pytest.approx(-math.log(eps), rel=1e-5)  # 36.0 in float64, 15.9 in float32
        assert np.all(np.isfinite(grad))


# --- numerical stability -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logit_losses_are_exact_and_warning_free_at_1000(dtype):
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dtype)
    with no_floating_point_trouble():
        bce = L.binary_cross_entropy_with_logits(y, z)
        bce_grad = L.binary_cross_entropy_with_logits_grad(y, z)
        ce = L.cross_entropy([0, 0], logits)
        ce_grad = L.cross_entropy_grad([0, 0], logits)
    assert float(bce) == pytest.approx(500.0)  # two perfect answers, two wrong by 1000 each
    np.testing.assert_allclose(bce_grad, [0.0, 0.0, 0.25, -0.25])
    assert float(ce) == pytest.approx(1000.0 + 0.5 * math.log1p(math.exp(-1.0)), rel=1e-6)
    assert np.all(np.isfinite(ce_grad))
    np.testing.assert_allclose(ce_grad.sum(axis=1), 0.0, atol=1e-6)


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("loss", "grad", "make", "shape"), ONE_SHAPE_CASES)
def test_float32_predictions_stay_float32(loss, grad, make, shape):
    y_true, y_pred = make(np.random.default_rng(5), shape)
    y_pred = y_pred.astype(np.float32)
    assert loss(y_true, y_pred).dtype == np.float32
    assert grad(y_true, y_pred).dtype == np.float32


# --- classes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_loss", "loss", "grad", "make"),
    [
        (L.MSE, L.mse, L.mse_grad, regression_case),
        (L.BinaryCrossEntropy, L.binary_cross_entropy, L.binary_cross_entropy_grad, probability_case),
        (
            lambda: L.BinaryCrossEntropy(from_logits=True),
            L.binary_cross_entropy_with_logits,
            L.binary_cross_entropy_with_logits_grad,
            logit_case,
        ),
    ],
    ids=["MSE", "BinaryCrossEntropy", "BinaryCrossEntropy(from_logits=True)"],
)
def test_loss_classes_match_their_functions(make_loss, loss, grad, make):
    y_true, y_pred = make(np.random.default_rng(6), (5, 1))
    criterion = make_loss()
    value = criterion.forward(y_true, y_pred)
    assert type(value) is float and value == float(loss(y_true, y_pred))
    np.testing.assert_array_equal(criterion.backward(), grad(y_true, y_pred))
    assert criterion(y_true, y_pred) == value


def test_cross_entropy_class_matches_its_function():
    labels, logits = label_case(np.random.default_rng(7), (5, 3))
    criterion = L.CrossEntropy()
    assert criterion.forward(labels, logits) == float(L.cross_entropy(labels, logits))
    np.testing.assert_array_equal(criterion.backward(), L.cross_entropy_grad(labels, logits))


def test_backward_needs_a_forward_first():
    with pytest.raises(RuntimeError, match=r"CrossEntropy.backward\(\) called before forward\(\)"):
        L.CrossEntropy().backward()


def test_from_logits_must_be_a_bool():
    with pytest.raises(TypeError, match="from_logits must be True or False, got str 'yes'"):
        L.BinaryCrossEntropy(from_logits="yes")


# --- independent reference: PyTorch --------------------------------------------------------------


def test_losses_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(8)
    y, y_hat = regression_case(rng, (6, 2))
    assert float(L.mse(y, y_hat)) == pytest.approx(F.mse_loss(torch.tensor(y_hat), torch.tensor(y)).item())
    y, p = probability_case(rng, (7,))
    assert float(L.binary_cross_entropy(y, p)) == pytest.approx(
        F.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
    )
    y, z = logit_case(rng, (7,))
    assert float(L.binary_cross_entropy_with_logits(y, z)) == pytest.approx(
        F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y)).item()
    )
    labels, logits = label_case(rng, (6, 4))
    assert float(L.cross_entropy(labels, logits)) == pytest.approx(
        F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    )


# --- other backends ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_other_backends_agree_with_numpy(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(9)
    for _name, loss, grad, make, shapes in CASES:
        y_true, y_pred = make(rng, shapes[-1])
        with use_backend(backend):
            y_true_b, y_pred_b = asarray(y_true), asarray(y_pred)
            value, gradient = loss(y_true_b, y_pred_b), grad(y_true_b, y_pred_b)
        assert float(value) == pytest.approx(float(loss(y_true, y_pred)), rel=1e-12)
        np.testing.assert_allclose(to_numpy(gradient), grad(y_true, y_pred), rtol=1e-12, atol=1e-16)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("loss", "grad", "make", "shape"), ONE_SHAPE_CASES)
def test_strings_are_refused(loss, grad, make, shape):
    y_true, y_pred = make(np.random.default_rng(10), shape)
    with pytest.raises(TypeError, match="y_pred must be an array of numbers"):
        loss(y_true, y_pred.astype(str))
    with pytest.raises(TypeError, match="y_true must be an array of numbers"):
        grad(np.asarray(y_true).astype(str), y_pred)


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred"),
    [
        (L.mse, np.ones(4), np.ones(5)),
        (L.mse, np.ones((4, 1)), np.ones(4)),  # the column convenience works one way only
        (L.mse, np.ones(4), np.ones((4, 2))),
        (L.binary_cross_entropy, np.ones((3, 1)), np.full((1, 3), 0.5)),
        (L.binary_cross_entropy_with_logits, np.ones(3), np.zeros(2)),
    ],
)
def test_mismatched_shapes_are_refused_not_broadcast(loss, y_true, y_pred):
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        loss(y_true, y_pred)


@pytest.mark.parametrize("loss", [L.mse, L.binary_cross_entropy_with_logits, L.cross_entropy])
def test_nan_targets_are_refused(loss):
    y_pred = np.zeros((3, 2)) if loss is L.cross_entropy else np.zeros(3)
    with pytest.raises(ValueError, match="y_true must be finite, got 1 NaN"):
        loss(np.array([0.0, np.nan, 1.0]), y_pred)


def test_binary_labels_must_be_0_or_1():
    with pytest.raises(
        ValueError, match=r"y_true must hold labels 0 or 1, got other values such as \[-1.0\]"
    ):
        L.binary_cross_entropy([1, -1, 0], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"labels 0 or 1, got other values such as \[2.0\]"):
        L.binary_cross_entropy_with_logits_grad([1, 2], [0.2, 0.3])


def test_probabilities_outside_0_1_point_to_the_logits_version():
    with pytest.raises(
        ValueError, match="y_pred must be probabilities in .0, 1., got values from -0.5 to 2.0.*logits"
    ):
        L.binary_cross_entropy([1, 0], [2.0, -0.5])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 3], r"class labels must be in 0 … 2 for y_pred with 3 columns, got labels from 0 to 3"),
        ([-1, 0], r"class labels must be in 0 … 2 .* got labels from -1 to 0"),
        ([0.5, 1.0], r"whole-number class labels"),
        ([0, 1, 2], r"y_true has 3 labels but y_pred has 2 rows"),
        ([[1, 0, 0], [0.5, 0.2, 0.2]], r"one-hot: rows of non-negative numbers that sum to 1"),
        ([[1, 0], [0, 1]], r"y_true and y_pred must have the same shape, got \(2, 2\) and \(2, 3\)"),
        (np.zeros((2, 3, 1)), r"y_true \(labels \(n,\) or one-hot \(n, C\)\) must be 1-D or 2-D"),
    ],
)
def test_bad_class_labels_are_refused(labels, message):
    with pytest.raises(ValueError, match=message):
        L.cross_entropy(labels, np.zeros((2, 3)))


def test_logits_must_be_a_matrix():
    with pytest.raises(ValueError, match=r"y_pred \(logits of shape \(n, C\)\) must be 2-D, got a 1-D array"):
        L.cross_entropy([1], np.zeros(3))
    with pytest.raises(ValueError, match="at least one row"):
        L.cross_entropy(np.zeros(0, dtype=int), np.zeros((0, 3)))


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="y_pred is empty"):
        L.mse(np.zeros(0), np.zeros(0))


# --- the classes' cached backward -----------------------------------------------------------------

CLASS_CASES = [
    (L.MSE, L.mse_grad, regression_case, (5, 2)),
    (L.BinaryCrossEntropy, L.binary_cross_entropy_grad, probability_case, (5, 1)),
    (lambda: L.BinaryCrossEntropy(from_logits=True), L.binary_cross_entropy_with_logits_grad, logit_case,
     (6,)),
    (L.CrossEntropy, L.cross_entropy_grad, label_case, (5, 3)),
    (L.CrossEntropy, L.cross_entropy_grad, one_hot_case, (4, 3)),
]
CLASS_IDS = ["MSE", "BCE", "BCE(from_logits)", "CE(labels)", "CE(one-hot)"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("make_loss", "grad", "make", "shape"), CLASS_CASES, ids=CLASS_IDS)
def test_cached_backward_checks_once_and_equals_the_stateless_gradient(make_loss, grad, make, shape, dtype):
    y_true, y_pred = make(np.random.default_rng(8), shape)
    y_pred = y_pred.astype(dtype)
    criterion = make_loss()
    checks = []
    check = criterion._check
    criterion._check = lambda *args: checks.append(1) or check(*args)
    criterion.forward(y_true, y_pred)
    gradient = criterion.backward()
    assert len(checks) == 1  # forward checked; backward reused its checked inputs
    assert gradient.dtype == y_pred.dtype
    np.testing.assert_allclose(gradient, grad(y_true, y_pred), rtol=1e-6 if dtype == "float32" else 1e-15)


@pytest.mark.parametrize(("make_loss", "grad", "make", "shape"), CLASS_CASES, ids=CLASS_IDS)
def test_unchecked_forward_of_checked_inputs_equals_forward(make_loss, grad, make, shape):
    y_true, y_pred = make(np.random.default_rng(9), shape)
    checked, unchecked = make_loss(), make_loss()
    value = checked.forward(y_true, y_pred)
    assert unchecked.forward_checked(unchecked.check_targets(y_true, y_pred), y_pred) == value
    np.testing.assert_array_equal(unchecked.backward(), checked.backward())


def test_backward_uses_the_latest_forward():
    criterion = L.CrossEntropy()
    criterion.forward([0, 1], np.zeros((2, 2)))
    criterion.forward([2], np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(criterion.backward(), L.cross_entropy_grad([2], np.array([[1.0, 2.0, 3.0]])))
