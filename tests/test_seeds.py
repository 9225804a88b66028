"""One rule for every public ``rng=`` argument: a numpy Generator, an int seed or None.

An int seed s gives exactly the run that ``np.random.default_rng(s)`` gives, so a notebook can
write ``rng=0``; anything else (a float, the legacy RandomState, a string) is a TypeError that
names the argument, what was expected and what came; a negative seed is a ValueError.
"""

import inspect

import numpy as np
import pytest

import dlkit
from dlkit import backend, datasets, init, losses, nn, optim, train

X4, Y4 = datasets.logic_gate("and")


def _fit(rng):
    model = nn.MLP([2, 3, 1], rng=np.random.default_rng(1))
    train.fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.1), X4, Y4.astype(float), 3,
              batch_size=1, rng=rng)
    return model.parameters()[0].value


def _dropout(rng):
    return nn.Dropout(0.5, rng=rng)(np.ones((4, 5)))


def _perceptron(rng):
    perceptron = nn.Perceptron(2, rng=rng).fit(*datasets.pass_the_class(20, rng=0), lr=0.5, epochs=2)
    return np.append(perceptron.w, perceptron.b)


# Every public callable with an `rng` parameter, and a call of it whose result depends on the draws.
RNG_TAKERS = {
    "backend.device_generator": lambda rng: backend.uniform(backend.device_generator(rng, np.zeros(1)), (3,)),
    "init.normal": lambda rng: init.normal((3, 2), rng=rng),
    "init.uniform_fan_in": lambda rng: init.uniform_fan_in((3, 2), rng=rng),
    "init.xavier_normal": lambda rng: init.xavier_normal((3, 2), rng=rng),
    "init.xavier_uniform": lambda rng: init.xavier_uniform((3, 2), rng=rng),
    "init.he_normal": lambda rng: init.he_normal((3, 2), rng=rng),
    "init.he_uniform": lambda rng: init.he_uniform((3, 2), rng=rng),
    "nn.Dense": lambda rng: nn.Dense(3, 2, rng=rng).W.value,
    "nn.Dropout": _dropout,
    "nn.MLP": lambda rng: np.concatenate([p.value.ravel() for p in nn.MLP([2, 4, 1], rng=rng).parameters()]),
    "nn.Perceptron": _perceptron,
    "train.fit": _fit,
    "datasets.xor": lambda rng: datasets.xor(8, rng=rng)[0],
    "datasets.blobs": lambda rng: datasets.blobs(8, rng=rng)[0],
    "datasets.moons": lambda rng: datasets.moons(8, rng=rng)[0],
    "datasets.circles": lambda rng: datasets.circles(8, rng=rng)[0],
    "datasets.spirals": lambda rng: datasets.spirals(9, rng=rng)[0],
    "datasets.pass_the_class": lambda rng: datasets.pass_the_class(8, rng=rng)[0],
    "datasets.regression": lambda rng: datasets.regression(8, rng=rng)[0],
}
# grading.py belongs to the grading checks (and is edited by their owner): random_arrays takes a
# Generator only, which is all the notebooks' test cells pass it.
ELSEWHERE = {"grading.random_arrays"}


def _public_rng_takers():
    found = set()
    for module_name in dlkit.__all__:
        if module_name.startswith("__") or module_name == "plot":
            continue
        module = getattr(dlkit, module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            try:
                parameters = inspect.signature(obj).parameters if callable(obj) else {}
            except ValueError:  # an exception class, say: built in, no signature of its own
                continue
            if "rng" in parameters:
                found.add(f"{module_name}.{name}")
    return found


def test_the_table_lists_every_public_rng_argument():
    assert _public_rng_takers() == set(RNG_TAKERS) | ELSEWHERE


@pytest.mark.parametrize("name", RNG_TAKERS)
def test_an_int_seed_is_the_generator_it_seeds(name):
    draw = RNG_TAKERS[name]
    np.testing.assert_array_equal(draw(7), draw(np.random.default_rng(7)))
    np.testing.assert_array_equal(draw(np.int64(7)), draw(7))
    assert not np.array_equal(draw(7), draw(8))


@pytest.mark.parametrize("name", RNG_TAKERS)
def test_a_generator_is_used_as_it_is_and_none_is_fresh_entropy(name):
    draw = RNG_TAKERS[name]
    rng = np.random.default_rng(3)
    first, second = draw(rng), draw(rng)  # the same Generator moves on: two different draws
    assert not np.array_equal(first, second)
    assert np.asarray(draw(None)).shape == np.asarray(first).shape


@pytest.mark.parametrize("name", RNG_TAKERS)
@pytest.mark.parametrize(
    ("bad", "came"),
    [(0.5, "got float 0.5"), ("0", "got str '0'"), (np.random.RandomState(0), "got RandomState"),
     (True, "got bool True")],
    ids=["float", "str", "RandomState", "bool"],
)
def test_anything_else_is_a_type_error_naming_rng(name, bad, came):
    with pytest.raises(TypeError) as error:
        RNG_TAKERS[name](bad)
    assert "rng must be a numpy.random.Generator, an int seed or None" in str(error.value)
    assert came in str(error.value)


@pytest.mark.parametrize("name", RNG_TAKERS)
def test_a_negative_seed_is_a_value_error(name):
    with pytest.raises(ValueError, match=r"rng must be a seed >= 0 .*got -1"):
        RNG_TAKERS[name](-1)


def test_mlp_seeds_its_layers_from_one_generator():
    # An int seed must not be handed to every layer (that would give layers of one shape equal weights).
    model = nn.MLP([3, 3, 3, 3], rng=0)
    first, second, third = (layer.W.value for layer in model.layers if isinstance(layer, nn.Dense))
    assert not np.array_equal(first, second) and not np.array_equal(second, third)
