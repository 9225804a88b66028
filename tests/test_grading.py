"""dlkit.grading: every problem a check can report gets its own words, and calling the reference fails."""

import re
import sys

import numpy as np
import pytest

import dlkit
import dlkit.activations as act
from dlkit import activations, grading, nn
from dlkit.activations import step as heaviside


def _flat(message):
    """The message with its line wrapping undone (words separated by single spaces)."""
    return " ".join(message.split())


def _failure(got, expected, **kwargs):
    """The message check_close raises for `got` (it must raise), unwrapped."""
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_close("f(z)", got, expected, **kwargs)
    return _flat(str(info.value))


EXPECTED = np.array([0.5, -1.0, 2.0])


# --- check_close: one message per problem -------------------------------------------------------

@pytest.mark.parametrize(
    ("got", "expected", "words"),
    [
        (None, EXPECTED, "returned None"),
        ([0.5, -1.0, 2.0], EXPECTED, "Python list, not a NumPy array"),
        ((0.5, -1.0, 2.0), EXPECTED, "Python tuple, not a NumPy array"),
        ("0.5 -1 2", EXPECTED, "returned a str, not a NumPy array"),
        (np.array([True, False, True]), np.array([1.0, 0.0, 1.0]), "booleans (True/False)"),
        (np.array(["a", "b", "c"]), EXPECTED, "dtype <U1, expected real numbers"),
        (np.array([0.5, -1.0, 2.0]) + 0j, EXPECTED, "expected real numbers"),
        (EXPECTED[:, None], EXPECTED, "wrong shape: expected (3,), got (3, 1)"),
        (np.array([0.5, np.nan, 2.0]), EXPECTED, "NaN (not a number) in 1 place(s)"),
        (-EXPECTED, EXPECTED, "the wrong sign"),
        (EXPECTED - 0.25, EXPECTED, "every value is off by the same amount (-0.25)"),
        (np.array([0.5, -1.0, 2.5]), EXPECTED, "1 of 3 value(s) differ; the largest difference is 0.5 at"),
    ],
)
def test_each_problem_has_its_own_words(got, expected, words):
    assert words in _failure(got, expected)


def test_the_message_shows_input_expected_got_and_one_hint():
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_close("f(z)", np.array([1.0, 1.0]), np.array([0.0, 1.0]),
                            inputs={"z": np.array([0.0, 2.0])}, hint="step(0) is 0.")
    lines = str(info.value).splitlines()
    assert lines[0] == "f(z) is not right yet."
    assert lines[1] == "  problem: 1 of 2 value(s) differ; the largest difference is 1 at index (0,)."
    assert lines[2] == "  input z = [0., 2.] (shape (2,), dtype float64)"
    assert lines[3] == "  expected: [0., 1.] (shape (2,), dtype float64)"
    assert lines[4] == "  got:      [1., 1.] (shape (2,), dtype float64)"
    assert lines[5] == "  hint: step(0) is 0."
    assert len(lines) == 6


def test_every_line_fits_nbgraders_validate_output():
    """nbgrader validate indents by 4 and cuts lines at 87 characters: nothing of the message is lost."""
    long_input = np.linspace(-3.0, 3.0, 40).reshape(5, 8)
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_close("perceptron_output(X, w, b, activation)", long_input + 1.0, long_input,
                            inputs={"X": long_input, "a_rather_long_argument_name": long_input},
                            hint="compute z = b + X @ w (shape (n,)), then return activation(z); " * 3)
    lines = str(info.value).splitlines()
    assert max(len(line) for line in lines) <= grading.WIDTH
    assert _flat(str(info.value)).count("then return activation(z);") == 3


def test_a_specific_problem_brings_its_own_hint_instead_of_the_callers():
    message = _failure([0.5, -1.0, 2.0], EXPECTED, hint="the caller's hint")
    assert "np.asarray" in message and "the caller's hint" not in message


