// Out of GPU memory, in a test binary of its own: the test takes nearly all of the device's memory
// for a while, so ctest runs it alone (RUN_SERIAL, tests/CMakeLists.txt); run beside other GPU
// tests it would make them fail or skip. Compiled only in CUDA builds; skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <memory>
#include <string>

#include "cuda_check.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

// Out of GPU memory: with all but a little of the device's memory taken, building a backend for
// a data set that needs more says how many bytes it asked for, how many are free and what to
// reduce (DeviceError, never a crash), and --device auto falls back to the CPU and says why.
TEST(CudaOutOfMemory, ClearMessageAndAutoFallsBackToTheCpu) {
    if (!gpu_info()) GTEST_SKIP() << "no CUDA GPU on this machine";
    std::size_t free_bytes = 0, total_bytes = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    constexpr std::size_t kLeaveFree = 160u << 20;
    ASSERT_GT(free_bytes, kLeaveFree);
    void* hog = nullptr;
    std::size_t hog_bytes = free_bytes - kLeaveFree;
    while (cudaMalloc(&hog, hog_bytes) != cudaSuccess && hog_bytes > (64u << 20)) {
        cudaGetLastError();
        hog_bytes -= 64u << 20;  // the largest block that can be had, in 64 MiB steps
    }
    ASSERT_NE(hog, nullptr);
    // 60000 x 784 float: A0 alone is 179.6 MiB, more than is left.
    const Dataset data = testing::random_dataset(60000, 784, 10, 3);
    const Layout layout = make_layout(784, {32}, 10);
    std::string message;
    try {
        make_cuda_backend(Precision::Float, layout)->set_training_set(data);
    } catch (const DeviceError& e) {
        message = e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected a DeviceError, got: " << e.what();
    }
    std::string note;
    std::unique_ptr<Backend> fallback;
    EXPECT_NO_THROW(fallback = make_backend(Device::Auto, Precision::Float, layout, data, &note));
    cudaFree(hog);
    std::cout << "  message: " << message << "\n  auto: " << note << "\n";
    EXPECT_NE(message.find("out of GPU memory"), std::string::npos) << message;
    EXPECT_NE(message.find("MiB"), std::string::npos) << message;  // the bytes asked for
    EXPECT_NE(message.find("free of"), std::string::npos) << message;
    EXPECT_NE(message.find("HINT"), std::string::npos) << message;
    ASSERT_NE(fallback, nullptr);
    EXPECT_EQ(fallback->device(), Device::Cpu);
    EXPECT_NE(note.find("using the CPU"), std::string::npos) << note;
    EXPECT_NE(note.find("out of GPU memory"), std::string::npos) << note;
}

}  // namespace
}  // namespace digitnet
