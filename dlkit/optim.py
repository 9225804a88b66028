"""Optimizers: SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam, AdamW, and learning-rate schedules.

An optimizer holds a list of parameters (objects with ``.value`` and ``.grad``
arrays, such as `dlkit.nn.Parameter`) and, for each one, its own state (a
velocity, running averages). ``step()`` updates every ``.value`` in place from
its ``.grad``; ``zero_grad()`` sets the gradients to zero. Each update rule is
the one documented for the `torch.optim` class of the same name with the same
hyper-parameters, so a course model and a PyTorch model take the same steps.

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
"""

from __future__ import annotations

import math

from .backend import namespace

__all__ = ["Optimizer", "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "StepLR", "CosineAnnealingLR"]


def _check_number(value, name: str, low: float, high: float = math.inf, *, low_open=False, high_open=True):
    """Return `value` as a float after checking that it lies in the stated interval."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if math.isnan(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value}")
    return value


def _descend(w, step_size: float, numerator, denominator) -> None:
    """w ← w − step_size · numerator / denominator, in place; the quotient is the only temporary."""
    step = numerator / denominator
    step *= step_size
    w -= step


class Optimizer:
    """Base class: the parameter list, the learning rate, the step count and ``zero_grad``.

    Parameters
    ----------
    params : iterable of Parameter
        Objects with array attributes ``value`` and ``grad`` of the same shape.
    lr : float
        Learning rate γ >= 0. Schedules change it between steps through ``optimizer.lr``.
    weight_decay : float
        λ >= 0. Adds λw to the gradient before the update (an L2 penalty λ/2·Σw²),
        except in AdamW, whose decay is decoupled.
    """

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: pass the model's parameters, e.g. model.parameters()")
        for i, p in enumerate(self.params):
            if not (hasattr(p, "value") and hasattr(p, "grad")):
                raise TypeError(
                    f"params[{i}] must have .value and .grad (a dlkit.nn.Parameter), got {type(p).__name__}"
                )
        self.lr = _check_number(lr, "lr", 0.0)
        self.weight_decay = _check_number(weight_decay, "weight_decay", 0.0)
        self.t = 0  # steps taken

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for p in self.params:
            p.grad[...] = 0.0

    def step(self) -> None:
        """Update every parameter in place from its gradient (one step of the rule)."""
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad if self.weight_decay == 0.0 else p.grad + self.weight_decay * p.value
            self._update(i, p.value, g)

    def _update(self, i: int, w, g) -> None:
        """Update parameter number `i`, value `w`, in place with the (decayed) gradient `g`."""
        raise NotImplementedError


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum or Nesterov momentum.

    torch.optim.SGD with dampening 0::

        g ← g + λw                      (when weight_decay λ > 0)
        b ← μb + g                      (b = g at the first step)
        w ← w − γ·(g + μb)   with nesterov,   w ← w − γ·b   without

    With μ = 0 this is plain gradient descent w ← w − γg.

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
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = _check_number(momentum, "momentum", 0.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)
        self.b = [None] * len(self.params)  # momentum buffer per parameter

    def _update(self, i, w, g):
        if self.momentum == 0.0:
            w -= self.lr * g
            return
        b = self.b[i]
        if b is None:
            b = self.b[i] = namespace(g).asarray(g, copy=True)
        else:
            b *= self.momentum
            b += g
        if self.nesterov:
            w -= self.lr * (g + self.momentum * b)
        else:
            w -= self.lr * b


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
    """

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.eps = _check_number(eps, "eps", 0.0, low_open=True)
        self.r = [None] * len(self.params)  # running sum of squared gradients

    def _update(self, i, w, g):
        xp = namespace(g)
        if self.r[i] is None:
            self.r[i] = xp.zeros_like(g)
        r = self.r[i]
        r += g * g
        denominator = xp.sqrt(r)
        denominator += self.eps
        _descend(w, self.lr, g, denominator)


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
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.alpha = _check_number(alpha, "alpha", 0.0, 1.0)
        self.eps = _check_number(eps, "eps", 0.0, low_open=True)
        self.v = [None] * len(self.params)  # running average of squared gradients

    def _update(self, i, w, g):
        xp = namespace(g)
        if self.v[i] is None:
            self.v[i] = xp.zeros_like(g)
        v = self.v[i]
        v *= self.alpha
        v += (1.0 - self.alpha) * (g * g)
        denominator = xp.sqrt(v)
        denominator += self.eps
        _descend(w, self.lr, g, denominator)


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
    """

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_number(beta1, "betas[0]", 0.0, 1.0), _check_number(beta2, "betas[1]", 0.0, 1.0))
        self.eps = _check_number(eps, "eps", 0.0, low_open=True)
        self.m = [None] * len(self.params)  # running average of gradients
        self.v = [None] * len(self.params)  # running average of squared gradients

    def _update(self, i, w, g):
        xp = namespace(g)
        beta1, beta2 = self.betas
        if self.m[i] is None:
            self.m[i], self.v[i] = xp.zeros_like(g), xp.zeros_like(g)
        m, v = self.m[i], self.v[i]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε, and m̂ = m / (1 − β₁ᵗ) goes into the step size.
        denominator = xp.sqrt(v)
        denominator *= 1.0 / math.sqrt(1.0 - beta2**self.t)
        denominator += self.eps
        _descend(w, self.lr / (1.0 - beta1**self.t), m, denominator)


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
    """

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def step(self) -> None:
        self.t += 1
        for i, p in enumerate(self.params):
            if self.weight_decay != 0.0:
                p.value *= 1.0 - self.lr * self.weight_decay
            self._update(i, p.value, p.grad)


class _Schedule:
    """Base class: a learning rate computed from the epoch count and the initial rate."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a dlkit.optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self) -> float:
        """Advance one epoch and set the optimizer's learning rate; return it."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError


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
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be an integer >= 1, got {step_size!r}")
        self.step_size = step_size
        self.gamma = _check_number(gamma, "gamma", 0.0, 1.0, high_open=False)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(_Schedule):
    """Cosine annealing: the learning rate falls from γ₀ to `eta_min` along half a cosine.

    γ_e = η_min + (γ₀ − η_min) · (1 + cos(π·e / T_max)) / 2 for e <= T_max, then η_min
    (torch.optim.lr_scheduler.CosineAnnealingLR, without restarts).

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs to reach η_min, >= 1.
    eta_min : float
        Final learning rate, >= 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803 (torch's name)
        super().__init__(optimizer)
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"T_max must be an integer >= 1, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = _check_number(eta_min, "eta_min", 0.0)

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.T_max) / self.T_max
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * progress)) / 2.0
