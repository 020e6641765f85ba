#!/usr/bin/env bash
# gpu_check.sh: everything to run on the lent GPU machine, in ONE call, with the logs under $OUT.
#
# Usage: first, here, `scripts/gpu_bundle.sh` (builds for sm_90 and packs .gpu/); then, through the
# device tool, from the repository root:
#     run(command="bash scripts/gpu_check.sh", carry=[".gpu"])
#     run(command="bash scripts/gpu_check.sh tests bench", carry=[".gpu"])     (only some steps)
#     run(command="bash scripts/gpu_check.sh setup && . .gpu/env.sh && build-gpu/digitnet info", carry=[".gpu"])
#     run(command="bash scripts/gpu_check.sh precision", carry=[".gpu"], timeout_s=400)   (issue 16, ~5 min)
#     run(command="bash scripts/gpu_check.sh floor", carry=[".gpu"], timeout_s=560)       (issue 12, ~5-6 min)
#     run(command="bash scripts/gpu_check.sh nccl", carry=[".gpu"], timeout_s=200)        (issue 14, < 2 min)
#
# A session's 15 minutes of device time (a start takes 1-2 of them), in order of what is owed:
#     1. run(command="bash scripts/gpu_check.sh floor", carry=[".gpu"], timeout_s=560)
#        issue 12: the persistent kernel, the 3xTF32 tile products (dev/cuda): ~5-6 minutes
#     2. run(command="bash scripts/gpu_check.sh tests nccl", carry=[".gpu"], timeout_s=360)
#        every GPU test (issues 11-16) and issue 14's NCCL checks: ~3-4 minutes
#     3. with 6 minutes left: run(command="bash scripts/gpu_check.sh precision", carry=[".gpu"], timeout_s=400)
#        issue 16's measurements (~5 minutes); otherwise first in the next session
#     then give_back; sanitizer/bench/profile/peers (the default list) in a later session.
#
# Steps (default: all, in this order; each under its own time limit, so that the whole call ends
# well inside the tool's 10 minutes):
#   setup      unpack .gpu/bundle.tar.xz; make the absolute paths baked in at build time (source
#              folder, build folder, ../shared) point at this copy; find the libraries; write
#              .gpu/env.sh. Always runs first.
#   tests      ctest: the GPU tests (-L gpu, dev/cuda's GPU tests among them: the bundle is built
#              with -DDIGITNET_DEV=ON) four at a time and verbose (they print their worst
#              error ratios; their timings are not measurements), then the conformance suite (the
#              rest of the suite too with DIGITNET_GPU_CHECK_ALL=1).
#   sanitizer  compute-sanitizer memcheck, racecheck and initcheck on the kernel tests and on
#              backend tests of both paths (skipped when compute-sanitizer is not there).
#   bench      digitnet_bench (GPU and CPU rows; the large mixed-precision and wide rows, and the
#              cuBLAS tf32/bf16/wide ceilings, are the precision step's), then digitnet_dev_bench
#              (dev/cuda's experiments beside the fused path).
#   profile    Nsight Compute: the device time of each kernel of a few iterations, on the fused and
#              the general path.
#   peers      scripts/bench_peers (numpy, PyTorch eager and graphed, digitnet) when it is there.
#   precision  issue 16 (not in the default list: its own call): the tf32/bf16 GPU tests against the
#              CPU emulation and the conformance suite's CUDA tf32/bf16 cases; digitnet_bench's
#              large and wide rows in every precision and the cuBLAS ceilings for each precision
#              and shape (with /ld8 rows: leading dimensions padded to 8, to see whether our odd
#              785/4097 cost the tensor cores anything); bench_peers
#              --large-only (PyTorch fp32/"high" TF32/autocast bf16, eager and graphed); Nsight
#              Compute's device time of each kernel of the large iteration in float/tf32/bf16 (the
#              GEMMs' own rate against the cuBLAS rows). Its log:
#              precision.log.
#   precision_compile  the same peers with torch.compile too (optional, a call of its own).
#   floor      issue 12 (not in the default list: its own call, ~5-6 minutes, at most 8): the
#              experiments of dev/cuda: the persistent kernel and its backend, their GPU tests
#              (digitnet_dev_tests_gpu) with the fused path's beside them; the seed rows of every
#              path (digitnet_bench: default, fused, general; digitnet_dev_bench: persistent;
#              float and double) side by side, median of 3 repetitions, and 1/8/32/128
#              iterations per CUDA graph; the 3xTF32 tile products and their test
#              (digitnet_dev_bench, digitnet_dev_tests_gpu); Nsight Compute on the persistent
#              kernel's first 32-iteration chunk
#              (duration, occupancy, stalls); compute-sanitizer memcheck, racecheck and initcheck
#              on its tests (last: the slowest). Its log: floor.log; the short table it ends with
#              (floor_table.txt, rewritten after each part) is printed last.
#   nccl       issue 14 (not in the default list: its own call, under 2 minutes): the NCCL version
#              found; the NCCL GPU tests (digitnet_tests_nccl: one process, as NCCL refuses two on
#              one GPU; NCCL inside the CUDA graph against the GPU run without it and against the
#              step-by-step path, the agreed stop); digitnet_bench_nccl_allreduce (the NCCL sum's
#              latency on one GPU for the seed's, 784-256-10's and the large config's parameter
#              counts: the numbers bench/RESULTS.md's paper model waits for); and `mpirun -np 1
#              digitnet train --device gpu` where an Open MPI mpirun is there (skipped with a line
#              saying so where it is not: the tests above need no launcher). Its log: nccl.log.
#              libnccl is not in the bundle (over 200 MB): setup takes the nvidia-nccl wheel's.
# Files under $OUT (the tool brings back at most 8): summary.txt, setup.log, tests.log,
# sanitizer.log, bench.log, profile.log, peers.log (or precision.log, or floor.log and
# floor_table.txt, or nccl.log) and the peers JSON that bench_peers writes itself.
# The exit status is that of the first step that failed (0 when all passed).
# shellcheck disable=SC2317  # the steps are called indirectly, through `--step NAME`
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export OUT=${OUT:-$ROOT/.gpu/out}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
STATUS=0

