"""The package's surface: `import dlkit` is cheap and reaches every module lazily (PEP 562)."""

import json
import subprocess
import sys

import pytest

import dlkit

MODULES = ["activations", "autograd", "backend", "datasets", "gradcheck", "grading", "init", "losses",
           "metrics", "nn", "optim", "plot", "regularization", "train"]
HEAVY = ["matplotlib", "tqdm", "nbgrader", "IPython", "torch", "cupy", "array_api_strict"]


def loaded_after(code: str) -> dict:
    """Run `code` in a fresh interpreter; return which HEAVY packages and dlkit modules it loaded."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps({{'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules), "
             "'dlkit': sorted(m for m in sys.modules if m.startswith('dlkit.'))}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_import_dlkit_loads_no_module_at_all():
    loaded = loaded_after("import dlkit")
    assert loaded == {"heavy": [], "dlkit": []}


def test_the_library_without_plot_loads_neither_matplotlib_nor_tqdm_nor_nbgrader():
    library = [m for m in MODULES if m != "plot"]
    loaded = loaded_after("import dlkit\n" + "\n".join(f"dlkit.{m}" for m in library))
    assert loaded["heavy"] == []
    assert {f"dlkit.{m}" for m in library} <= set(loaded["dlkit"])
    assert "dlkit.plot" not in loaded["dlkit"] and "dlkit.classroom" not in loaded["dlkit"]


def test_plot_brings_matplotlib_and_nothing_brings_nbgrader():
    loaded = loaded_after("import dlkit\n" + "\n".join(f"dlkit.{m}" for m in MODULES))
    assert "matplotlib" in loaded["heavy"]
    assert "nbgrader" not in loaded["heavy"] and "tqdm" not in loaded["heavy"]


def test_a_bare_import_reaches_the_modules_by_attribute():
    code = ("import dlkit\n"
            "model = dlkit.nn.MLP([2, 8, 1], rng=0)\n"
            "X, y = dlkit.datasets.xor(16, rng=0)\n"
            "assert model(X).shape == (16, 1)\n"
            "assert callable(dlkit.grading.check_close)")
    loaded_after(code)  # asserts inside the fresh interpreter


@pytest.mark.parametrize("name", MODULES)
def test_every_module_is_an_attribute_listed_by_dir_and_all(name):
    module = getattr(dlkit, name)
    assert module.__name__ == f"dlkit.{name}"
    assert name in dir(dlkit) and name in dlkit.__all__


def test_unknown_attribute_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="module 'dlkit' has no attribute 'neural'"):
        dlkit.neural  # noqa: B018
    assert not hasattr(dlkit, "classroom_grader")


def test_star_import_gives_the_modules():
    namespace = {}
    exec("from dlkit import *", namespace)
    assert {name for name in MODULES} <= set(namespace)
    assert namespace["__version__"] == dlkit.__version__
