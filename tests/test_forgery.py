"""The forgeries of the corpora do forge a grade when the test cells run in the student's kernel.

This is what nbgrader does on its own (and what the course did before its checks moved to a checker kernel,
see grader/dlkit_grader/trusted.py). test_student_corpus.py grades the same notebooks with the course's
configuration, where each earns only the points of its right answers.
"""

import shutil

import pytest
from conftest import ROOT, run_nbgrader
from corpus import corpora, read, solved, submission

FORGERIES = [(assignment, name) for assignment, module in corpora().items()
             for name in getattr(module, "FORGERIES", {})]

# nbgrader's own autograde: every cell, the test cells included, in the student's kernel.
_NBGRADER_AS_SHIPPED = '''
from nbgrader.converters import Autograde

c.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
'''


@pytest.fixture(scope="module")
def forged_scores(released_course, tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("untrusted")
    config = (ROOT / "nbgrader_config.py").read_text() + _NBGRADER_AS_SHIPPED
    (course_dir / "nbgrader_config.py").write_text(config)
    shutil.copytree(released_course / "solutions", course_dir / "solutions")
    shutil.copytree(released_course / "course", course_dir / "course")
    (course_dir / "grading").mkdir()
    scores = {}
    for assignment in sorted({assignment for assignment, _ in FORGERIES}):
        run_nbgrader("generate_assignment", "--force", assignment, cwd=course_dir)
        notebook_name = f"{assignment}.ipynb"
        released = read(course_dir / "course" / assignment / notebook_name)
        solution = solved(released, read(ROOT / "solutions" / assignment / notebook_name))
        module = corpora()[assignment]
        for name, answer in module.FORGERIES.items():
            folder = course_dir / "grading" / "submitted" / name / assignment
            folder.mkdir(parents=True)
            __import__("nbformat").write(submission(solution, [answer]), folder / notebook_name)
            for relative, text in answer.files.items():
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                (folder / relative).write_text(text)
        run_nbgrader("autograde", assignment, "--force", cwd=course_dir)
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course_dir / 'grading' / 'gradebook.db'}") as gradebook:
            for result in gradebook.assignment_submissions(assignment):
                scores[assignment, result.student_id] = result.score
    return scores


@pytest.mark.parametrize(("assignment", "name"), FORGERIES)
def test_the_trick_forges_points_when_the_checks_run_in_the_students_kernel(forged_scores, assignment, name):
    points = corpora()[assignment].POINTS
    answer = corpora()[assignment].FORGERIES[name]
    honest = sum(points.values()) - sum(points[cell] for cell in answer.fails)
    assert forged_scores[assignment, name] > honest, f"{name} earned {forged_scores[assignment, name]}"
