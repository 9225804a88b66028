"""dlkit.optim: closed-form steps, agreement with torch.optim, minimisation, dtypes, bad hyper-parameters."""

import math

import numpy as np
import pytest

from dlkit import optim
from dlkit.nn import MLP, Parameter

A = np.array([1.0, 25.0])  # f(w) = ½ Σ a_i w_i²: an ill-conditioned quadratic (condition number 25)


def quadratic(w):
    return 0.5 * float(np.sum(A * w * w)), A * w


def rosenbrock(w):
    x, y = w
    gradient = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, gradient


def minimise(optimizer_factory, f, w0, steps):
    p = Parameter(np.array(w0, dtype=np.float64))
    optimizer = optimizer_factory([p])
    for _ in range(steps):
        optimizer.zero_grad()
        p.grad += f(p.value)[1]
        optimizer.step()
    return p.value


def one_step(optimizer_factory, w0):
    """Parameter value after one step on the quadratic from w0, and the gradient at w0."""
    p = Parameter(np.array(w0, dtype=np.float64))
    g = A * p.value
    p.grad += g
    optimizer_factory([p]).step()
    return p.value, g


NO_TORCH = "torch is a benchmark-only dependency; the comparison with torch.optim needs it"
W0 = [-2.0, 0.5]
LR = 0.1


# --- one step against closed forms ---------------------------------------------------------------

def test_sgd_one_step_is_gradient_descent():
    w1, g = one_step(lambda ps: optim.SGD(ps, lr=LR), W0)
    np.testing.assert_allclose(w1, np.array(W0) - LR * g, rtol=1e-15)