def test_a_constant_offset_is_stated_without_guessing_its_cause():
    """The same offset everywhere is a fact; a missing bias is only one of its causes (no bias hint)."""
    message = _failure(EXPECTED + 1.0, EXPECTED, hint="the caller's hint")
    assert "every value is off by the same amount (1)" in message
    assert "bias" not in message and "hint: the caller's hint" in message


def test_two_values_off_by_the_same_amount_are_not_called_an_offset():
    """Two equal weights (the AND gate) differ by the same amount for many reasons."""
    assert "same amount" not in _failure(np.array([2.0, 2.0]), np.array([1.0, 1.0]))


def test_a_list_of_the_wrong_length_says_how_long_it_should_be_and_why():
    def reference(epochs):
        return [0] * epochs

    def student(epochs):
        return [0] * (epochs - 1)

    message = _function_failure(student, reference, [(4,)], length_hint="one count per epoch")
    assert "it returned 3 values; expected 4." in message and "hint: one count per epoch" in message


@pytest.mark.parametrize(
    ("got", "words"),
    [
        (np.ones((3, 2)), "transposed"),
        (np.ones((1, 6)), "extra axis of length 1"),
        (np.ones((2, 2)), "which axis you sum"),
    ],
)
def test_shape_hints(got, words):
    message = _failure(got, np.ones((2, 3)))
    assert "wrong shape: expected (2, 3)" in message and words in message


def test_shapes_are_compared_although_numpy_would_broadcast():
    assert "wrong shape" in _failure(np.zeros((1, 3)), np.zeros(3))
    assert "wrong shape" in _failure(np.float64(0.0), np.zeros(1))


def test_nan_is_accepted_where_nan_is_expected():
    grading.check_close("f(z)", np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))


def test_a_single_value_off_is_not_called_a_bias_problem():
    assert "off by the same amount" not in _failure(np.array([1.5]), np.array([1.0]))


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.array([0.1, 0.2]) + 1e-12, np.array([0.1, 0.2])),  # float64 rounding
        (np.float32([1.0, 3.0]) * np.float32(1 + 2e-6), np.float32([1.0, 3.0])),  # float32 rounding
        (np.array([0, 1]), np.array([0.0, 1.0])),  # integers for floats
        (np.float64(2.5), 2.5),  # a NumPy scalar where a number is expected
        (np.array(2.5), 2.5),  # a 0-d array where a number is expected
        (np.array([3, 1, 0]), [3, 1, 0]),  # an array where a list is expected
        ((3, 1, 0), [3, 1, 0]),
    ],
)
def test_equal_values_pass(got, expected):
    grading.check_close("f(z)", got, expected)


def test_float32_results_get_a_float32_tolerance_but_float64_ones_do_not():
    grading.check_close("f", np.float32([1.0]) + np.float32(3e-6), np.float32([1.0]))
    assert "differ" in _failure(np.array([1.0 + 3e-6]), np.array([1.0]))


def test_a_list_where_a_number_is_expected_is_a_shape_problem():
    assert "wrong shape: expected (), got (1,)" in _failure([2.5], 2.5)


def test_booleans_are_fine_where_booleans_are_expected():
    grading.check_close("f", np.array([True, False]), np.array([True, False]))


# --- check_function ----------------------------------------------------------------------------

Z = np.array([-1.0, 0.0, 2.0])


def _function_failure(student, reference=activations.step, cases=((Z,),), **kwargs):
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_function(student, reference, list(cases), **kwargs)
    return _flat(str(info.value))


