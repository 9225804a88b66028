"""03_xor as students answer it: legitimate styles and the typical mistakes (see corpus.py)."""

from corpus import Answer

POINTS = {"test_count_parameters": 2, "test_forward_2_2_1": 3, "test_mlp_forward": 3,
          "test_binary_cross_entropy": 3, "test_mse": 2, "test_cross_entropy": 3}

# Hints that name a cause: none may appear where the evidence does not show that cause.
_TRANSPOSED = "W1 is used transposed"
_SWAPPED = "the arguments are swapped"
_MINUS = "the minus sign is missing"

FORWARD = '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    Z1 = X @ W1
    if b1 is not None:
        Z1 = Z1 + b1
    H = sigmoid(Z1)
    z2 = H @ W2
    if b2 is not None:
        z2 = z2 + b2
    return H, sigmoid(z2)
'''

MLP = '''
def mlp_forward(X, weights, biases, activation, output_activation):
    A = X
    L = len(weights)
    for k in range(L):
        Z = A @ weights[k] + biases[k]
        if k < L - 1:
            A = activation(Z)
        elif output_activation is not None:
            A = output_activation(Z)
        else:
            A = Z
    return A
'''

BCE = '''
def binary_cross_entropy(y_true, y_pred):
    p = np.clip(np.reshape(y_pred, np.shape(y_true)), 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
'''

MSE = '''
def mse(y_true, y_pred):
    error = np.reshape(y_pred, np.shape(y_true)) - y_true
    return np.mean(error**2)
'''

CE = '''
def cross_entropy(y_true, probs):
    n, C = probs.shape
    if np.ndim(y_true) == 1:
        y_true = np.eye(C)[y_true]
    p = np.clip(probs, 1e-7, 1.0)
    return -np.mean(np.sum(y_true * np.log(p), axis=1))
'''


def _edit(cell_id, source, old, new):
    assert source.count(old) == 1, old
    return {cell_id: source.replace(old, new)}


ANSWERS = {
    # --- legitimate styles: full marks ------------------------------------------------------------------
    "count_loop": Answer({"count_parameters": '''
def count_parameters(sizes):
    total = 0
    for k in range(1, len(sizes)):
        total += sizes[k - 1] * sizes[k] + sizes[k]
    return total
'''}),
    "count_numpy": Answer({"count_parameters": '''
def count_parameters(sizes):
    s = np.asarray(sizes)
    return int(np.sum((s[:-1] + 1) * s[1:]))
'''}),
    "forward_dot_own_sigmoid": Answer({"forward_2_2_1": '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    b1 = np.zeros(2) if b1 is None else b1
    b2 = 0.0 if b2 is None else b2
    H = 1 / (1 + np.exp(-(np.dot(X, W1) + b1)))
    y_hat = 1 / (1 + np.exp(-(np.dot(H, W2) + b2)))
    return H, y_hat
'''}),
    "forward_einsum": Answer({"forward_2_2_1": '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    if b1 is None:
        b1 = np.zeros(W1.shape[1])
    if b2 is None:
        b2 = 0
    H = sigmoid(np.einsum("nj,ji->ni", X, W1) + b1)
    y_hat = sigmoid((H * W2).sum(axis=1) + b2)
    return H, y_hat
'''}),
    "mlp_zip_then_last": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    A = X
    for W, b in zip(weights[:-1], biases[:-1]):
        A = activation(A @ W + b)
    Z = A @ weights[-1] + biases[-1]
    return Z if output_activation is None else output_activation(Z)
'''}),
    "mlp_identity_function": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    last = output_activation if output_activation is not None else (lambda z: z)
    A = X
    for k, (W, b) in enumerate(zip(weights, biases)):
        g = last if k == len(weights) - 1 else activation
        A = g(np.matmul(A, W) + b)
    return A
'''}),
    "bce_where_ravel": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    p = np.clip(np.ravel(y_pred), 1e-12, 1 - 1e-12)
    y = np.ravel(y_true)
    return float(-np.mean(np.where(y == 1, np.log(p), np.log(1 - p))))
'''}),
    "bce_log1p_sum_over_n": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    y_pred = y_pred.reshape(y_true.shape)
    eps = 1e-15
    p = np.minimum(np.maximum(y_pred, eps), 1 - eps)
    n = len(y_true)
    return -np.sum(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)) / n
'''}),
    "mse_square_subtract": Answer({"mse": '''