def test_sgd_weight_decay_adds_lambda_w():
    w1, g = one_step(lambda ps: optim.SGD(ps, lr=LR, weight_decay=0.3), W0)
    np.testing.assert_allclose(w1, np.array(W0) - LR * (g + 0.3 * np.array(W0)), rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_three_steps_match_course_form(nesterov):
    # Course form from v = 0: v ← ξv + αg; then w ← w − v, or w ← w − (ξv + αg) with Nesterov.
    xi, p = 0.9, Parameter(np.array(W0))
    optimizer = optim.SGD([p], lr=LR, momentum=xi, nesterov=nesterov)
    w, v = np.array(W0), np.zeros(2)
    for _ in range(3):
        g = A * p.value
        optimizer.zero_grad()
        p.grad += g
        optimizer.step()
        v = xi * v + LR * g
        w = w - (xi * v + LR * g if nesterov else v)
    np.testing.assert_allclose(p.value, w, rtol=1e-14)


def test_nesterov_first_step_is_one_plus_mu_times_the_gradient_step():
    w1, g = one_step(lambda ps: optim.SGD(ps, lr=LR, momentum=0.9, nesterov=True), W0)
    np.testing.assert_allclose(w1, np.array(W0) - LR * 1.9 * g, rtol=1e-15)


def test_adagrad_one_step():
    w1, g = one_step(lambda ps: optim.AdaGrad(ps, lr=LR, eps=1e-10), W0)
    np.testing.assert_allclose(w1, np.array(W0) - LR * g / (np.abs(g) + 1e-10), rtol=1e-15)


def test_rmsprop_one_step():
    w1, g = one_step(lambda ps: optim.RMSProp(ps, lr=LR, alpha=0.9, eps=1e-8), W0)
    expected = np.array(W0) - LR * g / (np.sqrt(0.1 * g * g) + 1e-8)
    np.testing.assert_allclose(w1, expected, rtol=1e-14)


def test_adam_first_step_is_lr_times_sign_thanks_to_bias_correction():
    w1, g = one_step(lambda ps: optim.Adam(ps, lr=LR, eps=1e-8), W0)
    np.testing.assert_allclose(w1, np.array(W0) - LR * g / (np.abs(g) + 1e-8), rtol=1e-14)


def test_adam_zero_gradient_does_not_divide_by_zero():
    p = Parameter(np.array([1.0, 2.0]))
    optim.Adam([p], lr=LR).step()
    np.testing.assert_array_equal(p.value, [1.0, 2.0])


def test_adamw_decays_the_weights_before_the_adam_step():
    w1, g = one_step(lambda ps: optim.AdamW(ps, lr=LR, weight_decay=0.5, eps=1e-8), W0)
    expected = np.array(W0) * (1 - LR * 0.5) - LR * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(w1, expected, rtol=1e-14)


# --- 20 steps against torch.optim -----------------------------------------------------------------

CASES = [
    ("SGD", "SGD", dict(lr=0.05)),
    ("SGD", "SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("AdaGrad", "Adagrad", dict(lr=0.1, eps=1e-10, weight_decay=0.01)),
    ("RMSProp", "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.01)),
    ("Adam", "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8)),
    ("Adam", "Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", "AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.1)),
]


@pytest.mark.parametrize(("ours", "theirs", "hyper"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_twenty_steps_match_torch_optim(ours, theirs, hyper):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(0)
    # Two parameters (a matrix and a vector) so that per-parameter state is exercised;
    # loss ½‖M W − T‖² + ½‖b − c‖² with its gradient written out.
    M, T, c = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=2)
    W0, b0 = rng.normal(size=(3, 2)), rng.normal(size=2)

    def gradients(W, b):
        return M.T @ (M @ W - T), b - c

    params = [Parameter(W0.copy()), Parameter(b0.copy())]
    optimizer = getattr(optim, ours)(params, **hyper)
    tensors = [torch.tensor(W0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    reference = getattr(torch.optim, theirs)(tensors, **hyper)
    for _ in range(20):
        optimizer.zero_grad()
        for p, g in zip(params, gradients(params[0].value, params[1].value), strict=True):
            p.grad += g
        optimizer.step()
        values = [t.detach().numpy() for t in tensors]
        for t, g in zip(tensors, gradients(*values), strict=True):
            t.grad = torch.tensor(g)
        reference.step()
    for p, t in zip(params, tensors, strict=True):
        np.testing.assert_allclose(p.value, t.detach().numpy(), rtol=1e-10, atol=1e-12)


# --- minimisation ---------------------------------------------------------------------------------

OPTIMIZERS = {
    # name: (factory on the quadratic, steps), (factory on Rosenbrock, steps)
    "sgd": ((lambda ps: optim.SGD(ps, lr=0.07), 500), (lambda ps: optim.SGD(ps, lr=1.5e-3), 10000)),
    "momentum": ((lambda ps: optim.SGD(ps, lr=0.03, momentum=0.7), 500),
                 (lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9), 2000)),
    "nesterov": ((lambda ps: optim.SGD(ps, lr=0.03, momentum=0.7, nesterov=True), 500),
                 (lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True), 2000)),
    "adagrad": ((lambda ps: optim.AdaGrad(ps, lr=1.0), 500), (lambda ps: optim.AdaGrad(ps, lr=1.0), 10000)),
    "rmsprop": ((lambda ps: optim.RMSProp(ps, lr=1e-3), 5000),
                (lambda ps: optim.RMSProp(ps, lr=1e-3, alpha=0.9), 8000)),
    "adam": ((lambda ps: optim.Adam(ps, lr=0.1), 500), (lambda ps: optim.Adam(ps, lr=0.02), 3000)),
    "adamw": ((lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=1e-3), 500),
              (lambda ps: optim.AdamW(ps, lr=0.02, weight_decay=1e-3), 3000)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_minimises_ill_conditioned_quadratic(name):
    factory, steps = OPTIMIZERS[name][0]
    w = minimise(factory, quadratic, [-4.0, 1.0], steps)
    assert np.linalg.norm(w) < 5e-3, f"{name} ended at {w}, the minimum is (0, 0)"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_minimises_rosenbrock(name):
    factory, steps = OPTIMIZERS[name][1]
    w = minimise(factory, rosenbrock, [-1.5, 2.0], steps)
    assert np.linalg.norm(w - 1.0) < 0.05, f"{name} ended at {w}, the minimum is (1, 1)"


# --- dtypes, state, zero_grad ---------------------------------------------------------------------

ALL = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: optim.AdaGrad(ps, weight_decay=0.1),
    lambda ps: optim.RMSProp(ps, weight_decay=0.1),
    lambda ps: optim.Adam(ps, weight_decay=0.1),
    lambda ps: optim.AdamW(ps),
]


@pytest.mark.parametrize("factory", ALL, ids=["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_float32_stays_float32_and_updates_in_place(factory):
    rng = np.random.default_rng(1)
    p = Parameter(rng.normal(size=(4, 3)).astype(np.float32))
    value = p.value
    optimizer = factory([p])
    for _ in range(3):
        p.grad += rng.normal(size=(4, 3)).astype(np.float32)
        optimizer.step()
        optimizer.zero_grad()
    assert p.value is value, "the update must be in place"
    assert p.value.dtype == np.float32 and p.grad.dtype == np.float32
    assert not np.any(p.grad)


def test_zero_grad_zeroes_in_place():
    p = Parameter(np.ones(3))
    grad = p.grad
    p.grad += 5.0
    optim.SGD([p], lr=0.1).zero_grad()
    assert p.grad is grad and not np.any(p.grad)


# --- schedules ------------------------------------------------------------------------------------

def test_step_lr_decays_every_step_size_epochs():
    optimizer = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    schedule = optim.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = [schedule.step() for _ in range(5)]
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25]
    assert optimizer.lr == 0.25


def test_cosine_annealing_closed_form_and_floor():
    optimizer = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    schedule = optim.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.01)
    rates = [schedule.step() for _ in range(6)]
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 4)) / 2 for e in (1, 2, 3, 4)] + [0.01, 0.01]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)


def test_schedules_match_torch():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    for ours, theirs, kwargs in [("StepLR", "StepLR", dict(step_size=3, gamma=0.3)),
                                 ("CosineAnnealingLR", "CosineAnnealingLR", dict(T_max=7, eta_min=0.001))]:
        optimizer = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
        schedule = getattr(optim, ours)(optimizer, **kwargs)
        reference_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        reference = getattr(torch.optim.lr_scheduler, theirs)(reference_optimizer, **kwargs)
        for _ in range(7):
            reference_optimizer.step()
            reference.step()
            np.testing.assert_allclose(schedule.step(), reference.get_last_lr()[0], rtol=1e-12)


# --- state per parameter, state_dict / load_state_dict --------------------------------------------

STATE_NAMES = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), ()),
    "momentum": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), ("momentum_buffer",)),
    "adagrad": (lambda ps: optim.AdaGrad(ps), ("sum_sq",)),
    "rmsprop": (lambda ps: optim.RMSProp(ps), ("square_avg",)),
    "adam": (lambda ps: optim.Adam(ps), ("exp_avg", "exp_avg_sq")),
    "adamw": (lambda ps: optim.AdamW(ps), ("exp_avg", "exp_avg_sq")),
}


