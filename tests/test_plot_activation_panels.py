"""dlkit.plot.activation_panels: one panel per activation, saturated zones shaded (notebook 02)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from dlkit import activations, plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _shaded_z(ax):
    """The z values covered by the grey saturation band (vertices of its polygons)."""
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    paths = band.get_paths()
    return np.concatenate([path.vertices[:, 0] for path in paths]) if paths else np.array([])


def test_one_panel_per_activation_with_the_function_and_its_derivative():
    axes = plot.activation_panels(["sigmoid", "relu", (activations.tanh, activations.tanh_grad), np.sin])
    assert len(axes) == 4
    assert len(axes[0].figure.axes) == 4  # the unused fifth and sixth panels of the 2 × 3 grid are removed
    assert [ax.get_title() for ax in axes] == ["sigmoid", "relu", "tanh", "sin"]
    for ax, f, f_grad in [(axes[0], activations.sigmoid, activations.sigmoid_grad),
                          (axes[2], activations.tanh, activations.tanh_grad), (axes[3], np.sin, np.cos)]:
        g_line, slope_line = ax.get_lines()[:2]
        z = g_line.get_xdata()
        np.testing.assert_allclose(g_line.get_ydata(), f(z), atol=1e-12)
        np.testing.assert_allclose(slope_line.get_ydata(), f_grad(z), atol=1e-9)  # sin: centred differences
        assert slope_line.get_linestyle() == "--"


def test_the_shaded_zones_are_where_the_slope_is_below_the_threshold():
    # sigmoid'(z) = 0.05 at |z| = ln((1 + √0.8) / (1 − √0.8)) = 2.887: shaded outside, not inside.
    threshold_z = np.log((1 + np.sqrt(0.8)) / (1 - np.sqrt(0.8)))
    (ax,) = plot.activation_panels(["sigmoid"], z_range=(-5.0, 5.0), saturation=0.05)
    shaded = _shaded_z(ax)
    assert shaded.min() == pytest.approx(-5.0) and shaded.max() == pytest.approx(5.0)
    assert not np.any(np.abs(shaded) < threshold_z - 0.02)
    assert np.any(np.abs(np.abs(shaded) - threshold_z) < 0.02)
    (ax,) = plot.activation_panels(["relu"], saturation=0.05)  # relu' = 0 for z <= 0 only
    shaded = _shaded_z(ax)
    assert shaded.min() == pytest.approx(-5.0) and shaded.max() == pytest.approx(0.0, abs=0.02)


def test_no_shading_with_a_zero_threshold():
    (ax,) = plot.activation_panels(["relu"], saturation=0.0)
    assert _shaded_z(ax).size == 0


def test_draws_on_given_axes():
    fig, grid = plt.subplots(1, 3)
    axes = plot.activation_panels(["elu", "gelu"], axes=grid)
    assert axes == list(grid[:2])
    assert axes[0].get_title() == "elu" and not grid[2].get_lines()


def test_bad_arguments():
    with pytest.raises(ValueError, match="activations is empty"):
        plot.activation_panels([])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="axes holds 1 Axes for 2 activations"):
        plot.activation_panels(["relu", "tanh"], axes=ax)
    with pytest.raises(TypeError, match="ncols must be an int"):
        plot.activation_panels(["relu"], ncols=2.5)
    with pytest.raises(ValueError, match="unknown activation 'rellu'"):
        plot.activation_panels(["rellu"])
