"""TrustedExecute outside the class grader, as plain `nbgrader autograde` with the course config runs it."""

import json
import sys

import nbformat
from dlkit_grader.trusted import TrustedExecute

# A kernel that dies at its first start (as one whose port another kernel took at the same moment) and starts
# normally after that: the marker file tells the two starts apart.
FLAKY = """
import os, sys
marker, connection_file = sys.argv[1:]
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit(1)
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])
"""


def test_a_kernel_that_dies_while_starting_gets_one_more_try(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    marker = tmp_path / "first-start-failed"
    argv = [sys.executable, "-c", FLAKY, str(marker), "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "flaky", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 6"), nbformat.v4.new_code_cell("x * 7")]
    )

    TrustedExecute(kernel_name="flaky", timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})

    assert marker.exists()
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "42"
