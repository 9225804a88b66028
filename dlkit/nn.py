"""Layers as modules: Parameter, Module, Dense, activations, Dropout, Sequential, Residual, MLP, Perceptron.

Every module has a forward pass that caches what its backward pass needs, and a
backward pass that takes dL/d(output) and returns dL/d(input), adding the
gradients of its own parameters to their ``.grad`` (``+=``, so gradients of a
parameter used twice add up, as the chain rule says). Inputs are batches X of
shape (n, d): one row per sample. Nothing loops over the samples.

``backward(dout, input_grad=False)`` tells a module that nobody needs
dL/d(input), as for a network's first layer, whose input is the data: Dense
then skips that matrix product and returns None (PyTorch's autograd skips it too).

Examples
--------
One step of backpropagation by hand:

>>> import numpy as np
>>> from dlkit import datasets, losses
>>> X, y = datasets.xor(8, rng=0)
>>> model = MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=0)
>>> loss = losses.BinaryCrossEntropy()
>>> y_hat = model(X)                          # forward: (8, 2) -> (8, 1)
>>> value = loss.forward(y, y_hat)
>>> model.zero_grad()
>>> dX = model.backward(loss.backward())      # fills p.grad for p in model.parameters()
>>> y_hat.shape, dX.shape, [p.grad.shape for p in model.parameters()]
((8, 1), (8, 2), [(2, 8), (8,), (8, 1), (1,)])
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import activations
from . import init as initializers
from ._validation import (
    as_array,
    as_float_array,
    as_generator,
    check_bool,
    check_count,
    check_finite,
    check_ndim,
    check_number,
    check_option,
    check_positive,
    describe,
)
from .backend import asarray, device_generator, matmul, namespace, to_numpy, uniform


class Parameter:
    """A learnable array and the gradient of the loss with respect to it.

    Parameters
    ----------
    value : array of any shape
        Finite floating-point numbers (float32 or float64), of any backend; kept as it is
        (not copied), and updated in place by the optimizers.

    Attributes
    ----------
    value : array
    grad : array of value's shape and dtype
        Starts at zero and accumulates (+=) during backward passes until ``zero_grad()``.
    """

    def __init__(self, value):
        value = as_array(value, "value")
        if not namespace(value).isdtype(value.dtype, "real floating"):
            raise TypeError(f"value must be an array of floating-point numbers (float32 or float64), "
                            f"got dtype {value.dtype}")
        check_finite(value, "value")
        self.value = value
        self.grad = namespace(value).zeros_like(value)

    def zero_grad(self) -> None:
        """Set ``grad`` to zero, in place (no new array each step)."""
        self.grad[...] = 0.0

    @property
    def shape(self) -> tuple:
        """The value's shape."""
        return tuple(self.value.shape)

    @property
    def dtype(self):
        """The value's dtype."""
        return self.value.dtype

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class: ``forward(X)``, ``backward(dout, input_grad=True) -> dX``, parameters and train/eval mode.

    Subclasses with parameters override ``parameters()``; containers override
    ``children()`` so that parameters, ``train()`` and ``eval()`` reach their parts.
    Calling a module is its forward pass: ``model(X)``.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after ``eval()``.
    """

    training = True

    def forward(self, X):
        """The output for a batch X of shape (n, ...); caches what backward needs.

        Parameters
        ----------
        X : array of shape (n, d)

        Returns
        -------
        array
            The output, one row per sample.
        """
        raise NotImplementedError

    def backward(self, dout, input_grad=True):
        """Backpropagate dL/d(output) of the last forward pass; add to each parameter's grad.

        Parameters
        ----------
        dout : array of the last output's shape
            dL/d(output).
        input_grad : bool
            Whether dL/d(input) is needed (False for a first layer, whose input is data).

        Returns
        -------
        array of the last input's shape, or None
            dL/d(input); None when input_grad is False and the module skipped it.
        """
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
        """Set the gradient of every parameter to zero, in place."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True):
        """Training mode (Dropout drops), or evaluation mode with mode=False; returns self."""
        self.training = check_bool(mode, "mode")
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity); returns self."""
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def backward_pass(module, dout, input_grad: bool = True):
    """``module.backward(dout, input_grad)``, also for a module whose backward takes only `dout`.

    A module written as ``def backward(self, dout)`` (a student's own layer, say)
    is called without `input_grad`, and then computes dL/dX anyway.

    Parameters
    ----------
    module : Module
    dout : array
        dL/d(output), of the module's output shape.
    input_grad : bool
        Whether dL/d(input) is needed.

    Returns
    -------
    array or None
        dL/d(input), of the module's input shape (None when not needed and skipped).
    """
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

    Shapes: X (n, in_features) -> out (n, out_features); W (in_features, out_features);
    b (out_features,). X of another numeric dtype (integers, float64 data into a float32
    layer) is cast to W's dtype.

    Parameters
    ----------
    in_features, out_features : int
        Sizes >= 1.
    init : {"xavier", "he", "normal", "uniform"}
        How W is drawn, see `dlkit.init`; b starts at 0.
    bias : bool
        Whether the layer has b.
    rng : numpy.random.Generator, int or None
        Where the initial W comes from.
    dtype : {"float64", "float32"}

    Attributes
    ----------
    W : Parameter of shape (in_features, out_features)
    b : Parameter of shape (out_features,), or None without bias

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(3, 2, rng=0)
    >>> layer.W.shape, layer.b.shape, layer(np.ones((5, 3))).shape
    ((3, 2), (2,), (5, 2))
    """

    def __init__(self, in_features, out_features, init="xavier", bias=True, rng=None, dtype="float64"):
        self.in_features = _check_int(in_features, "in_features")
        self.out_features = _check_int(out_features, "out_features")
        draw = initializers.get(init)
        self.W = Parameter(draw((self.in_features, self.out_features), rng=rng, dtype=dtype))
        has_bias = check_bool(bias, "bias")
        self.b = Parameter(asarray(np.zeros(self.out_features), dtype=dtype)) if has_bias else None

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
        """Add X.T @ dout to W.grad and the column sums of dout to b.grad; return dout @ W.T.

        Parameters
        ----------
        dout : array of shape (n, out_features)
            dL/d(out) for the X of the last forward pass.
        input_grad : bool
            Whether to compute dL/dX (False skips that matrix product).

        Returns
        -------
        array of shape (n, in_features), or None
            dL/dX, or None when input_grad is False.
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
    """An elementwise activation a = f(z); backward is dout ⊙ f'(z) (f and f' from `dlkit.activations`).

    Shapes: z of any shape -> a of z's shape.

    Parameters
    ----------
    name : str
        A name of `dlkit.activations.ACTIVATIONS` (not "softmax": see `Softmax`).
    **options
        Keyword arguments of f and f', e.g. beta for "leaky_relu".
    """

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
    """a = z (the output layer of a regression network)."""

    def __init__(self):
        super().__init__("identity")


class Step(Activation):
    """Heaviside step (step(0) = 0); its derivative is 0 everywhere, so no gradient flows back."""

    def __init__(self):
        super().__init__("step")


class Sigmoid(Activation):
    """a = σ(z) = 1 / (1 + e^(−z))."""

    def __init__(self):
        super().__init__("sigmoid")


class Tanh(Activation):
    """a = tanh(z)."""

    def __init__(self):
        super().__init__("tanh")


class ReLU(Activation):
    """a = max(0, z)."""

    def __init__(self):
        super().__init__("relu")


class LeakyReLU(Activation):
    """a = z for z > 0, beta·z otherwise.

    Parameters
    ----------
    beta : float
        The slope for negative z, >= 0.
    """

    def __init__(self, beta=0.01):
        super().__init__("leaky_relu", beta=check_positive(beta, "beta", allow_zero=True))


class ELU(Activation):
    """a = z for z > 0, alpha·(e^z − 1) otherwise.

    Parameters
    ----------
    alpha : float
        >= 0; the output tends to −alpha for very negative z.
    """

    def __init__(self, alpha=1.0):
        super().__init__("elu", alpha=check_positive(alpha, "alpha", allow_zero=True))


class GELU(Activation):
    """a = z·Φ(z), Φ the standard normal CDF.

    Parameters
    ----------
    approximate : bool
        Use the tanh approximation of Φ.
    """

    def __init__(self, approximate=False):
        super().__init__("gelu", approximate=check_bool(approximate, "approximate"))


class Softmax(Module):
    """Softmax over the last axis; backward is the Jacobian-vector product (softmax_backward).

    Shapes: z (n, C) -> s (n, C), each row a probability vector. For training with
    cross-entropy prefer raw scores and `dlkit.losses.CrossEntropy`, which fuses the two.
    """

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

    Shapes: X of any shape -> X's shape.

    Parameters
    ----------
    p : float
        The probability of dropping an entry, in [0, 1).
    rng : numpy.random.Generator, int or None
        Where the masks come from.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=0)
    >>> drop(np.ones((2, 4)))                 # kept entries are scaled by 1 / (1 − p)
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> drop.eval()(np.ones((2, 4)))          # evaluation mode: the identity
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """

    def __init__(self, p=0.5, rng=None):
        self.p = check_number(p, "p", 0.0, 1.0, high_open=True)  # the probability of dropping an entry
        self.rng = as_generator(rng)
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
    """Modules applied one after the other; backward runs them in reverse order.

    Parameters
    ----------
    *modules : Module
        In forward order; indexing (``model[0]``) and ``len`` reach them.
    """

    def __init__(self, *modules):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"modules[{i}] must be a dlkit.nn.Module, got {describe(module)}")
        self.layers = list(modules)

    def children(self) -> list:
        return self.layers

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dout, input_grad=True):
        """Each layer's backward, last to first; only the first layer hears `input_grad`.

        Parameters
        ----------
        dout : array of the last output's shape
        input_grad : bool
            Whether dL/d(input) is needed.

        Returns
        -------
        array of the last input's shape, or None
        """
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        return backward_pass(self.layers[0], dout, input_grad) if self.layers else dout

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"{type(self).__name__}({inner}\n)"


