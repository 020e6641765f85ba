#!/usr/bin/env bash
# Installs the Debian packages digitnet builds and tests with. Safe to run again: it only calls
# apt-get when something is missing. Needs root (or sudo). The CUDA toolkit is not a Debian
# package here: when nvcc is on the PATH (or in /usr/local/cuda/bin) the CUDA backend is built,
# otherwise the CPU-only program is.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang-format clang-tidy  # scripts/check_format.sh, scripts/check_tidy.sh: the house rules in CI
  libmatio-dev          # .mat files (v5 and v7.3)
  libopenblas-dev       # CPU GEMMs (CBLAS)
  libcli11-dev          # command line
  nlohmann-json3-dev    # --json output
  libgtest-dev          # tests
  libbenchmark-dev      # bench/
  libpng-dev zlib1g-dev # PNG pictures, .gz data files
  python3 python3-numpy python3-scipy python3-matplotlib  # scripts/: data recipe, peers, plots
  python3-dev pybind11-dev python3-pytest  # the Python module (host/python) and its tests
  python3-pip python3-setuptools python3-wheel python3-venv  # `pip install --no-build-isolation .`
  dataset-fashion-mnist # the larger real data set (IDX files)
  openmpi-bin libopenmpi-dev        # several processes (mpirun): host/distributed, tests label mpi
  clang libclang-rt-dev libomp-dev  # ci_sanitizers.sh, ci_tsan.sh: sanitizer runtimes, libFuzzer, OpenMP for clang (+ Archer)
  libzip-dev            # .npz model files (numpy's zip of .npy arrays)
  libonnx-dev libprotobuf-dev protobuf-compiler  # `digitnet export --out m.onnx`: the ONNX schema and checker
  python3-onnx python3-torch  # tests/formats: onnx.checker, PyTorch's load_state_dict and torch.onnx.export
  nodejs                # tests/formats: onnxruntime-node (npm) runs the exported .onnx models
  libcpp-httplib-dev libjs-chart.js  # digitnet serve: the HTTP server, the page's charts (embedded at build time)
  chromium chromium-driver python3-selenium  # tests/serve/test_browser.py: a real headless browser on the page
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian's package where the nodejs in use does not bring its own (NodeSource's does).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
