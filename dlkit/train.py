"""Training: the fit loop, its History, and callbacks such as EarlyStopping.

`fit` runs the loop every course notebook writes by hand, once per batch::

    y_hat = model(X_batch)                      # forward
    loss.forward(y_batch, y_hat)                # the batch's mean loss
    zero the gradients; model.backward(loss.backward())
    add the L1/L2 penalty gradients; clip      # optional
    optimizer.step()

``batch_size=None`` is full-batch gradient descent (1 update per epoch),
``batch_size=1`` is stochastic gradient descent (n updates per epoch) and any b
in between is mini-batch descent (⌈n/b⌉ updates per epoch, the last batch
holding what is left). Batches are drawn by a permutation of the samples from
the caller's Generator, so a run is repeatable.

The data are moved once to the backend and device of the model's parameters
(and cast to their floating dtype); each batch is then taken on the device
with index arrays, so a GPU run copies no data from the host per step.

Two things the hand-written loop repeats are done once or not at all. The
targets are checked once, on the first step (labels in range, one-hot rows,
…), and later batches go to a dlkit loss unchecked. And the model's backward
pass is called with ``input_grad=False``: nobody needs dL/dX for the data, so
the first Dense layer skips that matrix product.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from . import metrics as metric_functions
from ._validation import (
    as_array,
    as_float_array,
    as_generator,
    check_finite,
    check_ndim,
    check_option,
    check_positive,
)
from .backend import asarray, namespace
from .losses import Loss
from .nn import _backward
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
    metrics, val_metrics : dict name -> list of float
        Each metric asked for, on the training data and on the validation data,
        computed at the end of each epoch in evaluation mode.
    grad_norms : dict layer name -> list of float
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
    """Base class for callbacks: hooks that `fit` calls; ``on_epoch_end`` returns True to stop."""

    def on_train_begin(self, model) -> None:
        pass

    def on_epoch_end(self, epoch: int, history: History, model) -> bool:
        return False

    def on_train_end(self, model) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved for `patience` epochs; keep the best weights.

    The monitored value is the validation loss, or the training loss when fit has
    no validation data. An epoch improves when its value is below the best so
    far minus `min_delta`. With ``restore_best`` the weights of the best epoch are
    copied back into the model when training ends.

    Used by hand, ``step(value, params)`` records one epoch and returns the stop flag.

    Parameters
    ----------
    patience : int >= 0
        Epochs without improvement tolerated before stopping.
    min_delta : float >= 0
        The smallest decrease that counts as an improvement.
    restore_best : bool

    Attributes
    ----------
    best : float, the best value seen
    best_epoch : int or None, its epoch (0-based, an index into History lists)
    stopped_epoch : int or None, the epoch at which the stop flag was raised
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        check_positive(min_delta, "min_delta", allow_zero=True)
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = bool(restore_best)
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
        """Record one epoch's monitored `value` (and the current `params`); return True to stop."""
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
    loss : a loss object with forward(y_true, y_pred) -> float and backward() (dlkit.losses)
    optimizer : dlkit.optim.Optimizer over (some of) the model's parameters
    X : array (n, d)
    y : array (n,) or (n, k): targets, or integer labels for CrossEntropy
    epochs : int >= 1
    batch_size : None (full batch), or an int in 1 … n
    shuffle : bool, visit the samples in a new random order each epoch
    rng : numpy.random.Generator or None, for the shuffling
    validation_data : (X_val, y_val) or None, evaluated at the end of each epoch
    callbacks : sequence of Callback, e.g. (EarlyStopping(patience=10),)
    progress : True, False, or None (a bar only for runs longer than ~2 s on an interactive
        terminal or in Jupyter)
    metrics : names from METRICS, or functions f(y_true, model_output) -> float. Named
        classification metrics compare labels: the argmax of a multi-column output, or a
        single-column output above 0.5 (above 0 for ``BinaryCrossEntropy(from_logits=True)``)
    l1, l2 : float >= 0, penalties λ·Σ|w| and λ/2·Σw² on the weights (parameters with two or
        more dimensions; biases are not penalised), see dlkit.regularization
    clip_norm : float > 0 or None, clip the gradients to this global norm before each step
    scheduler : a learning-rate schedule (dlkit.optim.StepLR, …) stepped after each epoch

    Returns
    -------
    History
    """
    params = _check_model(model)
    like = params[0].value
    X, y = _to_device(X, y, like, "X", "y")
    n = X.shape[0]
    if validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val, y_val = _to_device(X_val, y_val, like, "X_val", "y_val")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    b = _check_batch_size(batch_size, n)
    rng = as_generator(rng)
    check_positive(l1, "l1", allow_zero=True)
    check_positive(l2, "l2", allow_zero=True)
    if clip_norm is not None:
        check_positive(clip_norm, "clip_norm")
    named_metrics = [_metric(m, loss) for m in metrics]
    callbacks = list(callbacks)
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be dlkit.train.Callback objects, got {type(callback).__name__}")

    xp = namespace(like)
    weights = [p for p in params if p.value.ndim >= 2]
    layers = _named_layers(model)
    history = History(grad_norms={name: [] for name, _ in layers})
    for name, _ in named_metrics:
        history.metrics[name] = []
        if validation_data is not None:
            history.val_metrics[name] = []
    bar = _progress_bar(epochs, progress)
    for callback in callbacks:
        callback.on_train_begin(model)

    targets = None  # y checked once, in the form the loss takes (one-hot rows for CrossEntropy)
    for epoch in range(int(epochs)):
        model.train()
        # One batch of everything needs no order: its mean gradient is the same in any order.
        order = asarray(rng.permutation(n), like=like) if shuffle and b < n else None
        total = 0.0
        for start in range(0, n, b):
            batch = _batch(xp, order, start, min(start + b, n), n)
            y_hat = model(batch(X))
            if targets is None:  # the first step checks everything, later steps trust it
                targets = _checked_targets(loss, y, y_hat)
                batch_loss = loss.forward(batch(targets), y_hat)
            elif isinstance(loss, Loss):
                batch_loss = loss._forward_checked(batch(targets), y_hat)
            else:
                batch_loss = loss.forward(batch(targets), y_hat)
            total += batch_loss * y_hat.shape[0]
            for p in params:
                p.grad[...] = 0.0
            _backward(model, loss.backward(), input_grad=False)
            if l1 or l2:
                _add_penalty_gradients(weights, l1, l2)
            if clip_norm is not None:
                _clip(params, clip_norm)
            optimizer.step()
            history.updates += 1

        history.loss.append(total / n)
        history.lr.append(optimizer.lr)
        for name, layer_params in layers:
            history.grad_norms[name].append(global_norm([p.grad for p in layer_params]))
        if named_metrics or validation_data is not None:
            model.eval()
            if named_metrics:
                _evaluate(model, loss, named_metrics, X, y, None, history.metrics)
            if validation_data is not None:
                _evaluate(model, loss, named_metrics, X_val, y_val, history.val_loss, history.val_metrics)
        history.epochs += 1
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


# --- the pieces of fit --------------------------------------------------------------------------


def _check_model(model) -> list:
    for method in ("forward", "backward", "parameters", "train", "eval"):
        if not callable(getattr(model, method, None)):
            raise TypeError(f"model must be a dlkit.nn.Module (with {method}()), got {type(model).__name__}")
    params = model.parameters()
    if not params:
        raise ValueError(f"{model!r} has no parameters to train")
    return params


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
        raise ValueError(f"{name_X} is empty; training needs at least one sample")
    y_is_float = namespace(y).isdtype(y.dtype, "real floating")
    y = asarray(y, dtype=like.dtype if y_is_float else None, like=like)
    return asarray(X, dtype=like.dtype, like=like), y


def _check_batch_size(batch_size, n: int) -> int:
    if batch_size is None:
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be None (full batch) or an int, got {type(batch_size).__name__}")
    if not 1 <= batch_size <= n:
        raise ValueError(
            f"batch_size must be between 1 and the number of samples {n}, got {batch_size} "
            "(batch_size=None trains on the full batch)"
        )
    return int(batch_size)


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


def _batch(xp, order, start: int, end: int, n: int):
    """A function taking rows start … end − 1 of an array, in the order `order` (None: as stored)."""
    if end - start == n:
        return lambda a: a
    if order is None:
        return lambda a: a[start:end, ...]  # the standard leaves slices past the end unspecified
    index = order[start:end]
    return lambda a: xp.take(a, index, axis=0)


def _checked_targets(loss, y, y_hat):
    """y checked once for all its rows, against the model's output y_hat for a first batch.

    A dlkit loss returns y in the form its unchecked path takes; another loss gets y as it is.
    """
    if not isinstance(loss, Loss):
        return y
    xp = namespace(y_hat)
    like = xp.broadcast_to(y_hat[:1, ...], (y.shape[0], *y_hat.shape[1:]))  # y_hat's shape for all n rows
    targets, _ = loss._check(y, like)
    return targets


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


def _evaluate(model, loss, named_metrics, X, y, losses, metric_lists) -> None:
    """Append the loss (when `losses` is a list) and each metric of model(X) against y."""
    output = model(X)
    if losses is not None:
        losses.append(loss.forward(y, output))
    for name, function in named_metrics:
        metric_lists[name].append(float(function(y, output)))


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
