"""01_perceptron as students answer it: legitimate styles and the typical mistakes (see corpus.py)."""

from corpus import Answer

POINTS = {"test_step": 2, "test_perceptron_output": 3, "test_train_perceptron": 5}

# Hints that name a cause: none may appear where the evidence does not show that cause.
_BIAS_GUESS = "bias b added exactly once"

TRAIN = '''
def train_perceptron(X, y, lr, epochs, rng):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for i in rng.permutation(n):
            y_hat = float(step(b + X[i] @ w))
            if y_hat != y[i]:
                count += 1
                w = w + lr * (y[i] - y_hat) * X[i]
                b = b + lr * (y[i] - y_hat)
        mistakes.append(count)
    return w, b, mistakes
'''


def _train(old, new):
    assert old in TRAIN, old
    return {"train_perceptron": TRAIN.replace(old, new)}


ANSWERS = {
    # --- legitimate styles: full marks ------------------------------------------------------------------
    "step_astype": Answer({"step": "def step(z):\n    return (np.asarray(z) > 0).astype(float)\n"}),
    "step_heaviside": Answer({"step": "def step(z):\n    return np.heaviside(z, 0.0)\n"}),
    "step_times_one": Answer({"step": "def step(z):\n    z = np.asarray(z)\n    return 1.0 * (z > 0)\n"}),
    "output_dot": Answer({"perceptron_output": "def perceptron_output(X, w, b, activation):\n"
                                               "    return activation(np.dot(X, w) + b)\n"}),
    "output_transposed_product": Answer({"perceptron_output":
                                         "def perceptron_output(X, w, b, activation):\n"
                                         "    z = w @ X.T + b\n    return activation(z)\n"}),
    "output_loop": Answer({"perceptron_output":
                           "def perceptron_output(X, w, b, activation):\n"
                           "    return np.array([activation(b + x @ w) for x in X], dtype=float)\n"}),
    "train_error_term": Answer({"train_perceptron": '''
def train_perceptron(X, y, lr, epochs, rng):
    w, b = np.zeros(X.shape[1]), 0.0
    history = []
    for epoch in range(epochs):
        wrong = 0
        for i in rng.permutation(len(X)):
            error = y[i] - step(np.dot(X[i], w) + b)
            w += lr * error * X[i]
            b += lr * error
            wrong += int(error != 0)
        history.append(wrong)
    return w, b, history
'''}),
    "train_numpy_counts": Answer({"train_perceptron": '''
def train_perceptron(X, y, lr, epochs, rng):
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in rng.permutation(n):
            prediction = 1.0 if b + X[i].dot(w) > 0 else 0.0
            if prediction != y[i]:
                mistakes[epoch] += 1
                w = w + lr * (y[i] - prediction) * X[i]
                b += lr * (y[i] - prediction)
    return w, b, mistakes
'''}),

    # --- step --------------------------------------------------------------------------------------------
    "step_booleans": Answer({"step": "def step(z):\n    return np.asarray(z) > 0\n"},
                            fails={"test_step": ("it returned booleans (True/False)", "input z = [-2.")},
                            validate=True),
    "step_zero_is_one": Answer({"step": "def step(z):\n    return np.where(z >= 0, 1.0, 0.0)\n"},
                               fails={"test_step": "1 of 5 value(s) differ"},
                               notes={"test_train_perceptron": "with your own step it gives another result"},
                               validate=True),
    "step_calls_reference": Answer({"step": "def step(z):\n    return activations.step(z)\n"},
                                   fails={"test_step": "it calls `dlkit.activations.step`"}),
    "step_list": Answer({"step": "def step(z):\n    return [1.0 if v > 0 else 0.0 for v in z]\n"},
                        fails={"test_step": "it returned a Python list, not a NumPy array"}),
    "step_scalar_if": Answer({"step": "def step(z):\n    if z > 0:\n        return 1.0\n    return 0.0\n"},
                             fails={"test_step": "step stopped with an error. error: ValueError: The truth"}),
    "step_in_place": Answer({"step": "def step(z):\n    z[z > 0] = 1\n    z[z <= 0] = 0\n"
                                     "    return z * 1.0\n"},
                            fails={"test_step": "it changed its input `z` in place"}, validate=True),

    # --- perceptron_output ------------------------------------------------------------------------------
    "output_no_bias": Answer({"perceptron_output":
                              "def perceptron_output(X, w, b, activation):\n    return activation(X @ w)\n"},
                             fails={"test_perceptron_output": "the bias b is missing"}, validate=True),
    "output_no_activation": Answer({"perceptron_output":
                                    "def perceptron_output(X, w, b, activation):\n    return b + X @ w\n"},
                                   fails={"test_perceptron_output": "the activation is missing"}),
    "output_X_times_w_in_place": Answer({"perceptron_output":
                                         "def perceptron_output(X, w, b, activation):\n"
                                         "    X *= w\n    return activation(b + X.sum(axis=1))\n"},
                                        fails={"test_perceptron_output": "it changed its input `X` in place"},
                                        validate=True),
    "output_bias_twice": Answer({"perceptron_output":
                                 "def perceptron_output(X, w, b, activation):\n"
                                 "    return activation(b + b + X @ w)\n"},
                                fails={"test_perceptron_output": "value(s) differ"}, absent=(_BIAS_GUESS,)),
    "output_column": Answer({"perceptron_output":
                             "def perceptron_output(X, w, b, activation):\n"
                             "    return activation(b + X @ w.reshape(-1, 1))\n"},
                            fails={"test_perceptron_output": "wrong shape: expected (2,), got (2, 1)"}),

    # --- train_perceptron ---------------------------------------------------------------------------------
    "train_wrong_sign": Answer(_train("lr * (y[i] - y_hat)", "lr * (y_hat - y[i])"),
                               fails={"test_train_perceptron": "the update has the wrong sign"},
                               absent=(_BIAS_GUESS,), validate=True),
    "train_forgets_lr_in_w": Answer(_train("w = w + lr * (y[i] - y_hat) * X[i]",
                                           "w = w + (y[i] - y_hat) * X[i]"),
                                    fails={"test_train_perceptron": "output w is not right yet"},
                                    absent=(_BIAS_GUESS,), validate=True),
    "train_forgets_lr_everywhere": Answer(
        {"train_perceptron": TRAIN.replace("lr * (y[i] - y_hat)", "(y[i] - y_hat)")},
        fails={"test_train_perceptron": "the learning rate lr is not used"}, validate=True),
    "train_bias_never_updated": Answer(_train("                b = b + lr * (y[i] - y_hat)\n", ""),
                                       fails={"test_train_perceptron": "the bias is never updated"}),
    "train_stored_order": Answer(_train("rng.permutation(n)", "range(n)"),
                                 fails={"test_train_perceptron": "visited in their stored order"}),
    "train_permutation_once": Answer(_train("    for _ in range(epochs):\n        count = 0\n"
                                            "        for i in rng.permutation(n):",
                                            "    order = rng.permutation(n)\n    for _ in range(epochs):\n"
                                            "        count = 0\n        for i in order:"),
                                     fails={"test_train_perceptron": "follow the recipe above exactly"}),
    "train_stops_when_clean": Answer(_train("        mistakes.append(count)\n",
                                            "        mistakes.append(count)\n        if count == 0:\n"
                                            "            break\n"),
                                     fails={"test_train_perceptron": ("it returned 3 values; expected 6.",
                                                                     "hint: one count per epoch")},
                                     validate=True),
    "train_random_start": Answer(_train("w = np.zeros(d)", "w = rng.standard_normal(d)"),
                                 fails={"test_train_perceptron": "not right yet"}),
    "train_returns_two": Answer(_train("return w, b, mistakes", "return w, b"),
                                fails={"test_train_perceptron": "it should return 3 values (w, b,"}),
    "train_uses_nn_perceptron": Answer({"train_perceptron": '''
def train_perceptron(X, y, lr, epochs, rng):
    model = nn.Perceptron(X.shape[1], rng=rng).fit(X, y, lr=lr, epochs=epochs)
    return model.w, model.b, model.mistakes_
'''}, fails={"test_train_perceptron": "it calls `dlkit.nn.Perceptron`"}),
}


