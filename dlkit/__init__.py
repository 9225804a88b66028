"""dlkit: the small, readable reference library of the deep-learning fundamentals course.

One concept per module: ``dlkit.activations``, ``dlkit.losses``, ``dlkit.nn``,
``dlkit.optim``, ``dlkit.train`` and so on. NumPy on the CPU by default; see
``dlkit.backend`` for CuPy and PyTorch.

``import dlkit`` is cheap: each module is imported the first time it is used
(PEP 562), so ``dlkit.nn.MLP(...)`` works after a bare ``import dlkit`` and only
``dlkit.plot`` brings in matplotlib.

Examples
--------
>>> import dlkit
>>> model = dlkit.nn.MLP([2, 8, 1], rng=0)
>>> model(dlkit.datasets.xor(4, rng=0)[0]).shape
(4, 1)
"""

import importlib

__version__ = "0.1.0"

# The public modules, each imported on first use.
_MODULES = (
    "activations",
    "autograd",
    "backend",
    "datasets",
    "gradcheck",
    "grading",
    "init",
    "losses",
    "metrics",
    "nn",
    "optim",
    "plot",
    "regularization",
    "train",
)

__all__ = [*_MODULES, "__version__"]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import also sets dlkit.<name>
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted({*globals(), *_MODULES})
