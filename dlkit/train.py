"""Training: the fit loop, its History, and callbacks such as EarlyStopping.

`fit` runs the loop every course notebook writes by hand, once per batch::

    y_hat = model(X_batch)                      # forward
    loss.forward(y_batch, y_hat)                # the batch's mean loss
    zero the gradients; model.backward(loss.backward())
    add the L1/L2 penalty gradients; clip      # optional
    optimizer.step()

and is built from three pieces a reader can take one at a time: `_train_step`
(the five lines above), `_run_epoch` (one pass over the data in batches) and
`_evaluate` (loss and metrics in evaluation mode); `fit` itself checks its
arguments, loops over the epochs and records the History.

``batch_size=None`` is full-batch gradient descent (1 update per epoch),
``batch_size=1`` is stochastic gradient descent (n updates per epoch) and any b
in between is mini-batch descent (⌈n/b⌉ updates per epoch, the last batch
holding what is left). Batches are drawn by a permutation of the samples from
the caller's Generator (or int seed), so a run is repeatable.

The data are moved once to the backend and device of the model's parameters
(and cast to their floating dtype); each batch is then taken on the device
with index arrays, so a GPU run copies no data from the host per step.

Two things the hand-written loop repeats are done once or not at all. The
targets are checked once, before the first step (labels in range, one-hot rows,
…), and later batches go to a dlkit loss unchecked (`dlkit.losses.Loss.forward_checked`).
And the model's backward pass is called with ``input_grad=False``: nobody needs
dL/dX for the data, so the first Dense layer skips that matrix product.

Examples
--------
>>> from dlkit import datasets, losses, nn, optim
>>> X, y = datasets.xor(100, noise=0.1, rng=0)
>>> model = nn.MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=0)
>>> history = fit(model, losses.BinaryCrossEntropy(), optim.Adam(model.parameters(), lr=0.05),
...               X, y, epochs=200, batch_size=20, rng=0, metrics=["accuracy"])
>>> history.epochs, history.updates
(200, 1000)
>>> history.metrics["accuracy"][-1]
1.0
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from dataclasses import dataclass, field

from . import metrics as metric_functions
from ._validation import (
    as_array,
    as_float_array,
    as_generator,
    check_bool,
    check_count,
    check_finite,
    check_ndim,
    check_option,
    check_positive,
    describe,
)
from .backend import asarray, namespace
from .losses import Loss
from .nn import backward_pass
from .regularization import global_norm, l1_grad, l2_grad

__all__ = ["fit", "History", "Callback", "EarlyStopping"]

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "rmse")


@dataclass
class History:
    """What `fit` records, one entry per epoch run.

    Attributes
    ----------
    loss : list of float
        Mean training loss over the epoch's batches (the data loss, without L1/L2
        penalties, so that it compares with ``val_loss``).
    val_loss : list of float
        Loss on the validation data at the end of each epoch (empty without them).
    metrics, val_metrics : dict str -> list of float
        Each metric asked for, on the training data and on the validation data,
        computed at the end of each epoch in evaluation mode.
    grad_norms : dict str -> list of float
        ‖∂L/∂θ‖ of each layer with parameters ("dense1", "dense2", … in forward
        order; W and b together), at the last update of each epoch: the gradient
        the optimizer used (penalties included, clipped when clip_norm is set).
    lr : list of float
        The learning rate used in each epoch.
    epochs : int
        Epochs run (fewer than asked when a callback stopped training).
    updates : int
        Optimizer steps taken.
    stopped_early : bool
        Whether a callback stopped training.
    """

    loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    val_metrics: dict = field(default_factory=dict)
    grad_norms: dict = field(default_factory=dict)
    lr: list = field(default_factory=list)
    epochs: int = 0
    updates: int = 0
    stopped_early: bool = False


class Callback:
    """Base class for callbacks: hooks that `fit` calls; ``on_epoch_end`` returns True to stop.

    Examples
    --------
    A callback that stops once the training loss is below a target:

    >>> class StopBelow(Callback):
    ...     def __init__(self, target):
    ...         self.target = target
    ...     def on_epoch_end(self, epoch, history, model):
    ...         return history.loss[-1] < self.target
    """

    def on_train_begin(self, model) -> None:
        """Called once before the first epoch, with the model being trained."""

    def on_epoch_end(self, epoch: int, history: History, model) -> bool:
        """Called after each epoch (0-based `epoch`, the History so far); return True to stop."""
        return False

    def on_train_end(self, model) -> None:
        """Called once after the last epoch."""


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved for `patience` epochs; keep the best weights.

    The monitored value is the validation loss, or the training loss when fit has
    no validation data. An epoch improves when its value is below the best so
    far minus `min_delta`. With ``restore_best`` the weights of the best epoch are
    copied back into the model when training ends.

    Used by hand, ``step(value, params)`` records one epoch and returns the stop flag.

    Parameters
    ----------
    patience : int
        Epochs without improvement tolerated before stopping, >= 0.
    min_delta : float
        The smallest decrease that counts as an improvement, >= 0.
    restore_best : bool
        Copy the best epoch's weights back when training ends.

    Attributes
    ----------
    best : float
        The best value seen.
    best_epoch : int or None
        Its epoch (0-based, an index into History lists).
    stopped_epoch : int or None
        The epoch at which the stop flag was raised.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2)
    >>> [stopper.step(loss) for loss in (1.0, 0.8, 0.9, 0.85)]   # two epochs above 0.8: stop
    [False, False, False, True]
    >>> stopper.best, stopper.best_epoch, stopper.stopped_epoch
    (0.8, 1, 3)
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True):
        self.patience = check_count(patience, "patience", allow_zero=True)
        self.min_delta = check_positive(min_delta, "min_delta", allow_zero=True)
        self.restore_best = check_bool(restore_best, "restore_best")
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (fit calls this when training begins)."""
        self.best = math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.best_weights = None
        self.wait = 0
        self._epoch = -1

    def step(self, value: float, params=()) -> bool:
        """Record one epoch's monitored `value`; return True to stop.

        Parameters
        ----------
        value : float
            The epoch's monitored loss.
        params : list of Parameter
            The model's parameters, remembered when the epoch is the best so far (with
            ``restore_best``).

        Returns
        -------
        bool
            Whether `patience` epochs have passed without improvement.
        """
        self._epoch += 1
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = float(value), self._epoch, 0
            if self.restore_best:
                self._remember(params)
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = self._epoch
            return True
        return False

    def _remember(self, params) -> None:
        if self.best_weights is None:
            self.best_weights = [namespace(p.value).asarray(p.value, copy=True) for p in params]
        else:
            for saved, p in zip(self.best_weights, params, strict=True):
                saved[...] = p.value

    def on_train_begin(self, model) -> None:
        self.reset()

    def on_epoch_end(self, epoch, history, model) -> bool:
        value = history.val_loss[-1] if history.val_loss else history.loss[-1]
        return self.step(value, model.parameters())

    def on_train_end(self, model) -> None:
        if self.restore_best and self.best_weights is not None:
            for p, saved in zip(model.parameters(), self.best_weights, strict=True):
                p.value[...] = saved


