#pragma once
// Error types. Each kind of failure maps to one exit code in the command line:
// InputError (bad file, bad flag value) exits 2; everything else exits 1.
#include <stdexcept>
#include <string>

namespace digitnet {

// Something the user gave us is wrong: a missing or malformed file, data that does not fit the
// model, an out-of-range option. The message is one line that names the file and the problem.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A CUDA, cuBLAS or device-memory failure. The message names the call, file and line.
class DeviceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The user asked for something this build or machine cannot do (`--device gpu` without a GPU).
class UnavailableError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Training produced a cost or weights that are no longer finite numbers (alpha too large).
class TrainingDiverged : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace digitnet

namespace digitnet {

// Writing an output file failed (disk full, file too large, I/O error...). The message names the
// file and the system's reason; the previous file at that path is left as it was. Exits 1.
class OutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace digitnet
