#include "safety.hpp"

#include <algorithm>
#include <cctype>

#include "digitnet/errors.hpp"

namespace digitnet::cli {

namespace {

std::string& step_name() {
    static std::string step = "starting";
    return step;
}

}  // namespace

void set_step(const std::string& step) { step_name() = step; }
const std::string& current_step() { return step_name(); }

void check_png_name(const std::string& path, const std::string& what) {
    std::string extension = path.size() >= 4 ? path.substr(path.size() - 4) : "";
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (extension != ".png")
        throw InputError(path + ": " + what +
                         " writes a PNG image; name the file .png (other formats are not written)");
}

std::string count_of(long count, const std::string& singular, const std::string& plural) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

}  // namespace digitnet::cli
