"""The sandbox of a student's kernel: its limits (configurable traits) and the OS mechanisms behind them.

The limits are the traits of ``Sandbox``, set like nbgrader's own settings: in ``nbgrader_config.py``
(``c.Sandbox.memory_mb = 4096``) or on the command line (``--Sandbox.memory_mb=4096``, ``--memory-mb 4096``).

Each mechanism is set up by the process that starts the next one, so that children inherit it:

* the grading workers run in new namespaces (``unshare -n -m``, Linux): no network but loopback, over which
  a kernel talks to its worker, and private mounts;
* a kernel is started through this module (``python -m dlkit_grader.sandbox ... -- <kernel command>``,
  registered as a Jupyter kernelspec in the worker's folder): it sets the resource limits with
  ``resource.setrlimit``, and, as root, hands the kernel's folder to an unprivileged user id of its own and
  drops to it before ``exec``-ing the kernel. As that user the kernel cannot write the gradebook, the course
  or another student's files, and ``RLIMIT_NPROC`` (ignored for root) bounds its processes;
* where the worker has a mount namespace, the launcher itself starts under ``unshare -m`` and gives the
  kernel a file system of its own (`private_filesystem`) before dropping privileges;
* the launcher joins the notebook's control group (see ``cgroups``) first, so everything the kernel starts
  is counted, and killed, with it.

Not every machine offers every mechanism (no root, macOS, a container without ``unshare``): ``probe`` finds
out once which limits hold, the command says which do not, and grading goes on with the others.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from traitlets import Bool, Integer, TraitError, validate
from traitlets.config import Configurable

from . import cgroups

try:
    import resource
except ImportError:  # pragma: no cover - not a POSIX system: no resource limits
    resource = None

KERNEL_NAME = "dlkit-sandbox"
FIRST_SANDBOX_UID, LAST_SANDBOX_UID = 61000, 64999  # a block of free ones is taken per batch
# Sandbox trait -> the resource limit that enforces it.
RLIMITS = {"memory_mb": "RLIMIT_AS", "max_processes": "RLIMIT_NPROC", "max_file_mb": "RLIMIT_FSIZE"}


class Sandbox(Configurable):
    """What one student's notebook may use while it is graded."""

    cell_timeout = Integer(60, help="Seconds one cell may run before the kernel is interrupted.").tag(
        config=True
    )
    notebook_timeout = Integer(
        300, help="Seconds for the whole notebook; the cells left when they run out are not run."
    ).tag(config=True)
    memory_mb = Integer(
        2048, help="Memory in MB of the kernel and all it starts (cgroup), and of each process (RLIMIT_AS)."
    ).tag(config=True)
    max_processes = Integer(
        64, help="Processes and threads of a kernel's user (RLIMIT_NPROC; needs root to be per student)."
    ).tag(config=True)
    max_output_lines = Integer(1000, help="Lines of output kept per cell (nbgrader's LimitOutput).").tag(
        config=True
    )
    max_output_mb = Integer(2, help="Output per cell in MB, beyond which it is dropped while it runs.").tag(
        config=True
    )
    max_notebook_output_mb = Integer(
        8, help="Output of the whole notebook in MB (display updates included), beyond which it is dropped."
    ).tag(config=True)
    max_disk_mb = Integer(
        256,
        help="Disk a kernel may fill, in MB, in each of its own /tmp (home and working folder), /var/tmp, "
        "/dev/shm and /run (needs root and a mount namespace).",
    ).tag(config=True)
    max_file_mb = Integer(64, help="Largest file a kernel may write, in MB (RLIMIT_FSIZE).").tag(config=True)
    allow_network = Bool(False, help="Let student code use the network (cut off where the OS allows).").tag(
        config=True
    )
    separate_users = Bool(
        True, help="As root, run each kernel as an unprivileged user id of its own (61000 and up)."
    ).tag(config=True)

    @validate(
        "cell_timeout",
        "notebook_timeout",
        "memory_mb",
        "max_processes",
        "max_output_lines",
        "max_output_mb",
        "max_notebook_output_mb",
        "max_disk_mb",
        "max_file_mb",
    )
    def _positive(self, proposal):
        if proposal["value"] < 1:
            raise TraitError(f"Sandbox.{proposal['trait'].name} must be at least 1, got {proposal['value']}")
        return proposal["value"]

    def limits(self) -> dict:
        """The traits as a plain dict (what a worker receives); ``Sandbox(**limits)`` rebuilds it."""
        return {name: getattr(self, name) for name in sorted(self.class_trait_names(config=True))}


