"""The bad-submission corpus, graded as one class by `dlkit-grade`: every case ends with a grade and a reason.

Each case of tests/grading_corpus/cases*.json is built from the solved 01_perceptron release (full marks)
by one change. The class also holds two correct students and a blank notebook, which must keep their
scores whatever their classmates did. Short limits keep the run to a couple of minutes on 2 cores.
"""

import copy
import csv
import hashlib
import html
import json
import os
import shutil
import socket
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from dlkit_grader import cli, sandbox
from dlkit_grader.course import Course
from dlkit_grader.samples import answered_release, grade_id

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "grading_corpus"
CASES = {
    name: case
    for cases in sorted(CORPUS.glob("cases*.json"))
    for name, case in json.loads(cases.read_text()).items()
    if name[0] != "_"
}
ASSIGNMENT = "01_perceptron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "120", "--memory-mb", "1536", "--max-processes", "64"]
ESCAPED = Path("/tmp/dlkit-corpus-escape.txt")


def solved_release():
    """The released notebook with each exercise answered as in the instructor's solution."""
    released = nbformat.read(ROOT / "course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return answered_release(released, solution)


def write_submission(folder: Path, case: dict, solved, released, paths: dict | None = None) -> None:
    """Write the submission of `case` into `folder`; `paths` (classmate, gradebook, canary) fill its code."""
    action = case["action"]
    if action == "link_folder":  # the student's folder itself is a link, to a root-only folder
        folder.parent.mkdir(parents=True)
        folder.symlink_to(paths["canary"].parent)
        return
    folder.mkdir(parents=True)
    nb = copy.deepcopy(solved)
    cells = {grade_id(c): c for c in nb.cells}
    if action in ("append", "replace"):
        code = (CORPUS / case["code"]).read_text()
        for name, path in (paths or {}).items():
            code = code.replace(f"{{{name}}}", str(path))
        cell = cells[case["cell"]]
        cell.source = cell.source + "\n\n" + code if action == "append" else code
    elif action == "duplicate":
        index = nb.cells.index(cells[case["cell"]])
        nb.cells.insert(index + 1, copy.deepcopy(nb.cells[index]))
    elif action == "files":
        for relative, text in case["files"].items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)
    elif action == "fifo":
        os.mkfifo(folder / "pipe")
    elif action == "links_beside":
        for name, target in case["links"].items():
            (folder / name).symlink_to(paths.get(target, target))
    elif action == "link_notebook":
        (folder / NOTEBOOK).symlink_to(paths.get(case["to"], case["to"]))
        return
    elif action == "delete_cells":
        nb.cells = [c for c in nb.cells if grade_id(c) not in case["cells"]]
    elif action == "edit_cell":
        cells[case["cell"]].source = "print('all tests pass')"
        cells[case["unsolved"]].source = {grade_id(c): c for c in released.cells}[case["unsolved"]].source
    elif action == "missing":
        (folder / "answers.txt").write_text("I could not find the notebook")
        return
    elif action == "invalid_json":
        (folder / NOTEBOOK).write_text('{"cells": [{"cell_type": "code", "source": "def step(z):')
        return
    name = case["name"] if action == "rename" else NOTEBOOK
    nbformat.write(nb, folder / name)


