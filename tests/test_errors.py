"""One rule for bad input across the API contract: a wrong type is a TypeError, a wrong value a ValueError.

For every public function and class of the contract (design.md, "dlkit API contract") the
tables below hold one call with an argument of the wrong type and one with a wrong value;
each message must name the argument, what was expected and what came. A name with nothing
that could be wrong (no arguments, or no value outside its domain) is listed, with the
reason, in NO_WRONG_TYPE or NO_WRONG_VALUE; `test_the_tables_cover_the_whole_contract`
keeps the tables and the contract in step.
"""

import numpy as np
import pytest

from dlkit import (
    activations,
    autograd,
    backend,
    datasets,
    gradcheck,
    grading,
    init,
    losses,
    metrics,
    nn,
    optim,
    regularization,
    train,
)

# The contract of design.md, module by module (methods are listed as Class.method).
CONTRACT = {
    "backend": ["set_backend", "get_backend", "use_backend", "namespace", "asarray", "to_numpy", "erf"],
    "activations": [
        *(f"{name}{suffix}" for name in ("identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu",
                                         "gelu", "softmax") for suffix in ("", "_grad")),
        "softmax_backward",
    ],
    "losses": ["mse", "mse_grad", "binary_cross_entropy", "binary_cross_entropy_grad",
               "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad", "cross_entropy",
               "cross_entropy_grad", "MSE", "BinaryCrossEntropy", "CrossEntropy"],
    "init": ["normal", "uniform_fan_in", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform"],
    "nn": ["Parameter", "Module", "Dense", "Identity", "Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU",
           "GELU", "Softmax", "Dropout", "Sequential", "Residual", "MLP", "Perceptron", "Perceptron.fit",
           "Perceptron.predict"],
    "optim": ["SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "StepLR", "CosineAnnealingLR",
              "Optimizer.load_state_dict"],
    "train": ["fit", "EarlyStopping"],
    "regularization": ["l1_penalty", "l1_grad", "l2_penalty", "l2_grad", "clip_by_global_norm"],
    "metrics": ["accuracy", "precision", "recall", "f1", "roc_auc", "rmse"],
    "gradcheck": ["numerical_gradient", "relative_error", "check_gradients"],
    "autograd": ["Value"],
    "datasets": ["logic_gate", "xor", "blobs", "moons", "circles", "spirals", "pass_the_class", "regression"],
    "grading": ["check_function", "check_close", "random_arrays"],
}

Z = np.array([-1.0, 0.0, 2.0])
X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])
RANDOM_STATE = np.random.RandomState(0)


def _params():
    return [nn.Parameter(np.zeros(2))]


def _fit(**kwargs):
    model = nn.Dense(2, 1, rng=0)
    arguments = dict(model=model, loss=losses.MSE(), optimizer=optim.SGD(model.parameters(), lr=0.1),
                     X=X4, y=Y4.astype(float), epochs=1)
    return train.fit(**(arguments | kwargs))


def _perceptron():
    return nn.Perceptron(2, rng=0)


def _checked_module():
    return nn.Sequential(nn.Dense(2, 3, rng=0), nn.Tanh(), nn.Dense(3, 1, rng=0))


def _calling(function, *args):
    return lambda: function(*args)


def _forward(module_class, X):
    return module_class()(X)


def case(name, call, argument, expected, got):
    """One row: the contract name, the bad call, and what its message must say."""
    return pytest.param(call, (argument, expected, got), id=name)


