"""Bring submissions into the course's submitted folder: a learning platform's download, or a folder.

A platform's download goes through nbgrader's ``zip_collect``, with the file-name pattern of the platform
(``lms.FILE_PATTERNS``):

* Moodle ("Download all submissions"): ``Jane Doe_123456_assignsubmission_file_/01_perceptron.ipynb``
  (one folder per student) or ``Jane Doe_123456_assignsubmission_file_01_perceptron.ipynb``; the
  student id is Moodle's participant number.
* Canvas ("Download submissions"): ``doejane_123456_7890123_01_perceptron.ipynb``, with ``late_``
  before the user id for late work and ``-1``, ``-2`` after the name for resubmissions (the grader
  then grades the single notebook under its expected name); the student id is Canvas' user id.

The students' names in the file names (and in a roster, see ``lms``) are returned, for the gradebook.
A folder is copied as it is; it must already be laid out as ``{student}/{assignment}/files``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from . import lms as platforms
from .course import Course
from .files import copy_regular_files, is_real_folder
from .gradebook import Person


def collect_lms_download(
    course: Course, assignment: str, archives: list[Path], lms: str
) -> dict[str, Person]:
    """Extract `archives` (zip files or folders of files) for `assignment` with nbgrader zip_collect.

    Returns the students' names found in the file names.
    """
    platforms.check_platform(lms)
    downloaded = course.grading_dir / "downloaded" / assignment
    archive_dir = downloaded / "archive"
    for step in ("archive", "extracted"):
        shutil.rmtree(downloaded / step, ignore_errors=True)
    archive_dir.mkdir(parents=True)
    for archive in map(Path, archives):
        if archive.is_dir():
            shutil.copytree(archive, archive_dir / archive.name)
        else:
            shutil.copy(archive, archive_dir / archive.name)
    course.nbgrader(
        "zip_collect",
        assignment,
        "--force",
        f"--ZipCollectApp.downloaded_directory={os.path.relpath(downloaded.parent, course.root)}",
        f"--FileNameCollectorPlugin.named_regexp={platforms.FILE_PATTERNS[lms]}",
    )
    return platforms.people_from_download(lms, downloaded / "extracted")


def keep_roster(course: Course, assignment: str, roster: Path, lms: str) -> dict[str, Person]:
    """Check and keep a roster downloaded from the platform (``grading/downloaded/<assignment>/roster.csv``,
    where later runs find it); returns the students' names in it."""
    _, rows = platforms.read_roster(lms, roster)
    target = roster_path(course, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    if Path(roster).resolve() != target.resolve():
        shutil.copyfile(roster, target)
    return platforms.people_from_roster(lms, rows)


def roster_path(course: Course, assignment: str) -> Path:
    return course.grading_dir / "downloaded" / assignment / "roster.csv"


def import_folder(course: Course, folder: Path) -> None:
    """Copy a folder laid out as {student}/{assignment}/... into the course's submitted folder (its regular
    files: links, FIFOs and devices are left out)."""
    submitted = course.folder("submitted").resolve()
    folder = Path(folder).resolve()
    if folder == submitted:
        return
    for student in (p for p in folder.iterdir() if is_real_folder(p)):
        for assignment in (p for p in student.iterdir() if is_real_folder(p)):
            target = submitted / student.name / assignment.name
            shutil.rmtree(target, ignore_errors=True)
            copy_regular_files(assignment, target)  # never through a link, never a FIFO or a device
