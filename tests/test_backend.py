"""dlkit.backend: choosing a backend, its error messages, and the helpers the standard lacks."""

import math
import os
import subprocess
import sys
import types

import array_api_strict
import numpy as np
import pytest

from dlkit import backend
from dlkit.backend import (
    asarray,
    device_generator,
    erf,
    get_backend,
    matmul,
    namespace,
    set_backend,
    to_numpy,
    uniform,
    use_backend,
)

STRICT_ARRAY = type(array_api_strict.asarray(0.0))


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (optional: pip install torch)")


# --- choosing a backend ----------------------------------------------------------------------


def test_numpy_is_the_default_and_its_namespace_is_numpy_itself():
    assert get_backend().name == "numpy"
    assert namespace(np.ones(3)) is np
    assert namespace(np.ones(3), np.float64(2.0), None, 3.0) is np
    assert namespace() is np


def test_use_backend_switches_and_restores_even_after_an_error():
    with pytest.raises(ZeroDivisionError), use_backend("array_api_strict") as loaded:
        assert loaded.name == "array_api_strict"
        assert namespace() is array_api_strict
        assert isinstance(asarray([1.0, 2.0]), STRICT_ARRAY)
        raise ZeroDivisionError
    assert get_backend().name == "numpy"
    assert type(asarray([1.0])) is np.ndarray


def test_dlkit_backend_is_read_at_import():
    env = dict(os.environ, DLKIT_BACKEND="array_api_strict")
    code = (
        "from dlkit.backend import get_backend, asarray; "
        "print(get_backend().name, type(asarray([1.0])).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["array_api_strict", "Array"]


def test_asarray_maps_dtype_names_and_follows_like():
    with use_backend("array_api_strict"):
        x = asarray(np.arange(3), dtype="float32")
        assert x.dtype == array_api_strict.float32
        assert namespace(x) is array_api_strict
    # `like` wins over the current backend, and to_numpy brings values back unchanged.
    y = asarray([1.5, 2.5], dtype=np.float64, like=x)
    assert isinstance(y, STRICT_ARRAY) and y.dtype == array_api_strict.float64
    np.testing.assert_array_equal(to_numpy(y), [1.5, 2.5])
    back = asarray(y)  # current backend is NumPy again
    assert type(back) is np.ndarray and back.dtype == np.float64


def test_torch_arrays_go_through_array_api_compat():
    torch = _torch()
    with use_backend("torch", device="cpu") as loaded:
        x = asarray(np.array([[1.0, 2.0]], dtype=np.float32))
        assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.device == loaded.device
        assert namespace(x).__name__ == "array_api_compat.torch"
        np.testing.assert_array_equal(to_numpy(x), [[1.0, 2.0]])


# --- clear errors ----------------------------------------------------------------------------


def test_unknown_backend_lists_the_known_ones():
    known = "'numpy', 'cupy', 'torch', 'array_api_strict'"
    with pytest.raises(ValueError, match=f"unknown backend 'jax'; expected one of {known}"):
        set_backend("jax")
    assert get_backend().name == "numpy"


def test_cupy_not_installed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(ImportError, match=r"CuPy, which is not installed: pip install 'dlkit\[gpu\]'"):
        set_backend("cupy")
    assert get_backend().name == "numpy"


def _fake_cupy(device_count):
    """A stand-in for an installed CuPy whose CUDA runtime finds no GPU."""

    class CUDARuntimeError(RuntimeError):
        pass

    def get_device_count():
        if device_count is None:
            raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
        return device_count

    runtime = types.SimpleNamespace(CUDARuntimeError=CUDARuntimeError, getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


@pytest.mark.parametrize("device_count", [None, 0], ids=["runtime-error", "zero-devices"])
def test_cupy_installed_without_a_gpu_says_so(monkeypatch, device_count):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(device_count))
    with pytest.raises(RuntimeError, match="CuPy is installed but no CUDA GPU is available"):
        set_backend("cupy")


def test_torch_not_installed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="needs PyTorch, which is not installed: pip install torch"):
        set_backend("torch")