def fit(model, loss, optimizer, X, y, epochs, batch_size=None, shuffle=True, rng=None,
        validation_data=None, callbacks=(), progress=None, metrics=(), l1=0.0, l2=0.0,
        clip_norm=None, scheduler=None) -> History:
    """Train `model` on (X, y) with `optimizer`, and return the History.

    Parameters
    ----------
    model : dlkit.nn.Module
        Any object with forward, backward, parameters, train and eval.
    loss : loss object
        forward(y_true, y_pred) -> float and backward() -> dL/dy_pred, e.g. ``dlkit.losses.MSE()``
        (a loss *object*, not the function ``dlkit.losses.mse``).
    optimizer : dlkit.optim.Optimizer
        Over (some of) the model's parameters.
    X : array of shape (n, d)
    y : array of shape (n,) or (n, k)
        Targets, or integer labels for CrossEntropy.
    epochs : int
        Passes over the data, >= 1.
    batch_size : int or None
        None for the full batch, else an int in 1 … n.
    shuffle : bool
        Visit the samples in a new random order each epoch.
    rng : numpy.random.Generator, int or None
        Where the order comes from (an int is a seed; None, fresh entropy).
    validation_data : (X_val, y_val) or None
        Evaluated at the end of each epoch.
    callbacks : sequence of Callback
        E.g. ``[EarlyStopping(patience=10)]``.
    progress : bool or None
        A progress bar: always (True), never (False), or only for runs longer than ~2 s on
        an interactive terminal or in Jupyter (None).
    metrics : sequence of str or callable
        Names from ``METRICS``, or functions f(y_true, model_output) -> float. Named
        classification metrics compare labels: the argmax of a multi-column output, or a
        single-column output above 0.5 (above 0 for ``BinaryCrossEntropy(from_logits=True)``).
    l1, l2 : float
        Penalties λ·Σ|w| and λ/2·Σw² (λ >= 0) on the weights, the parameters with two or more
        dimensions; biases are not penalised. See `dlkit.regularization`.
    clip_norm : float or None
        Clip the gradients to this global norm (> 0) before each step.
    scheduler : learning-rate schedule or None
        E.g. ``dlkit.optim.StepLR``, stepped after each epoch.

    Returns
    -------
    History
        One entry per epoch run in each of its lists.
    """
    params = _check_model(model)
    _check_has_methods(loss, "loss", ("forward", "backward"), "a loss object such as dlkit.losses.MSE()")
    _check_has_methods(optimizer, "optimizer", ("step",), "a dlkit.optim optimizer")
    if scheduler is not None:
        _check_has_methods(scheduler, "scheduler", ("step",), "a schedule such as dlkit.optim.StepLR or None")
    like = params[0].value
    X, y = _to_device(X, y, like, "X", "y")
    validation = None
    if validation_data is not None:
        validation = _to_device(*_pair(validation_data), like, "X_val", "y_val")
    n = X.shape[0]
    epochs = check_count(epochs, "epochs")
    batch_size = _check_batch_size(batch_size, n)
    shuffle = check_bool(shuffle, "shuffle")
    rng = as_generator(rng)
    step_options = {"l1": check_positive(l1, "l1", allow_zero=True),
                    "l2": check_positive(l2, "l2", allow_zero=True),
                    "clip_norm": None if clip_norm is None else check_positive(clip_norm, "clip_norm")}
    named_metrics = _check_metrics(metrics, loss)
    callbacks = _check_callbacks(callbacks)
    if progress is not None:
        check_bool(progress, "progress")

    targets = _checked_targets(loss, y, _output_for_one_sample(model, X))
    layers = _named_layers(model)
    history = History(grad_norms={name: [] for name, _ in layers},
                      metrics={name: [] for name, _ in named_metrics},
                      val_metrics={} if validation is None else {name: [] for name, _ in named_metrics})
    bar = _progress_bar(epochs, progress)
    for callback in callbacks:
        callback.on_train_begin(model)
    for epoch in range(epochs):
        # One batch of everything needs no order: its mean gradient is the same in any order.
        order = asarray(rng.permutation(n), like=like) if shuffle and batch_size < n else None
        epoch_loss = _run_epoch(model, loss, optimizer, X, targets, batch_size, order,
                                check_first=epoch == 0, **step_options)
        history.updates += math.ceil(n / batch_size)
        _record_epoch(history, epoch_loss, optimizer.lr, layers, model, loss, named_metrics, (X, y),
                      validation)
        if scheduler is not None:
            scheduler.step()
        stop = [callback.on_epoch_end(epoch, history, model) for callback in callbacks]
        if bar is not None:
            bar.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)
            bar.update(1)
        if any(stop):
            history.stopped_early = True
            break

    model.train()
    for callback in callbacks:
        callback.on_train_end(model)
    if bar is not None:
        bar.close()
    return history