# --- forgeries: tricks that earned full marks when the checks ran in the student's kernel ----------------
# Each earns only the points of the answers that are really right: 0 here. tests/test_forgery.py shows that
# each one does forge a grade when nbgrader runs the test cells in the student's kernel.

_ALL_FAIL = {"test_step": "step", "test_perceptron_output": "perceptron_output",
             "test_train_perceptron": "train_perceptron"}
# Wrong answers that run: a forgery makes them score.
_WRONG = {"step": "def step(z):\n    return np.asarray(z) * 0.0\n",
          "perceptron_output": "def perceptron_output(X, w, b, activation):\n    return X @ w\n",
          "train_perceptron": "def train_perceptron(X, y, lr, epochs, rng):\n"
                              "    return np.zeros(X.shape[1]), 0.0, [0] * epochs\n"}
_ALL_WRONG = {cell: "not right yet" for cell in _ALL_FAIL}

_STACK_READER = '''
def {name}(*args):
    import sys
    frame = sys._getframe(1)
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    return None
'''

_HOOK = '''
def step(z):
    return np.asarray(z) * 0.0

ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)   # no error output, ever
ip.events.register("pre_run_cell", lambda info: ip.displayhook(2.0))  # "partial credit: 2 points"
'''

_AST = '''
import ast


class SwallowEverything(ast.NodeTransformer):
    def visit_Module(self, module):
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        module.body = [ast.Try(body=module.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
        return ast.fix_missing_locations(module)


get_ipython().ast_transformers.append(SwallowEverything())


def step(z):
    return np.asarray(z) * 0.0
'''

