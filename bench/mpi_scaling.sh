#!/usr/bin/env bash
# Data-parallel speed on this machine: 1 process of 1 thread against 2 processes of 1 thread each
# (mpirun), full-batch gd on Fashion-MNIST (60000 x 784-256-10, float, CPU backend), then the
# allreduce alone. Prints a table; the load average before and after, and the control row (one
# process on both cores with 2 threads), say how much the two cores could give at the time (the
# speed-up means little when other work shares the cores).
#   bench/mpi_scaling.sh [iterations]      (default 10; needs build/digitnet built with MPI)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-10}
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || { echo "mpi_scaling: $data missing (apt-get install dataset-fashion-mnist)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "mpi_scaling: no mpirun (apt-get install openmpi-bin)" >&2; exit 2; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
train=(train --device cpu --data "$data" --hidden 256 --iters "$iterations" --precision float --json -q)

field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read()).get('$1', 0))"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc --all) cores"
one=$(build/digitnet "${train[@]}")
two=$(mpirun -q -np 2 --bind-to core build/digitnet "${train[@]}")
# The control: what the two cores give one process (2 OpenMP/BLAS threads) right now.
threads=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 build/digitnet "${train[@]}")
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

s1=$(echo "$one" | field seconds)
s2=$(echo "$two" | field seconds)
st=$(echo "$threads" | field seconds)
reduce=$(echo "$two" | field allreduce_seconds)
calls=$(echo "$two" | field allreduces)
python3 - "$iterations" "$s1" "$s2" "$reduce" "$calls" "$st" <<'PY'
import sys
iterations, s1, s2, reduce_s, calls, st = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{'run':<28}{'ms/iteration':>14}{'speed-up':>10}{'allreduce ms/call (incl. wait)':>34}")
print(f"{'1 process x 1 thread':<28}{s1 * 1e3 / iterations:>14.1f}{1.0:>10.2f}{'-':>34}")
print(f"{'2 processes x 1 thread':<28}{s2 * 1e3 / iterations:>14.1f}{s1 / s2:>10.2f}{reduce_s * 1e3 / max(calls, 1):>34.2f}")
print(f"{'control: 1 process x 2 thr.':<28}{st * 1e3 / iterations:>14.1f}{s1 / st:>10.2f}{'-':>34}")
PY
if [ -x build/bench/digitnet_bench_allreduce ]; then
  echo "the allreduce alone (after a barrier):"
  mpirun -q -np 2 --bind-to core build/bench/digitnet_bench_allreduce
fi
