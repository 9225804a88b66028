"""Shared helpers for the tests of the course pipeline (release, autograde), and how the suite is shared out.

pytest-xdist (``-n auto --dist loadscope``, pyproject.toml) keeps the tests of a module, or of a class,
together in one worker: a module-scoped fixture (a graded class, a running Jupyter server) is built once, and
nbval runs a notebook's cells in order, in one kernel. The longest tests, the student corpora (one class per
notebook in test_student_corpus.py, each grading its corpus through nbgrader), go first, so that the workers
start on them at once and share the rest afterwards.
"""

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
LONGEST = "test_student_corpus.py"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Put the student corpora first (the sort is stable: the rest keeps its order)."""
    items.sort(key=lambda item: item.path.name != LONGEST)


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