TYPE_CASES = [
    # backend
    case("backend.set_backend", lambda: backend.set_backend(3), "name", "one of 'numpy'", "int 3"),
    case("backend.use_backend", lambda: backend.use_backend(None).__enter__(), "name", "one of 'numpy'",
         "None"),
    case("backend.namespace", lambda: backend.namespace("abc"), "arrays", "arrays", "str"),
    case("backend.asarray", lambda: backend.asarray("abc"), "x", "array of numbers", "str 'abc'"),
    case("backend.asarray", lambda: backend.asarray([1.0], dtype=3), "dtype", "data type", "int 3"),
    case("backend.to_numpy", lambda: backend.to_numpy({"a": 1}), "x", "array", "dict"),
    case("backend.erf", lambda: backend.erf("abc"), "x", "array", "str"),
    # activations: z of strings; the parameters of the wrong type
    *(case(f"activations.{name}", _calling(getattr(activations, name), "abc"), "z", "array of numbers",
           "str 'abc'") for name in CONTRACT["activations"] if name != "softmax_backward"),
    case("activations.leaky_relu", lambda: activations.leaky_relu(Z, beta="0.1"), "beta", "number",
         "str '0.1'"),
    case("activations.elu_grad", lambda: activations.elu_grad(Z, alpha=[1.0]), "alpha", "number", "list"),
    case("activations.gelu", lambda: activations.gelu(Z, approximate="tanh"), "approximate", "True or False",
         "str 'tanh'"),
    case("activations.softmax", lambda: activations.softmax(Z, axis=0.5), "axis", "int", "float 0.5"),
    case("activations.softmax_backward", lambda: activations.softmax_backward(Z, "s"), "s",
         "array of numbers", "str 's'"),
    # losses
    case("losses.mse", lambda: losses.mse("abc", Z), "y_true", "array of numbers", "str 'abc'"),
    case("losses.mse_grad", lambda: losses.mse_grad(Z, None), "y_pred", "array of numbers", "None"),
    case("losses.binary_cross_entropy", lambda: losses.binary_cross_entropy(Y4, "p"), "y_pred",
         "array of numbers", "str 'p'"),
    case("losses.binary_cross_entropy_grad", lambda: losses.binary_cross_entropy_grad(Y4, Y4 + 0j), "y_pred",
         "real numbers", "complex"),
    case("losses.binary_cross_entropy_with_logits", lambda: losses.binary_cross_entropy_with_logits(
        {"y": 1}, Z), "y_true", "array of numbers", "dict"),
    case("losses.binary_cross_entropy_with_logits_grad", lambda: losses.binary_cross_entropy_with_logits_grad(
        Y4, "z"), "y_pred", "array of numbers", "str 'z'"),
    case("losses.cross_entropy", lambda: losses.cross_entropy(["a", "b"], X4[:2]), "y_true",
         "array of numbers", "list"),
    case("losses.cross_entropy_grad", lambda: losses.cross_entropy_grad(Y4, "logits"), "y_pred",
         "array of numbers", "str 'logits'"),
    case("losses.MSE", lambda: losses.MSE().forward(Z, "abc"), "y_pred", "array of numbers", "str 'abc'"),
    case("losses.BinaryCrossEntropy", lambda: losses.BinaryCrossEntropy(from_logits="yes"), "from_logits",
         "True or False", "str 'yes'"),
    case("losses.CrossEntropy", lambda: losses.CrossEntropy().forward("0", X4), "y_true", "array of numbers",
         "str '0'"),
    # init
    case("init.normal", lambda: init.normal((2, 3), std="big", rng=0), "std", "number", "str 'big'"),
    case("init.normal", lambda: init.normal((2, 3), rng=0, dtype=3), "dtype", "'float64'", "int 3"),
    case("init.uniform_fan_in", lambda: init.uniform_fan_in((2.5, 3), rng=0), "shape", "int", "float 2.5"),
    case("init.xavier_normal", lambda: init.xavier_normal("ab", rng=0), "shape", "tuple of ints", "str 'ab'"),
    case("init.xavier_uniform", lambda: init.xavier_uniform((2, 3), rng=0.5), "rng", "Generator",
         "float 0.5"),
    case("init.he_normal", lambda: init.he_normal((2, 3), rng=RANDOM_STATE), "rng", "Generator",
         "RandomState"),
    case("init.he_uniform", lambda: init.he_uniform(None, rng=0), "shape", "tuple of ints", "None"),
    # nn
    case("nn.Parameter", lambda: nn.Parameter("abc"), "value", "array of numbers", "str 'abc'"),
    case("nn.Parameter", lambda: nn.Parameter(np.array([1, 2])), "value", "floating", "int64"),
    case("nn.Dense", lambda: nn.Dense(2.5, 3), "in_features", "int", "float 2.5"),
    case("nn.Dense", lambda: nn.Dense(2, 3, bias="yes"), "bias", "True or False", "str 'yes'"),
    case("nn.Dense", lambda: nn.Dense(2, 3, init=3), "init", "one of 'xavier'", "int 3"),
    case("nn.Dense", lambda: nn.Dense(2, 3, rng=0)("abc"), "X", "array of numbers", "str 'abc'"),
    *(case(f"nn.{name}", _calling(_forward, getattr(nn, name), "abc"), "z", "array of numbers", "str 'abc'")
      for name in ("Identity", "Step", "Sigmoid", "Tanh", "ReLU", "Softmax")),
    case("nn.LeakyReLU", lambda: nn.LeakyReLU(beta="0.1"), "beta", "number", "str '0.1'"),
    case("nn.ELU", lambda: nn.ELU(alpha=None), "alpha", "number", "None"),
    case("nn.GELU", lambda: nn.GELU(approximate="tanh"), "approximate", "True or False", "str 'tanh'"),
    case("nn.Dropout", lambda: nn.Dropout("0.5"), "p", "number", "str '0.5'"),
    case("nn.Sequential", lambda: nn.Sequential(nn.ReLU(), 3), "modules[1]", "Module", "int 3"),
    case("nn.Residual", lambda: nn.Residual(np.tanh), "module", "Module", "ufunc"),
    case("nn.MLP", lambda: nn.MLP(5), "sizes", "list of ints", "int 5"),
    case("nn.MLP", lambda: nn.MLP([2, 8.0, 1]), "sizes[1]", "int", "float 8.0"),
    case("nn.MLP", lambda: nn.MLP([2, 1], activation=np.tanh), "activation", "one of 'identity'", "ufunc"),
    case("nn.Perceptron", lambda: nn.Perceptron("2"), "n_features", "int", "str '2'"),
    case("nn.Perceptron.fit", lambda: _perceptron().fit(X4, Y4, lr="1"), "lr", "number", "str '1'"),
    case("nn.Perceptron.fit", lambda: _perceptron().fit(X4, Y4, epochs=2.5), "epochs", "int", "float 2.5"),
    case("nn.Perceptron.predict", lambda: _perceptron().predict("X"), "X", "array of numbers", "str 'X'"),
    # optim
    case("optim.SGD", lambda: optim.SGD(_params(), lr="fast"), "lr", "number", "str 'fast'"),
    case("optim.SGD", lambda: optim.SGD(nn.Dense(2, 1), lr=0.1), "params", "model.parameters()", "Dense"),
    case("optim.AdaGrad", lambda: optim.AdaGrad(_params(), eps=None), "eps", "number", "None"),
    case("optim.RMSProp", lambda: optim.RMSProp(_params(), alpha="0.9"), "alpha", "number", "str '0.9'"),
    case("optim.Adam", lambda: optim.Adam(_params(), betas=0.9), "betas", "pair", "float 0.9"),
    case("optim.AdamW", lambda: optim.AdamW([np.zeros(2)]), "params[0]", ".value and .grad", "ndarray"),
    case("optim.StepLR", lambda: optim.StepLR(optim.SGD(_params(), lr=0.1), step_size=2.5), "step_size",
         "int", "float 2.5"),
    case("optim.CosineAnnealingLR", lambda: optim.CosineAnnealingLR("sgd", T_max=3), "optimizer",
         "dlkit.optim.Optimizer", "str 'sgd'"),
    case("optim.Optimizer.load_state_dict", lambda: optim.Adam(_params()).load_state_dict([1]), "state_dict",
         "dict", "list"),
    # train
    case("train.fit", lambda: _fit(epochs=2.5), "epochs", "int", "float 2.5"),
    case("train.fit", lambda: _fit(rng=0.5), "rng", "Generator, an int seed or None", "float 0.5"),
    case("train.fit", lambda: _fit(loss=losses.mse), "loss", "loss object", "function mse"),
    case("train.EarlyStopping", lambda: train.EarlyStopping(patience=2.5), "patience", "int", "float 2.5"),
    # regularization
    case("regularization.l1_penalty", lambda: regularization.l1_penalty([Z], "0.1"), "lam", "number",
         "str '0.1'"),
    case("regularization.l1_grad", lambda: regularization.l1_grad(["w"], 0.1), "weights[0]",
         "array of numbers", "str 'w'"),
    case("regularization.l2_penalty", lambda: regularization.l2_penalty(Z, None), "lam", "number", "None"),
    case("regularization.l2_grad", lambda: regularization.l2_grad(3, 0.1), "weights", "arrays", "int 3"),
    case("regularization.clip_by_global_norm", lambda: regularization.clip_by_global_norm([Z], "1"),
         "max_norm", "number", "str '1'"),
    # metrics
    *(case(f"metrics.{name}", _calling(getattr(metrics, name), "abc", Y4), "y_true", "array of numbers",
           "str 'abc'") for name in CONTRACT["metrics"]),
    # gradcheck
    case("gradcheck.numerical_gradient", lambda: gradcheck.numerical_gradient(np.sum, [1.0, 2.0]), "x",
         "array", "list"),
    case("gradcheck.numerical_gradient", lambda: gradcheck.numerical_gradient(np.sum, Z, h="small"), "h",
         "number", "str 'small'"),
    case("gradcheck.numerical_gradient", lambda: gradcheck.numerical_gradient("f", Z), "f", "function",
         "str 'f'"),
    case("gradcheck.relative_error", lambda: gradcheck.relative_error("a", Z), "a", "array of numbers",
         "str 'a'"),
    case("gradcheck.check_gradients", lambda: gradcheck.check_gradients(np.tanh, X4, losses.MSE(), Y4),
         "module", "Module", "ufunc"),
    # autograd
    case("autograd.Value", lambda: autograd.Value("2"), "data", "real number", "str '2'"),
    case("autograd.Value", lambda: autograd.Value(2.0) ** "k", "exponent", "number", "str 'k'"),
    # datasets
    case("datasets.logic_gate", lambda: datasets.logic_gate(3), "name", "string", "int 3"),
    case("datasets.xor", lambda: datasets.xor(n=2.5, rng=0), "n", "int", "float 2.5"),
    case("datasets.blobs", lambda: datasets.blobs(centers="abc", rng=0), "centers", "array of numbers",
         "str 'abc'"),
    case("datasets.moons", lambda: datasets.moons(noise="0.1", rng=0), "noise", "number", "str '0.1'"),
    case("datasets.circles", lambda: datasets.circles(factor=None, rng=0), "factor", "number", "None"),
    case("datasets.spirals", lambda: datasets.spirals(n_classes=3.0, rng=0), "n_classes", "int", "float 3.0"),
    case("datasets.pass_the_class", lambda: datasets.pass_the_class(rng="0"), "rng", "Generator", "str '0'"),
    case("datasets.regression", lambda: datasets.regression(coef="abc", rng=0), "coef", "array of numbers",
         "str 'abc'"),
    # grading
    case("grading.check_function", lambda: grading.check_function(3, np.sin, [(1.0,)]), "student_fn",
         "function", "int 3"),
    case("grading.check_close", lambda: grading.check_close(3, 1.0, 1.0), "name", "str", "int 3"),
    case("grading.random_arrays", lambda: grading.random_arrays(0.5), "rng", "Generator", "float 0.5"),
]

