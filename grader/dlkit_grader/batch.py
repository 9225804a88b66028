"""Autograde a whole class: parallel sandboxed workers, one serial writer to the gradebook.

Each (student, assignment) is graded by a worker process (see ``worker``) in its own throw-away
workspace with a private SQLite gradebook. The batch merges each finished workspace into the course
gradebook from a single thread, copies the autograded notebooks and feedback into the course's
folders, and records the submission's digest in ``grading/classroom-state.json``. So:

* the course gradebook (SQLite, or PostgreSQL through ``db_url``) only ever has one writer;
* re-running grades only submissions that are new or changed (``force`` regrades everything), and
  nbgrader's update-or-create calls overwrite a grade rather than add one: no duplicates;
* an interrupted run resumes where it stopped: a submission counts as done only once its grades
  are committed and its files copied.
"""

from __future__ import annotations

import json
import logging
import os
import re
import selectors
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from . import files, gradebook, sandbox
from .course import Course
from .worker import DONE, Job, Result

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@-]*")


def find_submissions(course: Course, assignments: list[str]) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) for every submission in the course's submitted folder."""
    found = []
    submitted = course.folder("submitted")
    if not submitted.exists():
        return found
    for student in sorted(p for p in submitted.iterdir() if files.is_real_folder(p)):
        for assignment in assignments:
            if files.is_real_folder(student / assignment):
                found.append((student.name, assignment, student / assignment))
    return found


class WorkerProcess:
    """One long-lived grading worker (one parallel slot), restarted if it dies or overruns.

    Its environment comes from the batch: the course's (nbgrader's scripts on PATH), a Jupyter folder of its
    own (where each job registers the sandboxed kernel), one thread per maths library.
    """

    def __init__(self, uid: int | None, command: list[str], env: dict[str, str], log_path: Path):
        self.uid = uid
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process = None

    def _start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=self.env,
                start_new_session=True,
            )

    def run(self, job_path: Path, timeout: float) -> bool:
        """Send one job; False if the worker did not answer within `timeout` seconds (it is killed)."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        try:
            self.process.stdin.write(f"{job_path}\n".encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            self.kill()
            return False
        expected = f"{DONE} {job_path}".encode()
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    break
                *lines, buffer = (buffer + chunk).split(b"\n")
                if expected in lines:
                    return True
                if len(buffer) > len(expected):  # a partial line already too long to be the reply
                    buffer = b"\0"
        self.kill()
        return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.process = None
        if self.uid is not None:
            sandbox.kill_user_processes(self.uid)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env(course: Course, folder: Path) -> dict[str, str]:
    """A worker's environment: Jupyter's folders under `folder`, one thread per maths library."""
    (folder / "jupyter").mkdir(parents=True)
    (folder / "runtime").mkdir(mode=0o700)
    return dict(
        course.env(),
        JUPYTER_PATH=str(folder / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(folder / "runtime"),
        JUPYTER_CONFIG_DIR=str(folder / "config"),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )


def merge(course: Course, gb: Gradebook, job: Job, result: Result) -> None:
    """Copy one graded submission from its workspace into the course gradebook and folders."""
    workspace = Path(job.workspace)
    private = workspace / "gradebook.db"
    gb.update_or_create_student(job.student)
    graded = {}
    timestamp = None
    if private.exists() and (workspace / "result.json").exists():
        with Gradebook(f"sqlite:///{private}", job.course_id) as private_gb:
            try:
                submission = private_gb.find_submission(job.assignment, job.student)
            except MissingEntry:
                submission = None
            if submission is not None:
                timestamp = submission.timestamp
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        graded[notebook.name, grade.name] = (grade.auto_score, grade.needs_manual_grade)
                    for comment in notebook.comments:
                        graded[notebook.name, "comment", comment.name] = comment.auto_comment
    with warnings.catch_warnings():
        # nbgrader creates a submission's rows while SQLAlchemy 2 autoflushes: a harmless SAWarning.
        warnings.simplefilter("ignore", SAWarning)
        submission = gb.update_or_create_submission(job.assignment, job.student, timestamp=timestamp)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score, grade.needs_manual_grade = graded.get((notebook.name, grade.name), (0.0, False))
        for comment in notebook.comments:
            comment.auto_comment = graded.get((notebook.name, "comment", comment.name))
    gb.db.commit()
    # The course gradebook is the truth for scores, also when the worker could not report any.
    result.score, result.max_score = submission.score, submission.max_score

    for step in ("autograded", "feedback"):
        target = course.folder(step, job.student, job.assignment)
        shutil.rmtree(target, ignore_errors=True)
        produced = workspace / step / job.student / job.assignment
        if files.is_real_folder(produced):
            files.copy_regular_files(produced, target)
    log = course.grading_dir / "logs" / job.student / f"{job.assignment}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if (workspace / "autograde.log").exists():
        shutil.copyfile(workspace / "autograde.log", log)


class State:
    """What has been graded: submission digest and result per 'student/assignment', saved atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.entries = json.loads(path.read_text()) if path.exists() else {}

    def is_current(self, student: str, assignment: str, digest: str) -> bool:
        return self.entries.get(f"{student}/{assignment}", {}).get("digest") == digest

    def record(self, result: Result, digest: str) -> None:
        self.entries[f"{result.student}/{result.assignment}"] = {"digest": digest, "result": asdict(result)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, indent=1))
        os.replace(temporary, self.path)

    def results(self) -> list[dict]:
        return [entry["result"] for _, entry in sorted(self.entries.items())]


