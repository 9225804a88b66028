"""Reading, as root, what a student controlled: regular files only, never through a link.

A submission folder may hold symbolic links (to a classmate's notebook, to the gradebook, to /dev/zero),
FIFOs, devices or huge files. Everything here opens a file with ``O_NOFOLLOW | O_NONBLOCK`` and checks with
``fstat`` that it got a regular file of bounded size before reading it, and walks folders without following
links, so root copies nothing but what the student's own folder holds.
"""

from __future__ import annotations

import hashlib
import os
import stat
from contextlib import contextmanager
from pathlib import Path

MAX_FILE_BYTES = 64 * 2**20


class NotRegularFile(OSError):
    """A path that is a link, a FIFO, a device, a folder, or a file over the size limit."""


@contextmanager
def _open_regular(path: Path):
    """A read-only descriptor of `path` and its ``fstat``, if it is a regular file not reached through a link.

    Raises
    ------
    NotRegularFile
        If `path` is anything else.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise NotRegularFile(f"{path} cannot be opened as a file ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        yield fd, info
    finally:
        os.close(fd)


def read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The contents of `path`: a regular file, not reached through a link, of at most `limit` bytes.

    Raises
    ------
    NotRegularFile
        If `path` is anything else.
    """
    with _open_regular(path) as (fd, info):
        if info.st_size > limit:
            raise NotRegularFile(f"{path} is larger than {limit // 2**20} MB")
        chunks, size = [], 0  # counted again while reading: the file may grow
        while chunk := os.read(fd, 2**20):
            size += len(chunk)
            if size > limit:
                raise NotRegularFile(f"{path} is larger than {limit // 2**20} MB")
            chunks.append(chunk)
        return b"".join(chunks)


def read_tail(path: Path, size: int) -> bytes:
    """The last `size` bytes of `path`, a regular file not reached through a link (b"" if it is anything
    else or missing)."""
    try:
        with _open_regular(path) as (fd, info):
            os.lseek(fd, max(0, info.st_size - size), os.SEEK_SET)
            return os.read(fd, size)
    except NotRegularFile:
        return b""


def is_real_folder(path: Path) -> bool:
    """Is `path` a folder itself (not a link to one)?"""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def copy_regular_files(source: Path, target: Path, pattern: str = "*", recursive: bool = True) -> list[str]:
    """Copy the regular files of `source` whose names match `pattern` into `target`; return what was left.

    Links, FIFOs, devices, files over the size limit, files not matching `pattern` and, unless `recursive`,
    sub-folders are not copied; their paths relative to `source` are returned (a folder with a trailing /).
    `source` itself must be a real folder, not a link to one. Copies are created 0644, owned by the caller.
    """
    if not is_real_folder(source):
        raise NotRegularFile(f"{source} is not a folder")
    left = []
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(os.scandir(source), key=lambda entry: entry.name):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if recursive:
                left += [
                    f"{entry.name}/{name}" for name in copy_regular_files(path, target / entry.name, pattern)
                ]
            else:
                left.append(f"{entry.name}/")
            continue
        if not path.match(pattern):
            left.append(entry.name)
            continue
        try:
            data = read_regular(path)
        except NotRegularFile:
            left.append(entry.name)
            continue
        (target / entry.name).write_bytes(data)
    return left


def folder_digest(folder: Path) -> str:
    """A digest of what `folder` holds: the name and contents of each regular file, and the name, kind and
    size of anything else (a link's target is never read, nor a file over the size limit)."""
    digest = hashlib.sha256()
    for parent, folders, names in os.walk(folder):  # does not descend into links to folders
        folders.sort()
        for name in sorted(names + [f for f in folders if not is_real_folder(Path(parent, f))]):
            path = Path(parent, name)
            try:
                data = read_regular(path)
            except NotRegularFile:
                info = os.lstat(path)
                data = f"{stat.filemode(info.st_mode)} {info.st_size}".encode()
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + data + b"\0")
    return digest.hexdigest()
