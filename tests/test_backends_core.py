"""The core of dlkit on every backend, each result compared with NumPy's (issue 10).

The fixture `backend` runs each test on NumPy, on array-api-strict (a strict
implementation of the array API standard that refuses NumPy-only idioms), on
PyTorch's CPU build and, where a GPU is present, on CuPy and PyTorch CUDA. Its
`compare(f, *args)` calls ``f`` once on NumPy arrays and once on the same values
moved to the backend, then checks that every array that comes back lives on the
backend (nothing silently fell back to the host), has NumPy's dtype and shape,
and agrees with NumPy's value: to 1e-10 in float64 and 1e-5 in float32, relative
to the largest entry. Backends that cannot run here skip, with the reason.
"""

from __future__ import annotations

import contextlib
import math

import array_api_strict
import numpy as np
import pytest

from dlkit import activations, datasets, init, losses, metrics, nn, optim, regularization
from dlkit.backend import asarray, get_backend, namespace, set_backend, to_numpy, use_backend
from dlkit.gradcheck import check_gradients
from dlkit.train import EarlyStopping, fit

BACKENDS = {
    "numpy": ("numpy", None),
    "array_api_strict": ("array_api_strict", None),
    "torch": ("torch", "cpu"),
    "cupy": ("cupy", None),
    "torch-cuda": ("torch", "cuda"),
}
API_VERSION = "2023.12"
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}
DTYPES = ["float64", "float32"]


class Runner:
    """Runs a function on NumPy and on one backend and compares what comes back."""

    def __init__(self, label, loaded):
        self.label = label
        self.name = loaded.name
        self.device = loaded.device
        self.xp = loaded.xp

    @property
    def draws_like_numpy(self):
        """Whether random draws on this backend are NumPy's own (host draws from the same Generator)."""
        return self.name in ("numpy", "array_api_strict")

    def to_backend(self, value):
        """NumPy arrays (also inside lists and tuples) moved to this backend; other values unchanged."""
        if isinstance(value, np.ndarray):
            return asarray(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self.to_backend(v) for v in value)
        return value

    def run(self, f, *args, **kwargs):
        with use_backend(self.name, self.device):
            return f(*self.to_backend(args), **kwargs)

    def compare(self, f, *args, dtype="float64", **kwargs):
        """f(*args) on NumPy and on this backend; asserts they agree; returns (got, expected)."""
        with use_backend("numpy"):
            expected = f(*args, **kwargs)
        got = self.run(f, *args, **kwargs)
        self.assert_close(got, expected, TOLERANCE[dtype])
        return got, expected

    def assert_close(self, got, expected, tol, where="result"):
        if isinstance(expected, dict):
            assert set(got) == set(expected), where
            for key in expected:
                self.assert_close(got[key], expected[key], tol, f"{where}[{key!r}]")
        elif isinstance(expected, (list, tuple)):
            assert len(got) == len(expected), where
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                self.assert_close(g, e, tol, f"{where}[{i}]")
        elif isinstance(expected, (np.ndarray, np.generic)):  # NumPy gives 0-d results as scalars
            expected = np.asarray(expected)
            assert namespace(got) is self.xp, f"{where}: a {type(got).__name__}, not on {self.label}"
            assert str(got.dtype).rsplit(".", 1)[-1] == expected.dtype.name, f"{where}: dtype {got.dtype}"
            got = to_numpy(got)
            assert got.shape == expected.shape, f"{where}: shape {got.shape}, NumPy gave {expected.shape}"
            scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale, err_msg=where)
        elif isinstance(expected, (bool, int)) or expected is None:
            assert got == expected, where
        else:
            assert isinstance(got, float) and math.isclose(got, expected, rel_tol=tol, abs_tol=tol), (
                f"{where}: {got!r} != {expected!r}"
            )


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def backend(request):
    """The backend under test, current for the whole test; skips where it cannot run."""
    name, device = BACKENDS[request.param]
    if name == "torch":
        pytest.importorskip("torch", reason="PyTorch is not installed (optional: pip install torch)")
    previous = get_backend()
    try:
        loaded = set_backend(name, device)
    except (ImportError, RuntimeError) as error:  # CuPy missing, no GPU: the message says which
        pytest.skip(f"{request.param}: {error}")
    with contextlib.ExitStack() as stack:
        if name == "array_api_strict":  # the version design.md writes against, nothing newer
            stack.enter_context(array_api_strict.ArrayAPIStrictFlags(api_version=API_VERSION))
        yield Runner(request.param, loaded)
    set_backend(previous.name, previous.device, previous.precision)


def _rng(seed=0):
    return np.random.default_rng(seed)


