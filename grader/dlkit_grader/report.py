"""The class report: what the class got right, what it got wrong, and who needs a closer look.

From the batch's results it writes, into one folder:

* ``exercises.csv``: per test cell (exercise check), its points, how many students passed it (full
  points), the mean score and the most common failure message, which tells an instructor what to
  re-teach;
* ``students.csv``: per student and assignment, the score, the reasons recorded while grading
  (limits hit, renamed or broken notebooks, edited test cells, files written outside) and the
  tampering findings of the static scan;
* ``class_report.png``: the score distribution per assignment and the pass rate per exercise.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)


def exercise_rows(results: list[dict]) -> list[dict]:
    """One row per (assignment, notebook, exercise) with pass rate and most common failure."""
    cells = defaultdict(list)
    for result in results:
        for notebook, grades in result["cells"].items():
            for exercise, grade in grades.items():
                cells[result["assignment"], notebook, exercise].append(grade)
    rows = []
    for (assignment, notebook, exercise), grades in sorted(cells.items()):
        failures = Counter(g["failure"] for g in grades if g["score"] < g["max_score"] and g["failure"])
        message, count = failures.most_common(1)[0] if failures else ("", 0)
        rows.append(
            {
                "assignment": assignment,
                "notebook": notebook,
                "exercise": exercise,
                "points": grades[0]["max_score"],
                "students": len(grades),
                "pass_rate": round(sum(g["score"] >= g["max_score"] for g in grades) / len(grades), 3),
                "mean_score": round(sum(g["score"] for g in grades) / len(grades), 3),
                "most_common_failure": message,
                "failure_count": count,
            }
        )
    return rows


def student_rows(results: list[dict]) -> list[dict]:
    return [
        {
            "student": r["student"],
            "assignment": r["assignment"],
            "score": r["score"],
            "max_score": r["max_score"],
            "reasons": " | ".join(r["reasons"]),
            "tampering": " | ".join(r["tampering"]),
        }
        for r in sorted(results, key=lambda r: (r["assignment"], r["student"]))
    ]


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def plot(results: list[dict], exercises: list[dict], path: Path) -> None:
    assignments = sorted({r["assignment"] for r in results})
    figure, axes = plt.subplots(len(assignments), 2, figsize=(11, 3.2 * len(assignments)), squeeze=False)
    for row, assignment in enumerate(assignments):
        scores = [r["score"] for r in results if r["assignment"] == assignment]
        top = max(r["max_score"] for r in results if r["assignment"] == assignment)
        axes[row, 0].hist(scores, bins=20, range=(0, top or 1), color="tab:blue")
        axes[row, 0].set(
            title=f"{assignment}: scores of {len(scores)} students", xlabel="score", ylabel="students"
        )
        mine = [e for e in exercises if e["assignment"] == assignment]
        axes[row, 1].barh([e["exercise"] for e in mine], [e["pass_rate"] for e in mine], color="tab:green")
        axes[row, 1].set(
            title=f"{assignment}: pass rate per exercise", xlim=(0, 1), xlabel="fraction with full points"
        )
        axes[row, 1].invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(results: list[dict], folder: Path) -> dict[str, Path]:
    """Write exercises.csv, students.csv and class_report.png into `folder`; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exercises = exercise_rows(results)
    paths = {
        "exercises": folder / "exercises.csv",
        "students": folder / "students.csv",
        "plot": folder / "class_report.png",
    }
    _write_csv(
        paths["exercises"],
        exercises,
        [
            "assignment",
            "notebook",
            "exercise",
            "points",
            "students",
            "pass_rate",
            "mean_score",
            "most_common_failure",
            "failure_count",
        ],
    )
    _write_csv(
        paths["students"],
        student_rows(results),
        ["student", "assignment", "score", "max_score", "reasons", "tampering"],
    )
    if results:
        plot(results, exercises, paths["plot"])
    return paths
