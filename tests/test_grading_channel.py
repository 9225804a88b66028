"""The data-only channel between the checker kernel and a student's kernel (dlkit._grading_channel)."""

import base64
import io
import json
import pickle

import numpy as np
import pytest

from dlkit import _grading_channel as channel
from dlkit import activations, grading


def _round_trip(value, functions=False):
    """What arrives after `value` crossed the channel as JSON text."""
    return channel.decode(json.loads(json.dumps(channel.encode(value, functions))), functions, {"np": np})


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, "text", [1, 2.0, None], (1, (2, 3)), {"w": np.ones(2), "b": 0.5},
     np.arange(6, dtype=np.float32).reshape(2, 3), np.int64(7), np.float32(0.25), np.array(3.0)],
)
def test_data_crosses_unchanged_with_its_type_and_dtype(value):
    back = _round_trip(value)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray | np.generic):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, dict):
        assert back.keys() == value.keys()
    else:
        assert back == value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_floats_cross_although_json_in_jupyter_has_none(value):
    back = _round_trip(value)
    assert (np.isnan(back) and np.isnan(value)) or back == value


def test_a_generator_arrives_in_the_same_state():
    rng = np.random.default_rng(3)
    rng.random(5)
    copy = _round_trip(rng, functions=True)
    assert np.array_equal(copy.permutation(10), rng.permutation(10))


def test_functions_cross_by_name_or_by_source():
    def identity(z):
        return z

    assert _round_trip(activations.sigmoid, functions=True) is activations.sigmoid
    assert _round_trip(np.tanh, functions=True) is np.tanh
    rebuilt = _round_trip(identity, functions=True)
    assert rebuilt is not identity and rebuilt(4) == 4


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, lambda z: z])
def test_anything_else_is_refused_before_it_is_sent(value):
    with pytest.raises(TypeError):
        channel.encode(value, functions=True)


def test_functions_and_generators_never_come_back_from_a_students_kernel():
    """The checker decodes without `functions`: a student's kernel cannot make it run code."""
    with pytest.raises(ValueError):
        channel.decode({"__source__": {"name": "f", "source": "import os\ndef f(): pass"}})
    with pytest.raises(ValueError):
        channel.decode({"__reference__": "os:system"})


def test_a_pickled_array_is_not_loaded():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    text = base64.b64encode(buffer.getvalue()).decode()
    with pytest.raises(ValueError):
        channel.decode({"__ndarray__": text})
    with pytest.raises(ValueError):
        channel.decode({"__ndarray__": base64.b64encode(pickle.dumps([1])).decode()})


