"""Grade one student's assignment in a throw-away workspace, under the sandbox's limits.

The batch starts one long-lived worker process per parallel slot (``unshare -n -m python -m
dlkit_grader.worker`` where the OS allows) and sends it jobs, one per (student, assignment). For each, the
worker builds a private nbgrader course in the job's workspace (the assignment's source folder, the student's
submission and a private copy of the gradebook), drives ``nbgrader autograde`` and ``generate_feedback`` on
it, and writes ``result.json`` next to them. The batch then merges the private gradebook into the real one,
one job at a time, so parallel workers never write the same database.

nbgrader does the grading; this module only adds what a class of untrusted submissions needs:

* the kernel is the sandboxed kernelspec (limits, unprivileged user, see ``sandbox``);
* ``SandboxedExecute``, nbgrader's ``Execute`` preprocessor with a notebook-wide time budget, an
  output cap while cells run, and a dead kernel recorded as an error in its cell (the cells before
  keep their points, the cells after it are marked as not run) instead of failing the notebook;
* checks nbgrader does not report on its own: renamed or unreadable notebooks, test cells edited
  or deleted (restored from the source by nbgrader, reported here), files written outside the
  student's folder, leftover processes, and the static tampering scan.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import BlockingKernelClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import compute_checksum
from sqlalchemy.exc import SAWarning
from traitlets import Integer, Unicode
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import cgroups, files, sandbox, tamper
from .feedback import feedback_preprocessors
from .messages import cell_errors
from .trusted import TrustedExecute, _now

# Kernel messages that add or change a cell's output.
OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "error", "update_display_data"}

# Error names in cell outputs worth a reason of their own (limits hit and the like).
NOTABLE_ERRORS = {
    "CellTimeoutError": "time limit",
    "KernelDied": "kernel died",
    "MemoryError": "memory limit",
    "OutputLimit": "output limit",
    "BlockingIOError": "process limit",
    "SystemExit": "called sys.exit()",
    "SyntaxError": "syntax error",
}

# How much of what a kernel wrote to its standard output and error goes into the notebook's grading log.
KERNEL_OUTPUT_KEPT = 16 * 1024


@dataclass
class Job:
    """Everything a worker needs; written as JSON by the batch."""

    assignment: str
    student: str
    submission: str  # folder holding the student's files
    source: str  # the instructor's source folder of the assignment
    grade_cells: dict[str, list[str]]  # notebook name -> ids of its test (grade) cells
    template_db: str  # a SQLite gradebook that knows the assignment
    workspace: str
    limits: dict  # the Sandbox traits
    rlimits: list[str]  # the Sandbox traits enforced with resource limits (those that hold here)
    locked_checksums: dict[str, dict[str, str]]  # notebook -> read-only cell id -> checksum as released
    release: str  # the assignment's released notebooks: cells a student deleted are put back from them
    uid: int | None = None  # the kernel's own user, where separate users hold
    course_id: str = "course"
    config_file: str | None = None  # the course's nbgrader_config.py

    @classmethod
    def load(cls, path) -> Job:
        return cls(**json.loads(Path(path).read_text()))

    def save(self, path) -> None:
        """Write the job, readable by root only (it names the course's files)."""
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            file.write(json.dumps(asdict(self), indent=1))


@dataclass
class Result:
    """What the batch records for one (student, assignment)."""

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)
    seconds: float = 0.0


