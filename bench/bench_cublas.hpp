#pragma once
// The ceiling for the GPU rows of digitnet_bench: cuBLAS SGEMM/DGEMM on the shapes of the large
// configuration's GEMMs and on a square product, timed with CUDA events in the same run, so that
// gpu/large's FLOP rate can be read against what cuBLAS itself reaches on this device.

namespace digitnet::bench {

// Registers gpu/cublas/<shape>/<float|double>. Call only when a GPU is present.
void register_cublas_benchmarks();

}  // namespace digitnet::bench
