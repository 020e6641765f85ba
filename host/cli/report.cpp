#include "report.hpp"

#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace digitnet::cli {

ProgressBar::ProgressBar(int total, bool enabled)
    : total_(total),
      enabled_(enabled && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int done, double cost) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1)) return;
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
    last_draw_ = now;
    drawn_ = true;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(static_cast<long long>(width) * done / total_) : width;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r[%s%s] %d/%d  cost %.6f  %.1fs ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total_, cost, seconds);
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");  // clear the bar's line
    std::fflush(stderr);
    drawn_ = false;
}

std::string confusion_text(const std::vector<std::vector<long>>& confusion, const std::vector<int>& labels) {
    std::ostringstream out;
    out << "confusion matrix (rows: true label, columns: predicted label)\n";
    out << "      ";
    for (int label : labels) out << (label < 10 ? "     " : "    ") << label;
    out << '\n';
    for (std::size_t r = 0; r < confusion.size(); ++r) {
        char head[16];
        std::snprintf(head, sizeof head, "%5d ", labels[r]);
        out << head;
        for (long count : confusion[r]) {
            char cell[16];
            std::snprintf(cell, sizeof cell, "%6ld", count);
            out << cell;
        }
        out << '\n';
    }
    return out.str();
}

}  // namespace digitnet::cli
