// libFuzzer target: any bytes as a CSV file, read by load_csv and load_data.
// Expected outcome for every input: a valid result or digitnet::InputError (fuzz_inputs.hpp).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::csv(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
