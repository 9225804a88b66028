"""Student answers to the notebooks, to grade end to end through nbgrader (see test_student_corpus.py).

Each notebook NN_name has a module ``corpus_NN_name.py`` beside this one that defines

- ``POINTS``: test cell id -> points;
- ``ANSWERS``: a name -> `Answer`, written as students write them: legitimate styles (no ``fails``, so they
  must earn full marks) and typical mistakes (``fails`` names the test cells that must fail and words of
  their messages).

A submission is the released notebook with every answer cell holding the instructor's solution, except the
cells an `Answer` replaces; ``"blank"`` is the release as it is.
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Answer:
    """One student's notebook.

    Attributes
    ----------
    cells : dict
        Answer cell id -> the source the student wrote instead of the solution.
    fails : dict
        Test cell id -> words its failure message must contain (whitespace-insensitive; a tuple of phrases
        when they are not adjacent). Every other test cell
        must pass, so the score is the total minus the points of these cells.
    notes : dict
        Test cell id -> words that cell prints although it passes (e.g. the note that an earlier exercise of
        the student's gives another result).
    validate : bool
        Also run ``nbgrader validate`` (command line and JupyterLab's Validate button): every cell of
        ``fails`` must already fail there, with the same words, in whole lines.
    absent : tuple of str
        Words that must appear in no message of this notebook (a hint the evidence does not support).
    files : dict
        Path relative to the notebook's folder -> text, for files handed in beside the notebook.
    """

    cells: dict = field(default_factory=dict)
    fails: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    validate: bool = False
    absent: tuple = ()
    files: dict = field(default_factory=dict)


def corpora():
    """Assignment name -> its corpus module, for every ``corpus_NN_name.py`` in tests/."""
    modules = {}
    for path in sorted(HERE.glob("corpus_*.py")):
        modules[path.stem.removeprefix("corpus_")] = importlib.import_module(path.stem)
    return modules


def flat(text):
    """`text` with its line wrapping undone: words separated by single spaces."""
    return " ".join(text.split())


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solved(released, solution):
    """The released notebook with every answer cell holding the instructor's solution (markers removed)."""
    answers = {grade_id(cell): cell.source for cell in solution.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = copy.deepcopy(released)
    for cell in notebook.cells:
        if grade_id(cell) in answers:
            lines = answers[grade_id(cell)].splitlines()
            cell.source = "\n".join(line for line in lines if line.strip() not in
                                    ("### BEGIN SOLUTION", "### END SOLUTION"))
    return notebook


def submission(solved_notebook, answer):
    """`solved_notebook` with the cells of `answer` replaced by what the student wrote."""
    notebook = copy.deepcopy(solved_notebook)
    cells = {grade_id(cell): cell for cell in notebook.cells}
    for cell_id, source in answer.cells.items():
        assert cell_id in cells, f"no cell {cell_id!r} in the notebook"
        cells[cell_id].source = source
    return notebook


def read(path):
    return nbformat.read(path, as_version=4)