VALUE_CASES = [
    # backend
    case("backend.set_backend", lambda: backend.set_backend("jax"), "backend", "'numpy'", "'jax'"),
    case("backend.set_backend", lambda: backend.set_backend("numpy", precision="half"), "precision", "'full'",
         "'half'"),
    case("backend.use_backend", lambda: backend.use_backend("numpy", device="cuda").__enter__(), "device",
         "'cpu'", "'cuda'"),
    case("backend.asarray", lambda: backend.asarray([1.0], dtype="float128x"), "dtype", "data type",
         "'float128x'"),
    # activations
    case("activations.leaky_relu", lambda: activations.leaky_relu(Z, beta=-0.1), "beta", ">= 0", "-0.1"),
    case("activations.leaky_relu_grad", lambda: activations.leaky_relu_grad(Z, beta=float("nan")), "beta",
         ">= 0", "nan"),
    case("activations.elu", lambda: activations.elu(Z, alpha=-1.0), "alpha", ">= 0", "-1.0"),
    case("activations.elu_grad", lambda: activations.elu_grad(Z, alpha=-2), "alpha", ">= 0", "-2"),
    case("activations.softmax", lambda: activations.softmax(np.float64(1.0)), "z", "at least one dimension",
         "scalar"),
    case("activations.softmax_grad", lambda: activations.softmax_grad(Z, axis=3), "axis", "in -1 … 0",
         "got 3"),
    case("activations.softmax_backward", lambda: activations.softmax_backward(Z, Z[:2]), "s", "same shape",
         "(2,)"),
    # losses
    case("losses.mse", lambda: losses.mse(Z, Z[:2]), "y_pred", "same shape", "(2,)"),
    case("losses.mse_grad", lambda: losses.mse_grad([np.nan, 1.0], [1.0, 1.0]), "y_true", "finite", "NaN"),
    case("losses.binary_cross_entropy", lambda: losses.binary_cross_entropy(Y4, Y4 * 2.0), "y_pred",
         "probabilities in [0, 1]", "2.0"),
    case("losses.binary_cross_entropy_grad", lambda: losses.binary_cross_entropy_grad(Y4 * 0.5, Y4 * 0.5),
         "y_true", "labels 0 or 1", "0.5"),
    case("losses.binary_cross_entropy_with_logits", lambda: losses.binary_cross_entropy_with_logits(
        Y4 + 1, Z[:1].repeat(4)), "y_true", "labels 0 or 1", "2.0"),
    case("losses.binary_cross_entropy_with_logits_grad", lambda: losses.binary_cross_entropy_with_logits_grad(
        Y4, Z), "y_pred", "same shape", "(3,)"),
    case("losses.cross_entropy", lambda: losses.cross_entropy(Y4 + 2, X4), "class labels", "0 … 1",
         "from 2 to 3"),
    case("losses.cross_entropy_grad", lambda: losses.cross_entropy_grad(Y4, Z), "y_pred", "2-D", "1-D"),
    case("losses.MSE", lambda: losses.MSE().forward(Z, Z[:2]), "y_pred", "same shape", "(2,)"),
    case("losses.BinaryCrossEntropy", lambda: losses.BinaryCrossEntropy().forward(Y4, Y4 - 1.0), "y_pred",
         "probabilities in [0, 1]", "-1.0"),
    case("losses.CrossEntropy", lambda: losses.CrossEntropy().forward(Y4[:3], X4), "y_true", "4 rows",
         "3 labels"),
    # init
    case("init.normal", lambda: init.normal((2, 3), std=-1.0, rng=0), "std", "> 0", "-1.0"),
    case("init.uniform_fan_in", lambda: init.uniform_fan_in((0, 3), rng=0), "shape", "positive", "(0, 3)"),
    case("init.xavier_normal", lambda: init.xavier_normal((2, 3, 4), rng=0), "shape", "(fan_in, fan_out)",
         "(2, 3, 4)"),
    case("init.xavier_uniform", lambda: init.xavier_uniform((2, 3), rng=-1), "rng", "seed >= 0", "-1"),
    case("init.he_normal", lambda: init.he_normal((2, 3), rng=0, dtype="int64"), "dtype", "'float32'",
         "'int64'"),
    case("init.he_uniform", lambda: init.he_uniform((2, -3), rng=0), "shape", "positive", "(2, -3)"),
    # nn
    case("nn.Parameter", lambda: nn.Parameter(np.array([1.0, np.inf])), "value", "finite", "infinite"),
    case("nn.Dense", lambda: nn.Dense(0, 3), "in_features", ">= 1", "0"),
    case("nn.Dense", lambda: nn.Dense(2, 3, init="glorot"), "init", "'xavier'", "'glorot'"),
    case("nn.Dense", lambda: nn.Dense(2, 3, rng=0)(np.ones((4, 3))), "X", "(n, 2)", "(4, 3)"),
    case("nn.Softmax", lambda: nn.Softmax()(np.float64(1.0)), "z", "at least one dimension", "scalar"),
    case("nn.LeakyReLU", lambda: nn.LeakyReLU(beta=-0.1), "beta", ">= 0", "-0.1"),
    case("nn.ELU", lambda: nn.ELU(alpha=-1.0), "alpha", ">= 0", "-1.0"),
    case("nn.Dropout", lambda: nn.Dropout(1.0), "p", "[0, 1)", "1.0"),
    case("nn.Residual", lambda: nn.Residual(nn.Dense(2, 3, rng=0))(X4), "module", "its input's shape",
         "(4, 3) out"),
    case("nn.MLP", lambda: nn.MLP([2]), "sizes", "at least the input and output sizes", "[2]"),
    case("nn.MLP", lambda: nn.MLP([2, 0, 1]), "sizes[1]", ">= 1", "0"),
    case("nn.MLP", lambda: nn.MLP([2, 1], output_activation="logistic"), "output_activation", "'sigmoid'",
         "'logistic'"),
    case("nn.Perceptron", lambda: nn.Perceptron(0), "n_features", ">= 1", "0"),
    case("nn.Perceptron.fit", lambda: _perceptron().fit(X4, Y4 + 1), "y", "labels 0 and 1", "2"),
    case("nn.Perceptron.fit", lambda: _perceptron().fit(X4, Y4, lr=0.0), "lr", "> 0", "0.0"),
    case("nn.Perceptron.predict", lambda: _perceptron().predict(np.ones((3, 4))), "X", "(n, 2)", "(3, 4)"),
    # optim
    case("optim.SGD", lambda: optim.SGD(_params(), lr=-0.1), "lr", ">= 0", "-0.1"),
    case("optim.SGD", lambda: optim.SGD([], lr=0.1), "params", "model's parameters", "empty"),
    case("optim.AdaGrad", lambda: optim.AdaGrad(_params(), eps=0.0), "eps", "> 0", "0.0"),
    case("optim.RMSProp", lambda: optim.RMSProp(_params(), alpha=1.0), "alpha", "[0, 1)", "1.0"),
    case("optim.Adam", lambda: optim.Adam(_params(), betas=(0.9, 1.5)), "betas[1]", "[0, 1)", "1.5"),
    case("optim.AdamW", lambda: optim.AdamW(_params(), weight_decay=-0.01), "weight_decay", ">= 0", "-0.01"),
    case("optim.StepLR", lambda: optim.StepLR(optim.SGD(_params(), lr=0.1), 2, gamma=1.5), "gamma", "[0, 1]",
         "1.5"),
    case("optim.CosineAnnealingLR", lambda: optim.CosineAnnealingLR(optim.SGD(_params(), lr=0.1), T_max=0),
         "T_max", ">= 1", "0"),
    case("optim.Optimizer.load_state_dict", lambda: optim.Adam(_params()).load_state_dict(
        optim.SGD(_params(), lr=0.1).state_dict()), "state_dict", "Adam's are", "another optimizer"),
    # train
    case("train.fit", lambda: _fit(epochs=0), "epochs", ">= 1", "0"),
    case("train.fit", lambda: _fit(batch_size=5), "batch_size", "between 1 and the number of samples 4", "5"),
    case("train.fit", lambda: _fit(metrics=["accurcy"]), "metric", "'accuracy'", "'accurcy'"),
    case("train.fit", lambda: _fit(y=Y4[:3]), "y", "same number of samples", "4 and 3"),
    case("train.EarlyStopping", lambda: train.EarlyStopping(min_delta=-0.1), "min_delta", ">= 0", "-0.1"),
    # regularization
    case("regularization.l1_penalty", lambda: regularization.l1_penalty([Z], -0.1), "lam", ">= 0", "-0.1"),
    case("regularization.l1_grad", lambda: regularization.l1_grad(Z, float("nan")), "lam", ">= 0", "nan"),
    case("regularization.l2_penalty", lambda: regularization.l2_penalty([Z], -1), "lam", ">= 0", "-1"),
    case("regularization.l2_grad", lambda: regularization.l2_grad([Z], -0.5), "lam", ">= 0", "-0.5"),
    case("regularization.clip_by_global_norm", lambda: regularization.clip_by_global_norm([Z], 0.0),
         "max_norm", "> 0", "0.0"),
    # metrics
    case("metrics.accuracy", lambda: metrics.accuracy(Y4, Y4 * 0.5), "y_pred", "class labels", "0.5"),
    case("metrics.precision", lambda: metrics.precision(Y4, Y4 + 1), "y_pred", "binary labels 0 and 1", "2"),
    case("metrics.recall", lambda: metrics.recall(Y4, Y4[:3]), "y_pred", "same shape", "(3,)"),
    case("metrics.f1", lambda: metrics.f1(Y4 * 3, Y4), "y_true", "binary labels 0 and 1", "3"),
    case("metrics.roc_auc", lambda: metrics.roc_auc(np.ones(4), Z[:1].repeat(4)), "y_true", "both classes",
         "only class 1"),
    case("metrics.rmse", lambda: metrics.rmse(Z, [1.0, np.inf, 0.0]), "y_pred", "finite", "infinite"),
    # gradcheck
    case("gradcheck.numerical_gradient", lambda: gradcheck.numerical_gradient(np.sum, Z, h=0.0), "h", "> 0",
         "0.0"),
    case("gradcheck.numerical_gradient", lambda: gradcheck.numerical_gradient(lambda x: x, Z), "f",
         "a scalar", "shape (3,)"),
    case("gradcheck.relative_error", lambda: gradcheck.relative_error(Z, Z[:2]), "b", "same shape", "(2,)"),
    case("gradcheck.check_gradients", lambda: gradcheck.check_gradients(_checked_module(), np.ones((4, 3)),
                                                                        losses.MSE(), Y4), "X", "(n, 2)",
         "(4, 3)"),
    # autograd
    case("autograd.Value", lambda: autograd.Value(-1.0).log(), "log", "positive value", "-1.0"),
    case("autograd.Value", lambda: autograd.Value(float("nan")), "data", "finite", "nan"),
    # datasets
    case("datasets.logic_gate", lambda: datasets.logic_gate("xnor"), "logic gate", "'and'", "'xnor'"),
    case("datasets.xor", lambda: datasets.xor(n=0, rng=0), "n", ">= 1", "0"),
    case("datasets.blobs", lambda: datasets.blobs(centers=[1.0, 2.0], rng=0), "centers", "2-D", "1-D"),
    case("datasets.moons", lambda: datasets.moons(noise=-0.1, rng=0), "noise", ">= 0", "-0.1"),
    case("datasets.circles", lambda: datasets.circles(factor=1.5, rng=0), "factor", "(0, 1)", "1.5"),
    case("datasets.spirals", lambda: datasets.spirals(n_classes=0, rng=0), "n_classes", ">= 1", "0"),
    case("datasets.pass_the_class", lambda: datasets.pass_the_class(n=-5, rng=0), "n", ">= 1", "-5"),
    case("datasets.regression", lambda: datasets.regression(coef=[[1.0]], rng=0), "coef", "1-D", "2-D"),
    # grading
    case("grading.check_function", lambda: grading.check_function(np.sin, np.sin, []), "cases",
         "at least one", "[]"),
    case("grading.check_close", lambda: grading.check_close("f(x)", 1.0, 1.0, atol=-1.0), "atol", ">= 0",
         "-1.0"),
    case("grading.random_arrays", lambda: grading.random_arrays(np.random.default_rng(0), scale=-1.0),
         "scale", "> 0", "-1.0"),
]

