"""dlkit.train: fit against a hand-written loop, updates per epoch, History, EarlyStopping, penalties."""

import math

import numpy as np
import pytest

from dlkit import losses, optim
from dlkit.nn import MLP, Dense
from dlkit.train import Callback, EarlyStopping, History, fit

X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([0, 1, 1, 0])


def regression_data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=n)


def linear(seed=0, **kwargs):
    return Dense(3, 1, rng=np.random.default_rng(seed), **kwargs)


# --- the loop itself ------------------------------------------------------------------------------

XOR_OPTIMIZERS = {
    "sgd": (lambda ps: optim.SGD(ps, lr=1.0), 600),
    "momentum": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 300),
    "nesterov": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), 300),
    "adagrad": (lambda ps: optim.AdaGrad(ps, lr=0.3), 300),
    "rmsprop": (lambda ps: optim.RMSProp(ps, lr=0.01), 300),
    "adam": (lambda ps: optim.Adam(ps, lr=0.05), 300),
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.05), 300),
}


@pytest.mark.parametrize("name", XOR_OPTIMIZERS)
def test_fit_solves_xor_with_every_optimizer(name):
    make, epochs = XOR_OPTIMIZERS[name]
    rng = np.random.default_rng(0)
    model = MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=rng)
    history = fit(model, losses.BinaryCrossEntropy(), make(model.parameters()), X_XOR, Y_XOR, epochs, rng=rng)
    predictions = (model(X_XOR)[:, 0] > 0.5).astype(int)
    np.testing.assert_array_equal(predictions, Y_XOR, err_msg=f"{name}: final loss {history.loss[-1]:.3g}")
    assert history.loss[-1] < 0.1


@pytest.mark.parametrize(("batch_size", "per_epoch"), [(None, 1), (1, 10), (3, 4), (5, 2), (10, 1)])
def test_updates_per_epoch(batch_size, per_epoch):
    X, y = regression_data(n=10)
    model = linear()
    history = fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.01), X, y, epochs=3,
                  batch_size=batch_size, rng=np.random.default_rng(0))
    assert history.updates == 3 * per_epoch == 3 * math.ceil(10 / (batch_size or 10))


def test_minibatch_loop_matches_a_hand_written_one():
    # Batches of 3 from rng.permutation(10) each epoch, the last one holding a single sample.
    X, y = regression_data(n=10)
    lr, epochs, b = 0.05, 3, 3
    model = linear()
    history = fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=lr), X, y, epochs,
                  batch_size=b, rng=np.random.default_rng(42))
    W, bias = linear().W.value.copy(), linear().b.value.copy()
    rng, epoch_losses = np.random.default_rng(42), []
    for _ in range(epochs):
        order, total = rng.permutation(10), 0.0
        for start in range(0, 10, b):
            index = order[start:start + b]
            error = X[index] @ W + bias - y[index, None]  # (m, 1)
            total += float(np.mean(error**2)) * len(index)
            grad_out = 2.0 * error / len(index)
            W, bias = W - lr * X[index].T @ grad_out, bias - lr * grad_out.sum(axis=0)
        epoch_losses.append(total / 10)
    np.testing.assert_allclose(model.W.value, W, rtol=1e-12)
    np.testing.assert_allclose(model.b.value, bias, rtol=1e-12)
    np.testing.assert_allclose(history.loss, epoch_losses, rtol=1e-12)


def test_epoch_loss_weights_the_last_partial_batch():
    # With lr = 0 nothing moves, so the mean of the batch losses weighted by their sizes is the full loss.
    X, y = regression_data(n=10)
    model = linear()
    history = fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.0), X, y, 2, batch_size=4,
                  rng=np.random.default_rng(0))
    full = float(np.mean((model(X)[:, 0] - y) ** 2))
    np.testing.assert_allclose(history.loss, [full, full], rtol=1e-12)


