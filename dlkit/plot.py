"""Pictures for the course: decision boundaries, loss curves, activations, gradient norms, optimiser paths.

Every function draws with matplotlib on the Axes it is given (``ax=...``) or on a new figure,
and returns the Axes so a notebook can add titles or combine panels. Arrays of any backend
are accepted; they are copied to NumPy for drawing, and the grid points on which a model or
a function is evaluated are sent to the model's backend.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> ax = loss_curves({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]})
>>> [line.get_label() for line in ax.get_lines()], ax.get_xlabel()
(['train', 'validation'], 'epoch')
>>> plt.close("all")
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import activations as _activations
from ._validation import as_array, check_bool, check_count, check_ndim, check_number, describe
from .backend import asarray, namespace, to_numpy

_CMAP = "coolwarm"


def _axes(ax):
    return plt.subplots()[1] if ax is None else ax


def _points(x, name: str) -> np.ndarray:
    """`x` as a NumPy float array of 2-D points, shape (m, 2)."""
    x = to_numpy(as_array(x, name)).astype(np.float64)
    check_ndim(x, 2, name)
    if x.shape[1] != 2:
        raise ValueError(f"{name} must have 2 columns (points in the plane), got shape {x.shape}")
    return x


def _grid(lo, hi, resolution: int):
    """A resolution × resolution grid over the box lo..hi: (xx, yy) and its points, shape (m, 2)."""
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def _padded_box(points: np.ndarray):
    """The bounding box of `points` (m, 2), widened by 10 % (and a little more, for a single point)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * (hi - lo) + 0.1
    return lo - pad, hi + pad


def _evaluate(fn, points: np.ndarray, what: str, like=None) -> np.ndarray:
    """fn on the grid points (m, 2), sent to `like`'s backend and float dtype (default: current backend)."""
    floating = like is not None and namespace(like).isdtype(like.dtype, "real floating")
    points = asarray(points, dtype=like.dtype if floating else None, like=like)  # float32 model, float32 grid
    return to_numpy(as_array(fn(points), what))


def decision_boundary(model, X, y, ax=None, resolution: int = 200, threshold: float = 0.5, cmap=_CMAP):
    """Colour the plane by a classifier's output and scatter the labelled points on top.

    Parameters
    ----------
    model : object with ``predict``, or function
        A Perceptron, say, or a function (a Module, a lambda) mapping points (m, 2) to labels
        (m,), probabilities (m,) or (m, 1), or class scores (m, C), of which the largest wins.
    X : array of shape (n, 2)
        The points.
    y : array of shape (n,)
        Their labels.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.
    resolution : int
        Grid points per axis, >= 1.
    threshold : float
        For real-valued outputs, the level drawn as the boundary line (0.5 for probabilities;
        0 for logits).
    cmap : str or matplotlib colormap

    Returns
    -------
    matplotlib Axes
        A filled contour set of the output, the boundary and the points.
    """
    resolution = check_count(resolution, "resolution")
    threshold = check_number(threshold, "threshold")
    predict = model.predict if callable(getattr(model, "predict", None)) else model
    if not callable(predict):
        raise TypeError(f"model must have a predict method or be a function, got {type(model).__name__}")
    # The grid goes where the model computes: its parameters' backend, or else X's.
    parameters = model.parameters() if callable(getattr(model, "parameters", None)) else []
    like = parameters[0].value if parameters else as_array(X, "X")
    X = _points(X, "X")
    y = to_numpy(as_array(y, "y")).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of points, got {X.shape[0]} and {y.shape[0]}")
    xx, yy, grid = _grid(*_padded_box(X), resolution)
    out = _evaluate(predict, grid, "the model's output", like)
    if out.ndim == 2 and out.shape[1] > 1:
        out = np.argmax(out, axis=1)
    if out.size != grid.shape[0]:
        raise ValueError(f"the model mapped {grid.shape[0]} points to an output of shape {out.shape}")
    Z = out.reshape(xx.shape).astype(np.float64)
    ax = _axes(ax)
    vmin, vmax = min(Z.min(), y.min()), max(Z.max(), y.max())
    if np.all(Z == np.rint(Z)):  # labels: one colour band per class
        levels = np.arange(vmin, vmax + 2) - 0.5
        ax.contourf(xx, yy, Z, levels=levels, cmap=cmap, alpha=0.3)
    else:
        ax.contourf(xx, yy, Z, levels=20, cmap=cmap, alpha=0.3)
        if Z.min() < threshold < Z.max():
            ax.contour(xx, yy, Z, levels=[threshold], colors="k", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=vmin, vmax=vmax, edgecolors="k", s=25)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def _field(history, name: str):
    """history[name] for a dict, history.name otherwise; None when absent."""
    return history.get(name) if isinstance(history, dict) else getattr(history, name, None)