def mse(y_true, y_pred):
    return np.mean(np.square(np.subtract(y_pred.reshape(y_true.shape), y_true)))
'''}),
    "mse_ravel_dot": Answer({"mse": '''
def mse(y_true, y_pred):
    d = np.ravel(y_true) - np.ravel(y_pred)
    return d @ d / d.size
'''}),
    "ce_pick_true_class": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    labels = y_true if y_true.ndim == 1 else np.argmax(y_true, axis=1)
    picked = probs[np.arange(len(labels)), labels]
    return -np.mean(np.log(np.maximum(picked, 1e-12)))
'''}),
    "ce_build_one_hot": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    n, C = probs.shape
    if y_true.ndim == 1:
        Y = np.zeros((n, C))
        Y[np.arange(n), y_true] = 1
    else:
        Y = y_true
    return -np.sum(Y * np.log(np.clip(probs, 1e-15, None))) / n
'''}),

    # --- count_parameters ----------------------------------------------------------------------------------
    "count_without_biases": Answer({"count_parameters": '''
def count_parameters(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
'''}, fails={"test_count_parameters": "the biases are missing"}, validate=True),
    "count_bias_per_input": Answer({"count_parameters": '''
def count_parameters(sizes):
    return sum(a * (b + 1) for a, b in zip(sizes[:-1], sizes[1:]))
'''}, fails={"test_count_parameters": "one bias per input instead of one per unit"}),
    "count_input_biases": Answer({"count_parameters": '''
def count_parameters(sizes):
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return weights + sum(sizes)
'''}, fails={"test_count_parameters": "the inputs got biases too"}),
    "count_pops_the_list": Answer({"count_parameters": '''
def count_parameters(sizes):
    total = 0
    while len(sizes) > 1:
        d_in = sizes.pop(0)
        total += (d_in + 1) * sizes[0]
    return total
'''}, fails={"test_count_parameters": "it changed its input `sizes` in place"}, validate=True),
    "count_with_mlp": Answer({"count_parameters": '''
def count_parameters(sizes):
    return sum(p.value.size for p in nn.MLP(sizes).parameters())
'''}, fails={"test_count_parameters": "it calls `dlkit.nn.MLP`"}),

    # --- forward_2_2_1 -------------------------------------------------------------------------------------
    "forward_W1_transposed": Answer(_edit("forward_2_2_1", FORWARD, "X @ W1", "X @ W1.T"),
                                    fails={"test_forward_2_2_1": _TRANSPOSED}, validate=True),
    "forward_no_output_sigmoid": Answer(_edit("forward_2_2_1", FORWARD, "return H, sigmoid(z2)",
                                              "return H, z2"),
                                        fails={"test_forward_2_2_1": "the output sigmoid is missing"},
                                        absent=(_TRANSPOSED,), validate=True),
    "forward_no_hidden_sigmoid": Answer(_edit("forward_2_2_1", FORWARD, "H = sigmoid(Z1)", "H = Z1"),
                                        fails={"test_forward_2_2_1": "the hidden sigmoid is missing"},
                                        absent=(_TRANSPOSED,)),
    "forward_column_output": Answer(_edit("forward_2_2_1", FORWARD, "z2 = H @ W2",
                                          "z2 = H @ W2.reshape(-1, 1)"),
                                    fails={"test_forward_2_2_1": ("wrong shape: expected (4,), got (4, 1)",
                                                                  "y_hat has one value per sample")},
                                    validate=True),
    "forward_ignores_biases": Answer({"forward_2_2_1": '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    H = sigmoid(X @ W1)
    return H, sigmoid(H @ W2)
'''}, fails={"test_forward_2_2_1": "the biases are not used"}, validate=True),
    "forward_bias_none_unhandled": Answer({"forward_2_2_1": '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    H = sigmoid(X @ W1 + b1)
    return H, sigmoid(H @ W2 + b2)
'''}, fails={"test_forward_2_2_1": ("forward_2_2_1 stopped with an error.", "NoneType")}, validate=True),
    "forward_uses_mlp_forward": Answer({"forward_2_2_1": '''
def forward_2_2_1(X, W1, W2, b1=None, b2=None):
    out, (H,) = nn.mlp_forward(X, [W1, W2[:, None]], None, "sigmoid", "sigmoid", return_hidden=True)
    return H, out[:, 0]
'''}, fails={"test_forward_2_2_1": "it calls `dlkit.nn.mlp_forward`"}),

    # --- mlp_forward ----------------------------------------------------------------------------------------
    "mlp_activation_on_last_layer": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    A = X
    for W, b in zip(weights, biases):
        A = activation(A @ W + b)
    return A
'''}, fails={"test_mlp_forward": "the last layer uses `activation`"}, validate=True),
    "mlp_forgets_output_activation": Answer(
        _edit("mlp_forward", MLP,
              "        elif output_activation is not None:\n            A = output_activation(Z)\n", ""),
        fails={"test_mlp_forward": "`output_activation` is not applied"}, validate=True),
    "mlp_no_hidden_activation": Answer(_edit("mlp_forward", MLP, "A = activation(Z)", "A = Z"),
                                       fails={"test_mlp_forward": "the hidden layers have no activation"}),
    "mlp_calls_none": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    A = X
    for W, b in zip(weights[:-1], biases[:-1]):
        A = activation(A @ W + b)
    return output_activation(A @ weights[-1] + biases[-1])