@pytest.mark.parametrize("name", STATE_NAMES)
def test_state_is_kept_per_parameter_under_torchs_names(name):
    make, names = STATE_NAMES[name]
    params = [Parameter(np.ones((3, 2), dtype=np.float32)), Parameter(np.ones(2, dtype=np.float32))]
    optimizer = make(params)
    assert list(optimizer.state) == params
    for p in params:
        assert tuple(optimizer.state[p]) == names
        for array in optimizer.state[p].values():
            assert array.shape == p.shape and array.dtype == np.float32 and not np.any(array)


def test_adam_state_holds_the_running_averages_of_the_gradient_and_its_square():
    p, g1, g2 = Parameter(np.zeros(2)), np.array([2.0, -4.0]), np.array([6.0, 8.0])
    optimizer = optim.Adam([p], betas=(0.5, 0.75))
    for g in (g1, g2):
        p.grad[...] = g
        optimizer.step()
    np.testing.assert_allclose(optimizer.state[p]["exp_avg"], 0.5 * (0.5 * g1) + 0.5 * g2, rtol=1e-15)
    expected_sq = 0.75 * (0.25 * g1**2) + 0.25 * g2**2
    np.testing.assert_allclose(optimizer.state[p]["exp_avg_sq"], expected_sq, rtol=1e-15)


RESUMABLE = {
    "momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adagrad": lambda ps: optim.AdaGrad(ps, lr=0.1, weight_decay=0.01),
    "rmsprop": lambda ps: optim.RMSProp(ps, lr=0.01, alpha=0.9),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
}


