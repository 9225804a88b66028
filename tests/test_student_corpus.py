"""Every notebook graded end to end through nbgrader, as students answer it (the corpora of corpus_*.py).

Per assignment, the session's throw-away course directory receives the solution, the blank release and the
answers of the corpus as submissions (answers that cannot interact share one, see ``corpus.packs``);
one ``nbgrader autograde`` grades them all, then nbgrader's validator (what ``nbgrader validate`` and
JupyterLab's Validate button run) checks the submissions of answers marked ``validate``. Scores are read from
the gradebook; messages from the autograded notebooks' error outputs. Each answer is still a test of its own:
its submission must lose exactly the points of its own failing cells and of its companions', with its own
messages.
"""

import csv
import io

import nbformat
import pytest
from conftest import ROOT, run_nbgrader
from corpus import Answer, corpora, flat, grade_id, packs, read, solved, submission

CORPORA = corpora()
ALWAYS = {"solution": Answer(validate=True), "blank": None}


def _names(assignment, validated_only=False):
    return [name for name in [*ALWAYS, *_answers(assignment)]
            if not validated_only or name == "blank" or _answer(assignment, name).validate]


def _answers(assignment):
    """Every answer of the corpus: the legitimate styles, the mistakes and the forgeries."""
    module = CORPORA[assignment]
    return {**module.ANSWERS, **getattr(module, "FORGERIES", {})}


def _answer(assignment, name):
    return ALWAYS[name] if name in ALWAYS else _answers(assignment)[name]


def _submissions(assignment):
    """Submission (student) name -> the names of the answers it holds."""
    module = CORPORA[assignment]
    groups = [[name] for name in ALWAYS] + packs(module.ANSWERS, getattr(module, "USES", None))
    groups += [[name] for name in getattr(module, "FORGERIES", {})]
    return {group[0] if len(group) == 1 else f"pack_{index}": group for index, group in enumerate(groups)}


def _submission_of(assignment, name):
    """(submission name, the answers graded beside `name` in it)."""
    (found,) = [(student, group) for student, group in _submissions(assignment).items() if name in group]
    student, group = found
    return student, [_answer(assignment, other) for other in group if other != name]


def _fails(answers):
    return {cell for answer in answers if answer is not None for cell in answer.fails}


def _validate(path):
    """(what `nbgrader validate PATH` prints, what JupyterLab's Validate button receives) for one notebook."""
    from nbgrader.validator import Validator

    printed = Validator()
    printed.stream = io.StringIO()
    printed.validate_and_print(str(path))
    return printed.stream.getvalue(), Validator().validate(str(path))


@pytest.fixture(scope="module")
def graded(released_course):
    """assignment -> (scores, autograded notebooks, validations), each graded once, on first use."""
    cache = {}

    def get(assignment):
        if assignment not in cache:
            cache[assignment] = _grade(released_course, assignment)
        return cache[assignment]

    return get


def _grade(course_dir, assignment):
    """({submission: score}, {submission: autograded notebook}, {submission: (validate's output, Validate's
    result)}).

    The validations are what ``nbgrader validate`` prints and what JupyterLab's Validate button receives.
    """
    notebook_name = f"{assignment}.ipynb"
    released = read(course_dir / "course" / assignment / notebook_name)
    solution = solved(released, read(ROOT / "solutions" / assignment / notebook_name))
    paths = {}
    for student, group in _submissions(assignment).items():
        answers = [_answer(assignment, name) for name in group]
        folder = course_dir / "grading" / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        paths[student] = folder / notebook_name
        nbformat.write(released if answers == [None] else submission(solution, answers), paths[student])
        for relative, text in (answers[0].files if answers[0] else {}).items():  # such answers are alone
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)
    # One kernel at a time: kernels started together can race for the same TCP port.
    run_nbgrader("autograde", assignment, "--force", cwd=course_dir)
    validated = {_submission_of(assignment, name)[0] for name in _names(assignment, validated_only=True)}
    validations = {student: _validate(paths[student]) for student in validated}
    autograded = {name: read(course_dir / "grading" / "autograded" / name / assignment / notebook_name)
                  for name in paths}
    return _scores(course_dir, assignment), autograded, validations


def _scores(course_dir, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'grading' / 'gradebook.db'}") as gradebook:
        return {submission.student_id: submission.score
                for submission in gradebook.assignment_submissions(assignment)}