'''}, fails={"test_mlp_forward": ("mlp_forward stopped with an error.", "'NoneType' object is not callable")},
        validate=True),
    "mlp_skips_last_layer": Answer(_edit("mlp_forward", MLP, "for k in range(L):", "for k in range(L - 1):"),
                                   fails={"test_mlp_forward": ("wrong shape: expected (5, 2), got (5, 4)",
                                                               "one column per unit of the last layer")}),
    "mlp_transposed_weights": Answer(_edit("mlp_forward", MLP, "A @ weights[k]", "A @ weights[k].T"),
                                     fails={"test_mlp_forward": "mlp_forward stopped with an error."}),
    "mlp_pops_the_lists": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    W_last, b_last = weights.pop(), biases.pop()
    A = X
    for W, b in zip(weights, biases):
        A = activation(A @ W + b)
    Z = A @ W_last + b_last
    return Z if output_activation is None else output_activation(Z)
'''}, fails={"test_mlp_forward": "it changed its input `weights`, `biases` in place"}, validate=True),
    "mlp_uses_dlkit": Answer({"mlp_forward": '''
def mlp_forward(X, weights, biases, activation, output_activation):
    return nn.mlp_forward(X, weights, biases, activation, output_activation)
'''}, fails={"test_mlp_forward": "it calls `dlkit.nn.mlp_forward`"}),

    # --- binary_cross_entropy -----------------------------------------------------------------------------
    "bce_no_minus": Answer(_edit("binary_cross_entropy", BCE, "return -np.mean", "return np.mean"),
                           fails={"test_binary_cross_entropy": _MINUS}, absent=(_SWAPPED,), validate=True),
    "bce_sum": Answer(_edit("binary_cross_entropy", BCE, "return -np.mean", "return -np.sum"),
                      fails={"test_binary_cross_entropy": "this is the sum over the samples"}, validate=True),
    "bce_log2": Answer(_edit("binary_cross_entropy", BCE, "np.log(p) + (1 - y_true) * np.log(1 - p)",
                             "np.log2(p) + (1 - y_true) * np.log2(1 - p)"),
                       fails={"test_binary_cross_entropy": ("this uses log base 2", "1.326")}),
    "bce_swapped_arguments": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_pred, y_true):
    p = np.clip(np.reshape(y_pred, np.shape(y_true)), 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
'''}, fails={"test_binary_cross_entropy": _SWAPPED}, absent=(_MINUS,), validate=True),
    "bce_column_broadcast": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
'''}, fails={"test_binary_cross_entropy": "broadcast them into an (n, n) matrix"}, validate=True),
    "bce_unclipped": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    p = np.reshape(y_pred, np.shape(y_true))
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
'''}, fails={"test_binary_cross_entropy": "clip y_pred into [eps, 1 - eps]"}, absent=(_MINUS, _SWAPPED),
        validate=True),
    "bce_where_unclipped": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    p = np.reshape(y_pred, np.shape(y_true))
    return -np.mean(np.where(y_true == 1, np.log(p), np.log(1 - p)))
'''}, fails={"test_binary_cross_entropy": ("got: inf", "clip y_pred into [eps, 1 - eps]")}),
    "bce_only_positive_term": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    p = np.clip(np.reshape(y_pred, np.shape(y_true)), 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(p))
'''}, fails={"test_binary_cross_entropy": "the (1 - y) log(1 - p) term is missing"}),
    "bce_calls_dlkit": Answer({"binary_cross_entropy": '''
def binary_cross_entropy(y_true, y_pred):
    return losses.binary_cross_entropy(y_true, y_pred)
