"""The static tampering scan: what it flags in the cells a student can edit, and what it leaves alone."""

import pytest
from dlkit_grader import tamper
from tiny_course import tiny_notebook


def _scan(code):
    nb = tiny_notebook(add=code)
    nb.cells[
        0
    ].source = "import numpy as np\nfrom dlkit import grading, activations\nfrom dlkit.grading import check"
    return [(f.kind, f.message) for f in tamper.scan_notebook(nb)]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("np.allclose = lambda *a, **k: True", ("patch", "patches numpy.allclose")),
        ("setattr(np.testing, 'assert_allclose', print)", ("patch", "patches numpy.testing with setattr()")),
        ("grading.check_function = lambda *a: None", ("patch", "patches dlkit.grading.check_function")),
        ("def check(*args):\n    pass", ("patch", "redefines check, which the tests import")),
        ("import builtins\nbuiltins.print = None", ("patch", "patches builtins.print")),
        ("import sys\nsys.modules['numpy'] = None", ("patch", "patches sys.modules[...]")),
        ("from unittest import mock", ("patch", "uses mock patching")),
        (
            "def add(a, b):\n    return activations.identity(a) + b",
            ("reference", "calls the dlkit reference (dlkit.activations.identity)"),
        ),
        (
            "from dlkit.nn import Perceptron",
            ("reference", "imports the dlkit reference (dlkit.nn.Perceptron)"),
        ),
        ("import os\nos._exit(0)", ("system", "exits the interpreter (os._exit)")),
        ("import ctypes", ("system", "uses ctypes (ctypes)")),
        ("open('/etc/passwd', 'a')", ("system", "writes a file outside its folder (/etc/passwd)")),
    ],
)
def test_scan_flags_tampering(code, expected):
    assert expected in _scan(code)


def test_scan_leaves_honest_code_and_magics_alone():
    code = (
        "%time x = 1\ndef add(a, b):\n    total = np.add(a, b)\n    open('notes.txt', 'w')\n    return total"
    )
    assert _scan(code) == []
    assert _scan("def add(a, b)\n    return a + b") == []  # syntax errors are the notebook's problem