# --- the pieces of the loop -----------------------------------------------------------------------


def _train_step(model, loss, optimizer, params, X_batch, y_batch, *, l1: float, l2: float, clip_norm,
                checked: bool):
    """One update on one batch, as the lecture writes it; returns the batch's mean loss.

    Forward pass, loss, gradients set to zero and filled by the backward pass (without
    dL/dX, which nobody needs for the data), penalty gradients added, clipping, and the
    optimizer's step.

    Parameters
    ----------
    model, loss, optimizer :
        As for `fit`.
    params : list of Parameter
        ``model.parameters()``, whose gradients are set to zero first.
    X_batch : array of shape (m, d)
    y_batch : array of shape (m,) or (m, k)
        Targets in the loss's checked form (see `_checked_targets`).
    l1, l2 : float
        Penalty strengths (0 for none).
    clip_norm : float or None
    checked : bool
        Whether the batch may skip the loss's input checks (True after the first step of a run).

    Returns
    -------
    float
    """
    y_hat = model(X_batch)
    if checked and isinstance(loss, Loss):
        batch_loss = loss.forward_checked(y_batch, y_hat)
    else:
        batch_loss = loss.forward(y_batch, y_hat)
    for p in params:
        p.grad[...] = 0.0
    backward_pass(model, loss.backward(), input_grad=False)
    if l1 or l2:
        _add_penalty_gradients([p for p in params if p.value.ndim >= 2], l1, l2)
    if clip_norm is not None:
        _clip(params, clip_norm)
    optimizer.step()
    return batch_loss


