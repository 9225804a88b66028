"""The class report: what the class got right, what it got wrong, and who needs a closer look.

Read from the gradebook (grades changed by hand in Formgrader included), the autograded notebooks (what each
check said) and the grader's state file (the reasons and tampering findings it recorded), it writes:

* ``exercises.csv``: per exercise, named as the notebook names it ("Exercise 1 · step(z)"), its points, how
  many students passed it (full points), the mean score, and the commonest problem among those who did not
  (the check's diagnosis, such as "it returned booleans (True/False) where numbers were expected."): what to
  re-teach;
* ``students.csv``: per student and assignment, the name, the score, the reasons recorded while grading
  (limits hit, renamed or broken notebooks, edited test cells, files written outside) and the tampering
  findings of the static scan;
* ``class_report.png``: the score distribution per assignment and the pass rate per exercise.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import nbformat
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from nbgrader.utils import is_grade, is_solution

from . import gradebook
from .course import Course
from .messages import problem

EXERCISE_FIELDS = [
    "assignment",
    "notebook",
    "exercise",
    "test_cell",
    "points",
    "students",
    "pass_rate",
    "mean_score",
    "most_common_problem",
    "problem_count",
    "not_graded",
]
STUDENT_FIELDS = ["student", "name", "assignment", "score", "max_score", "reasons", "tampering"]
NOT_GRADED = "not graded"  # the notebook is missing, unreadable or could not run: students.csv says why

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\(\s*\d+(\.\d+)?\s+points?\s*\)\s*$", re.IGNORECASE)
_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)", re.MULTILINE)


def _plain(heading: str) -> str:
    """A markdown heading as plain text, without its "(2 points)"."""
    text = re.sub(r"[`*]|(?<!\w)_|_(?!\w)", "", heading)
    return _POINTS.sub("", text).strip()


def exercise_names(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Test cell id -> the exercise it checks, named as the notebook does.

    The name is the heading written since the previous test cell ("Exercise 1 · step(z)"), else the function
    of the answer cell before it ("step"), else the cell's id.
    """
    names, heading, function = {}, None, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.findall(cell.source)
            heading = _plain(found[-1]) if found else heading
        if is_solution(cell) and cell.cell_type == "code":
            found = _DEF.findall(cell.source)
            function = found[0] if found else function
        if is_grade(cell):
            grade_id = cell.metadata.nbgrader["grade_id"]
            names[grade_id] = heading or function or grade_id
            heading = function = None
    return names


def class_results(course: Course, assignments: list[str], recorded: list[dict]) -> list[dict]:
    """One entry per graded submission: its grades from the gradebook, each failed check's problem from the
    autograded notebook, the student's name, and the reasons and tampering findings in `recorded`."""
    people = gradebook.students(course)
    notes = {(r["student"], r["assignment"]): r for r in recorded}
    results = []
    for submission in gradebook.submissions(course, assignments):
        student, assignment = submission["student"], submission["assignment"]
        for notebook, grades in submission["cells"].items():
            cells = _graded_cells(course.folder("autograded", student, assignment) / f"{notebook}.ipynb")
            for grade_id, grade in grades.items():
                passed = grade["score"] >= grade["max_score"]
                grade["problem"] = (
                    "" if passed else (problem(cells[grade_id]) if grade_id in cells else NOT_GRADED)
                )
        note = notes.get((student, assignment), {})
        person = people.get(student)
        results.append(
            {
                **submission,
                "name": person.full_name if person else "",
                "reasons": note.get("reasons", []),
                "tampering": note.get("tampering", []),
            }
        )
    return results


def _graded_cells(path: Path) -> dict:
    """Test cell id -> cell of an autograded notebook (read without nbformat's validation, which is slow)."""
    try:
        notebook = nbformat.from_dict(json.loads(path.read_text(encoding="utf-8")))
        return {c.metadata.nbgrader.get("grade_id"): c for c in notebook.cells if is_grade(c)}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}  # missing or unreadable: the student's reasons in students.csv say why