@pytest.mark.parametrize(
    ("shape", "descr"),
    [((10**13,), "<f8"), ((10**6, 10**6), "<f8"), ((2**62,), "<f8"), ((10**9,), "|V100000"), ((2,), "|V8"),
     ((2,), [("a", "<f8")]), ((2,), "<M8[s]")],
)
def test_an_array_header_that_lies_or_asks_for_records_is_refused_before_allocating(shape, descr):
    """A reply of a few bytes whose header claims terabytes, or a dtype the channel never sends."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    buffer.write(bytes(32))
    text = base64.b64encode(buffer.getvalue()).decode()
    with pytest.raises(ValueError):
        channel.decode({"__ndarray__": text})
    assert set(channel._checked({"value": {"__ndarray__": text}, "changed": []})) == {"error"}


def test_the_student_side_runs_the_check_call_and_the_checker_reads_its_outcome():
    namespace = {"np": np}
    exec("def step(z):\n    z *= 0\n    return z > 0\n", namespace)
    request = {"name": "step", "calls": [channel.encode((np.array([1.0, -1.0]),), functions=True)] * 2,
               "forbidden": ["dlkit.activations:step"], "uses": {}}
    reply = json.loads(json.dumps(channel._outcome(namespace, request)))
    outcomes = [channel._checked(outcome) for outcome in reply["outcomes"]]
    assert len(outcomes) == 2
    assert outcomes[0]["changed"] == ["z"] and outcomes[0]["value"].dtype == bool


@pytest.mark.parametrize(
    "reply",
    [None, [], {"value": 1}, {"value": 1, "changed": "z"}, {"refused": 1, "value": 2},
     {"value": {"__pickle__": "x"}, "changed": []}, {"anything": "else"}],
)
def test_a_malformed_reply_is_a_failed_call_not_a_result(reply):
    outcome = channel._checked(reply)
    assert set(outcome) == {"error"}


def test_a_check_through_a_remote_function_gives_the_students_messages():
    class Local(grading.RemoteFunction):
        """A RemoteFunction whose 'other process' is this one, through the channel's encoding."""

        def __init__(self, namespace, name):
            self.namespace, self.__name__ = namespace, name

        def run(self, args, forbidden, uses):
            request = {"name": self.__name__, "calls": [channel.encode(tuple(args), functions=True)],
                       "forbidden": [r for r in map(channel._reference, forbidden) if r],
                       "uses": {k: channel._reference(v) for k, v in (uses or {}).items()}}
            reply = json.loads(json.dumps(channel._outcome(self.namespace, request)))
            return channel._checked(reply["outcomes"][0])

    namespace = {"np": np, "activations": activations}
    exec("def good(z):\n    return np.where(z > 0, 1.0, 0.0)\n"
         "def bools(z):\n    return z > 0\n"
         "def cheat(z):\n    return activations.step(z)\n", namespace)
    z = np.array([-1.0, 0.0, 2.0])
    grading.check_function(Local(namespace, "good"), activations.step, [(z,)])
    for name, words in (("bools", "booleans"), ("cheat", "calls dlkit's answer")):
        with pytest.raises(grading.CheckFailed, match=words):
            grading.check_function(Local(namespace, name), activations.step, [(z,)])


def test_free_names_are_what_a_test_cell_reads_without_defining():
    source = "X = np.ones(2)\ndef helper(a):\n    return a\nprint(step(helper(X)), [k for k in keys])\n"
    assert channel._free_names(source) == {"np", "step", "print", "keys"}


def test_the_checkers_floating_point_rules_reach_the_students_kernel():
    """A check under np.errstate(over="raise") runs the student's function under the same rules."""
    namespace = {"np": np}
    exec("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", namespace)
    calls = [channel.encode((np.array([-1000.0, 0.0]),), functions=True)]
    for rules, overflows in (({"over": "raise", "invalid": "raise"}, True), ({"over": "ignore"}, False)):
        request = {"name": "sigmoid", "calls": calls, "forbidden": [], "uses": {}, "errstate": rules}
        (outcome,) = channel._outcome(namespace, request)["outcomes"]
        assert ("error" in outcome and outcome["error"]["type"] == "FloatingPointError") == overflows


FORGED_SERVE = """
import dlkit._grading_channel as channel
from IPython.display import display

channel.serve = lambda namespace, request: display(
    {channel.MIME: {"outcomes": [{"value": "x" * 4_000_000, "changed": []}]}}, raw=True)
"""


def test_a_reply_over_the_size_bound_is_dropped_unread_and_the_call_fails(monkeypatch):
    """A student's kernel that sends the checker a huge reply cannot make it hold that much memory."""
    jupyter_client = pytest.importorskip("jupyter_client")
    monkeypatch.setattr(channel, "MAX_REPLY", 2**20)
    manager = jupyter_client.KernelManager()
    manager.start_kernel()
    try:
        student = manager.client()
        student.start_channels()
        student.wait_for_ready(timeout=60)
        noisy_double = "def double(x):\n    print('x' * 4_000_000)\n    return 2 * x"
        student.execute_interactive(noisy_double, timeout=30)
        kernel = channel.StudentKernel(manager.connection_file, timeout=5)
        double = channel.KernelFunction(kernel, "double")
        # A reply under the bound arrives; what the function prints (4 MB) is dropped before it is sent.
        assert double.run((np.float32(4.0),), [], {})["value"] == 8
        student.execute_interactive(FORGED_SERVE, timeout=30)
        outcome = double.run((np.float32(4.0),), [], {})
        assert set(outcome) == {"error"}, str(outcome)[:200]
        kernel.close()
        student.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