def good_step(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def test_a_correct_function_passes_on_random_arrays_of_several_shapes_and_dtypes():
    arrays = grading.random_arrays(np.random.default_rng(0))
    assert {a.shape for a in arrays} == {(5,), (3, 4), (2, 3, 4)}
    assert {a.dtype.name for a in arrays} == {"float64", "float32", "int64"}
    assert any(np.any(a == 0) for a in arrays if a.dtype == np.int64)
    grading.check_function(good_step, activations.step, [(a,) for a in arrays])


def test_the_failure_names_the_function_and_its_input():
    def step(z):
        return np.where(np.asarray(z) >= 0, 1.0, 0.0)

    message = _function_failure(step, hint="step(0) = 0.")
    assert message.startswith("step is not right yet. problem: 1 of 3 value(s) differ")
    assert "input z = [-1., 0., 2.]" in message and "hint: step(0) = 0." in message


def test_booleans_from_the_student_are_refused():
    def step(z):
        return np.asarray(z) > 0

    assert "booleans (True/False)" in _function_failure(step)


def test_an_unwritten_exercise_says_so():
    def step(z):
        raise NotImplementedError()

    message = _function_failure(step)
    assert message.startswith("step is not written yet. ")
    assert "replace `raise NotImplementedError()` with your code" in message


def test_an_exception_in_the_students_code_is_reported_with_the_input():
    def step(z):
        return z.nonexistent

    expected = re.escape("step stopped with an error.\n  error: AttributeError")
    with pytest.raises(grading.CheckFailed, match=expected) as info:
        grading.check_function(step, activations.step, [(np.zeros(2),)])
    assert "input z = [0., 0.]" in str(info.value)
    assert "where: in step, line" in str(info.value) and "return z.nonexistent" in str(info.value)


def returns_the_reference(z):
    return activations.step(z)


def returns_the_alias(z):
    return heaviside(z)


def returns_the_module_alias(z):
    return act.step(z)


def returns_the_full_path(z):
    return dlkit.activations.step(z)


def hides_it_in_a_helper(z):
    return returns_the_alias(z)


def hides_it_in_a_comprehension(z):
    return np.array([float(heaviside(np.array(v))) for v in z])


def imports_it_inside(z):
    from dlkit.activations import step as s

    return s(z)


@pytest.mark.parametrize(
    "student",
    [returns_the_reference, returns_the_alias, returns_the_module_alias, returns_the_full_path,
     hides_it_in_a_helper, hides_it_in_a_comprehension, imports_it_inside],
)
def test_a_function_that_calls_the_reference_fails(student):
    message = _function_failure(student)
    assert message.startswith(f"{student.__name__} calls dlkit's answer instead of computing its own.")
    assert "it calls `dlkit.activations.step`, the reference the checks compare with" in message


def test_the_reference_itself_under_the_students_name_fails():
    step = activations.step
    assert "it calls `dlkit.activations.step`" in _function_failure(step)


def test_a_closure_over_the_reference_fails():
    reference = activations.step

    def student(z):
        return reference(z)

    assert "calls dlkit's answer" in _function_failure(student)


def test_the_trap_is_removed_after_the_call():
    original = activations.step
    _function_failure(imports_it_inside)
    assert activations.step is original and heaviside is original
    np.testing.assert_array_equal(activations.step(np.array([-1.0, 1.0])), [0.0, 1.0])


def test_other_dlkit_functions_may_be_used():
    def output(X, w, b, g):
        return activations.sigmoid(b + X @ w)

    def reference(X, w, b, g):
        return g(b + X @ w)

    grading.check_function(output, reference, [(np.ones((2, 2)), np.ones(2), 0.5, activations.sigmoid)])


def test_a_forbidden_class_is_caught_too():
    def train(X, y):
        return nn.Perceptron(2).fit(X, y).w

    def reference(X, y):
        return np.zeros(2)

    message = _function_failure(train, reference, [(np.eye(2), np.array([0, 1]))], forbidden=(nn.Perceptron,))
    assert "`dlkit.nn.Perceptron`" in message


def test_a_known_mistake_gets_its_hint():
    def output(X, w, b, g):
        return g(X @ w)

    def reference(X, w, b, g):
        return g(b + X @ w)

    mistakes = {"the bias b is missing.": lambda X, w, b, g: g(X @ w)}
    message = _function_failure(output, reference, [(np.ones((2, 2)), np.ones(2), 0.5, activations.sigmoid)],
                                mistakes=mistakes, hint="general hint")
    assert "hint: the bias b is missing." in message and "general hint" not in message


def test_several_outputs_are_checked_one_by_one():
    def reference(x):
        return np.array([x, x]), float(x), [1, 0]

    def right(x):
        return np.array([x, x]), float(x), [1, 0]

    def wrong_b(x):
        return np.array([x, x]), x + 1.0, [1, 0]

    def two_values(x):
        return np.array([x, x]), float(x)

    grading.check_function(right, reference, [(2.0,)], output_names=("w", "b", "mistakes"))
    message = _function_failure(wrong_b, reference, [(2.0,)], output_names=("w", "b", "mistakes"))
    assert message.startswith("wrong_b, output b is not right yet.")
    message = _function_failure(two_values, reference, [(2.0,)], output_names=("w", "b", "mistakes"))
    assert "it should return 3 values (w, b, mistakes), it returned 2" in message
    assert "return w, b, mistakes" in message


def test_student_and_reference_get_equal_copies_of_generators():
    def reference(x, rng):
        return x + rng.permutation(3)

    def student(x, rng):
        return x + rng.permutation(3)

    rng = np.random.default_rng(5)
    grading.check_function(student, reference, [(np.zeros(3), rng)])
    assert rng.bit_generator.state == np.random.default_rng(5).bit_generator.state


def output_in_place(X, w, b, g):
    X *= w  # right values, but the caller's X is gone
    return g(b + X.sum(axis=1))


def output_with_in_place_exp(X, w, b, g):
    z = X @ w
    np.exp(w, out=w)
    return g(b + z)


@pytest.mark.parametrize(("student", "argument"),
                         [(output_in_place, "`X`"), (output_with_in_place_exp, "`w`")])
def test_an_argument_modified_in_place_is_refused_by_name_although_the_result_is_right(student, argument):
    def reference(X, w, b, g):
        return g(b + X @ w)

    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    message = _function_failure(student, reference, [(X, np.array([0.5, -2.0]), 0.25, activations.sigmoid)])
    assert f"it changed its input {argument} in place" in message and "x = x.copy()" in message
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, -1.0]])  # the test's own arrays are never touched


