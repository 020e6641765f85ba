// libFuzzer target: any bytes as a PNG file, read by read_png and turned into model inputs.
// Expected outcome for every input: a valid result or digitnet::InputError (fuzz_inputs.hpp).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::png(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