def _run_epoch(model, loss, optimizer, X, targets, batch_size: int, order, *, check_first: bool,
               **step_options) -> float:
    """One pass over the data in batches, in training mode; returns the epoch's mean loss.

    Parameters
    ----------
    model, loss, optimizer :
        As for `fit`.
    X : array of shape (n, d)
    targets : array of shape (n,) or (n, k)
        In the loss's checked form.
    batch_size : int
        In 1 … n; the last batch holds what is left.
    order : index array of shape (n,), or None
        The order in which to visit the rows (None: as stored).
    check_first : bool
        Whether the first batch goes through the loss's checks.
    **step_options :
        l1, l2 and clip_norm, passed to `_train_step`.

    Returns
    -------
    float
        The mean over all n samples of the batch losses (each batch weighted by its size).
    """
    model.train()
    xp, n, total, params = namespace(X), X.shape[0], 0.0, model.parameters()
    for start in range(0, n, batch_size):
        rows = _batch(xp, order, start, min(start + batch_size, n), n)
        X_batch = rows(X)
        batch_loss = _train_step(model, loss, optimizer, params, X_batch, rows(targets),
                                 checked=start > 0 or not check_first, **step_options)
        total += batch_loss * X_batch.shape[0]
    return total / n


def _evaluate(model, loss, named_metrics, X, y):
    """The loss and the metrics of model(X) against y, in evaluation mode (Dropout off).

    Parameters
    ----------
    model : dlkit.nn.Module
    loss : loss object or None
        None skips the loss (the training loss is the epoch's mean, kept by `_run_epoch`).
    named_metrics : list of (name, function)
        As made by `_metric`.
    X : array of shape (n, d)
    y : array of shape (n,) or (n, k)

    Returns
    -------
    (float or None, dict name -> float)
    """
    model.eval()
    output = model(X)
    value = None if loss is None else loss.forward(y, output)
    return value, {name: float(function(y, output)) for name, function in named_metrics}


def _record_epoch(history, epoch_loss, lr, layers, model, loss, named_metrics, data, validation) -> None:
    """Append one epoch to the History: loss, learning rate, gradient norms, metrics, validation.

    Parameters
    ----------
    history : History
    epoch_loss : float
        The mean training loss of the epoch.
    lr : float
        The learning rate the epoch used.
    layers : list of (str, list of Parameter)
        As made by `_named_layers`; their gradients are those of the epoch's last step.
    model, loss :
        As for `fit`.
    named_metrics : list of (name, function)
    data : (X, y)
        The training data, on the model's backend.
    validation : (X_val, y_val) or None
    """
    history.loss.append(epoch_loss)
    history.lr.append(lr)
    for name, layer_params in layers:
        history.grad_norms[name].append(global_norm([p.grad for p in layer_params]))
    if named_metrics:
        _, scores = _evaluate(model, None, named_metrics, *data)
        for name, value in scores.items():
            history.metrics[name].append(value)
    if validation is not None:
        val_loss, scores = _evaluate(model, loss, named_metrics, *validation)
        history.val_loss.append(val_loss)
        for name, value in scores.items():
            history.val_metrics[name].append(value)
    history.epochs += 1


def _batch(xp, order, start: int, end: int, n: int):
    """A function taking rows start … end − 1 of an array, in the order `order` (None: as stored)."""
    if end - start == n:
        return lambda a: a
    if order is None:
        return lambda a: a[start:end, ...]  # the standard leaves slices past the end unspecified
    index = order[start:end]
    return lambda a: xp.take(a, index, axis=0)


def _output_for_one_sample(model, X):
    """model's output for the first row of X, in evaluation mode (no Dropout draw): its shape and dtype."""
    model.eval()
    return model(X[:1, ...])


def _checked_targets(loss, y, output):
    """y checked once for all its rows against the model's `output` (of shape (1, ...)).

    A dlkit loss returns y in the form its unchecked path takes (one-hot rows for
    CrossEntropy, floats of the output's dtype); another loss gets y as it is.
    """
    if not isinstance(loss, Loss):
        return y
    like = namespace(output).broadcast_to(output, (y.shape[0], *output.shape[1:]))  # the shape of n outputs
    return loss.check_targets(y, like)


def _add_penalty_gradients(weights, l1: float, l2: float) -> None:
    values = [p.value for p in weights]
    for lam, gradient in ((l1, l1_grad), (l2, l2_grad)):
        if lam:
            for p, g in zip(weights, gradient(values, lam), strict=True):
                p.grad += g


def _clip(params, max_norm: float) -> None:
    """Scale the gradients in place so that their global norm is at most max_norm."""
    total = global_norm([p.grad for p in params])
    if total > max_norm:
        for p in params:
            p.grad *= max_norm / total


# --- checks of fit's arguments --------------------------------------------------------------------


