"""Grading speed: `dlkit-grade` (sandboxed, parallel workers) against plain sequential `nbgrader autograde`.

A synthetic class: every student hands in every notebook of solutions/, answered as in the solution
(70 %), with one exercise left blank (20 %) or not at all (10 %). Both graders work on copies of the
same class; the figures are notebooks graded per second of wall-clock time.

    python benchmarks/bench_grading.py --students 100 --workers 2
    python benchmarks/bench_grading.py --students 100 --workers 2 --baseline-students 20
    python benchmarks/bench_grading.py --students 100 --workers 2 --assignments 01_perceptron
    python benchmarks/bench_grading.py --students 10 --hogs 10 --assignments 01_perceptron \\
        --baseline-students 0

`--hogs N` adds N students whose first answer cell starts processes that leave the kernel's session (setsid)
and spin: under a control group per student they share that student's CPU, so the others' median grading
time (`honest_median_s`) stays as without them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat
from dlkit_grader.samples import answered_release

ROOT = Path(__file__).resolve().parents[1]


# Appended to a hog's first answer cell: four children that leave the session and spin (two minutes at most,
# should nothing stop them).
HOG = """
import subprocess, sys
spin = "import time\\nend = time.time() + 120\\nwhile time.time() < end: pass"
for _ in range(4):
    subprocess.Popen([sys.executable, "-c", spin], start_new_session=True)
"""


def make_class(course: Path, students: int, assignments: list[str], hogs: int = 0) -> int:
    """Write a course with `students` submissions of each of `assignments` (and `hogs` students whose
    notebooks hog the CPU, see HOG); returns how many notebooks."""
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in assignments:
        shutil.copytree(
            ROOT / "solutions" / assignment,
            course / "solutions" / assignment,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )
    count = 0
    for source in (ROOT / "solutions" / assignment for assignment in assignments):
        for path in sorted(source.glob("*.ipynb")):
            released = nbformat.read(ROOT / "course" / source.name / path.name, as_version=4)
            answer = answered_release(released, nbformat.read(path, as_version=4))
            exercises = [c for c in answer.cells if c.metadata.get("nbgrader", {}).get("solution")]
            for k in range(students):
                notebook = released if k % 10 == 9 else copy.deepcopy(answer)
                if k % 10 in (7, 8):  # one exercise left as released
                    index = answer.cells.index(exercises[k % len(exercises)])
                    notebook.cells[index] = copy.deepcopy(released.cells[index])
                folder = course / "grading" / "submitted" / f"student{k:03d}" / source.name
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, folder / path.name)
                count += 1
            for k in range(hogs):
                notebook = copy.deepcopy(answer)
                first = notebook.cells[answer.cells.index(exercises[0])]
                first.source += "\n" + HOG
                # Named to be graded between the honest students, while they are graded.
                folder = course / "grading" / "submitted" / f"student{k:03d}-hog" / source.name
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, folder / path.name)
                count += 1
    return count


def median_seconds(course: Path) -> dict[str, float]:
    """Median time to grade one notebook, of the honest students and of the hogs (classroom-state.json)."""
    state = json.loads((course / "grading" / "classroom-state.json").read_text())
    seconds = {"honest": [], "hog": []}
    for entry in state.values():
        seconds["hog" if entry["result"]["student"].endswith("-hog") else "honest"].append(
            entry["result"]["seconds"]
        )
    return {f"{kind}_median_s": round(statistics.median(v), 2) for kind, v in seconds.items() if v}


def timed(command: list[str], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hogs", type=int, default=0, help="students whose notebooks hog the CPU (see HOG)")
    parser.add_argument(
        "--baseline-students",
        type=int,
        default=None,
        help="students for the sequential baseline (default: all; 0 skips it)",
    )
    parser.add_argument(
        "--assignments",
        nargs="+",
        default=sorted(p.name for p in (ROOT / "solutions").glob("[!._]*") if p.is_dir()),
        help="the notebooks each student hands in (default: every one of solutions/)",
    )
    args = parser.parse_args()
    figures = {
        "date": date.today().isoformat(),
        "machine": f"{platform.node()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "students": args.students,
        "hogs": args.hogs,
        "workers": args.workers,
        "assignments": args.assignments,
        "command": " ".join(["python", *sys.argv]),
    }
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch) / "parallel"
        course.mkdir()
        notebooks = make_class(course, args.students, args.assignments, args.hogs)
        figures["load_average_before"] = round(os.getloadavg()[0], 1)
        seconds = timed([sys.executable, "-m", "dlkit_grader.cli", "--workers", str(args.workers)], course)
        figures.update(
            load_average_after_dlkit_grade=round(os.getloadavg()[0], 1),
            notebooks=notebooks,
            dlkit_grade_s=round(seconds, 1),
            dlkit_grade_notebooks_per_s=round(notebooks / seconds, 3),
            **median_seconds(course),
        )
        baseline_students = args.students if args.baseline_students is None else args.baseline_students
        if baseline_students:
            course = Path(scratch) / "sequential"
            course.mkdir()
            notebooks = make_class(course, baseline_students, args.assignments)
            seconds = feedback_seconds = 0.0
            for assignment in sorted(p.name for p in (course / "solutions").iterdir() if p.is_dir()):
                nbgrader = [sys.executable, "-m", "nbgrader"]
                timed([*nbgrader, "generate_assignment", assignment, "--force"], course)
                seconds += timed([*nbgrader, "autograde", assignment], course)
                feedback_seconds += timed([*nbgrader, "generate_feedback", assignment], course)
            # The same outputs as dlkit-grade's (bar the sandbox and the report): feedback and the CSV.
            feedback_seconds += seconds + timed([*nbgrader, "export", "--to", "grades.csv"], course)
            figures.update(
                load_average_after_nbgrader=round(os.getloadavg()[0], 1),
                baseline_notebooks=notebooks,
                nbgrader_autograde_s=round(seconds, 1),
                nbgrader_autograde_notebooks_per_s=round(notebooks / seconds, 3),
                nbgrader_with_feedback_and_export_s=round(feedback_seconds, 1),
            )
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