# Names with nothing of a wrong type to pass, and names with no wrong value, with the reason.
NO_WRONG_TYPE = {
    "backend.get_backend": "takes no arguments",
    "nn.Module": "takes no arguments (a base class)",
}
NO_WRONG_VALUE = {
    "backend.get_backend": "takes no arguments",
    "backend.namespace": "any arrays of one library have a namespace (two libraries are a TypeError)",
    "backend.to_numpy": "every array has a NumPy copy",
    "backend.erf": "erf is defined for every real number, NaN propagates",
    **{f"activations.{name}{suffix}": "defined for every real array (NaN propagates)"
       for name in ("identity", "step", "sigmoid", "tanh", "relu", "gelu") for suffix in ("", "_grad")},
    "nn.Module": "takes no arguments (a base class)",
    **{f"nn.{name}": "no arguments, and defined for every real array"
       for name in ("Identity", "Step", "Sigmoid", "Tanh", "ReLU")},
    "nn.GELU": "its one argument is a bool",
    "nn.Sequential": "any modules in any number (none is the identity)",
}

def _check_message(error, fragments):
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} is not in the message {message!r}"


@pytest.mark.parametrize(("call", "fragments"), TYPE_CASES)
def test_a_wrong_type_is_a_type_error_naming_the_argument_the_expected_and_what_came(call, fragments):
    with pytest.raises(TypeError) as error:
        call()
    _check_message(error, fragments)


@pytest.mark.parametrize(("call", "fragments"), VALUE_CASES)
def test_a_wrong_value_is_a_value_error_naming_the_argument_the_expected_and_what_came(call, fragments):
    with pytest.raises(ValueError) as error:
        call()
    _check_message(error, fragments)


def test_the_tables_cover_the_whole_contract():
    contract = {f"{module}.{name}" for module, names in CONTRACT.items() for name in names}
    typed = {c.id for c in TYPE_CASES}
    valued = {c.id for c in VALUE_CASES}
    assert typed <= contract and valued <= contract, (typed | valued) - contract
    assert contract - typed == set(NO_WRONG_TYPE), contract - typed - set(NO_WRONG_TYPE)
    assert contract - valued == set(NO_WRONG_VALUE), contract - valued - set(NO_WRONG_VALUE)


@pytest.mark.parametrize("module", CONTRACT)
def test_every_name_of_the_contract_exists(module):
    namespace = globals()[module]
    for name in CONTRACT[module]:
        obj = namespace
        for part in name.split("."):
            obj = getattr(obj, part)
        assert callable(obj), f"dlkit.{module}.{name}"


def teardown_module():
    backend.set_backend("numpy")  # the backend cases may leave another one selected