def digests(folder: Path, skip: str | None = None) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (links not followed), bar those under `skip`."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        if path.is_file() and not path.is_symlink() and not (skip and relative.startswith(skip)):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(
        ROOT / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    submitted = course / "grading" / "submitted"
    paths = {
        "classmate": submitted / "good_1" / ASSIGNMENT / NOTEBOOK,
        "gradebook": course / "grading" / "gradebook.db",
        "canary": course / "private" / "canary.txt",
        "private": course / "private",
        "course": course,
    }
    paths["canary"].parent.mkdir(mode=0o700)
    paths["canary"].write_text("only root may read or change this")
    paths["canary"].chmod(0o600)
    (course / ".git").mkdir()  # a course kept in git: its history holds the solutions
    (course / ".git" / "config").write_text("[remote \"origin\"]\n\turl = the course's private repository\n")
    # Sockets of the host, at a path and in the abstract namespace (the {socket} placeholder names both).
    paths["socket"] = (Path("/run") if sandbox.is_root() else course) / f"dlkit-corpus-{os.getpid()}.sock"
    host_sockets = []
    for address in (str(paths["socket"]), f"\0{paths['socket']}"):
        host_sockets.append(socket.socket(socket.AF_UNIX))
        host_sockets[-1].bind(address)
        host_sockets[-1].listen()
    downloads = tmp_path_factory.mktemp("submissions")
    released = nbformat.read(ROOT / "course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = solved_release()
    for student in ("good_1", "good_2"):
        write_submission(downloads / student / ASSIGNMENT, {"action": "none"}, solved, released)
    (downloads / "blank" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(released, downloads / "blank" / ASSIGNMENT / NOTEBOOK)
    for name, case in CASES.items():
        into = submitted if case.get("in_course") else downloads
        write_submission(into / name / ASSIGNMENT, case, solved, released, paths)
    ESCAPED.unlink(missing_ok=True)
    before = {"course": digests(course, skip="grading"), "good_1": digests(downloads / "good_1")}
    started = time.time()
    try:
        assert cli.main([str(downloads), "--course-root", str(course), "--workers", "2", *LIMITS]) == 0
    finally:
        for listener in host_sockets:
            listener.close()
        paths["socket"].unlink(missing_ok=True)
    grading = Course.load(course).grading_dir
    with open(grading / "report" / "students.csv", newline="") as handle:
        students = {row["student"]: row for row in csv.DictReader(handle)}
    return course, grading, students, (started, time.time()), before


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_submission_gets_a_grade_and_its_reason(graded_class, name):
    _, _, students, *_ = graded_class
    case = CASES[name]
    if not case.get("graded", True):
        assert name not in students
        return
    row = students[name]
    if name == "write_outside" and not sandbox.is_root():
        pytest.skip("without root, student code runs as you: files it writes by absolute path are not caught")
    assert float(row["max_score"]) == 10
    if case["score"] is not None:
        assert float(row["score"]) == case["score"], row
    assert case["reason"] in row["reasons"], row
    assert case.get("tampering", "") in row["tampering"], row


def test_other_students_are_intact(graded_class):
    _, _, students, *_ = graded_class
    assert [float(students[s]["score"]) for s in ("good_1", "good_2", "blank")] == [10, 10, 0]
    assert students["good_1"]["reasons"] == students["good_1"]["tampering"] == ""


def test_exported_grades_have_every_student_once(graded_class):
    _, grading, students, *_ = graded_class
    with open(grading / "grades.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT]
    assert sorted(row["student_id"] for row in rows) == sorted(students)
    assert {row["student_id"]: float(row["score"]) for row in rows} == {
        s: float(r["score"]) for s, r in students.items()
    }


def test_feedback_and_report_are_written(graded_class):
    _, grading, *_ = graded_class
    assert (grading / "feedback" / "good_1" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
    with open(grading / "report" / "exercises.csv", newline="") as handle:
        exercises = {row["test_cell"]: row for row in csv.DictReader(handle)}
    # Named as the notebook names them, with the problem behind the commonest failure of each.
    assert {cell: row["exercise"] for cell, row in exercises.items()} == {
        "test_step": "Exercise 1 · step(z)",
        "test_perceptron_output": "Exercise 2 · perceptron_output(X, w, b, activation)",
        "test_train_perceptron": "Exercise 3 · train_perceptron(X, y, lr, epochs, rng)",
    }
    for row in exercises.values():
        assert row["most_common_problem"] and int(row["problem_count"]) >= 1, row
        assert "is not right yet" not in row["most_common_problem"], row  # the problem, not the headline
    assert (grading / "report" / "class_report.png").stat().st_size > 10_000


@pytest.mark.skipif(not sandbox.is_root(), reason="the sandbox user needs root to be set up")
def test_no_process_or_escaped_file_is_left(graded_class):
    assert not ESCAPED.exists()
    assert not Path("/run/lock/dlkit-leftover-from-a-student").exists()  # nothing for the next student
    start, end = graded_class[3]
    # The many_children case's `sleep 120`s and the setsid_spinners case's spinners, started by a sandbox user
    # while this class was graded (another grading run on the same machine has processes of its own).
    left = [
        process.pid
        for process in psutil.process_iter(["cmdline", "uids", "create_time"])
        if (process.info["cmdline"] or [None])[-1] in ("120", "dlkit-corpus-spinner")
        and sandbox.FIRST_SANDBOX_UID <= process.info["uids"].real <= sandbox.LAST_SANDBOX_UID
        and start <= process.info["create_time"] <= end
    ]
    assert left == []


def test_rerun_is_idempotent(graded_class, capsys):
    course, grading, *_ = graded_class
    before = (grading / "grades.csv").read_text()
    assert cli.main(["--course-root", str(course), "--workers", "2", *LIMITS]) == 0
    assert "0 submissions to grade" in "".join(capsys.readouterr())
    assert (grading / "grades.csv").read_text() == before


def test_nothing_outside_the_students_own_results_changed(graded_class):
    """The course (solutions, configuration, a root-only canary) and a classmate's submission are as before,
    whatever links the class made; the gradebook still answers."""
    course, grading, _, _, before = graded_class
    assert digests(course, skip="grading") == before["course"]
    assert digests(grading / "submitted" / "good_1") == before["good_1"]
    copied = [p for step in ("autograded", "feedback") for p in (grading / step).rglob("*")]
    assert [p for p in copied if p.is_symlink() or not (p.is_file() or p.is_dir())] == []
    assert [p for p in copied if p.name == "canary.txt"] == []  # nothing copied out of a root-only folder


def test_feedback_shows_points_and_messages_but_no_test_code(graded_class):
    _, grading, *_ = graded_class
    page = (grading / "feedback" / "sys_exit" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    hidden = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    test_code = [line.strip() for cell in hidden.cells if (grade_id(cell) or "").startswith("test_")
                 for line in cell.source.splitlines() if len(line.strip()) > 20]
    assert "HIDDEN TESTS" not in page
    assert [line for line in test_code if html.escape(line) in page] == []
    assert "(their code is not part of the feedback)" in page
    assert "perceptron_output" in page  # the failure message names the exercise


@pytest.mark.parametrize("name", ["display_flood", "fills_the_disk", "stdout_flood"])
def test_graded_notebook_and_feedback_stay_under_the_output_caps(graded_class, name):
    """What a student's kernel prints, writes to disk (100,000 files, 1.5 GB) or its processes write to its
    standard output reaches the course's grading folder only as the graded notebook, its feedback and the end
    of its log, within the output caps."""
    _, grading, *_ = graded_class
    for step in ("autograded", "feedback"):
        written = [p for p in (grading / step / name).rglob("*") if p.is_file()]
        assert [p.suffix for p in written] == [".html" if step == "feedback" else ".ipynb"], written
        size = sum(p.stat().st_size for p in written)
        assert size < 12 * 2**20, (step, size)  # 8 MB of output at most, and the notebook around it
    assert (grading / "logs" / name / f"{ASSIGNMENT}.log").stat().st_size < 2**20
    assert sum(p.stat().st_size for p in (grading / "worker-logs").iterdir()) < 2**20
