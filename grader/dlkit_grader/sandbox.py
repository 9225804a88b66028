"""Limits for untrusted student code: memory, processes, file size, network, user.

Two layers, both set up by the process that starts the next one, so that children inherit them:

* the grading worker runs inside a fresh network namespace (``unshare -n``, only loopback up),
  so student code has no network while the kernel still talks to its worker over 127.0.0.1;
* the kernel is started through this module (``python -m dlkit_grader.sandbox ... -- <kernel
  command>``, registered as a Jupyter kernelspec in the worker's workspace): it sets the resource
  limits with ``resource.setrlimit``, hands the kernel's folder to an unprivileged user id and
  drops to it before ``exec``-ing the kernel. As that user the kernel cannot write the gradebook,
  the course or another student's files, and ``RLIMIT_NPROC`` (ignored for root) bounds its
  processes. When not run as root, the user cannot change: limits still apply, with a warning.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

KERNEL_NAME = "dlkit-sandbox"
FIRST_SANDBOX_UID = 61000  # sandbox users are taken from 61000-64999, a block of free ones per batch


@dataclass(frozen=True)
class Limits:
    """What one student's notebook may use.

    cell_timeout: seconds one cell may run before the kernel is interrupted.
    notebook_timeout: seconds for the whole notebook; cells after it get 1 s each.
    memory_mb: address-space cap of the kernel (``RLIMIT_AS``).
    max_processes: processes and threads of the kernel's user (``RLIMIT_NPROC``).
    max_output_lines: lines of output kept per cell (nbgrader's ``LimitOutput``).
    max_output_mb: output received per cell beyond which it is dropped while running.
    max_file_mb: largest file the kernel may write (``RLIMIT_FSIZE``).
    network: False cuts the network off where the OS allows it.
    """

    cell_timeout: int = 60
    notebook_timeout: int = 300
    memory_mb: int = 2048
    max_processes: int = 64
    max_output_lines: int = 1000
    max_output_mb: int = 2
    max_file_mb: int = 64
    network: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Limits:
        return cls(**json.loads(text))


def can_drop_privileges() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def namespace_prefix(limits: Limits) -> list[str]:
    """Command prefix that starts a worker in new namespaces: no network (unless allowed), private mounts.

    Returns [] with a warning where the OS refuses (not root, no ``unshare``).
    """
    flags = ["-m"] if limits.network else ["-n", "-m"]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, *flags, "true"], capture_output=True).returncode == 0:
        return [unshare, *flags]
    if not limits.network:
        warnings.warn(
            "cannot create a network namespace here (unshare -n failed): student code keeps the network",
            UserWarning,
            stacklevel=2,
        )
    return []


def in_private_mount_namespace() -> bool:
    try:
        return os.readlink("/proc/self/ns/mnt") != os.readlink(f"/proc/{os.getppid()}/ns/mnt")
    except OSError:
        return False


def _first_closed_directory(path: Path) -> Path | None:
    """The outermost folder on `path` that other users cannot traverse (no o+x), or None."""
    for folder in [*reversed(path.parents), path]:
        if folder.is_dir() and not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def make_interpreter_reachable() -> bool:
    """Can the sandbox user run this Python? If a closed folder (such as /root) holds it, open a path.

    Only inside a private mount namespace (the worker's ``unshare -m``): the closed folder is covered
    by an empty tmpfs and the interpreter's subtree is bind-mounted back into it, so the sandbox user
    reaches Python and nothing else of that folder. The host's mounts are untouched.
    """
    paths = [
        Path(os.path.realpath(sys.executable)),
        Path(os.path.realpath(sys.base_prefix)),
        Path(sys.prefix),
    ]
    closed = [folder for folder in map(_first_closed_directory, paths) if folder is not None]
    if not closed:
        return True
    if not (can_drop_privileges() and in_private_mount_namespace()):
        return False
    for folder in dict.fromkeys(closed):
        inside = {p.relative_to(folder).parts[0] for p in paths if folder in p.parents}
        stage = Path(tempfile.mkdtemp(prefix="dlkit-stage-"))
        commands = [
            ["mount", "--bind", str(folder), str(stage)],
            ["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", str(folder)],
        ]
        commands += [
            cmd
            for name in sorted(inside)
            for cmd in (
                ["mkdir", "-p", str(folder / name)],
                ["mount", "--bind", str(stage / name), str(folder / name)],
            )
        ]
        commands.append(["umount", "-l", str(stage)])
        succeeded = all(subprocess.run(command, capture_output=True).returncode == 0 for command in commands)
        if succeeded:
            stage.rmdir()  # unmounted by the last command
        if not succeeded:
            return False
    return all(_first_closed_directory(p) is None for p in paths)


def bring_up_loopback() -> None:
    """Inside a new network namespace, loopback starts down: the kernel needs it to reach its worker."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    same_network = os.readlink("/proc/self/ns/net") == os.readlink(f"/proc/{os.getppid()}/ns/net")
    if os.path.exists(ip) and not same_network:
        subprocess.run([ip, "link", "set", "lo", "up"], check=False, capture_output=True)


def write_kernelspec(jupyter_dir: Path, limits: Limits, uid: int | None) -> None:
    """Register the sandboxed Python kernel under ``jupyter_dir/kernels`` (put it on JUPYTER_PATH)."""
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "dlkit_grader.sandbox", "--limits", limits.to_json()]
    if uid is not None:
        argv += ["--uid", str(uid)]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def free_uid_block(size: int) -> int:
    """The first uid of `size` consecutive sandbox uids that own no process (so no other batch uses them)."""
    busy = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            busy.add(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            continue
    blocks = range(FIRST_SANDBOX_UID, 65000 - size, size)
    start = os.getpid() % len(blocks)  # two batches starting together rarely pick the same block
    for base in [*blocks[start:], *blocks[:start]]:
        if not busy & set(range(base, base + size)):
            return base
    raise RuntimeError("no free block of sandbox user ids (61000-64999): are many grading runs going on?")


def user_process_count(uid: int) -> int:
    """Tasks (processes and threads) owned by `uid`, the quantity RLIMIT_NPROC bounds."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


def set_limits(limits: Limits, dropping_to_uid: bool) -> None:
    """Apply the resource limits to this process; whatever it starts inherits them."""
    memory = limits.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    file_size = limits.max_file_mb * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # RLIMIT_NPROC counts every task of the real user: a fresh sandbox uid owns nothing yet, while
    # an ordinary user already owns its desktop, shell, worker... so it gets a margin on top.
    processes = limits.max_processes
    if not dropping_to_uid:
        processes += user_process_count(os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def user_processes(uid: int) -> list[int]:
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                pids.append(int(pid))
        except OSError:
            continue
    return pids


def kill_user_processes(uid: int, grace: float = 0.0, attempts: int = 20) -> int:
    """SIGKILL every process of `uid` (all a sandbox user may own); returns how many there were.

    Processes get `grace` seconds to end on their own first (a kernel that is shutting down). Then a
    child switches to `uid` and calls ``kill(-1, SIGKILL)``, which reaches exactly the processes that
    user may signal, wherever they hid (new session, double fork).
    """
    if uid == os.getuid() or not can_drop_privileges():
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


def chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def launch_kernel(limits: Limits, uid: int | None, command: list[str]) -> None:
    """Set limits, hand the kernel's folder and connection file to `uid`, drop to it, exec `command`."""
    if uid is not None and can_drop_privileges():
        # The connection file lives in the worker's private runtime folder: give the kernel a copy.
        index = command.index("-f") + 1
        home = Path(os.environ["HOME"])
        copy = home / Path(command[index]).name
        shutil.copyfile(command[index], copy)
        os.chmod(copy, 0o600)
        command[index] = str(copy)
        chown_tree(home, uid)
        chown_tree(Path.cwd(), uid)
        set_limits(limits, dropping_to_uid=True)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        set_limits(limits, dropping_to_uid=False)
    os.execv(command[0], command)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start a Jupyter kernel under grading limits.")
    parser.add_argument("--limits", required=True, help="Limits as JSON")
    parser.add_argument("--uid", type=int, default=None, help="unprivileged user id for the kernel")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- followed by the kernel command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    launch_kernel(Limits.from_json(args.limits), args.uid, command)


if __name__ == "__main__":
    main()
