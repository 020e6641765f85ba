"""The seed's recipe, shared by every peer: 400-25-10, alpha 0.8, lambda 1, 800 iterations.

Standard library only (the interpreter is picked before numpy is imported)."""

import os

# bench/peers/recipe.py -> the repository's root
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALPHA, LAMBDA, ITERS = 0.8, 1.0, 800
INPUT, HIDDEN, LABELS = 400, 25, 10
