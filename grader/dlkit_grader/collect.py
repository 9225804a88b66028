"""Bring submissions into the course's submitted folder: an LMS download or a folder.

LMS downloads go through nbgrader's ``zip_collect``, with the file-name pattern of the LMS:

* Moodle ("Download all submissions"): ``Jane Doe_123456_assignsubmission_file_/01_perceptron.ipynb``
  (one folder per student) or ``Jane Doe_123456_assignsubmission_file_01_perceptron.ipynb``; the
  student id is Moodle's participant number.
* Canvas ("Download submissions"): ``doejane_123456_7890123_01_perceptron.ipynb``, with ``late_``
  before the user id for late work and ``-1``, ``-2`` after the name for resubmissions (the grader
  then grades the single notebook under its expected name); the student id is Canvas' user id.

A folder is copied as it is; it must already be laid out as ``{student}/{assignment}/files``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .batch import Course

LMS_PATTERNS = {
    "moodle": r".*/[^/]*?_(?P<student_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)$",
    "canvas": r".*/[^/_]+_(?:late_|LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+)$",
}


def collect_lms_download(course: Course, assignment: str, archives: list[Path], lms: str) -> None:
    """Extract `archives` (zip files or folders of files) for `assignment` with nbgrader zip_collect."""
    if lms not in LMS_PATTERNS:
        raise ValueError(f"lms must be one of {sorted(LMS_PATTERNS)}, got {lms!r}")
    downloaded = course.grading_dir / "downloaded"
    archive_dir = downloaded / assignment / "archive"
    shutil.rmtree(downloaded / assignment, ignore_errors=True)
    archive_dir.mkdir(parents=True)
    for archive in map(Path, archives):
        if archive.is_dir():
            shutil.copytree(archive, archive_dir / archive.name)
        else:
            shutil.copy(archive, archive_dir / archive.name)
    command = [
        sys.executable,
        "-m",
        "nbgrader",
        "zip_collect",
        assignment,
        "--force",
        f"--ZipCollectApp.downloaded_directory={os.path.relpath(downloaded, course.root)}",
        f"--FileNameCollectorPlugin.named_regexp={LMS_PATTERNS[lms]}",
        f"--CourseDirectory.root={course.root}",
    ]
    outcome = subprocess.run(command, cwd=course.root, capture_output=True, text=True)
    if outcome.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed:\n{outcome.stderr[-3000:]}")


def import_folder(course: Course, folder: Path) -> None:
    """Copy a folder laid out as {student}/{assignment}/... into the course's submitted folder."""
    submitted = course.folder("submitted").resolve()
    folder = Path(folder).resolve()
    if folder == submitted:
        return
    for student in (p for p in folder.iterdir() if p.is_dir()):
        for assignment in (p for p in student.iterdir() if p.is_dir()):
            target = submitted / student.name / assignment.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(assignment, target)
