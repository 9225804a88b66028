"""dlkit_grader on a tiny course of its own: the tampering scan, LMS file names, the report, and
the batch (limits, parallel workers, idempotent and resumable runs, PostgreSQL gradebook).

The tiny assignment has two exercises: add (test worth 2 points) and double (1 point).
"""

import csv
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from dlkit_grader import cli, collect, report, tamper
from dlkit_grader.batch import Course, grade_class
from dlkit_grader.sandbox import Limits
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Grade, Gradebook

SOLUTION = {
    "add": "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
    "double": "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
}
LIMITS = Limits(cell_timeout=4, notebook_timeout=8, memory_mb=1024)
CONFIG = """c = get_config()
c.CourseDirectory.course_id = "tiny-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"
"""


def _meta(grade_id, **flags):
    return {
        "nbgrader": {
            "grade": False,
            "solution": False,
            "locked": False,
            "grade_id": grade_id,
            "schema_version": 3,
            **flags,
        }
    }


def tiny_notebook(add=SOLUTION["add"], double=SOLUTION["double"], test_add=None):
    cells = [
        new_code_cell("import numpy as np", metadata=_meta("imports", locked=True)),
        new_code_cell(add, metadata=_meta("add", solution=True)),
        new_code_cell(
            test_add or "assert add(1, 2) == 3\nassert np.allclose(add(np.ones(2), 1), 2)",
            metadata=_meta("test_add", grade=True, locked=True, points=2),
        ),
        new_code_cell(double, metadata=_meta("double", solution=True)),
        new_code_cell(
            "assert double(4) == 8", metadata=_meta("test_double", grade=True, locked=True, points=1)
        ),
    ]
    return new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def submit(course: Path, student: str, nb) -> None:
    folder = course / "grading" / "submitted" / student / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "tiny.ipynb")


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions" / "tiny").mkdir(parents=True)
    nbformat.write(tiny_notebook(), tmp_path / "solutions" / "tiny" / "tiny.ipynb")
    (tmp_path / "nbgrader_config.py").write_text(CONFIG)
    return tmp_path


# --- the static tampering scan -------------------------------------------------------------------------


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


# --- LMS file names, report ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lms, path, student, file_id",
    [
        ("moodle", "/x/Jane Doe_123456_assignsubmission_file_/tiny.ipynb", "123456", "tiny.ipynb"),
        ("moodle", "/x/Jane Doe_123456_assignsubmission_file_tiny.ipynb", "123456", "tiny.ipynb"),
        ("canvas", "/x/doejane_24680_1357911_tiny.ipynb", "24680", "tiny.ipynb"),
        ("canvas", "/x/doejane_late_24680_1357911_tiny-1.ipynb", "24680", "tiny-1.ipynb"),
    ],
)
def test_lms_patterns(lms, path, student, file_id):
    match = re.match(collect.LMS_PATTERNS[lms], path)
    assert (match["student_id"], match["file_id"]) == (student, file_id)


def test_report_pass_rates_and_most_common_failure(tmp_path):
    def result(student, score, failure):
        return {
            "student": student,
            "assignment": "a",
            "score": score,
            "max_score": 2.0,
            "reasons": [],
            "tampering": [],
            "cells": {"nb": {"t": {"score": score, "max_score": 2.0, "failure": failure}}},
        }

    results = [
        result("s1", 2.0, ""),
        result("s2", 0.0, "AssertionError: sign"),
        result("s3", 0.0, "AssertionError: sign"),
        result("s4", 1.0, "NameError: x"),
    ]
    (row,) = report.exercise_rows(results)
    assert (row["pass_rate"], row["mean_score"]) == (0.25, 0.75)
    assert (row["most_common_failure"], row["failure_count"]) == ("AssertionError: sign", 2)
    paths = report.write_report(results, tmp_path)
    assert paths["plot"].stat().st_size > 5_000
    assert len(list(csv.DictReader(open(paths["students"])))) == 4


# --- the batch on the tiny course ----------------------------------------------------------------------


def _scores(state):
    return {r["student"]: r["score"] for r in state.results()}


