#pragma once
// gpu/tile/seed_forward/<method>: the seed tile's forward product z1 = a0 Theta1^T (19 examples x
// 401 inputs -> 25 hidden units), and gpu/tile/seed_gradient/<method>: its gradient share d1^T a0
// (25 x 401 over the 19 examples), on every SM at once, computed the fused kernel's way (FP32 FMAs)
// and on tensor cores (3xTF32 at float accuracy; plain TF32 for what the split costs; 3xTF32 with
// Theta1 split once when staged, as a kernel keeping Theta1 in shared memory could), so that a
// GPU session sees whether 3xTF32 pays before anyone wires it into the fused kernel
// (dev/cuda/kernels/tf32x3_tile_product.cu; correctness: digitnet_dev_tests_gpu --gtest_filter='CudaTf32x3.*').

namespace digitnet::bench {

// Registers gpu/tile/seed_forward/{fp32_simt,tf32x3_mma,tf32_mma,tf32x3_mma_split_theta} and
// gpu/tile/seed_gradient/{fp32_simt,tf32x3_mma,tf32_mma}. Call only when a GPU is present.
void register_tile_product_benchmarks();

}  // namespace digitnet::bench
