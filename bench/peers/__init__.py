"""bench_peers: digitnet against its peers on the seed's recipe, on this machine, in one run.

Every contestant trains the seed's network (400-25-10 sigmoid, regularised cost, full-batch
gradient descent, alpha 0.8, lambda 1, 800 iterations) on the same data (data/digits20.mat,
train X/y, test Xtest/ytest) from the same initial weights (the seed's uniform initialisation,
drawn once here with numpy's seeded generator and handed to digitnet with `train --init`):

  (a) numpy, the seed's code as written in the article: costFunction with its per-example
      backpropagation loop, and the gradientDescent loop around it. Timed on a few iterations
      (--seed-loop-iters, default 3) and extrapolated to 800: marked "extrapolated".
  (b) numpy, the same math vectorised (float64): the per-example loop becomes two GEMMs. The
      bias column of X and the one-hot Y are built once, outside the loop. Single iterations
      are timed (median), then the whole 800-iteration recipe is run unless --quick.
  (c) PyTorch when it can be imported: the same vectorised math (written out, not autograd),
      float32, on the CPU; on CUDA eagerly and with the whole step captured in one CUDA graph
      and replayed. TF32 stays off (PyTorch's default for matmul), so it is full float32.
  (d) digitnet: `digitnet train --device cpu` in float and double and, when `digitnet info
      --json` finds a GPU, `--device gpu` in float and double. Its own "seconds" (the training
      loop only, without loading) is the time, the median of --repeats runs; its time per
      iteration is that over the number of iterations (bench/digitnet_bench times single
      iterations).

Printed: one table (time per iteration, time of the 800-iteration recipe, final cost, train
and test accuracy, and each row's time per iteration divided by digitnet's float time on the
same kind of device), the floor of one iteration (GEMM FLOPs and minimum bytes; the measured
SGEMM/DGEMM rate of this CPU, and on a GPU its SGEMM rate and device-to-device copy
bandwidth), and how busy the machine was: before and after, and the share of the CPUs that
other processes took during the run (over 5%, the timings are flagged as disturbed). The same
goes to a JSON file (--json-out; default $OUT/peers-<host>-<date>.json when $OUT is set, else
bench/peers-<host>-<date>.json).

Timing: medians of repeated timings; on the GPU, CUDA events after a warm-up.

With --large (or --large-only, which skips the seed's recipe), also the large configurations of
issue 16 on a GPU (large.py): 60000 Fashion-MNIST examples on 784-1024-10 and 784-4096-4096-10,
one gradient-descent iteration, PyTorch in fp32 ("highest"), TF32 ("high") and autocast bf16,
eager and CUDA-graphed (and torch.compile with --compile), against digitnet --precision float /
tf32 / bf16, beside cuBLAS's own rate on the biggest GEMMs. Opt-in: heavy.

Usage: scripts/bench_peers [--digitnet build/digitnet] [--quick] [--large | --large-only [--compile]]
                           [--json-out FILE]
   or: cd bench && python3 -m peers ...   (the same; it re-runs scripts/bench_peers when needed)
Needs numpy (Debian: python3-numpy); scipy is used for the .mat files when it is there, otherwise
a small MATLAB v5 reader/writer of its own (enough for digits20.mat and the weights file);
PyTorch is optional. It starts under the first python3 on PATH; when that one lacks numpy, or
lacks torch while another python3 on the machine (PATH, /usr/bin, /usr/local/bin, /opt/conda,
/opt/venv) has numpy and torch, the script re-runs itself under that one.

The package's modules, one concern each (only interpreter and recipe import nothing beyond the
standard library, so that the interpreter can be picked before numpy is imported):
  interpreter    picking a python3 with numpy (and torch when one has it)
  recipe         the seed's recipe (sizes, alpha, lambda, iterations) and the repository's root
  matfile        MATLAB v5 .mat files: scipy when there, else a small reader/writer of its own
  machine        CPU model, load, how busy the machine was
  arithmetic     FLOPs and minimum bytes of one iteration, CPU timing helpers, GEMM rate
  seed_numpy     the article's numpy code and the same math vectorised
  torch_peers    PyTorch on the CPU and on CUDA (eager and one CUDA graph), the GPU's floor
  large          the large configurations (--large, --large-only)
  digitnet_peer  running the digitnet binary
  report         result rows, the table, the summary lines, the JSON file
  cli            the command line and the order of the run
"""
