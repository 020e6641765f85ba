// libFuzzer target: any bytes as a .npz model file, read by read_model_file.
// Expected outcome for every input: a whole model that survives its own format, or
// digitnet::InputError (fuzz_inputs.hpp).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::npz(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