def exercise_rows(results: list[dict], names: dict[tuple[str, str, str], str]) -> list[dict]:
    """One row per (assignment, notebook, test cell), in the notebook's order: pass rate, mean, and the
    commonest problem among the students whose check ran and failed (those whose notebook could not be graded
    are counted apart: their problem is not the exercise).

    `names` maps (assignment, notebook, test cell) to the exercise's name, in the notebook's order.
    """
    cells = defaultdict(list)
    for result in results:
        for notebook, grades in result["cells"].items():
            for grade_id, grade in grades.items():
                cells[result["assignment"], notebook, grade_id].append(grade)
    order = {key: index for index, key in enumerate(names)}
    rows = []
    for key, grades in sorted(cells.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        assignment, notebook, grade_id = key
        failed = [g["problem"] for g in grades if g["score"] < g["max_score"] and g["problem"]]
        problems = Counter(problem for problem in failed if problem != NOT_GRADED)
        message, count = problems.most_common(1)[0] if problems else ("", 0)
        rows.append(
            {
                "assignment": assignment,
                "notebook": notebook,
                "exercise": names.get(key, grade_id),
                "test_cell": grade_id,
                "points": grades[0]["max_score"],
                "students": len(grades),
                "pass_rate": round(sum(g["score"] >= g["max_score"] for g in grades) / len(grades), 3),
                "mean_score": round(sum(g["score"] for g in grades) / len(grades), 3),
                "most_common_problem": message,
                "problem_count": count,
                "not_graded": failed.count(NOT_GRADED),
            }
        )
    return rows


def student_rows(results: list[dict]) -> list[dict]:
    return [
        {
            "student": r["student"],
            "name": r.get("name", ""),
            "assignment": r["assignment"],
            "score": r["score"],
            "max_score": r["max_score"],
            "reasons": " | ".join(r["reasons"]),
            "tampering": " | ".join(r["tampering"]),
        }
        for r in sorted(results, key=lambda r: (r["assignment"], r["student"]))
    ]


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def plot(results: list[dict], exercises: list[dict], path: Path) -> None:
    """Per assignment: how many students got each score, and the pass rate of each exercise."""
    assignments = sorted({r["assignment"] for r in results})
    figure = Figure(figsize=(12, 3.4 * len(assignments)), layout="constrained")
    axes = figure.subplots(len(assignments), 2, squeeze=False)
    for row, assignment in enumerate(assignments):
        scores = [r["score"] for r in results if r["assignment"] == assignment]
        top = max(r["max_score"] for r in results if r["assignment"] == assignment) or 1
        # One bar per whole score when the scale allows it.
        edges = [k - 0.5 for k in range(int(top) + 2)] if top <= 40 else 20
        histogram = axes[row, 0]
        histogram.hist(scores, bins=edges, color="tab:blue", edgecolor="white")
        histogram.set(
            title=f"{assignment}: scores of {len(scores)} students", xlabel="score", ylabel="students"
        )
        histogram.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
        histogram.xaxis.set_major_locator(MaxNLocator(integer=True))
        mine = [e for e in exercises if e["assignment"] == assignment]
        bars = axes[row, 1]
        bars.barh([e["exercise"] for e in mine], [e["pass_rate"] for e in mine], color="tab:green")
        bars.set(
            title=f"{assignment}: pass rate per exercise", xlim=(0, 1), xlabel="fraction with full points"
        )
        bars.invert_yaxis()
    figure.savefig(path, dpi=100)


def write_report(results: list[dict], names: dict, folder: Path) -> dict[str, Path]:
    """Write exercises.csv, students.csv and class_report.png into `folder`; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exercises = exercise_rows(results, names)
    paths = {
        "exercises": folder / "exercises.csv",
        "students": folder / "students.csv",
        "plot": folder / "class_report.png",
    }
    _write_csv(paths["exercises"], exercises, EXERCISE_FIELDS)
    _write_csv(paths["students"], student_rows(results), STUDENT_FIELDS)
    if results:
        plot(results, exercises, paths["plot"])
    return paths


def feedback_line(result: dict, names: dict) -> str:
    """One line for a student: the score, then each exercise's points and, where not full, its problem."""
    parts = [f"{result['score']:g} of {result['max_score']:g} points."]
    for notebook, grades in result["cells"].items():
        for grade_id, grade in grades.items():
            name = names.get((result["assignment"], notebook, grade_id), grade_id)
            problem_text = f" ({grade['problem']})" if grade.get("problem") else ""
            parts.append(f"{name}: {grade['score']:g}/{grade['max_score']:g}{problem_text}.")
    return " ".join(parts)


def report_course(course: Course, assignments: list[str], recorded: list[dict]):
    """The class report of `assignments`, written into the course's ``grading/report``.

    `recorded` are the grader's results (reasons, tampering). Returns the paths written, the class's results
    (``class_results``) and the exercises' names ((assignment, notebook, test cell) -> name).
    """
    names = {}
    for assignment in assignments:
        for path in sorted(course.folder("source", ".", assignment).glob("*.ipynb")):
            for grade_id, name in exercise_names(nbformat.read(path, as_version=4)).items():
                names[assignment, path.stem, grade_id] = name
    results = class_results(course, assignments, recorded)
    return write_report(results, names, course.grading_dir / "report"), results, names