def _errors(notebook):
    """Test cell id -> the text of its error output (the message a student reads).

    Demonstrations that call a broken function fail too, but they carry no points and are not listed.
    """
    from nbgrader.utils import is_grade

    errors = {}
    for cell in filter(is_grade, notebook.cells):
        messages = [output.evalue for output in cell.get("outputs", []) if output.output_type == "error"]
        if messages:
            errors[grade_id(cell)] = "\n".join(messages)
    return errors


def _printed(notebook, cell_id):
    (cell,) = [cell for cell in notebook.cells if grade_id(cell) == cell_id]
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def _exercise_names(assignment):
    released = read(ROOT / "course" / assignment / f"{assignment}.ipynb")
    return [grade_id(cell) for cell in released.cells if cell.metadata.get("nbgrader", {}).get("solution")]


class CorpusTests:
    """The tests of one assignment's corpus (`assignment`). Each assignment gets a subclass below, so that
    pytest-xdist (``--dist loadscope``) grades different assignments in different workers."""

    assignment = None

    def test_each_answer_earns_exactly_the_points_of_the_test_cells_it_passes(self, graded, name):
        assignment = self.assignment
        scores, autograded, _ = graded(assignment)
        points = CORPORA[assignment].POINTS
        answer = _answer(assignment, name)
        student, companions = _submission_of(assignment, name)
        theirs = _fails(companions)
        failing = set(points) if answer is None else set(answer.fails) | theirs
        expected = sum(points.values()) - sum(points[cell] for cell in failing)
        errors = _errors(autograded[student])
        beside = f" (graded in {student} beside {_submissions(assignment)[student]})" if companions else ""
        assert scores[student] == expected, (
            f"{name}: {scores[student]} instead of {expected}{beside}; {errors}")
        if answer is None:
            return
        assert set(errors) == failing, f"{name}: failing cells {sorted(errors)}{beside}: {errors}"
        for cell_id, words in answer.fails.items():
            for phrase in (words,) if isinstance(words, str) else words:
                assert flat(phrase) in flat(errors[cell_id]), f"{name}, {cell_id} says:\n{errors[cell_id]}"
        own = [message for cell_id, message in errors.items() if cell_id not in theirs]
        for words in answer.absent:
            assert all(flat(words) not in flat(message) for message in own), f"{name}: {errors}"
        for cell_id, words in answer.notes.items():
            note = _printed(autograded[student], cell_id)
            assert flat(words) in flat(note), f"{name}: no note in {cell_id}"

    def test_validation_shows_the_visible_failures_in_whole_lines(self, graded, name):
        """What a student sees before submitting: the same messages, no traceback, nothing cut off."""
        assignment = self.assignment
        validations = graded(assignment)[2]
        student, companions = _submission_of(assignment, name)
        printed, result = validations[student]
        answer = _answer(assignment, name)
        failing = (len(CORPORA[assignment].POINTS) if answer is None
                   else len({*answer.fails, *_fails(companions)}))
        if not failing:
            assert printed == "Success! Your notebook passes all the tests.\n", printed
            return
        assert printed.startswith(f"VALIDATION FAILED ON {failing} CELL(S)!"), printed
        report = printed.split("The error was:")[1:]
        assert report, printed
        for error in report:
            body = error.split("=" * 20)[0]
            assert not any(line.endswith("...") for line in body.splitlines()), f"a line was cut:\n{body}"
            assert "Traceback" not in body and "grading.py" not in body, body
        wanted = ([f"{name} is not written yet." for name in _exercise_names(assignment)] if answer is None
                  else [phrase for words in answer.fails.values()
                        for phrase in ((words,) if isinstance(words, str) else words)])
        for words in wanted:
            assert flat(words) in flat(printed), printed
        lab_errors = "\n".join(failure["raw_error"] for failure in result.get("failed", []))
        for words in wanted:
            assert flat(words) in flat(lab_errors), result

    def test_the_gradebook_exports_one_row_per_student(self, graded, released_course):
        assignment = self.assignment
        scores = graded(assignment)[0]
        run_nbgrader("export", "--to", "grading/grades.csv", cwd=released_course)
        with open(released_course / "grading" / "grades.csv", newline="") as file:
            rows = [row for row in csv.DictReader(file) if row["assignment"] == assignment]
        exported = {row["student_id"]: float(row["score"]) for row in rows}
        assert {student: exported.get(student) for student in scores} == scores


def pytest_generate_tests(metafunc):
    if "name" in metafunc.fixturenames:
        validated_only = metafunc.function.__name__.startswith("test_validation")
        metafunc.parametrize("name", _names(metafunc.cls.assignment, validated_only))


for _assignment in CORPORA:
    _name = f"Test_{_assignment}"
    globals()[_name] = type(_name, (CorpusTests,), {"assignment": _assignment})