Z = np.array([[-1000.0, -30.0, -2.5, -1.0, -1e-3], [0.0, 1e-3, 0.5, 3.0, 1000.0]])


def test_modules_refuse_arrays_of_another_backend_naming_both(backend):
    if backend.name == "numpy":
        pytest.skip("needs a second backend")
    layer = nn.Dense(3, 2, rng=_rng(0))  # parameters on the backend under test
    with pytest.raises(TypeError, match="different backends in one call") as error:
        layer(np.ones((4, 3)))
    library = "torch" if backend.name == "torch" else backend.name
    assert "numpy" in str(error.value) and library in str(error.value)


# --- activations and their gradients ---------------------------------------------------------------

ACTIVATIONS = {
    "identity": {},
    "step": {},
    "sigmoid": {},
    "tanh": {},
    "relu": {},
    "leaky_relu": {"beta": 0.1},
    "elu": {"alpha": 0.7},
    "gelu": {"approximate": False},
    "gelu_tanh": {"approximate": True},
    "softmax": {"axis": -1},
    "softmax_axis0": {"axis": 0},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_its_gradient(backend, name, dtype):
    f = getattr(activations, name.split("_axis")[0].removesuffix("_tanh"))
    f_grad = getattr(activations, f.__name__ + "_grad")
    options = ACTIVATIONS[name]
    got, _ = backend.compare(lambda z: (f(z, **options), f_grad(z, **options)), Z.astype(dtype), dtype=dtype)
    assert all(bool(backend.xp.all(backend.xp.isfinite(a))) for a in got)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward(backend, dtype):
    rng = _rng(1)
    z, dout = rng.normal(size=(6, 4)).astype(dtype), rng.normal(size=(6, 4)).astype(dtype)
    backend.compare(lambda z, dout: activations.softmax_backward(dout, activations.softmax(z)), z, dout,
                    dtype=dtype)


# --- losses and their gradients --------------------------------------------------------------------


def _loss_inputs(name, dtype):
    rng = _rng(2)
    if name == "mse":
        return rng.normal(size=(8, 3)), rng.normal(size=(8, 3)).astype(dtype)
    if name == "binary_cross_entropy":
        return rng.integers(0, 2, size=8).astype(float), rng.uniform(0.01, 0.99, size=(8, 1)).astype(dtype)
    if name == "binary_cross_entropy_with_logits":
        logits = np.array([[-1000.0], [-3.0], [-0.5], [0.0], [0.2], [2.0], [40.0], [1000.0]])
        return rng.integers(0, 2, size=(8, 1)).astype(float), logits.astype(dtype)
    logits = np.concatenate([rng.normal(size=(7, 4)), [[1000.0, -1000.0, 0.0, 5.0]]])
    labels = np.array([0, 1, 2, 3, 3, 2, 1, 1])
    if name == "cross_entropy_onehot":
        return np.eye(4)[labels], logits.astype(dtype)
    return labels, logits.astype(dtype)


LOSSES = ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
          "cross_entropy_onehot"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_and_its_gradient(backend, name, dtype):
    loss = getattr(losses, name.removesuffix("_onehot"))
    loss_grad = getattr(losses, loss.__name__ + "_grad")
    got, expected = backend.compare(lambda y, y_hat: (loss(y, y_hat), loss_grad(y, y_hat)),
                                    *_loss_inputs(name, dtype), dtype=dtype)
    assert math.isfinite(float(got[0]))


@pytest.mark.parametrize(
    "make_loss", [losses.MSE, losses.BinaryCrossEntropy, lambda: losses.BinaryCrossEntropy(from_logits=True),
                  losses.CrossEntropy],
    ids=["MSE", "BinaryCrossEntropy", "BinaryCrossEntropy-logits", "CrossEntropy"])
def test_loss_classes_return_a_float_and_a_backend_gradient(backend, make_loss):
    name = {"MSE": "mse", "BinaryCrossEntropy": "binary_cross_entropy", "CrossEntropy": "cross_entropy"}
    loss = make_loss()
    inputs = _loss_inputs("binary_cross_entropy_with_logits" if getattr(loss, "from_logits", False)
                          else name[type(loss).__name__], "float64")

    def forward_backward(y, y_hat):
        return loss.forward(y, y_hat), loss.backward()

    backend.compare(forward_backward, *inputs)


# --- modules: forward, backward, gradient check ----------------------------------------------------


def _network(dtype, rng):
    """Dense, GELU, a residual block, Dense and a sigmoid output: most module kinds in one small model."""
    return nn.Sequential(
        nn.Dense(3, 4, rng=rng, dtype=dtype),
        nn.GELU(),
        nn.Residual(nn.Sequential(nn.Dense(4, 4, init="he", rng=rng, dtype=dtype), nn.ELU(0.5))),
        nn.Dense(4, 1, init="normal", rng=rng, dtype=dtype),
        nn.Sigmoid(),
    )


def _forward_backward(model, loss, X, y):
    model.zero_grad()
    out = model(X)
    value = loss.forward(y, out)
    dX = model.backward(loss.backward())
    return {"out": out, "loss": value, "dX": dX, "grads": [p.grad for p in model.parameters()]}


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_forward_and_backward(backend, dtype):
    X = _rng(3).normal(size=(6, 4)).astype(dtype)
    dout = _rng(4).normal(size=(6, 3)).astype(dtype)

    def dense(X, dout):
        layer = nn.Dense(4, 3, rng=_rng(5), dtype=dtype)
        out = layer(X)
        dX = layer.backward(dout)
        return out, dX, layer.W.grad, layer.b.grad

    backend.compare(dense, X, dout, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_network_forward_and_backward(backend, dtype):
    X = _rng(6).normal(size=(10, 3)).astype(dtype)
    y = (X[:, 0] * X[:, 1] > 0).astype(float)

    def run(X, y):
        return _forward_backward(_network(dtype, _rng(7)), losses.BinaryCrossEntropy(), X, y)

    backend.compare(run, X, y, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_forward_and_backward(backend, dtype):
    X = _rng(8).normal(size=(12, 4)).astype(dtype)
    y = _rng(9).integers(0, 3, size=12)

    def run(X, y):
        model = nn.MLP([4, 8, 6, 3], activation="tanh", rng=_rng(10), dtype=dtype)
        return _forward_backward(model, losses.CrossEntropy(), X, y)

    backend.compare(run, X, y, dtype=dtype)


def test_gradient_check_passes_on_every_backend(backend):
    X, y = _rng(11).normal(size=(3, 3)), np.array([0, 1, 1])
    mlp_X, mlp_y = _rng(12).normal(size=(3, 2)), np.array([0, 2, 1])

    def errors(X, y, mlp_X, mlp_y):
        network = check_gradients(_network("float64", _rng(13)), X, losses.BinaryCrossEntropy(), y)
        mlp = nn.MLP([2, 3, 3], activation="sigmoid", rng=_rng(14))
        return network, check_gradients(mlp, mlp_X, losses.CrossEntropy(), mlp_y)

    for result in backend.run(errors, X, y, mlp_X, mlp_y):
        assert max(result.values()) < 1e-7, result


# --- every optimizer for 20 steps ------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    "SGD-nesterov-decay": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "AdaGrad": lambda ps: optim.AdaGrad(ps, lr=0.1),
    "RMSProp": lambda ps: optim.RMSProp(ps, lr=0.01),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "Adam-decay": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_20_steps(backend, name, dtype):
    X = _rng(15).normal(size=(16, 4)).astype(dtype)
    y = _rng(16).normal(size=(16, 2)).astype(dtype)

    def train(X, y):
        model = nn.Dense(4, 2, rng=_rng(17), dtype=dtype)  # a small model: the optimizer is under test
        optimizer, loss = OPTIMIZERS[name](model.parameters()), losses.MSE()
        history = []
        for _ in range(20):
            optimizer.zero_grad()
            history.append(loss.forward(y, model(X)))
            model.backward(loss.backward())
            optimizer.step()
        return history, [p.value for p in model.parameters()]

    (history, _), _ = backend.compare(train, X, y, dtype=dtype)
    assert history[-1] < history[0]


# --- fit on XOR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_on_xor(backend, dtype):
    X, y = datasets.xor(64, noise=0.05, rng=_rng(24))
    X_val, y_val = datasets.xor(16, noise=0.05, rng=_rng(25))

    def train(X, y, X_val, y_val):
        model = nn.MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=_rng(26), dtype=dtype)
        history = fit(model, losses.BinaryCrossEntropy(), optim.Adam(model.parameters(), lr=0.1), X, y,
                      epochs=30, batch_size=32, rng=_rng(27), validation_data=(X_val, y_val),
                      metrics=("accuracy",), clip_norm=5.0, l2=1e-4, callbacks=(EarlyStopping(patience=50),))
        return {"loss": history.loss, "val_loss": history.val_loss, "accuracy": history.metrics["accuracy"],
                "grad_norms": history.grad_norms, "weights": [p.value for p in model.parameters()],
                "predictions": model(X_val)}

    got, _ = backend.compare(train, X, y, X_val, y_val, dtype=dtype)
    assert got["accuracy"][-1] == 1.0 and got["loss"][-1] < 0.2 * got["loss"][0]


# --- initialisers, penalties, clipping, metrics ---------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_initialisers_penalties_and_clipping(backend, dtype):
    weights = [_rng(28).normal(size=(3, 4)).astype(dtype), _rng(29).normal(size=(4,)).astype(dtype)]

    def run(weights):
        schemes = ("normal", "uniform_fan_in", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform")
        return {
            "init": [getattr(init, scheme)((3, 4), rng=_rng(30), dtype=dtype) for scheme in schemes],
            "penalties": [regularization.l1_penalty(weights, 0.1), regularization.l2_penalty(weights, 0.1)],
            "grads": regularization.l1_grad(weights, 0.1) + regularization.l2_grad(weights, 0.1),
            "clipped": list(regularization.clip_by_global_norm(weights, 1.0)),
        }

    backend.compare(run, weights, dtype=dtype)


def test_metrics_return_python_floats(backend):
    rng = _rng(31)
    labels, predicted = rng.integers(0, 2, size=30), rng.integers(0, 2, size=30)
    scores, y, y_hat = rng.random(30), rng.normal(size=30), rng.normal(size=30)

    def run(labels, predicted, scores, y, y_hat):
        return [metrics.accuracy(labels, predicted), metrics.precision(labels, predicted),
                metrics.recall(labels, predicted), metrics.f1(labels, predicted),
                metrics.roc_auc(labels, scores), metrics.rmse(y, y_hat)]

    backend.compare(run, labels, predicted, scores, y, y_hat)


# --- dropout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_train_and_eval(backend, dtype):
    X = _rng(18).normal(size=(200, 50)).astype(dtype) + 3.0  # no zeros, so a zero means "dropped"
    dout = _rng(19).normal(size=(200, 50)).astype(dtype)
    p = 0.3

    def run(X, dout):
        layer = nn.Dropout(p, rng=_rng(20))
        train_out, train_dX = layer(X), layer.backward(dout)
        second = layer(X)  # a fresh mask each step
        layer.eval()
        return {"train": (train_out, train_dX), "second": second, "eval": (layer(X), layer.backward(dout))}

    got = backend.run(run, X, dout)
    with use_backend("numpy"):
        expected = run(X, dout)
    tol = TOLERANCE[dtype]
    backend.assert_close(got["eval"], expected["eval"], tol)  # eval mode: the identity, everywhere
    if backend.draws_like_numpy:
        backend.assert_close(got, expected, tol)
        return
    # Draws made on the device differ from NumPy's: check what inverted dropout promises instead.
    out, dX = (to_numpy(a) for a in got["train"])
    kept = out != 0
    np.testing.assert_allclose(out[kept], X[kept] / (1 - p), rtol=tol)
    np.testing.assert_allclose(dX, np.where(kept, dout / (1 - p), 0.0), rtol=tol, atol=tol)
    assert abs((~kept).mean() - p) < 0.02
    assert not np.array_equal(kept, to_numpy(got["second"]) != 0)
    again = backend.run(run, X, dout)  # repeatable from the caller's seed
    np.testing.assert_array_equal(to_numpy(again["train"][0]), out)


# --- reduced precision (PyTorch CPU, bfloat16) -----------------------------------------------------


def test_bfloat16_mode_keeps_float32_master_weights_and_costs_about_1e2():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional: pip install torch)")
    X = _rng(21).normal(size=(64, 20)).astype(np.float32)
    y = _rng(22).integers(0, 4, size=64)

    def train(X, y):
        model = nn.MLP([20, 32, 32, 4], rng=_rng(23), dtype="float32")
        optimizer, loss = optim.Adam(model.parameters(), lr=0.01), losses.CrossEntropy()
        history = []
        for step in range(20):
            optimizer.zero_grad()
            out = model(X)
            history.append(loss.forward(y, out))
            grads = model.backward(loss.backward())
            optimizer.step()
            if step == 0:
                first = (out, grads)
        return first, history, [p.value for p in model.parameters()]

    with use_backend("numpy"):
        (out32, dX32), history32, _ = train(X, y)
    with use_backend("torch", precision="bfloat16"):
        (out16, dX16), history16, weights = train(asarray(X), asarray(y))
    assert all(w.dtype == torch.float32 for w in weights)  # master weights stay float32
    assert out16.dtype == torch.float32 and dX16.dtype == torch.float32

    def relative(a, b):
        return np.linalg.norm(to_numpy(a) - b) / np.linalg.norm(b)

    # The docstring's figure: about 1e-2 or better per product, and truly not float32 (> 1e-4).
    assert 1e-4 < relative(out16, out32) < 1e-2
    assert 1e-4 < relative(dX16, dX32) < 3e-2
    assert history16[-1] < 0.5 * history16[0]  # it trains
    np.testing.assert_allclose(history16, history32, rtol=0.05)
