"""Learning platforms, round trip: a Moodle and a Canvas download go in with their students' names, and a
grades file comes out in the platform's documented import format.

The documented columns (see dlkit_grader.lms and the README, "Grades back into the learning platform"):
Moodle's grading worksheet: Identifier ("Participant 123456"), Full name, Email address, Status, Grade,
Maximum Grade, Grade can be changed, Last modified (submission), Last modified (grade), Feedback comments.
Canvas' gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment's column
"Name (id)", with a "Points Possible" row first.
"""

import csv
import re
import zipfile
from datetime import datetime

import nbformat
import pytest
from dlkit_grader import cli, gradebook, lms
from dlkit_grader.course import Course
from nbgrader.api import Gradebook
from tiny_course import LIMIT_OPTIONS, make_course, tiny_notebook

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
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
WRONG_ADD = "def add(a, b):\n    return a - b"


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # as the platforms write them: a BOM
        csv.writer(handle).writerows(rows)
    return path


# --- file names and names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "platform, path, student, file_id, name",
    [
        (
            "moodle",
            "/x/Jane Doe_123456_assignsubmission_file_/tiny.ipynb",
            "123456",
            "tiny.ipynb",
            "Jane Doe",
        ),
        (
            "moodle",
            "/x/Ana María López_9_assignsubmission_file_tiny.ipynb",
            "9",
            "tiny.ipynb",
            "Ana María López",
        ),
        ("canvas", "/x/doejane_24680_1357911_tiny.ipynb", "24680", "tiny.ipynb", "doejane"),
        ("canvas", "/x/doejane_late_24680_1357911_tiny-1.ipynb", "24680", "tiny-1.ipynb", "doejane"),
    ],
)
def test_file_name_patterns(platform, path, student, file_id, name):
    match = re.match(lms.FILE_PATTERNS[platform], path)
    assert (match["student_id"], match["file_id"], match["name"]) == (student, file_id, name)


def test_a_roster_that_is_not_one_is_refused_with_what_it_lacks(tmp_path):
    path = _write(tmp_path / "grades.csv", [["Name", "Grade"], ["Jane", "3"]])
    with pytest.raises(ValueError, match=r"not a moodle roster: it lacks the columns \['Identifier'"):
        lms.read_roster("moodle", path)
    with pytest.raises(ValueError, match="lms must be one of"):
        lms.read_roster("blackboard", path)


def test_moodle_dates_are_written_as_moodle_writes_them():
    assert lms.moodle_date(datetime(2025, 3, 3, 22, 5)) == "Monday, 3 March 2025, 10:05 PM"
    assert lms.moodle_date(None) == ""


# --- Moodle, end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moodle_class(tmp_path_factory):
    """A class from a Moodle download (one student per folder, one flat), with the grading worksheet."""
    course = make_course(tmp_path_factory.mktemp("moodle"))
    archive = course / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Jane Doe_123456_assignsubmission_file_/tiny.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr(
            "Ana María López_234567_assignsubmission_file_tiny.ipynb",
            nbformat.writes(tiny_notebook(WRONG_ADD)),
        )
    worksheet = _write(
        course / "worksheet.csv",
        [
            MOODLE_COLUMNS,
            [
                "Participant 123456",
                "Jane Doe",
                "jane@uni.edu",
                "Submitted for grading",
                "",
                "100.00",
                "Yes",
                "Monday, 3 March 2025, 9:00 AM",
                "-",
                "",
            ],
            [
                "Participant 234567",
                "Ana María López",
                "ana@uni.edu",
                "Submitted for grading",
                "",
                "100.00",
                "Yes",
                "Monday, 3 March 2025, 9:30 AM",
                "-",
                "",
            ],
            [
                "Participant 345678",
                "Sam Roe",
                "sam@uni.edu",
                "No submission",
                "",
                "100.00",
                "Yes",
                "-",
                "-",
                "",
            ],
        ],
    )
    options = ["--course-root", str(course), "--lms", "moodle", "--assignment", "tiny", *LIMIT_OPTIONS]
    assert cli.main([*options, "--roster", str(worksheet), str(archive)]) == 0
    return course


def test_moodle_names_are_kept_in_the_gradebook(moodle_class):
    people = gradebook.students(Course.load(moodle_class))
    assert people["123456"] == gradebook.Person("Jane", "Doe", "jane@uni.edu")
    assert people["234567"].full_name == "Ana María López"