@dataclass
class Isolation:
    """What this machine lets the sandbox enforce, found by ``probe``.

    rlimits: the Sandbox traits whose resource limit can be set here.
    separate_users: kernels run as unprivileged users of their own.
    namespaces: what the workers get from ``unshare``: "net" (no network), "mount" (private mounts).
    missing: one sentence per limit that does not hold, for the instructor.
    """

    rlimits: list[str] = field(default_factory=list)
    separate_users: bool = False
    namespaces: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def worker_prefix(self) -> list[str]:
        """Command prefix that starts a worker in the namespaces found."""
        flags = {"net": "-n", "mount": "-m"}
        return [shutil.which("unshare"), *(flags[n] for n in self.namespaces)] if self.namespaces else []


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def probe(sandbox: Sandbox) -> Isolation:
    """Find out which of the sandbox's mechanisms this machine offers (a few short subprocesses)."""
    isolation = Isolation()
    failed = _rlimit_failures(sandbox)
    isolation.rlimits = [trait for trait in RLIMITS if trait not in failed]
    what = {"memory_mb": "memory", "max_processes": "process", "max_file_mb": "file-size"}
    for trait, error in failed.items():
        isolation.missing.append(f"no {what[trait]} limit: {RLIMITS[trait]} cannot be set here ({error})")

    if cgroups.ControlGroups.find() is None:
        isolation.missing.append(
            "memory, processes and CPU are limited per process, not per student: no cgroup memory, pids and "
            "cpu controllers to write to (they need Linux and root)"
        )
    wanted = [] if sandbox.allow_network else ["net"]
    isolation.namespaces = _usable_namespaces([*wanted, "mount"])
    if "net" in wanted and "net" not in isolation.namespaces:
        isolation.missing.append(
            "student code keeps the network: no new network namespace (`unshare -n` needs Linux and root)"
        )

    if sandbox.separate_users and is_root():
        if interpreter_reachable() or "mount" in isolation.namespaces:
            isolation.separate_users = True
        else:
            isolation.missing.append(
                "student code runs as root: the sandbox users cannot reach this Python (a closed folder "
                "holds it) and no private mount namespace can open a way (`unshare -m`)"
            )
    elif sandbox.separate_users:
        isolation.missing.append(
            "student code runs as you, not as a user of its own (that needs root): it can read and change "
            "what you can, and the process limit counts your own processes too"
        )
    return isolation


