#pragma once
// What the program shows a person: the progress bar and the confusion matrix as text.
#include <chrono>
#include <string>
#include <vector>

namespace digitnet::cli {

// A one-line progress bar on stderr, redrawn at most ten times a second, shown only when stderr is
// a terminal, the run is not --quiet, and it has already taken more than a second.
class ProgressBar {
public:
    ProgressBar(int total, bool enabled);
    ~ProgressBar();
    void update(int done, double cost);
    void finish();

private:
    int total_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

// Rows = true class, columns = predicted class, both named by their labels.
std::string confusion_text(const std::vector<std::vector<long>>& confusion, const std::vector<int>& labels);

}  // namespace digitnet::cli
