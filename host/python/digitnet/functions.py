"""The article's functions, on digitnet's backends: costFunction, randomInitialization,
gradientDescent (and the other optimizers), and the command line's gradient check."""
import numpy as np

from . import _checks, _core
from .model import Model
from .data import default_data_path
from ._progress import progress_bar


def cost_and_gradient(thetas, X, y, lambda_, *, label_base=1, activation="sigmoid", output="sigmoid",
                      device="auto", precision="float"):
    """J(Theta) regularised with lambda_, and its gradient: the article's costFunction.

    thetas: [Theta1, ..., ThetaL]; X: (m, n) examples; y: (m,) or (m, 1) labels from label_base
    (1: the ex4 labels 1..10). Returns (J, [Theta1_grad, ..., ThetaL_grad]) as a float and float64
    arrays. device: "auto" (the GPU when there is one), "cpu" or "gpu"; precision: "float" or
    "double" (the arithmetic; the results are float64 either way)."""
    return _core.cost_and_gradient(
        thetas, X, y, _checks.real(lambda_, "lambda_", non_negative=True), _checks.integer(label_base, "label_base"),
        _checks.choice(activation, "activation", _checks.ACTIVATIONS), _checks.choice(output, "output", _checks.OUTPUTS),
        _checks.choice(device, "device", _checks.DEVICES), _checks.choice(precision, "precision", _checks.PRECISIONS))


