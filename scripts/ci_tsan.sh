#!/usr/bin/env bash
# CI, after ci_sanitizers.sh (.ci/run): the tests that run threads, under ThreadSanitizer, in
# build-tsan/ (clang, CPU only: no CUDA, whose runtime TSan cannot see into; no Python module: an
# instrumented module cannot be loaded into the uninstrumented python3; no MPI: Open MPI's
# progress threads are not instrumented either). Fails when a test fails or TSan reports a race,
# also from a `digitnet` process a test starts (the reports also go to files, log_path).
#
# What runs, and the threads it exercises:
#   cpu, train    the CPU backend's OpenMP loops (one slice of examples per thread) and the
#                 optimizers on them, with 2 OpenMP threads
#   serve         `digitnet serve`: the HTTP server's worker threads, the training session's
#                 background thread, a stop from another request (serve.http)
#   cli           the interrupt handling (SIGINT/SIGTERM during training, checkpoints) and
#                 concurrent saves
#   mpi           the shard readers and the data-parallel backend within one process
#
# OpenMP under TSan: clang's -fopenmp links LLVM's libomp, which is not built with TSan, so its
# barriers and task hand-offs are invisible and every parallel loop would read as a race. Archer
# (libarcher.so, LLVM's OpenMP tool for TSan, in Debian's libomp-14-dev) tells TSan about them
# through OMPT; it is loaded with OMP_TOOL_LIBRARIES. Where it is missing the CPU tests run with
# OMP_NUM_THREADS=1 (a line says so): their loops are then not checked, the rest still is.
# Environment: JOBS (default: the number of cores), CXX_SANITIZE (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-$(nproc)}
cxx=${CXX_SANITIZE:-clang++}
started=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/digitnet-tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
logs=$work/logs
mkdir -p "$logs"
# halt_on_error=0: a test that races still finishes, and every report lands in the logs.
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 log_path=$logs/tsan suppressions=$root/tests/sanitizers/tsan.supp"

archer=""
for candidate in /usr/lib/llvm-14/lib/libarcher.so /usr/lib/x86_64-linux-gnu/libarcher.so; do
  [ -f "$candidate" ] && { archer=$candidate; break; }
done

echo "ci_tsan: == build (ThreadSanitizer, build-tsan/)"
cmake -S . -B build-tsan -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DDIGITNET_CUDA=OFF -DDIGITNET_BENCH=OFF \
      -DDIGITNET_PYTHON=OFF -DDIGITNET_MPI=OFF -DDIGITNET_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$jobs"
build_seconds=$((SECONDS - started))

echo "ci_tsan: == tests under TSan"
tests_ok=1
if [ -n "$archer" ]; then
  export OMP_TOOL_LIBRARIES=$archer OMP_NUM_THREADS=2
  echo "ci_tsan: OpenMP through Archer ($archer), 2 threads"
else
  export OMP_NUM_THREADS=1
  echo "ci_tsan: no libarcher.so (libomp-14-dev): the CPU tests run with OMP_NUM_THREADS=1, their loops unchecked"
fi
ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L 'cpu|train|serve|mpi' -E 'serve.browser' || tests_ok=0
ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L cli -R 'Interrupt|Checkpoint|ConcurrentSaves' || tests_ok=0

reports=0
for file in "$logs"/*; do
  [ -e "$file" ] || continue
  if grep -q "WARNING: ThreadSanitizer" "$file"; then
    echo "ci_tsan: ThreadSanitizer report in $(basename "$file"):"
    cat "$file"
    reports=1
  fi
done
printf 'ci_tsan: build %d s, tests %d s\n' "$build_seconds" $((SECONDS - started - build_seconds))
[ "$tests_ok" = 1 ] || { echo "ci_tsan: FAILED: a test failed under TSan"; exit 1; }
[ "$reports" = 0 ] || { echo "ci_tsan: FAILED: ThreadSanitizer reported (above)"; exit 1; }
echo "ci_tsan: passed"
