#!/usr/bin/env bash
# One step from a fresh clone to build/digitnet: install the Debian packages, configure, build.
# Extra arguments go to CMake's configure step (e.g. -DCMAKE_CUDA_ARCHITECTURES=90).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
# nvcc usually lives outside the PATH; CMake finds the CUDA compiler through it.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)"
