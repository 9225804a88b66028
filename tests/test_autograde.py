"""The grading pipeline end to end on 01_perceptron: release, submit, autograde, export, validate.

One throw-away course directory is graded once (module fixture) with six submissions: the solution,
the blank release and four realistic mistakes. The expected scores follow from the points of the
test cells: step 2, perceptron_output 3, train_perceptron 5.
"""

import copy
import csv
import shutil

import nbformat
import pytest
from conftest import ROOT, release, run_nbgrader

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
def graded(tmp_path_factory):
    """A graded course directory: {student: score} from the exported CSV, and the directory."""
    course_dir = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course_dir)
    shutil.copytree(ROOT / "solutions", course_dir / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    (course_dir / "grading").mkdir()
    release(course_dir)
    released = nbformat.read(course_dir / "course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = _solved(released, nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4))
    submissions = {"solution": solved, "blank": released}
    for student, (grade_id, right, wrong, _) in MISTAKES.items():
        submissions[student] = _with_mistake(solved, grade_id, right, wrong)
    for student, notebook in submissions.items():
        folder = course_dir / "grading" / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / NOTEBOOK)
    run_nbgrader("autograde", ASSIGNMENT, "--force", cwd=course_dir)
    run_nbgrader("export", "--to", "grades.csv", cwd=course_dir)
    with open(course_dir / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["max_score"] for row in rows} == {str(float(sum(POINTS.values())))}
    return {row["student_id"]: float(row["score"]) for row in rows}, course_dir


def test_the_solution_gets_full_marks_and_the_blank_release_zero(graded):
    scores, _ = graded
    assert scores["solution"] == sum(POINTS.values())
    assert scores["blank"] == 0


@pytest.mark.parametrize("student", MISTAKES)
def test_each_mistake_costs_the_points_of_its_test_cell_and_shows_its_message(graded, student):
    scores, course_dir = graded
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
    _, course_dir = graded
    solution = course_dir / "grading" / "submitted" / "solution" / ASSIGNMENT / NOTEBOOK
    result = run_nbgrader("validate", str(solution), cwd=course_dir)
    assert "Success! Your notebook passes all the tests." in result.stdout
    blank = course_dir / "course" / ASSIGNMENT / NOTEBOOK
    result = run_nbgrader("validate", str(blank), cwd=course_dir, check=False)
    assert "VALIDATION FAILED ON 3 CELL(S)" in result.stdout, result.stdout
    for name in ("step", "perceptron_output", "train_perceptron"):
        assert f"AssertionError: {name} is not written yet." in result.stdout