def test_an_earlier_exercise_is_replaced_by_its_reference_so_a_mistake_costs_once(capsys):
    namespace = {"np": np}
    exec(
        "def step(z):\n"
        "    return np.where(np.asarray(z) >= 0, 1.0, 0.0)  # the student's step, wrong at 0\n"
        "def count_on(z):\n"
        "    return float(np.sum(step(z)))\n",
        namespace,
    )

    def reference(z):
        return float(np.sum(activations.step(z)))

    grading.check_function(namespace["count_on"], reference, [(np.array([-1.0, 0.0, 2.0]),)],
                           uses={"step": activations.step})
    assert namespace["step"](np.array([0.0])) == 1.0  # the student's own step is back after the check
    note = _flat(capsys.readouterr().out)
    assert "count_on passes with dlkit's step; with your own step it gives another result" in note


def test_a_failure_with_the_reference_in_place_says_the_earlier_exercise_is_not_counted_again():
    namespace = {"np": np}
    exec("def step(z):\n    return 1.0 * (z > 0)\n"
         "def count_on(z):\n    return float(np.sum(step(z))) + 1.0\n", namespace)
    message = _function_failure(namespace["count_on"], lambda z: float(np.sum(activations.step(z))),
                                uses={"step": activations.step})
    assert "note: this check runs your code with dlkit's `step` in place of yours" in message


def test_no_note_when_the_students_own_earlier_exercise_agrees(capsys):
    namespace = {"np": np}
    exec("def step(z):\n    return 1.0 * (z > 0)\n"
         "def count_on(z):\n    return float(np.sum(step(z)))\n", namespace)
    grading.check_function(namespace["count_on"], lambda z: float(np.sum(activations.step(z))), [(Z,)],
                           uses={"step": activations.step})
    assert capsys.readouterr().out == ""


