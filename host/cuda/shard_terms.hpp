#pragma once
// How a shard's pass is set up in a data-parallel run (shard_sum.hpp): plain arithmetic with no
// CUDA in it, so that the tests check the rule in every build.
namespace digitnet::cuda {

// Process `rank`'s pass divides its sums by the global m, and only process 0 adds the
// regularisation: sum_r [S_r / M + (r == 0) R] = S / M + R.
struct ShardTerms {
    double lambda = 0.0;
    int divide_by = 0;
};

inline ShardTerms shard_terms(int rank, double lambda, int total_examples) {
    return {rank == 0 ? lambda : 0.0, total_examples};
}

}  // namespace digitnet::cuda
