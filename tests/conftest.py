"""Shared helpers for the tests of the course pipeline (release, autograde)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(path.name for path in (ROOT / "solutions").iterdir()
                     if path.is_dir() and not path.name.startswith((".", "_")))
_SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")


def start_nbgrader(*args, cwd):
    """Start ``python -m nbgrader ARGS`` in `cwd` with this interpreter; return the Popen.

    nbgrader calls the ``alembic`` script of its environment, so that environment's bin/
    goes first on PATH.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path)
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_nbgrader(process):
    """Wait for a started nbgrader command; fail the test with its output unless it succeeded."""
    stdout, stderr = process.communicate(timeout=300)
    if process.returncode != 0:
        pytest.fail(f"{' '.join(process.args[1:])} failed ({process.returncode}):\n{stdout}\n{stderr}")
    return stdout


def run_nbgrader(*args, cwd):
    """Run ``python -m nbgrader ARGS`` in `cwd`; return its standard output."""
    return finish_nbgrader(start_nbgrader(*args, cwd=cwd))


def release(course_dir):
    """What `make release` does: generate the student version of every assignment into course/."""
    for assignment in ASSIGNMENTS:
        run_nbgrader("generate_assignment", "--force", assignment, cwd=course_dir)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A throw-away course directory (nbgrader_config.py, solutions/, grading/) after a release.

    Shared by the release drift check and the autograde test; neither changes its course/.
    """
    course_dir = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course_dir)
    shutil.copytree(ROOT / "solutions", course_dir / "solutions", ignore=_SKIP)
    (course_dir / "grading").mkdir()
    release(course_dir)
    return course_dir
