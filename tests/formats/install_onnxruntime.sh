#!/usr/bin/env bash
# The ctest fixture formats.npm_install: installs onnxruntime-node (CPU only) from the npm registry,
# at the version package-lock.json pins, into DEST (a folder of the build tree), so that
# test_formats.py can run the exported .onnx models in onnxruntime. Does nothing when DEST already
# holds this lockfile's install. Fails, saying why, when node, npm or the registry is missing:
# the ONNX checks are part of CI, never silently skipped.
#   tests/formats/install_onnxruntime.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install_onnxruntime.sh DEST}
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "install_onnxruntime: no $tool on the PATH; HINT: scripts/install_deps.sh (nodejs, npm)" >&2; exit 1; }
done
mkdir -p "$dest"
if cmp -s "$here/package-lock.json" "$dest/package-lock.json" && [ -d "$dest/node_modules/onnxruntime-node" ]; then
    echo "install_onnxruntime: onnxruntime-node already installed in $dest"
    exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
# CPU only: onnxruntime-node's install script would otherwise fetch its CUDA libraries too (the CPU
# library is in the package). ONNXRUNTIME_NODE_INSTALL is the newer name of the same switch.
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip
if ! (cd "$dest" && timeout 600 npm ci --no-audit --no-fund --loglevel=error); then
    rm -f "$dest/package-lock.json"  # not installed: the next run tries again
    echo "install_onnxruntime: npm could not install onnxruntime-node from $(npm config get registry)" \
         "(offline, or the registry unreachable?); the ONNX tests need it" >&2
    exit 1
fi
node -e "require('$dest/node_modules/onnxruntime-node')" ||
    { rm -f "$dest/package-lock.json"; echo "install_onnxruntime: onnxruntime-node installed but does not load" >&2; exit 1; }
echo "install_onnxruntime: onnxruntime-node $(node -p "require('$dest/node_modules/onnxruntime-node/package.json').version") in $dest"
