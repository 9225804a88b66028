"""Student answers to the notebooks, to grade end to end through nbgrader (see test_student_corpus.py).

Each notebook NN_name has a module ``corpus_NN_name.py`` beside this one that defines

- ``POINTS``: test cell id -> points;
- ``ANSWERS``: a name -> `Answer`, written as students write them: legitimate styles (no ``fails``, so they
  must earn full marks) and typical mistakes (``fails`` names the test cells that must fail and words of
  their messages);
- optionally ``FORGERIES`` (answers that attack the grader, each graded alone) and ``USES`` (test cell id ->
  the exercises its check runs with the reference version, see `packs`).

A submission is the released notebook with every answer cell holding the instructor's solution, except the
cells an `Answer` replaces; ``"blank"`` is the release as it is. Answers that cannot interact share one
submission (`packs`): grading a notebook costs seconds, and the course's rule that one mistake costs only the
points of its own exercise is what makes the sharing sound (a test shows it when it is not).
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
        Path relative to the notebook's folder -> text, for files handed in beside the notebook (such an
        answer is graded alone).
    alone : bool
        Grade this answer in a submission of its own (it changes the kernel for every later cell).
    """

    cells: dict = field(default_factory=dict)
    fails: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    validate: bool = False
    absent: tuple = ()
    files: dict = field(default_factory=dict)
    alone: bool = False


def packs(answers, uses=None):
    """The names of `answers` in groups, each group graded as one submission holding all its answers.

    Two answers share a submission only if they cannot change each other's verdict or messages: they replace
    different cells, the test cells they make fail or print notes in are different, neither changes an
    exercise whose reference another's failing check runs (`uses`: test cell id -> exercise names), both or
    neither must fail validation, and neither is `alone` or hands in files.

    Parameters
    ----------
    answers : dict
        Name -> `Answer`, in the order to keep.
    uses : dict, optional
        Test cell id -> the exercises its check runs with their reference version (``uses=`` of
        ``check_function``).

    Returns
    -------
    list of list of str
        The groups, in order of their first answer.
    """
    uses = uses or {}

    def replaced_by_checks(answer):
        return {name for cell in answer.fails for name in uses.get(cell, ())}

    def interact(a, b):
        if a.alone or b.alone or a.files or b.files or a.validate != b.validate:
            return True
        return bool(set(a.cells) & set(b.cells)
                    or {*a.fails, *a.notes} & {*b.fails, *b.notes}
                    or replaced_by_checks(a) & set(b.cells) or replaced_by_checks(b) & set(a.cells))

    groups = []
    for name, answer in answers.items():
        group = next((group for group in groups
                      if not any(interact(answer, answers[other]) for other in group)), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    return groups


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


def submission(solved_notebook, answers):
    """`solved_notebook` with the cells of each of `answers` replaced by what the student wrote."""
    notebook = copy.deepcopy(solved_notebook)
    cells = {grade_id(cell): cell for cell in notebook.cells}
    for answer in answers:
        for cell_id, source in answer.cells.items():
            assert cell_id in cells, f"no cell {cell_id!r} in the notebook"
            cells[cell_id].source = source
    return notebook


def read(path):
    return nbformat.read(path, as_version=4)