note() { echo "$*" | tee -a "$SUMMARY"; }

# run_step NAME SECONDS: runs the step (this script again, as `--step NAME`, so that `timeout` can
# stop it with everything it started) with its output in $OUT/NAME.log and its verdict in the summary.
run_step() {
  local name=$1 limit=$2
  local start=$SECONDS
  timeout --kill-after=10 "$limit" bash "$ROOT/scripts/gpu_check.sh" --step "$name" >>"$OUT/$name.log" 2>&1
  local rc=$?
  local verdict="ok"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    verdict="TIMED OUT after ${limit}s"
  elif [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc)"
  fi
  note "$(printf '%-10s %-24s %4ds' "$name" "$verdict" $((SECONDS - start)))"
  if [ $rc -ne 0 ] && [ $STATUS -eq 0 ]; then STATUS=$rc; fi
  return $rc
}

setup() {
  if [ ! -f .gpu/bundle.tar.xz ] || [ ! -f .gpu/manifest ]; then
    echo "gpu_check: no .gpu/bundle.tar.xz; HINT: run scripts/gpu_bundle.sh here first and carry .gpu"
    return 1
  fi
  # shellcheck disable=SC1091
  . .gpu/manifest
  echo "bundle: commit $COMMIT, built $BUILT, needs glibc >= $NEED_GLIBC ($COMPAT_GLIBC with lib-compat); here: $(ldd --version | head -1)"
  rm -rf .gpu/lib .gpu/lib-compat .gpu/build .gpu/shared
  tar -C .gpu -xJf .gpu/bundle.tar.xz 2>/dev/null || python3 -m tarfile -e .gpu/bundle.tar.xz .gpu || return 1
  rm -rf "$BUILD_DIR"
  mkdir -p "$(dirname "$BUILD_DIR")"
  mv .gpu/build "$BUILD_DIR"

  # The binaries and ctest files name SOURCE_DIR (the checkout where they were built): make that
  # path lead here, and SOURCE_DIR/../shared lead to the carried shared data.
  if [ "$(readlink -f "$SOURCE_DIR" 2>/dev/null)" != "$(readlink -f "$ROOT")" ]; then
    if [ -e "$SOURCE_DIR" ] || [ -L "$SOURCE_DIR" ]; then
      echo "gpu_check: $SOURCE_DIR exists here and is not this checkout: the tests' baked-in paths will miss"
      return 1
    fi
    mkdir -p "$(dirname "$SOURCE_DIR")"
    ln -s "$ROOT" "$SOURCE_DIR"
    echo "linked $SOURCE_DIR -> $ROOT"
  fi
  local shared
  shared="$(dirname "$SOURCE_DIR")/shared"
  if [ -d .gpu/shared ] && [ ! -e "$shared/data/ex4weights.mat" ] && [ ! -e "$shared" ]; then
    ln -s "$ROOT/.gpu/shared" "$shared"
    echo "linked $shared -> $ROOT/.gpu/shared"
  fi

  # Libraries: ours first; the compat ones (libstdc++, libgcc_s, libgomp) only when needed; cuBLAS
  # from the toolkit, or from PyTorch's wheels, if the loader does not find it by itself.
  local libpath="$ROOT/.gpu/lib"
  local binaries=("$BUILD_DIR/digitnet" "$BUILD_DIR"/tests/digitnet_tests_* "$BUILD_DIR/bench/digitnet_bench")
  [ -x "$BUILD_DIR/dev/cuda/digitnet_dev_tests_gpu" ] && binaries+=("$BUILD_DIR"/dev/cuda/digitnet_dev_*)
  [ -x "$BUILD_DIR/tests/digitnet_gpu_memory_tests" ] && binaries+=("$BUILD_DIR/tests/digitnet_gpu_memory_tests")
  [ -x "$BUILD_DIR/bench/digitnet_bench_nccl_allreduce" ] && binaries+=("$BUILD_DIR/bench/digitnet_bench_nccl_allreduce")
  missing() { LD_LIBRARY_PATH=$libpath ldd "${binaries[@]}" 2>&1 | grep -E "not found" || true; }
  if [ -n "$(missing)" ]; then
    for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
               $(python3 -c 'import nvidia, os; p = os.path.dirname(nvidia.__path__[0]); print(" ".join(os.path.join(p, "nvidia", d, "lib") for d in ("cublas", "cuda_runtime", "cu13")))' 2>/dev/null); do
      if missing | grep -q -E "libcu(blas|blasLt|dart)" && [ -d "$dir" ] && ls "$dir"/libcublas.so* >/dev/null 2>&1; then
        libpath="$libpath:$dir"
      fi
    done
  fi
  # NCCL (not carried): the toolkit's, or PyTorch's nvidia-nccl wheel.
  if missing | grep -q libnccl; then
    for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu \
               $(python3 -c 'import nvidia, os; print(os.path.join(os.path.dirname(nvidia.__path__[0]), "nvidia", "nccl", "lib"))' 2>/dev/null); do
      if missing | grep -q libnccl && [ -d "$dir" ] && ls "$dir"/libnccl.so* >/dev/null 2>&1; then
        libpath="$libpath:$dir"
        echo "NCCL from $dir"
      fi
    done
  fi
  if [ -n "$(missing)" ]; then
    libpath="$libpath:$ROOT/.gpu/lib-compat"
    echo "using the carried libstdc++/libgcc_s/libgomp"
  fi
  if [ -n "$(missing)" ]; then
    echo "gpu_check: libraries still missing:"
    missing
    if missing | grep -q libnccl; then
      echo "HINT: no libnccl on this machine (nor a nvidia-nccl wheel): bundle with DIGITNET_NCCL=OFF scripts/gpu_bundle.sh"
    fi
    return 1
  fi
  cat >.gpu/env.sh <<EOF
export LD_LIBRARY_PATH=$libpath\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export DIGITNET_BUILD=$BUILD_DIR
EOF
  echo "LD_LIBRARY_PATH=$libpath"
  nvidia-smi || true
  LD_LIBRARY_PATH=$libpath "$BUILD_DIR/digitnet" info || true
}

