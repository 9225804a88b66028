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

What the standard lacks lives here, each behind one function with a portable
fallback: `erf`, seeded random draws on the device (`device_generator`,
`uniform`), matrix products into an existing buffer (`matmul(a, b, out=...)`)
and the opt-in reduced-precision mode (``set_backend(..., precision=...)``).

Examples
--------
>>> import numpy as np
>>> get_backend().name
'numpy'
>>> with use_backend("array_api_strict"):
...     x = asarray([1.0, 2.0])
...     type(x).__module__.split(".")[0], to_numpy(x)
('array_api_strict', array([1., 2.]))
>>> namespace(np.zeros(2)) is np
True
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

# This module is the bottom layer: dlkit._validation builds on it, so it imports _validation only
# inside the functions that need it, when both modules are loaded.

BACKENDS = ("numpy", "cupy", "torch", "array_api_strict")
PRECISIONS = ("full", "tf32", "bfloat16", "float16")
# Which reduced-precision modes each backend has (NumPy has no bfloat16 and no fast float16 matmul).
_PRECISIONS_OF = {"numpy": ("full",), "array_api_strict": ("full",), "cupy": ("full", "float16"),
                  "torch": PRECISIONS}


@dataclass(frozen=True)
class Backend:
    """A loaded backend: its name, its array namespace ``xp``, its device and its matmul precision."""

    name: str
    xp: object
    device: object
    precision: str = "full"


def _load(name: str, device=None, precision: str = "full") -> Backend:
    for value, label, options in ((name, "backend", BACKENDS), (precision, "precision", PRECISIONS)):
        listed = ", ".join(repr(option) for option in options)
        if not isinstance(value, str):
            argument = "name" if label == "backend" else label
            got = f"{type(value).__name__} {value!r}"
            raise TypeError(f"{argument} must be a string, one of {listed}; got {got}")
        if value not in options:
            raise ValueError(f"unknown {label} {value!r}; expected one of {listed}")
    if precision not in _PRECISIONS_OF[name]:
        raise ValueError(
            f"backend {name!r} has no precision {precision!r} (it has {', '.join(_PRECISIONS_OF[name])}); "
            "reduced precision needs backend 'torch' (bfloat16, float16, tf32 on CUDA) or 'cupy' (float16)"
        )
    backend = _load_library(name, device)
    if precision == "tf32" and getattr(backend.device, "type", None) != "cuda":
        raise ValueError(f"precision 'tf32' needs a CUDA device (TF32 is a tensor-core format), got device "
                         f"{str(backend.device)!r}; on the CPU use precision='bfloat16'")
    return Backend(backend.name, backend.xp, backend.device, precision)


def _load_library(name: str, device) -> Backend:
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


def _activate(backend: Backend) -> Backend:
    global _current
    if "tf32" in (backend.precision, _current.precision):
        import torch

        # TF32 matmuls on CUDA tensor cores; "highest" is PyTorch's default (true float32).
        torch.set_float32_matmul_precision("high" if backend.precision == "tf32" else "highest")
    _current = backend
    return backend


_current = Backend("numpy", np, "cpu")
_current = _activate(_load(os.environ.get("DLKIT_BACKEND", "numpy"), os.environ.get("DLKIT_DEVICE") or None))


def set_backend(name: str, device=None, precision: str = "full") -> Backend:
    """Make `name` the backend for new arrays (parameters, data sets moved with `asarray`).

    Parameters
    ----------
    name : {"numpy", "cupy", "torch", "array_api_strict"}
    device : str or None
        E.g. "cuda:0" for torch, 0 for cupy; None for the library's default ("cpu" for NumPy,
        which has no other).
    precision : {"full", "bfloat16", "float16", "tf32"}
        "full" by default; the others are opt-in for large models. Parameters, gradients and
        optimizer state stay float32 (the master weights); only the matrix products of `matmul`
        (Dense's forward and backward) compute in reduced precision: their float32 operands are
        rounded to the compute type and the result comes back float32.
        Accuracy cost, per matrix product, relative to its float32 value:

        - "bfloat16" (torch): 8 significant bits, inputs rounded by up to 2^-9 = 0.2 %; products agree
          with float32 to about 1e-2 (measured: 3e-3 for a (128, 784) @ (784, 256) product), and training
          curves follow float32's to within a few percent. Same exponent range as float32.
        - "float16" (torch, cupy): 11 significant bits, about 5e-4 relative, but values above 65504
          overflow to inf: prefer bfloat16 unless the hardware lacks it.
        - "tf32" (torch on CUDA): float32 storage, tensor-core products with 10-bit mantissas,
          about 1e-3 relative; the rest of the computation is float32.

        float64 arrays are never reduced. NumPy and array-api-strict have only "full".

    Returns
    -------
    Backend
        The backend now in use.
    """
    return _activate(_load(name, device, precision))