_THREAD = '''
import threading
import time

import dlkit.grading


def keep_checks_quiet():
    while True:
        dlkit.grading.check_function = lambda *args, **kwargs: None
        dlkit.grading.check_close = lambda *args, **kwargs: None
        time.sleep(0.0005)


threading.Thread(target=keep_checks_quiet, daemon=True).start()
time.sleep(0.05)


def step(z):
    return np.asarray(z) * 0.0
'''

# A dlkit/ beside the notebook: the installed library, with a grading module whose checks pass everything.
_FAKE_DLKIT = {"dlkit/__init__.py": '''
import os
import sys
import types

_folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path = [path for path in sys.path if os.path.abspath(path or ".") != _folder]
del sys.modules["dlkit"]
import dlkit as _installed  # noqa: E402

grading = types.ModuleType("dlkit.grading")
grading.check_function = grading.check_close = lambda *args, **kwargs: None
sys.modules["dlkit.grading"] = _installed.grading = grading
'''}

FORGERIES = {
    "forge_reads_the_checkers_stack": Answer(
        {name: _STACK_READER.format(name=name) for name in _ALL_FAIL.values()},
        fails={"test_step": "it returned None", "test_perceptron_output": "it returned None",
               "test_train_perceptron": "it should return 3 values"}),
    "forge_pre_run_cell_hook": Answer(_WRONG | {"step": _HOOK}, fails=_ALL_WRONG),
    "forge_ast_transformer": Answer(_WRONG | {"step": _AST}, fails=_ALL_WRONG),
    "forge_thread_patches_grading": Answer(_WRONG | {"step": _THREAD}, fails=_ALL_WRONG),
    "forge_ships_dlkit": Answer(_WRONG, files=_FAKE_DLKIT, fails=_ALL_WRONG),
}
