#!/usr/bin/env bash
# gpu_bundle.sh: build digitnet HERE for the lent GPU machine (Hopper, sm_90) and pack what that
# machine lacks, so that the GPU tests, the benchmark and the peer comparison can run THERE.
#
# The GPU machine has nvcc, CMake, the CUDA libraries and PyTorch, but none of our Debian packages
# (matio, HDF5, OpenBLAS, libpng, GoogleTest, Google Benchmark, ...) and no network. So we build
# here and carry the binaries with every shared library they load that is not glibc or CUDA.
#
# Usage, here (in the repository root; BUILD_DIR is relative to it, default build-gpu):
#     scripts/gpu_bundle.sh [BUILD_DIR]
#   configures BUILD_DIR with -DCMAKE_CUDA_ARCHITECTURES=90 (Release), builds it, and writes .gpu/
#   (ignored by git; about 20 MB):
#     .gpu/bundle.tar.xz  lib/        every library `ldd` lists for digitnet, digitnet_tests_*,
#                                     digitnet_bench* and dev/cuda's digitnet_dev_* (the build has
#                                     -DDIGITNET_DEV=ON) outside glibc, CUDA and NCCL (the chain: matio ->
#                                     hdf5 -> curl -> ..., openblas -> gfortran -> quadmath, ...)
#                         lib-compat/ libstdc++, libgcc_s, libgomp: used there only when the
#                                     machine's own are missing or too old
#                         build/      the binaries and ctest files of BUILD_DIR (no objects), and
#                                     the Python package
#                         shared/     ../shared/data/ex4weights.mat, when it is beside the checkout
#     .gpu/manifest       SOURCE_DIR and BUILD_DIR: the absolute paths baked into the binaries
#                         (DIGITNET_SOURCE_DIR, DIGITNET_BINARY, the ctest files)
# Then, on the GPU machine, in ONE run call that carries .gpu:
#     run(command="bash scripts/gpu_check.sh", carry=[".gpu"])
#   which unpacks the bundle, maps the baked-in paths onto the copy of the checkout there, sets
#   LD_LIBRARY_PATH, and runs ctest, the benchmark and scripts/bench_peers (logs under $OUT).
#   For commands of your own there:
#     bash scripts/gpu_check.sh setup && . .gpu/env.sh && build-gpu/digitnet info
#   (`setup` only unpacks and maps; .gpu/env.sh exports LD_LIBRARY_PATH and DIGITNET_BUILD).
#
# Re-run this script after every change that is to be tested on the GPU: the bundle holds binaries.
# libnccl is not carried (see below): should the GPU machine have none (setup then lists
# libnccl.so.2 as missing), bundle a build without NCCL instead: DIGITNET_NCCL=OFF scripts/gpu_bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${1:-build-gpu}
case "$BUILD_DIR" in
  /*|..*) echo "gpu_bundle: BUILD_DIR must be a folder inside the repository, e.g. build-gpu" >&2; exit 2 ;;
esac
BUILD_DIR=${BUILD_DIR%/}

if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
command -v nvcc >/dev/null || { echo "gpu_bundle: no nvcc here; HINT: install the CUDA toolkit" >&2; exit 1; }

echo "== configure and build $BUILD_DIR for sm_90"
# With the experiments of dev/cuda (DIGITNET_DEV): the GPU machine is where they are measured.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 -DDIGITNET_DEV=ON \
      -DDIGITNET_NCCL="${DIGITNET_NCCL:-ON}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
# The build must hold the CUDA backend, with machine code for sm_90.
if [ ! -f "$BUILD_DIR/kernels/libdigitnet_kernels.a" ] ||
   ! grep -q '^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=90$' "$BUILD_DIR/CMakeCache.txt"; then
  echo "gpu_bundle: $BUILD_DIR has no CUDA backend for sm_90 (was nvcc found at configure time?)" >&2
  exit 1
fi
if command -v cuobjdump >/dev/null && ! cuobjdump --list-elf "$BUILD_DIR/digitnet" | grep -q sm_90; then
  echo "gpu_bundle: $BUILD_DIR/digitnet holds no sm_90 machine code" >&2
  exit 1
fi
BINARIES=()
for b in "$BUILD_DIR/digitnet" "$BUILD_DIR"/tests/digitnet_tests_* "$BUILD_DIR/tests/digitnet_gpu_memory_tests" \
         "$BUILD_DIR/bench/digitnet_bench" "$BUILD_DIR/bench/digitnet_bench_nccl_allreduce" \
         "$BUILD_DIR"/dev/cuda/digitnet_dev_tests_* "$BUILD_DIR/dev/cuda/digitnet_dev_bench"; do
  [ -x "$b" ] && BINARIES+=("$b")
done
[ ${#BINARIES[@]} -gt 0 ] || { echo "gpu_bundle: no binaries in $BUILD_DIR" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/lib" "$STAGE/lib-compat" "$STAGE/build"

echo "== libraries (ldd lists the whole chain)"
# glibc's own libraries and the loader stay: the GPU machine has a glibc of its own. CUDA's stay:
# the driver (libcuda) must be the machine's, and the toolkit there has cudart and cuBLAS. NCCL
# stays too: libnccl.so.2 is over 200 MB (more than a carry holds), and PyTorch's nvidia-nccl
# wheel there has one (gpu_check.sh setup finds it).
is_system() {
  case "$1" in
    linux-vdso.so*|ld-linux*|libc.so.*|libm.so.*|libmvec.so.*|libdl.so.*|libpthread.so.*|librt.so.*|\
    libresolv.so.*|libutil.so.*|libanl.so.*|libnss_*|libBrokenLocale.so.*|libthread_db.so.*) return 0 ;;
    libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libnvrtc*|libnvJitLink*|libnvidia-*) return 0 ;;
    libnccl.so*) return 0 ;;
  esac
  return 1
}
is_compat() {
  case "$1" in libstdc++.so.*|libgcc_s.so.*|libgomp.so.*) return 0 ;; esac
  return 1
}
for b in "${BINARIES[@]}"; do
  ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  is_system "$name" && continue
  if is_compat "$name"; then dest="$STAGE/lib-compat"; else dest="$STAGE/lib"; fi
  cp -L "$path" "$dest/$name"
  echo "  $name  <- $path"
done
if ldd "${BINARIES[@]}" | grep -q "not found"; then
  echo "gpu_bundle: some libraries are missing here already:" >&2
  ldd "${BINARIES[@]}" | grep "not found" >&2
  exit 1
fi

# The newest glibc symbol version anything needs: the GPU machine's glibc must be at least that.
newest_glibc() {
  for f in "$@"; do objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' || true; done | sort -uV | tail -1
}
NEED_GLIBC=$(newest_glibc "${BINARIES[@]}" "$STAGE"/lib/*)
COMPAT_GLIBC=$(newest_glibc "$STAGE"/lib-compat/*)
echo "  needs glibc >= ${NEED_GLIBC#GLIBC_} on the GPU machine (${COMPAT_GLIBC#GLIBC_} where lib-compat is used)"

echo "== binaries and ctest files of $BUILD_DIR"
(cd "$BUILD_DIR" && find . \( -name CMakeFiles -prune \) -o -type f \
   \( -name 'CTestTestfile.cmake' -o -name '*_tests.cmake' -o -name '*_include.cmake' \) -print) |
  while read -r f; do mkdir -p "$STAGE/build/$(dirname "$f")"; cp "$BUILD_DIR/$f" "$STAGE/build/$f"; done
for b in "${BINARIES[@]}"; do
  rel=${b#"$BUILD_DIR"/}
  mkdir -p "$STAGE/build/$(dirname "$rel")"
  cp "$b" "$STAGE/build/$rel"
done
# The Python package (its extension is built for this checkout's Python: gpu_check.sh runs its GPU
# tests only where the GPU machine's python3 can import it).
if [ -d "$BUILD_DIR/python/digitnet" ]; then
  mkdir -p "$STAGE/build/python"
  cp -r "$BUILD_DIR/python/digitnet" "$STAGE/build/python/"
fi

SHARED_DATA="$ROOT/../shared/data/ex4weights.mat"
if [ -f "$SHARED_DATA" ]; then
  mkdir -p "$STAGE/shared/data"
  cp "$SHARED_DATA" "$STAGE/shared/data/"
fi

rm -rf .gpu
mkdir -p .gpu
{
  echo "SOURCE_DIR=$ROOT"
  echo "BUILD_DIR=$BUILD_DIR"
  echo "COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo +dirty)"
  echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "NEED_GLIBC=${NEED_GLIBC#GLIBC_}"
  echo "COMPAT_GLIBC=${COMPAT_GLIBC#GLIBC_}"
} >.gpu/manifest
XZ_OPT=-6T0 tar -C "$STAGE" -cJf .gpu/bundle.tar.xz .
echo "== wrote .gpu/bundle.tar.xz ($(du -h .gpu/bundle.tar.xz | cut -f1)) and .gpu/manifest:"
sed 's/^/  /' .gpu/manifest
echo "next: run(command=\"bash scripts/gpu_check.sh\", carry=[\".gpu\"]) on the GPU machine"
