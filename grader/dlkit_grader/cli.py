"""``dlkit-grade``: collect, autograde (sandboxed, in parallel), feedback, grades, class report.

An nbgrader application: it reads the course's ``nbgrader_config.py`` like every nbgrader command, and each of
its settings is a trait that can be set there (``c.GradeApp.workers = 4``, ``c.Sandbox.memory_mb = 4096``) or
on the command line (``--workers 4``, ``--Sandbox.memory_mb=4096``).
"""

from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

from nbgrader.apps.baseapp import NbGrader, nbgrader_aliases, nbgrader_flags
from traitlets import Bool, Integer, List, TraitError, Unicode, default, validate

from . import collect, gradebook, lms, report
from .batch import grade_class
from .course import Course
from .sandbox import Sandbox

aliases = {
    **{k: v for k, v in nbgrader_aliases.items() if k in ("log-level", "db", "course-dir")},
    "course-root": "CourseDirectory.root",
    "db-url": "CourseDirectory.db_url",
    "assignment": "GradeApp.assignments",
    "lms": "GradeApp.lms",
    "roster": "GradeApp.roster",
    "lms-column": "GradeApp.lms_column",
    "workers": "GradeApp.workers",
    "cell-timeout": "Sandbox.cell_timeout",
    "notebook-timeout": "Sandbox.notebook_timeout",
    "memory-mb": "Sandbox.memory_mb",
    "max-processes": "Sandbox.max_processes",
    "max-output-lines": "Sandbox.max_output_lines",
    "max-output-mb": "Sandbox.max_output_mb",
    "max-notebook-output-mb": "Sandbox.max_notebook_output_mb",
    "max-disk-mb": "Sandbox.max_disk_mb",
    "max-file-mb": "Sandbox.max_file_mb",
}
flags = {
    **nbgrader_flags,
    "force": ({"GradeApp": {"force": True}}, "Regrade submissions already graded and unchanged."),
    "allow-network": ({"Sandbox": {"allow_network": True}}, "Let student code use the network."),
}


class GradeApp(NbGrader):
    """Grade a whole class: collect, autograde, feedback, grades (also for the learning platform), report."""

    name = "dlkit-grade"
    description = __doc__.splitlines()[0].split(": ", 1)[1]
    # The course's own nbgrader_config.py is read from --course-root (the working folder by default); another
    # one in the working folder belongs to another course.
    load_cwd_config = False
    aliases = aliases
    flags = flags
    examples = dedent(
        """
        Run from the course folder (the one holding nbgrader_config.py):

            dlkit-grade                                  # what is new in grading/submitted
            dlkit-grade --lms moodle --assignment 01_perceptron ~/Downloads/moodle.zip
            dlkit-grade --lms moodle --assignment 01_perceptron --roster worksheet.csv moodle.zip
            dlkit-grade --lms canvas --assignment 01_perceptron submissions.zip --workers 4
            dlkit-grade path/to/folder                   # a folder laid out as {student}/{assignment}/
        """
    )

    assignments = List(
        Unicode(), help="Assignments to grade (repeat --assignment; default: every one of the source folder)."
    ).tag(config=True)
    lms = Unicode(
        "",
        help=dedent(
            """
            The learning platform the class comes from, "moodle" or "canvas". The positional arguments are
            then its submissions downloads, and the grades are also written in its import format, under
            grading/lms/.
            """
        ).strip(),
    ).tag(config=True)
    roster = Unicode(
        "",
        help=dedent(
            """
            A roster downloaded from the platform: Moodle's grading worksheet of the assignment, or Canvas'
            gradebook export. It is kept (grading/downloaded/<assignment>/roster.csv) and gives the names,
            e-mail addresses, ids and maximum grade that the grades file for the platform keeps.
            """
        ).strip(),
    ).tag(config=True)
    lms_column = Unicode(
        "", help='Canvas: the assignment\'s column in its gradebook, such as "Perceptron (4567)".'
    ).tag(config=True)
    workers = Integer(help="Students graded at the same time (default: the number of CPUs).").tag(config=True)
    force = Bool(False, help="Regrade submissions already graded and unchanged.").tag(config=True)

    @default("workers")
    def _workers_default(self) -> int:
        return os.cpu_count() or 1

    @validate("lms")
    def _known_lms(self, proposal):
        if proposal["value"] and proposal["value"] not in lms.PLATFORMS:
            raise TraitError(
                f"GradeApp.lms must be one of {lms.PLATFORMS} or empty, got {proposal['value']!r}"
            )
        return proposal["value"]

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), GradeApp, Sandbox]

    def start(self) -> None:
        super().start()
        course = Course.load(self.coursedir.root, config=self.config)
        known = course.assignments()
        assignments = self.assignments or known
        unknown = sorted(set(assignments) - set(known))
        if unknown:
            self.fail(f"unknown assignments {unknown}; the course has {known}")
        people = self._collect(course, assignments)

        state = grade_class(
            course, assignments, Sandbox(parent=self), workers=self.workers, force=self.force, log=self.log
        )
        gradebook.record_students(course, people)
        grades = course.grading_dir / "grades.csv"
        gradebook.export_grades(course, grades)
        paths, results, names = report.report_course(course, assignments, state.results())
        outputs = {"grades": grades, "feedback": course.folder("feedback"), **paths}
        if self.lms:
            for assignment in assignments:
                outputs[f"{self.lms} ({assignment})"] = self._platform_file(
                    course, assignment, results, names
                )
        print("\n".join(f"{name}: {path}" for name, path in outputs.items()))

    def _collect(self, course: Course, assignments: list[str]) -> dict[str, gradebook.Person]:
        """Bring the positional arguments into grading/submitted; the students' names found on the way."""
        people = {}
        downloads = [Path(arg) for arg in self.extra_args]
        if self.lms and (downloads or self.roster) and len(assignments) != 1:
            self.fail("--lms with downloads or a roster needs exactly one --assignment")
        if self.roster and not self.lms:
            self.fail("--roster needs --lms (moodle or canvas)")
        if self.lms and downloads:
            people.update(collect.collect_lms_download(course, assignments[0], downloads, self.lms))
        elif downloads:
            for folder in downloads:
                collect.import_folder(course, folder)
        if self.roster:
            people.update(collect.keep_roster(course, assignments[0], Path(self.roster), self.lms))
        return people

    def _platform_file(self, course: Course, assignment: str, results: list[dict], names: dict) -> Path:
        """The grades of `assignment` in the platform's import format, under grading/lms/."""
        submissions = [
            {**r, "feedback": report.feedback_line(r, names)}
            for r in results
            if r["assignment"] == assignment
        ]
        people = gradebook.students(course)
        roster_file = collect.roster_path(course, assignment)
        roster = lms.read_roster(self.lms, roster_file) if roster_file.exists() else None
        if self.lms == "moodle":
            header, rows = lms.moodle_worksheet(submissions, people, roster)
            name = f"{assignment}_moodle_grading_worksheet.csv"
        else:
            header, rows = lms.canvas_import(assignment, submissions, people, roster, self.lms_column)
            name = f"{assignment}_canvas_gradebook_import.csv"
        return lms.write_csv(course.grading_dir / "lms" / name, header, rows)


def main(argv: list[str] | None = None) -> int:
    app = GradeApp()
    app.initialize(argv)
    app.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
