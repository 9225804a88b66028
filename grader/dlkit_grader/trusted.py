"""Autograding in which a grade cannot be forged from inside the notebook.

nbgrader runs the hidden tests in the student's own kernel and reads each test cell's score from
the outputs that kernel sends: code the student ran earlier (a hook, a thread, a function that
reads the checker's stack) can change both. `TrustedExecute` runs every test cell in a checker
kernel of its own instead. The checker kernel runs the notebook's first code cell (the setup)
and the test cells, nothing the student wrote; each exercise function a test cell calls is a
`dlkit._grading_channel.KernelFunction`, which calls the student's function in the student's
kernel and brings back data only. The test cell's outputs, from which nbgrader scores it, are the
checker's. Everything else (answers, demonstrations, plots) runs in the student's kernel as before.

The contract this needs from a notebook: a test cell may use the exercise functions, the setup
cell's names and what it defines itself, never a value a demonstration computed.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
import time

import nbformat
from jupyter_client import KernelManager
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Unicode

__all__ = ["TrustedExecute", "autograde_preprocessors"]


def autograde_preprocessors(execute=None):
    """nbgrader's autograde preprocessors with its Execute replaced by `execute` (default TrustedExecute)."""
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [(execute or TrustedExecute) if step is Execute else step for step in default]


def is_test_cell(cell):
    """An autograded test cell: graded, and not an answer the student writes."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class TrustedExecute(Execute):
    """nbgrader's Execute, with the test cells run in a checker kernel that student code cannot reach."""

    checker_kernel_name = Unicode("python3", help="kernel that runs the setup cell and the test cells").tag(
        config=True)

    async def async_start_new_kernel(self, **kwargs):
        # The notebook's folder is not importable: a dlkit/ handed in beside the notebook cannot stand in for
        # the library, nor for the grading channel's student side (IPython honours PYTHONSAFEPATH).
        kwargs["env"] = dict(kwargs.get("env") or os.environ, PYTHONSAFEPATH="1")
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)  # nbclient's sync name is bound to its own coroutine

    def preprocess(self, nb, resources=None, km=None):
        for attempt in (1, 2):
            self._checker = None
            self._started = False
            try:
                return super().preprocess(nb, resources, km)
            except (DeadKernelError, RuntimeError):
                # A kernel that dies before the first cell (its port taken by a kernel another process started
                # at the same moment, a busy machine) gets one more try; after that the failure is reported.
                if self._started or attempt == 2:
                    raise

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        self._started = True
        if self._checker is None:  # the first code cell is the setup: the checker runs it too, meanwhile
            self._checker = Checker.for_notebook(self.checker_kernel_name, cell.source, self.timeout or 60,
                                                 self.log)
        if is_test_cell(cell):
            self._run_test_cell(cell)
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def _run_test_cell(self, cell):
        student_pid = getattr(getattr(getattr(self.km, "provisioner", None), "process", None), "pid", None)
        timeout = self.timeout or 60
        cell.outputs, cell.execution_count = self._checker.run_test(
            cell.source, self.km.connection_file, student_pid, timeout)
        if not _now(self.km.is_alive()):
            raise DeadKernelError("the notebook's kernel died while this test cell called its functions")
        if any(out.output_type == "error" and out.ename == "CellTimeoutError" for out in cell.outputs):
            _now(self.km.interrupt_kernel())  # a student function still running would hold the next cells


