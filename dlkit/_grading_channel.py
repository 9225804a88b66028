"""The narrow channel between trusted checks and a student's kernel, used while grading.

When a class is graded, the test cells do not run in the student's kernel: they run in a
checker kernel of their own, which holds the references and the expected values. There, each
exercise name is bound to a `KernelFunction`, which calls the student's function in the
student's kernel and brings back what happened (`dlkit.grading.run_student`'s outcome).

Only data crosses, as JSON: numbers, strings, booleans, None, lists, tuples, dicts with string
keys, and NumPy arrays and scalars as ``.npy`` bytes read with ``allow_pickle=False``. Towards
the student's kernel, also random generators (their state) and functions (dlkit's and NumPy's
by name, a test cell's own by source). Nothing the student's kernel sends is unpickled or run.

In JupyterLab (and ``nbgrader validate``) nothing of this is used: the checks run in the
student's kernel, with the same messages.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import importlib
import inspect
import io
import json
import math
import os
import queue
import signal
import textwrap
import time
import types

import numpy as np

from . import grading

MIME = "application/x-dlkit-outcome+json"
# The largest message taken from a student's kernel, in bytes: a larger one is dropped unread (so a reply
# cannot make the checker hold more memory than this), and the call fails.
MAX_REPLY = 64 * 2**20


# --- data <-> JSON ---------------------------------------------------------------------------------

def encode(value, functions=False):
    """`value` as JSON-ready data; `functions` allows generators and functions (towards a student)."""
    if isinstance(value, float) and not np.isfinite(value):
        return {"__scalar__": _npy(np.asarray(value))}  # JSON in Jupyter messages has no NaN or infinity
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError("an array of Python objects")
        return {"__ndarray__": _npy(value)}
    if isinstance(value, np.generic):
        return {"__scalar__": _npy(np.asarray(value))}
    if isinstance(value, list):
        return [encode(item, functions) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item, functions) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__dict__": {key: encode(item, functions) for key, item in value.items()}}
    if functions and isinstance(value, np.random.Generator):
        return {"__generator__": value.bit_generator.state}
    if functions and callable(value):
        return _encode_function(value)
    raise TypeError(f"a {type(value).__name__}")


def decode(data, functions=False, namespace=None):
    """The value `encode` made; `functions` (in a student's kernel only) rebuilds generators and functions."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(item, functions, namespace) for item in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("not a value of the grading channel")
    (tag, content), = data.items()
    if tag == "__ndarray__":
        return _from_npy(content)
    if tag == "__scalar__":
        return _from_npy(content)[()]
    if tag == "__tuple__":
        return tuple(decode(item, functions, namespace) for item in content)
    if tag == "__dict__":
        return {str(key): decode(item, functions, namespace) for key, item in content.items()}
    if functions and tag == "__generator__":
        generator = np.random.Generator(getattr(np.random, content["bit_generator"])())
        generator.bit_generator.state = content
        return generator
    if functions and tag == "__reference__":
        return _resolve(content)
    if functions and tag == "__source__":
        scope = dict(namespace or {})
        exec(content["source"], scope)  # noqa: S102  (a test cell's own helper, run in the student's kernel)
        return scope[content["name"]]
    raise ValueError(f"unexpected {tag} from the grading channel")


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text):
    """The array `_npy` wrote; its header is read first, so a reply cannot make the checker allocate
    more than it carries, nor hand it an array of objects or records."""
    data = base64.b64decode(text, validate=True)
    buffer = io.BytesIO(data)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}.get(np.lib.format.read_magic(buffer))
    if read_header is None:
        raise ValueError("an array in a format the grading channel does not send")
    shape, _, dtype = read_header(buffer)
    if dtype.kind not in "biufcUS":
        raise ValueError(f"an array of dtype {dtype}, which the grading channel does not send")
    if math.prod(shape) * dtype.itemsize > len(data) - buffer.tell():
        raise ValueError(f"an array of shape {shape} with less data than that shape needs")
    buffer.seek(0)
    return np.load(buffer, allow_pickle=False)


def _encode_function(function):
    module = getattr(function, "__module__", None) or ""
    qualified = getattr(function, "__qualname__", "")
    if module.split(".")[0] in ("dlkit", "numpy") and "<" not in qualified:
        return {"__reference__": f"{module}:{qualified}"}
    if isinstance(function, types.FunctionType) and function.__name__ != "<lambda>":
        source = textwrap.dedent(inspect.getsource(function))
        return {"__source__": {"name": function.__name__, "source": source}}
    raise TypeError(f"the function {qualified or function!r} (only dlkit's, NumPy's and named functions "
                    "defined in a test cell can be passed)")


def _resolve(reference):
    """The object named 'module:qualified.name'."""
    module, _, qualified = reference.partition(":")
    obj = importlib.import_module(module)
    for part in qualified.split("."):
        obj = getattr(obj, part)
    return obj