def get_backend() -> Backend:
    """The current backend.

    Returns
    -------
    Backend
        Its name, namespace ``xp``, device and precision.
    """
    return _current


@contextlib.contextmanager
def use_backend(name: str, device=None, precision: str = "full"):
    """Use a backend inside a ``with`` block and restore the previous one afterwards.

    Parameters
    ----------
    name, device, precision :
        As for `set_backend`.

    Yields
    ------
    Backend
        The backend in use inside the block.
    """
    previous = _current
    backend = set_backend(name, device, precision)
    try:
        yield backend
    finally:
        _activate(previous)


def _library(x) -> str:
    return type(x).__module__.split(".")[0]


def namespace(*arrays):
    """The array namespace shared by `arrays` (None and Python scalars are ignored).

    Parameters
    ----------
    *arrays : arrays of one library, of any shapes

    Returns
    -------
    module
        ``numpy`` itself for NumPy arrays; the array-api-compat namespace otherwise; the current
        backend's for no arrays at all.

    Raises
    ------
    TypeError
        For arrays of two different libraries (naming both), or for something that is no array.
    """
    if len(arrays) == 1 and type(arrays[0]) is np.ndarray:  # the hot path: one NumPy array
        return np
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

    Parameters
    ----------
    x : array of any backend, list, or number
    dtype : str, dtype or None
        A name ("float32") or a dtype of any library, mapped to the backend's; None keeps x's.
    like : array or None
        An array whose backend and device the result takes.

    Returns
    -------
    array
        Of x's shape. NumPy arrays are not copied when nothing changes.
    """
    if like is not None:
        xp = namespace(like)
        device = _device_of(like)
    else:
        xp, device = _current.xp, _current.device
    if dtype is not None:
        name = _dtype_name(dtype)
        if not hasattr(xp, name):
            raise ValueError(f"dtype must be a data type of backend {_library_name(xp)!r}, got {name!r}")
        dtype = getattr(xp, name)
    if xp is np:
        host = x if isinstance(x, (np.ndarray, list, tuple, float, int)) else to_numpy(x)
        array = np.asarray(host, dtype=dtype)
        if array.dtype.kind not in "biufc":
            got = f"{type(x).__name__} {x!r:.40}"
            raise TypeError(f"x must be an array of numbers, got {got} (dtype {array.dtype})")
        return array
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
    """Copy `x` to the host as a NumPy array (no copy when it already is one).

    Parameters
    ----------
    x : array of any backend, list or number

    Returns
    -------
    numpy.ndarray
        Of x's shape and dtype.
    """
    if isinstance(x, np.ndarray):
        return x
    library = _library(x)
    if library == "torch":
        return x.detach().cpu().numpy()
    if library == "cupy":
        return x.get()
    if library == "array_api_strict":
        return np.asarray(x._array)  # the public route (DLPack) also works, this one keeps the dtype
    array = np.asarray(x)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"x must be an array of numbers of any backend, got {type(x).__name__} {x!r:.40}")
    return array


# --- erf: the array API has none ------------------------------------------------------------

_ERF_TERMS = 160  # enough for |x| <= 6, where the series' largest term is about exp(36)


def erf(x):
    """The error function, elementwise, accurate to about 1e-15 in float64 on every backend.

    PyTorch and CuPy have a native erf and use it. Elsewhere: the everywhere-positive series
    erf(x) = 2/√π · exp(−x²) · Σ_n (2x²)^n x / (1·3·…·(2n+1)), which has no cancellation,
    on |x| ≤ 6 (erf(±6) = ±1 to double precision).

    Parameters
    ----------
    x : floating array of any shape and backend

    Returns
    -------
    array
        erf(x), of x's shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> erf(np.array([0.0, 1.0, -6.0])).round(6)
    array([ 0.      ,  0.842701, -1.      ])
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
    result = xp.clip(result, 0.0, 1.0)  # rounding can reach 1 + 2e-15 near |x| = 6; |erf| <= 1 exactly
    return xp.where(x < 0, -result, result)


# --- matrix products: an `out=` buffer and the reduced-precision mode ------------------------


