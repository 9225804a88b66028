"""Optimizers: SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam, AdamW, and learning-rate schedules.

An optimizer holds a list of parameters (objects with ``.value`` and ``.grad``
arrays, such as `dlkit.nn.Parameter`) and, for each one, its own state in
``optimizer.state[p]``: a dict of arrays shaped like ``p.value``, under the
names torch.optim uses (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``,
``square_avg``; AdaGrad's running sum is ``sum_sq``). ``step()`` updates every
``.value`` in place from its ``.grad``; ``zero_grad()`` sets the gradients to
zero; ``state_dict()`` and ``load_state_dict()`` save and restore everything a
run needs to continue. Each update rule is the one documented for the
`torch.optim` class of the same name with the same hyper-parameters, so a
course model and a PyTorch model take the same steps.

Notation (t counts the steps, from 1): w a parameter, g its gradient, γ the
learning rate ``lr``, λ ``weight_decay``, μ ``momentum``, ε ``eps``; squares,
square roots and divisions are elementwise.

Updates are written against the array API standard with in-place operators
(``w -= ...``), so they run on any backend and a float32 parameter stays
float32: hyper-parameters are Python floats, which never promote an array.

Typical use::

    optimizer = Adam(model.parameters(), lr=1e-3)
    for X_batch, y_batch in batches:
        optimizer.zero_grad()
        loss.forward(y_batch, model(X_batch))
        model.backward(loss.backward())     # fills each parameter's .grad
        optimizer.step()

Examples
--------
One step of plain gradient descent on f(w) = w², whose gradient is 2w:

>>> import numpy as np
>>> from dlkit.nn import Parameter
>>> w = Parameter(np.array([1.0, -2.0]))
>>> optimizer = SGD([w], lr=0.1)
>>> w.grad += 2 * w.value
>>> optimizer.step()
>>> w.value
array([ 0.8, -1.6])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

from ._validation import check_bool, check_count, check_number, describe
from .backend import asarray, namespace

__all__ = ["Optimizer", "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "StepLR", "CosineAnnealingLR"]


def _descend(w, step_size: float, numerator, denominator) -> None:
    """w ← w − step_size · numerator / denominator, in place; the quotient is the only temporary."""
    step = numerator / denominator
    step *= step_size
    w -= step


def _check_params(params) -> list:
    """The parameters as a list, each once, each with ``.value`` and ``.grad``."""
    if callable(getattr(params, "parameters", None)):
        raise TypeError(f"params must be an iterable of Parameters such as model.parameters(), "
                        f"got the {type(params).__name__} itself")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params must be an iterable of Parameters such as model.parameters(), "
                        f"got {describe(params)}") from None
    if not params:
        raise ValueError("params is empty: pass the model's parameters, e.g. model.parameters()")
    for i, p in enumerate(params):
        if not (hasattr(p, "value") and hasattr(p, "grad")):
            raise TypeError(f"params[{i}] must have .value and .grad (a dlkit.nn.Parameter), "
                            f"got {describe(p)}")
        for j in range(i):
            if params[j] is p:
                raise ValueError(f"params[{i}] is params[{j}]: list each parameter once "
                                 "(it would be updated twice)")
    return params


class Optimizer:
    """Base class: the parameters, their state, the learning rate, the step count and the step loop.

    A subclass names its hyper-parameters and its state, and writes its rule in
    ``_update(w, g, state)``; the loop of ``step()`` is shared. Weight decay
    enters through ``_apply_weight_decay``: added to the gradient here (an L2
    penalty), applied to the weights directly in AdamW.

    Parameters
    ----------
    params : iterable of Parameter
        Objects with array attributes ``value`` and ``grad`` of the same shape,
        usually ``model.parameters()``.
    lr : float
        Learning rate γ >= 0. Schedules change it between steps through ``optimizer.lr``.
    weight_decay : float
        λ >= 0. Adds λw to the gradient before the update (an L2 penalty λ/2·Σw²),
        except in AdamW, whose decay is decoupled.
    state_names : tuple of str
        The arrays kept per parameter, each starting at zeros shaped like it.

    Attributes
    ----------
    params : list of Parameter
    state : dict Parameter -> dict name -> array
        Per-parameter state; each array has the parameter's shape, dtype and backend.
    t : int
        Steps taken.
    """

    hyperparameters: tuple = ("lr", "weight_decay")  # what state_dict() saves besides the state

    def __init__(self, params, lr: float, weight_decay: float = 0.0, state_names: tuple = ()):
        self.params = _check_params(params)
        self.lr = check_number(lr, "lr", 0.0)
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        self.t = 0
        self.state = {p: {name: namespace(p.value).zeros_like(p.value) for name in state_names}
                      for p in self.params}

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for p in self.params:
            p.grad[...] = 0.0

    def step(self) -> None:
        """Update every parameter in place from its gradient: one step of the rule."""
        self.t += 1
        for p in self.params:
            g = self._apply_weight_decay(p.value, p.grad)
            self._update(p.value, g, self.state[p])

    def _apply_weight_decay(self, w, g):
        """The gradient the rule uses: g + λw (weight decay as an L2 penalty), a new array."""
        return g if self.weight_decay == 0.0 else g + self.weight_decay * w

    def _update(self, w, g, state: dict) -> None:
        """Update the value `w` in place from the gradient `g` and the parameter's `state`."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Everything needed to continue this run later: step count, hyper-parameters, state.

        Returns
        -------
        dict
            ``{"step": t, "hyperparameters": {name: value}, "state": [dict name -> array]}``,
            the state listed in the order of ``params``. The arrays are copies: later steps
            do not change a saved state dict.
        """
        return {
            "step": self.t,
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameters},
            "state": [{name: namespace(a).asarray(a, copy=True) for name, a in self.state[p].items()}
                      for p in self.params],
        }

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Continue from a `state_dict()`: restore the step count, hyper-parameters and state.

        The optimizer must be of the same kind, over parameters of the same shapes in the
        same order. The saved arrays are copied into this optimizer's own state, on its
        parameters' backend and dtype.

        Parameters
        ----------
        state_dict : dict
            What ``state_dict()`` returned.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError("state_dict must be a dict made by Optimizer.state_dict(), "
                            f"got {describe(state_dict)}")
        missing = {"step", "hyperparameters", "state"} - set(state_dict)
        if missing:
            raise ValueError(f"state_dict must have the keys 'step', 'hyperparameters' and 'state', "
                             f"got {sorted(state_dict)}")
        saved_names = sorted(state_dict["hyperparameters"])
        if saved_names != sorted(self.hyperparameters):
            raise ValueError(f"state_dict is for another optimizer: its hyper-parameters are {saved_names}, "
                             f"{type(self).__name__}'s are {sorted(self.hyperparameters)}")
        saved_state = list(state_dict["state"])
        if len(saved_state) != len(self.params):
            raise ValueError(f"state_dict holds the state of {len(saved_state)} parameters, "
                             f"this optimizer has {len(self.params)}")
        for i, (p, saved) in enumerate(zip(self.params, saved_state, strict=True)):
            if sorted(saved) != sorted(self.state[p]):
                raise ValueError(f"state_dict['state'][{i}] holds {sorted(saved)}, "
                                 f"expected {sorted(self.state[p])}")
            for name, array in saved.items():
                if tuple(array.shape) != tuple(p.value.shape):
                    raise ValueError(f"state_dict['state'][{i}][{name!r}] has shape {tuple(array.shape)}, "
                                     f"its parameter has shape {tuple(p.value.shape)}")
        self.t = check_count(state_dict["step"], "state_dict['step']", allow_zero=True)
        for name, value in state_dict["hyperparameters"].items():
            setattr(self, name, value)
        for p, saved in zip(self.params, saved_state, strict=True):
            for name, array in saved.items():
                self.state[p][name][...] = asarray(array, dtype=p.value.dtype, like=p.value)

    def _buffers(self, name: str, old_name: str) -> list:
        """The deprecated per-class lists of state (SGD.b, Adam.m...): one array per parameter."""
        warnings.warn(f"{type(self).__name__}.{old_name} is deprecated: use "
                      f"optimizer.state[p][{name!r}]", DeprecationWarning, stacklevel=3)
        return [self.state[p].get(name) for p in self.params]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum or Nesterov momentum.

    torch.optim.SGD with dampening 0::

        g ← g + λw                      (when weight_decay λ > 0)
        b ← μb + g                      (b starts at 0, so b = g after the first step)
        w ← w − γ·(g + μb)   with nesterov,   w ← w − γ·b   without

    With μ = 0 this is plain gradient descent w ← w − γg, and no buffer is kept.

    Course notation: momentum is v ← ξv + αg; w ← w − v (ξ = μ the momentum,
    α = γ the learning rate). It is the same rule with the learning rate folded
    into the velocity: set v = γb; then v ← γ(μb + g) = μv + γg, and w ← w − γb is
    w ← w − v. Nesterov in the same notation: v ← ξv + αg; w ← w − (ξv + αg),
    a step along the updated velocity plus the fresh gradient. (The two forms
    differ only when γ changes during training: torch's b keeps no memory of
    past learning rates, the course's v does.)

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate γ >= 0 (required, as in PyTorch).
    momentum : float
        μ >= 0 (0 turns momentum off).
    nesterov : bool
        Nesterov momentum (needs μ > 0): look ahead along the velocity.
    weight_decay : float
        λ >= 0, added as λw to the gradient.

    Attributes
    ----------
    state : dict Parameter -> {"momentum_buffer": b}
        b has the parameter's shape (no entry when momentum is 0).

    Examples
    --------
    Momentum keeps moving after the gradient is gone:

    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> w = Parameter(np.array([1.0]))
    >>> optimizer = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad[...] = 1.0
    >>> optimizer.step()       # b = 1, w = 1 − 0.1
    >>> optimizer.zero_grad()
    >>> optimizer.step()       # b = 0.9, w = 0.9 − 0.09
    >>> round(float(w.value[0]), 4)
    0.81
    """

    hyperparameters = ("lr", "momentum", "nesterov", "weight_decay")

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        momentum = check_number(momentum, "momentum", 0.0)
        super().__init__(params, lr, weight_decay, state_names=("momentum_buffer",) if momentum else ())
        self.momentum = momentum
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")

    def _update(self, w, g, state):
        if self.momentum == 0.0:
            w -= self.lr * g
            return
        b = state["momentum_buffer"]
        b *= self.momentum
        b += g
        if self.nesterov:
            w -= self.lr * (g + self.momentum * b)
        else:
            w -= self.lr * b

    @property
    def b(self) -> list:
        """Deprecated: the momentum buffers, ``[state[p]["momentum_buffer"] for p in params]``."""
        return self._buffers("momentum_buffer", "b")