def _run(optimizer, params, steps, rng):
    """`steps` steps on ½‖M W − T‖² + ½‖b − c‖², gradients written out."""
    M, T, c = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=2)
    for _ in range(steps):
        optimizer.zero_grad()
        params[0].grad += M.T @ (M @ params[0].value - T)
        params[1].grad += params[1].value - c
        optimizer.step()


@pytest.mark.parametrize("name", RESUMABLE)
def test_save_after_k_steps_load_into_a_fresh_optimizer_and_continue_is_the_uninterrupted_run(name):
    make, k, more = RESUMABLE[name], 7, 9
    start = [np.random.default_rng(1).normal(size=(3, 2)), np.random.default_rng(2).normal(size=2)]

    params = [Parameter(a.copy()) for a in start]  # the uninterrupted run: k + more steps
    optimizer = make(params)
    _run(optimizer, params, k, np.random.default_rng(0))
    saved, saved_values = optimizer.state_dict(), [p.value.copy() for p in params]
    _run(optimizer, params, more, np.random.default_rng(0))

    resumed = [Parameter(v.copy()) for v in saved_values]  # a new process: weights and optimizer state loaded
    fresh = make(resumed)
    fresh.load_state_dict(saved)
    assert fresh.t == k
    _run(fresh, resumed, more, np.random.default_rng(0))
    for p, q in zip(params, resumed, strict=True):
        np.testing.assert_array_equal(q.value, p.value)


def test_a_state_dict_is_a_snapshot_and_loading_copies():
    p = Parameter(np.ones(2))
    optimizer = optim.Adam([p])
    p.grad[...] = 1.0
    optimizer.step()
    saved = optimizer.state_dict()
    assert saved["step"] == 1
    assert saved["hyperparameters"] == {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    before = saved["state"][0]["exp_avg"].copy()
    optimizer.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)  # later steps leave it alone
    other = optim.Adam([Parameter(np.ones(2))])
    other.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 99.0
    assert not np.any(other.state[other.params[0]]["exp_avg"] == 99.0)


def test_load_state_dict_restores_a_scheduled_learning_rate_and_float32_state():
    p = Parameter(np.ones(2, dtype=np.float32))
    optimizer = optim.SGD([p], lr=1.0, momentum=0.5)
    schedule = optim.StepLR(optimizer, step_size=1, gamma=0.5)
    p.grad[...] = 1.0
    optimizer.step()
    schedule.step()
    fresh = optim.SGD([Parameter(np.ones(2, dtype=np.float32))], lr=1.0, momentum=0.5)
    fresh_schedule = optim.StepLR(fresh, step_size=1, gamma=0.5)
    fresh.load_state_dict(optimizer.state_dict())
    fresh_schedule.load_state_dict(schedule.state_dict())
    assert fresh.lr == 0.5 and fresh_schedule.step() == schedule.step() == 0.25
    assert fresh.state[fresh.params[0]]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(
    ("state_dict", "error", "message"),
    [
        ([1, 2], TypeError, "state_dict must be a dict made by Optimizer.state_dict(), got list"),
        ({"step": 1}, ValueError, "state_dict must have the keys 'step', 'hyperparameters' and 'state'"),
        (optim.SGD([Parameter(np.zeros(2))], lr=0.1).state_dict(), ValueError,
         "state_dict is for another optimizer"),
        (optim.Adam([Parameter(np.zeros(2)), Parameter(np.zeros(2))]).state_dict(), ValueError,
         "holds the state of 2 parameters, this optimizer has 1"),
        (optim.Adam([Parameter(np.zeros(3))]).state_dict(), ValueError,
         "state_dict['state'][0]['exp_avg'] has shape (3,), its parameter has shape (2,)"),
    ],
    ids=["not-a-dict", "missing-keys", "other-optimizer", "other-count", "other-shape"],
)
def test_load_state_dict_refuses_a_state_it_cannot_continue_from(state_dict, error, message):
    optimizer = optim.Adam([Parameter(np.zeros(2))])
    with pytest.raises(error) as raised:
        optimizer.load_state_dict(state_dict)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("make", "old", "new"),
    [(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "b", "momentum_buffer"),
     (lambda ps: optim.AdaGrad(ps), "r", "sum_sq"),
     (lambda ps: optim.RMSProp(ps), "v", "square_avg"),
     (lambda ps: optim.Adam(ps), "m", "exp_avg"),
     (lambda ps: optim.Adam(ps), "v", "exp_avg_sq")],
)
def test_old_state_names_still_work_with_a_deprecation_warning(make, old, new):
    p = Parameter(np.ones(2))
    optimizer = make([p])
    p.grad[...] = 1.0
    optimizer.step()
    with pytest.warns(DeprecationWarning, match=f"use optimizer.state\\[p\\]\\['{new}'\\]"):
        buffers = getattr(optimizer, old)
    assert len(buffers) == 1 and buffers[0] is optimizer.state[p][new]


