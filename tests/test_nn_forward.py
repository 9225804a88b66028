"""dlkit.nn.count_parameters and dlkit.nn.mlp_forward against independent truths (notebook 03)."""

import math

import numpy as np
import pytest

from dlkit import activations, nn


def sigmoid_scalar(z):
    return 1.0 / (1.0 + math.exp(-z))


def forward_by_units(x, weights, biases, g, g_out):
    """One sample through the network, unit by unit: a_i = g(b_i + Σ_j a_j w_ji), with Python floats only."""
    a = list(x)
    for k, W in enumerate(weights):
        b = biases[k] if biases is not None else [0.0] * len(W[0])
        z = [b[i] + sum(a[j] * W[j][i] for j in range(len(a))) for i in range(len(W[0]))]
        a = [(g_out if k == len(weights) - 1 else g)(value) for value in z]
    return a


# --- count_parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("sizes", "count"), [([3, 4, 1], 21), ([784, 128, 64, 10], 109_386), ([2, 2, 1], 9),
                                             ([5, 3], 18), ((1, 1, 1, 1), 6)])
def test_count_parameters_worked_examples(sizes, count):
    assert nn.count_parameters(sizes) == count
    assert isinstance(nn.count_parameters(sizes), int)


@pytest.mark.parametrize("sizes", [[3, 4, 1], [784, 128, 64, 10], [2, 7, 5, 3, 1], [6, 1]])
def test_count_parameters_counts_the_entries_of_an_mlp(sizes):
    model = nn.MLP(sizes, rng=np.random.default_rng(0))
    assert nn.count_parameters(sizes) == sum(p.value.size for p in model.parameters())
    assert nn.count_parameters(np.array(sizes)) == nn.count_parameters(sizes)


def test_count_parameters_rejects_bad_sizes():
    with pytest.raises(ValueError, match="at least the input and output"):
        nn.count_parameters([3])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an int >= 1"):
        nn.count_parameters([3, 0, 1])
    with pytest.raises(TypeError, match=r"sizes\[0\] must be an int"):
        nn.count_parameters([2.5, 1])
    with pytest.raises(TypeError, match="sequence of ints"):
        nn.count_parameters(5)


# --- mlp_forward ---------------------------------------------------------------------------------

XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
W1_SEED = [[0.96, 0.89], [0.28, 0.73]]
W2_SEED = [[0.60], [0.22]]


def test_the_xor_network_of_the_lecture_notes():
    out, (H,) = nn.mlp_forward(np.array(XOR_INPUTS), [np.array(W1_SEED), np.array(W2_SEED)], None,
                               "sigmoid", "sigmoid", return_hidden=True)
    expected = [forward_by_units(x, [W1_SEED, W2_SEED], None, sigmoid_scalar, sigmoid_scalar)[0]
                for x in XOR_INPUTS]
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-13)
    np.testing.assert_allclose(out[:, 0], [0.60109, 0.62015, 0.64333, 0.65678], atol=5e-6)
    np.testing.assert_allclose(H[0], [0.5, 0.5], rtol=1e-15)
    assert out[0, 0] == pytest.approx(sigmoid_scalar(0.41), rel=1e-14)
    assert np.mean((out[:, 0] > 0.5) == np.array([0, 1, 1, 0])) == 0.5


def test_the_transposed_first_layer_changes_the_middle_two_outputs():
    out = nn.mlp_forward(np.array(XOR_INPUTS), [np.array(W1_SEED).T, np.array(W2_SEED)], None, "sigmoid",
                         "sigmoid")
    np.testing.assert_allclose(out[1:3, 0], [0.6396, 0.6363], atol=5e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_forward_equals_the_unit_by_unit_sums(dtype):
    rng = np.random.default_rng(3)
    sizes = [3, 5, 4, 2]
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    biases = [rng.standard_normal(b).astype(dtype) for b in sizes[1:]]
    X = rng.standard_normal((6, 3)).astype(dtype)
    out, hidden = nn.mlp_forward(X, weights, biases, "tanh", None, return_hidden=True)
    as_lists = [W.astype(np.float64).tolist() for W in weights]
    b_lists = [b.astype(np.float64).tolist() for b in biases]
    expected = [forward_by_units(x, as_lists, b_lists, math.tanh, lambda z: z) for x in X.astype(np.float64)]
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    assert out.dtype == dtype and [A.shape for A in hidden] == [(6, 5), (6, 4)]


def test_mlp_forward_computes_what_the_mlp_module_computes():
    rng = np.random.default_rng(5)
    model = nn.MLP([4, 6, 3], activation="relu", output_activation="softmax", rng=rng)
    for layer in (model[0], model[2]):
        layer.b.value[...] = rng.standard_normal(layer.b.value.shape)
    X = rng.standard_normal((7, 4))
    out = nn.mlp_forward(X, [model[0].W.value, model[2].W.value], [model[0].b.value, model[2].b.value],
                         activations.relu, activations.softmax)
    np.testing.assert_allclose(out, model(X), rtol=1e-14)


def test_mlp_forward_takes_names_functions_or_none_and_leaves_its_inputs_alone():
    rng = np.random.default_rng(6)
    X, W1, W2 = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal((4, 1))
    copies = [X.copy(), W1.copy(), W2.copy()]
    by_name = nn.mlp_forward(X, [W1, W2], None, "relu", "sigmoid")
    by_function = nn.mlp_forward(X, (W1, W2), None, activations.relu, activations.sigmoid)
    np.testing.assert_array_equal(by_name, by_function)
    raw = nn.mlp_forward(X, [W1, W2], None, "relu", None)
    np.testing.assert_allclose(by_name, 1.0 / (1.0 + np.exp(-raw)), rtol=1e-14)
    for before, after in zip(copies, [X, W1, W2], strict=True):
        np.testing.assert_array_equal(before, after)


def test_mlp_forward_rejects_bad_input():
    X, W = np.ones((3, 2)), np.ones((2, 4))
    with pytest.raises(ValueError, match=r"weights\[1\] has shape \(3, 1\): it needs 4 rows"):
        nn.mlp_forward(X, [W, np.ones((3, 1))])
    with pytest.raises(ValueError, match=r"biases\[0\] must have shape \(4,\)"):
        nn.mlp_forward(X, [W], [np.ones((1, 4))])
    with pytest.raises(ValueError, match="one array per layer"):
        nn.mlp_forward(X, [W], [np.ones(4), np.ones(1)])
    with pytest.raises(ValueError, match="X .* must be 2-D"):
        nn.mlp_forward(np.ones(2), [W])
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        nn.mlp_forward(X, [W], activation="sigmoidal")
    with pytest.raises(TypeError, match="output_activation must be a name"):
        nn.mlp_forward(X, [W], output_activation=3)
    with pytest.raises(TypeError, match="weights must be a list"):
        nn.mlp_forward(X, W)
    with pytest.raises(ValueError, match="at least one weight matrix"):
        nn.mlp_forward(X, [])
