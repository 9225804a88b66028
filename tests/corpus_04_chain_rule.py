"""04_chain_rule as students answer it: legitimate styles and the typical mistakes (see corpus.py)."""

from pathlib import Path

import nbformat
from corpus import Answer

POINTS = {"test_numerical_derivative": 1, "test_numerical_gradient": 2, "test_graph_forward_backward": 1,
          "test_Value": 2, "test_dense_forward": 1, "test_dense_backward": 3, "test_sigmoid_backward": 1,
          "test_two_layer_backward": 3, "test_dag_forward_backward": 2}

_NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "04_chain_rule" / "04_chain_rule.ipynb"


def _solution(cell_id):
    """The instructor's answer to `cell_id`, without the solution markers."""
    (cell,) = [cell for cell in nbformat.read(_NOTEBOOK, as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("grade_id") == cell_id]
    return "\n".join(line for line in cell.source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _edit(cell_id, *replacements):
    """The solution of `cell_id` with each (old, new) replacement made; every old text must be there."""
    source = _solution(cell_id)
    for old, new in replacements:
        assert old in source, f"{old!r} not in the solution of {cell_id}"
        source = source.replace(old, new)
    return {cell_id: source}


_MUL = ("            self.grad += other.data * out.grad\n"
        "            other.grad += self.data * out.grad\n")
_POW = "            self.grad += k * self.data ** (k - 1) * out.grad\n"


def _value(mul=_MUL, power=_POW):
    """The Value class with the two backward rules written as given."""
    return _edit("Value", (_MUL, mul), (_POW, power))


GRADIENT = '''
def numerical_gradient(f, x, h=1e-5):
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''

BACKWARD = '''
def dense_backward(dout, cache):
    X, W, b = cache
    N = X.shape[0]
    X_flat = X.reshape(N, -1)
    dX = (dout @ W.T).reshape(X.shape)
    dW = X_flat.T @ dout
    db = np.sum(dout, axis=0)
    return dX, dW, db
'''

DAG = '''
def dag_forward_backward(X, w1, w2, y):
    z1 = w1 * X
    z2 = w2 * (z1 + X)
    y_hat = w1 * (z1 + z2)
    L = (y_hat - y) ** 2
    dL_dyhat = 2 * (y_hat - y)
    dL_dz2 = dL_dyhat * w1
    dL_dz1 = dL_dyhat * w1 + dL_dz2 * w2
    dL_dw1 = dL_dyhat * (z1 + z2) + dL_dz1 * X
    dL_dw2 = dL_dz2 * (z1 + X)
    return y_hat, L, dL_dw1, dL_dw2
'''


def _replace(template, cell_id, *replacements):
    source = template
    for old, new in replacements:
        assert old in source, f"{old!r} not in the template of {cell_id}"
        source = source.replace(old, new)
    return {cell_id: source}


ANSWERS = {
    # --- legitimate styles: full marks ------------------------------------------------------------------
    "derivative_two_values": Answer({"numerical_derivative": '''
def numerical_derivative(f, x, h=1e-5):
    f_plus, f_minus = f(x + h), f(x - h)
    return (f_plus - f_minus) / (2.0 * h)
'''}),
    "derivative_half": Answer({"numerical_derivative":
                               "def numerical_derivative(f, x, h=1e-5):\n"
                               "    return 0.5 * (f(x + h) - f(x - h)) / h\n"}),
    "gradient_on_a_copy": Answer({"numerical_gradient": GRADIENT}),
    "gradient_two_copies_per_entry": Answer({"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
'''}),
    "gradient_nditer": Answer({"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad
'''}),
    "graph_inline": Answer({"graph_forward_backward": '''
def graph_forward_backward(w, b, x, y):
    e = w * x + b - y
    return w * x + b, e, e * e, 2 * e * x, 2 * e
'''}),
    "graph_named_steps": Answer({"graph_forward_backward": '''
def graph_forward_backward(w, b, x, y):
    y_hat = float(w * x + b)
    e = y_hat - y
    L = e ** 2
    dL_dyhat = 2.0 * e * 1.0
    return y_hat, e, L, dL_dyhat * x, dL_dyhat
'''}),
    "value_named_factors": Answer(_value(
        mul="            a, b = self, other\n"
            "            a.grad += b.data * out.grad\n"
            "            b.grad += a.data * out.grad\n",
        power="            self.grad += out.grad * (k * self.data ** (k - 1))\n")),
    "value_explicit_sums": Answer(_value(
        mul="            upstream = out.grad\n"
            "            self.grad = self.grad + upstream * other.data\n"
            "            other.grad = other.grad + upstream * self.data\n",
        power="            self.grad = self.grad + out.grad * k * np.power(self.data, k - 1)\n")),
    "dense_forward_dot": Answer({"dense_forward": '''
def dense_forward(X, W, b):
    out = np.dot(X.reshape(len(X), -1), W) + b
    return out, (X, W, b)
'''}),
    "dense_forward_list_cache": Answer({"dense_forward": '''
def dense_forward(X, W, b):
    D = int(np.prod(X.shape[1:]))
    out = X.reshape(-1, D) @ W + b
    cache = [X, W, b]
    return out, cache
'''}),
    "dense_backward_dot": Answer({"dense_backward": '''
def dense_backward(dout, cache):
    X, W, b = cache
    dX = np.dot(dout, W.T).reshape(X.shape)
    dW = np.dot(X.reshape(X.shape[0], -1).T, dout)
    db = np.sum(dout, axis=0)
    return dX, dW, db
'''}),
    "dense_backward_einsum": Answer({"dense_backward": '''
def dense_backward(dout, cache):
    X, W, _ = cache
    X_flat = X.reshape(X.shape[0], -1)
    dW = np.einsum("nd,nm->dm", X_flat, dout)
    db = dout.sum(0)
    dX = np.einsum("nm,dm->nd", dout, W).reshape(*X.shape)
    return dX, dW, db
'''}),
    "sigmoid_backward_local": Answer({"sigmoid_backward": '''
def sigmoid_backward(dout, cache):
    local_gradient = cache * (1.0 - cache)
    return dout * local_gradient
'''}),
    "sigmoid_backward_minus_square": Answer({"sigmoid_backward":
                                             "def sigmoid_backward(dout, cache):\n"
                                             "    a = cache\n    return dout * (a - a ** 2)\n"}),
    "two_layer_by_hand": Answer({"two_layer_backward": '''
def two_layer_backward(X, y, W1, b1, W2, b2):
    H = sigmoid(X @ W1 + b1)
    y_hat = sigmoid(H @ W2 + b2)
    n = len(X)
    loss = -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / n
    delta2 = (y_hat - y) / n
    dW2 = H.T @ delta2
    db2 = delta2.sum(axis=0)
    delta1 = (delta2 @ W2.T) * H * (1 - H)
    dW1 = X.T @ delta1
    db1 = delta1.sum(axis=0)
    return loss, dW1, db1, dW2, db2
'''}),
    "two_layer_logits_loss": Answer({"two_layer_backward": '''
def two_layer_backward(X, y, W1, b1, W2, b2):
    z1, cache1 = dense_forward(X, W1, b1)
    H, cache_h = sigmoid_forward(z1)
    z2, cache2 = dense_forward(H, W2, b2)
    loss = np.mean(np.maximum(z2, 0) - z2 * y + np.log1p(np.exp(-np.abs(z2))))
    dz2 = (sigmoid(z2) - y) / X.shape[0]
    dH, dW2, db2 = dense_backward(dz2, cache2)
    _, dW1, db1 = dense_backward(sigmoid_backward(dH, cache_h), cache1)
    return float(loss), dW1, db1, dW2, db2
'''}),
    "dag_closed_form": Answer({"dag_forward_backward": '''
def dag_forward_backward(X, w1, w2, y):
    y_hat = X * (w1 ** 2 * (1 + w2) + w1 * w2)
    dL_dyhat = 2 * (y_hat - y)
    return y_hat, (y_hat - y) ** 2, dL_dyhat * X * (2 * w1 * (1 + w2) + w2), dL_dyhat * X * (w1 ** 2 + w1)
'''}),
    "dag_with_value": Answer({"dag_forward_backward": '''
def dag_forward_backward(X, w1, w2, y):
    a, b = Value(w1), Value(w2)
    z1 = a * X
    z2 = b * (z1 + X)
    y_hat = a * (z1 + z2)
    L = (y_hat - y) ** 2
    L.backward()
    return y_hat.data, L.data, a.grad, b.grad
'''}),

    # --- numerical_derivative ------------------------------------------------------------------------
    "derivative_forward": Answer({"numerical_derivative": "def numerical_derivative(f, x, h=1e-5):\n"
                                                          "    return (f(x + h) - f(x)) / h\n"},
                                 fails={"test_numerical_derivative": "this is the forward difference"},
                                 validate=True),
    "derivative_precedence": Answer({"numerical_derivative": "def numerical_derivative(f, x, h=1e-5):\n"
                                                             "    return (f(x + h) - f(x - h)) / 2 * h\n"},
                                    fails={"test_numerical_derivative": "write / (2 * h) with parentheses"}),
    "derivative_fixed_step": Answer({"numerical_derivative": """
def numerical_derivative(f, x, h=1e-5):
    step = 1e-5
    return (f(x + step) - f(x - step)) / (2 * step)
"""},
                                    fails={"test_numerical_derivative": "use the step h you are given"},
                                    validate=True),

    # --- numerical_gradient ---------------------------------------------------------------------------
    "gradient_left_perturbed_on_a_copy": Answer(
        _replace(GRADIENT, "numerical_gradient", ("        x[i] = old\n", "")),
        fails={"test_numerical_gradient": "an entry was left perturbed"}, validate=True),
    "gradient_left_perturbed_in_place": Answer(
        _replace(GRADIENT, "numerical_gradient", ("    x = x.copy()\n", ""), ("        x[i] = old\n", "")),
        fails={"test_numerical_gradient": "it changed its input `x` in place"}, validate=True),
    "gradient_restored_by_arithmetic": Answer({"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''}, fails={"test_numerical_gradient": "it changed its input `x` in place"}, validate=True),
    "gradient_forward": Answer(
        _replace(GRADIENT, "numerical_gradient", ("x[i] = old - h", "x[i] = old"), ("(2 * h)", "h")),
        fails={"test_numerical_gradient": "this is the forward difference"}),

    # --- graph_forward_backward -------------------------------------------------------------------------
    "graph_dL_de_is_e": Answer(_edit("graph_forward_backward", ("dL_de = 2 * e", "dL_de = e")),
                               fails={"test_graph_forward_backward": "which is 2 e, not e"}, validate=True),
    "graph_error_reversed": Answer(_edit("graph_forward_backward", ("e = y_hat - y", "e = y - y_hat")),
                                   fails={"test_graph_forward_backward": ("output e is not right yet",
                                                                          "the wrong sign")}),

    # --- Value ----------------------------------------------------------------------------------------------
    "value_assigns": Answer(_value(mul=_MUL.replace("+=", "="), power=_POW.replace("+=", "=")),
                            fails={"test_Value": "add with +=, do not assign with ="}, validate=True),
    "value_own_factor": Answer(_value(mul="            self.grad += self.data * out.grad\n"
                                          "            other.grad += other.data * out.grad\n"),
                               fails={"test_Value": "each gets the OTHER factor"}, validate=True),
    "value_power_without_upstream": Answer(
        _value(power="            self.grad += k * self.data ** (k - 1)\n"),
        fails={"test_Value": "multiply by out.grad"}),
    "value_power_not_lowered": Answer(
        _value(power="            self.grad += k * self.data ** k * out.grad\n"),
        fails={"test_Value": "the power drops by one"}),
    "value_subclass_of_dlkit": Answer({"Value": "class Value(autograd.Value):\n    pass\n"},
                                      fails={"test_Value": "calls dlkit's answer instead of computing"}),

    # --- dense_forward -------------------------------------------------------------------------------------
    "dense_forward_no_bias": Answer(_edit("dense_forward", ("out = X_flat @ W + b", "out = X_flat @ W")),
                                    fails={"test_dense_forward": "the bias b is missing"}),
    "dense_forward_caches_flat_X": Answer(
        _edit("dense_forward", ("cache = (X, W, b)", "cache = (X_flat, W, b)")),
        fails={"test_dense_forward": "dense_forward's cached X is not right"}),

    # --- dense_backward ------------------------------------------------------------------------------------
    "dense_backward_keepdims": Answer(
        _replace(BACKWARD, "dense_backward", ("np.sum(dout, axis=0)", "np.sum(dout, axis=0, keepdims=True)")),
        fails={"test_dense_backward": ("output db is not right yet", "expected (2,), got (1, 2)",
                                       "without keepdims")},
        absent=("divided by N",), validate=True),
    "dense_backward_divides_by_N": Answer(
        _replace(BACKWARD, "dense_backward", ("dW = X_flat.T @ dout", "dW = X_flat.T @ dout / N"),
                 ("db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=0) / N")),
        fails={"test_dense_backward": "dW and db must not be divided by N"},
        notes={"test_two_layer_backward": "with your own"}, validate=True),
    "dense_backward_not_reshaped": Answer(
        _replace(BACKWARD, "dense_backward", ("(dout @ W.T).reshape(X.shape)", "dout @ W.T")),
        fails={"test_dense_backward": ("output dX is not right yet", "reshape dout @ W.T to X.shape")},
        validate=True),
    "dense_backward_transposed": Answer(
        _replace(BACKWARD, "dense_backward", ("dW = X_flat.T @ dout", "dW = dout.T @ X_flat")),
        fails={"test_dense_backward": ("output dW is not right yet", "the result is transposed")}),

    # --- sigmoid_backward ----------------------------------------------------------------------------------
    "sigmoid_backward_twice": Answer({"sigmoid_backward": '''
def sigmoid_backward(dout, cache):
    s = sigmoid(cache)
    return dout * s * (1 - s)
'''}, fails={"test_sigmoid_backward": "sigmoid(cache) is sigmoid(sigmoid(z))"}, validate=True),
    "sigmoid_backward_without_dout": Answer({"sigmoid_backward": "def sigmoid_backward(dout, cache):\n"
                                                                 "    return cache * (1 - cache)\n"},
                                            fails={"test_sigmoid_backward": "multiply by dout"}),

    # --- two_layer_backward --------------------------------------------------------------------------------
    "two_layer_without_mean": Answer(
        _edit("two_layer_backward", ("dz2 = (y_hat - y) / N", "dz2 = y_hat - y")),
        fails={"test_two_layer_backward": "without the / N"}, validate=True),
    "two_layer_sigmoid_derivative_again": Answer(
        _edit("two_layer_backward", ("dz2 = (y_hat - y) / N", "dz2 = (y_hat - y) / N * y_hat * (1 - y_hat)")),
        fails={"test_two_layer_backward": "do not multiply by it again"}),
    "two_layer_loss_summed": Answer(_edit("two_layer_backward", ("L = -np.mean(", "L = -np.sum(")),
                                    fails={"test_two_layer_backward": ("output L is not right yet",
                                                                       "not their sum")}),
    "two_layer_squeezed_breaks_at_one_sample": Answer(_edit(
        "two_layer_backward",
        ("    y_hat, _ = sigmoid_forward(z2)\n",
         "    y_hat = sigmoid_forward(z2)[0].squeeze()\n    t = y.squeeze()\n"),
        ("y * np.log(y_hat) + (1 - y)", "t * np.log(y_hat) + (1 - t)"),
        ("dz2 = (y_hat - y) / N", "dz2 = (y_hat - t)[:, None] / N")),
        fails={"test_two_layer_backward": ("stopped with an error", "IndexError", "shape (1, 2)")}),

    # --- dag_forward_backward ------------------------------------------------------------------------------
    "dag_without_direct_term": Answer(
        _replace(DAG, "dag_forward_backward", ("dL_dyhat * (z1 + z2) + dL_dz1 * X", "dL_dz1 * X")),
        fails={"test_dag_forward_backward": ("output dL_dw1 is not right yet", "expected: 76", "got: 32",
                                             "8 instead of 19")},
        validate=True),
    "dag_z1_used_once": Answer(
        _replace(DAG, "dag_forward_backward",
                 ("dL_dz1 = dL_dyhat * w1 + dL_dz2 * w2", "dL_dz1 = dL_dyhat * w1")),
        fails={"test_dag_forward_backward": "z1 is used twice"}, absent=("8 instead of 19",)),
    "dag_only_direct_term": Answer(
        _replace(DAG, "dag_forward_backward", ("dL_dyhat * (z1 + z2) + dL_dz1 * X", "dL_dyhat * (z1 + z2)")),
        fails={"test_dag_forward_backward": "w1 is also used in z1"}),
}
