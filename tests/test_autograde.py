"""The grading pipeline end to end on 01_perceptron: release, submit, autograde, export, validate.

One throw-away course directory is graded once (module fixture) with six submissions: the solution,
the blank release and four realistic mistakes. The expected scores follow from the points of the
test cells: step 2, perceptron_output 3, train_perceptron 5.
"""

import copy
import csv

import nbformat
import pytest
from conftest import ROOT, finish_nbgrader, run_nbgrader, start_nbgrader

ASSIGNMENT = "01_perceptron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
POINTS = {"test_step": 2, "test_perceptron_output": 3, "test_train_perceptron": 5}

# student id -> (solution cell, text of the solution, what the student wrote instead, failing test cells)
MISTAKES = {
    "bool_step": ("step", "return np.where(np.asarray(z) > 0, 1.0, 0.0)", "return np.asarray(z) > 0",
                  {"test_step": "booleans (True/False)"}),
    "calls_reference": ("step", "return np.where(np.asarray(z) > 0, 1.0, 0.0)", "return activations.step(z)",
                        {"test_step": "it calls `dlkit.activations.step`"}),
    "no_bias": ("perceptron_output", "z = b + X @ w", "z = X @ w",
                {"test_perceptron_output": "the bias b is missing"}),
    "wrong_sign": ("train_perceptron", "lr * (y[i] - y_hat)", "lr * (y_hat - y[i])",
                   {"test_train_perceptron": "train_perceptron, output w is not right yet"}),
}


def _solved(released, solution):
    """The released notebook with every solution cell answered as in the instructor's notebook."""
    answers = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in solution.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = copy.deepcopy(released)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            lines = answers[grade_id].splitlines()
            cell.source = "\n".join(line for line in lines if "### BEGIN SOLUTION" not in line
                                    and "### END SOLUTION" not in line)
    return notebook


def _with_mistake(notebook, grade_id, right, wrong):
    notebook = copy.deepcopy(notebook)
    (cell,) = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert right in cell.source, f"the solution of {grade_id} no longer contains {right!r}"
    cell.source = cell.source.replace(right, wrong)
    return notebook


@pytest.fixture(scope="module")
def graded(released_course):
    """The released course, graded: ({student: score} from the CSV, the directory, validate's output)."""
    course_dir = released_course
    released = nbformat.read(course_dir / "course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = _solved(released, nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4))
    submissions = {"solution": solved, "blank": released}
    for student, (grade_id, right, wrong, _) in MISTAKES.items():
        submissions[student] = _with_mistake(solved, grade_id, right, wrong)
    submitted = course_dir / "grading" / "submitted"
    for student, notebook in submissions.items():
        (submitted / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(notebook, submitted / student / ASSIGNMENT / NOTEBOOK)
    # nbgrader validate, as a student would run it, on the solution and on the blank release (in this
    # order), alongside the autograding; it reads the notebooks only.
    validation = start_nbgrader("validate", str(submitted / "solution" / ASSIGNMENT / NOTEBOOK),
                                str(course_dir / "course" / ASSIGNMENT / NOTEBOOK), cwd=course_dir)
    run_nbgrader("autograde", ASSIGNMENT, "--force", cwd=course_dir)
    run_nbgrader("export", "--to", "grades.csv", cwd=course_dir)
    with open(course_dir / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["max_score"] for row in rows} == {str(float(sum(POINTS.values())))}
    scores = {row["student_id"]: float(row["score"]) for row in rows}
    return scores, course_dir, finish_nbgrader(validation)


def test_the_solution_gets_full_marks_and_the_blank_release_zero(graded):
    scores, _, _ = graded
    assert scores["solution"] == sum(POINTS.values())
    assert scores["blank"] == 0


@pytest.mark.parametrize("student", MISTAKES)
def test_each_mistake_costs_the_points_of_its_test_cell_and_shows_its_message(graded, student):
    scores, course_dir, _ = graded
    failing = MISTAKES[student][3]
    assert scores[student] == sum(POINTS.values()) - sum(POINTS[grade_id] for grade_id in failing)
    autograded = nbformat.read(course_dir / "grading" / "autograded" / student / ASSIGNMENT / NOTEBOOK,
                               as_version=4)
    for cell in autograded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in failing:
            errors = [output for output in cell.outputs if output.output_type == "error"]
            assert errors and failing[grade_id] in errors[0].evalue, f"{student}: {grade_id} says {errors}"


def test_validate_passes_on_the_solution_and_explains_the_blank_release(graded):
    output = graded[2]
    solution_report, blank_report = output.split("Success! Your notebook passes all the tests.\n")
    assert not solution_report.strip(), output
    assert blank_report.startswith("VALIDATION FAILED ON 3 CELL(S)!"), output
    for name in ("step", "perceptron_output", "train_perceptron"):
        assert f"AssertionError: {name} is not written yet." in blank_report