tests() {
  # Four at a time (each test is a process that starts its own CUDA context, which costs more than
  # most tests take; they share the GPU without changing a result: every sum has a fixed order).
  # -V prefixes each line with its test's number; the out-of-memory test still runs alone.
  echo "== GPU tests (label gpu), four at a time"
  ctest --test-dir "$BUILD_DIR" -L gpu -V -j4 --timeout 300
  local gpu=$?
  # The conformance suite holds the CUDA paths' cases too; the rest of the suite is CI's (no GPU
  # needed), left out to keep device time for the measurements (DIGITNET_GPU_CHECK_ALL=1 runs it).
  echo "== the conformance suite (every backend and path, CUDA included)"
  local labels=conformance
  [ "${DIGITNET_GPU_CHECK_ALL:-0}" = 1 ] && labels=''
  ctest --test-dir "$BUILD_DIR" -LE gpu ${labels:+-L "$labels"} --output-on-failure -j8 --timeout 300
  local rest=$?
  # The Python module's GPU tests, with this machine's python3 where the carried module imports
  # in it (it is built for this checkout's Python; a different version cannot load it).
  if PYTHONPATH="$BUILD_DIR/python" python3 -c "import digitnet, pytest, numpy, scipy" 2>/dev/null; then
    echo "== the Python module on the GPU (tests/python/test_gpu.py)"
    PYTHONPATH="$BUILD_DIR/python:$ROOT/tests/python" DIGITNET_BINARY="$BUILD_DIR/digitnet" \
      python3 -m pytest -q -p no:cacheprovider "$ROOT/tests/python/test_gpu.py" || rest=1
  else
    echo "the Python module's GPU tests skipped: $(python3 --version 2>&1) here cannot import the carried" \
      "module with pytest, numpy and scipy"
  fi
  [ "$gpu" -eq 0 ] && [ "$rest" -eq 0 ]
}