def _check_model(model) -> list:
    for method in ("forward", "backward", "parameters", "train", "eval"):
        if not callable(getattr(model, method, None)):
            raise TypeError(f"model must be a dlkit.nn.Module (with {method}()), got {describe(model)}")
    params = model.parameters()
    if not params:
        raise ValueError(f"model must have parameters to train, got {model!r} with none")
    return params


def _check_has_methods(obj, name: str, methods: tuple, expected: str) -> None:
    if isinstance(obj, type):
        raise TypeError(f"{name} must be {expected}, got {describe(obj)}")
    for method in methods:
        if not callable(getattr(obj, method, None)):
            raise TypeError(f"{name} must be {expected} (with {method}()), got {describe(obj)}")


def _pair(validation_data):
    if not isinstance(validation_data, (tuple, list)):
        raise TypeError("validation_data must be a pair (X_val, y_val) or None, "
                        f"got {describe(validation_data)}")
    if len(validation_data) != 2:
        raise ValueError(f"validation_data must be a pair (X_val, y_val), got {len(validation_data)} items")
    return validation_data


def _to_device(X, y, like, name_X: str, name_y: str):
    """X as a 2-D float array and y as an array, both on `like`'s backend; X in `like`'s dtype."""
    X = as_float_array(X, name_X)
    check_ndim(X, 2, name_X)
    check_finite(X, name_X)
    y = as_array(y, name_y)
    check_ndim(y, (1, 2), name_y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name_X} and {name_y} must have the same number of samples, got {X.shape[0]} and {y.shape[0]}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name_X} must hold at least one sample, got shape {tuple(X.shape)}")
    y_is_float = namespace(y).isdtype(y.dtype, "real floating")
    y = asarray(y, dtype=like.dtype if y_is_float else None, like=like)
    return asarray(X, dtype=like.dtype, like=like), y


def _check_batch_size(batch_size, n: int) -> int:
    if batch_size is None:
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be None (full batch) or an int, got {describe(batch_size)}")
    if not 1 <= batch_size <= n:
        raise ValueError(
            f"batch_size must be between 1 and the number of samples {n}, got {batch_size} "
            "(batch_size=None trains on the full batch)"
        )
    return int(batch_size)


def _check_metrics(metrics, loss) -> list:
    if isinstance(metrics, str) or not isinstance(metrics, (tuple, list)):
        raise TypeError("metrics must be a list of names or functions, e.g. ['accuracy'], "
                        f"got {describe(metrics)}")
    return [_metric(m, loss) for m in metrics]


def _check_callbacks(callbacks) -> list:
    if not isinstance(callbacks, (tuple, list)):
        raise TypeError(f"callbacks must be a list of dlkit.train.Callback objects, e.g. [EarlyStopping(5)], "
                        f"got {describe(callbacks)}")
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be dlkit.train.Callback objects, got {describe(callback)}")
    return list(callbacks)


def _named_layers(model) -> list:
    """[(name, parameters)] for each module that holds parameters itself: dense1, dense2, …"""
    layers, counts = [], {}

    def visit(module):
        children = module.children() if hasattr(module, "children") else []
        if children:
            for child in children:
                visit(child)
        elif module.parameters():
            kind = type(module).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
            layers.append((f"{kind}{counts[kind]}", module.parameters()))

    visit(model)
    return layers


def _metric(metric, loss):
    """(name, f(y_true, output) -> float) for a metric name or function."""
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    check_option(metric, METRICS, "metric")
    function = getattr(metric_functions, metric)
    if metric in ("rmse", "roc_auc"):
        return metric, function
    threshold = 0.0 if getattr(loss, "from_logits", False) else 0.5
    return metric, lambda y_true, output: function(_labels(y_true, 0.5), _labels(output, threshold))


def _labels(a, threshold: float):
    """Class labels from an output or target: argmax of several columns, else a > threshold."""
    xp = namespace(a)
    if a.ndim == 2 and a.shape[1] > 1:
        return xp.argmax(a, axis=1)
    if xp.isdtype(a.dtype, "integral"):
        return a
    return xp.astype(a > threshold, xp.int64)


# --- the progress bar -----------------------------------------------------------------------------


def _interactive() -> bool:
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if type(shell).__name__ == "ZMQInteractiveShell":  # Jupyter
        return True
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def _progress_bar(epochs: int, progress):
    """A tqdm bar over epochs (the notebook widget in Jupyter), or None for a silent run."""
    if progress is False or (progress is None and not _interactive()):
        return None
    from tqdm.auto import tqdm

    # With progress=None the bar waits 2 s before showing, so short runs stay silent.
    return tqdm(total=int(epochs), unit="epoch", delay=0.0 if progress else 2.0, leave=True)