class SandboxedExecute(TrustedExecute):
    """TrustedExecute (test cells in a checker kernel) with a notebook time budget, an output cap,
    survivable kernel deaths, and a working folder of the kernel's own."""

    notebook_timeout = Integer(300, help="seconds for the whole notebook").tag(config=True)
    max_output_bytes = Integer(2 * 2**20, help="output kept per cell while it runs").tag(config=True)
    max_notebook_output_bytes = Integer(8 * 2**20, help="output kept for the whole notebook").tag(config=True)
    run_folder = Unicode(
        "",
        help="The kernel's working folder, made afresh for each notebook (empty: the notebook's own folder, "
        "as in nbgrader). It is handed to the sandbox user, so it must not be where nbgrader writes the "
        "graded notebook: a link put there would make root write through it.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self.timeout_func = self._cell_timeout
        self._deadline = time.monotonic() + self.notebook_timeout
        self._kernel_death = None
        self._notebook_output_bytes = 0
        if not self.run_folder:
            return super().preprocess(nb, resources, km)
        folder = Path(self.run_folder)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        graded_folder = resources["metadata"]["path"]
        resources["metadata"]["path"] = str(folder)  # nbclient starts the kernel there
        try:
            return super().preprocess(nb, resources, km)
        finally:
            resources["metadata"]["path"] = graded_folder

    def _cell_timeout(self, cell) -> int:
        remaining = int(self._deadline - time.monotonic())
        if remaining < self.timeout:
            message = f"the notebook's time budget ({self.notebook_timeout} s) ran out"
        else:
            message = f"the cell ran longer than {self.timeout} s"
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": message,
            "traceback": [f"CellTimeoutError: {message}"],
        }
        return max(1, min(self.timeout, remaining))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._kernel_death is not None:
            cell.outputs = [
                _error("KernelDied", f"not run: the kernel died in an earlier cell ({self._kernel_death})")
            ]
            return cell, resources
        if time.monotonic() >= self._deadline:
            budget = f"the notebook's time budget ({self.notebook_timeout} s) ran out in an earlier cell"
            cell.outputs = [_error("CellTimeoutError", f"not run: {budget}")]
            return cell, resources
        self._output_bytes = 0
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_death = self._how_kernel_ended()
            cell.outputs.append(
                _error("KernelDied", f"the kernel died while running this cell ({self._kernel_death})")
            )
            return cell, resources
        except CellTimeoutError:  # interrupted, the cell never reported being done
            cell.outputs.append(_error("CellTimeoutError", f"the cell ran longer than {self.timeout} s"))
        timed_out = any(out.get("ename") == "CellTimeoutError" for out in cell.outputs)
        if timed_out and not self._kernel_answers():
            # Interrupting did not stop the cell (SIGINT ignored, a long C call): every later cell would wait
            # out its time limit in vain. The kernel is killed; the points earned so far stay.
            _now(self.km.shutdown_kernel(now=True))
            self._kernel_death = "killed: the cell went on after it was interrupted"
            cell.outputs.append(_error("KernelDied", f"the kernel was {self._kernel_death}"))
        return cell, resources

    def _kernel_answers(self, timeout: float = 5.0) -> bool:
        """Does the kernel answer a request within `timeout` s (is it done with the interrupted cell)?"""
        client = BlockingKernelClient(connection_file=self.km.connection_file)
        client.load_connection_file()
        client.start_channels()
        try:
            client.kernel_info()
            client.get_shell_msg(timeout=timeout)
            return True
        except queue.Empty:
            return False
        finally:
            client.stop_channels()

    def _how_kernel_ended(self) -> str:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return "no exit status"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def process_message(self, msg, cell, cell_index):
        # Every message that carries output counts, updates of an earlier display (display_id) included:
        # nbclient applies those without calling `output`.
        if msg["msg_type"] in OUTPUT_MESSAGES:
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(
                len(str(v)) for v in (content.get("data") or {}).values()
            )
            self._output_bytes += size
            self._notebook_output_bytes += size
            if (
                self._output_bytes > self.max_output_bytes
                or self._notebook_output_bytes > self.max_notebook_output_bytes
            ):
                if not any(out.get("ename") == "OutputLimit" for out in cell.outputs):
                    cell.outputs.append(_error("OutputLimit", self._output_limit_message()))
                return None
        return super().process_message(msg, cell, cell_index)

    def _output_limit_message(self) -> str:
        if self._output_bytes > self.max_output_bytes:
            return f"output beyond {self.max_output_bytes // 2**20} MB in this cell was dropped"
        return f"output beyond {self.max_notebook_output_bytes // 2**20} MB in this notebook was dropped"


