"""Checks that the notebooks' test cells call.

`check_function` runs a student's function and dlkit's reference on the same inputs and
compares the results; `check_close` compares one result with the value it should have.
A failed check raises an AssertionError whose message is written for a student at 2 a.m.:
the input, what was expected, what came back, and one hint. The common mistakes (a
Python list, booleans, a wrong shape, NaN, a sign error, a constant offset such as a
missing bias) each get their own words. A function that merely calls the reference it
is compared with fails with a message saying so.

The checks depend on nothing but their arguments, so they behave the same in
JupyterLab and under ``nbgrader autograde``.
"""

from __future__ import annotations

import copy
import inspect
import sys
import types
from contextlib import contextmanager

import numpy as np

__all__ = ["check_close", "check_function", "random_arrays"]

# Taken when the notebook's first cell imports this module, before any student code runs: a student cell
# that rebinds np.isclose, np.allclose, np.all or np.any cannot change how answers are compared.
_isclose, _allclose, _isnan, _all, _any = np.isclose, np.allclose, np.isnan, np.all, np.any


def check_close(name, got, expected, inputs=None, hint=None, rtol=None, atol=1e-9):
    """Raise an AssertionError that a student can act on unless `got` equals `expected`.

    Parameters
    ----------
    name : str
        What was computed, as the student would write it, e.g. ``"step(z)"``.
    got : object
        What the student's code returned.
    expected : ndarray, number or list
        The right answer. An ndarray asks for an ndarray of the same shape; a number or a
        list accepts any array-like of numbers with the same values.
    inputs : dict, optional
        Argument name -> value, shown in the message.
    hint : str, optional
        What to check when the values are simply wrong (specific problems such as a wrong
        shape bring their own hint).
    rtol, atol : float
        Tolerances of ``np.isclose``; rtol defaults to 1e-5 for float32/float16 results
        and 1e-7 otherwise.
    """
    __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks: the message says it all
    problem = _diagnose(got, expected, rtol, atol)
    if problem is not None:
        raise AssertionError(_message(name, problem, got, expected, inputs, hint))


def check_function(student_fn, reference_fn, cases, *, name=None, output_names=None, forbidden=None,
                   mistakes=None, hint=None, rtol=None, atol=1e-9):
    """Check `student_fn` against `reference_fn` on every case of `cases`.

    Parameters
    ----------
    student_fn, reference_fn : callable
        The student's function and the reference it must agree with.
    cases : list of tuple
        Positional arguments, one tuple per call. Each function gets its own deep copy,
        so in-place changes and random generators do not leak from one call to the other.
    name : str, optional
        The exercise's name in messages (default: ``student_fn.__name__``).
    output_names : tuple of str, optional
        For functions that return several values, their names, e.g. ``("w", "b", "mistakes")``.
    forbidden : tuple, optional
        dlkit functions or classes the student may not call (default: ``(reference_fn,)``).
    mistakes : dict, optional
        Hint -> function computing a known wrong answer from the same arguments; when the
        student's result equals one of them, that hint is shown.
    hint : str, optional
        Shown when the values are wrong and no specific problem or mistake explains it.
    rtol, atol : float
        Tolerances, as in `check_close`.
    """
    __tracebackhide__ = True
    name = name or getattr(student_fn, "__name__", "your function")
    forbidden = (reference_fn,) if forbidden is None else tuple(forbidden)
    culprit = _calls_forbidden(student_fn, forbidden)
    if culprit is not None:
        raise AssertionError(_refusal(name, culprit))
    arg_names = _argument_names(student_fn)
    for args in cases:
        inputs = dict(zip(arg_names, args, strict=False))
        expected = reference_fn(*copy.deepcopy(args))
        got = _call(student_fn, copy.deepcopy(args), name, forbidden, inputs)
        pairs = _split_outputs(name, got, expected, output_names, inputs)
        for output_name, got_value, expected_value in pairs:
            problem = _diagnose(got_value, expected_value, rtol, atol)
            if problem is None:
                continue
            for mistake_hint, mistake_fn in (mistakes or {}).items():
                wrong = mistake_fn(*copy.deepcopy(args))
                if output_name is not None:
                    wrong = wrong[output_names.index(output_name)]
                if _diagnose(got_value, wrong, rtol, atol) is None:
                    problem = (problem[0], mistake_hint)
                    break
            label = name if output_name is None else f"{name}, output {output_name}"
            raise AssertionError(_message(label, problem, got_value, expected_value, inputs, hint))