def test_same_seed_same_run_and_no_shuffle_is_in_order():
    X, y = regression_data(n=12)
    runs = []
    for shuffle, seed in [(True, 3), (True, 3), (True, 4), (False, 3), (False, 4)]:
        model = linear()
        fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.05), X, y, 2, batch_size=2,
            shuffle=shuffle, rng=np.random.default_rng(seed))
        runs.append(model.W.value.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    np.testing.assert_array_equal(runs[3], runs[4])


# --- History --------------------------------------------------------------------------------------

def test_history_fields():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = MLP([2, 6, 6, 2], rng=rng)
    optimizer = optim.SGD(model.parameters(), lr=0.2)
    schedule = optim.StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(model, losses.CrossEntropy(), optimizer, X, y, 5, batch_size=8, rng=rng,
                  validation_data=(X[:10], y[:10]), metrics=["accuracy", "f1"], scheduler=schedule)
    assert isinstance(history, History)
    assert history.epochs == 5 and history.updates == 5 * 4 and not history.stopped_early
    assert len(history.loss) == len(history.val_loss) == 5
    assert all(isinstance(v, float) for v in history.loss + history.val_loss)
    assert set(history.metrics) == set(history.val_metrics) == {"accuracy", "f1"}
    assert all(len(v) == 5 and all(0.0 <= a <= 1.0 for a in v) for v in history.metrics.values())
    assert list(history.grad_norms) == ["dense1", "dense2", "dense3"]
    assert all(len(v) == 5 and all(g > 0 for g in v) for v in history.grad_norms.values())
    assert history.lr == [0.2, 0.2, 0.1, 0.1, 0.05]
    # Metrics are computed in evaluation mode on the whole set, after the epoch.
    predicted = np.argmax(model(X[:10]), axis=1)
    assert history.val_metrics["accuracy"][-1] == pytest.approx(np.mean(predicted == y[:10]))


def test_grad_norms_are_the_norms_of_each_layer_gradient():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    model = MLP([3, 4, 1], activation="tanh", rng=rng)
    history = fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.0), X, y, 1)
    loss = losses.MSE()
    loss.forward(y, model(X))
    model.zero_grad()
    model.backward(loss.backward())
    for name, layer in zip(["dense1", "dense2"], [model[0], model[2]], strict=True):
        expected = math.sqrt(np.sum(layer.W.grad**2) + np.sum(layer.b.grad**2))
        assert history.grad_norms[name] == [pytest.approx(expected, rel=1e-12)]


def test_metric_functions_and_logit_threshold():
    X = np.array([[-2.0], [-1.0], [1.0], [3.0]])
    y = np.array([0, 1, 1, 1])
    model = Dense(1, 1, rng=np.random.default_rng(0))
    model.W.value[...] = 1.0
    seen = []

    def first_output(y_true, output):
        seen.append(output.shape)
        return float(output[0, 0])

    history = fit(model, losses.BinaryCrossEntropy(from_logits=True), optim.SGD(model.parameters(), lr=0.0),
                  X, y, 1, metrics=["accuracy", first_output])
    assert history.metrics["accuracy"] == [0.75]  # logits thresholded at 0, not 0.5
    assert history.metrics["first_output"] == [-2.0] and seen == [(4, 1)]


# --- callbacks ------------------------------------------------------------------------------------

def test_early_stopping_step_by_hand():
    stopper = EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    flags = [stopper.step(v) for v in [1.0, 0.8, 0.75, 0.72, 0.5]]
    assert flags == [False, False, False, True, False]
    assert stopper.best == 0.5 and stopper.best_epoch == 4 and stopper.stopped_epoch == 3


