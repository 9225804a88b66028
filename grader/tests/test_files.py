"""Reading what a student controlled: regular files only, never through a link, never blocking on a FIFO."""

import os

import pytest
from dlkit_grader.files import NotRegularFile, copy_regular_files, folder_digest, read_regular, read_tail


@pytest.fixture
def handed_in(tmp_path):
    """A submission folder with a notebook, a sub-folder, and what a hostile student leaves beside them:
    links to a file and a folder outside, a link to /dev/zero, a FIFO and a sparse 100 MB file."""
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "gradebook.db").write_text("grades")
    (outside / "private" / "canary.txt").write_text("root only")
    folder = tmp_path / "submission"
    (folder / "data").mkdir(parents=True)
    (folder / "work.ipynb").write_text("{}")
    (folder / "data" / "points.csv").write_text("1,2\n")
    (folder / "gradebook.db").symlink_to(outside / "gradebook.db")
    (folder / "private").symlink_to(outside / "private")
    (folder / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.ipynb")
    with open(folder / "huge.bin", "wb") as handle:
        handle.truncate(100 * 2**20)
    return folder, outside


def test_read_regular_refuses_all_but_a_regular_file(handed_in):
    folder, _ = handed_in
    assert read_regular(folder / "work.ipynb") == b"{}"
    for name in ("gradebook.db", "private", "zero.ipynb", "pipe.ipynb", "huge.bin", "data"):
        with pytest.raises(NotRegularFile):
            read_regular(folder / name)
        if name != "huge.bin":
            assert read_tail(folder / name, 10) == b""
    assert read_tail(folder / "work.ipynb", 1) == b"}"
    assert read_tail(folder / "huge.bin", 10) == bytes(10)  # the end of a file too large to read whole


def test_copy_keeps_only_regular_files(handed_in, tmp_path):
    folder, _ = handed_in
    left = copy_regular_files(folder, tmp_path / "copy")
    assert sorted(left) == ["gradebook.db", "huge.bin", "pipe.ipynb", "private", "zero.ipynb"]
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert copied == ["data", "data/points.csv", "work.ipynb"]
    assert copy_regular_files(folder, tmp_path / "notebooks", "*.ipynb", recursive=False) == [
        "data/",
        "gradebook.db",
        "huge.bin",
        "pipe.ipynb",
        "private",
        "zero.ipynb",
    ]
    with pytest.raises(NotRegularFile):
        copy_regular_files(folder / "private", tmp_path / "through-a-link")


def test_folder_digest_reads_no_link_target(handed_in):
    """What a link points to may change (the gradebook, after grading) without the submission changing."""
    folder, outside = handed_in
    digest = folder_digest(folder)
    (outside / "gradebook.db").write_text("grades, after grading")
    (outside / "private" / "canary.txt").write_text("changed")
    assert folder_digest(folder) == digest
    (folder / "data" / "points.csv").write_text("1,3\n")
    assert folder_digest(folder) != digest
    digest = folder_digest(folder)
    (folder / "pipe.ipynb").unlink()
    assert folder_digest(folder) != digest