def random_arrays(rng, shapes=((5,), (3, 4), (2, 3, 4)), dtypes=("float64", "float32", "int64"), scale=3.0):
    """Random test arrays, one per (shape, dtype) pair, drawn from the Generator `rng`.

    Values are normal with standard deviation `scale`; integer arrays are those values
    truncated, so they contain zeros.
    """
    return [(scale * rng.standard_normal(shape)).astype(dtype) for shape in shapes for dtype in dtypes]


# --- diagnosis ------------------------------------------------------------------------------

def _diagnose(got, expected, rtol, atol):
    """None when `got` matches `expected`, else (what is wrong, one hint)."""
    if got is None:
        return ("it returned None.", "is the `return` statement missing?")
    if isinstance(expected, np.ndarray):
        if isinstance(got, (list, tuple)):
            return (f"it returned a Python {type(got).__name__}, not a NumPy array.",
                    "compute the result with NumPy operations on whole arrays (no list building), "
                    "or wrap it: np.asarray(result).")
        if not isinstance(got, (np.ndarray, np.generic)):
            return (f"it returned a {type(got).__name__}, not a NumPy array.",
                    "compute the result with NumPy operations on the input array.")
    try:
        got_array = np.asarray(got)
    except (ValueError, TypeError):
        got_array = np.asarray(got, dtype=object)
    expected_array = np.asarray(expected)
    if got_array.dtype == bool and expected_array.dtype != bool:
        return ("it returned booleans (True/False) where numbers were expected.",
                "turn the condition into numbers: np.where(condition, 1.0, 0.0) or condition.astype(float).")
    numeric = np.issubdtype(got_array.dtype, np.number) or got_array.dtype == bool
    if not numeric or np.iscomplexobj(got_array):
        return (f"it returned values of dtype {got_array.dtype}, expected real numbers "
                f"(dtype {expected_array.dtype}).",
                "return numbers, not strings, objects or nested lists of different lengths.")
    if got_array.shape != expected_array.shape:
        return (f"wrong shape: expected {expected_array.shape}, got {got_array.shape}.",
                _shape_hint(got_array, expected_array))
    got_nan, expected_nan = _isnan(got_array), _isnan(expected_array)
    if _any(got_nan & ~expected_nan):
        return (f"it contains NaN (not a number) in {int(np.sum(got_nan & ~expected_nan))} place(s).",
                "NaN comes from 0/0, inf - inf, inf * 0 or the log/sqrt of a negative number; "
                "look for an overflow (exp of a large number) or a division by zero.")
    if rtol is None:
        rtol = 1e-5 if expected_array.dtype in (np.float32, np.float16) else 1e-7
    close = _isclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True)
    if _all(close):
        return None
    if _any(expected_array != 0) and _allclose(got_array, -expected_array, rtol=rtol, atol=atol):
        return ("the values have the right size but the wrong sign.",
                "look for a minus sign that should be a plus (or the other way round).")
    difference = got_array.astype(float) - expected_array.astype(float)
    if difference.size > 1 and _allclose(difference, difference.flat[0], rtol=0.0, atol=max(atol, 1e-12)):
        return (f"every value is off by the same amount ({difference.flat[0]:.4g}).",
                "a constant term is missing or counted twice: is the bias b added exactly once?")
    worst = np.unravel_index(int(np.argmax(np.where(close, 0.0, np.abs(difference)))), difference.shape)
    where = f" at index {tuple(int(i) for i in worst)}" if difference.ndim else ""
    return (f"{int(np.sum(~close))} of {close.size} value(s) differ; the largest difference is "
            f"{abs(float(difference[worst])):.4g}{where}.", None)


def _shape_hint(got, expected):
    if got.size == expected.size:
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            return "the result is transposed: check the order of the factors in the matrix product."
        return ("same number of values, different layout: look for an extra axis of length 1 "
                "(keepdims=True, a column vector) or a reshape.")
    return "check which axis you sum or multiply over, and that every input is used with its own shape."


def _message(name, problem, got, expected, inputs, hint):
    what, specific_hint = problem
    lines = [f"{name} is not right yet.", f"  problem: {what}"]
    for arg, value in (inputs or {}).items():
        lines.append(f"  input {arg} = {_show(value)}")
    lines.append(f"  expected: {_show(expected)}")
    lines.append(f"  got:      {_show(got)}")
    chosen = specific_hint or hint
    if chosen:
        lines.append(f"  hint: {chosen}")
    return "\n".join(lines)