def test_torch_cuda_without_a_gpu_says_so():
    torch = _torch()
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(RuntimeError, match="PyTorch is installed but sees no CUDA GPU"):
        set_backend("torch", device="cuda")


def test_mixing_arrays_of_two_backends_names_both():
    strict = array_api_strict.asarray([1.0])
    with pytest.raises(TypeError, match="different backends in one call: array_api_strict and numpy"):
        namespace(np.ones(1), strict)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="different backends in one call: numpy and torch"):
        namespace(np.ones(1), torch.ones(1))
    with pytest.raises(TypeError, match="array_api_strict and torch"):
        matmul(torch.ones((1, 1)), strict)


def test_numpy_device_other_than_cpu_is_refused():
    with pytest.raises(ValueError, match="runs on device 'cpu' only, got device='cuda'"):
        set_backend("numpy", device="cuda")


# --- erf ---------------------------------------------------------------------------------------

ERF_POINTS = [-7.0, -6.0, -2.5, -1.0, -1e-3, 0.0, 1e-8, 0.3, 1.0, 2.0, 3.5, 5.9, 9.0]


@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "torch"])
def test_erf_matches_math_erf_on_every_backend(name):
    if name == "torch":
        _torch()
    with use_backend(name):
        x = asarray(ERF_POINTS, dtype="float64")
        got = erf(x)
        assert namespace(got) is namespace(x)
    np.testing.assert_allclose(to_numpy(got), [math.erf(v) for v in ERF_POINTS], rtol=1e-14, atol=1e-15)


# --- matmul into a buffer --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "torch"])
def test_matmul_writes_into_out_and_returns_it(name):
    if name == "torch":
        _torch()
    rng = np.random.default_rng(0)
    a_host, b_host = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    with use_backend(name):
        a, b, out = asarray(a_host), asarray(b_host), asarray(np.zeros((5, 4)))
        assert matmul(a, b, out=out) is out
        plain = matmul(a, b)
    np.testing.assert_allclose(to_numpy(out), a_host @ b_host, rtol=1e-13)
    np.testing.assert_allclose(to_numpy(plain), a_host @ b_host, rtol=1e-13)


# --- reduced precision -----------------------------------------------------------------------


def test_unknown_or_unavailable_precision_is_refused():
    with pytest.raises(ValueError, match="unknown precision 'int8'; expected one of 'full', 'tf32'"):
        set_backend("torch", precision="int8")
    with pytest.raises(ValueError, match="'numpy' has no precision 'bfloat16'.*needs backend 'torch'"):
        set_backend("numpy", precision="bfloat16")
    _torch()
    with pytest.raises(ValueError, match="precision 'tf32' needs a CUDA device.*use precision='bfloat16'"):
        set_backend("torch", device="cpu", precision="tf32")
    assert get_backend().precision == "full"


@pytest.mark.parametrize(("precision", "low", "high"), [("bfloat16", 3e-4, 1e-2), ("float16", 3e-5, 1e-3)])
def test_reduced_precision_matmul_costs_what_the_docstring_says(precision, low, high):
    torch = _torch()
    rng = np.random.default_rng(1)
    a_host = rng.normal(size=(64, 300)).astype(np.float32)
    b_host = rng.normal(size=(300, 32)).astype(np.float32)
    exact = a_host.astype(np.float64) @ b_host.astype(np.float64)
    with use_backend("torch", precision=precision):
        a, b = asarray(a_host), asarray(b_host)
        reduced = matmul(a, b)
        out = asarray(np.zeros((64, 32), dtype=np.float32))
        assert matmul(a, b, out=out) is out
        # float64 is never reduced, and NumPy arrays compute in full precision whatever the backend.
        full64 = matmul(asarray(a_host, dtype="float64"), asarray(b_host, dtype="float64"))
        numpy_product = matmul(a_host, b_host)
    assert reduced.dtype == torch.float32 and out.dtype == torch.float32
    error = np.linalg.norm(to_numpy(reduced) - exact) / np.linalg.norm(exact)
    assert low < error < high  # really reduced, and no worse than stated
    np.testing.assert_array_equal(to_numpy(out), to_numpy(reduced))
    np.testing.assert_allclose(to_numpy(full64), exact, rtol=1e-12)
    assert np.linalg.norm(numpy_product - exact) / np.linalg.norm(exact) < 1e-6