def test_dtype_is_checked_when_asked():
    def promotes(z):
        return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))

    z32 = np.array([0.5, -1.0], dtype=np.float32)
    grading.check_function(promotes, activations.sigmoid, [(z32,)])
    message = _function_failure(promotes, activations.sigmoid, [(z32,)], check_dtype=True)
    assert "the values are right but their dtype is float64; expected float32" in message


def test_ipython_shows_the_message_without_a_traceback():
    """In Jupyter a failed check's error output is the message alone (no frames of dlkit/grading.py)."""
    shown = []

    class Shell:
        custom_exceptions = ()

        def set_custom_exc(self, exc_tuple, handler):
            self.custom_exceptions, self.handler = exc_tuple, handler

        def _showtraceback(self, etype, value, stb):
            shown.append((etype, stb))

    shell = Shell()
    ipython = type(sys)("IPython")
    ipython.get_ipython = lambda: shell
    original = sys.modules.get("IPython")
    sys.modules["IPython"] = ipython
    try:
        grading._register_with_ipython()
    finally:
        if original is None:
            del sys.modules["IPython"]
        else:
            sys.modules["IPython"] = original
    assert shell.custom_exceptions == (grading.CheckFailed,)
    error = grading.CheckFailed("step is not right yet.\n  problem: it returned None.")
    shell.handler(shell, grading.CheckFailed, error, None)
    message = "CheckFailed: step is not right yet.\n  problem: it returned None."
    assert shown == [(grading.CheckFailed, [message])]


def test_rebinding_numpy_comparisons_after_import_does_not_make_a_wrong_answer_pass(monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda *args, **kwargs: np.ones(np.shape(args[0]), dtype=bool))
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "all", lambda *args, **kwargs: True)
    with pytest.raises(AssertionError, match="differ"):
        grading.check_close("step", np.array([1.0, 0.0]), np.array([0.0, 0.0]))


# --- every route to the reference is refused -----------------------------------------------------

def _through_partial():
    import functools

    return functools.partial(getattr(__import__("dlkit.activations", fromlist=["x"]), "st" + "ep"))


_PARTIAL = _through_partial()


def through_partial(z):
    return _PARTIAL(z)


_NAME = "".join(["s", "t", "e", "p"])


def through_default_argument(z, _hidden=vars(activations)[_NAME]):  # noqa: B008  (the trick itself)
    return _hidden(z)


def through_gc(z):
    import gc

    for obj in gc.get_objects():
        try:
            found = obj.__qualname__ == "step" and "dlkit" in (obj.__module__ or "")
        except Exception:  # noqa: BLE001  (lazy objects raise on attribute access)
            continue
        if found:
            return obj(z)
    return None


def catches_the_trap(z):
    try:
        return _PARTIAL(z)
    except Exception:
        return np.where(np.asarray(z) > 0, 1.0, 0.0)


@pytest.mark.parametrize("student", [through_partial, through_default_argument, through_gc, catches_the_trap])
def test_the_reference_reached_by_any_route_is_refused(student):
    message = _function_failure(student)
    assert message.startswith(f"{student.__name__} calls dlkit's answer instead of computing its own.")
    assert "dlkit.activations.step" in message
    np.testing.assert_array_equal(activations.step(np.array([-1.0, 1.0])), [0.0, 1.0])  # restored


def test_a_forbidden_class_is_refused_through_an_instance_made_before_the_check():
    made_before = nn.Perceptron(2, rng=np.random.default_rng(0))

    def train(X, y):
        return made_before.fit(X, y, lr=1.0, epochs=2).w

    message = _function_failure(train, lambda X, y: np.zeros(2), [(np.eye(2), np.array([0.0, 1.0]))],
                                forbidden=(nn.Perceptron,))
    assert "`dlkit.nn.Perceptron`" in message
    assert made_before.fit(np.eye(2), np.array([0.0, 1.0]), lr=1.0, epochs=1) is made_before  # restored
