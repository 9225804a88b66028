"""dlkit: the small, readable reference library of the deep-learning fundamentals course.

One concept per module: ``dlkit.activations``, ``dlkit.losses``, ``dlkit.nn``,
``dlkit.optim``, ``dlkit.train`` and so on (import the one you need). NumPy on
the CPU by default; see ``dlkit.backend`` for CuPy and PyTorch.
"""

__version__ = "0.1.0"
