"""Layers as modules: Parameter, Module, Dense, activations, Dropout, Sequential, Residual, MLP, Perceptron.

Every module has a forward pass that caches what its backward pass needs, and a
backward pass that takes dL/d(output) and returns dL/d(input), adding the
gradients of its own parameters to their ``.grad`` (``+=``, so gradients of a
parameter used twice add up, as the chain rule says). Inputs are batches X of
shape (n, d): one row per sample. Nothing loops over the samples.

``backward(dout, input_grad=False)`` tells a module that nobody needs
dL/d(input), as for a network's first layer, whose input is the data: Dense
then skips that matrix product and returns None (PyTorch's autograd skips it too).

    model = MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=rng)
    y_hat = model(X)                    # forward, (n, 1)
    model.zero_grad()
    model.backward(loss.backward())     # fills p.grad for p in model.parameters()
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import activations
from . import init as initializers
from ._validation import as_array, as_float_array, check_count, check_ndim, check_option, check_positive
from .backend import asarray, device_generator, matmul, namespace, to_numpy, uniform


class Parameter:
    """A learnable array and the gradient of the loss with respect to it.

    ``value`` holds the array; ``grad`` has the same shape and dtype, starts at
    zero and accumulates (+=) during backward passes until ``zero_grad()``.
    """

    def __init__(self, value):
        self.value = value
        self.grad = namespace(value).zeros_like(value)

    def zero_grad(self) -> None:
        self.grad[...] = 0.0  # in place: no new array each step

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class: ``forward(X)``, ``backward(dout, input_grad=True) -> dX``, parameters and train/eval mode.

    Subclasses with parameters override ``parameters()``; containers override
    ``children()`` so that parameters, ``train()`` and ``eval()`` reach their parts.
    """

    training = True

    def forward(self, X):
        raise NotImplementedError

    def backward(self, dout, input_grad=True):
        raise NotImplementedError

    def __call__(self, X):
        return self.forward(X)

    def children(self) -> list:
        """The modules inside this one (none by default)."""
        return []

    def parameters(self) -> list:
        """Every Parameter of this module and of its children, in forward order."""
        return [p for child in self.children() for p in child.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True):
        """Training mode (Dropout drops); returns self."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity); returns self."""
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _backward(module, dout, input_grad: bool):
    """module.backward(dout, input_grad), also for a module written as ``backward(self, dout)``."""
    if input_grad or not _takes_input_grad(type(module)):
        return module.backward(dout)
    return module.backward(dout, input_grad=False)


@functools.cache
def _takes_input_grad(module_class) -> bool:
    return "input_grad" in inspect.signature(module_class.backward).parameters


def _check_int(value, name: str) -> int:
    check_count(value, name)
    return int(value)


class Dense(Module):
    """Fully connected layer: out = X @ W + b.

    Parameters
    ----------
    in_features, out_features : int
    init : "xavier" | "he" | "normal" | "uniform", see `dlkit.init`
    bias : bool, whether the layer has b
    rng : numpy.random.Generator or None, for the initial W
    dtype : "float64" or "float32"

    Shapes: X (n, in_features) -> out (n, out_features); W (in_features, out_features); b (out_features,).
    X of another numeric dtype (integers, float64 data into a float32 layer) is cast to W's dtype.
    """

    def __init__(self, in_features, out_features, init="xavier", bias=True, rng=None, dtype="float64"):
        self.in_features = _check_int(in_features, "in_features")
        self.out_features = _check_int(out_features, "out_features")
        draw = initializers.get(init)
        self.W = Parameter(draw((self.in_features, self.out_features), rng=rng, dtype=dtype))
        self.b = Parameter(asarray(np.zeros(self.out_features), dtype=dtype)) if bias else None

    def parameters(self) -> list:
        return [self.W] if self.b is None else [self.W, self.b]

    def forward(self, X):
        X = self._check_input(X)
        self._X = X
        out = matmul(X, self.W.value)
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, dout, input_grad=True):
        """dout (n, out_features) -> dX (n, in_features), or None when input_grad is False.

        Adds X.T @ dout to W.grad and the column sums of dout to b.grad.
        """
        self.W.grad += matmul(self._X.T, dout)
        if self.b is not None:
            self.b.grad += namespace(dout).sum(dout, axis=0)
        return matmul(dout, self.W.value.T) if input_grad else None

    def _check_input(self, X):
        # Same array type and dtype as W: already checked. Else check (and name both libraries if
        # they differ) before comparing dtypes, which array-api-strict warns about across libraries.
        if type(X) is not type(self.W.value) or X.dtype != self.W.dtype:
            X = as_array(X, "X")
            X = namespace(X, self.W.value).astype(X, self.W.dtype)
        if X.ndim != 2 or X.shape[1] != self.in_features:
            check_ndim(X, 2, "X")
            raise ValueError(
                f"{self!r} expects X of shape (n, {self.in_features}), got shape {tuple(X.shape)}"
            )
        return X

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features}, bias={self.b is not None})"