def grade_class(
    course: Course,
    assignments: list[str],
    limits: sandbox.Sandbox,
    workers: int = 2,
    force: bool = False,
    log: logging.Logger | None = None,
) -> State:
    """Autograde every new or changed submission of `assignments`; returns the updated state.

    `log` (by default the logger "dlkit_grader") gets what is to be graded, the limits that do not hold here
    (once, as a warning) and each result.
    """
    log = log or logging.getLogger("dlkit_grader")
    state = State(course.grading_dir / "classroom-state.json")
    todo = []
    for student, assignment, folder in find_submissions(course, assignments):
        if not STUDENT_ID.fullmatch(student):
            log.error(
                f"{student!r}/{assignment}: not graded: a student id is made of letters, digits and "
                ". _ - + @ (nbgrader reads other characters as patterns); rename the folder and run again"
            )
            continue
        # A new submission or a changed source (tests fixed by the instructor) means grading again.
        digest = (
            files.folder_digest(folder) + files.folder_digest(course.folder("source", ".", assignment))[:16]
        )
        if force or not state.is_current(student, assignment, digest):
            todo.append((student, assignment, folder, digest))
    log.info(f"{len(todo)} submissions to grade ({workers} workers)")
    template = gradebook.prepare(course, assignments, template=bool(todo))
    if not todo:
        return state

    isolation = sandbox.probe(limits)
    if isolation.missing:
        log.warning(
            "these limits do not hold on this machine; grading goes on with the others:\n"
            + "\n".join(f"  - {line}" for line in isolation.missing)
        )
    if isolation.separate_users and os.stat(course.folder("source")).st_mode & stat.S_IROTH:
        log.warning(
            f"{course.folder('source')} is readable by every user, student code included; "
            "`chmod -R o-rwx` it on the grading machine"
        )

    scratch = Path(tempfile.mkdtemp(prefix="dlkit-grade-"))
    # The sandbox users pass through to their own job's folders but cannot list the scratch folder, nor read
    # a job's files (the jobs and the worker are root-only: see worker.serve's umask).
    os.chmod(scratch, 0o711)
    try:
        (course.grading_dir / "worker-logs").mkdir(parents=True, exist_ok=True)
        first_uid = sandbox.free_uid_block(workers) if isolation.separate_users else None
        command = [*isolation.worker_prefix(), sys.executable, "-m", "dlkit_grader.worker"]
        if "net" in isolation.namespaces:
            command.append("--network-namespace")
        if "mount" in isolation.namespaces:
            command.append("--mount-namespace")
        pool = [
            WorkerProcess(
                None if first_uid is None else first_uid + slot,
                command,
                worker_env(course, scratch / f"worker-{slot}"),
                course.grading_dir / "worker-logs" / f"worker-{slot}.log",  # not among the students' logs
            )
            for slot in range(workers)
        ]
        free = list(pool)
        lock = threading.Lock()

        def run(index, student, assignment, folder):
            with lock:
                process = free.pop()
            workspace = scratch / f"job-{index}"
            workspace.mkdir(mode=0o711)
            job = Job(
                assignment,
                student,
                str(folder),
                str(course.folder("source", ".", assignment)),
                template.grade_cells[assignment],
                str(template.db),
                str(workspace),
                limits.limits(),
                isolation.rlimits,
                template.locked_checksums[assignment],
                str(template.db.parent / "release" / assignment),
                process.uid,
                course.course_id,
                str(course.root / "nbgrader_config.py"),
            )
            job.save(scratch / f"job-{index}.json")
            hard_limit = limits.notebook_timeout * len(template.grade_cells[assignment]) + 120
            try:
                finished = process.run(scratch / f"job-{index}.json", hard_limit)
            finally:
                with lock:
                    free.append(process)
            # The worker writes result.json once the grades are in its gradebook, then replies: a result
            # written just before the hard limit struck still counts.
            try:
                result = Result(**json.loads((workspace / "result.json").read_text()))
            except (OSError, ValueError, TypeError):
                stopped = f"grading stopped: the worker crashed or ran past the hard limit of {hard_limit} s"
                result = Result(student, assignment, reasons=[f"{stopped} (0 points)"])
            if not finished:
                log.warning(f"{student}/{assignment}: the worker did not reply within {hard_limit} s")
            return job, result

        with (
            ThreadPoolExecutor(max_workers=workers) as executor,
            Gradebook(course.db_url, course.course_id) as gb,
        ):
            futures = {executor.submit(run, i, s, a, f): d for i, (s, a, f, d) in enumerate(todo)}
            for done, future in enumerate(as_completed(futures), 1):
                job, result = future.result()
                try:
                    merge(course, gb, job, result)
                except Exception as error:  # noqa: BLE001 - not recorded, so the next run retries it
                    gb.db.rollback()
                    where = f"[{done}/{len(todo)}] {job.student}/{job.assignment}"
                    log.error(f"{where}: could not record: {error!r}")
                    continue
                state.record(result, futures[future])
                shutil.rmtree(job.workspace, ignore_errors=True)
                reasons = f"  ({'; '.join(result.reasons)})" if result.reasons else ""
                score = f"{result.score:g}/{result.max_score:g}"
                log.info(f"[{done}/{len(todo)}] {job.student}/{job.assignment}: {score}{reasons}")
        for process in pool:
            process.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return state
