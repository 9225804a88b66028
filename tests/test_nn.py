"""dlkit.nn: gradient checks of every module, dtypes, Dropout, the Perceptron, XOR and bad input."""

import numpy as np
import pytest

from dlkit import losses, nn
from dlkit.backend import asarray, to_numpy, use_backend
from dlkit.gradcheck import check_gradients

TOL = 1e-7  # float64 relative error of a correct backward pass


def assert_gradients_ok(module, X, loss, y):
    errors = check_gradients(module, X, loss, y)
    assert set(errors) == {"input"} | {f"parameters[{i}]" for i in range(len(module.parameters()))}
    bad = {name: error for name, error in errors.items() if not error < TOL}
    assert not bad, f"relative errors above {TOL}: {bad}"


def mse_check(module, shape_in, shape_out, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape_in)
    y = rng.standard_normal(shape_out)
    assert_gradients_ok(module, X, losses.MSE(), y)


# --- gradient checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("n", "d", "m"), [(1, 3, 2), (5, 4, 3), (7, 1, 1)])
def test_dense_gradients(n, d, m, bias):
    layer = nn.Dense(d, m, bias=bias, rng=np.random.default_rng(0))
    mse_check(layer, (n, d), (n, m), seed=n)


ACTIVATIONS = [
    nn.Identity(),
    nn.Step(),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.ReLU(),
    nn.LeakyReLU(beta=0.1),
    nn.ELU(alpha=0.7),
    nn.GELU(),
    nn.GELU(approximate=True),
    nn.Softmax(),
]


@pytest.mark.parametrize("module", ACTIVATIONS, ids=repr)
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (6, 5)])
def test_activation_module_gradients(module, shape):
    mse_check(module, shape, shape, seed=sum(shape))


def test_step_passes_no_gradient_back():
    step = nn.Step()
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(step(z), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(step.backward(np.ones((1, 3))), np.zeros((1, 3)))


def test_sequential_and_residual_gradients():
    rng = np.random.default_rng(1)
    model = nn.Sequential(
        nn.Dense(3, 4, rng=rng),
        nn.Tanh(),
        nn.Residual(nn.Sequential(nn.Dense(4, 4, rng=rng), nn.ELU(), nn.Dense(4, 4, rng=rng))),
        nn.Dense(4, 2, rng=rng),
    )
    mse_check(model, (6, 3), (6, 2), seed=2)


def test_residual_adds_both_paths():
    rng = np.random.default_rng(3)
    inner = nn.Dense(3, 3, rng=rng)
    block = nn.Residual(inner)
    X = rng.standard_normal((4, 3))
    np.testing.assert_allclose(block(X), X + X @ inner.W.value + inner.b.value)
    dout = rng.standard_normal((4, 3))
    np.testing.assert_allclose(block.backward(dout), dout + dout @ inner.W.value.T)
    mse_check(block, (4, 3), (4, 3), seed=4)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"])
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_gradients_with_mse(activation, bias):
    rng = np.random.default_rng(5)
    model = nn.MLP([3, 5, 4, 2], activation=activation, bias=bias, rng=rng)
    assert len(model.parameters()) == (6 if bias else 3)
    # Biases start at 0: a sample that no unit of layer 1 lets through would then put layer 2's
    # ReLU exactly on its kink at 0, where the numerical gradient is the mean of both slopes.
    for layer in model.layers[::2]:
        if layer.b is not None:
            layer.b.value[...] = 0.1 * rng.standard_normal(layer.b.shape)
    mse_check(model, (8, 3), (8, 2), seed=6)


def test_mlp_gradients_with_classification_losses():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((10, 4))
    binary = nn.MLP([4, 6, 1], activation="tanh", output_activation="sigmoid", rng=rng)
    assert_gradients_ok(binary, X, losses.BinaryCrossEntropy(), rng.integers(0, 2, (10, 1)).astype(float))
    logits = nn.MLP([4, 6, 3], activation="relu", rng=rng)
    assert_gradients_ok(logits, X, losses.CrossEntropy(), rng.integers(0, 3, 10))


# --- structure, modes, dtypes --------------------------------------------------------------------


def test_mlp_structure_and_default_init():
    relu_mlp = nn.MLP([2, 3, 3, 1], output_activation="sigmoid", rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in relu_mlp.layers]
    assert kinds == ["Dense", "ReLU", "Dense", "ReLU", "Dense", "Sigmoid"]
    assert [p.shape for p in relu_mlp.parameters()] == [(2, 3), (3,), (3, 3), (3,), (3, 1), (1,)]
    # init=None: He (normal, std √(2/fan_in)) for ReLU; Xavier (uniform, |w| ≤ √(6/(in+out))) otherwise.
    wide = nn.MLP([400, 300, 1], activation="relu", rng=np.random.default_rng(0))
    assert float(np.std(wide[0].W.value)) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    tanh_wide = nn.MLP([400, 300, 1], activation="tanh", rng=np.random.default_rng(0))
    assert float(np.max(np.abs(tanh_wide[0].W.value))) <= np.sqrt(6 / 700)
    assert float(np.std(tanh_wide[0].W.value)) == pytest.approx(np.sqrt(2 / 700), rel=0.02)


def test_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(8)
    model = nn.MLP([3, 4, 2], rng=rng)
    X, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    model(X)
    model.backward(dout)
    once = [to_numpy(p.grad).copy() for p in model.parameters()]
    model(X)
    model.backward(dout)
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g)
    model.zero_grad()
    assert all(not np.any(p.grad) for p in model.parameters())