def _error(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def prepare_submission(
    folder: Path,
    grade_cells: dict[str, list[str]],
    checksums: dict[str, dict[str, str]],
    release: Path,
) -> list[str]:
    """Fix what can be fixed before nbgrader sees the submission; return the reasons to record.

    A notebook that is missing while exactly one unexpected notebook is present was renamed (LMS
    downloads add suffixes such as ``-1``): it is graded under its expected name. A file that is
    not a readable notebook is removed, so nbgrader gives that notebook zero. Cells copied with their
    grading marks become ordinary cells; cells deleted are put back from the released notebooks in
    `release`.
    """
    reasons = []
    expected = {f"{name}.ipynb" for name in grade_cells}
    present = {p.name for p in folder.glob("*.ipynb")}
    missing, unknown = sorted(expected - present), sorted(present - expected)
    if len(missing) == 1 and len(unknown) == 1:
        (folder / unknown[0]).rename(folder / missing[0])
        reasons.append(f"notebook renamed: graded {unknown[0]} as {missing[0]}")
        missing = []
    for name in missing:
        reasons.append(f"notebook missing: {name} (0 points)")
    for name in sorted(expected & {p.name for p in folder.glob("*.ipynb")}):
        path = folder / name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - every way of being unreadable ends the same
            path.unlink()
            reasons.append(
                f"not a valid notebook: {name} ({type(error).__name__}: {str(error)[:120]}) (0 points)"
            )
            continue
        stem = name[: -len(".ipynb")]
        copies = _unmark_copies(nb)
        if copies:
            nbformat.write(nb, path)
            reasons.append(
                f"{name}: cells copied with their grading marks ({', '.join(copies)}): the first of each is "
                "graded, the copies run as ordinary cells"
            )
        reasons += _edited_locked_cells(nb, name, checksums.get(stem, {}))
        if (release / name).is_file():
            restored = _restore_deleted_cells(nb, nbformat.read(release / name, as_version=4))
            if restored:
                nbformat.write(nb, path)
                reasons.append(
                    f"{name}: cells deleted, put back as released: {', '.join(restored)} (a test cell put "
                    "back is graded as usual; an answer cell put back is the blank one)"
                )
    return reasons


def _unmark_copies(nb) -> list[str]:
    """Make every cell but the first with a given grade_id an ordinary cell; return the ids that repeated.

    Copying a cell in JupyterLab copies its nbgrader metadata too, and nbgrader refuses a notebook in which
    a grade_id repeats. The copies keep their code, which still runs in order, as it did for the student.
    """
    seen, repeated = set(), []
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
        seen.add(grade_id)
    return list(dict.fromkeys(repeated))


def _restore_deleted_cells(nb, released) -> list[str]:
    """Put every cell of `released` that `nb` lacks back where it was; return their grade_ids.

    Each goes after the nearest earlier released cell that `nb` has. nbgrader then treats it as any other
    cell: a test cell gets its hidden tests back and is graded. nbgrader's own repair
    (``OverwriteCells.add_missing_cells``) puts back test cells only, and fails on the whole notebook when
    the cell before a missing one is missing too (an answer deleted with its test).
    """
    present = {grade_id for cell in nb.cells if (grade_id := _grade_id(cell)) is not None}
    restored, previous = [], None
    for cell in released.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        if grade_id not in present:
            after = [i for i, c in enumerate(nb.cells) if previous is not None and _grade_id(c) == previous]
            nb.cells.insert(after[0] + 1 if after else 0, copy.deepcopy(cell))
            present.add(grade_id)
            restored.append(grade_id)
        previous = grade_id
    return restored


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _edited_locked_cells(nb, name: str, checksums: dict[str, str]) -> list[str]:
    """Read-only cells edited (nbgrader restores those from the source before grading)."""
    return [
        f"{name}: cell {grade_id} was edited (restored from the source for grading)"
        for cell in nb.cells
        if (grade_id := _grade_id(cell)) in checksums and compute_checksum(cell) != checksums[grade_id]
    ]


def nbgrader_config(job: Job, workspace: Path) -> Config:
    """The course's own nbgrader configuration, pointed at the private workspace."""
    config = Config()
    if job.config_file and Path(job.config_file).exists():
        path = Path(job.config_file)
        config.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
    limits = sandbox.Sandbox(**job.limits)
    config.CourseDirectory.root = str(workspace)
    config.CourseDirectory.course_id = job.course_id
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.feedback_directory = "feedback"
    config.CourseDirectory.db_url = f"sqlite:///{workspace / 'gradebook.db'}"
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p for p in default]
    config.GenerateFeedback.preprocessors = feedback_preprocessors()  # whatever the course's config says
    config.Execute.kernel_name = sandbox.KERNEL_NAME
    config.Execute.timeout = limits.cell_timeout
    config.SandboxedExecute.notebook_timeout = limits.notebook_timeout
    config.SandboxedExecute.run_folder = str(workspace / "run")
    config.SandboxedExecute.max_output_bytes = limits.max_output_mb * 2**20
    config.SandboxedExecute.max_notebook_output_bytes = limits.max_notebook_output_mb * 2**20
    config.LimitOutput.max_lines = limits.max_output_lines
    return config


def matplotlib_cache() -> Path:
    """A matplotlib config folder with its font cache built once, to copy into every kernel's home.

    Without it each kernel rebuilds the cache on its first ``import matplotlib`` (most of a second).
    """
    folder = Path(tempfile.mkdtemp(prefix="dlkit-mpl-"))
    env = dict(os.environ, MPLCONFIGDIR=str(folder))
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True)
    return folder