def collapse_linear(W1, b1, W2, b2):
    """The one dense layer that computes the same as two dense layers with no activation between them.

    (X @ W1 + b1) @ W2 + b2 = X @ (W1 @ W2) + (b1 @ W2 + b2), so the pair is the layer
    W = W1 @ W2, b = b1 @ W2 + b2: without a non-linear activation, depth adds nothing.

    Parameters
    ----------
    W1 : array (d, h), the first layer's weights; b1 : array (h,), its bias
    W2 : array (h, m), the second layer's weights; b2 : array (m,), its bias

    Returns
    -------
    W : array (d, m), W1 @ W2
    b : array (m,), b1 @ W2 + b2

    The inputs are not modified; float32 inputs give float32 results.
    """
    W1, b1 = as_float_array(W1, "W1"), as_float_array(b1, "b1")
    W2, b2 = as_float_array(W2, "W2"), as_float_array(b2, "b2")
    for array, ndim, name in ((W1, 2, "W1"), (b1, 1, "b1"), (W2, 2, "W2"), (b2, 1, "b2")):
        check_ndim(array, ndim, name)
    h, m = W1.shape[1], W2.shape[1]
    if b1.shape[0] != h:
        raise ValueError(f"b1 must have one entry per column of W1 ({h}), got shape {tuple(b1.shape)}")
    if W2.shape[0] != h:
        raise ValueError(f"W2 must have one row per column of W1 ({h}), got shape {tuple(W2.shape)}")
    if b2.shape[0] != m:
        raise ValueError(f"b2 must have one entry per column of W2 ({m}), got shape {tuple(b2.shape)}")
    return W1 @ W2, b1 @ W2 + b2


class Activation(Module):
    """An elementwise activation a = f(z); backward is dout ⊙ f'(z) (f and f' from `dlkit.activations`)."""

    def __init__(self, name: str, **options):
        self.name = name
        self.options = options
        self.f, self.f_grad = activations.get(name)

    def forward(self, z):
        self._z = z
        return self.f(z, **self.options)

    def backward(self, dout, input_grad=True):
        return dout * self.f_grad(self._z, **self.options)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.options.items())
        return f"{type(self).__name__}({options})"


class Identity(Activation):
    def __init__(self):
        super().__init__("identity")


class Step(Activation):
    """Heaviside step (step(0) = 0); its derivative is 0 everywhere, so no gradient flows back."""

    def __init__(self):
        super().__init__("step")


class Sigmoid(Activation):
    def __init__(self):
        super().__init__("sigmoid")


class Tanh(Activation):
    def __init__(self):
        super().__init__("tanh")


class ReLU(Activation):
    def __init__(self):
        super().__init__("relu")


class LeakyReLU(Activation):
    def __init__(self, beta=0.01):
        super().__init__("leaky_relu", beta=beta)


class ELU(Activation):
    def __init__(self, alpha=1.0):
        super().__init__("elu", alpha=alpha)


class GELU(Activation):
    def __init__(self, approximate=False):
        super().__init__("gelu", approximate=approximate)


class Softmax(Module):
    """Softmax over the last axis; backward is the Jacobian-vector product (softmax_backward)."""

    def forward(self, z):
        self._s = activations.softmax(z, axis=-1)
        return self._s

    def backward(self, dout, input_grad=True):
        return activations.softmax_backward(dout, self._s)


class Dropout(Module):
    """Inverted dropout: in training, zero each entry with probability p and scale the rest by 1/(1 − p).

    The expected output equals the input, so evaluation mode (``eval()``) is the
    identity with no rescaling. The mask comes from uniform draws u in [0, 1),
    made where X lives by a generator seeded from `rng`: keep where u ≥ p. On
    NumPy the draws are exactly ``rng.random(X.shape)``.
    """

    def __init__(self, p=0.5, rng=None):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"p must be a number in [0, 1), got {type(p).__name__}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1) (the probability of dropping an entry), got {p}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
        self.p = float(p)
        self.rng = np.random.default_rng() if rng is None else rng
        self._generator = None

    def forward(self, X):
        if not self.training or self.p == 0.0:
            self._mask = None
            return X
        if self._generator is None:
            self._generator = device_generator(self.rng, X)
        xp = namespace(X)
        u = uniform(self._generator, X.shape, X.dtype)
        self._mask = xp.astype(u >= self.p, X.dtype) * (1.0 / (1.0 - self.p))
        return X * self._mask

    def backward(self, dout, input_grad=True):
        return dout if self._mask is None else dout * self._mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Sequential(Module):
    """Modules applied one after the other; backward runs them in reverse order."""

    def __init__(self, *modules):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {i}")
        self.layers = list(modules)

    def children(self) -> list:
        return self.layers

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dout, input_grad=True):
        """Each layer's backward, last to first; only the first layer hears `input_grad`."""
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        return _backward(self.layers[0], dout, input_grad) if self.layers else dout

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"{type(self).__name__}({inner}\n)"