def test_early_stopping_stops_and_restores_the_best_weights():
    # Validation labels are the opposite of the training labels: the better the fit, the worse val_loss.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(float)
    model = MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", rng=rng)
    stopper = EarlyStopping(patience=3)
    loss = losses.BinaryCrossEntropy()
    history = fit(model, loss, optim.Adam(model.parameters(), lr=0.05), X, y, 100, rng=rng,
                  validation_data=(X, 1.0 - y), callbacks=[stopper])
    assert history.stopped_early and history.epochs == stopper.stopped_epoch + 1 < 100
    assert stopper.stopped_epoch == stopper.best_epoch + 3
    assert history.val_loss[stopper.best_epoch] == min(history.val_loss)
    assert loss.forward(1.0 - y, model(X)) == pytest.approx(min(history.val_loss), rel=1e-12)


def test_early_stopping_monitors_training_loss_without_validation_data():
    X, y = regression_data()
    model = linear()
    stopper = EarlyStopping(patience=1, min_delta=1e9)  # nothing counts as an improvement after epoch 0
    history = fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.01), X, y, 10, callbacks=[stopper])
    assert history.epochs == 2 and history.stopped_early and stopper.best == history.loss[0]


def test_custom_callback_sees_every_epoch():
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, model):
            self.events.append("begin")

        def on_epoch_end(self, epoch, history, model):
            self.events.append(epoch)
            return False

        def on_train_end(self, model):
            self.events.append("end")

    X, y = regression_data()
    recorder = Recorder()
    model = linear()
    fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.01), X, y, 3, callbacks=[recorder])
    assert recorder.events == ["begin", 0, 1, 2, "end"]


# --- penalties, clipping, dtypes ------------------------------------------------------------------

def one_full_batch_step(**kwargs):
    X, y = regression_data()
    model = linear()
    fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.1), X, y, 1, **kwargs)
    return model


def test_l2_penalises_weights_only():
    plain, penalised, W0 = one_full_batch_step(), one_full_batch_step(l2=0.5), linear().W.value
    np.testing.assert_allclose(penalised.W.value, plain.W.value - 0.1 * 0.5 * W0, rtol=1e-12)
    np.testing.assert_array_equal(penalised.b.value, plain.b.value)


def test_l1_adds_the_sign_of_the_weights():
    plain, penalised, W0 = one_full_batch_step(), one_full_batch_step(l1=0.5), linear().W.value
    np.testing.assert_allclose(penalised.W.value, plain.W.value - 0.1 * 0.5 * np.sign(W0), rtol=1e-12)
    np.testing.assert_array_equal(penalised.b.value, plain.b.value)


def test_l2_in_fit_equals_sgd_weight_decay_on_a_model_without_biases():
    X, y = regression_data()
    models = [linear(bias=False), linear(bias=False)]
    fit(models[0], losses.MSE(), optim.SGD(models[0].parameters(), lr=0.05), X, y, 5, l2=0.3)
    fit(models[1], losses.MSE(), optim.SGD(models[1].parameters(), lr=0.05, weight_decay=0.3), X, y, 5)
    np.testing.assert_allclose(models[0].W.value, models[1].W.value, rtol=1e-12)


def test_clip_norm_limits_the_step():
    plain, clipped = one_full_batch_step(), one_full_batch_step(clip_norm=0.01)
    W0, b0 = linear().W, linear().b
    step_plain = np.concatenate([(W0.value - plain.W.value).ravel(), b0.value - plain.b.value])
    step_clipped = np.concatenate([(W0.value - clipped.W.value).ravel(), b0.value - clipped.b.value])
    assert np.linalg.norm(step_clipped) == pytest.approx(0.1 * 0.01, rel=1e-10)
    np.testing.assert_allclose(step_clipped, step_plain * 0.001 / np.linalg.norm(step_plain), rtol=1e-10)


def test_float32_model_trains_in_float32_from_float64_data():
    X, y = regression_data()
    model = linear(dtype="float32")
    history = fit(model, losses.MSE(), optim.Adam(model.parameters(), lr=0.01), X, y, 3, batch_size=4,
                  rng=np.random.default_rng(0))
    assert model.W.value.dtype == np.float32 and model.b.value.dtype == np.float32
    assert model.W.grad.dtype == np.float32 and history.loss[-1] < history.loss[0]


