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


def train(X, y, hidden=None, activation=None, output=None, optimizer="gd", iterations=None, alpha=None,
          lambda_=1.0, *, epochs=None, batch=None, learning_rate=None, seed=1, init=None, device="auto",
          precision="float", label_base=1, image=None, callback=None, callback_every=1, progress=False):
    """Trains a network on X, y and returns it as a Model: the article's gradientDescent (and
    `digitnet train`, through the same run layer: the same defaults, checks and messages; the same
    seed gives the same weights).

    optimizer: "gd" (iterations steps of alpha; defaults 800 and 0.8), "cg" (iterations line
    searches) or "adam" (epochs of mini-batches of batch, learning_rate; defaults 10, 128, 1e-3).
    An option of another optimizer (gd with learning_rate) is refused with ValueError, as the
    command line refuses it. hidden: hidden layer sizes (default [25]);
    activation: "sigmoid" (default), "tanh" or "relu"; output: "sigmoid" (default) or "softmax".
    init: start from these thetas (or Model: its activation, output and label convention too)
    instead of random ones; hidden, activation and output given with it must agree with it.
    label_base: see cost_and_gradient. image: (rows, cols, "F" | "C"), recorded in saved models
    (default: square, column-major, as ex4). X may be uint8 or uint16 pixels: they become [0, 1]
    as the file readers make them. A network too large for the machine's memory is refused with
    ValueError and the numbers before anything is allocated.
    callback(iteration, cost) is called every callback_every iterations (on the GPU, every report
    of the device loop, a few hundred milliseconds apart); returning False stops the run, which then
    returns the model trained so far. progress=True draws a progress bar on stderr (tqdm's if
    installed). Ctrl-C raises KeyboardInterrupt within one iteration (one chunk on the GPU)."""
    # The optimizers' own options given, by the run layer's names (run/settings.hpp).
    given = {name: value for name, value in locals().items() if name in _core.OPTIMIZER_OPTIONS and value is not None}
    if hidden is not None:
        hidden = [_checks.integer(h, f"hidden[{i}]", 1) for i, h in enumerate(hidden)] \
            if isinstance(hidden, (list, tuple)) else [_checks.integer(hidden, "hidden", 1)]
    if activation is not None:
        activation = _checks.choice(activation, "activation", _checks.ACTIVATIONS)
    if output is not None:
        output = _checks.choice(output, "output", _checks.OUTPUTS)
    init_info = None
    if init is not None:
        if isinstance(init, Model):
            own = {"hidden": init.layer_sizes[1:-1], "activation": init.activation, "output": init.output}
        elif isinstance(init, (list, tuple)):  # the compiled module checks the arrays themselves
            shapes = [np.shape(theta) for theta in init]
            own_hidden = [shape[0] for shape in shapes[:-1]] if all(len(shape) == 2 for shape in shapes) else hidden
            own = {"hidden": own_hidden, "activation": activation, "output": output}
        else:
            raise TypeError(f"init: expected a Model or a list of arrays [Theta1, ..., ThetaL], got {type(init).__name__}")
        for name, value in (("hidden", hidden), ("activation", activation), ("output", output)):
            if value is not None and value != own[name]:
                raise ValueError(f"{name}: {value!r} differs from init's {own[name]!r}")
        if isinstance(init, Model):
            init, activation, output, init_info = init.thetas, init.activation, init.output, init._info()
        hidden = None  # the initial weights' own
    optimizer = _checks.choice(optimizer, "optimizer", _checks.OPTIMIZERS)
    lambda_ = _checks.real(lambda_, "lambda_")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a function callback(iteration, cost), got {type(callback).__name__}")
    callback_every = _checks.integer(callback_every, "callback_every", 1)
    if not isinstance(progress, bool):
        raise TypeError(f"progress: expected True or False, got {type(progress).__name__}")

    bar = None
    report, report_every = callback, callback_every
    if progress:
        bar = progress_bar(_core.planned_steps(optimizer, given, len(X)), f"train {optimizer}")

        def report(done, cost):  # noqa: F811 (the bar, then the user's callback every callback_every)
            bar.update_to(done, cost)
            if callback is not None and done % callback_every == 0:
                return callback(done, cost)
            return None

        report_every = 1
    try:
        result = _core.train(X, y, _checks.integer(label_base, "label_base"), _checks.image(image), init, init_info,
                             hidden, activation, output, optimizer, given, lambda_, _checks.seed(seed),
                             _checks.choice(device, "device", _checks.DEVICES),
                             _checks.choice(precision, "precision", _checks.PRECISIONS), report, report_every)
    finally:
        if bar is not None:
            bar.close()
    info = result["info"]
    model = Model(result["thetas"], activation or "sigmoid", output or "sigmoid", info["label_base"], info["image"],
                  info["background"], info["ink"], digit_box=info["digit_box"])
    model.history = result["history"]
    model.final_cost = result["final_cost"]
    model.device = result["device"]
    model.seconds = result["seconds"]
    return model


def gradcheck(lambda_=1.0, data=None, examples=16, seed=1, device="auto", *, hidden=(25,), activation="sigmoid",
              output="sigmoid"):
    """The command line's gradcheck: backpropagation against central differences (epsilon 1e-4)
    in double, on the course's small network and on `examples` random examples of `data` (default:
    the embedded digits), both with the network to train (hidden sizes, activation, output; the
    seed's 25 sigmoid units by default). Returns {"passed", "relative_difference" (the worst),
    "checks": [...], ...}, as `digitnet gradcheck --json`; passes under 1e-9. Ctrl-C raises
    KeyboardInterrupt within a few hundredths of a second."""
    data = default_data_path() if data is None else _checks.path(data, "data")
    hidden = [_checks.integer(h, f"hidden[{i}]", 1) for i, h in enumerate(hidden)] \
        if isinstance(hidden, (list, tuple)) else [_checks.integer(hidden, "hidden", 1)]
    return _core.gradient_check(_checks.real(lambda_, "lambda_", non_negative=True), data,
                                _checks.integer(examples, "examples", 1), _checks.seed(seed),
                                _checks.choice(device, "device", _checks.DEVICES), hidden,
                                _checks.choice(activation, "activation", _checks.ACTIVATIONS),
                                _checks.choice(output, "output", _checks.OUTPUTS))
