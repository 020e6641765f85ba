#pragma once
// Simard et al.'s random displacement field. Private to host/augment.
#include <vector>

#include "digitnet/augment/counter_random.hpp"

namespace digitnet::augment_detail {

// For a rows x cols image: uniform random numbers in [-1, 1) per pixel (first all row components,
// then all column components, from `random`), each field convolved with a normalised Gaussian of
// `sigma` pixels (cut at 3 sigma; zero beyond the image) and multiplied by alpha. Index r*cols + c.
void elastic_field(int rows, int cols, double alpha, double sigma, CounterRandom& random, std::vector<double>& dr,
                   std::vector<double>& dc);

}  // namespace digitnet::augment_detail