BACKEND_OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.AdaGrad(ps, weight_decay=0.1),
    lambda ps: optim.RMSProp(ps),
    lambda ps: optim.Adam(ps, weight_decay=0.1),
    lambda ps: optim.AdamW(ps),
]


def train_on(backend, make_optimizer):
    from dlkit.backend import to_numpy, use_backend

    with use_backend(backend):
        rng = np.random.default_rng(0)
        model = MLP([2, 8, 2], activation="tanh", rng=rng)
        history = fit(model, losses.CrossEntropy(), make_optimizer(model.parameters()), X_XOR, Y_XOR, 10,
                      batch_size=3, rng=rng, metrics=["accuracy"], validation_data=(X_XOR, Y_XOR),
                      callbacks=[EarlyStopping(3)], l1=0.01, l2=0.01, clip_norm=1.0)
        return history, [to_numpy(p.value) for p in model.parameters()], model.parameters()[0].value


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_fit_on_other_backends_matches_numpy(backend):
    pytest.importorskip(backend, reason=f"{backend} is optional; its backend case needs it")
    for make_optimizer in BACKEND_OPTIMIZERS:
        h_np, w_np, _ = train_on("numpy", make_optimizer)
        h_other, w_other, value = train_on(backend, make_optimizer)
        assert type(value).__module__.startswith(backend)
        np.testing.assert_allclose(h_other.loss, h_np.loss, rtol=1e-10)
        np.testing.assert_allclose(h_other.val_loss, h_np.val_loss, rtol=1e-10)
        assert h_other.metrics == h_np.metrics and h_other.updates == h_np.updates
        for a, b in zip(w_other, w_np, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# --- progress bar ---------------------------------------------------------------------------------

def test_progress_bar_only_when_asked_or_interactive(capsys):
    X, y = regression_data()
    for progress in (False, None):
        model = linear()
        fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.01), X, y, 2, progress=progress)
        captured = capsys.readouterr()
        assert captured.out == captured.err == "", f"progress={progress} must be silent here"
    model = linear()
    fit(model, losses.MSE(), optim.SGD(model.parameters(), lr=0.01), X, y, 2, progress=True)
    assert "2/2" in capsys.readouterr().err