def random_initialization(layer_sizes, seed=1, activation="sigmoid", output="sigmoid"):
    """[Theta1, ..., ThetaL] for layer sizes [s0, ..., sL], each uniform in [-e, e] with
    e = sqrt(6)/sqrt(L_in + L_out) (He uniform sqrt(6 / L_in) before a relu layer): the article's
    randomInitialization, seeded, the same weights as `digitnet train --seed` on any machine."""
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
        raise TypeError(f"layer_sizes: expected a list of layer sizes such as [400, 25, 10], got {type(layer_sizes).__name__}")
    sizes = [_checks.integer(s, f"layer_sizes[{i}]", 1) for i, s in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes: needs at least two sizes (inputs and classes), got {sizes}")
    return _core.random_parameters(sizes, _checks.seed(seed), _checks.choice(activation, "activation", _checks.ACTIVATIONS),
                                   _checks.choice(output, "output", _checks.OUTPUTS))


def train(X, y, hidden=None, activation=None, output=None, optimizer="gd", iterations=800, alpha=0.8,
          lambda_=1.0, *, epochs=10, batch=128, learning_rate=1e-3, seed=1, init=None, device="auto",
          precision="float", label_base=1, image=None, callback=None, callback_every=1, progress=False):
    """Trains a network on X, y and returns it as a Model: the article's gradientDescent (and
    `digitnet train`, with the same defaults; the same seed gives the same weights).

    optimizer: "gd" (iterations steps of alpha), "cg" (iterations line searches) or "adam"
    (epochs of mini-batches of batch, learning_rate). hidden: hidden layer sizes (default [25]);
    activation: "sigmoid" (default), "tanh" or "relu"; output: "sigmoid" (default) or "softmax".
    init: start from these thetas (or Model: its activation and output too) instead of random
    ones; hidden, activation and output given with it must agree with it. label_base: see cost_and_gradient. image:
    (rows, cols, "F" | "C"), recorded in saved models (default: square, column-major, as ex4).
    callback(iteration, cost) is called every callback_every iterations (on the GPU, every report
    of the device loop, a few hundred milliseconds apart); returning False stops the run, which then
    returns the model trained so far. progress=True draws a progress bar on stderr (tqdm's if
    installed). Ctrl-C raises KeyboardInterrupt within one iteration (one chunk on the GPU)."""
    if hidden is not None:
        hidden = [_checks.integer(h, f"hidden[{i}]", 1) for i, h in enumerate(hidden)] \
            if isinstance(hidden, (list, tuple)) else [_checks.integer(hidden, "hidden", 1)]
    if activation is not None:
        activation = _checks.choice(activation, "activation", _checks.ACTIVATIONS)
    if output is not None:
        output = _checks.choice(output, "output", _checks.OUTPUTS)
    if init is not None:
        if isinstance(init, Model):
            own = {"hidden": init.layer_sizes[1:-1], "activation": init.activation, "output": init.output}
        elif isinstance(init, (list, tuple)):  # the compiled module checks the arrays themselves
            shapes = [np.shape(theta) for theta in init]
            own_hidden = [shape[0] for shape in shapes[:-1]] if all(len(shape) == 2 for shape in shapes) else hidden
            own = {"hidden": own_hidden, "activation": activation, "output": output}
        else:
            raise TypeError(f"init: expected a Model or a list of arrays [Theta1, ..., ThetaL], got {type(init).__name__}")
        for name, given in (("hidden", hidden), ("activation", activation), ("output", output)):
            if given is not None and given != own[name]:
                raise ValueError(f"{name}: {given!r} differs from init's {own[name]!r}")
        if isinstance(init, Model):
            init, activation, output = init.thetas, init.activation, init.output
    hidden = [25] if hidden is None else hidden
    activation = activation or "sigmoid"
    output = output or "sigmoid"
    optimizer = _checks.choice(optimizer, "optimizer", _checks.OPTIMIZERS)
    iterations = _checks.integer(iterations, "iterations", 1)
    alpha = _checks.real(alpha, "alpha", positive=True)
    lambda_ = _checks.real(lambda_, "lambda_", non_negative=True)
    epochs = _checks.integer(epochs, "epochs", 1)
    batch = _checks.integer(batch, "batch", 1)
    learning_rate = _checks.real(learning_rate, "learning_rate", positive=True)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a function callback(iteration, cost), got {type(callback).__name__}")
    callback_every = _checks.integer(callback_every, "callback_every", 1)
    if not isinstance(progress, bool):
        raise TypeError(f"progress: expected True or False, got {type(progress).__name__}")

    bar = None
    report, report_every = callback, callback_every
    if progress:
        steps = iterations
        if optimizer == "adam":
            examples = len(X)
            steps = epochs * -(-examples // min(batch, examples))
        bar = progress_bar(steps, f"train {optimizer}")

        def report(done, cost):  # noqa: F811 (the bar, then the user's callback every callback_every)
            bar.update_to(done, cost)
            if callback is not None and done % callback_every == 0:
                return callback(done, cost)
            return None

        report_every = 1
    try:
        result = _core.train(X, y, _checks.integer(label_base, "label_base"), _checks.image(image), init, hidden,
                             activation, output, optimizer, iterations, alpha, lambda_, epochs, batch, learning_rate,
                             _checks.seed(seed), _checks.choice(device, "device", _checks.DEVICES),
                             _checks.choice(precision, "precision", _checks.PRECISIONS), report, report_every)
    finally:
        if bar is not None:
            bar.close()
    info = result["info"]
    model = Model(result["thetas"], activation, output, info["label_base"], info["image"], info["background"], info["ink"])
    model.history = result["history"]
    model.final_cost = result["final_cost"]
    model.device = result["device"]
    model.seconds = result["seconds"]
    return model


def gradcheck(lambda_=1.0, data=None, examples=16, seed=1, device="auto"):
    """The command line's gradcheck: backpropagation against central differences (epsilon 1e-4)
    in double, on the course's 3-5-3 network and on `examples` random examples of `data` (default:
    the embedded digits) with a 25-unit hidden layer. Returns {"passed", "relative_difference"
    (the worst), "checks": [...], ...}, as `digitnet gradcheck --json`; passes under 1e-9."""
    data = default_data_path() if data is None else _checks.path(data, "data")
    return _core.gradient_check(_checks.real(lambda_, "lambda_", non_negative=True), data,
                                _checks.integer(examples, "examples", 1), _checks.seed(seed),
                                _checks.choice(device, "device", _checks.DEVICES))
