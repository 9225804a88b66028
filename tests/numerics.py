"""Helpers shared by the numerical tests."""

import warnings
from contextlib import contextmanager

import numpy as np


@contextmanager
def no_floating_point_trouble():
    """Fail on overflow, division by zero, invalid operations and any warning (underflow to 0 is fine)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield
