"""dlkit.init: spreads of each scheme against theory, dtypes, seeding and bad input."""

import math

import numpy as np
import pytest

from dlkit import init

SHAPE = (400, 600)  # 240 000 draws: the sample std is within ~0.3 % of the true one
FAN_IN, FAN_OUT = SHAPE


@pytest.mark.parametrize(
    ("draw", "std"),
    [
        (lambda shape, rng: init.normal(shape, 0.05, rng), 0.05),
        (init.xavier_normal, math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.xavier_uniform, math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (init.he_normal, math.sqrt(2 / FAN_IN)),
        (init.he_uniform, math.sqrt(2 / FAN_IN)),
        (init.uniform_fan_in, math.sqrt(1 / (3 * FAN_IN))),
    ],
)
def test_std_matches_theory(draw, std):
    W = draw(SHAPE, np.random.default_rng(0))
    assert W.shape == SHAPE
    assert W.dtype == np.float64
    assert abs(float(np.mean(W))) < 0.01 * std
    assert float(np.std(W)) == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize(
    ("draw", "bound"),
    [
        (init.uniform_fan_in, 1 / math.sqrt(FAN_IN)),
        (init.xavier_uniform, math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (init.he_uniform, math.sqrt(6 / FAN_IN)),
    ],
)
def test_uniform_draws_stay_inside_their_bounds_and_fill_them(draw, bound):
    W = draw(SHAPE, rng=np.random.default_rng(1))
    assert float(np.max(np.abs(W))) <= bound
    assert float(np.max(W)) > 0.99 * bound
    assert float(np.min(W)) < -0.99 * bound


def test_same_seed_same_weights_and_float32():
    a = init.he_normal((3, 4), np.random.default_rng(7), dtype="float32")
    b = init.he_normal((3, 4), np.random.default_rng(7), dtype=np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_registry_names():
    assert init.get("xavier") is init.xavier_uniform
    assert init.get("he") is init.he_normal
    assert init.get("uniform") is init.uniform_fan_in
    W = init.get("normal")((100, 100), rng=np.random.default_rng(2))
    assert float(np.std(W)) == pytest.approx(0.01, rel=0.05)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="'xavier', 'he', 'normal', 'uniform'"):
        init.get("glorot")


@pytest.mark.parametrize("shape", [(0, 3), (3, -1)])
def test_shapes_of_non_positive_sizes_are_a_value_error(shape):
    with pytest.raises(ValueError, match=r"shape must be a tuple of positive ints, got \("):
        init.xavier_normal(shape, np.random.default_rng(0))


@pytest.mark.parametrize(("shape", "came"),
                         [((2.5, 3), "float 2.5"), (("a", 3), "str 'a'"), ("ab", "str 'ab'"), (None, "None")])
def test_shapes_of_other_things_than_ints_are_a_type_error(shape, came):
    with pytest.raises(TypeError, match=f"shape must be a tuple of ints, got {came}"):
        init.xavier_normal(shape, np.random.default_rng(0))


def test_fan_based_schemes_need_a_two_dimensional_shape():
    with pytest.raises(ValueError, match=r"\(fan_in, fan_out\)"):
        init.he_normal((3, 4, 5), np.random.default_rng(0))


def test_bad_std_dtype_and_rng():
    with pytest.raises(ValueError, match="std"):
        init.normal((2, 2), -1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="dtype"):
        init.normal((2, 2), 1.0, np.random.default_rng(0), dtype="int64")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, an int seed or None"):
        init.he_normal((2, 2), rng=0.5)