def _reference(obj):
    module, qualified = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if module and qualified and module.split(".")[0] == "dlkit" and "<" not in qualified:
        return f"{module}:{qualified}"
    return None


# --- the student's side ------------------------------------------------------------------------------

def serve(namespace, request):
    """Run one call of a student's function in their kernel; display its outcome as data.

    Called by the checker through the kernel's execute requests, with the kernel's globals. What the
    function prints is dropped: the checker reads only the outcome, and takes no message over MAX_REPLY.
    """
    from IPython.display import display

    with contextlib.redirect_stdout(_DISCARD), contextlib.redirect_stderr(_DISCARD):
        outcome = _outcome(namespace, json.loads(request))
    display({MIME: outcome}, raw=True)


class _Discard(io.TextIOBase):
    """A text stream that keeps nothing."""

    def write(self, text):
        return len(text)


_DISCARD = _Discard()


def _outcome(namespace, request):
    if request.get("probe"):
        return {"callables": {name: _parameters(namespace[name]) for name in request["probe"]
                              if callable(namespace.get(name))}}
    if "source" in request:  # a test cell's own function that builds the student's objects
        scope = dict(namespace)
        exec(request["source"], scope)  # noqa: S102  (instructor code from the test cell)
        fn = scope[request["name"]]
    else:
        fn = namespace.get(request["name"])
    if not callable(fn):
        return {"error": {"type": "NameError", "message": f"{request['name']} is not defined: run its cell",
                          "where": None}}
    forbidden = tuple(_resolve(reference) for reference in request["forbidden"])
    uses = {name: _resolve(reference) for name, reference in request["uses"].items()}
    outcomes = []
    for encoded in request["calls"]:
        args = decode(encoded, functions=True, namespace=namespace)
        with np.errstate(**_floating_point_rules(request.get("errstate"))):
            outcome = grading.run_student(fn, args, forbidden, uses)
        if "value" in outcome:
            try:
                outcome["value"] = encode(outcome["value"])
            except TypeError as error:
                outcome = {"error": {"type": "TypeError", "message": f"it returned {error}, which a check "
                                     "cannot compare: return numbers, NumPy arrays, lists or tuples",
                                     "where": None}}
        outcomes.append(outcome)
        if "value" not in outcome:
            break
    return {"outcomes": outcomes}


def _floating_point_rules(rules):
    """The checker's np.errstate, e.g. {"over": "raise"}, from the request (anything else ignored)."""
    allowed = {"ignore", "warn", "raise", "call", "print", "log"}
    return {key: value for key, value in (rules or {}).items()
            if key in ("divide", "over", "under", "invalid") and value in allowed}


def _parameters(fn):
    """The names of `fn`'s parameters (messages show each input by its name); [] when unknown."""
    try:
        return [str(name) for name in inspect.signature(fn).parameters]
    except (TypeError, ValueError):
        return []


# --- the checker's side ------------------------------------------------------------------------------

class StudentKernel:
    """A connection from the checker kernel to the student's kernel."""

    def __init__(self, connection_file, pid=None, timeout=60.0):
        import zmq
        from jupyter_client import BlockingKernelClient

        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_REPLY)  # for every socket of this connection
        self.client = BlockingKernelClient(connection_file=connection_file, context=context)
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=timeout)
        self.pid, self.timeout = pid, timeout

    def ask(self, request):
        """Send `request` to `serve` in the student's kernel; return the outcome it displayed."""
        code = (f"__import__('dlkit._grading_channel', fromlist=['serve']).serve(globals(), "
                f"{json.dumps(json.dumps(request))})")
        msg_id = self.client.execute(code, silent=False, store_history=False, allow_stdin=False)
        deadline, reply, interrupted = time.monotonic() + self.timeout, None, False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    return _failure("TimeoutError", "the kernel does not answer after an interrupt")
                self._interrupt()
                interrupted, deadline = True, time.monotonic() + 10
                reply = reply or _failure("TimeoutError", f"no result within {self.timeout:g} s")
                continue
            try:
                message = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not self.client.is_alive():
                    return _failure("KernelDied", "the notebook's kernel stopped while running the function")
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "display_data" and MIME in content.get("data", {}) and reply is None:
                reply = content["data"][MIME]
            elif kind == "error" and reply is None:
                reply = _failure(content.get("ename", "Error"), content.get("evalue", ""))
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        self._drain_shell(msg_id)
        return reply if reply is not None else _failure("RuntimeError", "the kernel sent no result")

    def close(self):
        """Close the connection (the student's kernel goes on)."""
        _ACTIVE.pop("kernel", None)
        self.client.stop_channels()
        self.client.context.destroy(linger=0)

    def _interrupt(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGINT)
            except OSError:
                pass

    def _drain_shell(self, msg_id):
        while True:
            try:
                message = self.client.get_shell_msg(timeout=5)
            except queue.Empty:
                return
            if message["parent_header"].get("msg_id") == msg_id:
                return


def _failure(ename, evalue):
    return {"error": {"type": str(ename), "message": str(evalue), "where": None}}


def _checked(outcome):
    """The outcome from the student's kernel, checked to be one `run_student` can give; values decoded."""
    if not isinstance(outcome, dict):
        return _failure("RuntimeError", "the kernel sent something that is not a result")
    if "value" in outcome and set(outcome) == {"value", "changed"} and isinstance(outcome["changed"], list):
        try:
            return {"value": decode(outcome["value"]), "changed": [str(name) for name in outcome["changed"]]}
        except (ValueError, TypeError, KeyError) as error:
            return _failure("RuntimeError", f"the result could not be read: {error}")
    if set(outcome) == {"refused"}:
        return {"refused": str(outcome["refused"])}
    if set(outcome) == {"unwritten"}:
        return {"unwritten": True}
    if set(outcome) == {"error"} and isinstance(outcome["error"], dict):
        error = outcome["error"]
        return {"error": {"type": str(error.get("type", "Error")), "message": str(error.get("message", "")),
                          "where": str(error["where"]) if error.get("where") else None}}
    return _failure("RuntimeError", "the kernel sent something that is not a result")


class KernelFunction(grading.RemoteFunction):
    """The student's function `name`, called in their kernel through `kernel`.

    With `source`, a function of the test cell that works with the student's objects (a class
    the student completed, say): it is defined and called in the student's kernel, and only
    what it returns comes back.
    """

    def __init__(self, kernel, name, source=None, parameters=None):
        self.kernel, self.__name__, self.source = kernel, name, source
        if parameters:  # what inspect.signature reports, so that messages name the inputs as the student did
            self.__signature__ = inspect.Signature(
                [inspect.Parameter(str(p), inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in parameters])

    def __repr__(self):
        return f"<{self.__name__}, in the student's kernel>"

    def run(self, args, forbidden, uses):
        return self.run_many([args], forbidden, uses)[0]

    def run_many(self, cases, forbidden, uses):
        request = {
            **({"source": self.source} if self.source else {}),
            "name": self.__name__,
            "calls": [encode(tuple(args), functions=True) for args in cases],
            "errstate": np.geterr(),  # a check run under np.errstate(over="raise") runs the student's code so
            "forbidden": [ref for ref in map(_reference, forbidden) if ref],
            "uses": {name: _reference(obj) for name, obj in (uses or {}).items() if _reference(obj)},
        }
        reply = self.kernel.ask(request)
        if isinstance(reply, dict) and isinstance(reply.get("outcomes"), list) and reply["outcomes"]:
            return [_checked(outcome) for outcome in reply["outcomes"][:len(cases)]]
        return [_checked(reply)]


def student_side(fn):
    """`fn`, or in the checker kernel, a test cell's own function run in the student's kernel.

    A check may be given, as the student's function, a function the test cell defines to build
    and use the student's objects (``Value(2.0) * Value(3.0)``); it must then use only its
    arguments and the notebook's names. In the checker kernel it runs in the student's kernel,
    where those objects live. Anywhere else, `fn` is returned as it is.
    """
    kernel = _ACTIVE.get("kernel")
    if kernel is None or not isinstance(fn, types.FunctionType) or fn.__module__ != "__main__":
        return fn
    return KernelFunction(kernel, fn.__name__, source=textwrap.dedent(inspect.getsource(fn)),
                          parameters=list(inspect.signature(fn).parameters))


# The connection of the notebook being graded, in the checker kernel (bind sets it).
_ACTIVE = {}


def bind(namespace, source, connection_file, pid=None, timeout=60.0):
    """In the checker kernel: bind the names a test cell needs from the student's kernel.

    Every name the cell `source` reads but neither defines nor finds in `namespace` (or the
    builtins) is looked up in the student's kernel; each that is callable there becomes a
    `KernelFunction` in `namespace`. Values a demonstration computed are not brought over.
    """
    kernel = namespace.get("__dlkit_student_kernel__")
    if kernel is None:
        kernel = namespace["__dlkit_student_kernel__"] = StudentKernel(connection_file, pid, timeout)
    _ACTIVE["kernel"] = kernel
    wanted = sorted(name for name in _free_names(source)
                    if name not in namespace and not hasattr(builtins, name))
    if not wanted:
        return
    reply = kernel.ask({"probe": wanted})
    callables = reply.get("callables") if isinstance(reply, dict) else None
    for name, parameters in (callables.items() if isinstance(callables, dict) else ()):
        if name in wanted and isinstance(parameters, list) and parameters == [str(p) for p in parameters]:
            namespace[name] = KernelFunction(kernel, name, parameters=parameters)


def _free_names(source):
    """Names `source` reads without defining them anywhere in it."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    read, defined = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return read - defined
