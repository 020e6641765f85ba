"""A trained network: its weights as numpy arrays, predictions, and the command line's model files."""
import numpy as np

from . import _checks, _core


class Model:
    """A network with weights thetas = [Theta1, ..., ThetaL], Theta_l of shape s_l x (s_(l-1) + 1)
    (column 0: the bias weights), as the article's Theta1 and Theta2.

    label_base: class k is the label k + label_base (1: the ex4 convention, 10 for the digit 0).
    image, background, ink, digit_box: what an input looked like (recorded in saved files, as the
    command line does, for `digitnet predict --image`; digit_box is (size, centre row, centre
    column) of the training digits, None for MNIST's). A load then save keeps all of it; save
    refuses metadata the file could not be read back with (label_base other than 0 or 1, an image
    shape that is not the inputs, ink equal to background). train() also sets history (J before each update
    for gd), final_cost (J after training), device (where it trained) and seconds (the training
    loop's time, as `digitnet train --json` reports it)."""

    def __init__(self, thetas, activation="sigmoid", output="sigmoid", label_base=1, image=None,
                 background=0.0, ink=1.0, digit_box=None):
        if isinstance(thetas, np.ndarray) or not isinstance(thetas, (list, tuple)):
            raise TypeError(f"thetas: expected a list of 2-D arrays [Theta1, ..., ThetaL], got {type(thetas).__name__}")
        self.thetas = [np.asarray(theta, dtype=np.float64) for theta in thetas]
        self.activation = _checks.choice(activation, "activation", _checks.ACTIVATIONS)
        self.output = _checks.choice(output, "output", _checks.OUTPUTS)
        self.label_base = _checks.integer(label_base, "label_base")
        self.image = _checks.image(image)
        self.background = _checks.real(background, "background")
        self.ink = _checks.real(ink, "ink")
        if digit_box is not None:
            if not isinstance(digit_box, (tuple, list)) or len(digit_box) != 3:
                raise TypeError(f"digit_box: expected (size, centre row, centre column), got {digit_box!r}")
            digit_box = tuple(_checks.real(v, f"digit_box[{i}]") for i, v in enumerate(digit_box))
        self.digit_box = digit_box
        self.history = None
        self.final_cost = None
        self.device = None
        self.seconds = None
        self.layer_sizes  # noqa: B018 (raises ValueError unless the shapes chain)

    @property
    def layer_sizes(self):
        """[s0, s1, ..., sL]: inputs, hidden units, classes ([400, 25, 10] for the seed)."""
        sizes = []
        for l, theta in enumerate(self.thetas):
            if theta.ndim != 2:
                raise ValueError(f"thetas[{l}]: expected a 2-D array, got shape {theta.shape}")
            if l == 0:
                sizes.append(theta.shape[1] - 1)
            elif theta.shape[1] != sizes[-1] + 1:
                raise ValueError(f"thetas[{l}]: has {theta.shape[1]} columns but thetas[{l - 1}] has {sizes[-1]} rows, "
                                 f"so {sizes[-1] + 1} were expected (a bias column plus one per unit)")
            sizes.append(theta.shape[0])
        return sizes

    def outputs(self, X, device="auto", precision="float"):
        """h, the network's output for each row of X: (m, K), the article's a3."""
        return _core.output(self.thetas, X, self.activation, self.output,
                            _checks.choice(device, "device", _checks.DEVICES),
                            _checks.choice(precision, "precision", _checks.PRECISIONS))

    def predict_proba(self, X, device="auto", precision="float"):
        """Each class's share of the outputs, rows summing to 1 (for a softmax output, h itself):
        the command line's "probability of each class"."""
        h = self.outputs(X, device, precision)
        return h / h.sum(axis=1, keepdims=True)

    def predict(self, X, device="auto", precision="float"):
        """The label of each row of X: argmax of h, plus label_base (the article's predict)."""
        return np.argmax(self.outputs(X, device, precision), axis=1) + self.label_base

    def accuracy(self, X, y, device="auto", precision="float"):
        """The fraction of the rows of X whose predicted label equals y (labels with label_base)."""
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            raise ValueError(f"y: expected labels of shape (m,) or (m, 1), got shape {labels.shape}")
        # The model's label convention: a 0..9 model on ex4's 1..10 labels is refused, as the command
        # line refuses it (the run layer's check).
        _core.check_labels(self.label_base, self.layer_sizes[-1], np.asarray(labels, dtype=np.int64).tolist())
        predicted = self.predict(X, device, precision)
        if labels.shape[0] != predicted.shape[0]:
            raise ValueError(f"y: has {labels.shape[0]} labels but X has {predicted.shape[0]} examples")
        return float(np.mean(predicted == labels))

    def _info(self):
        return {"label_base": self.label_base, "image": self.image, "background": self.background, "ink": self.ink,
                "digit_box": self.digit_box}

    def save(self, path, dtype="float32"):
        """Writes the model in the format of path's extension, as the command line does: .mat
        (Theta1..ThetaL and the digitnet_* variables, for Octave and scipy.io.loadmat), .safetensors
        or .npz (PyTorch's nn.Sequential names 0.weight, 0.bias, ...; dtype float32 or float64), or
        .onnx; written to a temporary file and renamed. Refuses (ValueError) to write over a data file
        this process read or the embedded data set, and a name with a NUL byte."""
        _core.save_model(_checks.path(path, "path"), self.thetas, self.activation, self.output, self._info(), dtype)

    @classmethod
    def load(cls, path, activation=None, output=None, label_base=None):
        """A model from a .mat (digitnet's, or the seed's ex4weights.mat), .safetensors or .npz file.
        activation, output and label_base say what a file without digitnet's metadata (a PyTorch
        state_dict saved with np.savez) is; None: the seed's (sigmoid, sigmoid, labels 1..K)."""
        loaded = _core.load_model(_checks.path(path, "path"), activation or "", output or "",
                                  -1 if label_base is None else label_base)
        info = loaded["info"]
        return cls(loaded["thetas"], loaded["activation"], loaded["output"], info["label_base"], info["image"],
                   info["background"], info["ink"], digit_box=info["digit_box"])

    # Pickling: the parameters and what describes them.
    def __getstate__(self):
        return {"thetas": [np.array(theta) for theta in self.thetas], "activation": self.activation,
                "output": self.output, "info": self._info(), "history": self.history,
                "final_cost": self.final_cost, "device": self.device,
                "seconds": self.seconds}

    def __setstate__(self, state):
        info = state["info"]
        self.__init__(state["thetas"], state["activation"], state["output"], info["label_base"], info["image"],
                      info["background"], info["ink"], digit_box=info.get("digit_box"))
        self.history, self.final_cost, self.device = state["history"], state["final_cost"], state["device"]
        self.seconds = state.get("seconds")

    def __repr__(self):
        sizes = "-".join(str(s) for s in self.layer_sizes)
        return f"digitnet.Model({sizes}, activation={self.activation!r}, output={self.output!r}, label_base={self.label_base})"


def load_model(path, activation=None, output=None, label_base=None):
    """Model.load(path, activation, output, label_base)."""
    return Model.load(path, activation, output, label_base)
