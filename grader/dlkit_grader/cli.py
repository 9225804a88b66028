"""``dlkit-grade``: collect, autograde (sandboxed, in parallel), feedback, CSV export, class report.

Examples (run from the course folder, the one holding nbgrader_config.py)::

    dlkit-grade                                    # everything already in grading/submitted
    dlkit-grade --lms moodle --assignment 01_perceptron ~/Downloads/moodle.zip
    dlkit-grade --lms canvas --assignment 01_perceptron submissions.zip --workers 4
    dlkit-grade path/to/folder                     # a folder laid out as {student}/{assignment}/
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import collect, report
from .batch import Course, export_grades, grade_class
from .sandbox import Limits


def parser() -> argparse.ArgumentParser:
    defaults = Limits()
    p = argparse.ArgumentParser(
        prog="dlkit-grade",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "submissions",
        nargs="*",
        type=Path,
        help="LMS downloads (zip files, with --lms) or folders laid out as {student}/{assignment}/",
    )
    p.add_argument("--course-root", type=Path, default=Path.cwd(), help="folder holding nbgrader_config.py")
    p.add_argument("--lms", choices=sorted(collect.LMS_PATTERNS), help="the LMS the downloads come from")
    p.add_argument("--assignment", action="append", help="assignment to grade (repeatable; default: all)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel grading workers")
    p.add_argument(
        "--db-url", help="gradebook URL, e.g. postgresql+psycopg2://user@host/course (default: the config's)"
    )
    p.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    p.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout, help="seconds per cell")
    p.add_argument(
        "--notebook-timeout", type=int, default=defaults.notebook_timeout, help="seconds per notebook"
    )
    p.add_argument("--memory-mb", type=int, default=defaults.memory_mb, help="memory cap of a kernel")
    p.add_argument(
        "--max-processes", type=int, default=defaults.max_processes, help="processes+threads per kernel"
    )
    p.add_argument(
        "--max-output-lines", type=int, default=defaults.max_output_lines, help="output lines kept per cell"
    )
    p.add_argument("--allow-network", action="store_true", help="let student code use the network")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    course = Course.load(args.course_root, args.db_url)
    assignments = args.assignment or course.assignments()
    unknown = sorted(set(assignments) - set(course.assignments()))
    if unknown:
        raise SystemExit(f"dlkit-grade: unknown assignments {unknown}; the course has {course.assignments()}")
    if args.lms:
        if len(assignments) != 1 or not args.submissions:
            raise SystemExit("dlkit-grade: --lms needs one --assignment and the downloaded files")
        collect.collect_lms_download(course, assignments[0], args.submissions, args.lms)
    else:
        for folder in args.submissions:
            collect.import_folder(course, folder)

    limits = Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_mb,
        max_processes=args.max_processes,
        max_output_lines=args.max_output_lines,
        network=args.allow_network,
    )
    state = grade_class(course, assignments, limits, workers=args.workers, force=args.force)
    grades = course.grading_dir / "grades.csv"
    export_grades(course, grades)
    paths = report.write_report(state.results(), course.grading_dir / "report")
    print(
        f"grades: {grades}\nfeedback: {course.folder('feedback')}\n"
        + "\n".join(f"{name}: {path}" for name, path in paths.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
