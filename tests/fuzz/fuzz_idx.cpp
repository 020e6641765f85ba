// libFuzzer target: an images file and a labels file (a 4-byte length prefix splits the input,
// see fuzz_inputs.hpp), read as an IDX pair from either file and as an MNIST-style folder.
// Expected outcome for every input: a valid result or digitnet::InputError (fuzz_inputs.hpp).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::idx(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
