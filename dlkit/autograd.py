"""A tiny reverse-mode automatic differentiation engine for scalars.

Each `Value` remembers the values it was computed from and how to pass a
gradient back to them. Every operation below computes its result and, right
beside it, its local backward rule: given out.grad = dL/d(out), add
dL/d(input) = dL/d(out) · d(out)/d(input) to each input's grad. `backward()`
orders the graph so that each node is handled after everything that uses it,
then applies the rules from the output back to the leaves.

Gradients accumulate (+=): a value used in several places (a shared weight)
receives the sum of the gradients along all its paths, which is the
multivariable chain rule.

Examples
--------
The course's graph: ŷ = wx + b, L = (ŷ − y)², at w = 2, b = 1, (x, y) = (3, 9).

>>> w, b = Value(2.0), Value(1.0)
>>> x, y = 3.0, 9.0
>>> L = (w * x + b - y) ** 2     # ŷ = 7, L = 4
>>> L.backward()
>>> L.data, w.grad, b.grad       # dL/dw = 2(ŷ − y)·x, dL/db = 2(ŷ − y)
(4.0, -12.0, -4.0)
"""

from __future__ import annotations

import math
import numbers

from ._validation import describe


class Value:
    """A scalar in a computational graph, with its gradient ``grad`` = dL/d(this value).

    Operations: + − * / with numbers or Values, ``** k`` with a constant k, and the
    methods exp, log, sigmoid, tanh and relu, each returning a new Value.

    Parameters
    ----------
    data : float
        A finite real number.

    Attributes
    ----------
    data : float
    grad : float
        Starts at 0 and accumulates over calls to ``backward()``, as in PyTorch.
    """

    def __init__(self, data, _children=(), _op=""):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"data must be a real number, got {describe(data)}")
        if not math.isfinite(data):
            raise ValueError(f"data must be a finite number, got {data}")
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # a leaf has nothing to pass back
        self._prev = _children
        self._op = _op

    # --- primitives, each with its backward rule ------------------------------------------------

    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"exponent must be a number (Value ** k takes a constant k), "
                            f"got {describe(exponent)}")
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def _backward():  # d(a^k)/da = k a^(k-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        """e^a, a new Value."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d(e^a)/da = e^a
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        """ln a, a new Value (a > 0)."""
        if self.data <= 0:
            raise ValueError(f"log needs a positive value, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():  # d(ln a)/da = 1/a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sigmoid(self):
        """σ(a) = 1 / (1 + e^(−a)), a new Value."""
        # Two forms of 1 / (1 + e^-a), so that exp never overflows.
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            s = math.exp(self.data) / (1.0 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():  # σ'(a) = σ(a)(1 − σ(a))
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        """tanh(a), a new Value."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # tanh'(a) = 1 − tanh²(a)
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        """max(a, 0), a new Value."""
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():  # relu'(a) = 1 if a > 0 else 0
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # --- derived operations: built from the primitives, so they need no rule of their own -----

    def __neg__(self):  # -a = a · (−1)
        return self * -1.0

    def __sub__(self, other):  # a − b = a + (−b)
        return self + (-_as_value(other))

    def __truediv__(self, other):  # a / b = a · b^(−1)
        return self * _as_value(other) ** -1

    def __radd__(self, other):  # other + self
        return self + other

    def __rmul__(self, other):  # other · self
        return self * other

    def __rsub__(self, other):  # other − self
        return _as_value(other) - self

    def __rtruediv__(self, other):  # other / self
        return _as_value(other) / self

    # --- reverse-mode pass --------------------------------------------------------------------

    def backward(self):
        """Fill ``grad`` = d(self)/d(node) for every node of the graph that produced self.

        self.grad is set to 1; every other node's grad grows by d(self)/d(node).
        """
        # Topological order (each node after its inputs) by depth-first search, written with an
        # explicit stack so that long chains do not hit Python's recursion limit.
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0  # dL/dL
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)
