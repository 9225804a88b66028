"""02_activations as students answer it: legitimate styles and the typical mistakes (see corpus.py).

Each mistake is written on its own below (`MISTAKES`), as one student would make it; the test grades answers
to unrelated exercises together (`corpus.packs`). A mistake never shares a notebook with one in an exercise
whose check runs dlkit's version of it (`USES`), so that "one mistake costs once" stays visible in the scores:
the later exercise, written correctly, keeps its points.
"""

from corpus import Answer

# Test cell -> the earlier exercises its check replaces by dlkit's versions (`uses=` in the notebook).
USES = {"test_sigmoid_grad": ("sigmoid",), "test_tanh": ("sigmoid",), "test_tanh_grad": ("tanh",),
        "test_elu_grad": ("elu",)}

POINTS = {
    "test_collapse_linear": 2,
    "test_sigmoid": 1,
    "test_sigmoid_grad": 1,
    "test_tanh": 1,
    "test_tanh_grad": 1,
    "test_relu": 1,
    "test_relu_grad": 1,
    "test_leaky_relu": 1,
    "test_leaky_relu_grad": 1,
    "test_elu": 1,
    "test_elu_grad": 1,
    "test_gelu": 2,
    "test_gelu_grad": 2,
    "test_softmax": 3,
}

# Hints that name a cause: none may appear where the evidence does not show that cause.
_KEEPDIMS_GUESS = "keepdims=True keeps it"
_OVERFLOW = "FloatingPointError: overflow encountered in exp"
_FLOAT64 = "the values are right but their dtype is float64; expected float32"


def _cell(signature, body):
    """An answer cell: `def signature:` with `body` (lines of code, indented here)."""
    return f"def {signature}:\n" + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


def _one(name, signature, body, fails=None, **options):
    """An Answer that replaces the cell of exercise `name`."""
    return Answer({name: _cell(signature, body)}, fails=fails or {}, **options)


SIGMOID = "sigmoid(z)"
SIGMOID_GRAD = "sigmoid_grad(z)"
TANH = "tanh(z)"
TANH_GRAD = "tanh_grad(z)"
RELU = "relu(z)"
RELU_GRAD = "relu_grad(z)"
LEAKY = "leaky_relu(z, beta=0.01)"
LEAKY_GRAD = "leaky_relu_grad(z, beta=0.01)"
ELU = "elu(z, alpha=1.0)"
ELU_GRAD = "elu_grad(z, alpha=1.0)"
GELU = "gelu(z, approximate=False)"
GELU_GRAD = "gelu_grad(z, approximate=False)"
SOFTMAX = "softmax(z, axis=-1)"
COLLAPSE = "collapse_linear(W1, b1, W2, b2)"

