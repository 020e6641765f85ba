#include "agreement.hpp"

#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>

#include "commands.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/activation.hpp"
#include "safety.hpp"

namespace digitnet::cli {

Failure failure_of(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const AgreedFailure& e) {
        return e.failure();
    } catch (const InputError& e) {
        return {2, std::string("error: ") + e.what()};
    } catch (const UnavailableError& e) {
        return {2, std::string("error: ") + e.what()};
    } catch (const std::bad_alloc&) {
        // The commands estimate what they need before allocating (safety.hpp); this is what slips past.
        return {2, "error: out of memory while " + current_step() +
                       "; HINT: use fewer or smaller hidden layers (--hidden), fewer examples, or --precision float"};
    } catch (const DeviceError& e) {
        return {1, std::string("GPU error: ") + e.what()};
    } catch (const std::exception& e) {
        return {1, std::string("error: ") + e.what()};
    } catch (...) {
        return {1, "error: unknown failure"};
    }
}

void agree(Communicator& processes, const std::optional<Failure>& mine) {
    const long long first_failing = processes.min(mine ? processes.rank() : processes.size());
    if (first_failing == processes.size()) return;
    const int root = static_cast<int>(first_failing);
    std::string line = mine ? mine->line : std::string();
    std::string code = mine ? std::to_string(mine->exit_code) : std::string();
    processes.broadcast(line, root);
    processes.broadcast(code, root);
    // Say which process failed when it is not the one that prints.
    if (root != 0) line += " (on process " + std::to_string(root) + " of " + std::to_string(processes.size()) + ")";
    throw AgreedFailure(Failure{std::stoi(code), line});
}

namespace {

namespace fs = std::filesystem;

// Length-prefixed, so that no value can be mistaken for a separator.
std::string serialized(const Fingerprint& fingerprint) {
    std::string text;
    for (const auto& [name, value] : fingerprint.fields)
        text.append(std::to_string(value.size())).append(":").append(value);
    return text;
}

std::vector<std::string> values_of(const std::string& text) {
    std::vector<std::string> values;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t colon = text.find(':', at);
        if (colon == std::string::npos) break;
        const std::size_t length = std::stoull(text.substr(at, colon - at));
        values.push_back(text.substr(colon + 1, length));
        at = colon + 1 + length;
    }
    return values;
}

std::string shown(const std::string& value) { return value.empty() ? "(none)" : value; }

std::string number_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

bool is_idx_name(const fs::path& path) { return path.filename().string().find("-idx") != std::string::npos; }

// The files a data path stands for, in name order: what a reader of it may open.
std::vector<fs::path> files_of_data(const std::string& path) {
    std::error_code ec;
    const bool folder = fs::is_directory(path, ec);
    std::vector<fs::path> files;
    if (!folder) files.emplace_back(path);
    if (folder || is_idx_name(path)) {
        const fs::path where = folder                                 ? fs::path(path)
                               : fs::path(path).parent_path().empty() ? fs::path(".")
                                                                      : fs::path(path).parent_path();
        for (fs::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec))
            if (is_idx_name(it->path()) && it->path().filename() != fs::path(path).filename() &&
                fs::is_regular_file(it->path(), ec))
                files.push_back(it->path());
    }
    std::sort(files.begin() + (folder ? 0 : 1), files.end());
    return files;
}

}  // namespace

void agree_on(Communicator& processes, const Fingerprint& mine) {
    const std::string text = serialized(mine);
    std::string root_text = text;
    processes.broadcast(root_text, 0);
    std::optional<std::string> difference;
    if (root_text != text) {
        const std::vector<std::string> root = values_of(root_text);
        for (std::size_t i = 0; i < mine.fields.size() && !difference; ++i) {
            const auto& [name, value] = mine.fields[i];
            const std::string theirs = i < root.size() ? root[i] : std::string("(nothing)");
            if (value != theirs)
                difference = "process " + std::to_string(processes.rank()) + " of " + std::to_string(processes.size()) +
                             " has " + name + " " + shown(value) + ", process 0 has " + shown(theirs);
        }
        if (!difference) difference = "process " + std::to_string(processes.rank()) + " compares other fields";
    }
    const long long first = processes.min(difference ? processes.rank() : processes.size());
    if (first == processes.size()) return;
    std::string line = difference ? *difference : std::string();
    processes.broadcast(line, static_cast<int>(first));
    throw AgreedFailure(Failure{2, "error: the processes disagree: " + line +
                                       "; every process must be started with the same command, options and data "
                                       "(nothing was trained or saved)"});
}

