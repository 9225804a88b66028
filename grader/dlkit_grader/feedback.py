"""The feedback a student receives: each test cell's points and failure message, never the test code.

nbgrader's ``generate_feedback`` renders the autograded notebook as it is, so the hidden tests (and every
traceback line that quotes them) would reach the student. `HideTests`, added to nbgrader's feedback
pipeline by `feedback_preprocessors` (the course's nbgrader_config.py and the class grader both use it),
replaces each test cell's code by one line and keeps of its outputs only the errors' messages.
"""

from __future__ import annotations

import nbformat
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor

from .trusted import is_test_cell

__all__ = ["HideTests", "feedback_preprocessors"]

PLACEHOLDER = "# The checks of this exercise ran here (their code is not part of the feedback)."


class HideTests(NbGraderPreprocessor):
    """Test cells keep their points (nbgrader's GetGrades put them in the metadata) and error messages."""

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            cell.source = PLACEHOLDER
            cell.outputs = [
                _message_only(output) for output in cell.get("outputs", []) if output.output_type == "error"
            ]
        return cell, resources


def _message_only(error):
    text = error.evalue if error.ename == "CheckFailed" else f"{error.ename}: {error.evalue}"
    return nbformat.v4.new_output("error", ename=error.ename, evalue=error.evalue, traceback=[text])


def feedback_preprocessors():
    """nbgrader's feedback preprocessors with `HideTests` right after the grades are read."""
    default = GenerateFeedback.class_traits()["preprocessors"].default()
    position = default.index(GetGrades) + 1
    return [*default[:position], HideTests, *default[position:]]