# Two students who solve every exercise in another legitimate way than the solution.
STYLE_A = {
    "collapse_linear": _cell(COLLAPSE, "W = np.dot(W1, W2)\nb = np.dot(b1, W2) + b2\nreturn W, b"),
    "sigmoid": _cell(SIGMOID, "return 0.5 * (1.0 + np.tanh(0.5 * z))"),
    "sigmoid_grad": _cell(SIGMOID_GRAD, "s = sigmoid(z)\nreturn s - s * s"),
    "tanh": _cell(TANH, "return np.tanh(z)"),
    "tanh_grad": _cell(TANH_GRAD, "return 1.0 - np.tanh(z) ** 2"),
    "relu": _cell(RELU, "return np.where(z > 0, z, 0.0)"),
    "relu_grad": _cell(RELU_GRAD, "return np.heaviside(z, 0.0)"),
    "leaky_relu": _cell(LEAKY, "return np.maximum(beta * z, z)"),
    "leaky_relu_grad": _cell(LEAKY_GRAD, "slope = np.ones_like(z)\nslope[z <= 0] = beta\nreturn slope"),
    "elu": _cell(ELU, "out = z.copy()\nnegative = z <= 0\nout[negative] = alpha * np.expm1(z[negative])\n"
                      "return out"),
    "elu_grad": _cell(ELU_GRAD, "slope = np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))\n"
                                "return slope.astype(z.dtype)"),
    "gelu": _cell(GELU, """
if approximate:
    inner = math.sqrt(2 / math.pi) * (z + 0.044715 * z * z * z)
    return z * (1 + np.tanh(inner)) / 2
return z * (1 + erf(z / math.sqrt(2))) / 2
"""),
    "gelu_grad": _cell(GELU_GRAD, """
if approximate:
    k = math.sqrt(2 / math.pi)
    t = np.tanh(k * (z + 0.044715 * z**3))
    sech2 = 1 - t**2
    return 0.5 * (1 + t) + 0.5 * z * sech2 * k * (1 + 0.134145 * z**2)
phi = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
return 0.5 * (1 + erf(z / math.sqrt(2))) + z * phi
"""),
    "softmax": _cell(SOFTMAX, """
shifted = z - np.max(z, axis=axis, keepdims=True)
log_total = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
return np.exp(shifted - log_total)
"""),
}
STYLE_B = {
    "collapse_linear": _cell(COLLAPSE, 'W = np.einsum("dh,hm->dm", W1, W2)\n'
                                       'return W, np.einsum("h,hm->m", b1, W2) + b2'),
    "sigmoid": _cell(SIGMOID, """
out = np.empty_like(z)
positive = z >= 0
out[positive] = 1 / (1 + np.exp(-z[positive]))
e = np.exp(z[~positive])
out[~positive] = e / (1 + e)
return out
"""),
    "sigmoid_grad": _cell(SIGMOID_GRAD, "return sigmoid(z) * sigmoid(-z)  # 1 - sigma(z) = sigma(-z)"),
    "tanh": _cell(TANH, "e = np.exp(-2.0 * np.abs(z))\nreturn np.sign(z) * (1.0 - e) / (1.0 + e)"),
    "tanh_grad": _cell(TANH_GRAD, "t = tanh(z)\nreturn (1 - t) * (1 + t)"),
    "relu": _cell(RELU, "return z * (z > 0)"),
    "relu_grad": _cell(RELU_GRAD, "return np.where(z > 0, np.ones_like(z), np.zeros_like(z))"),
    "leaky_relu": _cell(LEAKY, "return np.maximum(z, 0) + beta * np.minimum(z, 0)"),
    "leaky_relu_grad": _cell(LEAKY_GRAD, "return np.where(z > 0, np.ones_like(z), np.full_like(z, beta))"),
    "elu": _cell(ELU, "return np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))"),
    "elu_grad": _cell(ELU_GRAD, "slope = np.ones_like(z)\nnegative = z <= 0\n"
                                "slope[negative] = alpha * np.exp(z[negative])\nreturn slope"),
    "gelu": _cell(GELU, """
if approximate:  # (1 + tanh(u)) / 2 = sigmoid(2u)
    return z * sigmoid(2 * math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))
return z * 0.5 * (1 + erf(z * (1 / math.sqrt(2))))
"""),
    "gelu_grad": _cell(GELU_GRAD, """
cdf = 0.5 * (1 + erf(z / 2**0.5))
if not approximate:
    return cdf + z * np.exp(-0.5 * z**2) / (2 * math.pi) ** 0.5
c = (2 / math.pi) ** 0.5
t = np.tanh(c * (z + 0.044715 * z**3))
return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z**2)
"""),
    "softmax": _cell(SOFTMAX, """
moved = np.moveaxis(z, axis, -1)
e = np.exp(moved - moved.max(axis=-1)[..., None])
return np.moveaxis(e / e.sum(axis=-1)[..., None], -1, axis)
"""),
}