sanitizer() {
  local tool
  tool=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
  if [ -z "$tool" ]; then
    echo "compute-sanitizer not found: skipped"
    return 0
  fi
  local t="$BUILD_DIR/tests/digitnet_tests_gpu" rc=0
  echo "== memcheck"
  "$tool" --tool memcheck --error-exitcode 1 "$t" \
    --gtest_filter='CudaKernels*:CudaFusedPath.*:CudaBackend.GradientDescentMatchesStepByStepUpdates:Combinations/CudaGradientCheck.InDouble/relu_softmax:CudaBackend.PredictsWithoutATrainingSet:CudaBackend.ASecondTrainingSetReplacesTheFirst:AwkwardSizes/CudaBackendAgainstReference.*m37_20_7_25_13_4*:AwkwardSizes/*m20000_20_7_3*:AwkwardSizes/CudaConformance.*m1000_50_25_7_7_tanh_softmax*:Precisions/CudaMiniBatch.*' || rc=1
  echo "== racecheck"
  "$tool" --tool racecheck --error-exitcode 1 "$t" \
    --gtest_filter='CudaKernels*OutputDeltaCost*:CudaKernels*Regularized*:CudaKernels*OneHidden*:AwkwardSizes/*m300_30_32_32*:AwkwardSizes/*m1000_400_7_10_float*:AwkwardSizes/*m20000_20_7_3_float*' || rc=1
  echo "== initcheck"
  "$tool" --tool initcheck --error-exitcode 1 "$t" \
    --gtest_filter='CudaKernels*OneHidden*:CudaKernels*Softmax*:CudaBackend.GradientDescentMatchesStepByStepUpdates:CudaBackend.PredictsWithoutATrainingSet:AwkwardSizes/*m37_400_25_10*:AwkwardSizes/*m300_30_32_32*:AwkwardSizes/*m37_20_7_25_13_4*:AwkwardSizes/CudaConformance.*m37_13_1_4_relu_softmax*:Precisions/CudaMiniBatch.*' || rc=1
  return "$rc"
}

bench() {
  "$BUILD_DIR/bench/digitnet_bench" --benchmark_filter='-^gpu/(wide/|large/(tf32|bf16)|cublas/(wide|.*/(tf32|bf16)))' || return 1
  # The experiments of dev/cuda beside the paths they would replace.
  if [ -x "$BUILD_DIR/dev/cuda/digitnet_dev_bench" ]; then
    "$BUILD_DIR/dev/cuda/digitnet_dev_bench"
  else
    echo "no digitnet_dev_bench in the bundle (built without -DDIGITNET_DEV=ON): dev rows skipped"
  fi
}

# Nsight Compute's command line, or nothing when it is not installed.
nsight_compute() {
  command -v ncu || find /usr/local/cuda/bin /opt/nvidia/nsight-compute -name ncu -type f 2>/dev/null | head -1 || true
}

# Issue 16 in one call: correctness first (a failure there makes the timings moot), then timings.
precision() {
  local rc=0 start=$SECONDS
  echo "== tf32/bf16: the GPU against the CPU emulation, and the CUDA cases of the conformance suite"
  "$BUILD_DIR/tests/digitnet_tests_gpu" --gtest_filter='*MixedPrecision*' || rc=1
  "$BUILD_DIR/tests/digitnet_tests_conformance" --gtest_filter='*cuda_general_tf32*:*cuda_general_bf16*' \
    | grep -E 'worst|FAILED|PASSED|SKIPPED' || rc=1
  echo "== digitnet_bench: large (784-1024-10) and wide (784-4096-4096-10), every precision; cuBLAS alone"
  "$BUILD_DIR/bench/digitnet_bench" --benchmark_filter='^gpu/(large|wide)/|^gpu/cublas' || rc=1
  echo "== the large iteration's kernels in each precision (device time of each; the GEMMs' share)"
  local ncu
  ncu=$(nsight_compute)
  if [ -n "$ncu" ]; then
    local p
    for p in float tf32 bf16; do
      echo "-- gpu/large/$p"
      "$ncu" --metrics gpu__time_duration.sum --launch-skip 200 --launch-count 40 --kill yes --csv \
        "$BUILD_DIR/bench/digitnet_bench" --benchmark_filter="^gpu/large/$p/" | grep -E '^"|==PROF==' || rc=1
    done
  else
    echo "ncu not found: per-kernel times skipped"
  fi
  echo "== bench_peers --large-only: PyTorch fp32/tf32/bf16 against digitnet on the same GPU"
  PYTHONUNBUFFERED=1 scripts/bench_peers --large-only --digitnet "$BUILD_DIR/digitnet" || rc=1
  echo "precision step: $((SECONDS - start)) s"
  return "$rc"
}

# The same peers with torch.compile as well (six compilations: minutes); a call of its own.
precision_compile() {
  PYTHONUNBUFFERED=1 scripts/bench_peers --large-only --compile --digitnet "$BUILD_DIR/digitnet"
}

# Issue 14 in one call (see the header): correctness first, then the latency.
nccl() {
  local rc=0 start=$SECONDS
  echo "== the build and the NCCL found"
  "$BUILD_DIR/digitnet" info | grep -E "GPU|MPI|NCCL"
  if [ ! -x "$BUILD_DIR/bench/digitnet_bench_nccl_allreduce" ]; then
    echo "this build has no NCCL (digitnet_bench_nccl_allreduce was not built): nothing to check"
    return 1
  fi
  echo "== NCCL GPU tests (one process): digitnet_tests_nccl"
  "$BUILD_DIR/tests/digitnet_tests_nccl" || rc=1
  echo "== the NCCL sum on one GPU: digitnet_bench_nccl_allreduce"
  "$BUILD_DIR/bench/digitnet_bench_nccl_allreduce" || rc=1
  echo "== mpirun -np 1 digitnet train --device gpu"
  if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found on this machine: skipped (the tests above need no launcher)"
  elif ! mpirun --version 2>&1 | grep -q "Open MPI"; then
    echo "mpirun here is not Open MPI ($(mpirun --version 2>&1 | head -1)): skipped (digitnet carries Open MPI's library)"
  else
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 60 mpirun -np 1 \
      "$BUILD_DIR/digitnet" train --device gpu --iters 200 --save "$OUT/nccl_model.mat" || rc=1
    rm -f "$OUT/nccl_model.mat"
  fi
  echo "nccl step: $((SECONDS - start)) s"
  return "$rc"
}

