"""Generated data sets: shapes, dtypes, labels, determinism and the rules that generate them."""

import numpy as np
import pytest

from dlkit import datasets

# Every random data set, called with its defaults except the generator.
GENERATORS = {
    "xor": datasets.xor,
    "blobs": datasets.blobs,
    "moons": datasets.moons,
    "circles": datasets.circles,
    "spirals": datasets.spirals,
    "pass_the_class": datasets.pass_the_class,
    "regression": datasets.regression,
}
CLASSIFICATION = [name for name in GENERATORS if name != "regression"]


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_and_different_seed_different_data(name):
    make = GENERATORS[name]
    X1, y1 = make(rng=np.random.default_rng(7))
    X2, y2 = make(rng=np.random.default_rng(7))
    X3, _ = make(rng=np.random.default_rng(8))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # An int seed is the same as a Generator built from it.
    X4, _ = make(rng=7)
    np.testing.assert_array_equal(X1, X4)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_shapes_dtypes_and_balanced_shuffled_labels(name):
    X, y = GENERATORS[name](n=90, rng=0)
    assert X.shape == (90, 2) and X.dtype == np.float64
    assert y.shape == (90,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    counts = np.bincount(y)
    assert counts.min() > 0
    if name != "pass_the_class":  # its label comes from a rule, not from a quota
        assert counts.max() - counts.min() <= 1
        assert len(set(y[:12].tolist())) > 1, "points should come in random order, not sorted by class"


def test_label_sets():
    assert set(datasets.xor(rng=0)[1].tolist()) == {0, 1}
    assert set(datasets.moons(rng=0)[1].tolist()) == {0, 1}
    assert set(datasets.circles(rng=0)[1].tolist()) == {0, 1}
    assert set(datasets.spirals(n=100, n_classes=5, rng=0)[1].tolist()) == {0, 1, 2, 3, 4}
    assert set(datasets.blobs(centers=4, rng=0)[1].tolist()) == {0, 1, 2, 3}


@pytest.mark.parametrize(
    "gate, outputs",
    [
        ("and", [0, 0, 0, 1]),
        ("or", [0, 1, 1, 1]),
        ("nand", [1, 1, 1, 0]),
        ("nor", [1, 0, 0, 0]),
        ("xor", [0, 1, 1, 0]),
    ],
)
def test_logic_gate_truth_tables(gate, outputs):
    X, y = datasets.logic_gate(gate)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, outputs)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(datasets.logic_gate(gate.upper())[1], outputs)


def test_logic_gate_returns_fresh_arrays():
    X, _ = datasets.logic_gate("and")
    X[0, 0] = 5.0
    assert datasets.logic_gate("and")[0][0, 0] == 0.0


def test_unknown_gate_lists_the_names():
    with pytest.raises(ValueError, match="'and'.*'or'.*'nand'.*'nor'.*'xor'"):
        datasets.logic_gate("xnor")
    with pytest.raises(TypeError, match="string"):
        datasets.logic_gate(3)


def test_xor_labels_follow_the_corner_rule():
    X, y = datasets.xor(n=400, noise=0.1, rng=3)
    corner = np.rint(X).astype(int)  # noise 0.1 never moves a point half-way to another corner here
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])
    np.testing.assert_array_equal(np.bincount(2 * corner[:, 0] + corner[:, 1]), [100, 100, 100, 100])
    X0, y0 = datasets.xor(n=8, noise=0.0, rng=3)
    assert set(map(tuple, X0.tolist())) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(y0, X0[:, 0].astype(int) ^ X0[:, 1].astype(int))


def test_noise_zero_puts_points_on_the_curves():
    X, y = datasets.circles(n=50, noise=0.0, factor=0.3, rng=1)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.where(y == 0, 1.0, 0.3))
    X, y = datasets.moons(n=50, noise=0.0, rng=1)
    upper = np.hypot(X[:, 0], X[:, 1])
    lower = np.hypot(X[:, 0] - 1.0, X[:, 1] - 0.5)
    np.testing.assert_allclose(np.where(y == 0, upper, lower), 1.0)
    assert np.all(np.where(y == 0, X[:, 1] >= 0, X[:, 1] <= 0.5))
    X, y = datasets.spirals(n=60, n_classes=3, noise=0.0, rng=1)
    r = np.hypot(X[:, 0], X[:, 1])
    angle_error = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - 2 * np.pi * y / 3 - 4 * r)))
    np.testing.assert_allclose(angle_error, 0.0, atol=1e-9)


def test_blobs_with_given_centres():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = datasets.blobs(n=400, centers=centers, std=0.5, rng=2)
    assert X.shape == (400, 3)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.15)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, rtol=0.2)


def test_pass_the_class_rule_and_linear_separability():
    X, y = datasets.pass_the_class(n=400, rng=5)
    lectures, hours = X[:, 0], X[:, 1]
    assert np.all(lectures == np.rint(lectures)) and lectures.min() >= 0 and lectures.max() <= 20
    assert hours.min() >= 0 and hours.max() <= 15
    # Mostly the documented line: x1 + 2 x2 > 25 means pass.
    assert np.mean((lectures + 2 * hours > 25) == y) > 0.9
    # A least-squares line fitted to targets ±1 classifies most points correctly.
    A = np.column_stack([np.ones(len(X)), X])
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
    assert np.mean((A @ w > 0) == y) > 0.85
    assert 0.3 < y.mean() < 0.7


def test_regression_follows_the_linear_model():
    coef = np.array([2.0, -1.0, 0.5])
    X, y = datasets.regression(n=500, noise=0.0, rng=4, coef=coef, bias=3.0)
    assert X.shape == (500, 3) and y.shape == (500,) and y.dtype == np.float64
    np.testing.assert_allclose(y, X @ coef + 3.0)
    assert X.min() >= -1 and X.max() <= 1
    X, y = datasets.regression(n=2000, noise=0.3, rng=4, coef=coef)
    np.testing.assert_allclose(np.std(y - X @ coef), 0.3, rtol=0.1)
    X, y = datasets.regression(n=10, rng=4, n_features=4)
    assert X.shape == (10, 4)


@pytest.mark.parametrize("name", GENERATORS)
def test_bad_sizes_are_refused(name):
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        GENERATORS[name](n=0, rng=0)
    with pytest.raises(TypeError, match="n must be an int"):
        GENERATORS[name](n=10.5, rng=0)


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals", "regression"])
def test_negative_noise_is_refused(name):
    with pytest.raises(ValueError, match="noise must be >= 0"):
        GENERATORS[name](n=10, noise=-0.1, rng=0)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(factor=1.5, rng=0)
    with pytest.raises(ValueError, match="n_classes must be an int >= 1"):
        datasets.spirals(n_classes=0, rng=0)
    with pytest.raises(ValueError, match="centers must be 2-D"):
        datasets.blobs(centers=[1.0, 2.0], rng=0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        datasets.blobs(std=-1.0, rng=0)
    with pytest.raises(ValueError, match="coef must be 1-D"):
        datasets.regression(coef=[[1.0]], rng=0)
