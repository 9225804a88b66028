"""Array backends: NumPy by default; CuPy, PyTorch or array-api-strict on request.

dlkit's math is written once against the Python array API standard (2023.12).
Stateless functions take the namespace from their arguments with `namespace`;
modules create parameters on the current backend with `asarray` and afterwards
use their parameters' namespace. On NumPy the namespace *is* ``numpy`` (NumPy 2
follows the standard), so the NumPy path pays no wrapper cost.

Choose a backend with ``DLKIT_BACKEND`` / ``DLKIT_DEVICE`` before import, with
`set_backend`, or for a block of code with `use_backend`::

    with use_backend("torch", device="cpu"):
        model = MLP([2, 16, 1])     # parameters are torch tensors
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass

import numpy as np

BACKENDS = ("numpy", "cupy", "torch", "array_api_strict")


@dataclass(frozen=True)
class Backend:
    """A loaded backend: its name, its array namespace ``xp`` and its device."""

    name: str
    xp: object
    device: object


def _load(name: str, device=None) -> Backend:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(BACKENDS)}")
    if name == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"backend 'numpy' runs on device 'cpu' only, got device={device!r}")
        return Backend("numpy", np, "cpu")
    if name == "array_api_strict":
        import array_api_strict

        if device is not None and not isinstance(device, array_api_strict.Device):
            device = array_api_strict.Device(device)
        return Backend(name, array_api_strict, device)
    if name == "torch":
        try:
            import torch
        except ImportError as error:
            raise ImportError(
                "backend 'torch' needs PyTorch, which is not installed: pip install torch"
            ) from error
        from array_api_compat import torch as xp

        device = torch.device(device or "cpu")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"backend 'torch' on device {str(device)!r}: PyTorch is installed but sees no CUDA GPU"
            )
        return Backend(name, xp, device)
    # cupy
    try:
        import cupy
    except ImportError as error:
        raise ImportError(
            "backend 'cupy' needs CuPy, which is not installed: pip install 'dlkit[gpu]' "
            "(or the cupy-cudaXXx wheel that matches your CUDA)"
        ) from error
    try:
        n_gpus = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        n_gpus = 0
    if n_gpus == 0:
        raise RuntimeError("backend 'cupy': CuPy is installed but no CUDA GPU is available on this machine")
    from array_api_compat import cupy as xp

    return Backend(name, xp, cupy.cuda.Device(device or 0))


_current = _load(os.environ.get("DLKIT_BACKEND", "numpy"), os.environ.get("DLKIT_DEVICE") or None)


def set_backend(name: str, device=None) -> Backend:
    """Make `name` ("numpy", "cupy", "torch" or "array_api_strict") the backend for new arrays."""
    global _current
    _current = _load(name, device)
    return _current


def get_backend() -> Backend:
    """The current backend (name, namespace ``xp``, device)."""
    return _current


@contextlib.contextmanager
def use_backend(name: str, device=None):
    """Use a backend inside a ``with`` block and restore the previous one afterwards."""
    global _current
    previous = _current
    set_backend(name, device)
    try:
        yield _current
    finally:
        _current = previous


def _library(x) -> str:
    return type(x).__module__.split(".")[0]


def namespace(*arrays):
    """The array namespace shared by `arrays` (None and Python scalars are ignored).

    NumPy arrays give ``numpy`` itself. Arrays of two different libraries raise
    a TypeError naming both.
    """
    arrays = [a for a in arrays if a is not None and not isinstance(a, (bool, int, float, complex))]
    if all(type(a) is np.ndarray or isinstance(a, np.generic) for a in arrays):
        return np if arrays else _current.xp
    import array_api_compat

    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as error:
        libraries = sorted({_library(a) for a in arrays})
        if len(libraries) > 1:
            raise TypeError(
                f"arrays from different backends in one call: {' and '.join(libraries)}; "
                "move them to one backend first (dlkit.backend.asarray or to_numpy)"
            ) from None
        raise TypeError(f"expected arrays, got {', '.join(type(a).__name__ for a in arrays)}") from error


def asarray(x, dtype=None, like=None):
    """`x` as an array of the current backend and device, or of `like`'s when given.

    dtype may be a NumPy dtype or name ("float32"); it is mapped to the backend's.
    """
    if like is not None:
        xp = namespace(like)
        device = _device_of(like)
    else:
        xp, device = _current.xp, _current.device
    if dtype is not None and not isinstance(dtype, str):
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            pass  # already a dtype of the target backend
    if isinstance(dtype, str):
        dtype = getattr(xp, dtype)
    if xp is np:
        return np.asarray(to_numpy(x) if not isinstance(x, (np.ndarray, list, tuple, float, int)) else x, dtype=dtype)
    if not _is_array_of(x, xp) and not isinstance(x, (list, tuple, float, int, bool)):
        x = to_numpy(x)
    if device is None:
        return xp.asarray(x, dtype=dtype)
    return xp.asarray(x, dtype=dtype, device=device)


def _is_array_of(x, xp) -> bool:
    try:
        import array_api_compat

        return array_api_compat.is_array_api_obj(x) and namespace(x) is xp
    except TypeError:
        return False


def _device_of(x):
    if type(x) is np.ndarray:
        return None
    import array_api_compat

    return array_api_compat.device(x)


def to_numpy(x) -> np.ndarray:
    """Copy `x` to the host as a NumPy array (no copy when it already is one)."""
    if isinstance(x, np.ndarray):
        return x
    library = _library(x)
    if library == "torch":
        return x.detach().cpu().numpy()
    if library == "cupy":
        return x.get()
    if library == "array_api_strict":
        return np.asarray(x._array)  # the public route (DLPack) also works, this one keeps the dtype
    return np.asarray(x)


# --- erf: the array API has none ------------------------------------------------------------

_ERF_TERMS = 160  # enough for |x| <= 6, where the series' largest term is about exp(36)


def erf(x):
    """The error function, elementwise, accurate to about 1e-15 in float64 on every backend.

    PyTorch and CuPy have a native erf and use it. Elsewhere: the everywhere-positive series
    erf(x) = 2/√π · exp(−x²) · Σ_n (2x²)^n x / (1·3·…·(2n+1)), which has no cancellation,
    on |x| ≤ 6 (erf(±6) = ±1 to double precision).
    """
    xp = namespace(x)
    library = _library(x)
    if library == "torch":
        import torch

        return torch.special.erf(x)
    if library == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)
    a = xp.clip(xp.abs(x), 0.0, 6.0) if xp is not np else np.minimum(np.abs(x), 6.0)
    a2 = a * a
    two_a2 = 2.0 * a2
    term = a
    total = a
    # Stop once the largest term is negligible against its sum.
    n_max = _ERF_TERMS if a.size == 0 else min(_ERF_TERMS, 2 * int(math.ceil(float(xp.max(a2)))) + 40)
    for n in range(1, n_max):
        term = term * two_a2 / (2 * n + 1)
        total = total + term
    result = (2.0 / math.sqrt(math.pi)) * xp.exp(-a2) * total
    return xp.where(x < 0, -result, result)