class Checker:
    """The checker kernel: one per grading process, reset for each notebook; runs setup and test cells.

    Starting a kernel and importing the course's libraries is most of a checker's cost, so one kernel serves
    every notebook a process grades: before each notebook its namespace is emptied and the setup cell runs
    again, in the background while the student's kernel starts. It only ever runs instructor code and data
    that came back through the channel.
    """

    _running = {}

    @classmethod
    def for_notebook(cls, kernel_name, setup_source, timeout, log):
        checker = cls._running.get(kernel_name)
        if checker is None or not checker.alive():
            checker = cls._running[kernel_name] = cls(kernel_name, timeout, log)
            atexit.register(checker.stop)
        checker.prepare(setup_source, timeout, log)
        return checker

    def __init__(self, kernel_name, timeout, log):
        self.kernel_name, self.timeout, self.log = kernel_name, timeout, log
        self.folder = tempfile.mkdtemp(prefix="dlkit-checker-")
        self.km = self.kc = None
        self._ready = self._error = None

    def alive(self):
        if self._ready is not None:
            self._ready.join()
        return self.km is not None and self.km.is_alive() and self._error is None

    def prepare(self, setup_source, timeout, log):
        """Start (or reset) the kernel and run the notebook's setup cell, in the background."""
        self.timeout, self.log, self._error = timeout, log, None
        self._ready = threading.Thread(target=self._prepare, args=(setup_source,), daemon=True)
        self._ready.start()

    def _prepare(self, setup_source):
        try:
            if self.km is None:
                self._start()
            else:  # the previous notebook's connection and names go
                self._execute(_FORGET_PREVIOUS_NOTEBOOK, self.timeout, store_history=False)
            outputs, _ = self._execute(setup_source, self.timeout)
            errors = [output for output in outputs if output.output_type == "error"]
            if errors:
                self.log.warning("the setup cell failed in the checker kernel: %s: %s", errors[0].ename,
                                 errors[0].evalue)
        except Exception as error:  # noqa: BLE001  (reported on every test cell)
            self._error = error

    def _start(self):
        """Start the kernel; one that dies while starting (see TrustedExecute.preprocess) is tried again."""
        env = dict(os.environ, NBGRADER_EXECUTION="autograde")
        for attempt in (1, 2):
            self.km = KernelManager(kernel_name=self.kernel_name)
            self.km.start_kernel(cwd=self.folder, env=env,
                                 extra_arguments=["--HistoryManager.hist_file=:memory:"])
            self.kc = self.km.client()
            self.kc.start_channels()
            try:
                self.kc.wait_for_ready(timeout=60)
                return
            except RuntimeError:
                self.kc.stop_channels()
                if self.km.has_kernel:
                    self.km.shutdown_kernel(now=True)
                if attempt == 2:
                    raise

    def run_test(self, source, connection_file, student_pid, timeout):
        """(outputs, execution count) of the test cell `source`, run against the student's kernel."""
        self._ready.join()
        if self._error is not None:
            message = f"the grader's checker kernel did not start: {self._error}"
            return [_error_output("GraderError", message)], None
        bind = (f"__import__('dlkit._grading_channel', fromlist=['bind']).bind(globals(), {source!r}, "
                f"{connection_file!r}, {student_pid!r}, {float(timeout)!r})")
        outputs, _ = self._execute(bind, timeout, store_history=False)
        errors = [output for output in outputs if output.output_type == "error"]
        if errors:
            message = (f"the checker could not reach the notebook's kernel: "
                       f"{errors[0].ename}: {errors[0].evalue}")
            return [_error_output("GraderError", message)], None
        return self._execute(source, timeout)

    def _execute(self, code, timeout, store_history=True):
        """Run `code` in the checker kernel; return (nbformat outputs, execution count)."""
        msg_id = self.kc.execute(code, store_history=store_history, allow_stdin=False)
        outputs, deadline = [], time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.km.interrupt_kernel()
                outputs.append(_error_output("CellTimeoutError", f"the cell ran longer than {timeout:g} s"))
                self._wait_idle(msg_id)
                break
            try:
                message = self.kc.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "status" and message["content"]["execution_state"] == "idle":
                break
            if kind == "clear_output":
                outputs = []
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(nbformat.v4.output_from_msg(message))
        count = self._reply(msg_id)
        return _merged_streams(outputs), count

    def _wait_idle(self, msg_id, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.kc.get_iopub_msg(timeout=deadline - time.monotonic())
            except queue.Empty:
                return
            if (message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"):
                return

    def _reply(self, msg_id):
        while True:
            try:
                message = self.kc.get_shell_msg(timeout=10)
            except queue.Empty:
                return None
            if message["parent_header"].get("msg_id") == msg_id:
                return message["content"].get("execution_count")

    def stop(self):
        if self._ready is not None:
            self._ready.join()
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


_FORGET_PREVIOUS_NOTEBOOK = """\
previous = globals().get("__dlkit_student_kernel__")
if previous is not None:
    previous.close()
%reset -f
"""


def _now(result):
    """The value of `result`, awaited if the kernel manager is an asynchronous one."""
    return run_sync(ensure_async)(result)


def _error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _merged_streams(outputs):
    """Consecutive stream outputs of the same name as one, as nbclient keeps them."""
    merged = []
    for output in outputs:
        if (merged and output.output_type == "stream" and merged[-1].output_type == "stream"
                and merged[-1].name == output.name):
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged
