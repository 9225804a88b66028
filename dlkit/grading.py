"""Checks that the notebooks' test cells call.

`check_function` runs a student's function and dlkit's reference on the same inputs and
compares the results; `check_close` compares one result with the value it should have.
A failed check raises `CheckFailed` (an AssertionError) whose message is written for a
student at 2 a.m.: the problem, the input, what was expected, what came back, and one
hint that the evidence supports. In Jupyter the message is all the student sees: no
traceback into this module, and every line short enough for ``nbgrader validate``.

What a check guarantees (see the course's notebook standard):

- the arguments a student's function receives are never modified: each call gets its own
  copies, and a copy changed in place fails the check, naming the argument;
- one mistake costs once: ``uses={"step": activations.step}`` runs the student's function
  with the reference in place of their own earlier exercise, and notes when their own
  version would have given another result;
- a known mistake (``mistakes=``) is named only when the student's result equals what that
  mistake produces; otherwise the message states facts (which values differ, by how much);
- a function that merely calls the reference it is compared with is refused.

The checks depend on nothing but their arguments (test cells use the exercise functions,
the setup cell's names and their own), so they behave the same in JupyterLab and under
``nbgrader autograde``.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
import textwrap
import traceback
import types
from contextlib import contextmanager

import numpy as np

from ._validation import as_generator, check_positive, describe

__all__ = ["CheckFailed", "check_close", "check_function", "random_arrays"]

# Taken when the notebook's first cell imports this module, before any student code runs: a student cell
# that rebinds np.isclose, np.allclose, np.all or np.any cannot change how answers are compared.
_isclose, _allclose, _isnan, _all, _any = np.isclose, np.allclose, np.isnan, np.all, np.any
_array_equal, _array2string = np.array_equal, np.array2string

# nbgrader validate indents each line by 4 and cuts it at 87 characters: stay within that.
WIDTH = 80


class CheckFailed(AssertionError):
    """A check found a problem; the message says what, on which input, and what to try."""


def check_close(name, got, expected, inputs=None, hint=None, rtol=None, atol=1e-9, check_dtype=False):
    """Raise `CheckFailed` with a message a student can act on unless `got` equals `expected`.

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
    check_dtype : bool
        Also require the floating-point dtype of `expected` (float32 in, float32 out).
    """
    __tracebackhide__ = True  # pytest leaves this frame out of tracebacks: the message says it all
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {describe(name)}")
    _check_tolerances(rtol, atol)
    problem = _diagnose(got, expected, rtol, atol, check_dtype=check_dtype)
    if problem is not None:
        raise CheckFailed(_message(name, problem, got, expected, inputs, hint))


def check_function(student_fn, reference_fn, cases, *, name=None, output_names=None, forbidden=None,
                   mistakes=None, hint=None, uses=None, length_hint=None, check_dtype=False, rtol=None,
                   atol=1e-9):
    """Check `student_fn` against `reference_fn` on every case of `cases`.

    Parameters
    ----------
    student_fn, reference_fn : callable
        The student's function and the reference it must agree with.
    cases : list of tuple
        Positional arguments, one tuple per call. Each function gets its own deep copy, so
        random generators do not leak from one call to the other; the student's copy must
        be unchanged after the call (inputs are never modified).
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
    uses : dict, optional
        Global name -> reference, for earlier exercises that `student_fn` may call, e.g.
        ``{"step": activations.step}``. During the check the name refers to the reference,
        so a mistake in the earlier exercise is not counted twice; when the student's own
        version changes the result, a note says so.
    length_hint : str or dict, optional
        Why the result has the length or shape it must have (per output name for several
        outputs), shown when it does not, e.g. ``{"mistakes": "one count per epoch"}``.
    check_dtype : bool
        Also require the reference's floating-point dtype (float32 in, float32 out).
    rtol, atol : float
        Tolerances, as in `check_close`.
    """
    __tracebackhide__ = True
    for argument, value in (("student_fn", student_fn), ("reference_fn", reference_fn)):
        if not callable(value):
            raise TypeError(f"{argument} must be a function, got {describe(value)}")
    if not isinstance(cases, (list, tuple)) or not all(isinstance(case, tuple) for case in cases):
        raise TypeError(f"cases must be a list of tuples of arguments, got {describe(cases)}")
    if not cases:
        raise ValueError("cases must hold at least one case (a tuple of arguments), got []")
    _check_tolerances(rtol, atol)
    name = name or getattr(student_fn, "__name__", "your function")
    channel = sys.modules.get("dlkit._grading_channel")
    if channel is not None:  # grading: a test cell's own function that uses the student's objects runs there
        student_fn = channel.student_side(student_fn)
    forbidden = (reference_fn,) if forbidden is None else tuple(forbidden)
    uses = dict(uses or {})
    note = _uses_note(uses)
    arg_names = _argument_names(student_fn)
    # In another process, every case goes in one request (the outcomes stop at the first error or refusal).
    outcomes = student_fn.run_many(cases, forbidden, uses) if isinstance(student_fn, RemoteFunction) else []
    for index, args in enumerate(cases):
        inputs = dict(zip(arg_names, args, strict=False))
        expected = reference_fn(*copy.deepcopy(args))
        outcome = outcomes[index] if index < len(outcomes) else None
        got = _call(student_fn, args, name, forbidden, inputs, uses, outcome)
        for output_name, got_value, expected_value in _split_outputs(name, got, expected, output_names,
                                                                     inputs):
            problem = _diagnose(got_value, expected_value, rtol, atol, check_dtype=check_dtype,
                                length_hint=_for_output(length_hint, output_name))
            if problem is None:
                continue
            problem = _known_mistake(problem, got_value, args, mistakes, output_names, output_name,
                                     rtol, atol)
            label = name if output_name is None else f"{name}, output {output_name}"
            raise CheckFailed(_message(label, problem, got_value, expected_value, inputs, hint, note))
    if uses and cases:
        _note_own_versions(student_fn, reference_fn, cases[0], name, uses, output_names, rtol, atol)


def random_arrays(rng, shapes=((5,), (3, 4), (2, 3, 4)), dtypes=("float64", "float32", "int64"), scale=3.0):
    """Random test arrays, one per (shape, dtype) pair, drawn from the Generator `rng`.

    Values are normal with standard deviation `scale`; integer arrays are those values
    truncated, so they contain zeros.
    """
    rng = as_generator(rng)
    check_positive(scale, "scale")
    return [(scale * rng.standard_normal(shape)).astype(dtype) for shape in shapes for dtype in dtypes]


# --- diagnosis ------------------------------------------------------------------------------

def _diagnose(got, expected, rtol, atol, check_dtype=False, length_hint=None):
    """None when `got` matches `expected`, else (what is wrong, a hint or None).

    A hint is given only when the evidence names the cause (booleans, a list, a shape);
    for values that merely differ, the problem states the facts and the caller's hint or a
    known mistake's hint applies.
    """
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
        return (_shape_problem(got_array, expected_array, isinstance(expected, np.ndarray)),
                length_hint or _shape_hint(got_array, expected_array))
    got_nan, expected_nan = _isnan(got_array), _isnan(expected_array)
    if _any(got_nan & ~expected_nan):
        return (f"it contains NaN (not a number) in {int(np.sum(got_nan & ~expected_nan))} place(s).",
                "NaN comes from 0/0, inf - inf, inf * 0 or the log/sqrt of a negative number; "
                "look for an overflow (exp of a large number) or a division by zero.")
    if rtol is None:
        rtol = 1e-5 if expected_array.dtype in (np.float32, np.float16) else 1e-7
    close = _isclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True)
    if _all(close):
        if check_dtype and expected_array.dtype.kind == "f" and got_array.dtype != expected_array.dtype:
            return (f"the values are right but their dtype is {got_array.dtype}; expected "
                    f"{expected_array.dtype}.",
                    "keep the input's dtype: float32 combined with Python numbers (x * 0.5) stays "
                    "float32, but a float64 array, a NumPy constant such as np.sqrt(2), or an array made "
                    "of Python numbers alone (np.where(c, 1.0, 0.0), np.zeros(n)) is float64; build from "
                    "the input (np.zeros_like(x)) or end with .astype(x.dtype), x being the input.")
        return None
    if _any(expected_array != 0) and _allclose(got_array, -expected_array, rtol=rtol, atol=atol):
        return ("the values have the right size but the wrong sign.",
                "look for a minus sign that should be a plus (or the other way round).")
    difference = got_array.astype(float) - expected_array.astype(float)
    if difference.size > 2 and _allclose(difference, difference.flat[0], rtol=0.0, atol=max(atol, 1e-12)):
        return (f"every value is off by the same amount ({difference.flat[0]:.4g}).", None)
    worst = np.unravel_index(int(np.argmax(np.where(close, 0.0, np.abs(difference)))), difference.shape)
    where = f" at index {tuple(int(i) for i in worst)}" if difference.ndim else ""
    return (f"{int(np.sum(~close))} of {close.size} value(s) differ; the largest difference is "
            f"{abs(float(difference[worst])):.4g}{where}.", None)


def _check_tolerances(rtol, atol):
    if rtol is not None:
        check_positive(rtol, "rtol", allow_zero=True)
    check_positive(atol, "atol", allow_zero=True)


def _shape_problem(got, expected, expected_is_array):
    if not expected_is_array and expected.ndim == 1 and got.ndim == 1:
        return f"it returned {got.size} values; expected {expected.size}."
    return f"wrong shape: expected {expected.shape}, got {got.shape}."


def _shape_hint(got, expected):
    if got.size == expected.size:
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            return "the result is transposed: check the order of the factors in the matrix product."
        return ("same number of values, different layout: look for an extra axis of length 1 "
                "(keepdims=True, a column vector) or a reshape.")
    return "check which axis you sum or multiply over, and that every input is used with its own shape."


def _known_mistake(problem, got, args, mistakes, output_names, output_name, rtol, atol):
    """`problem` with the hint of the first known mistake whose result `got` equals."""
    for mistake_hint, mistake_fn in (mistakes or {}).items():
        try:
            wrong = mistake_fn(*copy.deepcopy(args))
        except Exception:  # a mistake that cannot run on this case cannot be the student's
            continue
        if output_name is not None:
            wrong = wrong[output_names.index(output_name)]
        if _diagnose(got, wrong, rtol, atol) is None:
            return (problem[0], mistake_hint)
    return problem


def _for_output(value, output_name):
    return value.get(output_name) if isinstance(value, dict) else value


# --- the message ----------------------------------------------------------------------------

def _message(name, problem, got, expected, inputs, hint, note=None):
    what, specific_hint = problem
    lines = [f"{name} is not right yet.", *_field("problem:", what)]
    for arg, value in (inputs or {}).items():
        lines += _field(f"input {arg} =", _show(value))
    lines += _field("expected:", _show(expected))
    lines += _field("got:     ", _show(got))
    chosen = specific_hint or hint
    if chosen:
        lines += _field("hint:", chosen)
    if note:
        lines += _field("note:", note)
    return "\n".join(lines)


def _field(label, text):
    """`label text`, indented by two and wrapped at WIDTH, continuation lines under the text."""
    first = f"  {label} "
    indent = " " * min(len(first), 12)
    lines = []
    for i, paragraph in enumerate(str(text).split("\n")):
        lines += textwrap.wrap(paragraph, WIDTH, initial_indent=first if i == 0 else indent,
                               subsequent_indent=indent, break_on_hyphens=False) or [first.rstrip()]
    return lines


def _show(value):
    if isinstance(value, np.ndarray):
        text = _array2string(value, precision=4, threshold=20, edgeitems=3, separator=", ",
                             max_line_width=10**6)
        return f"{text.replace(chr(10), ' ')} (shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    if isinstance(value, np.random.Generator):
        return "a numpy.random.Generator"
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, np.ndarray) for item in value):
        # A list of arrays (a network's weight matrices, say): one per line, each shown as above.
        return "\n".join(f"[{i}] {_show(item)}" for i, item in enumerate(value))
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


def _refusal(name, target):
    return "\n".join([f"{name} calls dlkit's answer instead of computing its own.",
                      *_field("problem:", f"it calls `{target}`, the reference the checks "
                                         "compare with, so the checks would prove nothing."),
                      *_field("hint:", "write the computation yourself with NumPy.")])


def _qualified(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', obj))}"


# --- running the student's function ---------------------------------------------------------

def _argument_names(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def run_student(fn, args, forbidden=(), uses=None):
    """Call a student's `fn` on copies of `args` the way a check does, and say what happened.

    Parameters
    ----------
    fn : callable
        The student's function.
    args : tuple
        Its positional arguments; `fn` gets deep copies, compared with `args` after the call.
    forbidden : tuple
        dlkit functions or classes `fn` may not use: referring to one by name, or calling one by
        any route during the call (an alias, a default argument, ``functools.partial``, an object
        found through ``gc``), refuses the answer.
    uses : dict, optional
        Global name -> object, substituted in `fn`'s globals during the call.

    Returns
    -------
    dict
        Exactly one of ``{"value": result, "changed": [names of arguments modified in place]}``,
        ``{"refused": "module.name"}``, ``{"unwritten": True}`` or ``{"error": {"type", "message",
        "where"}}``. The same outcome comes back from a student's kernel during trusted grading.
    """
    culprit = _calls_forbidden(fn, forbidden)
    if culprit is not None:
        return {"refused": _qualified(culprit)}
    given = copy.deepcopy(args)
    hits = []
    try:
        with _trapped(forbidden, hits), _substituted(fn, uses or {}):
            result = fn(*given)
    except _ReferenceCalled as called:
        return {"refused": str(called)}
    except NotImplementedError:
        return {"unwritten": True}
    except Exception as error:  # noqa: BLE001  (any error of the student's code is reported to them)
        return {"error": {"type": type(error).__name__, "message": str(error), "where": _student_line(error)}}
    if hits:  # the student's code caught the trap's exception and carried on
        return {"refused": hits[0]}
    names = _argument_names(fn) or [str(i) for i in range(len(args))]
    return {"value": result, "changed": [arg for arg, before, after in zip(names, args, given, strict=False)
                                         if not _same(before, after)]}


def _call(fn, args, name, forbidden, inputs, uses, outcome=None):
    """What the student's `fn` returns on `args` (or the `outcome` that came back for them), or
    CheckFailed saying why there is nothing to compare."""
    __tracebackhide__ = True
    if outcome is None:
        outcome = fn.run(args, forbidden, uses) if isinstance(fn, RemoteFunction) else run_student(
            fn, args, forbidden, uses)
    if "refused" in outcome:
        raise CheckFailed(_refusal(name, outcome["refused"]))
    if "unwritten" in outcome:
        raise CheckFailed("\n".join([f"{name} is not written yet.",
                                     *_field("hint:", "replace `raise NotImplementedError()` with your code, "
                                                      "then run its cell.")]))
    if "error" in outcome:
        error = outcome["error"]
        lines = [f"{name} stopped with an error.", *_field("error:", f"{error['type']}: {error['message']}")]
        if error["where"]:
            lines += _field("where:", error["where"])
        for arg, value in inputs.items():
            lines += _field(f"input {arg} =", _show(value))
        raise CheckFailed("\n".join(lines))
    if outcome["changed"]:
        shown = ", ".join(f"`{arg}`" for arg in outcome["changed"])
        lines = [f"{name} is not right yet.",
                 *_field("problem:", f"it changed its input {shown} in place; a function must leave its "
                                    "arguments as it received them (the caller still needs them)."),
                 *[line for arg, value in inputs.items() for line in _field(f"input {arg} =", _show(value))],
                 *_field("hint:", "operators such as `x *= 2`, `x += b`, `x[...] = 0` or `np.exp(x, out=x)` "
                                  "write into the array they got; compute a new array instead (`y = x * 2`) "
                                  "or work on a copy (`x = x.copy()`).")]
        raise CheckFailed("\n".join(lines))
    return outcome["value"]


class RemoteFunction:
    """A student's function living in another process (their kernel, during trusted grading).

    Subclasses implement ``run(args, forbidden, uses)``, returning `run_student`'s outcome from
    that process; calling the object directly returns the value or raises what the student's
    function raised. `dlkit._grading_channel` provides the one used for grading.
    """

    __name__ = "remote function"

    def run(self, args, forbidden, uses):
        raise NotImplementedError

    def run_many(self, cases, forbidden, uses):
        """The outcomes of several calls, up to the first that is not a value."""
        outcomes = []
        for args in cases:
            outcomes.append(self.run(args, forbidden, uses))
            if "value" not in outcomes[-1]:
                break
        return outcomes

    def __call__(self, *args):
        outcome = self.run(args, (), None)
        if "unwritten" in outcome:
            raise NotImplementedError(f"{self.__name__} is not written yet")
        if "error" in outcome:
            raise RuntimeError(f"{self.__name__} stopped with {outcome['error']['type']}: "
                               f"{outcome['error']['message']}")
        if "refused" in outcome:
            raise RuntimeError(f"{self.__name__} calls {outcome['refused']}")
        return outcome["value"]


def _same(before, after):
    """Whether an argument is unchanged by the call (generators and functions may change state)."""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape and before.dtype == after.dtype
                and _array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, (list, tuple)):
        return (type(before) is type(after) and len(before) == len(after)
                and all(_same(a, b) for a, b in zip(before, after, strict=True)))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    return True  # numbers and strings cannot change; generators, functions and objects may


def _student_line(error):
    """'in f, line 3: code' for the innermost frame of the notebook's code in `error`'s traceback."""
    here = os.path.dirname(os.path.abspath(__file__))
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(frame.filename).startswith((here, os.path.dirname(np.__file__)))]
    if not frames or frames[-1].name == "_call":
        return None
    frame = frames[-1]
    return f"in {frame.name}, line {frame.lineno}: {frame.line}" if frame.line else f"in {frame.name}"


def _split_outputs(name, got, expected, output_names, inputs):
    """(output name, got, expected) triples: one per returned value."""
    __tracebackhide__ = True
    if output_names is None:
        return [(None, got, expected)]
    if not isinstance(got, (tuple, list)) or len(got) != len(output_names):
        count = len(got) if isinstance(got, (tuple, list)) else 1
        raise CheckFailed(_message(name, (f"it should return {len(output_names)} values "
                                          f"({', '.join(output_names)}), it returned {count}.",
                                          f"end with: return {', '.join(output_names)}"),
                                   got, expected, inputs, None))
    return list(zip(output_names, got, expected, strict=True))


@contextmanager
def _substituted(fn, uses):
    """During the call, each name of `uses` in `fn`'s globals refers to its reference."""
    namespace = getattr(fn, "__globals__", {})
    missing = object()
    saved = {key: namespace.get(key, missing) for key in uses}
    namespace.update(uses)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is missing:
                namespace.pop(key, None)
            else:
                namespace[key] = value


def _uses_note(uses):
    if not uses:
        return None
    names = " and ".join(f"`{key}`" for key in uses)
    return (f"this check runs your code with dlkit's {names} in place of yours, so a mistake there costs "
            "points only in its own exercise.")


def _note_own_versions(student_fn, reference_fn, args, name, uses, output_names, rtol, atol):
    """Print a note when the student's own earlier functions change the result of `student_fn`."""
    expected = reference_fn(*copy.deepcopy(args))
    try:
        got = student_fn(*copy.deepcopy(args))
        pairs = _split_outputs(name, got, expected, output_names, {})
        agrees = all(_diagnose(g, e, rtol, atol) is None for _, g, e in pairs)
    except Exception:  # noqa: BLE001  (any failure of the student's own version is worth the note)
        agrees = False
    if not agrees:
        names = " and ".join(f"{key}" for key in uses)
        print("\n".join(_field("note:", f"{name} passes with dlkit's {names}; with your own {names} it gives "
                                        f"another result. Fix {names} first: its own check says how.")))


class _ReferenceCalled(Exception):
    """Raised by a forbidden dlkit object called during a check; its text is the object's name."""


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
def _trapped(forbidden, hits):
    """During the call, every forbidden function (every method, for a class) runs a trap instead.

    The trap replaces the code of the object itself, so every route to it is caught: a name, an
    alias, a default argument, ``functools.partial``, an object found through ``gc``. Each call
    is recorded in `hits`, so catching the trap's exception does not help.
    """
    _TRAP_HITS[:] = []
    swapped = []
    for target in forbidden:
        functions = ([value for value in vars(target).values() if isinstance(value, types.FunctionType)]
                     if isinstance(target, type) else [target])
        for function in functions:
            if isinstance(function, types.FunctionType) and not function.__code__.co_freevars:
                swapped.append((function, function.__code__))
                function.__code__ = _trap_code(_qualified(target))
    try:
        yield
    finally:
        for function, code in swapped:
            function.__code__ = code
        hits.extend(_TRAP_HITS)
        _TRAP_HITS[:] = []


_TRAP_HITS = []


def _trap_code(qualified):
    """Code that records and refuses a call to `qualified`, runnable under any module's globals."""
    source = (f"def trap(*args, **kwargs):\n"
              f"    grading = __import__('dlkit.grading', fromlist=['_TRAP_HITS'])\n"
              f"    grading._TRAP_HITS.append({qualified!r})\n"
              f"    raise grading._ReferenceCalled({qualified!r})\n")
    namespace = {}
    exec(source, namespace)  # noqa: S102  (our own fixed source, with the name as a literal)
    return namespace["trap"].__code__


# --- in Jupyter: the message, not a traceback ----------------------------------------------------

def _show_check_failure(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for CheckFailed: the error output holds the message alone."""
    shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])


def _register_with_ipython():
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is not None and CheckFailed not in shell.custom_exceptions:
        shell.set_custom_exc((*shell.custom_exceptions, CheckFailed), _show_check_failure)


_register_with_ipython()