def matmul(a, b, out=None):
    """The matrix product ``a @ b``, written into `out` when given, and returned.

    NumPy, PyTorch and CuPy write straight into `out` (no temporary); elsewhere the product is
    computed and copied in. float32 arrays of the current backend compute in its reduced
    precision when one is set (see `set_backend`); the result is float32 either way.

    Parameters
    ----------
    a : array of shape (..., n, k)
    b : array of shape (..., k, m)
    out : array of shape (..., n, m) or None
        Of the result's dtype.

    Returns
    -------
    array of shape (..., n, m)
        `out` when given.
    """
    if type(a) is np.ndarray and type(b) is np.ndarray:  # the hot path: NumPy, always full precision
        return a @ b if out is None else np.matmul(a, b, out=out)
    library = _library(a)
    if _library(b) != library:
        namespace(a, b)  # raises the TypeError that names both backends
    xp = _current.xp
    if _current.precision in ("bfloat16", "float16") and library == _current.name and a.dtype == xp.float32:
        low = getattr(xp, _current.precision)
        product = xp.astype(xp.astype(a, low) @ xp.astype(b, low), a.dtype)
    elif out is not None and library in ("torch", "cupy"):
        return sys.modules[library].matmul(a, b, out=out)  # both take out=; the standard does not
    else:
        product = a @ b
    if out is None:
        return product
    out[...] = product
    return out


# --- random numbers: the array API has none ---------------------------------------------------


@dataclass(frozen=True)
class _HostGenerator:
    """A NumPy Generator whose draws become arrays of namespace `xp` on `device` (array-api-strict)."""

    rng: np.random.Generator
    xp: object
    device: object


def device_generator(rng: np.random.Generator, like):
    """A random generator that draws where `like` lives, seeded once from the NumPy Generator `rng`.

    Modules that draw every step (Dropout's masks) make one with this on their first call and
    then draw with `uniform`, so that a GPU run never copies a mask from the host.

    - NumPy: `rng` itself (draws are exactly NumPy's).
    - PyTorch: a ``torch.Generator`` on `like`'s device, seeded with ``rng.integers(2**63)``.
    - CuPy: ``cupy.random.default_rng`` seeded the same way, on the current GPU.
    - Anything else (array-api-strict): `rng` itself, drawing on the host, then moved to `like`'s device.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        The seed's source.
    like : array
        An array of the backend and device to draw on.

    Returns
    -------
    generator
        What `uniform` draws from.
    """
    from ._validation import as_generator

    rng = as_generator(rng)
    if type(like) is np.ndarray:
        return rng
    library = _library(like)
    if library == "torch":
        import torch

        generator = torch.Generator(device=like.device)
        generator.manual_seed(int(rng.integers(2**63)))
        return generator
    if library == "cupy":
        import cupy

        with like.device:
            return cupy.random.default_rng(int(rng.integers(2**63)))
    return _HostGenerator(rng, namespace(like), _device_of(like))


def uniform(generator, shape, dtype="float64"):
    """Uniform draws in [0, 1) of `shape` and floating `dtype`, on the generator's device.

    Parameters
    ----------
    generator : generator
        Made by `device_generator`.
    shape : tuple of int
    dtype : str or dtype
        "float32" or "float64", as a name or a dtype of any backend.

    Returns
    -------
    array of shape `shape`
        Of the generator's backend.
    """
    name = _dtype_name(dtype)
    if name not in ("float32", "float64"):
        raise ValueError(f"uniform draws need dtype float32 or float64, got {name}")
    shape = tuple(int(n) for n in shape)
    if isinstance(generator, np.random.Generator):
        return generator.random(shape, dtype=name)
    if isinstance(generator, _HostGenerator):
        return generator.xp.asarray(generator.rng.random(shape, dtype=name), device=generator.device)
    if _library(generator) == "torch":
        import torch

        return torch.rand(shape, generator=generator, device=generator.device, dtype=getattr(torch, name))
    return generator.random(shape, dtype=np.dtype(name))  # cupy


_DTYPE_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                "bfloat16", "float32", "float64", "complex64", "complex128")


def _dtype_name(dtype) -> str:
    """ "float32" for np.float32, torch.float32, array_api_strict.float32 or "float32".

    Raises TypeError for what is no data type at all (3, a list) and ValueError for an unknown name.
    """
    try:
        name = np.dtype(dtype).name
    except (TypeError, ValueError):
        if not isinstance(dtype, str) and type(dtype).__module__ == "builtins":
            raise TypeError(f"dtype must be a data type such as 'float32', got {type(dtype).__name__} "
                            f"{dtype!r:.40}") from None
        name = dtype if isinstance(dtype, str) else str(dtype).rsplit(".", 1)[-1]  # torch.float32, bfloat16
    if name not in _DTYPE_NAMES:
        raise ValueError(f"dtype must be a data type name such as 'float32', got {name!r}")
    return name


def _library_name(xp) -> str:
    return "numpy" if xp is np else xp.__name__.rsplit(".", 1)[-1]
