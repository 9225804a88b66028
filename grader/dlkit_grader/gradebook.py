"""The course's nbgrader gradebook: assignments registered in it, the template the workers grade into, the
students' names, and the grades read back from it.

Everything the grader reports (grades.csv, the learning platform's grades file, the class report) is read from
the gradebook, so grades changed by hand in Formgrader show there after the next ``dlkit-grade`` run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import CsvExportPlugin
from nbgrader.utils import compute_checksum, is_locked
from sqlalchemy import create_engine, inspect
from traitlets.config import Config

from . import files
from .course import Course


@dataclass(frozen=True)
class Person:
    """A student as a learning platform knows them; empty strings where it does not say."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def exists(db_url: str) -> bool:
    """Does the gradebook at `db_url` exist (has tables)? Checked without creating it."""
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).exists():
        return False
    engine = create_engine(db_url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def known_assignments(course: Course, db_url: str | None = None) -> set[str]:
    db_url = db_url or course.db_url
    if not exists(db_url):
        return set()
    with Gradebook(db_url, course.course_id) as gb:
        return {assignment.name for assignment in gb.assignments}


def generate(course: Course, tasks: list[tuple[str, str, Path]]) -> None:
    """nbgrader generate_assignment for each (assignment, gradebook URL, release folder) of `tasks`.

    It runs in one subprocess (``python -m dlkit_grader.gradebook``), whose PATH leads to this environment's
    scripts: nbgrader may have to create a gradebook, for which it runs ``alembic`` (see ``course``).
    """
    if not tasks:
        return
    payload = json.dumps(
        {"root": str(course.root), "tasks": [[a, url, str(release)] for a, url, release in tasks]}
    )
    outcome = subprocess.run(
        [sys.executable, "-m", "dlkit_grader.gradebook", payload],
        cwd=course.root,
        env=course.env(),
        capture_output=True,
        text=True,
    )
    if outcome.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{outcome.stderr[-3000:]}")


def _generate_here(root: str, tasks: list[list[str]]) -> None:
    """The subprocess of ``generate``: nbgrader's API, with the course's configuration."""
    course = Course.load(root)
    for assignment, db_url, release in tasks:
        config = Config(course.config)
        config.CourseDirectory.db_url = db_url
        config.CourseDirectory.release_directory = release
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        outcome = api.generate_assignment(assignment, force=True, create=True)
        if not outcome["success"]:
            sys.exit(f"nbgrader generate_assignment {assignment} failed:\n{outcome.get('error')}")


@dataclass
class Template:
    """What the workers grade against: a gradebook that knows the assignments (solutions and hidden tests
    included: keep it private), the released notebooks' read-only cells, and each notebook's test cells."""

    db: Path
    locked_checksums: dict[str, dict[str, dict[str, str]]]  # assignment -> notebook -> cell id -> checksum
    grade_cells: dict[str, dict[str, list[str]]]  # assignment -> notebook -> test cell ids


def prepare(course: Course, assignments: list[str], template: bool = True) -> Template | None:
    """Register `assignments` in the course gradebook where it lacks them; build their template if asked.

    The template is kept in ``grading/template/<digest>/`` and used again as long as the assignments' source
    folders and nbgrader_config.py stay the same. Both steps share one nbgrader subprocess.
    """
    digest = hashlib.sha256(json.dumps(assignments).encode())
    for assignment in assignments:
        digest.update(files.folder_digest(course.folder("source", ".", assignment)).encode())
    config_file = course.root / "nbgrader_config.py"
    if config_file.exists():
        digest.update(config_file.read_bytes())
    cache = course.grading_dir / "template"
    folder = cache / digest.hexdigest()[:16]
    build = template and not folder.exists()
    with tempfile.TemporaryDirectory(prefix="dlkit-grade-") as scratch:
        tasks = [
            (a, course.db_url, Path(scratch) / a)
            for a in sorted(set(assignments) - known_assignments(course))
        ]
        partial = Path(scratch) / "template"
        if build:
            partial.mkdir()
            tasks += [(a, f"sqlite:///{partial / 'template.db'}", partial / "release") for a in assignments]
        generate(course, tasks)
        if build:
            shutil.rmtree(cache, ignore_errors=True)  # older templates
            cache.mkdir(parents=True, mode=0o700)  # it holds the solutions
            shutil.move(partial, folder)
    if not template:
        return None
    url = f"sqlite:///{folder / 'template.db'}"
    return Template(
        folder / "template.db",
        {a: locked_checksums(folder / "release" / a) for a in assignments},
        {a: grade_cells(url, course.course_id, a) for a in assignments},
    )


def locked_checksums(release: Path) -> dict[str, dict[str, str]]:
    """notebook -> {cell id: nbgrader checksum} of the read-only cells students received."""
    checksums = {}
    for path in release.glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        checksums[path.stem] = {
            c.metadata.nbgrader["grade_id"]: compute_checksum(c) for c in cells if is_locked(c)
        }
    return checksums


def grade_cells(db_url: str, course_id: str, assignment: str) -> dict[str, list[str]]:
    """notebook -> ids of its test (grade) cells, as the gradebook at `db_url` knows them."""
    with Gradebook(db_url, course_id) as gb:
        notebooks = gb.find_assignment(assignment).notebooks
        return {nb.name: [cell.name for cell in nb.grade_cells] for nb in notebooks}


def record_students(course: Course, people: dict[str, Person]) -> None:
    """Keep the names and e-mail addresses (from a learning platform) of the gradebook's students.

    Students who handed nothing in are not added: the gradebook holds those who were graded.
    """
    with Gradebook(course.db_url, course.course_id) as gb:
        enrolled = {student.id for student in gb.students}
        for student_id, person in people.items():
            if student_id in enrolled:
                gb.update_or_create_student(student_id, **{k: v for k, v in vars(person).items() if v})


def students(course: Course) -> dict[str, Person]:
    with Gradebook(course.db_url, course.course_id) as gb:
        return {s.id: Person(s.first_name or "", s.last_name or "", s.email or "") for s in gb.students}


def submissions(course: Course, assignments: list[str]) -> list[dict]:
    """Every graded submission of `assignments`, with the score of each test cell (manual grades included).

    Each: {"student", "assignment", "score", "max_score", "timestamp",
    "cells": {notebook: {grade cell id: {"score", "max_score"}}}}.
    """
    found = []
    with Gradebook(course.db_url, course.course_id) as gb:
        for name in assignments:
            for submission in gb.find_assignment(name).submissions:
                found.append(
                    {
                        "student": submission.student.id,
                        "assignment": name,
                        "score": submission.score,
                        "max_score": submission.max_score,
                        "timestamp": submission.timestamp,
                        "cells": {
                            nb.name: {g.name: {"score": g.score, "max_score": g.max_score} for g in nb.grades}
                            for nb in submission.notebooks
                        },
                    }
                )
    return sorted(found, key=lambda s: (s["assignment"], s["student"]))


def export_grades(course: Course, path: Path) -> None:
    """nbgrader's CSV export of the whole gradebook to `path` (what ``nbgrader export`` writes)."""
    with Gradebook(course.db_url, course.course_id) as gb:
        CsvExportPlugin(to=str(path)).export(gb)


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    _generate_here(request["root"], request["tasks"])
