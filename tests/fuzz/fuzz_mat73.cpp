// libFuzzer target: any bytes with a v7.3 header as a .mat file (matio through libhdf5), read by
// load_mat_data, load_weights and load_model_info. Not run by CI: libhdf5 1.10.8 itself crashes
// on some damaged files (fuzz_inputs.hpp, tests/fuzz/third_party_crashes/).
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::mat73(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
