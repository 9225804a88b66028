"""The batch on the tiny course: limits keep the points earned so far, runs are idempotent and resumable,
and a PostgreSQL gradebook works as SQLite's does."""

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from dlkit_grader.batch import grade_class
from dlkit_grader.course import Course
from nbformat.v4 import new_code_cell
from nbgrader.api import Grade, Gradebook
from tiny_course import LIMITS, SOLUTION, make_course, submit, tiny_notebook


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path)


def _scores(state):
    return {r["student"]: r["score"] for r in state.results()}


def test_limits_keep_points_earned_so_far_and_reruns_are_idempotent(course, caplog):
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
    caplog.clear()
    with caplog.at_level("INFO", logger="dlkit_grader"):
        state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=2)
    assert "1 submissions to grade" in caplog.text
    assert _scores(state)["dies"] == 2
    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}", "tiny-course") as gb:
        assert len(gb.students) == 4
        assert sorted(s.score for s in gb.find_assignment("tiny").submissions) == [1, 2, 2, 3]
        assert gb.db.query(Grade).count() == 8


def test_cells_after_the_notebooks_time_budget_are_not_run(course):
    """Once the budget (8 s) is spent, the remaining cells are marked "not run" at once: 200 slow cells after
    it used to get a second each, and an interrupt, and held a worker for minutes."""
    nb = tiny_notebook()
    index = next(i for i, cell in enumerate(nb.cells) if cell.metadata["nbgrader"]["grade_id"] == "double")
    # Three cells just under the cell limit (4 s) spend the budget; 200 slow ones follow, before double.
    nb.cells[index:index] = [new_code_cell("import time\ntime.sleep(3.5)") for _ in range(203)]
    submit(course, "spends_the_budget", nb)
    started = time.monotonic()
    state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=1)
    elapsed = time.monotonic() - started
    (result,) = state.results()
    assert result["score"] == 2, result  # add's points, earned before the budget ran out, are kept
    assert "time limit" in " ".join(result["reasons"])
    assert elapsed < 120, f"graded in {elapsed:.0f} s: the cells after the budget were run"
    graded = nbformat.read(course / "grading" / "autograded" / "spends_the_budget" / "tiny" / "tiny.ipynb", 4)
    not_run = [cell for cell in graded.cells if cell.cell_type == "code" and "not run" in str(cell.outputs)]
    assert len(not_run) >= 200


def test_output_outside_the_cells_goes_to_the_students_own_log(course):
    """What a kernel's processes write straight to standard output and error (not through the cells) once
    reached the worker's replies to the batch, where a forged reply or 400 MB held the worker to its hard
    limit. It goes to a file of the job's, bounded by the kernel's file size limit, whose end is kept in the
    student's grading log."""
    flood = (
        "import os\n"
        "os.write(1, b'dlkit-grade-done /tmp/a-forged-reply.json\\n')\n"
        "os.system('yes dlkit-flood')\n"
        "os.system('yes dlkit-flood >&2')\n"
    )
    submit(course, "a_flood", tiny_notebook(double=flood + SOLUTION["double"]))
    submit(course, "b_good", tiny_notebook())
    started = time.monotonic()
    state = grade_class(Course.load(course), ["tiny"], LIMITS, workers=1)
    elapsed = time.monotonic() - started
    results = {r["student"]: r for r in state.results()}
    assert {name: r["score"] for name, r in results.items()} == {"a_flood": 3, "b_good": 3}, results
    assert elapsed < 90, f"graded in {elapsed:.0f} s"
    logs = course / "grading" / "logs"
    assert "dlkit-flood" in (logs / "a_flood" / "tiny.log").read_text()
    assert (logs / "a_flood" / "tiny.log").stat().st_size < 100_000
    assert sum(p.stat().st_size for p in (course / "grading" / "worker-logs").iterdir()) < 1_000_000


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