def _show(value):
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=20, edgeitems=3, separator=", ")
        return f"{text.replace(chr(10), ' ')} (shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    if isinstance(value, np.random.Generator):
        return "a numpy.random.Generator"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


# --- running the student's function ---------------------------------------------------------

def _argument_names(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _call(fn, args, name, forbidden, inputs):
    __tracebackhide__ = True
    try:
        with _trapped(forbidden, fn):
            return fn(*args)
    except _ReferenceCalled as called:
        raise AssertionError(_refusal(name, called.target)) from None
    except NotImplementedError:
        raise AssertionError(
            f"{name} is not written yet.\n"
            "  hint: replace `raise NotImplementedError()` with your code, then run its cell."
        ) from None
    except Exception as error:
        shown = "".join(f"\n  input {arg} = {_show(value)}" for arg, value in inputs.items())
        raise AssertionError(
            f"{name} stopped with an error.\n  error: {type(error).__name__}: {error}{shown}\n"
            "  hint: the traceback above points at the line of your code that failed."
        ) from error


def _split_outputs(name, got, expected, output_names, inputs):
    """(output name, got, expected) triples: one per returned value."""
    __tracebackhide__ = True
    if output_names is None:
        return [(None, got, expected)]
    if not isinstance(got, (tuple, list)) or len(got) != len(output_names):
        count = len(got) if isinstance(got, (tuple, list)) else 1
        raise AssertionError(_message(name, (f"it should return {len(output_names)} values "
                                             f"({', '.join(output_names)}), it returned {count}.",
                                             f"end with: return {', '.join(output_names)}"),
                                      got, expected, inputs, None))
    return list(zip(output_names, got, expected, strict=True))


def _refusal(name, target):
    return (f"{name} calls dlkit's answer instead of computing its own.\n"
            f"  problem: it calls `{_qualified(target)}`, the reference the checks compare with, "
            "so the checks would prove nothing.\n"
            "  hint: write the computation yourself with NumPy.")


def _qualified(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', obj))}"


class _ReferenceCalled(Exception):
    def __init__(self, target):
        super().__init__(_qualified(target))
        self.target = target


def _calls_forbidden(fn, forbidden):
    """The forbidden object that `fn` (or a function of the notebook it calls) refers to by name, or None.

    Follows global names, closures and attribute chains on modules (``activations.step``,
    ``dlkit.nn.Perceptron``), so aliases such as ``from dlkit.activations import step as s`` are seen.
    """
    if any(fn is target for target in forbidden):  # e.g. `step = activations.step`
        return fn
    seen, pending = set(), [fn]
    while pending:
        function = pending.pop()
        code = getattr(function, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        names = _names_used(code)
        namespace = dict(getattr(function, "__globals__", {}))
        free = zip(code.co_freevars, function.__closure__ or (), strict=False)
        namespace.update({var: cell.cell_contents for var, cell in free if _has_contents(cell)})
        reached = [namespace[n] for n in names if n in namespace]
        for obj in reached:  # attribute chains on modules: reached grows while it is walked
            if isinstance(obj, types.ModuleType):
                for n in names:
                    attribute = getattr(obj, n, None)
                    if attribute is not None and not any(attribute is r for r in reached):
                        reached.append(attribute)
        for obj in reached:
            if any(obj is target for target in forbidden):
                return obj
            if isinstance(obj, types.FunctionType) and obj.__globals__ is getattr(fn, "__globals__", None):
                pending.append(obj)  # a helper the student wrote in the same notebook
    return None


def _names_used(code):
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


def _has_contents(cell):
    try:
        cell.cell_contents  # noqa: B018  (an empty cell raises ValueError)
    except ValueError:
        return False
    return True


@contextmanager
def _trapped(forbidden, fn):
    """Replace each forbidden object by a trap, in its module and in `fn`'s globals, for the call."""
    def trap_for(target):
        def trap(*args, **kwargs):
            raise _ReferenceCalled(target)
        return trap

    replaced = []
    namespaces = [getattr(fn, "__globals__", {})]
    for target in forbidden:
        module = sys.modules.get(getattr(target, "__module__", None) or "")
        spaces = namespaces + ([vars(module)] if module is not None else [])
        for space in spaces:
            for key, value in list(space.items()):
                if value is target:
                    replaced.append((space, key, value))
                    space[key] = trap_for(target)
    try:
        yield
    finally:
        for space, key, value in reversed(replaced):
            space[key] = value
