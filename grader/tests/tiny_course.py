"""A tiny nbgrader course for the grader's tests: one assignment, "tiny", with two exercises.

add (its test cell, test_add, is worth 2 points; a heading names it "Exercise A · add(a, b)") and double
(test_double, 1 point; no heading: named after its function).
"""

from pathlib import Path

import nbformat
from dlkit_grader.sandbox import Sandbox
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SOLUTION = {
    "add": "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
    "double": "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
}
# Short limits keep the tests fast; the notebooks need far less.
LIMITS = Sandbox(cell_timeout=4, notebook_timeout=8, memory_mb=1024)
LIMIT_OPTIONS = ["--cell-timeout", "4", "--notebook-timeout", "8", "--memory-mb", "1024", "--workers", "2"]
CONFIG = """c = get_config()
c.CourseDirectory.course_id = "tiny-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"
"""


def _meta(grade_id, **flags):
    return {
        "nbgrader": {
            "grade": False,
            "solution": False,
            "locked": False,
            "grade_id": grade_id,
            "schema_version": 3,
            **flags,
        }
    }


def tiny_notebook(add=SOLUTION["add"], double=SOLUTION["double"], test_add=None):
    cells = [
        new_code_cell("import numpy as np", metadata=_meta("imports", locked=True)),
        new_markdown_cell(
            "### Exercise A · `add(a, b)` (2 points)\n\nAdd.", metadata=_meta("add_text", locked=True)
        ),
        new_code_cell(add, metadata=_meta("add", solution=True)),
        new_code_cell(
            test_add or "assert add(1, 2) == 3\nassert np.allclose(add(np.ones(2), 1), 2)",
            metadata=_meta("test_add", grade=True, locked=True, points=2),
        ),
        new_code_cell(double, metadata=_meta("double", solution=True)),
        new_code_cell(
            "assert double(4) == 8", metadata=_meta("test_double", grade=True, locked=True, points=1)
        ),
    ]
    return new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def submit(course: Path, student: str, nb) -> None:
    folder = course / "grading" / "submitted" / student / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "tiny.ipynb")


def make_course(folder: Path) -> Path:
    """The tiny course in `folder`: its nbgrader_config.py and solutions/tiny/tiny.ipynb."""
    (folder / "solutions" / "tiny").mkdir(parents=True)
    nbformat.write(tiny_notebook(), folder / "solutions" / "tiny" / "tiny.ipynb")
    (folder / "nbgrader_config.py").write_text(CONFIG)
    return folder