def loss_curves(history, ax=None, log: bool = False):
    """Training and validation loss per epoch.

    Parameters
    ----------
    history : dlkit.train.History or dict
        Fields (or keys) ``loss`` and, optionally, ``val_loss``: lists with one value per epoch.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.
    log : bool
        Use a logarithmic loss axis.

    Returns
    -------
    matplotlib Axes
        One line per curve (x = epochs 1, 2, ...).
    """
    log = check_bool(log, "log")
    ax = _axes(ax)
    curves = {"train": _field(history, "loss"), "validation": _field(history, "val_loss")}
    if curves["train"] is None or len(curves["train"]) == 0:
        raise ValueError(
            "history has no training loss: expected a field or key 'loss' with one value per epoch"
        )
    for label, values in curves.items():
        if values is not None and len(values) > 0:
            values = np.asarray([float(v) for v in values])
            ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax


def _activation_pair(activation):
    """(label, f, f_grad) for a name, an (f, f_grad) pair, or a lone f (derivative by centred differences)."""
    if isinstance(activation, str):
        return (activation, *_activations.get(activation))
    if isinstance(activation, tuple) and len(activation) == 2 and all(map(callable, activation)):
        return (activation[0].__name__, *activation)
    if callable(activation):
        h = 1e-5
        return activation.__name__, activation, lambda z: (activation(z + h) - activation(z - h)) / (2 * h)
    raise TypeError(f"expected an activation name, an (f, f_grad) pair or a function, got {activation!r}")


def activation_curves(activations, z_range=(-5.0, 5.0), axes=None):
    """Activation functions (left panel) and their derivatives (right panel) over z_range.

    Parameters
    ----------
    activations : str, (function, function), function, or a list of these
        A name from `dlkit.activations` ("sigmoid"), an (f, f_grad) pair, or a function f
        alone (its derivative is then taken by centred differences).
    z_range : (float, float)
        (low, high) of the z axis.
    axes : (Axes, Axes) or None
        Two Axes to draw on; a new 1 × 2 figure when None.

    Returns
    -------
    (Axes, Axes)
        (ax_f, ax_grad), with one line per activation on each.
    """
    single = (
        isinstance(activations, str)
        or callable(activations)
        or (isinstance(activations, tuple) and len(activations) == 2 and all(map(callable, activations)))
    )
    pairs = [_activation_pair(a) for a in ([activations] if single else activations)]
    ax_f, ax_grad = plt.subplots(1, 2, figsize=(10, 4))[1] if axes is None else axes
    z = np.linspace(float(z_range[0]), float(z_range[1]), 401)
    for label, f, f_grad in pairs:
        ax_f.plot(z, to_numpy(f(z)), label=label)
        ax_grad.plot(z, to_numpy(f_grad(z)), label=label)
    for ax, title in ((ax_f, "$g(z)$"), (ax_grad, "$g'(z)$")):
        ax.set_title(title)
        ax.set_xlabel("$z$")
        ax.axhline(0.0, color="0.7", linewidth=0.8)
        ax.legend()
    return ax_f, ax_grad