class Residual(Module):
    """Skip connection: out = x + module(x). The gradient flows back along both paths and adds up.

    Shapes: x (n, d) -> out (n, d); the module must keep the shape.

    Parameters
    ----------
    module : Module
    """

    def __init__(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"module must be a dlkit.nn.Module, got {describe(module)}")
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
    Shapes: X (n, sizes[0]) -> out (n, sizes[-1]).

    Parameters
    ----------
    sizes : list of int
        [n_inputs, hidden..., n_outputs], at least two sizes, each >= 1.
    activation : str
        The hidden activation, a key of ``ACTIVATION_MODULES``.
    output_activation : str or None
        The output activation, or None for none (raw scores, e.g. for CrossEntropy).
    init : {"xavier", "he", "normal", "uniform"} or None
        None picks "he" for the ReLU family (relu, leaky_relu, elu, gelu) and "xavier" otherwise.
    rng : numpy.random.Generator, int or None
        One Generator draws every layer's weights (an int seeds it once).
    dtype : {"float64", "float32"}
    bias : bool
        Whether the Dense layers have biases.

    Examples
    --------
    >>> model = MLP([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", rng=0)
    >>> model
    MLP(
      Dense(2, 8, bias=True),
      Tanh(),
      Dense(8, 8, bias=True),
      Tanh(),
      Dense(8, 1, bias=True),
      Sigmoid(),
    )
    >>> sum(p.value.size for p in model.parameters())
    105
    """

    def __init__(self, sizes, activation="relu", output_activation=None, init=None, rng=None,
                 dtype="float64", bias=True):
        if not isinstance(sizes, (list, tuple)):
            raise TypeError(f"sizes must be a list of ints such as [2, 8, 1], got {describe(sizes)}")
        sizes = [_check_int(n, f"sizes[{i}]") for i, n in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output sizes, got {sizes}")
        check_option(activation, tuple(ACTIVATION_MODULES), "activation")
        if output_activation is not None:
            check_option(output_activation, tuple(ACTIVATION_MODULES), "output_activation")
        if init is None:
            init = "he" if activation in _RELU_FAMILY else "xavier"
        rng = as_generator(rng)  # once: an int seed must not give every layer the same draws
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Dense(n_in, n_out, init=init, bias=bias, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATION_MODULES[activation]())
        if output_activation is not None:
            layers.append(ACTIVATION_MODULES[output_activation]())
        super().__init__(*layers)
        self.sizes = sizes


def count_parameters(sizes) -> int:
    """The number of weights and biases of a dense network with layer widths `sizes`.

    The layer from d_{k−1} units to d_k units has a weight matrix of shape (d_{k−1}, d_k) and
    d_k biases, so the network [d_0, d_1, …, d_L] has Σ_k (d_{k−1} + 1)·d_k parameters:
    [3, 4, 1] → (3 + 1)·4 + (4 + 1)·1 = 21. It is the number of entries of
    ``MLP(sizes).parameters()``.

    Parameters
    ----------
    sizes : sequence of int >= 1, [n_inputs, hidden..., n_outputs] (at least two)

    Returns
    -------
    int
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a sequence of ints such as [2, 4, 1], got {type(sizes).__name__}")
    sizes = [_check_int(size, f"sizes[{i}]") for i, size in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output sizes, got {sizes}")
    return sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=False))


def mlp_forward(X, weights, biases=None, activation="relu", output_activation=None, return_hidden=False):
    """The forward pass of a dense network given as arrays: A_k = g(A_{k−1} @ W_k + b_k), A_0 = X.

    Every layer but the last applies `activation`; the last applies `output_activation`
    (None: the raw scores Z_L = A_{L−1} @ W_L + b_L). It computes what `MLP` computes, with the
    weights as plain arrays instead of modules.

    Parameters
    ----------
    X : array (n, d_0), one sample per row
    weights : sequence of L arrays, W_k of shape (d_{k−1}, d_k)
    biases : None (no biases) or a sequence of L arrays, b_k of shape (d_k,)
    activation, output_activation : a name from `dlkit.activations` ("relu"), a function of one
        array, or None (no activation)
    return_hidden : bool, also return the outputs of the hidden layers

    Returns
    -------
    out : array (n, d_L)
    hidden : list of the L − 1 arrays A_1 … A_{L−1}, A_k of shape (n, d_k); only with
        return_hidden=True, as ``(out, hidden)``
    """
    A = as_float_array(X, "X")
    check_ndim(A, 2, "X (one sample per row)")
    weights = _layer_arrays(weights, "weights")
    if not weights:
        raise ValueError("weights must hold at least one weight matrix")
    biases = [None] * len(weights) if biases is None else _layer_arrays(biases, "biases")
    if len(biases) != len(weights):
        raise ValueError(f"biases must hold one array per layer: {len(weights)} weight matrices, "
                         f"{len(biases)} biases")
    g, g_out = _activation_function(activation, "activation"), _activation_function(output_activation,
                                                                                     "output_activation")
    hidden = []
    for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
        check_ndim(W, 2, f"weights[{k}]")
        if W.shape[0] != A.shape[1]:
            raise ValueError(f"weights[{k}] has shape {tuple(W.shape)}: it needs {A.shape[1]} rows, one per "
                             f"unit of the layer before it (W_k has shape (d_(k-1), d_k))")
        Z = matmul(A, W)
        if b is not None:
            if tuple(b.shape) != (W.shape[1],):
                raise ValueError(f"biases[{k}] must have shape ({W.shape[1]},), one per unit, got "
                                 f"{tuple(b.shape)}")
            Z = Z + b
        last = k == len(weights) - 1
        A = (g_out if last else g)(Z)
        if not last:
            hidden.append(A)
    return (A, hidden) if return_hidden else A


def _layer_arrays(arrays, name: str) -> list:
    if isinstance(arrays, (str, bytes)) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{name} must be a list with one array per layer, got {type(arrays).__name__}")
    return [None if a is None else as_float_array(a, f"{name}[{k}]") for k, a in enumerate(arrays)]


def _activation_function(activation, name: str):
    """A function of one array for a name, a function, or None (the identity)."""
    if activation is None:
        return lambda Z: Z
    if isinstance(activation, str):
        check_option(activation, tuple(activations.ACTIVATIONS), name)
        return activations.ACTIVATIONS[activation][0]
    if not callable(activation):
        raise TypeError(f"{name} must be a name such as 'relu', a function or None, got "
                        f"{type(activation).__name__}")
    return activation


class Perceptron:
    """Rosenblatt's perceptron: ŷ = step(b + x @ w), trained one sample at a time.

    Parameters
    ----------
    n_features : int
        d, the length of each input x, >= 1.
    rng : numpy.random.Generator, int or None
        Where the order of the samples in each epoch of `fit` comes from.

    Attributes
    ----------
    w : array of shape (n_features,)
        Starts at 0.
    b : float
        Starts at 0.
    mistakes_ : list of int
        The number of misclassified samples in each epoch of `fit`.

    Examples
    --------
    >>> from dlkit import datasets
    >>> X, y = datasets.logic_gate("and")
    >>> perceptron = Perceptron(2, rng=0).fit(X, y, lr=1.0, epochs=10)
    >>> perceptron.predict(X), perceptron.mistakes_[-1]
    (array([0, 0, 0, 1]), 0)
    """

    def __init__(self, n_features, rng=None):
        self.n_features = _check_int(n_features, "n_features")
        self.rng = as_generator(rng)
        self.w = asarray(np.zeros(self.n_features))
        self.b = 0.0

    def fit(self, X, y, lr=1.0, epochs=10):
        """Rosenblatt's rule, each epoch over the samples in the order rng.permutation(n).

        For each sample x with label y in {0, 1}: ŷ = step(b + x @ w); when ŷ ≠ y,
        w ← w + lr (y − ŷ) x and b ← b + lr (y − ŷ). Every epoch runs (a later
        epoch with 0 mistakes changes nothing).

        Parameters
        ----------
        X : array of shape (n, n_features)
        y : array of shape (n,)
            Labels 0 or 1.
        lr : float
            The learning rate, > 0.
        epochs : int
            Passes over the data, >= 1.

        Returns
        -------
        Perceptron
            self, trained.
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
        """Labels step(b + X @ w).

        Parameters
        ----------
        X : array of shape (n, n_features)

        Returns
        -------
        int64 array of shape (n,)
            0 or 1 for each row.
        """
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