def kernel_env(workspace: Path, mpl_cache: Path | None = None) -> dict[str, str]:
    """A private home for the kernel of one job (with the font cache); the variables that point at it."""
    home = workspace / "home"
    (home / "tmp").mkdir(parents=True)
    if mpl_cache is not None:
        shutil.copytree(mpl_cache, home / ".matplotlib")
    return {
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "MPLBACKEND": "Agg",
    }


def files_written_outside(uid: int, allowed: list[Path], roots: list[Path]) -> list[Path]:
    """Files owned by the sandbox user under `roots`, other than in the `allowed` folders.

    The user can only create files in folders it owns or that are world-writable, so only those
    folders are walked.
    """
    found = []
    stack = [r for r in roots if r.exists()]
    while stack:
        folder = stack.pop()
        if any(folder == a or a in folder.parents for a in allowed):
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if info.st_uid == uid or info.st_mode & stat.S_IWOTH:
                    stack.append(path)
                if info.st_uid == uid and not any(path == a or a in path.parents for a in allowed):
                    found.append(path)
            elif info.st_uid == uid:
                found.append(path)
    return found


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def grade(job: Job, mpl_cache: Path | None = None, private_files: bool = False) -> Result:
    """Autograde and build feedback for one submission inside `job.workspace`.

    `private_files`: the worker runs in a mount namespace of its own, so each kernel can have one too.
    """
    start = time.monotonic()
    workspace = Path(job.workspace)
    submitted = workspace / "submitted" / job.student / job.assignment
    result = Result(job.student, job.assignment)
    # Only the notebooks: a dlkit/ or numpy.py beside them must not be importable, and root must not read
    # through a link the student made (to a classmate's work, to /dev/zero).
    left = files.copy_regular_files(Path(job.submission), submitted, "*.ipynb", recursive=False)
    if left:
        result.reasons.append(f"handed in beside the notebook, not used: {', '.join(left)}")
    shutil.copytree(job.source, workspace / "source" / job.assignment)
    shutil.copyfile(job.template_db, workspace / "gradebook.db")
    # Solutions and hidden tests live in both: out of the student's (sandbox user's) reach.
    os.chmod(workspace / "source", 0o700)
    os.chmod(workspace / "gradebook.db", 0o600)
    uid = job.uid
    # The batch gives each worker a Jupyter folder of its own (JUPYTER_PATH): this job's kernel goes there.
    jupyter_dir = Path(os.environ["JUPYTER_PATH"].split(os.pathsep)[0])
    # In a mount namespace of its own the kernel sees neither the course (solutions, .git, gradebook) nor the
    # scratch folder, and writes only to file systems of its own.
    hide = None
    if private_files:
        hide = [Path(job.config_file).parent] if job.config_file else []
    limits = sandbox.Sandbox(**job.limits)
    groups = cgroups.ControlGroups.find()
    group = (
        []
        if groups is None
        else groups.create(f"{os.getpid()}-{workspace.name}", limits.memory_mb, limits.max_processes)
    )
    # What the kernel (or a process it starts) writes to its standard output and error goes to a file of
    # this job, bounded by the kernel's file size limit: not into the worker's log or its replies.
    kernel_output = workspace / "kernel-output.log"
    sandbox.write_kernelspec(
        jupyter_dir, limits, job.rlimits, uid, kernel_env(workspace, mpl_cache), hide, group, kernel_output
    )

    result.reasons += prepare_submission(submitted, job.grade_cells, job.locked_checksums, Path(job.release))
    for path in sorted(submitted.glob("*.ipynb")):
        result.tampering += [f"{path.name} {finding} [{finding.kind}]" for finding in tamper.scan_file(path)]

    config = nbgrader_config(job, workspace)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    before = _files(workspace)
    gradable = any(submitted.glob("*.ipynb"))  # if not, every notebook is missing or unreadable: 0
    outcome = (
        api.autograde(job.assignment, job.student, force=True, create=True)
        if gradable
        else {"success": False}
    )
    tail = files.read_tail(kernel_output, KERNEL_OUTPUT_KEPT).decode(errors="replace")
    (workspace / "autograde.log").write_text(
        (outcome.get("log") or "")
        + (outcome.get("error") or "")
        + (f"\n--- the kernel's standard output and error, last {KERNEL_OUTPUT_KEPT // 1024} KB ---\n{tail}")
    )

    graded_folder = workspace / "autograded" / job.student / job.assignment
    leftover = cgroups.kill(group)  # the kernel has shut down: what is left there, it started
    if uid is not None:
        leftover += sandbox.kill_user_processes(uid, grace=3.0)
        outside = files_written_outside(
            uid,
            [workspace / "run", workspace / "home"],
            [workspace, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")],
        )
    else:  # the kernel ran as this worker's user: what it left running are this worker's descendants
        leftover += sandbox.kill_descendants(grace=3.0)
        outside = sorted(
            p
            for p in _files(workspace) - before
            if graded_folder not in p.parents
            and workspace / "run" not in p.parents
            and workspace / "home" not in p.parents
            and p.parent != workspace
            and "feedback" not in p.parts
        )
    if leftover:
        result.reasons.append(f"{leftover} processes were still running after the notebook; killed")
    for path in outside:
        result.reasons.append(f"wrote a file outside its folder: {path} (deleted)")
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    if outcome["success"]:
        api.generate_feedback(job.assignment, job.student, force=True)
    elif gradable:
        text = (outcome.get("log") or "") + (outcome.get("error") or "")
        causes = [
            line.strip()
            for line in text.splitlines()
            if ("Error" in line or "Exception" in line)
            and "NbGraderException" not in line
            and not line.startswith("[")
        ]
        result.reasons.append(f"autograde failed: {causes[-1] if causes else 'see its log'} (0 points)")
        shutil.rmtree(graded_folder, ignore_errors=True)
    _collect_scores(job, workspace, graded_folder, result)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _collect_scores(job: Job, workspace: Path, graded_folder: Path, result: Result) -> None:
    """Scores from the private gradebook (0 where nothing was graded); limits hit, as reasons."""
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", job.course_id) as gb:
        gb.update_or_create_student(job.student)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # see batch.merge
            submission = gb.update_or_create_submission(job.assignment, job.student)
        for notebook in submission.notebooks:
            path = graded_folder / f"{notebook.name}.ipynb"
            nb = nbformat.read(path, as_version=4) if path.exists() else None
            if nb is not None:
                for index, cell in enumerate(nb.cells):
                    for message in cell_errors(cell):
                        kind = NOTABLE_ERRORS.get(message.split(":")[0])
                        if kind and not any(
                            f"{notebook.name} cell" in r and f": {kind}: " in r for r in result.reasons
                        ):
                            result.reasons.append(f"{notebook.name} cell {index}: {kind}: {message}")
            for grade in notebook.grades:
                if grade.auto_score is None and not grade.needs_manual_grade:
                    grade.auto_score = 0
            gb.db.commit()
        result.score, result.max_score = submission.score, submission.max_score
    result.reasons = list(dict.fromkeys(result.reasons))


DONE = "dlkit-grade-done"


def serve(argv: list[str] | None = None) -> None:
    """Grade the jobs whose JSON paths arrive on stdin, one per line; answer each with a DONE line.

    One long-lived worker per parallel slot saves the seconds that importing nbgrader costs. The batch says
    which namespaces it started the worker in (``unshare``), so the worker sets them up without looking.
    """
    parser = argparse.ArgumentParser(description="A grading worker of dlkit-grade (started by the batch).")
    parser.add_argument("--network-namespace", action="store_true", help="in a new network namespace")
    parser.add_argument("--mount-namespace", action="store_true", help="in a private mount namespace")
    args = parser.parse_args(argv)
    # Everything the worker makes (the private course, the graded notebooks, the results) is root's alone;
    # the sandbox user gets its kernel's home and working folder by chown.
    os.umask(0o077)
    # The replies to the batch get a descriptor of their own, which no child inherits; whatever else writes to
    # standard output (a kernel, nbgrader) writes into the worker's log instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if args.network_namespace:
        sandbox.bring_up_loopback()
    reachable = sandbox.interpreter_reachable() or (args.mount_namespace and sandbox.open_interpreter_path())
    mpl_cache = matplotlib_cache()
    try:
        for line in sys.stdin:
            path = Path(line.strip())
            job = Job.load(path)
            if job.uid is not None and not reachable:
                print(
                    "warning: the sandbox user cannot reach this Python; student code runs as root",
                    file=sys.stderr,
                )
                job.uid = None
            try:
                result = grade(job, mpl_cache, private_files=args.mount_namespace)
            except Exception as error:  # noqa: BLE001 - one broken job must not stop the others
                result = Result(
                    job.student, job.assignment, reasons=[f"grader error: {type(error).__name__}: {error}"]
                )
            (Path(job.workspace) / "result.json").write_text(json.dumps(asdict(result), indent=1))
            print(DONE, path, file=replies, flush=True)

    finally:
        shutil.rmtree(mpl_cache, ignore_errors=True)


if __name__ == "__main__":
    serve()
