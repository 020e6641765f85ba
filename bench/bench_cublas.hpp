#pragma once
// The ceiling for the GPU rows of digitnet_bench: cuBLAS alone on the shapes of the large and wide
// configurations' GEMMs and on a square product, in every precision the backend uses (float,
// double, tf32 on tensor cores, bf16 inputs with float accumulation), timed with CUDA events in
// the same run, so that gpu/large's and gpu/wide's FLOP rates can be read against what cuBLAS
// itself reaches on this device for that precision and shape.

namespace digitnet::bench {

// Registers gpu/cublas/<shape>/<precision>[/ld8]. Call only when a GPU is present.
void register_cublas_benchmarks();

}  // namespace digitnet::bench
