"""numpy peers: (a) the seed's code as written in the article (only sigmoidGradient is not shown
there: it is the a(1-a) of the text, g(z)(1 - g(z))), and (b) the same math vectorised."""

import statistics
import time

import numpy as np

from .arithmetic import timed_samples
from .recipe import ALPHA, HIDDEN, INPUT, ITERS, LABELS, LAMBDA
from .report import row


def initial_weights(seed):
    """The seed's random initialisation, drawn once from a seeded generator: (Theta1, Theta2)."""
    rng = np.random.default_rng(seed)

    def random_initialisation(L_in, L_out):
        epi = np.sqrt(6) / np.sqrt(L_in + L_out)
        return rng.random((L_out, L_in + 1)) * 2 * epi - epi

    return random_initialisation(INPUT, HIDDEN), random_initialisation(HIDDEN, LABELS)


# --------------------------------------------------------------------------------------------
# The seed's code, as written in the article
# --------------------------------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def costFunction(nn_params, X, y, input_layer_size, hidden_layer_size, num_labels, Lambda):
    Theta1 = nn_params[:((input_layer_size + 1) * hidden_layer_size)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[((input_layer_size + 1) * hidden_layer_size):].reshape(num_labels, hidden_layer_size + 1)
    # Feedforward and Cost Function
    m = X.shape[0]
    X = np.column_stack((np.ones((m, 1)), X))  # 5000 x 401
    a2 = sigmoid(X @ Theta1.T)  # 5000 x 25
    a2 = np.hstack((np.ones((m, 1)), a2))  # 5000 x 26
    a3 = sigmoid(a2 @ Theta2.T)  # 5000 x 10
    y_matrix = np.zeros((m, num_labels))  # 5000 x 10
    for i in range(1, num_labels + 1):
        y_matrix[:, i - 1][:, np.newaxis] = np.where(y == i, 1, 0)
    J = np.sum(np.sum(-y_matrix * np.log(a3) - (1 - y_matrix) * np.log(1 - a3)))
    reg = Lambda / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    J = (1 / m) * J
    reg_J = J + reg
    grad1 = np.zeros((Theta1.shape))
    grad2 = np.zeros((Theta2.shape))
    for i in range(m):
        xi = X[i, :]  # 1 x 401
        a2i = a2[i, :]  # 1 x 26
        a3i = a3[i, :]  # 1 x 10
        d3 = a3i - y_matrix[i, :]
        d2 = (Theta2.T @ d3.T) * sigmoidGradient(np.hstack((1, xi @ Theta1.T)))
        grad1 = grad1 + d2[1:][:, np.newaxis] @ xi[:, np.newaxis].T
        grad2 = grad2 + d3.T[:, np.newaxis] @ a2i[:, np.newaxis].T
    grad1 = 1 / m * grad1
    grad2 = 1 / m * grad2
    grad1_reg = grad1 + Lambda / m * np.hstack((np.zeros((Theta1.shape[0], 1)), Theta1[:, 1:]))
    grad2_reg = grad2 + Lambda / m * np.hstack((np.zeros((Theta2.shape[0], 1)), Theta2[:, 1:]))
    return J, grad1, grad2, reg_J, grad1_reg, grad2_reg


def seed_gradient_descent_step(Theta1, Theta2, X, y):
    """One pass of the body of the seed's gradientDescent loop."""
    nn_params = np.append(Theta1.flatten(), Theta2.flatten())
    cost, grad1, grad2 = costFunction(nn_params, X, y, INPUT, HIDDEN, LABELS, LAMBDA)[3:]
    Theta1 = Theta1 - (ALPHA * grad1)
    Theta2 = Theta2 - (ALPHA * grad2)
    return Theta1, Theta2, cost


def seed_predict(Theta1, Theta2, X):
    m = X.shape[0]
    X = np.hstack((np.ones((m, 1)), X))
    a2 = sigmoid(X @ Theta1.T)
    a2 = np.hstack((np.ones((m, 1)), a2))
    a3 = sigmoid(a2 @ Theta2.T)
    return np.argmax(a3, axis=1) + 1


# --------------------------------------------------------------------------------------------
# The same math vectorised (numpy; and torch, in torch_peers.py, line for line the same)
# --------------------------------------------------------------------------------------------

class NumpyVectorised:
    """X1 = [1, X] (m x 401) and one-hot Y (m x 10) are built once; a step is then
    forward (2 GEMMs), cost, deltas (1 GEMM), gradients (2 GEMMs), update."""

    def __init__(self, X, y, Theta1, Theta2):
        m = X.shape[0]
        self.m = m
        self.X1 = np.column_stack((np.ones((m, 1)), X))
        self.Y = (y.reshape(-1, 1) == np.arange(1, LABELS + 1)).astype(np.float64)
        self.Theta1, self.Theta2 = Theta1.copy(), Theta2.copy()

    def cost_and_gradient(self, want_gradient=True):
        m, X1, Y, T1, T2 = self.m, self.X1, self.Y, self.Theta1, self.Theta2
        a2 = sigmoid(X1 @ T1.T)  # m x 25
        a2 = np.hstack((np.ones((m, 1)), a2))  # m x 26
        a3 = sigmoid(a2 @ T2.T)  # m x 10
        J = np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)) / m
        J += LAMBDA / (2 * m) * (np.sum(T1[:, 1:] ** 2) + np.sum(T2[:, 1:] ** 2))
        if not want_gradient:
            return J, None, None
        d3 = a3 - Y  # m x 10
        d2 = (d3 @ T2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])  # m x 25
        grad1 = d2.T @ X1 / m  # 25 x 401
        grad2 = d3.T @ a2 / m  # 10 x 26
        grad1[:, 1:] += LAMBDA / m * T1[:, 1:]
        grad2[:, 1:] += LAMBDA / m * T2[:, 1:]
        return J, grad1, grad2

    def step(self):
        J, grad1, grad2 = self.cost_and_gradient()
        self.Theta1 = self.Theta1 - ALPHA * grad1
        self.Theta2 = self.Theta2 - ALPHA * grad2
        return J


