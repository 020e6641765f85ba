#!/usr/bin/python3
"""The seed article, step by step, with digitnet from Python: load the digits, show 100 of them,
the cost at given weights, random initialisation, 800 iterations of gradient descent, accuracy.
Each number printed is the command line's for the same input (the command is shown beside it).

    PYTHONPATH=build/python scripts/seed_article.py          # from the build tree
    python3 scripts/seed_article.py                          # after `pip install .`
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np

import digitnet as dn

REPOSITORY = Path(__file__).resolve().parents[1]
EX4WEIGHTS = REPOSITORY.parent / "shared" / "data" / "ex4weights.mat"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data file (default: the embedded data/digits20.mat)")
    parser.add_argument("--weights", default=str(EX4WEIGHTS), help="weights for the cost step (skipped if missing)")
    parser.add_argument("--iterations", type=int, default=800)
    parser.add_argument("--out", default="seed_digits.png", help="where the 10x10 grid of digits goes")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"])
    args = parser.parse_args()

    # mat = loadmat('ex4data1.mat'); X = mat['X']; y = mat['y']
    data = dn.load_data(args.data)
    X, y = data.X, data.y
    print(f"X.shape, y.shape: {X.shape}, {y.shape}  (labels {y.min()}..{y.max()}, images {data.image[0]}x{data.image[1]})")

    # fig, axis = plt.subplots(10, 10); axis[i, j].imshow(X[...].reshape(20, 20, order='F'), cmap='gray')
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = np.random.default_rng(1).integers(0, X.shape[0], 100)
    fig, axis = plt.subplots(10, 10, figsize=(8, 8))
    for k, image in enumerate(data.images()[chosen]):
        axis[k // 10, k % 10].imshow(image, cmap="gray")
        axis[k // 10, k % 10].axis("off")
    fig.savefig(args.out)
    print(f"100 random digits drawn to {args.out}")

    # J, reg_J = costFunction(nn_params, X, y, 400, 25, 10, Lambda)
    if os.path.exists(args.weights):
        weights = dn.load_model(args.weights)
        for lambda_ in (0.0, 1.0):
            J, _ = dn.cost_and_gradient(weights.thetas, X, y, lambda_, label_base=data.label_base, device=args.device)
            print(f"Cost at parameters (lambda {lambda_:g}, {X.shape[0]} examples): {J:.6f}"
                  f"    # digitnet cost --model {os.path.relpath(args.weights)} --lambda {lambda_:g}")
    else:
        print(f"(no {args.weights}: the cost at given weights is skipped)")

    # initial_Theta1 = randomInitialization(400, 25); initial_Theta2 = randomInitialization(25, 10)
    sizes = [X.shape[1], 25, data.classes]
    initial = dn.random_initialization(sizes, seed=1)
    J, _ = dn.cost_and_gradient(initial, X, y, 1.0, label_base=data.label_base, device=args.device)
    epsilons = ", ".join(f"{np.sqrt(6) / np.sqrt(a + b):.4f}" for a, b in zip(sizes, sizes[1:]))
    print(f"random initial weights {[t.shape for t in initial]}, uniform in [-e, e], e = {epsilons}; cost {J:.6f}")

    # nn_params, J_history = gradientDescent(initial_nn_params, X, y, 400, 25, 10, 0.8, 800, 1)
    model = dn.train(X, y, hidden=[25], iterations=args.iterations, alpha=0.8, lambda_=1.0, seed=1,
                     device=args.device, label_base=data.label_base, image=data.image, progress=sys.stderr.isatty())
    print(f"gradient descent: {len(model.history)} iterations (alpha 0.8, lambda 1) on {model.device}")
    print(f"  cost  {model.history[0]:.6f} at the start, {model.final_cost:.6f} at the end"
          f"    # digitnet train --iters {args.iterations}: final cost")

    # pred = predict(Theta1, Theta2, X); print(f"Accuracy = {np.mean(pred[:, np.newaxis]==y) * 100}%")
    print(f"  train accuracy  {100 * model.accuracy(X, y, device=args.device):.2f}%")
    if data.X_test is not None:
        print(f"  test accuracy   {100 * model.accuracy(data.X_test, data.y_test, device=args.device):.2f}% "
              f"({data.X_test.shape[0]} held-out examples)")


if __name__ == "__main__":
    main()
