"""Plot functions draw the expected artists, on the Axes given or on a new figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from dlkit import activations, datasets, plot  # noqa: E402
from dlkit.backend import asarray, use_backend  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _contour_sets(ax):
    return [c for c in ax.get_children() if isinstance(c, ContourSet)]


class LineRule:
    """A classifier with a predict method: class 1 above the line x2 = x1."""

    def predict(self, X):
        return (X[:, 1] > X[:, 0]).astype(int)


def test_decision_boundary_with_labels_from_predict():
    X, y = datasets.logic_gate("and")
    fig, ax = plt.subplots()
    assert plot.decision_boundary(LineRule(), X, y, ax=ax, resolution=50) is ax
    (filled,) = _contour_sets(ax)
    assert filled.filled
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5])  # one band per class
    (points,) = ax.collections[-1:]
    np.testing.assert_array_equal(points.get_offsets(), X)
    np.testing.assert_array_equal(points.get_array(), y)


def test_decision_boundary_with_probabilities_draws_the_threshold_line():
    X, y = datasets.xor(n=40, rng=0)
    calls = []

    def probability(points):
        calls.append(points.shape)
        return 1.0 / (1.0 + np.exp(-4.0 * (points[:, :1] - 0.5)))  # (m, 1), as a network returns

    ax = plot.decision_boundary(probability, X, y, resolution=30)
    assert calls == [(900, 2)]
    filled, line = _contour_sets(ax)
    assert filled.filled and not line.filled
    np.testing.assert_allclose(line.levels, [0.5])
    # The 0.5 level of σ(4(x1 − 0.5)) is the vertical line x1 = 0.5.
    vertices = np.concatenate(line.allsegs[0])
    np.testing.assert_allclose(vertices[:, 0], 0.5, atol=1e-3)  # linear interpolation on the grid


def test_decision_boundary_with_class_scores_takes_the_argmax():
    X, y = datasets.spirals(n=30, n_classes=3, rng=0)

    def scores(points):
        return np.stack([points[:, 0], points[:, 1], -points[:, 0] - points[:, 1]], axis=1)

    ax = plot.decision_boundary(scores, X, y, resolution=20)
    (filled,) = _contour_sets(ax)
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5, 2.5])


def test_decision_boundary_bad_input():
    X, y = datasets.logic_gate("or")
    with pytest.raises(ValueError, match="2 columns"):
        plot.decision_boundary(LineRule(), np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="same number of points"):
        plot.decision_boundary(LineRule(), X, y[:3])
    with pytest.raises(TypeError, match="predict method or be a function"):
        plot.decision_boundary(42, X, y)
    with pytest.raises(ValueError, match="mapped 100 points"):
        plot.decision_boundary(lambda p: p[:5, 0], X, y, resolution=10)


class History:
    def __init__(self, loss, val_loss):
        self.loss, self.val_loss = loss, val_loss


def test_loss_curves_from_a_history_object_and_a_dict():
    ax = plot.loss_curves(History([3.0, 2.0, 1.5], [3.5, 2.5, 2.4]))
    train, validation = ax.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(validation.get_ydata(), [3.5, 2.5, 2.4])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    fig, ax = plt.subplots()
    assert plot.loss_curves({"loss": [1.0, 0.1, 0.01]}, ax=ax, log=True) is ax
    (only,) = ax.get_lines()
    np.testing.assert_array_equal(only.get_ydata(), [1.0, 0.1, 0.01])
    assert ax.get_yscale() == "log"


def test_loss_curves_needs_a_training_loss():
    with pytest.raises(ValueError, match="'loss'"):
        plot.loss_curves({"val_loss": [1.0]})


def test_activation_curves_from_names_pairs_and_functions():
    ax_f, ax_grad = plot.activation_curves(["sigmoid", "relu"], z_range=(-3, 3))
    sigmoid_line, relu_line = ax_f.get_lines()[:2]
    z = sigmoid_line.get_xdata()
    assert z[0] == -3 and z[-1] == 3
    np.testing.assert_allclose(sigmoid_line.get_ydata(), 1.0 / (1.0 + np.exp(-z)))
    np.testing.assert_allclose(relu_line.get_ydata(), np.maximum(z, 0.0))
    s = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(ax_grad.get_lines()[0].get_ydata(), s * (1 - s))
    assert [t.get_text() for t in ax_f.get_legend().get_texts()] == ["sigmoid", "relu"]

    def cube(z):
        return z**3

    fig, axes = plt.subplots(1, 2)
    ax_f, ax_grad = plot.activation_curves([(np.tanh, lambda z: 1 - np.tanh(z) ** 2), cube], axes=axes)
    assert ax_f is axes[0] and ax_grad is axes[1]
    z = ax_grad.get_lines()[0].get_xdata()
    np.testing.assert_allclose(ax_grad.get_lines()[0].get_ydata(), 1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(ax_grad.get_lines()[1].get_ydata(), 3 * z**2, atol=1e-8)  # centred differences


def test_activation_curves_single_items():
    ax_f, _ = plot.activation_curves("tanh")
    assert len(ax_f.get_lines()) == 2  # tanh and the horizontal line at 0
    ax_f, _ = plot.activation_curves((activations.relu, activations.relu_grad))
    assert ax_f.get_legend().get_texts()[0].get_text() == "relu"
    with pytest.raises(ValueError, match="unknown activation"):
        plot.activation_curves("swish")
    with pytest.raises(TypeError, match="activation name"):
        plot.activation_curves([3])


def test_gradient_norms_log_scale_one_line_per_layer():
    norms = {"Dense 1": [1e-6, 2e-6], "Dense 2": [1e-3, 5e-4], "Dense 3": [0.1, 0.2]}
    ax = plot.gradient_norms(norms)
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(norms)
    np.testing.assert_array_equal(lines[1].get_ydata(), [1e-3, 5e-4])
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2])

    class WithNorms:
        grad_norms = {"layer": [1.0, 0.5, 0.25]}

    ax = plot.gradient_norms(WithNorms())
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="no gradient norms"):
        plot.gradient_norms({})


def rosenbrock(w):
    return (1 - w[:, 0]) ** 2 + 100 * (w[:, 1] - w[:, 0] ** 2) ** 2


def test_optimizer_trajectories_contour_and_paths():
    paths = {
        "GD": np.array([[-1.0, 1.0], [-0.5, 0.4], [0.2, 0.1]]),
        "Adam": [[-1.0, 1.0], [0.0, 0.0], [1.0, 1.0]],
    }
    ax = plot.optimizer_trajectories(
        rosenbrock, paths, xlim=(-2, 2), ylim=(-1, 3), minimum=(1, 1), resolution=60
    )
    (contours,) = _contour_sets(ax)
    assert not contours.filled and len(contours.levels) > 10
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["GD"].get_xydata(), paths["GD"])
    np.testing.assert_array_equal(lines["Adam"].get_xydata(), paths["Adam"])
    np.testing.assert_array_equal(lines["minimum"].get_xydata(), [[1, 1]])
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3)


def test_optimizer_trajectories_default_limits_cover_the_paths():
    path = np.array([[0.0, 0.0], [1.0, 2.0]])
    ax = plot.optimizer_trajectories(lambda w: w[:, 0] ** 2 + 10 * w[:, 1] ** 2, {"SGD": path}, resolution=20)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < 0 < 1 < x1 and y0 < 0 < 2 < y1


def test_optimizer_trajectories_bad_input():
    path = {"SGD": np.zeros((3, 2))}
    with pytest.raises(ValueError, match="index columns"):
        plot.optimizer_trajectories(lambda w: w[0] ** 2 + w[1] ** 2, path, resolution=10)
    with pytest.raises(ValueError, match="2 columns"):
        plot.optimizer_trajectories(rosenbrock, {"SGD": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="empty"):
        plot.optimizer_trajectories(rosenbrock, {})


def test_arrays_of_another_backend_are_drawn():
    # array-api-strict stands for any non-NumPy backend (CuPy, PyTorch) and imports fast.
    with use_backend("array_api_strict"):
        X, y = asarray([[0.0, 0.0], [1.0, 1.0]]), asarray([0, 1])
        ax = plot.decision_boundary(lambda p: p[:, 0] > 0.5, X, y, resolution=10)
        np.testing.assert_array_equal(ax.collections[-1].get_offsets(), [[0, 0], [1, 1]])
        ax = plot.optimizer_trajectories(rosenbrock, {"Adam": asarray(np.zeros((3, 2)))}, resolution=10)
        np.testing.assert_array_equal(ax.get_lines()[0].get_xydata(), np.zeros((3, 2)))


def test_plots_of_a_real_training_run():
    from dlkit import losses, nn, optim, train

    X, y = datasets.xor(n=40, noise=0.1, rng=0)
    model = nn.MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=np.random.default_rng(0))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    history = train.fit(
        model,
        losses.BinaryCrossEntropy(),
        optimizer,
        X,
        y,
        epochs=60,
        rng=np.random.default_rng(0),
        validation_data=(X, y),
    )
    ax = plot.loss_curves(history)
    train_line, validation_line = ax.get_lines()
    np.testing.assert_allclose(train_line.get_ydata(), history.loss)
    np.testing.assert_allclose(validation_line.get_ydata(), history.val_loss)
    ax = plot.gradient_norms(history)
    assert [line.get_label() for line in ax.get_lines()] == list(history.grad_norms)
    ax = plot.decision_boundary(model, X, y, resolution=30)  # a Module: called, output (m, 1)
    filled, boundary = _contour_sets(ax)
    np.testing.assert_allclose(boundary.levels, [0.5])

    X_and, y_and = datasets.logic_gate("and")
    perceptron = nn.Perceptron(2, rng=np.random.default_rng(0)).fit(X_and, y_and, epochs=20)
    ax = plot.decision_boundary(perceptron, X_and, y_and, resolution=30)  # its predict gives labels
    np.testing.assert_allclose(_contour_sets(ax)[0].levels, [-0.5, 0.5, 1.5])


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_decision_boundary_evaluates_the_grid_on_the_models_backend_and_dtype(backend):
    from dlkit import nn

    pytest.importorskip(backend, reason=f"{backend} is optional; its backend case needs it")
    with use_backend(backend):
        model = nn.MLP([2, 4, 1], output_activation="sigmoid", rng=np.random.default_rng(0), dtype="float32")
    X, y = datasets.xor(n=20, rng=0)  # NumPy data, float64
    ax = plot.decision_boundary(model, X, y, resolution=15)
    assert _contour_sets(ax)[0].filled