def accuracy_np(Theta1, Theta2, X, y):
    return float(np.mean(seed_predict(Theta1, Theta2, X) == y.ravel()))


# --------------------------------------------------------------------------------------------
# The two numpy peers and the check that they compute the same thing
# --------------------------------------------------------------------------------------------

def seed_code_peer(X, y, init, loop_iters):
    """(a) The seed's own loop, timed on `loop_iters` iterations, extrapolated to the recipe."""
    T1, T2 = init
    samples = []
    for _ in range(loop_iters):
        start = time.perf_counter()
        T1, T2, _cost = seed_gradient_descent_step(T1, T2, X, y)
        samples.append(time.perf_counter() - start)
    per_iter = statistics.median(samples)
    return row("numpy seed code (per-example loop), float64", "cpu", per_iter, per_iter * ITERS,
               False, None, None, None, extra={"samples_seconds": samples})


def seed_vs_vectorised_agreement(X, y, init):
    """Largest relative difference (cost, gradients) of the seed's loop and the vectorised math
    at the initial weights."""
    J_seed, _, _, regJ_seed, g1_seed, g2_seed = costFunction(np.append(init[0].flatten(), init[1].flatten()), X, y,
                                                            INPUT, HIDDEN, LABELS, LAMBDA)
    check = NumpyVectorised(X, y, *init)
    J_vec, g1_vec, g2_vec = check.cost_and_gradient()
    return max(abs(J_vec - regJ_seed) / abs(regJ_seed),
               np.max(np.abs(g1_vec - g1_seed)) / np.max(np.abs(g1_seed)),
               np.max(np.abs(g2_vec - g2_seed)) / np.max(np.abs(g2_seed)))


def numpy_vectorised_peer(data, init, samples_count, quick):
    """(b) Vectorised numpy, float64: single iterations timed, then the recipe unless quick."""
    X, y, Xt, yt = data
    net = NumpyVectorised(X, y, *init)
    for _ in range(3):
        net.step()
    net = NumpyVectorised(X, y, *init)
    samples = timed_samples(net.step, samples_count)
    per_iter = statistics.median(samples)
    if quick:
        return row("numpy vectorised, float64", "cpu", per_iter, per_iter * ITERS, False, None, None,
                   None, extra={"samples_seconds": samples})
    net = NumpyVectorised(X, y, *init)
    start = time.perf_counter()
    for _ in range(ITERS):
        net.step()
    recipe = time.perf_counter() - start
    J = net.cost_and_gradient(want_gradient=False)[0]
    return row("numpy vectorised, float64", "cpu", per_iter, recipe, True, J,
               accuracy_np(net.Theta1, net.Theta2, X, y), accuracy_np(net.Theta1, net.Theta2, Xt, yt),
               extra={"samples_seconds": samples})
