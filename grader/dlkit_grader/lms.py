"""Learning platforms (Moodle, Canvas): who is who in their downloads, and grades in their import formats.

In: the submissions download names each student (Moodle: ``Jane Doe_123456_assignsubmission_file_/...``,
the participant number and the full name; Canvas: ``doejane_123456_7890123_...``, the user id and the name
squashed to lower case), and a roster downloaded from the platform adds what the file names lack:

* Moodle, the assignment's *grading worksheet* (Grading action > Download grading worksheet; the assignment
  needs the feedback type "Offline grading worksheet"): Identifier ("Participant 123456"), Full name, Email
  address, Status, Grade, Maximum Grade, Grade can be changed, Last modified (submission), Last modified
  (grade), Feedback comments;
* Canvas, the gradebook export (Grades > Export > Export Entire Gradebook): Student ("Doe, Jane"), ID, SIS
  User ID, SIS Login ID, Section, then one column per assignment, "Name (id)", and a "Points Possible" row.

Out: the grades in the platform's own import format, the same files:

* Moodle: the grading worksheet, for *Upload grading worksheet*. Moodle reads the columns Identifier, Grade
  and Last modified (grade) (and Feedback comments when that feedback type is on); it skips a row whose grade
  was changed in Moodle after the worksheet's "Last modified (grade)". With a roster, its rows come back as
  they were, with the grade filled in and scaled to its Maximum Grade;
* Canvas: the gradebook import CSV (Grades > Import): Student, ID, SIS User ID, SIS Login ID, Section and the
  assignment's column, with the "Points Possible" row. Canvas matches rows by ID; a column that names no
  existing assignment ("01_perceptron", no id) creates a new assignment with those points.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

from .gradebook import Person

# nbgrader zip_collect's FileNameCollectorPlugin.named_regexp, per platform. `name` is not one of nbgrader's
# groups (it ignores it): the grader reads it itself.
FILE_PATTERNS = {
    "moodle": r".*/(?P<name>[^/]*?)_(?P<student_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)$",
    "canvas": r".*/(?P<name>[^/_]+)_(?:late_|LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+)$",
}
PLATFORMS = sorted(FILE_PATTERNS)

MOODLE_COLUMNS = [
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
]
MOODLE_PARTICIPANT = "Participant "
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"


def check_platform(lms: str) -> str:
    if lms not in FILE_PATTERNS:
        raise ValueError(f"lms must be one of {PLATFORMS}, got {lms!r}")
    return lms


def people_from_download(lms: str, folder: Path) -> dict[str, Person]:
    """Student id -> name, from the file names of a submissions download extracted under `folder`."""
    pattern = re.compile(FILE_PATTERNS[check_platform(lms)])
    people = {}
    for path in sorted(Path(folder).rglob("*")):
        match = pattern.match(str(path))
        if match and match["name"].strip():
            people[match["student_id"]] = _person(lms, match["name"].strip())
    return people


def _person(lms: str, name: str, email: str = "") -> Person:
    """Moodle writes "First Last"; Canvas "Last, First" (its roster) or "lastfirst" (its file names)."""
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return Person(first, last, email)
    first, _, last = name.rpartition(" ")
    return Person(first, last, email) if first else Person("", last, email)


def read_roster(lms: str, path: Path) -> tuple[list[str], list[dict]]:
    """The header and rows of a roster downloaded from the platform (see the module's docstring)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    key = "Identifier" if check_platform(lms) == "moodle" else "ID"
    expected = MOODLE_COLUMNS[:3] if lms == "moodle" else CANVAS_COLUMNS[:2]
    missing = [column for column in expected if column not in header]
    if missing:
        raise ValueError(
            f"{path} is not a {lms} roster: it lacks the columns {missing} (its columns: {header}). "
            + (
                "Download the assignment's grading worksheet."
                if lms == "moodle"
                else "Export the gradebook (Grades > Export)."
            )
        )
    return header, [row for row in rows if (row.get(key) or "").strip() or _is_points_row(row)]


def roster_id(lms: str, row: dict) -> str:
    """The student id a roster row is about: Moodle's participant number, Canvas' user id."""
    if lms == "moodle":
        return row["Identifier"].strip().removeprefix(MOODLE_PARTICIPANT).strip()
    return row["ID"].strip()


def people_from_roster(lms: str, rows: list[dict]) -> dict[str, Person]:
    people = {}
    for row in rows:
        if _is_points_row(row):
            continue
        name = row.get("Full name" if lms == "moodle" else "Student", "").strip()
        people[roster_id(lms, row)] = _person(lms, name, row.get("Email address", "").strip())
    return people


def _is_points_row(row: dict) -> bool:
    return (row.get("Student") or "").strip() == CANVAS_POINTS_ROW


def moodle_date(moment: datetime | None) -> str:
    """A date as Moodle writes it in its worksheets (and reads it back): "Monday, 3 March 2025, 10:00 AM"."""
    return "" if moment is None else f"{moment:%A}, {moment.day} {moment:%B %Y}, {moment:%I:%M %p}"


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except (AttributeError, ValueError):
        return None


def moodle_worksheet(
    submissions: list[dict], people: dict[str, Person], roster: tuple[list[str], list[dict]] | None = None
) -> tuple[list[str], list[dict]]:
    """The grading worksheet to upload to Moodle: header and rows.

    `submissions` are the gradebook's (``gradebook.submissions``) of one assignment, each with a "feedback"
    line. With the downloaded worksheet as `roster`, its columns and rows are kept; graded students get their
    grade, scaled to the worksheet's Maximum Grade.
    """
    now = moodle_date(datetime.now())
    graded = {s["student"]: s for s in submissions}
    if roster is None:
        header, rows = MOODLE_COLUMNS, []
        for student, submission in sorted(graded.items()):
            person = people.get(student, Person())
            rows.append(
                {
                    "Identifier": f"{MOODLE_PARTICIPANT}{student}",
                    "Full name": person.full_name,
                    "Email address": person.email,
                    "Status": "Submitted for grading",
                    "Maximum Grade": f"{submission['max_score']:.2f}",
                    "Grade can be changed": "Yes",
                    "Last modified (submission)": moodle_date(submission.get("timestamp")),
                }
            )
    else:
        header, rows = list(roster[0]), [dict(row) for row in roster[1]]
        header += [
            column
            for column in ("Grade", "Last modified (grade)", "Feedback comments")
            if column not in header
        ]
    for row in rows:
        submission = graded.get(roster_id("moodle", row))
        if submission is None:
            continue
        maximum = _number(row.get("Maximum Grade", "")) or submission["max_score"]
        fraction = submission["score"] / submission["max_score"] if submission["max_score"] else 0.0
        row["Grade"] = f"{fraction * maximum:.2f}"
        row["Last modified (grade)"] = now
        row["Feedback comments"] = submission.get("feedback", "")
    return header, [{column: row.get(column, "") for column in header} for row in rows]


def canvas_import(
    assignment: str,
    submissions: list[dict],
    people: dict[str, Person],
    roster: tuple[list[str], list[dict]] | None = None,
    column: str = "",
) -> tuple[list[str], list[dict]]:
    """The gradebook import CSV for Canvas: header and rows (the "Points Possible" row first).

    The assignment's column is `column` if given, else the roster's column for `assignment` ("01_perceptron
    (4567)"), else `assignment` itself (Canvas then creates the assignment). Scores are scaled to the points
    the roster gives that column.
    """
    identity = {}
    points = None
    if roster is not None:
        header, rows = roster
        column = column or next((c for c in header if c == assignment or c.startswith(f"{assignment} (")), "")
        for row in rows:
            if _is_points_row(row):
                points = _number(row.get(column, "")) if column else None
            else:
                identity[roster_id("canvas", row)] = {c: row.get(c, "") for c in CANVAS_COLUMNS}
    column = column or assignment
    graded = [s for s in submissions if s["max_score"]]
    points = points or (graded[0]["max_score"] if graded else 0.0)
    out = [{**dict.fromkeys(CANVAS_COLUMNS, ""), "Student": CANVAS_POINTS_ROW, column: f"{points:g}"}]
    for submission in sorted(graded, key=lambda s: s["student"]):
        student = submission["student"]
        person = people.get(student, Person())
        name = ", ".join(part for part in (person.last_name, person.first_name) if part)
        row = identity.get(student) or {**dict.fromkeys(CANVAS_COLUMNS, ""), "Student": name, "ID": student}
        score = submission["score"] / submission["max_score"] * points
        out.append({**row, column: f"{score:.2f}"})
    return [*CANVAS_COLUMNS, column], out


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return path