# --- random draws on the device --------------------------------------------------------------


def test_numpy_draws_come_from_the_callers_generator_itself():
    rng = np.random.default_rng(7)
    generator = device_generator(rng, np.zeros(1))
    assert generator is rng
    draws = uniform(generator, (3, 4), np.float32)
    assert type(draws) is np.ndarray and draws.dtype == np.float32
    np.testing.assert_array_equal(draws, np.random.default_rng(7).random((3, 4), dtype=np.float32))


def test_array_api_strict_draws_equal_numpys_from_the_same_seed():
    like = array_api_strict.zeros((1,), dtype=array_api_strict.float32)
    draws = uniform(device_generator(np.random.default_rng(3), like), (2, 5), like.dtype)
    assert isinstance(draws, STRICT_ARRAY) and draws.dtype == array_api_strict.float32
    assert draws.device == like.device
    np.testing.assert_array_equal(to_numpy(draws), np.random.default_rng(3).random((2, 5), dtype=np.float32))


def test_torch_draws_on_the_device_repeatably_from_the_callers_seed():
    torch = _torch()
    like = torch.zeros(1, dtype=torch.float64)

    def draw(seed):
        generator = device_generator(np.random.default_rng(seed), like)
        assert isinstance(generator, torch.Generator) and generator.device == like.device
        return torch.cat([uniform(generator, (1000,), like.dtype) for _ in range(2)])

    first = draw(11)
    assert first.dtype == torch.float64 and first.device == like.device
    assert torch.equal(first, draw(11))  # repeatable from the caller's seed
    assert not torch.equal(first[:1000], first[1000:])  # consecutive draws differ
    assert not torch.equal(first, draw(12))
    assert 0.0 <= float(first.min()) and float(first.max()) < 1.0
    assert abs(float(first.mean()) - 0.5) < 0.03


def test_random_draws_refuse_bad_arguments():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, an int seed or None"):
        device_generator(4.2, np.zeros(1))
    with pytest.raises(ValueError, match="float32 or float64, got int64"):
        uniform(np.random.default_rng(0), (2,), np.int64)


def test_backend_module_keeps_its_public_names():
    for name in ("BACKENDS", "Backend", "set_backend", "get_backend", "use_backend", "namespace", "asarray",
                 "to_numpy", "erf", "matmul", "device_generator", "uniform", "PRECISIONS"):
        assert hasattr(backend, name), name


def test_the_numpy_path_never_goes_through_array_api_compat(monkeypatch):
    """On NumPy, dlkit calls NumPy directly: a whole fit never asks array-api-compat for a namespace."""
    import array_api_compat

    from dlkit import datasets, losses, nn, optim
    from dlkit.train import fit

    def refuse(*arrays, **options):
        raise AssertionError(f"array_api_compat.array_namespace called on {[type(a) for a in arrays]}")

    monkeypatch.setattr(array_api_compat, "array_namespace", refuse)
    X, y = datasets.xor(32, noise=0.05, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Dense(2, 8, rng=rng), nn.Tanh(), nn.Dropout(0.1, rng=rng),
                          nn.Dense(8, 2, rng=rng))
    history = fit(model, losses.CrossEntropy(), optim.Adam(model.parameters(), lr=0.05), X, y, epochs=3,
                  batch_size=8, rng=np.random.default_rng(4), metrics=("accuracy",))
    assert len(history.loss) == 3


def test_tf32_mode_switches_pytorch_matmul_precision_and_restores_it(monkeypatch):
    torch = _torch()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # no GPU is touched: nothing is allocated
    assert torch.get_float32_matmul_precision() == "highest"
    with use_backend("torch", device="cuda", precision="tf32") as loaded:
        assert loaded.precision == "tf32" and loaded.device.type == "cuda"
        assert torch.get_float32_matmul_precision() == "high"  # TF32 tensor-core products
    assert torch.get_float32_matmul_precision() == "highest"
    assert get_backend().name == "numpy"