# --- bad arguments --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(epochs=0), ValueError, "epochs must be an int >= 1, got 0"),
        (dict(epochs=2.5), TypeError, "epochs must be an int, got float 2.5"),
        (dict(shuffle="yes"), TypeError, "shuffle must be True or False, got str 'yes'"),
        (dict(progress=1), TypeError, "progress must be True or False, got int 1"),
        (dict(metrics="accuracy"), TypeError, "metrics must be a list of names or functions"),
        (dict(callbacks=EarlyStopping(3)), TypeError, r"callbacks must be a list .*got EarlyStopping"),
        (dict(loss=losses.mse), TypeError, "loss must be a loss object such as dlkit.losses.MSE"),
        (dict(loss=losses.MSE), TypeError, "got the class MSE itself"),
        (dict(optimizer="adam"), TypeError, r"optimizer must be a dlkit.optim optimizer .*, got str"),
        (dict(scheduler=0.5), TypeError, "scheduler must be a schedule"),
        (dict(batch_size=0), ValueError, "batch_size must be between 1 and the number of samples 10, got 0"),
        (dict(batch_size=11), ValueError, "between 1 and the number of samples 10, got 11"),
        (dict(batch_size=2.5), TypeError, "batch_size must be None"),
        (dict(y=np.zeros(9)), ValueError, "X and y must have the same number of samples, got 10 and 9"),
        (dict(X=np.zeros(10)), ValueError, "X must be 2-D"),
        (dict(X=np.full((10, 3), np.nan)), ValueError, "X must be finite"),
        (dict(rng=4.2), TypeError, "rng must be a numpy.random.Generator, an int seed or None"),
        (dict(metrics=["accurcy"]), ValueError, "unknown metric 'accurcy'"),
        (dict(callbacks=[print]), TypeError, "callbacks must be dlkit.train.Callback"),
        (dict(validation_data=np.zeros((3, 3))), TypeError, "validation_data must be a pair .* got ndarray"),
        (dict(validation_data=(X_XOR, Y_XOR, Y_XOR)), ValueError, "must be a pair .* got 3 items"),
        (dict(validation_data=(np.zeros((3, 3)), np.zeros(2))), ValueError, "X_val and y_val must have"),
        (dict(l2=-1.0), ValueError, "l2 must be >= 0"),
        (dict(clip_norm=0.0), ValueError, "clip_norm must be > 0"),
        (dict(model=object()), TypeError, "model must be a dlkit.nn.Module"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    X, y = regression_data()
    model = kwargs.pop("model", None) or linear()
    arguments = dict(model=model, loss=losses.MSE(), optimizer=optim.SGD(linear().parameters(), lr=0.1),
                     X=X, y=y, epochs=1)
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        fit(**arguments)


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError, match="patience must be an int >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="patience must be an int, got float 2.5"):
        EarlyStopping(patience=2.5)
    with pytest.raises(TypeError, match="restore_best must be True or False"):
        EarlyStopping(restore_best="yes")
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        EarlyStopping(patience=2, min_delta=-0.1)


# --- the per-batch fast path: targets checked once, no input gradient ------------------------------


def test_fit_checks_every_target_before_the_first_step():
    model = MLP([2, 4, 3], rng=np.random.default_rng(0))
    before = [np.array(p.value, copy=True) for p in model.parameters()]
    y = np.array([0, 1, 2, 3])  # the last label is out of range for 3 classes
    with pytest.raises(ValueError, match=r"class labels must be in 0 … 2"):
        fit(model, losses.CrossEntropy(), optim.SGD(model.parameters(), lr=0.1), X_XOR, y, epochs=1,
            batch_size=1, shuffle=False)
    for p, value in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.value, value)


def test_fit_checks_the_first_batch_of_predictions():
    model = MLP([2, 4, 1], rng=np.random.default_rng(0))  # no sigmoid: outputs are not probabilities
    with pytest.raises(ValueError, match="probabilities in"):
        fit(model, losses.BinaryCrossEntropy(), optim.SGD(model.parameters(), lr=0.1), X_XOR * 50.0,
            Y_XOR, epochs=1, batch_size=2)


class FunctionLoss:
    """A loss object that is not a dlkit.losses.Loss: fit calls its forward on every batch."""

    def __init__(self):
        self.calls = 0

    def forward(self, y_true, y_pred):
        self.calls += 1
        self.inputs = (y_true, y_pred)
        return float(losses.cross_entropy(y_true, y_pred))

    def backward(self):
        return losses.cross_entropy_grad(*self.inputs)


class RecordingDense(Dense):
    def backward(self, dout, input_grad=True):
        self.input_grads = getattr(self, "input_grads", []) + [input_grad]
        return super().backward(dout, input_grad=input_grad)


def test_other_loss_objects_and_skipped_input_gradient_give_the_same_run():
    runs = []
    for loss in (losses.CrossEntropy(), FunctionLoss()):
        model = MLP([2, 5, 3], rng=np.random.default_rng(1))
        first = RecordingDense(2, 5, rng=np.random.default_rng(1))
        first.W.value[...] = model.layers[0].W.value
        model.layers[0] = first
        history = fit(model, loss, optim.SGD(model.parameters(), lr=0.5), X_XOR, Y_XOR, epochs=3,
                      batch_size=3, rng=np.random.default_rng(2))
        assert first.input_grads == [False] * 6  # fit never asks the first layer for dL/dX
        runs.append((history.loss, [np.array(p.value) for p in model.parameters()]))
    assert loss.calls == 6 and runs[1][0] == pytest.approx(runs[0][0], rel=1e-14)
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
