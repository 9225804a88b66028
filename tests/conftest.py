"""Shared helpers for the tests of the course pipeline (release, autograde)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())
_SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")


def run_nbgrader(*args, cwd, check=True):
    """Run ``python -m nbgrader ARGS`` in `cwd` with this interpreter; return the CompletedProcess.

    nbgrader calls the ``alembic`` script of its environment, so that environment's bin/
    goes first on PATH.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path)
    env.pop("NBGRADER_EXECUTION", None)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def course_copy(tmp_path):
    """A throw-away course directory: nbgrader_config.py and solutions/, with an empty grading/."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions", ignore=_SKIP)
    (tmp_path / "grading").mkdir()
    return tmp_path


def release(course_dir):
    """What `make release` does: generate the student version of every assignment into course/."""
    for assignment in ASSIGNMENTS:
        run_nbgrader("generate_assignment", "--force", assignment, cwd=course_dir)