class Residual(Module):
    """Skip connection: out = x + module(x). The gradient flows back along both paths and adds up."""

    def __init__(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Residual takes a Module, got {type(module).__name__}")
        self.module = module

    def children(self) -> list:
        return [self.module]

    def forward(self, X):
        out = self.module.forward(X)
        if tuple(out.shape) != tuple(X.shape):
            raise ValueError(
                f"Residual needs a module whose output has its input's shape, got {tuple(X.shape)} "
                f"in and {tuple(out.shape)} out"
            )
        return X + out

    def backward(self, dout, input_grad=True):
        return dout + self.module.backward(dout)  # the sum needs the module's input gradient

    def __repr__(self) -> str:
        return f"Residual({self.module!r})"


ACTIVATION_MODULES = {
    "identity": Identity,
    "step": Step,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "softmax": Softmax,
}
_RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu")


class MLP(Sequential):
    """Multilayer perceptron: Dense layers of the given sizes with an activation between them.

    MLP([2, 8, 8, 1]) is Dense(2, 8), act, Dense(8, 8), act, Dense(8, 1)[, output activation].

    Parameters
    ----------
    sizes : sequence of int, [n_inputs, hidden..., n_outputs] (at least two)
    activation : name of the hidden activation, see ACTIVATION_MODULES
    output_activation : name of the output activation, or None for none (raw scores)
    init : "xavier" | "he" | "normal" | "uniform" | None; None picks "he" for the
        ReLU family (relu, leaky_relu, elu, gelu) and "xavier" otherwise
    rng : numpy.random.Generator or None
    dtype : "float64" or "float32"
    bias : bool, whether the Dense layers have biases
    """

    def __init__(self, sizes, activation="relu", output_activation=None, init=None, rng=None,
                 dtype="float64", bias=True):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output sizes, got {sizes}")
        check_option(activation, tuple(ACTIVATION_MODULES), "activation")
        if output_activation is not None:
            check_option(output_activation, tuple(ACTIVATION_MODULES), "output_activation")
        if init is None:
            init = "he" if activation in _RELU_FAMILY else "xavier"
        rng = np.random.default_rng() if rng is None else rng
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Dense(n_in, n_out, init=init, bias=bias, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATION_MODULES[activation]())
        if output_activation is not None:
            layers.append(ACTIVATION_MODULES[output_activation]())
        super().__init__(*layers)
        self.sizes = sizes


class Perceptron:
    """Rosenblatt's perceptron: ŷ = step(b + x @ w), trained one sample at a time.

    Attributes
    ----------
    w : array (n_features,), starts at 0
    b : float, starts at 0
    mistakes_ : list of int, the number of misclassified samples in each epoch of `fit`
    """

    def __init__(self, n_features, rng=None):
        self.n_features = _check_int(n_features, "n_features")
        self.rng = np.random.default_rng() if rng is None else rng
        self.w = asarray(np.zeros(self.n_features))
        self.b = 0.0

    def fit(self, X, y, lr=1.0, epochs=10):
        """Rosenblatt's rule, each epoch over the samples in the order rng.permutation(n).

        For each sample x with label y in {0, 1}: ŷ = step(b + x @ w); when ŷ ≠ y,
        w ← w + lr (y − ŷ) x and b ← b + lr (y − ŷ). Every epoch runs (a later
        epoch with 0 mistakes changes nothing).

        X : (n, n_features) numbers; y : (n,) labels 0 or 1. Returns self.
        """
        X = self._check_X(X)
        y = as_array(y, "y")
        check_ndim(y, 1, "y")
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y must have the same number of samples, got {X.shape[0]} and {y.shape[0]}"
            )
        labels = [float(v) for v in to_numpy(y).tolist()]
        if not set(labels) <= {0.0, 1.0}:
            raise ValueError(f"y must hold labels 0 and 1, got values {sorted(set(labels))}")
        check_positive(lr, "lr")
        epochs = _check_int(epochs, "epochs")
        self.mistakes_ = []
        for _ in range(epochs):
            mistakes = 0
            for i in self.rng.permutation(X.shape[0]).tolist():
                x = X[i, :]
                y_hat = 1.0 if float(self.b + x @ self.w) > 0 else 0.0  # step(z), step(0) = 0
                error = labels[i] - y_hat
                if error != 0:
                    mistakes += 1
                    self.w += (lr * error) * x
                    self.b += lr * error
            self.mistakes_.append(mistakes)
        return self

    def predict(self, X):
        """Labels step(b + X @ w) as an int64 array (n,)."""
        X = self._check_X(X)
        xp = namespace(X)
        return xp.astype(activations.step(self.b + X @ self.w), xp.int64)

    def _check_X(self, X):
        X = as_float_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_features:
            check_ndim(X, 2, "X")
            raise ValueError(
                f"Perceptron expects X of shape (n, {self.n_features}), got shape {tuple(X.shape)}"
            )
        return asarray(X, dtype=self.w.dtype, like=self.w)

    def __repr__(self) -> str:
        return f"Perceptron(n_features={self.n_features})"
