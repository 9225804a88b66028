"""dlkit.grading shows a list of arrays (a network's weights) one array per line, whole (notebook 03)."""

import numpy as np
import pytest

from dlkit import grading


def forward(X, weights):
    for W in weights:
        X = X @ W
    return X


def forward_transposed(X, weights):
    for W in weights:
        X = X @ W.T
    return X


def test_a_list_of_weight_matrices_is_shown_one_array_per_line():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal((4, 2))]
    X = rng.standard_normal((2, 3))
    with pytest.raises(grading.CheckFailed) as failure:
        grading.check_function(forward_transposed, forward, [(X, weights)])
    message = str(failure.value)
    flat = " ".join(message.split())
    for i, shape in enumerate(("(3, 4)", "(4, 4)", "(4, 2)")):
        assert f"[{i}] [[" in flat and f"(shape {shape}, dtype float64)" in flat
    assert flat.index("[0] [[") < flat.index("[1] [[") < flat.index("[2] [[")
    assert all(len(line) <= grading.WIDTH and not line.endswith("...") for line in message.splitlines())


def test_other_lists_are_shown_as_before():
    assert grading._show([3, 4, 1]) == "[3, 4, 1]"
    assert grading._show([]) == "[]"
    assert grading._show((np.zeros(2), 1.0)).startswith("(array(")