'''}, fails={"test_binary_cross_entropy": "it calls `dlkit.losses.binary_cross_entropy`"}),

    # --- mse -----------------------------------------------------------------------------------------------
    "mse_sum": Answer(_edit("mse", MSE, "np.mean(error**2)", "np.sum(error**2)"),
                      fails={"test_mse": "this is the sum of the squared errors"}, validate=True),
    "mse_half": Answer(_edit("mse", MSE, "np.mean(error**2)", "0.5 * np.mean(error**2)"),
                       fails={"test_mse": "this is half the MSE"}),
    "mse_root": Answer(_edit("mse", MSE, "np.mean(error**2)", "np.sqrt(np.mean(error**2))"),
                       fails={"test_mse": "the square root of the MSE"}),
    "mse_absolute": Answer(_edit("mse", MSE, "np.mean(error**2)", "np.mean(np.abs(error))"),
                           fails={"test_mse": "this is the mean absolute error"}),
    "mse_column_broadcast": Answer({"mse": '''
def mse(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2)
'''}, fails={"test_mse": "broadcast them into an (n, n) matrix"}, validate=True),
    "mse_row_sums": Answer(_edit("mse", MSE, "np.mean(error**2)",
                                 "np.mean(np.sum(np.reshape(error**2, (len(error), -1)), axis=1))"),
                           fails={"test_mse": "the mean runs over all n * k entries"}, validate=True),

    # --- cross_entropy --------------------------------------------------------------------------------------
    "ce_integer_labels_only": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    n = len(y_true)
    return -np.mean(np.log(probs[np.arange(n), y_true] + 1e-12))
'''}, fails={"test_cross_entropy": ("cross_entropy with one-hot labels stopped with an error",
                                    "IndexError")}, validate=True),
    "ce_one_hot_only": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    return -np.mean(np.sum(y_true * np.log(np.clip(probs, 1e-12, 1.0)), axis=1))
'''}, fails={"test_cross_entropy": ("cross_entropy with integer labels is not right yet",
                                    "probs[np.arange(n), y_true] picks")}, validate=True),
    "ce_mean_of_all_entries": Answer(_edit("cross_entropy", CE,
                                           "-np.mean(np.sum(y_true * np.log(p), axis=1))",
                                           "-np.mean(y_true * np.log(p))"),
                                     fails={"test_cross_entropy": "divides by n * C"}, validate=True),
    "ce_sum": Answer(_edit("cross_entropy", CE, "-np.mean(np.sum(y_true * np.log(p), axis=1))",
                           "-np.sum(y_true * np.log(p))"),
                     fails={"test_cross_entropy": "this is the sum over the samples"}),
    "ce_log2": Answer(_edit("cross_entropy", CE, "np.log(p)", "np.log2(p)"),
                      fails={"test_cross_entropy": "this uses log base 2"}),
    "ce_no_minus": Answer(_edit("cross_entropy", CE, "return -np.mean", "return np.mean"),
                          fails={"test_cross_entropy": _MINUS}, absent=(_SWAPPED,)),
    "ce_unclipped": Answer(_edit("cross_entropy", CE, "p = np.clip(probs, 1e-7, 1.0)", "p = probs"),
                           fails={"test_cross_entropy": "clip probs to at least eps"}, absent=(_MINUS,),
                           validate=True),
    "ce_pick_unclipped": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    labels = y_true if y_true.ndim == 1 else y_true.argmax(axis=1)
    return -np.mean(np.log(probs[np.arange(len(labels)), labels]))
'''}, fails={"test_cross_entropy": ("got: inf", "clip probs to at least eps")}, absent=(_MINUS,)),
    "ce_softmax_again": Answer(_edit("cross_entropy", CE, "p = np.clip(probs, 1e-7, 1.0)",
                                     "p = np.clip(softmax(probs, axis=1), 1e-7, 1.0)"),
                               fails={"test_cross_entropy": "without applying softmax again"}),
    "ce_swapped_arguments": Answer({"cross_entropy": CE.replace("(y_true, probs)", "(probs, y_true)")},
                                   fails={"test_cross_entropy": _SWAPPED}),
    "ce_calls_dlkit_with_log": Answer({"cross_entropy": '''
def cross_entropy(y_true, probs):
    return losses.cross_entropy(y_true, np.log(probs))
'''}, fails={"test_cross_entropy": "it calls `dlkit.losses.cross_entropy`"}),
}