# The short table that ends the floor step, from what its parts left in $1 (rewritten after
# each part, so that a step stopped by its time limit still leaves one).
floor_table() {
  local tmp=$1 rc=$2 start=$3 check path f d
  {
    echo "issue 12 (floor) on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), $(date -u +%Y-%m-%dT%H:%MZ), bundle ${COMMIT:-?}"
    printf '%-34s %s\n' "GPU tests (persistent + fused)" \
      "$(grep -h -E '^\[  (PASSED|FAILED)  \]' "$tmp/tests.txt" 2>/dev/null | tr '\n' ' ')"
    echo "seed iteration, us (digitnet_bench, median of 3; wall time of 800-iteration chunks / 800):"
    printf '  %-12s %10s %10s\n' path float double
    for path in default fused general persistent; do
      f=$(awk -v p="$path" -v t=float '{ n = $1; sub(/\/iterations.*/, "", n); split(n, part, "/");
            q = part[4] == "" ? "default" : part[4];
            if (part[1] == "gpu" && part[2] == "seed" && part[3] == t && q == p && $1 ~ /_median$/) print $2 " " $3 }' \
            "$tmp/bench.txt" 2>/dev/null)
      d=$(awk -v p="$path" -v t=double '{ n = $1; sub(/\/iterations.*/, "", n); split(n, part, "/");
            q = part[4] == "" ? "default" : part[4];
            if (part[1] == "gpu" && part[2] == "seed" && part[3] == t && q == p && $1 ~ /_median$/) print $2 " " $3 }' \
            "$tmp/bench.txt" 2>/dev/null)
      printf '  %-12s %10s %10s\n' "$path" "${f:--}" "${d:--}"
    done
    grep -h -o 'the persistent kernel cannot run[^"]*' "$tmp/bench.txt" 2>/dev/null | sort -u | sed 's/^/  REFUSED: /'
    echo "iterations per CUDA graph (float, us an iteration, median of 3):"
    grep -h -E '^gpu/seed/float(/general)?/graph[0-9]+/.*_median ' "$tmp/bench.txt" 2>/dev/null |
      awk '{ n = $1; sub(/\/iterations.*/, "", n); printf "  %-34s %s %s\n", n, $2, $3 }'
    printf '%-34s %s\n' "3xTF32 warp product tests" \
      "$(grep -h -E '^\[  (PASSED|FAILED)  \]' "$tmp/tf32x3_tests.txt" 2>/dev/null | tr '\n' ' ')"
    echo "seed tile products (median of 3):"
    grep -h -E '^gpu/tile/.*_median ' "$tmp/tile.txt" 2>/dev/null | awk '{ printf "  %-60s %s %s\n", $1, $2, $3 }'
    echo "persistent kernel, ncu (base clocks, caches flushed; one launch of 32 iterations):"
    grep -h -E '^ *(Duration|Registers Per Thread|Dynamic Shared Memory Per Block|Block Limit (Registers|Shared Mem)|Theoretical Occupancy|Achieved Occupancy|Compute \(SM\) Throughput|Memory Throughput) ' \
      "$tmp/ncu.txt" 2>/dev/null | sed 's/^ */  /' | head -12
    for check in memcheck racecheck initcheck; do
      printf '%-34s %s\n' "compute-sanitizer $check" "$(cat "$tmp/$check.verdict" 2>/dev/null || echo 'not run (yet)')"
    done
    echo "floor step: $((SECONDS - start)) s so far, status $rc"
  } >"$OUT/floor_table.txt"
}