def _rlimit_failures(sandbox: Sandbox) -> dict[str, str]:
    """Sandbox trait -> why its resource limit cannot be set, tried in a throw-away process."""
    if resource is None:
        return dict.fromkeys(RLIMITS, "no `resource` module on this system")
    command = [
        sys.executable,
        "-m",
        "dlkit_grader.sandbox",
        "--limits",
        json.dumps(sandbox.limits()),
        "--probe",
    ]
    outcome = subprocess.run(command, capture_output=True, text=True)
    try:
        return json.loads(outcome.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return dict.fromkeys(RLIMITS, f"the probe failed: {outcome.stderr.strip()[-200:]}")


def _usable_namespaces(wanted: list[str]) -> list[str]:
    """The largest subset of `wanted` ("net", "mount") that ``unshare`` can create here, as root."""
    unshare = shutil.which("unshare")
    if not (sys.platform.startswith("linux") and unshare and is_root()):
        return []
    flags = {"net": "-n", "mount": "-m"}
    for subset in (wanted, *([n] for n in wanted)):
        if (
            subprocess.run([unshare, *(flags[n] for n in subset), "true"], capture_output=True).returncode
            == 0
        ):
            return list(subset)
    return []


def _first_closed_directory(path: Path) -> Path | None:
    """The outermost folder on `path` that other users cannot traverse (no o+x), or None."""
    for folder in [*reversed(path.parents), path]:
        if folder.is_dir() and not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def _interpreter_paths() -> list[Path]:
    return [Path(os.path.realpath(sys.executable)), Path(os.path.realpath(sys.base_prefix)), Path(sys.prefix)]


def interpreter_reachable() -> bool:
    """Can every user run this Python (no closed folder on its paths)?"""
    return all(_first_closed_directory(p) is None for p in _interpreter_paths())


def cover(folder: Path, keep: list[Path], options: str = "mode=755", exact: bool = False) -> bool:
    """Hide `folder` under an empty tmpfs, but for the paths of `keep` that lie in it.

    Only inside a private mount namespace: the host's mounts are untouched. Each kept path brings back the
    child of `folder` it lies in (bind-mounted from the original); with `exact`, only the kept path itself:
    the folders on the way to it are covered in turn (tmpfs of mode 755, writable by root alone), so that
    their other files stay hidden. `options` are the tmpfs's mount options. A folder that is not there (an
    earlier cover hid it) is hidden already. True if every mount succeeded.
    """
    if not folder.is_dir():
        return True
    inside = sorted({p.relative_to(folder).parts[0] for p in keep if folder in p.parents})
    stage = Path(tempfile.mkdtemp(prefix="dlkit-stage-", dir=_outside(folder)))
    commands = [
        ["mount", "--bind", str(folder), str(stage)],
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
    ]
    for name in inside:
        target = folder / name
        make = ["mkdir", "-p"] if target.is_dir() else ["touch"]
        commands += [[*make, str(target)], ["mount", "--bind", str(stage / name), str(target)]]
    commands.append(["umount", "-l", str(stage)])
    if not all(subprocess.run(command, capture_output=True).returncode == 0 for command in commands):
        return False
    stage.rmdir()  # unmounted by the last command
    if exact:
        on_the_way = [folder / n for n in inside if folder / n not in keep and (folder / n).is_dir()]
        return all(cover(child, keep, exact=True) for child in on_the_way)
    return True


def _outside(folder: Path) -> str:
    """A folder for a stage that `folder`'s new tmpfs will not hide (not `folder`, nothing in it)."""
    for candidate in map(Path, SHARED_WRITABLE):
        if candidate.is_dir() and not candidate.resolve().is_relative_to(folder.resolve()):
            return str(candidate)
    raise OSError(f"no folder outside {folder} to stage its mounts in")


def open_interpreter_path() -> bool:
    """Make this Python reachable for the sandbox users; True if it is.

    Only inside a private mount namespace (the worker's ``unshare -m``): a closed folder (such as /root) is
    covered, bar the interpreter's subtree, so the sandbox users reach Python and nothing else of that folder.
    """
    paths = _interpreter_paths()
    closed = [folder for folder in map(_first_closed_directory, paths) if folder is not None]
    if not all(cover(folder, paths) for folder in dict.fromkeys(closed)):
        return False
    return interpreter_reachable()


# Where anyone may write: each kernel gets empty ones of its own, of bounded size and number of files.
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run")
MAX_FILES = 20_000


def private_filesystem(home: Path, hide: list[Path], disk_mb: int, uid: int) -> tuple[Path, Path]:
    """Give the kernel a file system of its own; return its new (home, working folder).

    Runs as root in the kernel's own mount namespace (the kernelspec starts the launcher under
    ``unshare -m``), before dropping to `uid`. The folders of `hide` (the course) are covered, bar the
    Python environment and the dlkit package the kernel imports; /tmp, /var/tmp, /dev/shm and /run become
    empty tmpfs of `disk_mb` MB and MAX_FILES files each (nothing of the host or of an earlier student
    there: no sockets, no leftovers, no other job's folder), and the kernel's home (copied from `home`) and
    working folder live in that /tmp. Whatever the student writes is bounded by those sizes and gone when
    the kernel ends.
    """
    saved = {path.relative_to(home): path.read_bytes() for path in home.rglob("*") if path.is_file()}
    keep = [*_interpreter_paths(), *_package_folders("dlkit")]
    # Exact covers: where the Python environment lies in /tmp, say, nothing else of /tmp comes back with it.
    shared = f"size={disk_mb}m,nr_inodes={MAX_FILES},mode=1777"
    for folder, options in [*((Path(f), shared) for f in SHARED_WRITABLE), *((f, "mode=755") for f in hide)]:
        if not cover(folder, keep, options, exact=True):
            raise OSError(f"could not hide {folder} from the kernel")
    new_home, new_run = Path("/tmp/home"), Path("/tmp/run")
    for relative, data in saved.items():
        (new_home / relative).parent.mkdir(parents=True, exist_ok=True)
        (new_home / relative).write_bytes(data)
    new_run.mkdir()
    chown_tree(new_home, uid)
    chown_tree(new_run, uid)
    return new_home, new_run


def _package_folders(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    return [Path(folder).resolve() for folder in (spec.submodule_search_locations or [])] if spec else []


def bring_up_loopback() -> None:
    """In a new network namespace loopback starts down: the kernel needs it to reach its worker."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    if os.path.exists(ip):
        subprocess.run([ip, "link", "set", "lo", "up"], check=False, capture_output=True)


def write_kernelspec(
    jupyter_dir: Path,
    sandbox: Sandbox,
    rlimits: list[str],
    uid: int | None,
    env: dict[str, str],
    hide: list[Path] | None = None,
    cgroup: list[Path] | None = None,
    output: Path | None = None,
) -> None:
    """Register the sandboxed Python kernel under ``jupyter_dir/kernels`` (which must be on JUPYTER_PATH).

    `rlimits` are the Sandbox traits to enforce with resource limits, `env` the kernel's own variables.
    With `hide` (a list, possibly empty; needs root, `uid` and ``unshare``) the kernel gets a mount namespace
    and a file system of its own, those folders hidden (see `private_filesystem`); with `cgroup` (the folders
    of a control group, see ``cgroups``) it starts inside that group; with `output` its standard output and
    error (what it and its children write outside the cells' capture) go to that file, not to the worker's.
    """
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "dlkit_grader.sandbox", "--limits", json.dumps(sandbox.limits())]
    argv += ["--rlimits", ",".join(rlimits)]
    if uid is not None:
        argv += ["--uid", str(uid)]
    argv += [f"--cgroup={folder}" for folder in cgroup or []]
    if output is not None:
        argv += ["--output", str(output)]
    if hide is not None and uid is not None:
        argv = [
            shutil.which("unshare"),
            "-m",
            *argv,
            "--private-files",
            *(f"--hide={folder}" for folder in hide),
        ]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python", "env": env}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def free_uid_block(size: int) -> int:
    """The first uid of `size` consecutive sandbox uids that own no process (so no other batch uses them)."""
    busy = {
        uid
        for process in psutil.process_iter(["uids"])
        if process.info["uids"]
        for uid in process.info["uids"]
    }
    blocks = range(FIRST_SANDBOX_UID, LAST_SANDBOX_UID + 1 - size, size)
    start = os.getpid() % len(blocks)  # two batches starting together rarely pick the same block
    for base in [*blocks[start:], *blocks[:start]]:
        if not busy & set(range(base, base + size)):
            return base
    raise RuntimeError(
        f"no free block of sandbox user ids ({FIRST_SANDBOX_UID}-{LAST_SANDBOX_UID}): "
        "are many grading runs going on?"
    )


def user_processes(uid: int) -> list[psutil.Process]:
    """The processes running as `uid` (real or effective)."""
    found = []
    for process in psutil.process_iter(["uids"]):
        uids = process.info["uids"]
        if uids and uid in (uids.real, uids.effective):
            found.append(process)
    return found


def user_task_count(uid: int) -> int:
    """Processes and threads of `uid`: the quantity RLIMIT_NPROC bounds."""
    count = 0
    for process in user_processes(uid):
        try:
            count += process.num_threads()
        except psutil.Error:
            continue
    return count


def kill_user_processes(uid: int, grace: float = 0.0, attempts: int = 20) -> int:
    """SIGKILL every process of `uid` (all a sandbox user may own); returns how many there were.

    Processes get `grace` seconds to end on their own first (a kernel that is shutting down). Then a child
    switches to `uid` and calls ``kill(-1, SIGKILL)``, which reaches exactly the processes that user may
    signal, wherever they hid (new session, double fork).
    """
    if not is_root() or uid == os.getuid():
        return 0
    deadline = time.monotonic() + grace
    while user_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = len(user_processes(uid))
    for _ in range(attempts):
        if not user_processes(uid):
            break
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.05)
    return leftovers


def kill_descendants(grace: float = 0.0) -> int:
    """Kill what this process started and is still running (a kernel's leftovers when all run as one user)."""
    children = psutil.Process().children(recursive=True)
    _, alive = psutil.wait_procs(children, timeout=grace) if grace else ([], children)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=5)
    return len(alive)


def set_limits(sandbox: Sandbox, rlimits: list[str], dropping_to_uid: bool) -> dict[str, str]:
    """Apply the resource limits named in `rlimits` to this process (its children inherit them).

    Returns the limits that could not be set, each with the reason, instead of failing.
    """
    failed = {}
    if resource is None:
        return dict.fromkeys(rlimits, "no `resource` module")
    values = {
        "memory_mb": sandbox.memory_mb * 2**20,
        "max_file_mb": sandbox.max_file_mb * 2**20,
        # RLIMIT_NPROC counts every task of the real user: a fresh sandbox uid owns nothing yet, while an
        # ordinary user already owns its desktop, shell, worker... so it gets a margin on top.
        "max_processes": sandbox.max_processes + (0 if dropping_to_uid else user_task_count(os.getuid())),
    }
    for trait in rlimits:
        try:
            limit = getattr(resource, RLIMITS[trait])
            resource.setrlimit(limit, (values[trait], values[trait]))
        except (AttributeError, ValueError, OSError) as error:
            failed[trait] = f"{type(error).__name__}: {error}"
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass  # no core files is a nicety, not a limit
    return failed


def chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def launch_kernel(
    sandbox: Sandbox,
    rlimits: list[str],
    uid: int | None,
    command: list[str],
    hide: list[Path] | None = None,
    output: Path | None = None,
) -> None:
    """Set limits, hand the kernel's folder and connection file to `uid`, drop to it, exec `command`.

    With `hide` (in the kernel's own mount namespace), the kernel gets `private_filesystem`. With `output`,
    the kernel's standard output and error go to that file (created, never followed if it is a link), whose
    size the kernel's file size limit bounds.
    """
    if output is not None:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if uid is not None:
        # The connection file lives in the worker's private runtime folder: give the kernel a copy.
        index = command.index("-f") + 1
        home = Path(os.environ["HOME"])
        copy = home / Path(command[index]).name
        shutil.copyfile(command[index], copy)
        os.chmod(copy, 0o600)
        command[index] = str(copy)
        chown_tree(home, uid)
        chown_tree(Path.cwd(), uid)
        if hide is not None:
            new_home, new_run = private_filesystem(home, hide, sandbox.max_disk_mb, uid)
            command[index] = str(new_home / copy.name)
            for name in ("HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR"):
                if name in os.environ:
                    os.environ[name] = os.environ[name].replace(str(home), str(new_home), 1)
            os.chdir(new_run)
    failed = set_limits(sandbox, rlimits, dropping_to_uid=uid is not None)
    for trait, error in failed.items():
        print(f"dlkit-grade sandbox: {trait} does not hold ({error})", file=sys.stderr)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.execv(command[0], command)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start a Jupyter kernel under grading limits.")
    parser.add_argument("--limits", required=True, help="the Sandbox traits as JSON")
    parser.add_argument("--rlimits", default=",".join(RLIMITS), help="the traits to enforce with setrlimit")
    parser.add_argument("--uid", type=int, default=None, help="unprivileged user id for the kernel")
    parser.add_argument("--probe", action="store_true", help="only print which resource limits fail, as JSON")
    parser.add_argument("--private-files", action="store_true", help="a file system of its own (see --hide)")
    parser.add_argument(
        "--hide", action="append", default=[], type=Path, help="a folder the kernel must not see"
    )
    parser.add_argument("--output", type=Path, help="a file for the kernel's standard output and error")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- followed by the kernel command")
    parser.add_argument(
        "--cgroup", action="append", default=[], type=Path, help="a control group folder to join"
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(**json.loads(args.limits))
    rlimits = [name for name in args.rlimits.split(",") if name]
    if args.probe:
        print(json.dumps(set_limits(sandbox, list(RLIMITS), dropping_to_uid=is_root())))
        return
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    cgroups.join(args.cgroup)  # the kernel and all it starts are counted, and killed, together
    launch_kernel(sandbox, rlimits, args.uid, command, args.hide if args.private_files else None, args.output)


if __name__ == "__main__":
    main()
