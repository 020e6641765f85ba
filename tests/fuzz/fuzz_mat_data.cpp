// libFuzzer target: any bytes as a .mat file, read by load_mat_data and load_weights.
// Expected outcome for every input: a valid result or digitnet::InputError (fuzz_inputs.hpp).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::mat_data(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