# Issue 12 in one call: the persistent kernel's tests first (a failure there makes the timings
# moot), then the seed's time an iteration on every path and where the persistent kernel's time
# goes, then the sanitizers (the slowest part, last: a time limit then costs only them).
floor() {
  local rc=0 start=$SECONDS tmp
  local t="$BUILD_DIR/tests/digitnet_tests_gpu" bench="$BUILD_DIR/bench/digitnet_bench"
  local dev_t="$BUILD_DIR/dev/cuda/digitnet_dev_tests_gpu" dev_bench="$BUILD_DIR/dev/cuda/digitnet_dev_bench"
  if [ ! -x "$dev_t" ] || [ ! -x "$dev_bench" ]; then
    echo "the bundle has no dev/cuda binaries: HINT: scripts/gpu_bundle.sh builds with -DDIGITNET_DEV=ON"
    return 1
  fi
  tmp=$(mktemp -d)
  echo "== 1. GPU tests: the persistent kernel and backend (dev/cuda), the fused path's beside them"
  { timeout 100 "$dev_t" --gtest_filter='*Persistent*' || rc=1
    timeout 60 "$t" --gtest_filter='CudaFusedPath.*:CudaKernels*OneHidden*' || rc=1; } >"$tmp/tests.txt" 2>&1
  cat "$tmp/tests.txt"
  floor_table "$tmp" "$rc" "$start"

  echo "== 2. digitnet_bench: the seed on every path, median of 3 repetitions; the 3xTF32 tile products"
  timeout 120 "$bench" --benchmark_filter='^gpu/seed/(float|double)' --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true >"$tmp/bench.txt" 2>&1 || rc=1
  timeout 60 "$dev_bench" --benchmark_filter='^gpu/seed/(float|double)/persistent' --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true >>"$tmp/bench.txt" 2>&1 || rc=1
  cat "$tmp/bench.txt"
  # Whether 3xTF32 mma beats the fused kernel's FP32 loop on the seed's tile products (and the
  # 3xTF32 warp product's own test), before anyone wires it into a kernel.
  timeout 60 "$dev_t" --gtest_filter='CudaTf32x3.*' >"$tmp/tf32x3_tests.txt" 2>&1 || rc=1
  timeout 60 "$dev_bench" --benchmark_filter='^gpu/tile/' --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true >"$tmp/tile.txt" 2>&1 || rc=1
  cat "$tmp/tf32x3_tests.txt" "$tmp/tile.txt"
  floor_table "$tmp" "$rc" "$start"

  echo "== 3. Nsight Compute: the persistent kernel's first chunk of the seed in float (32 iterations)"
  local ncu_tool
  ncu_tool=$(nsight_compute)
  if [ -n "$ncu_tool" ]; then
    # Launch 0 is the backend's warm-up (1 iteration); launch 1 the loop's first chunk (kFirstChunk).
    timeout 70 "$ncu_tool" --kernel-name regex:persistent_training --launch-skip 1 --launch-count 1 --kill yes \
      --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
      --section SchedulerStats --section MemoryWorkloadAnalysis \
      "$dev_bench" --benchmark_filter='^gpu/seed/float/persistent' >"$tmp/ncu.txt" 2>&1 || rc=1
    cat "$tmp/ncu.txt"
  else
    echo "ncu not found: skipped" | tee "$tmp/ncu.txt"
  fi
  floor_table "$tmp" "$rc" "$start"

  echo "== 4. compute-sanitizer on the persistent kernel's tests"
  local tool check filter verdict
  tool=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
  for check in memcheck racecheck initcheck; do
    if [ -z "$tool" ]; then echo "compute-sanitizer not found" >"$tmp/$check.verdict"; continue; fi
    filter='CudaKernels/*.PersistentTraining*:AwkwardSizes/CudaPersistentPath.*m37_400_25_10*:AwkwardSizes/CudaPersistentPath.*m300_30_32_32*:CudaPersistentPath.MiniBatches*'
    [ "$check" = racecheck ] && filter='CudaKernels/*.PersistentTraining*'
    echo "-- $check ($filter)"
    timeout 60 "$tool" --tool "$check" --error-exitcode 1 "$dev_t" --gtest_filter="$filter" >"$tmp/$check.txt" 2>&1
    case $? in
      0) verdict="clean" ;;
      124|137) verdict="TIMED OUT (60 s)"; rc=1 ;;
      *) verdict="ERRORS (see floor.log)"; rc=1 ;;
    esac
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|PASSED|FAILED" "$tmp/$check.txt" | tail -4
    echo "$verdict" >"$tmp/$check.verdict"
    grep -q -E "Invalid|uninitialized|hazard|rror" "$tmp/$check.txt" && head -c 6000 "$tmp/$check.txt"
    floor_table "$tmp" "$rc" "$start"
  done
  floor_table "$tmp" "$rc" "$start"

  echo "== the table"
  cat "$OUT/floor_table.txt"
  rm -rf "$tmp"
  return "$rc"
}