def activation_panels(activations, z_range=(-5.0, 5.0), saturation=0.05, ncols=3, axes=None):
    """One panel per activation: g(z), g'(z) and, shaded, the zones where g saturates.

    A unit saturates where |g'(z)| < `saturation`: it passes back less than that fraction of
    the gradient it receives, so its weights barely learn.

    Parameters
    ----------
    activations : list of names from `dlkit.activations`, (f, f_grad) pairs or functions (their
        derivative is then taken by centred differences), as for `activation_curves`.
    z_range : (low, high) of the z axis.
    saturation : the threshold on |g'(z)| below which a zone is shaded (0 shades nothing).
    ncols : panels per row of a new figure.
    axes : Axes to draw on, at least one per activation; a new figure when None.

    Returns
    -------
    list of Axes, one per activation: g in colour C0, g' dashed in C1, saturated zones in grey.
    """
    pairs = [_activation_pair(a) for a in activations]
    if not pairs:
        raise ValueError("activations is empty: expected at least one activation")
    check_count(ncols, "ncols")
    if axes is None:
        nrows = (len(pairs) + ncols - 1) // ncols
        fig, grid = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.0 * nrows), squeeze=False,
                                 layout="constrained")
        axes = list(grid.ravel())
        for ax in axes[len(pairs):]:
            fig.delaxes(ax)
    else:
        axes = list(np.ravel(axes))
        if len(axes) < len(pairs):
            raise ValueError(f"axes holds {len(axes)} Axes for {len(pairs)} activations")
    z = np.linspace(float(z_range[0]), float(z_range[1]), 801)
    axes = axes[:len(pairs)]
    for ax, (label, f, f_grad) in zip(axes, pairs, strict=True):
        slope = to_numpy(f_grad(z))
        ax.fill_between(z, 0, 1, where=np.abs(slope) < saturation, transform=ax.get_xaxis_transform(),
                        color="0.88", label=f"|g'| < {saturation:g}")
        ax.plot(z, to_numpy(f(z)), color="C0", label="g(z)")
        ax.plot(z, slope, color="C1", linestyle="--", label="g'(z)")
        ax.axhline(0.0, color="0.7", linewidth=0.8)
        ax.set_title(label)
        ax.set_xlabel("$z$")
    axes[0].legend(loc="upper left", fontsize="small")
    return axes


def gradient_norms(history, ax=None):
    """Per-layer gradient norms per epoch on a logarithmic axis.

    Parameters
    ----------
    history : dlkit.train.History or dict
        A History (field ``grad_norms``) or a dict mapping a layer name to a list of norms,
        one per epoch (or per step).
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        One line per layer, y axis in log scale: vanishing gradients show as lines that sit
        decades below the others.
    """
    norms = history if isinstance(history, dict) else getattr(history, "grad_norms", None)
    if not norms:
        raise ValueError(
            "no gradient norms: expected a dict layer -> list of norms or a History with grad_norms"
        )
    ax = _axes(ax)
    for layer, values in norms.items():
        values = np.asarray([float(v) for v in values])
        ax.plot(np.arange(1, len(values) + 1), values, label=str(layer))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm")
    ax.legend()
    return ax


