"""dlkit-grade as an nbgrader application: settings from nbgrader_config.py and the command line, and a
machine without what full isolation needs (it says which limits do not hold, once, and grades anyway)."""

import os
import subprocess
import sys

import pytest
from dlkit_grader import sandbox
from dlkit_grader.batch import grade_class
from dlkit_grader.cli import GradeApp
from dlkit_grader.course import Course
from dlkit_grader.sandbox import Isolation, Sandbox
from tiny_course import LIMITS, make_course, submit, tiny_notebook


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path)


def _app(argv):
    app = GradeApp()
    app.initialize(argv)
    return app


def test_limits_and_settings_come_from_nbgrader_config_and_the_command_line(course):
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("c.Sandbox.memory_mb = 777\nc.Sandbox.cell_timeout = 30\nc.GradeApp.workers = 3\n")
    app = _app(["--course-root", str(course)])
    limits = Sandbox(parent=app)
    assert (limits.memory_mb, limits.cell_timeout, app.workers) == (777, 30, 3)
    # The command line wins over the file, by alias or by the trait's full name.
    app = _app(
        ["--course-root", str(course), "--memory-mb", "999", "--Sandbox.cell_timeout=5", "--workers=1"]
    )
    limits = Sandbox(parent=app)
    assert (limits.memory_mb, limits.cell_timeout, app.workers) == (999, 5, 1)
    app = _app(["--course-root", str(course), "--assignment", "tiny", "--assignment", "other", "a.zip"])
    assert (app.assignments, app.extra_args) == (["tiny", "other"], ["a.zip"])


def test_bad_settings_are_refused_with_their_name(course):
    with pytest.raises(SystemExit):
        _app(["--course-root", str(course), "--lms", "blackboard"])
    with pytest.raises(Exception, match="Sandbox.memory_mb must be at least 1, got 0"):
        Sandbox(memory_mb=0)


def test_a_machine_without_full_isolation_grades_with_the_limits_that_hold(course, monkeypatch, caplog):
    """No root, no unshare, no memory limit (macOS, a container): one warning that says so, then grades."""
    missing = [
        "no memory limit: RLIMIT_AS cannot be set here (ValueError: not allowed)",
        "student code keeps the network",
    ]
    monkeypatch.setattr(sandbox, "probe", lambda limits: Isolation(rlimits=["max_file_mb"], missing=missing))
    submit(course, "good", tiny_notebook())
    submit(course, "loops", tiny_notebook(double="while True:\n    pass"))
    path = os.environ["PATH"]
    with caplog.at_level("INFO", logger="dlkit_grader"):
        state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=1)
    assert {r["student"]: r["score"] for r in state.results()} == {"good": 3, "loops": 2}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and all(line in warnings[0] for line in missing)
    assert os.environ["PATH"] == path  # nbgrader's PATH needs go to its subprocesses, not to this process


def test_probe_says_which_limits_do_not_hold(monkeypatch):
    monkeypatch.setattr(sandbox, "is_root", lambda: False)
    monkeypatch.setattr(sandbox, "_rlimit_failures", lambda limits: {"memory_mb": "ValueError: not allowed"})
    isolation = sandbox.probe(Sandbox())
    assert isolation.rlimits == ["max_processes", "max_file_mb"]
    assert (isolation.separate_users, isolation.namespaces, isolation.worker_prefix()) == (False, [], [])
    text = "\n".join(isolation.missing)
    assert "no memory limit: RLIMIT_AS cannot be set here (ValueError: not allowed)" in text
    assert "student code keeps the network" in text
    assert "student code runs as you" in text
    assert not [
        line
        for line in sandbox.probe(Sandbox(allow_network=True, separate_users=False)).missing
        if "network" in line
    ]


def test_importing_the_grader_sets_no_matplotlib_backend_and_no_path():
    code = (
        "import os, matplotlib; path = os.environ['PATH']\n"
        "import dlkit_grader.cli, dlkit_grader.report, dlkit_grader.worker\n"
        "assert matplotlib.rcParams._get_backend_or_none() is None, matplotlib.rcParams['backend']\n"
        "assert os.environ['PATH'] == path\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_the_old_module_name_still_runs_the_grader():
    outcome = subprocess.run(
        [sys.executable, "-m", "dlkit.classroom.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "dlkit-grade" in outcome.stdout and "--lms" in outcome.stdout
    assert "deprecated: run `dlkit-grade`" in outcome.stderr