LEGITIMATE = {
    "style_a": Answer(STYLE_A, validate=True),
    "style_b": Answer(STYLE_B),
    "sigmoid_logaddexp": _one("sigmoid", SIGMOID, "return np.exp(-np.logaddexp(0.0, -z))"),
    "tanh_from_exp_of_minus_2z": _one("tanh", TANH, "sign = np.sign(z)\n"
                                                   "e = np.exp(-2.0 * np.abs(z))\n"
                                                   "return 2.0 / (1.0 + e) * sign - sign"),
    "softmax_expand_dims": _one("softmax", SOFTMAX, """
m = np.expand_dims(z.max(axis=axis), axis)
e = np.exp(z - m)
return e / np.expand_dims(e.sum(axis=axis), axis)
"""),
    "collapse_loops": _one("collapse_linear", COLLAPSE, """
d, h = W1.shape
m = W2.shape[1]
W = np.zeros((d, m), dtype=W1.dtype)
for i in range(d):
    for j in range(m):
        W[i, j] = sum(W1[i, k] * W2[k, j] for k in range(h))
b = b2 + sum(b1[k] * W2[k] for k in range(h))
return W, b
"""),
}

MISTAKES = {
    # --- collapse_linear ----------------------------------------------------------------------------------
    "collapse_column_form": _one("collapse_linear", COLLAPSE, "return W2 @ W1, W2 @ b1 + b2",
                                 fails={"test_collapse_linear": "the input meets W1 first"}, validate=True),
    "collapse_biases_added": _one("collapse_linear", COLLAPSE, "return W1 @ W2, b1 + b2",
                                  fails={"test_collapse_linear": ("output b is not right yet",
                                                                  "b1 passes through the second layer")}),
    "collapse_float64": _one("collapse_linear", COLLAPSE, "W1, W2 = np.asarray(W1, dtype=float), "
                                                          "np.asarray(W2, dtype=float)\n"
                                                          "return W1 @ W2, b1 @ W2 + b2",
                             fails={"test_collapse_linear": _FLOAT64}),

    # --- sigmoid and its derivative -----------------------------------------------------------------------
    "sigmoid_overflows": _one("sigmoid", SIGMOID, "return 1.0 / (1.0 + np.exp(-z))",
                              fails={"test_sigmoid": ("sigmoid stopped with an error", _OVERFLOW,
                                                      "input z = [-1000., 1000.]")}, validate=True),
    "sigmoid_where_still_overflows": _one("sigmoid", SIGMOID, "positive = 1 / (1 + np.exp(-z))\n"
                                                              "negative = np.exp(z) / (1 + np.exp(z))\n"
                                                              "return np.where(z >= 0, positive, negative)",
                                          fails={"test_sigmoid": _OVERFLOW}),
    "sigmoid_sign_error": _one("sigmoid", SIGMOID, "e = np.exp(-np.abs(z))\n"
                                                   "return np.where(z < 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                               fails={"test_sigmoid": "sigmoid is not right yet"},
                               notes={"test_tanh": "with your own sigmoid it gives another result"},
                               validate=True),
    "sigmoid_calls_reference": _one("sigmoid", SIGMOID, "return activations.sigmoid(z)",
                                    fails={"test_sigmoid": "it calls `dlkit.activations.sigmoid`"}),
    "sigmoid_grad_plus": _one("sigmoid_grad", SIGMOID_GRAD, "s = sigmoid(z)\nreturn s * (1 + s)",
                              fails={"test_sigmoid_grad": "with a minus: sigma (1 + sigma) is 0.75"},
                              validate=True),
    "sigmoid_grad_of_z": _one("sigmoid_grad", SIGMOID_GRAD, "return z * (1 - z)",
                              fails={"test_sigmoid_grad": "apply the formula to s = sigmoid(z)"}),

    # --- tanh and its derivative ----------------------------------------------------------------------------
    "tanh_two_sigma_z": _one("tanh", TANH, "return 2 * sigmoid(z) - 1",
                             fails={"test_tanh": "2 sigma(z) - 1 is tanh(z / 2)"}, validate=True),
    "tanh_exponentials": _one("tanh", TANH, "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
                              fails={"test_tanh": ("tanh stopped with an error", _OVERFLOW)}),
    "tanh_grad_no_square": _one("tanh_grad", TANH_GRAD, "return 1 - tanh(z)",
                                fails={"test_tanh_grad": "square tanh"}, validate=True),
    "tanh_grad_of_z": _one("tanh_grad", TANH_GRAD, "return 1 - z**2",
                           fails={"test_tanh_grad": "apply the formula to t = tanh(z)"}),

    # --- relu and its derivative ----------------------------------------------------------------------------
    "relu_in_place": _one("relu", RELU, "z[z < 0] = 0\nreturn z",
                          fails={"test_relu": "it changed its input `z` in place"}, validate=True),
    "relu_maximum_out": _one("relu", RELU, "return np.maximum(z, 0, out=z)",
                             fails={"test_relu": "it changed its input `z` in place"}),
    "relu_np_max": _one("relu", RELU, "return np.max(z, 0)",
                        fails={"test_relu": "np.max(z, 0) is the largest entry along axis 0"}),
    "relu_calls_nn": _one("relu", RELU, "return nn.ReLU()(z)",
                          fails={"test_relu": "it calls `dlkit.nn.ReLU`"}),
    "relu_grad_booleans": _one("relu_grad", RELU_GRAD, "return z > 0",
                               fails={"test_relu_grad": "it returned booleans (True/False)"}, validate=True),
    "relu_grad_float64": _one("relu_grad", RELU_GRAD, "return np.where(z > 0, 1.0, 0.0)",
                              fails={"test_relu_grad": (_FLOAT64, "np.where(c, 1.0, 0.0)")}, validate=True),
    "relu_grad_at_zero": _one("relu_grad", RELU_GRAD, "return (z >= 0).astype(z.dtype)",
                              fails={"test_relu_grad": "relu'(0) is 0 in this course"}),

    # --- leaky_relu and its derivative --------------------------------------------------------------------
    "leaky_ignores_beta": _one("leaky_relu", LEAKY, "return np.where(z > 0, z, 0.01 * z)",
                               fails={"test_leaky_relu": "leaky_relu ignores beta"}, validate=True),
    "leaky_max_with_zero": _one("leaky_relu", LEAKY, "return np.maximum(0, np.maximum(beta * z, z))",
                                fails={"test_leaky_relu": "max(0, beta z, z) is ReLU"}, validate=True),
    "leaky_grad_ignores_beta": _one("leaky_relu_grad", LEAKY_GRAD,
                                    "return np.where(z > 0, 1.0, 0.01).astype(z.dtype)",
                                    fails={"test_leaky_relu_grad": "leaky_relu_grad ignores beta"}),
    "leaky_grad_at_zero": _one("leaky_relu_grad", LEAKY_GRAD,
                               "return np.where(z >= 0, 1.0, beta).astype(z.dtype)",
                               fails={"test_leaky_relu_grad": "at z = 0 take the slope on the left"}),

    # --- elu and its derivative -----------------------------------------------------------------------------
    "elu_overflows": _one("elu", ELU, "return np.where(z > 0, z, alpha * (np.exp(z) - 1))",
                          fails={"test_elu": ("elu stopped with an error", _OVERFLOW)}, validate=True),
    "elu_ignores_alpha": _one("elu", ELU, "return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))",
                              fails={"test_elu": "elu ignores alpha"}),
    "elu_grad_overflows": _one("elu_grad", ELU_GRAD,
                               "return np.where(z > 0, 1.0, alpha * np.exp(z)).astype(z.dtype)",
                               fails={"test_elu_grad": _OVERFLOW}),
    "elu_grad_without_alpha_term": _one("elu_grad", ELU_GRAD, "return np.where(z > 0, 1.0, elu(z, alpha))",
                                        fails={"test_elu_grad": "elu(z) alone is off by alpha"}),

    # --- gelu and its derivative ----------------------------------------------------------------------------
    "gelu_np_sqrt_float64": _one("gelu", GELU, """
if approximate:
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
return 0.5 * z * (1 + erf(z / np.sqrt(2)))
""", fails={"test_gelu": (_FLOAT64, "a NumPy constant such as np.sqrt(2)")}, validate=True),
    "gelu_erf_of_z": _one("gelu", GELU, """
if approximate:
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
return 0.5 * z * (1 + erf(z))
""", fails={"test_gelu": "erf takes z / sqrt(2), not z"}),
    "gelu_always_exact": _one("gelu", GELU, "return 0.5 * z * (1 + erf(z / math.sqrt(2)))",
                              fails={"test_gelu": "your result is the other one"}, validate=True),
    "gelu_grad_cdf_only": _one("gelu_grad", GELU_GRAD, """
if approximate:
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (z + 0.044715 * z**3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z**2)
return 0.5 * (1 + erf(z / math.sqrt(2)))
""", fails={"test_gelu_grad": "the product rule gives two terms"}),
    "gelu_grad_cosh_overflows": _one("gelu_grad", GELU_GRAD, """
if approximate:
    c = math.sqrt(2 / math.pi)
    u = c * (z + 0.044715 * z**3)
    return 0.5 * (1 + np.tanh(u)) + 0.5 * z / np.cosh(u) ** 2 * c * (1 + 3 * 0.044715 * z**2)
return 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
""", fails={"test_gelu_grad": "FloatingPointError: overflow encountered in cosh"}),

    # --- softmax ------------------------------------------------------------------------------------------
    "softmax_no_max": _one("softmax", SOFTMAX,
                           "e = np.exp(z)\nreturn e / np.sum(e, axis=axis, keepdims=True)",
                           fails={"test_softmax": ("softmax stopped with an error", _OVERFLOW,
                                                   "input z = [[-1000., -999.], [ 1000., 1001.]]")},
                           validate=True),
    "softmax_global_max": _one("softmax", SOFTMAX,
                               "e = np.exp(z - np.max(z))\nreturn e / np.sum(e, axis=axis, keepdims=True)",
                               fails={"test_softmax": ("it contains NaN",
                                                       "subtract each slice's own maximum")},
                               validate=True),
    "softmax_no_keepdims": _one("softmax", SOFTMAX,
                                "e = np.exp(z - np.max(z, axis=axis))\nreturn e / np.sum(e, axis=axis)",
                                fails={"test_softmax": "add keepdims=True to both np.max and np.sum"},
                                validate=True),
    "softmax_sum_without_keepdims": _one("softmax", SOFTMAX,
                                         "e = np.exp(z - z.max(axis=axis, keepdims=True))\n"
                                         "return e / e.sum(axis=axis)",
                                         fails={"test_softmax": "add keepdims=True to np.sum."}),
    "softmax_ignores_axis": _one("softmax", SOFTMAX, "e = np.exp(z - np.max(z, axis=-1, keepdims=True))\n"
                                                     "return e / np.sum(e, axis=-1, keepdims=True)",
                                 fails={"test_softmax": "normalised along the last axis whatever `axis`"},
                                 absent=(_KEEPDIMS_GUESS,), validate=True),
    "softmax_only_2d_axes": _one("softmax", SOFTMAX, """
if axis == 0 and z.ndim == 2:  # columns: softmax of the rows of the transpose
    return softmax(z.T).T
e = np.exp(z - np.max(z, axis=-1, keepdims=True))
return e / np.sum(e, axis=-1, keepdims=True)
""", fails={"test_softmax": ("input axis = 0", "normalised along the last axis")}, absent=(_KEEPDIMS_GUESS,)),
    "softmax_whole_array": _one("softmax", SOFTMAX, "e = np.exp(z - z.max())\nreturn e / e.sum()",
                                fails={"test_softmax": "each slice must sum to 1 on its own"}),
    "softmax_in_place": _one("softmax", SOFTMAX, "z -= np.max(z, axis=axis, keepdims=True)\n"
                                                 "np.exp(z, out=z)\n"
                                                 "z /= np.sum(z, axis=axis, keepdims=True)\nreturn z",
                             fails={"test_softmax": "it changed its input `z` in place"}),
}


ANSWERS = {**LEGITIMATE, **MISTAKES}