# Per-kernel device times of a few training iterations on each path (Nsight Compute, one metric),
# after the warm-up: where an iteration's time goes.
profile() {
  local tool
  tool=$(nsight_compute)
  if [ -z "$tool" ]; then
    echo "ncu not found: skipped"
    return 0
  fi
  local bench="$BUILD_DIR/bench/digitnet_bench" filter
  for filter in '^gpu/seed/float/iter' '^gpu/seed/float/general'; do
    echo "== $filter: device time of each kernel"
    "$tool" --metrics gpu__time_duration.sum --launch-skip 400 --launch-count 40 --kill yes --csv \
      "$bench" --benchmark_filter="$filter" || return 1
  done
  echo "== the fused kernel: speed of light, occupancy, stalls"
  "$tool" --kernel-name regex:one_hidden_layer --launch-skip 50 --launch-count 1 --kill yes \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --section SchedulerStats --section MemoryWorkloadAnalysis \
    "$bench" --benchmark_filter='^gpu/seed/float/iter' || return 1
}

peers() {
  if [ ! -x scripts/bench_peers ]; then
    echo "scripts/bench_peers is not there: skipped"
    return 0
  fi
  # Debian's OpenBLAS 0.3.21 (carried in the bundle) does not recognise this VM's CPU (its model is
  # masked) and falls back to its Prescott (SSE3) kernels; numpy's newer OpenBLAS does. Name the
  # core type from the CPU's own flags so that both run vector kernels the CPU has.
  if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -q -w avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -q -w avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell
    fi
    echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
  fi
  PYTHONUNBUFFERED=1 scripts/bench_peers --digitnet "$BUILD_DIR/digitnet"
}

# One step, run by run_step in a process of its own.
if [ "${1:-}" = "--step" ]; then
  # shellcheck disable=SC1091
  [ -f .gpu/manifest ] && . .gpu/manifest
  # shellcheck disable=SC1091
  [ "$2" != setup ] && . .gpu/env.sh
  "$2"
  exit $?
fi

# Time limits (seconds), chosen so that setup + all steps stay under the tool's 600 per call.
declare -A LIMIT=([setup]=60 [tests]=180 [sanitizer]=150 [bench]=100 [profile]=60 [peers]=90 [precision]=300 [precision_compile]=500 [floor]=470 [nccl]=110)
STEPS=("$@")
[ ${#STEPS[@]} -eq 0 ] && STEPS=(tests sanitizer bench profile peers)
for step in "${STEPS[@]}"; do
  [ -n "${LIMIT[$step]:-}" ] || { echo "gpu_check: unknown step $step (steps: setup tests sanitizer bench profile peers precision precision_compile floor nccl)"; exit 2; }
done
: >"$SUMMARY"
note "gpu_check on $(hostname), $(date -u +%Y-%m-%dT%H:%M:%SZ): setup ${STEPS[*]}"
run_step setup "${LIMIT[setup]}" || { cat "$OUT/setup.log"; exit 1; }
for step in "${STEPS[@]}"; do
  [ "$step" = setup ] || run_step "$step" "${LIMIT[$step]}"
done
# The ends of the logs, for the tool's output tail.
for log in tests sanitizer bench profile peers precision precision_compile floor nccl; do
  [ -f "$OUT/$log.log" ] || continue
  echo "===== $log.log (end)"
  tail -n 25 "$OUT/$log.log"
done
echo "===== summary"
cat "$SUMMARY"
if [ -f "$OUT/floor_table.txt" ]; then
  echo "===== floor_table.txt (issue 12)"
  cat "$OUT/floor_table.txt"
fi
exit $STATUS
