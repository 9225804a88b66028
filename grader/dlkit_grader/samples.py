"""Sample submissions: a released notebook answered from the instructor's solution.

What a student who solves every exercise hands in; the tests and the grading benchmark build their
classes from it.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbgrader.utils import is_solution

_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def grade_id(cell) -> str | None:
    """The nbgrader id of a cell, or None for a cell nbgrader does not track."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered_release(released: NotebookNode, solution: NotebookNode) -> NotebookNode:
    """A copy of `released` whose answer cells hold the solution's code, without the solution markers."""
    answers = {grade_id(c): c.source for c in solution.cells if is_solution(c)}
    notebook = copy.deepcopy(released)
    for cell in notebook.cells:
        if grade_id(cell) in answers:
            lines = answers[grade_id(cell)].splitlines()
            cell.source = "\n".join(line for line in lines if not line.strip().startswith(_MARKERS))
    return notebook
