// libFuzzer target: the writers with a system call failing (fuzz_inputs.hpp, writers): the
// previous file must stay intact and no temporary file may be left.
#include "fuzz_main.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digitnet::fuzz::writers(digitnet::fuzz::bytes_of(data, size), digitnet::fuzz::scratch());
    return 0;
}