def test_parameter_properties():
    p = nn.Parameter(np.ones((2, 3), dtype=np.float32))
    assert p.shape == (2, 3)
    assert p.dtype == np.float32
    assert p.grad.dtype == np.float32 and not np.any(p.grad)
    assert repr(p) == "Parameter(shape=(2, 3), dtype=float32)"


def test_train_and_eval_reach_nested_modules():
    drop = nn.Dropout(0.5, rng=np.random.default_rng(0))
    model = nn.Sequential(nn.Dense(2, 2), nn.Residual(nn.Sequential(drop)))
    assert model.eval() is model
    assert not drop.training and not model.training
    model.train()
    assert drop.training


@pytest.mark.parametrize("module", [*ACTIVATIONS, nn.Dropout(0.3, rng=np.random.default_rng(0))], ids=repr)
def test_float32_stays_float32(module):
    model = nn.Sequential(nn.Dense(3, 4, dtype="float32", rng=np.random.default_rng(0)), module,
                          nn.Dense(4, 2, dtype="float32", rng=np.random.default_rng(1)))
    X = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    out = model(X)
    dX = model.backward(np.ones_like(out))
    assert out.dtype == np.float32
    assert dX.dtype == np.float32
    assert all(p.value.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_float32_mlp_with_a_loss_and_float64_data():
    model = nn.MLP([3, 4, 1], activation="gelu", output_activation="sigmoid", dtype="float32",
                   rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((6, 3))  # float64 data is cast to the layer's dtype
    y = np.array([0, 1, 1, 0, 1, 0], dtype=np.float32)
    loss = losses.BinaryCrossEntropy()
    loss.forward(y, model(X))
    dX = model.backward(loss.backward())
    assert dX.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# --- Dropout -------------------------------------------------------------------------------------


def test_dropout_train_mode_uses_the_rng_and_scales_the_kept_entries():
    p = 0.4
    X = np.random.default_rng(0).standard_normal((6, 5))
    drop = nn.Dropout(p, rng=np.random.default_rng(42))
    out = drop(X)
    keep = np.random.default_rng(42).random((6, 5)) >= p
    np.testing.assert_allclose(out, np.where(keep, X / (1 - p), 0.0))
    dout = np.random.default_rng(1).standard_normal((6, 5))
    np.testing.assert_allclose(drop.backward(dout), np.where(keep, dout / (1 - p), 0.0))


def test_dropout_keeps_the_expected_value():
    p = 0.25
    out = nn.Dropout(p, rng=np.random.default_rng(3))(np.ones((200, 500)))
    assert float(np.mean(out == 0)) == pytest.approx(p, abs=0.005)
    assert float(np.mean(out)) == pytest.approx(1.0, abs=0.01)
    assert set(np.unique(out)) == {0.0, 1 / (1 - p)}


def test_dropout_eval_mode_and_p_zero_are_the_identity():
    X = np.random.default_rng(0).standard_normal((3, 4))
    drop = nn.Dropout(0.5, rng=np.random.default_rng(0)).eval()
    np.testing.assert_array_equal(drop(X), X)
    np.testing.assert_array_equal(drop.backward(X), X)
    np.testing.assert_array_equal(nn.Dropout(0.0)(X), X)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.Dropout(p)


def test_dropout_rejects_non_numbers():
    with pytest.raises(TypeError, match="p must be a number"):
        nn.Dropout("0.5")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, an int seed or None"):
        nn.Dropout(0.5, rng=np.random.RandomState(42))


# --- Perceptron ----------------------------------------------------------------------------------

GATES_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


@pytest.mark.parametrize("gate", ["and", "or"])
def test_perceptron_learns_linearly_separable_gates(gate):
    y = np.array(GATES[gate])
    perceptron = nn.Perceptron(2, rng=np.random.default_rng(0)).fit(GATES_X, y, lr=1.0, epochs=20)
    assert perceptron.mistakes_[-1] == 0
    assert len(perceptron.mistakes_) == 20
    predictions = perceptron.predict(GATES_X)
    assert predictions.dtype == np.int64 and predictions.shape == (4,)
    np.testing.assert_array_equal(predictions, y)


def test_perceptron_never_learns_xor():
    perceptron = nn.Perceptron(2, rng=np.random.default_rng(0))
    perceptron.fit(GATES_X, np.array(GATES["xor"]), epochs=100)
    assert min(perceptron.mistakes_) > 0


def test_perceptron_follows_the_team_convention_exactly():
    # An independent transcription of the rule: zeros at the start, order rng.permutation(n) each epoch.
    rng = np.random.default_rng(11)
    X = rng.standard_normal((15, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(int)
    lr, epochs = 0.5, 6
    w, b, mistakes, order_rng = np.zeros(3), 0.0, [], np.random.default_rng(5)
    for _ in range(epochs):
        count = 0
        for i in order_rng.permutation(len(X)):
            y_hat = 1 if b + X[i] @ w > 0 else 0
            if y_hat != y[i]:
                count += 1
                w = w + lr * (y[i] - y_hat) * X[i]
                b = b + lr * (y[i] - y_hat)
        mistakes.append(count)
    perceptron = nn.Perceptron(3, rng=np.random.default_rng(5))
    assert perceptron.fit(X, y, lr=lr, epochs=epochs) is perceptron
    np.testing.assert_allclose(perceptron.w, w)
    assert perceptron.b == pytest.approx(b)
    assert perceptron.mistakes_ == mistakes


def test_perceptron_step_at_zero_is_zero():
    perceptron = nn.Perceptron(2)
    assert (perceptron.w.shape, perceptron.b) == ((2,), 0.0)
    np.testing.assert_array_equal(perceptron.predict(GATES_X), [0, 0, 0, 0])


def test_perceptron_bad_input():
    perceptron = nn.Perceptron(2)
    with pytest.raises(ValueError, match=r"labels 0 and 1"):
        perceptron.fit(GATES_X, np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="same number of samples"):
        perceptron.fit(GATES_X, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        perceptron.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="lr"):
        perceptron.fit(GATES_X, np.array(GATES["and"]), lr=-1.0)


# --- an MLP learns XOR with plain gradient descent -----------------------------------------------


def test_mlp_learns_xor():
    y = np.array(GATES["xor"], dtype=float).reshape(-1, 1)
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", rng=np.random.default_rng(0))
    loss = losses.BinaryCrossEntropy()
    for _ in range(500):
        model.zero_grad()
        loss.forward(y, model(GATES_X))
        model.backward(loss.backward())
        for p in model.parameters():
            p.value -= 0.5 * p.grad
    y_hat = model(GATES_X)
    assert loss.forward(y, y_hat) < 0.1
    np.testing.assert_array_equal((y_hat > 0.5).astype(float), y)


# --- other backends ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_mlp_runs_on_other_backends_with_the_same_numbers(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(0)
    X, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    sizes = [3, 4, 2]
    reference = nn.MLP(sizes, activation="gelu", output_activation="softmax", rng=np.random.default_rng(1))
    expected_out = reference(X)
    expected_dX = reference.backward(dout)
    with use_backend(backend):
        model = nn.MLP(sizes, activation="gelu", output_activation="softmax", rng=np.random.default_rng(1))
        out = model(asarray(X))
        dX = model.backward(asarray(dout))
    assert type(out) is type(model[0].W.value) is not np.ndarray
    np.testing.assert_allclose(to_numpy(out), expected_out, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(dX), expected_dX, rtol=1e-10, atol=1e-14)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(to_numpy(p.grad), q.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_dropout_draws_its_mask_on_other_backends(backend):
    pytest.importorskip(backend)
    with use_backend(backend):
        drop = nn.Dropout(0.5, rng=np.random.default_rng(0))
        X = asarray(np.ones((50, 40)), dtype="float32")
        out = drop(X)
        dX = drop.backward(X)
    assert out.dtype == X.dtype
    values = to_numpy(out)
    assert set(np.unique(values)) == {0.0, 2.0}
    assert float(np.mean(values)) == pytest.approx(1.0, abs=0.1)
    np.testing.assert_array_equal(to_numpy(dX), values)


# --- bad input -----------------------------------------------------------------------------------


def test_dense_rejects_wrong_shapes_and_non_numbers():
    layer = nn.Dense(3, 2)
    with pytest.raises(ValueError, match="2-D"):
        layer(np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        layer(np.ones((2, 3, 1)))
    with pytest.raises(ValueError, match=r"expects X of shape \(n, 3\), got shape \(4, 2\)"):
        layer(np.ones((4, 2)))
    with pytest.raises(TypeError, match="numbers"):
        layer(np.array([["a", "b", "c"]]))
    with pytest.raises(TypeError, match="numbers"):
        layer([["a", "b", "c"]])


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown init 'glorot'.*'xavier'"):
        nn.Dense(2, 2, init="glorot")
    with pytest.raises(ValueError, match="unknown activation 'swish'.*'relu'"):
        nn.MLP([2, 2], activation="swish")
    with pytest.raises(ValueError, match="unknown output_activation 'logistic'"):
        nn.MLP([2, 2], output_activation="logistic")


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_features"):
        nn.Dense(0, 2)
    with pytest.raises(TypeError, match="out_features"):
        nn.Dense(2, 2.5)
    with pytest.raises(ValueError, match="at least the input and output sizes"):
        nn.MLP([3])
    with pytest.raises(TypeError, match=r"modules\[1\] must be a dlkit.nn.Module, got ufunc tanh"):
        nn.Sequential(nn.ReLU(), np.tanh)
    with pytest.raises(TypeError, match="module must be a dlkit.nn.Module, got ufunc tanh"):
        nn.Residual(np.tanh)
    with pytest.raises(TypeError, match=r"sizes\[1\] must be an int, got float 8.0"):
        nn.MLP([2, 8.0, 1])
    with pytest.raises(ValueError, match="beta must be >= 0"):
        nn.LeakyReLU(-0.5)  # refused when the module is made, not at its first forward pass


def test_residual_needs_matching_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) in and \(2, 4\) out"):
        nn.Residual(nn.Dense(3, 4))(np.ones((2, 3)))


# --- backward without the input gradient ---------------------------------------------------------


def _grads_and_dX(model, X, dout, **kwargs):
    model.zero_grad()
    model(X)
    dX = model.backward(dout, **kwargs)
    return [np.array(p.grad, copy=True) for p in model.parameters()], dX


@pytest.mark.parametrize("bias", [True, False])
def test_dense_without_input_grad_returns_none_and_the_same_parameter_gradients(bias):
    rng = np.random.default_rng(20)
    layer = nn.Dense(4, 3, bias=bias, rng=rng)
    X, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    grads, dX = _grads_and_dX(layer, X, dout)
    grads_skipped, nothing = _grads_and_dX(layer, X, dout, input_grad=False)
    assert dX.shape == (5, 4) and nothing is None
    for g, g_skipped in zip(grads, grads_skipped, strict=True):
        np.testing.assert_array_equal(g, g_skipped)


class _PlainScale(nn.Module):
    """A module written against the old contract, backward(self, dout) without input_grad."""

    def forward(self, X):
        return 2.0 * X

    def backward(self, dout):
        return 2.0 * dout


@pytest.mark.parametrize(
    ("make", "first_returns_none"),
    [
        (lambda rng: nn.MLP([4, 6, 3], activation="tanh", rng=rng), True),
        (lambda rng: nn.Sequential(nn.Tanh(), nn.Dense(4, 3, rng=rng)), False),
        (lambda rng: nn.Sequential(nn.Residual(nn.Dense(4, 4, rng=rng)), nn.Dense(4, 3, rng=rng)), False),
        (lambda rng: nn.Sequential(_PlainScale(), nn.Dense(4, 3, rng=rng)), False),
        (lambda rng: nn.Sequential(nn.Sequential(nn.Dense(4, 5, rng=rng), nn.ReLU()),
                                   nn.Dense(5, 3, rng=rng)), True),
    ],
    ids=["MLP", "activation-first", "residual-first", "module-without-the-option", "nested"],
)
def test_sequential_passes_input_grad_to_its_first_layer_only(make, first_returns_none):
    rng = np.random.default_rng(21)
    model = make(rng)
    X, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    grads, dX = _grads_and_dX(model, X, dout)
    grads_skipped, dX_skipped = _grads_and_dX(model, X, dout, input_grad=False)
    assert dX.shape == (5, 4)
    if first_returns_none:
        assert dX_skipped is None
    else:  # the first layer may ignore the hint, and then returns dX as before
        np.testing.assert_allclose(dX_skipped, dX)
    for g, g_skipped in zip(grads, grads_skipped, strict=True):
        np.testing.assert_allclose(g, g_skipped, rtol=1e-14)