def test_limits_keep_points_earned_so_far_and_reruns_are_idempotent(course, capsys):
    submit(course, "good", tiny_notebook())
    submit(course, "dies", tiny_notebook(double="def double(x):\n    import os\n    os._exit(3)"))
    submit(
        course, "slow", tiny_notebook(double="import time\ntime.sleep(30)\ndef double(x):\n    return 2 * x")
    )
    submit(course, "edits_test", tiny_notebook(add="def add(a, b):\n    return 0", test_add="pass"))
    state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=2)
    results = {r["student"]: r for r in state.results()}
    assert _scores(state) == {"good": 3, "dies": 2, "slow": 2, "edits_test": 1}
    assert "kernel died" in " ".join(results["dies"]["reasons"])
    assert "time limit" in " ".join(results["slow"]["reasons"])
    assert "test_add was edited" in " ".join(results["edits_test"]["reasons"])

    # A run interrupted after a gradebook commit but before its record regrades only what is missing,
    # and the gradebook still holds one grade per test cell (plain re-runs: test_classroom_corpus.py).
    state_file = course / "grading" / "classroom-state.json"
    entries = json.loads(state_file.read_text())
    del entries["dies/tiny"]
    state_file.write_text(json.dumps(entries))
    capsys.readouterr()
    state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=2)
    assert "1 submissions to grade" in capsys.readouterr().out
    assert _scores(state)["dies"] == 2
    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}", "tiny-course") as gb:
        assert len(gb.students) == 4
        assert sorted(s.score for s in gb.find_assignment("tiny").submissions) == [1, 2, 2, 3]
        assert gb.db.query(Grade).count() == 8


def test_canvas_download_end_to_end(course, tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("doejane_24680_1357911_tiny-1.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr(
            "roesam_late_13579_2468024_tiny.ipynb",
            nbformat.writes(tiny_notebook(add="def add(a, b):\n    return a - b")),
        )
    assert (
        cli.main(
            [
                "--lms",
                "canvas",
                "--assignment",
                "tiny",
                str(archive),
                "--course-root",
                str(course),
                "--workers",
                "2",
                "--cell-timeout",
                "4",
                "--notebook-timeout",
                "8",
            ]
        )
        == 0
    )
    grading = course / "grading"
    with open(grading / "grades.csv", newline="") as handle:
        assert {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)} == {
            "24680": 3,
            "13579": 1,
        }
    assert (grading / "feedback" / "24680" / "tiny" / "tiny.html").exists()
    with open(grading / "report" / "students.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert "notebook renamed: graded tiny-1.ipynb as tiny.ipynb" in rows["24680"]["reasons"]


# --- PostgreSQL gradebook ------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver psycopg2 is not installed")
    folder = Path(tempfile.mkdtemp(prefix="dlkit-pg-"))
    data, port = folder / "data", _free_port()
    owner = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as an existing unprivileged user
        user = next((u for u in pwd.getpwall() if u.pw_name in ("postgres", "nobody")), None)
        if user is None:
            pytest.skip("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")
        owner = {"user": user.pw_uid, "group": user.pw_gid}
        os.chmod(folder, 0o755)
        os.chown(folder, user.pw_uid, user.pw_gid)
    run = dict(capture_output=True, check=True, cwd=folder, **owner)
    try:
        subprocess.run(["initdb", "-D", str(data), "-U", "grader", "--auth=trust"], **run)
        subprocess.run(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-w",
                "-l",
                str(folder / "log"),
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
                "start",
            ],
            **run,
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook"], **run)
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"], **{**run, "check": False})
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gradebook(course, postgres_url):
    submit(course, "good", tiny_notebook())
    submit(course, "half", tiny_notebook(double="def double(x):\n    return x"))
    state = grade_class(Course.load(course, db_url=postgres_url), ["tiny"], LIMITS, workers=2)
    assert _scores(state) == {"good": 3, "half": 2}
    with Gradebook(postgres_url, "tiny-course") as gb:
        assert sorted(s.score for s in gb.find_assignment("tiny").submissions) == [2, 3]