class AdaGrad(Optimizer):
    r"""AdaGrad: each coordinate's step shrinks with the sum of its squared gradients.

    torch.optim.Adagrad (no learning-rate decay, accumulator starting at 0)::

        g ← g + λw                      (when weight_decay λ > 0)
        r ← r + g²
        w ← w − γ·g / (√r + ε)

    Course notation: r ← r + g⊙g; w ← w − α·g ⊘ (√r + ε).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        γ >= 0.
    eps : float
        ε > 0, keeps the first division finite where g = 0.
    weight_decay : float
        λ >= 0.

    Attributes
    ----------
    state : dict Parameter -> {"sum_sq": r}
        r, the running sum of squared gradients, has the parameter's shape
        (torch.optim.Adagrad calls it ``sum``).

    Examples
    --------
    The first step has length γ in every coordinate, whatever the gradient's size:

    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> w = Parameter(np.array([0.0, 0.0]))
    >>> w.grad[...] = [100.0, 0.01]
    >>> AdaGrad([w], lr=0.5).step()
    >>> w.value.round(6)
    array([-0.5, -0.5])
    """

    hyperparameters = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay, state_names=("sum_sq",))
        self.eps = check_number(eps, "eps", 0.0, low_open=True)

    def _update(self, w, g, state):
        r = state["sum_sq"]
        r += g * g
        denominator = namespace(r).sqrt(r)
        denominator += self.eps
        _descend(w, self.lr, g, denominator)

    @property
    def r(self) -> list:
        """Deprecated: the running sums, ``[state[p]["sum_sq"] for p in params]``."""
        return self._buffers("sum_sq", "r")


class RMSProp(Optimizer):
    r"""RMSProp: divide the step by a running root-mean-square of recent gradients.

    torch.optim.RMSprop (not centred, no momentum)::

        g ← g + λw                      (when weight_decay λ > 0)
        v ← αv + (1 − α)g²              (v starts at 0)
        w ← w − γ·g / (√v + ε)

    Course notation: r ← ρr + (1 − ρ)g⊙g; w ← w − α·g ⊘ (√r + ε)
    (the course's ρ is torch's ``alpha``; the course's α is ``lr``).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        γ >= 0.
    alpha : float
        Decay of the running average, in [0, 1).
    eps : float
        ε > 0.
    weight_decay : float
        λ >= 0.

    Attributes
    ----------
    state : dict Parameter -> {"square_avg": v}
        v, the running average of squared gradients, has the parameter's shape.
    """

    hyperparameters = ("lr", "alpha", "eps", "weight_decay")

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay, state_names=("square_avg",))
        self.alpha = check_number(alpha, "alpha", 0.0, 1.0, high_open=True)
        self.eps = check_number(eps, "eps", 0.0, low_open=True)

    def _update(self, w, g, state):
        v = state["square_avg"]
        v *= self.alpha
        v += (1.0 - self.alpha) * (g * g)
        denominator = namespace(v).sqrt(v)
        denominator += self.eps
        _descend(w, self.lr, g, denominator)

    @property
    def v(self) -> list:
        """Deprecated: the running averages, ``[state[p]["square_avg"] for p in params]``."""
        return self._buffers("square_avg", "v")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014): momentum and RMSProp together, with bias correction.

    torch.optim.Adam (amsgrad off)::

        g ← g + λw                      (when weight_decay λ > 0)
        m ← β₁m + (1 − β₁)g             (m and v start at 0)
        v ← β₂v + (1 − β₂)g²
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        w ← w − γ·m̂ / (√v̂ + ε)

    The bias correction undoes the pull of the zero start towards 0 (at t = 1,
    m̂ = g and v̂ = g²). ε is added after the square root, so the first step is
    about γ·sign(g) and never a division by zero (the notes' simplified Adam,
    with neither correction nor ε, divides by zero where g = 0).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        γ >= 0.
    betas : (float, float)
        (β₁, β₂), each in [0, 1).
    eps : float
        ε > 0.
    weight_decay : float
        λ >= 0, added as λw to the gradient (an L2 penalty; see AdamW for decoupled decay).

    Attributes
    ----------
    state : dict Parameter -> {"exp_avg": m, "exp_avg_sq": v}
        The running averages of the gradient and of its square, each of the parameter's shape.

    Examples
    --------
    The first step is γ·sign(g), whatever the gradient's size:

    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> w = Parameter(np.array([0.0, 0.0]))
    >>> w.grad[...] = [100.0, -0.01]
    >>> Adam([w], lr=0.1).step()
    >>> w.value.round(6)
    array([-0.1,  0.1])
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay, state_names=("exp_avg", "exp_avg_sq"))
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {describe(betas)}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair, got {len(betas)} values {tuple(betas)}")
        self.betas = (check_number(betas[0], "betas[0]", 0.0, 1.0, high_open=True),
                      check_number(betas[1], "betas[1]", 0.0, 1.0, high_open=True))
        self.eps = check_number(eps, "eps", 0.0, low_open=True)

    def _update(self, w, g, state):
        beta1, beta2 = self.betas
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε, and m̂ = m / (1 − β₁ᵗ) goes into the step size.
        denominator = namespace(v).sqrt(v)
        denominator *= 1.0 / math.sqrt(1.0 - beta2**self.t)
        denominator += self.eps
        _descend(w, self.lr / (1.0 - beta1**self.t), m, denominator)

    @property
    def m(self) -> list:
        """Deprecated: the first moments, ``[state[p]["exp_avg"] for p in params]``."""
        return self._buffers("exp_avg", "m")

    @property
    def v(self) -> list:
        """Deprecated: the second moments, ``[state[p]["exp_avg_sq"] for p in params]``."""
        return self._buffers("exp_avg_sq", "v")


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    torch.optim.AdamW: first shrink the weights, then take Adam's step with
    the raw gradient::

        w ← w − γλw
        (Adam's update of m, v and w, without adding λw to g)

    Decoupling matters with adaptive steps: in Adam, a decay term added to g is
    divided by √v̂ like the rest of the gradient, so weights with large
    gradients are barely decayed; AdamW decays every weight at the same rate γλ.

    Parameters are Adam's; ``weight_decay`` defaults to 0.01 as in PyTorch.

    Examples
    --------
    With a zero gradient only the decay acts: w ← (1 − γλ)w.

    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> w = Parameter(np.array([2.0]))
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w.value
    array([1.9])
    """

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def _apply_weight_decay(self, w, g):
        """Decoupled decay: w ← (1 − γλ)w in place; the gradient goes to Adam's rule unchanged."""
        if self.weight_decay != 0.0:
            w *= 1.0 - self.lr * self.weight_decay
        return g


class _Schedule:
    """Base class: a learning rate computed from the epoch count and the initial rate."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a dlkit.optim.Optimizer, got {describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self) -> float:
        """Advance one epoch and set the optimizer's learning rate; return it."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate after `epoch` calls of ``step()``.

        Parameters
        ----------
        epoch : int
            Epochs done, >= 0.

        Returns
        -------
        float
        """
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``{"epoch": ..., "base_lr": ...}``: what `load_state_dict` needs to continue."""
        return {"epoch": self.epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Continue from a `state_dict()` (restore the optimizer's own state separately)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict made by state_dict(), got {describe(state_dict)}")
        if sorted(state_dict) != ["base_lr", "epoch"]:
            raise ValueError(f"state_dict must have the keys 'base_lr' and 'epoch', got {sorted(state_dict)}")
        self.epoch = check_count(state_dict["epoch"], "state_dict['epoch']", allow_zero=True)
        self.base_lr = check_number(state_dict["base_lr"], "state_dict['base_lr']", 0.0)


class StepLR(_Schedule):
    """Step decay: multiply the learning rate by `gamma` every `step_size` epochs.

    γ_e = γ₀ · gamma^⌊e / step_size⌋ after e calls of ``step()`` (torch.optim.lr_scheduler.StepLR).

    Parameters
    ----------
    optimizer : Optimizer
        Its current ``lr`` is γ₀.
    step_size : int
        Epochs between decays, >= 1.
    gamma : float
        Decay factor, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> schedule = StepLR(SGD([Parameter(np.zeros(1))], lr=1.0), step_size=2, gamma=0.5)
    >>> [schedule.step() for _ in range(5)]
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = check_count(step_size, "step_size")
        self.gamma = check_number(gamma, "gamma", 0.0, 1.0)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(_Schedule):
    """Cosine annealing: the learning rate falls from γ₀ to `eta_min` along half a cosine.

    γ_e = η_min + (γ₀ − η_min) · (1 + cos(π·e / T_max)) / 2 for e <= T_max, then η_min
    (torch.optim.lr_scheduler.CosineAnnealingLR, without restarts).

    Parameters
    ----------
    optimizer : Optimizer
        Its current ``lr`` is γ₀.
    T_max : int
        Epochs to reach η_min, >= 1.
    eta_min : float
        Final learning rate, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from dlkit.nn import Parameter
    >>> schedule = CosineAnnealingLR(SGD([Parameter(np.zeros(1))], lr=1.0), T_max=2)
    >>> [round(schedule.step(), 4) for _ in range(3)]
    [0.5, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803 (torch's name)
        super().__init__(optimizer)
        self.T_max = check_count(T_max, "T_max")
        self.eta_min = check_number(eta_min, "eta_min", 0.0)

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.T_max) / self.T_max
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * progress)) / 2.0