def test_moodle_grading_worksheet_comes_back_filled_in(moodle_class):
    rows = _read(moodle_class / "grading" / "lms" / "tiny_moodle_grading_worksheet.csv")
    assert rows[0] == MOODLE_COLUMNS
    by_id = {row[0]: dict(zip(MOODLE_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == ["Participant 123456", "Participant 234567", "Participant 345678"]
    # Scaled to the worksheet's maximum grade (the notebook has 3 points); the rest of each row as downloaded.
    assert [by_id[p]["Grade"] for p in by_id] == ["100.00", "33.33", ""]
    assert by_id["Participant 234567"]["Full name"] == "Ana María López"
    assert by_id["Participant 345678"]["Last modified (grade)"] == "-"  # not graded here: left as it was
    graded = by_id["Participant 123456"]["Last modified (grade)"]
    assert re.fullmatch(r"\w+day, \d{1,2} \w+ \d{4}, \d\d:\d\d [AP]M", graded), graded
    comment = by_id["Participant 234567"]["Feedback comments"]
    assert comment.startswith("1 of 3 points.") and "Exercise A · add(a, b): 0/2" in comment


def test_a_grade_changed_in_formgrader_reaches_the_worksheet_and_the_report(moodle_class):
    """What an instructor does after reading Ana's answer: full points by hand, then dlkit-grade again."""
    course = Course.load(moodle_class)
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.find_grade("test_add", "tiny", "tiny", "234567").manual_score = 2.0
        gb.db.commit()
    assert cli.main(["--course-root", str(moodle_class), "--lms", "moodle", *LIMIT_OPTIONS]) == 0
    rows = _read(moodle_class / "grading" / "lms" / "tiny_moodle_grading_worksheet.csv")
    assert [row[4] for row in rows[1:]] == ["100.00", "100.00", ""]
    with open(moodle_class / "grading" / "report" / "exercises.csv", newline="") as handle:
        add = next(row for row in csv.DictReader(handle) if row["test_cell"] == "test_add")
    assert (add["pass_rate"], add["most_common_problem"]) == ("1.0", "")


# --- Canvas, end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    """A class from a Canvas download (a resubmission, a late one), with the gradebook export as roster."""
    course = make_course(tmp_path_factory.mktemp("canvas"))
    archive = course / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("doejane_24680_1357911_tiny-1.ipynb", nbformat.writes(tiny_notebook()))
        zf.writestr("roesam_late_13579_2468024_tiny.ipynb", nbformat.writes(tiny_notebook(WRONG_ADD)))
    export = _write(
        course / "export.csv",
        [
            [*CANVAS_COLUMNS, "tiny (4567)", "Current Score"],
            ["    Points Possible", "", "", "", "", "20.00", "(read only)"],
            ["Doe, Jane", "24680", "S001", "jdoe", "Section A", "", "0"],
            ["Roe, Sam", "13579", "S002", "sroe", "Section B", "", "0"],
            ["Student, Test", "99999", "", "", "Section A", "", "0"],
        ],
    )
    options = ["--course-root", str(course), "--lms", "canvas", "--assignment", "tiny", *LIMIT_OPTIONS]
    assert cli.main([*options, "--roster", str(export), str(archive)]) == 0
    return course


def test_canvas_grades_feedback_and_report(canvas_class):
    grading = canvas_class / "grading"
    with open(grading / "grades.csv", newline="") as handle:
        assert {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)} == {
            "24680": 3,
            "13579": 1,
        }
    assert (grading / "feedback" / "24680" / "tiny" / "tiny.html").exists()
    with open(grading / "report" / "students.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert "notebook renamed: graded tiny-1.ipynb as tiny.ipynb" in rows["24680"]["reasons"]
    assert rows["13579"]["name"] == "Sam Roe"


def test_canvas_names_come_from_the_roster(canvas_class):
    people = gradebook.students(Course.load(canvas_class))
    assert people["24680"] == gradebook.Person("Jane", "Doe")
    assert "99999" not in people  # in the roster, but handed nothing in


def test_canvas_gradebook_import_has_the_documented_columns(canvas_class):
    rows = _read(canvas_class / "grading" / "lms" / "tiny_canvas_gradebook_import.csv")
    assert rows[0] == [*CANVAS_COLUMNS, "tiny (4567)"]  # the roster's column: Canvas updates that assignment
    assert rows[1] == ["Points Possible", "", "", "", "", "20"]
    assert rows[2:] == [
        ["Roe, Sam", "13579", "S002", "sroe", "Section B", "6.67"],  # 1 of 3 points, scaled to 20
        ["Doe, Jane", "24680", "S001", "jdoe", "Section A", "20.00"],
    ]


def test_canvas_without_a_roster_creates_a_new_assignment_column():
    submissions = [{"student": "24680", "score": 2.0, "max_score": 3.0}]
    header, rows = lms.canvas_import("tiny", submissions, {"24680": gradebook.Person("", "doejane")})
    assert header == [*CANVAS_COLUMNS, "tiny"]
    assert rows == [
        {
            "Student": "Points Possible",
            "ID": "",
            "SIS User ID": "",
            "SIS Login ID": "",
            "Section": "",
            "tiny": "3",
        },
        {
            "Student": "doejane",
            "ID": "24680",
            "SIS User ID": "",
            "SIS Login ID": "",
            "Section": "",
            "tiny": "2.00",
        },
    ]


def test_moodle_without_a_worksheet_writes_every_documented_column():
    submissions = [{"student": "123456", "score": 2.0, "max_score": 3.0, "timestamp": None, "feedback": "ok"}]
    header, rows = lms.moodle_worksheet(submissions, {"123456": gradebook.Person("Jane", "Doe", "j@u.edu")})
    assert header == MOODLE_COLUMNS
    (row,) = rows
    assert (row["Identifier"], row["Full name"], row["Email address"]) == (
        "Participant 123456",
        "Jane Doe",
        "j@u.edu",
    )
    assert (row["Grade"], row["Maximum Grade"], row["Feedback comments"]) == ("2.00", "3.00", "ok")


def test_canvas_column_named_by_the_instructor_and_its_points_from_the_roster():
    roster = (
        [*CANVAS_COLUMNS, "Perceptron (4567)"],
        [
            {
                **dict.fromkeys(CANVAS_COLUMNS, ""),
                "Student": "    Points Possible",
                "Perceptron (4567)": "50",
            },
            {
                "Student": "Doe, Jane",
                "ID": "24680",
                "SIS User ID": "S1",
                "SIS Login ID": "jd",
                "Section": "A",
            },
        ],
    )
    submissions = [{"student": "24680", "score": 3.0, "max_score": 3.0}]
    header, rows = lms.canvas_import("tiny", submissions, {}, roster, column="Perceptron (4567)")
    assert header == [*CANVAS_COLUMNS, "Perceptron (4567)"]
    assert [row["Perceptron (4567)"] for row in rows] == ["50", "50.00"]
    assert rows[1]["SIS User ID"] == "S1"
