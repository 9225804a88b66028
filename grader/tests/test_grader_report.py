"""The class report: exercises named as the notebook names them, the problem behind the commonest failure,
pass rates and means, and a histogram that counts whole students."""

import csv

import pytest
from dlkit_grader import report
from dlkit_grader.messages import problem
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_output
from tiny_course import tiny_notebook

CHECK_MESSAGE = (
    "step is not right yet.\n"
    "  problem: it returned booleans (True/False) where numbers were expected.\n"
    "  input z = [-2. ,  0.5] (shape (2,), dtype float64)\n"
    "  expected: [0., 1.] (shape (2,), dtype float64)\n"
    "  got:      [False,  True] (shape (2,), dtype bool)\n"
    "  hint: turn the condition into numbers: np.where(condition, 1.0, 0.0) or condition.astype(float)."
)


def _failed(ename, evalue):
    return new_code_cell("check()", outputs=[new_output("error", ename=ename, evalue=evalue, traceback=[])])


@pytest.mark.parametrize(
    "ename, evalue, expected",
    [
        ("AssertionError", CHECK_MESSAGE, "it returned booleans (True/False) where numbers were expected."),
        (
            "AssertionError",
            "step stopped with an error.\n  error: TypeError: bad operand\n  hint: the traceback above ...",
            "TypeError: bad operand",
        ),
        (
            "AssertionError",
            "step is not written yet.\n  hint: replace `raise NotImplementedError()`",
            "step is not written yet.",
        ),
        ("NameError", "name 'np' is not defined", "NameError: name 'np' is not defined"),
        (
            "KernelDied",
            "the kernel died while running this cell (exit code 3)",
            "KernelDied: the kernel died while running this cell (exit code 3)",
        ),
    ],
)
def test_the_problem_is_the_diagnosis_not_the_headline(ename, evalue, expected):
    assert problem(_failed(ename, evalue)) == expected


def test_a_cell_without_error_has_no_problem():
    assert problem(new_code_cell("x = 1", outputs=[new_output("stream", text="fine\n")])) == ""


def test_exercises_are_named_as_the_notebook_names_them():
    names = report.exercise_names(tiny_notebook())
    assert names == {
        "test_add": "Exercise A · add(a, b)",
        "test_double": "double",
    }  # no heading: its function


def _result(student, score, problem_text, max_score=2.0):
    return {
        "student": student,
        "name": "",
        "assignment": "a",
        "score": score,
        "max_score": max_score,
        "reasons": [],
        "tampering": [],
        "cells": {"nb": {"t": {"score": score, "max_score": max_score, "problem": problem_text}}},
    }


RESULTS = [
    _result("s1", 2.0, ""),
    _result("s2", 0.0, "it returned booleans"),
    _result("s3", 0.0, "it returned booleans"),
    _result("s4", 1.0, "the bias b is missing"),
    _result("s5", 0.0, report.NOT_GRADED),
    _result("s6", 0.0, report.NOT_GRADED),
    _result("s7", 0.0, report.NOT_GRADED),
]


def test_exercise_rows_give_pass_rate_mean_and_the_commonest_problem():
    (row,) = report.exercise_rows(RESULTS, {("a", "nb", "t"): "Exercise 1 · step(z)"})
    assert (row["exercise"], row["test_cell"], row["students"]) == ("Exercise 1 · step(z)", "t", 7)
    assert (row["pass_rate"], row["mean_score"]) == (round(1 / 7, 3), round(3 / 7, 3))
    # Notebooks that could not be graded are counted apart: their problem is not the exercise.
    assert (row["most_common_problem"], row["problem_count"], row["not_graded"]) == (
        "it returned booleans",
        2,
        3,
    )


def test_report_files(tmp_path):
    paths = report.write_report(RESULTS, {}, tmp_path)
    with open(paths["exercises"], newline="") as handle:
        assert list(csv.DictReader(handle))[0]["most_common_problem"] == "it returned booleans"
    with open(paths["students"], newline="") as handle:
        assert [row["student"] for row in csv.DictReader(handle)] == [f"s{k}" for k in range(1, 8)]
    assert paths["plot"].stat().st_size > 5_000


def test_the_histogram_counts_whole_students(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(Figure, "savefig", lambda figure, *args, **kwargs: drawn.append(figure))
    results = [_result(f"s{k}", score, "", max_score=10.0) for k, score in enumerate([10, 10, 9.5, 7, 3])]
    report.plot(results, report.exercise_rows(results, {}), tmp_path / "plot.png")
    histogram = drawn[0].axes[0]
    ticks = [t for t in histogram.get_yticks() if histogram.get_ylim()[0] <= t <= histogram.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    heights = [patch.get_height() for patch in histogram.patches]
    assert sum(heights) == 5 and all(float(h).is_integer() for h in heights)