void agree_on_command(Communicator& processes, const std::string& subcommand,
                      const std::optional<Failure>& parse_failure) {
    agree(processes, parse_failure);
    Fingerprint command;
    command.add("the subcommand", subcommand);
    agree_on(processes, command);
}

std::string data_checksum(const std::string& path) {
    uLong crc = crc32(0L, Z_NULL, 0);
    std::uintmax_t bytes = 0;
    std::vector<char> buffer(1 << 20);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) throw InputError(path + ": no such file");
    // Not a file or folder (a FIFO, a device): reading it here could block or take what the
    // loader should read; the loader says what is wrong with it.
    if (!fs::is_regular_file(status) && !fs::is_directory(status)) return "not a regular file";
    for (const fs::path& file : files_of_data(path)) {
        // Each file's name enters too (not its folder: that may differ from machine to machine).
        const std::string name = file.filename().string();
        crc = crc32_z(crc, reinterpret_cast<const Bytef*>(name.data()), name.size());
        std::ifstream in(file, std::ios::binary);
        if (!in) throw InputError(file.string() + ": cannot be read to compare it with the other processes' copy");
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            const auto got = static_cast<std::size_t>(in.gcount());
            crc = crc32_z(crc, reinterpret_cast<const Bytef*>(buffer.data()), got);
            bytes += got;
        }
        if (in.bad()) throw InputError(file.string() + ": a read failed while comparing it with the other processes'");
    }
    char text[64];
    std::snprintf(text, sizeof text, "crc32 %08lx, %ju bytes", static_cast<unsigned long>(crc), bytes);
    return text;
}

Fingerprint train_request_fingerprint(const run::RunRequest& r) {
    Fingerprint f;
    std::string hidden;
    for (int h : r.network.hidden) hidden.append(hidden.empty() ? "" : ",").append(std::to_string(h));
    const char* from_init = r.init ? "(the --init model's)" : nullptr;
    f.add("--hidden", r.network.hidden_given || !from_init ? hidden : from_init);
    f.add("--activation", r.network.activation ? to_string(*r.network.activation) : from_init ? from_init : "sigmoid");
    f.add("--output", r.network.output ? to_string(*r.network.output) : from_init ? from_init : "sigmoid");
    const run::OptimizerSettings& o = r.optimizer;
    f.add("--optimizer", to_string(o.optimizer));
    f.add("--iters", std::to_string(o.iterations));
    f.add("--alpha", number_text(o.alpha));
    f.add("--epochs", std::to_string(o.epochs));
    f.add("--batch", std::to_string(o.batch));
    f.add("--lr", number_text(o.learning_rate));
    f.add("--lambda", number_text(r.lambda));
    f.add("--seed", std::to_string(r.seed));
    f.add("--precision", to_string(r.precision));
    f.add("--checkpoint-every", std::to_string(r.checkpoint_every));  // each checkpoint is a collective
    // The bytes before any is loaded: different files could make the loading's own collectives
    // differ (a test set on one process only).
    f.add("--data contents", data_checksum(data_path_or_default(r.data_path)));
    f.add("--test-data contents", r.test_data_path.empty() ? "" : data_checksum(r.test_data_path));
    f.add("--init contents", r.init ? data_checksum(*r.init) : "");
    return f;
}

Fingerprint training_data_fingerprint(const Dataset& train, int train_total, const Dataset* test, int test_total) {
    Fingerprint f;
    f.add("--data examples", std::to_string(train_total));
    f.add("--data features", std::to_string(train.features()));
    f.add("--data classes", std::to_string(train.classes));
    f.add("--data label convention", "labels from " + std::to_string(train.label_base));
    f.add("--data pictures", std::to_string(train.image.rows) + "x" + std::to_string(train.image.cols) +
                                 (train.image.column_major ? " column-major" : " row-major"));
    f.add("test examples", test ? std::to_string(test_total) : "");
    return f;
}

}  // namespace digitnet::cli