def test_adamw_shares_adams_step_loop_and_differs_only_in_the_decay():
    assert "step" not in vars(optim.AdamW) and "_update" not in vars(optim.AdamW)
    # With λ = 0 the two are the same optimizer.
    runs = []
    for make in (lambda ps: optim.Adam(ps, lr=0.01), lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.0)):
        params = [Parameter(np.ones((3, 2))), Parameter(np.ones(2))]
        _run(make(params), params, 5, np.random.default_rng(0))
        runs.append([p.value for p in params])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_parameter_listed_twice_is_refused():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=r"params\[1\] is params\[0\]"):
        optim.SGD([p, p], lr=0.1)


# --- bad hyper-parameters -------------------------------------------------------------------------

def sgd(params):
    return optim.SGD(params, lr=0.1)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), ValueError, "lr must be >= 0, got -0.1"),
        (lambda ps: optim.SGD(ps, lr="fast"), TypeError, "lr must be a number, got str 'fast'"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), ValueError, "momentum must be >= 0, got -0.5"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=1), TypeError,
         "nesterov must be True or False, got int 1"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1.0), ValueError, "weight_decay must be >= 0"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), ValueError, "betas[0] must be in [0, 1), got 1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), ValueError, "betas[1] must be in [0, 1), got -0.1"),
        (lambda ps: optim.Adam(ps, betas=0.9), TypeError, "betas must be a pair (beta1, beta2), got float"),
        (lambda ps: optim.Adam(ps, betas=(0.9, 0.99, 0.9)), ValueError, "betas must be a pair, got 3 values"),
        (lambda ps: optim.Adam(ps, eps=0.0), ValueError, "eps must be > 0, got 0.0"),
        (lambda ps: optim.AdaGrad(ps, eps=-1e-10), ValueError, "eps must be > 0"),
        (lambda ps: optim.RMSProp(ps, alpha=1.0), ValueError, "alpha must be in [0, 1), got 1.0"),
        (lambda ps: optim.AdamW(ps, lr=float("nan")), ValueError, "lr must be >= 0, got nan"),
        (lambda ps: optim.StepLR(sgd(ps), step_size=0), ValueError, "step_size must be an int >= 1, got 0"),
        (lambda ps: optim.StepLR(sgd(ps), step_size=2.5), TypeError, "step_size must be an int, got float"),
        (lambda ps: optim.StepLR(sgd(ps), 2, gamma=2.0), ValueError, "gamma must be in [0, 1], got 2.0"),
        (lambda ps: optim.CosineAnnealingLR(sgd(ps), T_max=0), ValueError, "T_max must be an int >= 1"),
        (lambda ps: optim.CosineAnnealingLR(sgd(ps), T_max=3.0), TypeError, "T_max must be an int, got f"),
    ],
)
def test_bad_hyper_parameters_raise(make, error, message):
    with pytest.raises(error) as raised:
        make([Parameter(np.zeros(2))])
    assert message in str(raised.value)


def test_bad_params_raise():
    with pytest.raises(ValueError, match="params is empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] must have .value and .grad"):
        optim.Adam([np.zeros(3)])
    with pytest.raises(TypeError, match=r"params must be an iterable of Parameters such as model.parameters"):
        optim.Adam(MLP([2, 1], rng=0))
    with pytest.raises(TypeError, match="optimizer must be a dlkit.optim.Optimizer"):
        optim.StepLR("sgd", step_size=1)