def optimizer_trajectories(
    f, trajectories, ax=None, xlim=None, ylim=None, minimum=None, resolution: int = 200, levels: int = 30
):
    """Contour lines of a function of two variables with each optimiser's path across them.

    Parameters
    ----------
    f : function
        Maps points of shape (m, 2) to values of shape (m,), e.g. Rosenbrock
        ``lambda w: (1 - w[:, 0])**2 + 100 * (w[:, 1] - w[:, 0]**2)**2``.
    trajectories : dict str -> array of shape (steps, 2)
        Each optimiser's name ("SGD", "Adam") and the points it visited.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.
    xlim, ylim : (float, float) or None
        (low, high) of each axis; by default the box around all paths.
    minimum : (float, float) or None
        A point (x1, x2) to mark with a star.
    resolution : int
        Grid points per axis, >= 1.
    levels : int
        The number of contour lines, placed at quantiles of f on the grid so that both the
        steep walls and the flat valley get some.

    Returns
    -------
    matplotlib Axes
        A contour set and one line per trajectory (its start marked by a square).
    """
    resolution = check_count(resolution, "resolution")
    levels = check_count(levels, "levels")
    if not isinstance(trajectories, dict):
        raise TypeError(f"trajectories must be a dict name -> points of shape (steps, 2), "
                        f"got {describe(trajectories)}")
    paths = {name: _points(path, f"trajectories[{name!r}]") for name, path in trajectories.items()}
    if not paths:
        raise ValueError("trajectories is empty: expected a dict name -> points of shape (steps, 2)")
    lo, hi = _padded_box(np.concatenate(list(paths.values())))
    lo = [xlim[0] if xlim else lo[0], ylim[0] if ylim else lo[1]]
    hi = [xlim[1] if xlim else hi[0], ylim[1] if ylim else hi[1]]
    xx, yy, grid = _grid(lo, hi, resolution)
    values = _evaluate(f, grid, "f's output")
    if values.shape != (grid.shape[0],):
        raise ValueError(
            f"f must map points of shape (m, 2) to values of shape (m,); for m = {grid.shape[0]} "
            f"it returned shape {values.shape} (index columns: w[:, 0], w[:, 1])"
        )
    Z = values.reshape(xx.shape)
    ax = _axes(ax)
    ax.contour(
        xx,
        yy,
        Z,
        levels=np.unique(np.quantile(Z, np.linspace(0.0, 1.0, levels))),
        cmap="viridis",
        linewidths=0.6,
        alpha=0.6,
    )
    for name, path in paths.items():
        (line,) = ax.plot(path[:, 0], path[:, 1], marker="o", markersize=2, linewidth=1.2, label=name)
        ax.plot(path[0, 0], path[0, 1], marker="s", color=line.get_color())
    if minimum is not None:
        ax.plot(
            minimum[0], minimum[1], marker="*", markersize=14, color="k", linestyle="none", label="minimum"
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend()
    return ax


def computational_graph(positions, edges, values, grads=None, ax=None):
    """A computational graph: one box per node with its forward value, its gradient in red below.

    Parameters
    ----------
    positions : dict node name -> (x, y), where to draw the node (any units; inputs on the left
        and the loss on the right reads best). Names may use matplotlib math, e.g. "$\\hat y$".
    edges : list of (from, to) node names, drawn as arrows in the forward direction.
    values : dict node name -> its value in the forward pass.
    grads : dict node name -> dL/d(node) from the backward pass, or None to draw the forward
        pass only. Nodes missing from the dict get no gradient label.

    Returns
    -------
    The Axes, without ticks; forward values in black, gradients in red, and a legend.
    """
    missing = [name for edge in edges for name in edge if name not in positions]
    missing += [name for name in values if name not in positions]
    if missing:
        raise ValueError(f"no position for node(s) {sorted(set(missing))}: add them to positions")
    ax = _axes(ax)
    xy = np.array([positions[name] for name in positions], dtype=float)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.12 * np.maximum(hi - lo, 1.0)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - 1.6 * pad[1], hi[1] + pad[1])
    for source, target in edges:
        ax.annotate("", xy=positions[target], xytext=positions[source],
                    arrowprops=dict(arrowstyle="-|>", color="0.35", shrinkA=24, shrinkB=24, linewidth=1.2))
    box = dict(boxstyle="round,pad=0.4", facecolor="#eef3fb", edgecolor="#4c72b0")
    for name, (x, y) in positions.items():
        text = name if name not in values else f"{name} = {float(values[name]):.4g}"
        ax.text(x, y, text, ha="center", va="center", fontsize=10, bbox=box)
        if grads is not None and name in grads:
            ax.annotate(f"{float(grads[name]):.4g}", (x, y), xytext=(0, -22), textcoords="offset points",
                        ha="center", va="top", color="#c44e52", fontsize=9)
    ax.plot([], [], "s", color="#4c72b0", label="node = value (forward pass)")
    if grads is not None:
        ax.plot([], [], "s", color="#c44e52", label="dL/d(node) (backward pass)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax
